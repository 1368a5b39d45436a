//! 16-byte vector helpers for x86-64 (SSE2 is part of the x86-64 baseline), through the
//! `safe_arch` crate so that the workspace stays free of `unsafe`.
//!
//! Why vectors: the SHA-256 compression reads its block in 16-byte loads, and a load that
//! spans several narrower stores cannot be forwarded from the store buffer; it waits for them
//! to retire. Writing the per-signature bytes (timestamp digits, the inner digest) and the hex
//! text as whole 16-byte stores keeps every store as wide as the loads that follow.

use safe_arch::{
    add_i8_m128i, bitand_m128i, bitor_m128i, cmp_gt_mask_i8_m128i, load_unaligned_m128i, m128i,
    set_i32_m128i, set_i64_m128i, set_splat_i8_m128i, set_splat_i32_m128i, shl_imm_u16_m128i,
    shl_imm_u32_m128i, shr_imm_u16_m128i, shr_imm_u32_m128i, shuffle_ai_i16_h64all_m128i,
    shuffle_ai_i16_l64all_m128i, store_unaligned_m128i, sub_i8_m128i, unpack_high_i8_m128i,
    unpack_low_i8_m128i,
};

#[inline(always)]
fn from_u128(value: u128) -> m128i {
    set_i64_m128i((value >> 64) as i64, value as i64)
}

/// `piece |= value` (little-endian), as one 16-byte load and one 16-byte store.
#[inline(always)]
pub(crate) fn or_piece(piece: &mut [u8; 16], value: u128) {
    let merged = bitor_m128i(load_unaligned_m128i(piece), from_u128(value));
    store_unaligned_m128i(piece, merged);
}

/// Lower-case hex of four state words' big-endian bytes into 32 characters.
///
/// Each byte becomes one 16-bit lane holding its two characters (high nibble, low nibble),
/// in memory order; a word's four lanes then come out little-endian, and one 16-bit shuffle
/// per half reverses them, so the words need no separate byte swap.
#[inline(always)]
fn hex_words(words: m128i, out: &mut [[u8; 16]]) {
    let low_nibbles = set_splat_i8_m128i(0x0f);
    let hi = bitand_m128i(shr_imm_u16_m128i::<4>(words), low_nibbles);
    let lo = bitand_m128i(words, low_nibbles);
    let ascii = |n: m128i| {
        let letters = bitand_m128i(
            cmp_gt_mask_i8_m128i(n, set_splat_i8_m128i(9)),
            set_splat_i8_m128i(b'a' as i8 - b'0' as i8 - 10),
        );
        add_i8_m128i(add_i8_m128i(n, set_splat_i8_m128i(b'0' as i8)), letters)
    };
    let reverse_pairs =
        |p: m128i| shuffle_ai_i16_h64all_m128i::<0x1b>(shuffle_ai_i16_l64all_m128i::<0x1b>(p));
    store_unaligned_m128i(
        &mut out[0],
        ascii(reverse_pairs(unpack_low_i8_m128i(hi, lo))),
    );
    store_unaligned_m128i(
        &mut out[1],
        ascii(reverse_pairs(unpack_high_i8_m128i(hi, lo))),
    );
}

/// Four state words in one vector, the first in the low lane.
#[inline(always)]
fn words_vector(w: &[u32]) -> m128i {
    set_i32_m128i(w[3] as i32, w[2] as i32, w[1] as i32, w[0] as i32)
}

/// The big-endian digest of a SHA-256 chaining state as two 16-byte pieces, byte-swapped in
/// vectors (each word's 16-bit halves exchanged, then each half's two bytes): five
/// operations per four words, against a load, a swap and a shift per word in general
/// registers and the moves back into a vector.
#[inline(always)]
pub(crate) fn digest_pieces(state: &[u32; 8]) -> [[u8; 16]; 2] {
    let swap = |w: &[u32]| {
        let halves = shuffle_ai_i16_h64all_m128i::<0xb1>(shuffle_ai_i16_l64all_m128i::<0xb1>(
            words_vector(w),
        ));
        bitor_m128i(
            shl_imm_u16_m128i::<8>(halves),
            shr_imm_u16_m128i::<8>(halves),
        )
    };
    let mut out = [[0u8; 16]; 2];
    store_unaligned_m128i(&mut out[0], swap(&state[..4]));
    store_unaligned_m128i(&mut out[1], swap(&state[4..]));
    out
}

/// Lower-case hex of a SHA-256 chaining state, i.e. of its big-endian digest.
#[inline(always)]
pub(crate) fn hex_state(state: &[u32; 8]) -> [u8; 64] {
    let mut out = [[0u8; 16]; 4];
    hex_words(words_vector(&state[..4]), &mut out[..2]);
    hex_words(words_vector(&state[4..]), &mut out[2..]);
    let mut flat = [0u8; 64];
    for (dst, src) in flat.chunks_exact_mut(16).zip(&out) {
        dst.copy_from_slice(src);
    }
    flat
}

/// Sixteen base64 characters of four 24-bit groups (`b0 << 16 | b1 << 8 | b2`, first group
/// first), then `(chars & keep) | fill` (how a last, partial piece gets its `=` padding).
///
/// Branch-free and table-free: each group is spread to four 6-bit values, one per byte, by
/// shifts and masks; each value `v` becomes `v + 65`, `+ 6` from 26 (`a`–`z`), `− 75` from 52
/// (`0`–`9`), `− 15` from 62 (`+`) and `+ 3` at 63 (`/`), with byte-wise compares. No memory
/// access or branch depends on the bytes encoded (the Avanan secret goes through here).
#[inline(always)]
pub(crate) fn base64_piece(groups: [u32; 4], keep: u128, fill: u128) -> [u8; 16] {
    // Paired in general registers first: two 64-bit moves into the vector instead of four
    // 32-bit ones and their three unpacks.
    let pair = |low: u32, high: u32| ((u64::from(high) << 32) | u64::from(low)) as i64;
    let g = set_i64_m128i(pair(groups[2], groups[3]), pair(groups[0], groups[1]));
    let mask = |m: i32, v: m128i| bitand_m128i(v, set_splat_i32_m128i(m));
    let sextets = bitor_m128i(
        bitor_m128i(
            shr_imm_u32_m128i::<18>(g),
            mask(0x3f00, shr_imm_u32_m128i::<4>(g)),
        ),
        bitor_m128i(
            mask(0x3f_0000, shl_imm_u32_m128i::<10>(g)),
            mask(0x3f00_0000, shl_imm_u32_m128i::<24>(g)),
        ),
    );
    let from = |k: i8, delta: i8| {
        bitand_m128i(
            cmp_gt_mask_i8_m128i(sextets, set_splat_i8_m128i(k - 1)),
            set_splat_i8_m128i(delta),
        )
    };
    let up = add_i8_m128i(from(26, 6), from(63, 3));
    let down = add_i8_m128i(from(52, 75), from(62, 15));
    let chars = sub_i8_m128i(
        add_i8_m128i(add_i8_m128i(sextets, set_splat_i8_m128i(65)), up),
        down,
    );
    let chars = bitor_m128i(bitand_m128i(chars, from_u128(keep)), from_u128(fill));
    let mut out = [0u8; 16];
    store_unaligned_m128i(&mut out, chars);
    out
}

/// Stores `u128` values as whole 16-byte stores.
///
/// A value built in general registers may be stored by the compiler as two 8-byte halves; a
/// 16-byte load of that piece (the compression reads its blocks that way) then cannot be
/// forwarded from the store buffer and waits for the stores to retire, which holds the next
/// signature's hash behind this one's. OR-ing the value with a vector zero the compiler
/// cannot see through (`black_box`, once per signature) keeps the store one vector store.
/// Correctness never depends on it.
#[derive(Clone, Copy)]
pub(crate) struct WholeStores(m128i);

impl WholeStores {
    #[inline(always)]
    pub(crate) fn new() -> Self {
        Self(core::hint::black_box(set_i64_m128i(0, 0)))
    }

    /// `*piece = value` (little-endian), as one 16-byte store.
    #[inline(always)]
    pub(crate) fn store(self, piece: &mut [u8; 16], value: u128) {
        store_unaligned_m128i(piece, bitor_m128i(from_u128(value), self.0));
    }
}
