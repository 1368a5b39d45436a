//! 16-byte vector helpers for x86-64 (SSE2 is part of the x86-64 baseline), through the
//! `safe_arch` crate so that the workspace stays free of `unsafe`.
//!
//! Why vectors: the SHA-256 compression reads its block in 16-byte loads, and a load that
//! spans several narrower stores cannot be forwarded from the store buffer; it waits for them
//! to retire. Writing the per-signature bytes (timestamp digits, the inner digest) and the hex
//! text as whole 16-byte stores keeps every store as wide as the loads that follow.

use safe_arch::{
    add_i8_m128i, bitand_m128i, bitor_m128i, cmp_gt_mask_i8_m128i, load_unaligned_m128i, m128i,
    set_i64_m128i, set_splat_i8_m128i, set_splat_i32_m128i, shl_imm_u16_m128i, shl_imm_u32_m128i,
    shr_imm_u16_m128i, shr_imm_u32_m128i, shuffle_ai_i16_h64all_m128i, shuffle_ai_i16_l64all_m128i,
    store_unaligned_m128i, sub_i8_m128i, unpack_high_i8_m128i, unpack_low_i8_m128i,
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

/// Four state words in one vector, the first in the low lane: one 16-byte load where the
/// state is in memory (the compression has just stored it whole, so the load is forwarded).
/// Built lane by lane, the compiler had read the words with loads that straddled the
/// compression's two 16-byte stores, which cannot be forwarded.
#[inline(always)]
fn words_vector(w: &[u32]) -> m128i {
    let mut words = [0u32; 4];
    words.copy_from_slice(&w[..4]);
    m128i::from(words)
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
    hex_state_by(state, hex_words)
}

/// The hex of a chaining state, each half's 32 characters written by `hex_words`.
#[inline(always)]
fn hex_state_by(state: &[u32; 8], hex_words: impl Fn(m128i, &mut [[u8; 16]])) -> [u8; 64] {
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
    masked_piece(base64_chars(sextets), keep, fill)
}

/// `(chars & keep) | fill` as sixteen bytes: how a last, partial base64 piece gets its `=`
/// padding and zeros (`keep = u128::MAX, fill = 0` for a whole piece).
#[inline(always)]
fn masked_piece(chars: m128i, keep: u128, fill: u128) -> [u8; 16] {
    let chars = bitor_m128i(bitand_m128i(chars, from_u128(keep)), from_u128(fill));
    let mut out = [0u8; 16];
    store_unaligned_m128i(&mut out, chars);
    out
}

/// The base64 character of each byte of `sextets` (each below 64): `v + 65`, `+ 6` from 26
/// (`a`–`z`), `− 75` from 52 (`0`–`9`), `− 15` from 62 (`+`) and `+ 3` at 63 (`/`), by
/// byte-wise compares; no lookup depends on the values.
#[inline(always)]
fn base64_chars(sextets: m128i) -> m128i {
    let from = |k: i8, delta: i8| {
        bitand_m128i(
            cmp_gt_mask_i8_m128i(sextets, set_splat_i8_m128i(k - 1)),
            set_splat_i8_m128i(delta),
        )
    };
    let up = add_i8_m128i(from(26, 6), from(63, 3));
    let down = add_i8_m128i(from(52, 75), from(62, 15));
    sub_i8_m128i(
        add_i8_m128i(add_i8_m128i(sextets, set_splat_i8_m128i(65)), up),
        down,
    )
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

/// Byte shuffles (SSSE3's `pshufb`) and the forms built on them, run where the CPU has SSSE3:
/// found at run time (`crate::dispatch`), whatever the build's baseline. Each function takes
/// `pulp`'s [`V2`](pulp::x86::V2) token, the proof that the CPU has the instructions; the
/// signers call them inside `V2::vectorize`, where they are compiled with SSSE3 enabled.
///
/// Constant time: the shuffles that lay out base64 groups or swap digest bytes have constant
/// controls (a fixed permutation of the data). The character mappings index a 16-byte table
/// held in a register with values computed from the data; a register permutation touches no
/// memory, so it leaves no cache trace, and the base64 mapping (which sees the Avanan secret)
/// is one of them by design. The hex digit lookup only ever sees digests (public output).
pub(crate) mod shuffled {
    use pulp::x86::V2;
    use safe_arch::{
        add_i8_m128i, bitand_m128i, bitor_m128i, cmp_gt_mask_i8_m128i, m128i,
        mul_i16_keep_low_m128i, mul_u16_keep_high_m128i, set_i64_m128i, set_splat_i8_m128i,
        set_splat_i32_m128i, shr_imm_u16_m128i, store_unaligned_m128i, sub_saturating_u8_m128i,
        unpack_high_i8_m128i, unpack_low_i8_m128i,
    };

    use super::words_vector;

    /// `pshufb`: byte `i` of the result is byte `control[i] & 15` of `table`, or zero where
    /// bit 7 of `control[i]` is set.
    #[inline(always)]
    fn shuffle(v2: V2, table: m128i, control: m128i) -> m128i {
        m128i(v2.ssse3._mm_shuffle_epi8(table.0, control.0))
    }

    /// The `pshufb` control that puts the input bytes of four 3-byte groups into four 32-bit
    /// lanes as `[b1, b0, b2, b1]` (the layout the multiplies below split), reading input
    /// byte `p` from vector byte `source(p)`; input bytes from `len` on read as zero.
    const fn group_lanes(source: [u8; 12], len: usize) -> [u8; 16] {
        let mut control = [0x80u8; 16];
        let mut lane = 0;
        while lane < 4 {
            let order = [3 * lane + 1, 3 * lane, 3 * lane + 2, 3 * lane + 1];
            let mut k = 0;
            while k < 4 {
                if order[k] < len {
                    control[4 * lane + k] = source[order[k]];
                }
                k += 1;
            }
            lane += 1;
        }
        control
    }

    /// Input byte `p` at vector byte `p`.
    const IN_ORDER: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

    /// Input byte `p` is byte `p` of a big-endian word sequence held as little-endian words.
    const BIG_ENDIAN_WORDS: [u8; 12] = [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8];

    /// What is added to a 6-bit value to make its base64 character, by the class index of
    /// [`base64_chars`]: `a`–`z` (0), `0`–`9` (1 to 10), `+` (11), `/` (12), `A`–`Z` (13).
    const CLASS_OFFSETS: [i8; 16] = {
        let digits = b'0' as i8 - 52;
        [
            b'a' as i8 - 26,
            digits,
            digits,
            digits,
            digits,
            digits,
            digits,
            digits,
            digits,
            digits,
            digits,
            b'+' as i8 - 62,
            b'/' as i8 - 63,
            b'A' as i8,
            0,
            0,
        ]
    };

    /// The base64 character of each byte of `sextets` (each below 64), W. Muła's way: the
    /// value's class (a saturating subtract and one compare) picks, by a register shuffle,
    /// the offset to add. No memory access or branch depends on the values.
    #[inline(always)]
    fn base64_chars(v2: V2, sextets: m128i) -> m128i {
        // 52..=63 become 1..=12, everything below 52 becomes 0; then 0..=25 become 13.
        let class = bitor_m128i(
            sub_saturating_u8_m128i(sextets, set_splat_i8_m128i(51)),
            bitand_m128i(
                cmp_gt_mask_i8_m128i(set_splat_i8_m128i(26), sextets),
                set_splat_i8_m128i(13),
            ),
        );
        add_i8_m128i(sextets, shuffle(v2, m128i::from(CLASS_OFFSETS), class))
    }

    /// The SSSE3 token and the two multipliers of [`base64_lanes`], passed through
    /// `black_box` once per signature: with the constants in view, LLVM rewrites each 16-bit
    /// multiply as shifts, blends and packs (eleven instructions for `pmulhuw`, three for
    /// `pmullw`); hidden, each stays one instruction.
    #[derive(Clone, Copy)]
    pub(crate) struct Shuffles {
        v2: V2,
        high: m128i,
        low: m128i,
    }

    impl Shuffles {
        /// The token with its multipliers.
        #[inline(always)]
        pub(crate) fn new(v2: V2) -> Self {
            let [high, low] = core::hint::black_box([
                set_splat_i32_m128i(0x0400_0040),
                set_splat_i32_m128i(0x0100_0010),
            ]);
            Self { v2, high, low }
        }
    }

    /// Sixteen base64 characters of the four groups laid out by [`group_lanes`], then
    /// `(chars & keep) | fill`. The 6-bit values are split out by two 16-bit multiplies
    /// (W. Muła's method).
    #[inline(always)]
    fn base64_lanes(s: Shuffles, lanes: m128i, keep: u128, fill: u128) -> [u8; 16] {
        let high = mul_u16_keep_high_m128i(
            bitand_m128i(lanes, set_splat_i32_m128i(0x0fc0_fc00)),
            s.high,
        );
        let low =
            mul_i16_keep_low_m128i(bitand_m128i(lanes, set_splat_i32_m128i(0x003f_03f0)), s.low);
        super::masked_piece(base64_chars(s.v2, bitor_m128i(high, low)), keep, fill)
    }

    /// Sixteen base64 characters of twelve input bytes (the low 96 bits of `bytes`,
    /// little-endian), then `(chars & keep) | fill`.
    #[inline(always)]
    pub(crate) fn base64_12(s: Shuffles, bytes: u128, keep: u128, fill: u128) -> [u8; 16] {
        let input = set_i64_m128i((bytes >> 64) as i64, bytes as i64);
        const CONTROL: [u8; 16] = group_lanes(IN_ORDER, 12);
        base64_lanes(s, shuffle(s.v2, input, m128i::from(CONTROL)), keep, fill)
    }

    /// Standard padded base64 of the digest of a SHA-256 chaining state: 44 characters, then
    /// four zero bytes. The byte swap of the words is part of each piece's shuffle.
    #[inline(always)]
    pub(crate) fn base64_state(s: Shuffles, state: &[u32; 8]) -> [u8; 48] {
        let v2 = s.v2;
        const WHOLE: [u8; 16] = group_lanes(BIG_ENDIAN_WORDS, 12);
        // Digest bytes 24..32 are the upper half of the second vector; 32 reads as zero.
        const LAST: [u8; 16] = group_lanes([11, 10, 9, 8, 15, 14, 13, 12, 0, 0, 0, 0], 8);
        let first = words_vector(&state[..4]);
        let second = words_vector(&state[4..]);
        // Words 3 to 6: the last word of the first vector and three of the second.
        let middle = m128i(v2.ssse3._mm_alignr_epi8::<12>(second.0, first.0));
        let (keep, fill) = crate::tail::tail_masks(8);
        let pieces = [
            base64_lanes(s, shuffle(v2, first, m128i::from(WHOLE)), u128::MAX, 0),
            base64_lanes(s, shuffle(v2, middle, m128i::from(WHOLE)), u128::MAX, 0),
            base64_lanes(s, shuffle(v2, second, m128i::from(LAST)), keep, fill),
        ];
        let mut flat = [0u8; 48];
        for (dst, src) in flat.chunks_exact_mut(16).zip(&pieces) {
            dst.copy_from_slice(src);
        }
        flat
    }

    /// Lower-case hex of four state words' big-endian bytes into 32 characters: one shuffle
    /// swaps the words' bytes, the nibbles are interleaved, and a shuffle of the sixteen
    /// digits maps each nibble to its character (the digest is public output).
    #[inline(always)]
    fn hex_words(v2: V2, words: m128i, out: &mut [[u8; 16]]) {
        const SWAP: [u8; 16] = [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12];
        let bytes = shuffle(v2, words, m128i::from(SWAP));
        let low_nibbles = set_splat_i8_m128i(0x0f);
        let hi = bitand_m128i(shr_imm_u16_m128i::<4>(bytes), low_nibbles);
        let lo = bitand_m128i(bytes, low_nibbles);
        let digits = m128i::from(*b"0123456789abcdef");
        store_unaligned_m128i(
            &mut out[0],
            shuffle(v2, digits, unpack_low_i8_m128i(hi, lo)),
        );
        store_unaligned_m128i(
            &mut out[1],
            shuffle(v2, digits, unpack_high_i8_m128i(hi, lo)),
        );
    }

    /// Lower-case hex of a SHA-256 chaining state, i.e. of its big-endian digest.
    #[inline(always)]
    pub(crate) fn hex_state(s: Shuffles, state: &[u32; 8]) -> [u8; 64] {
        super::hex_state_by(state, |words, out| hex_words(s.v2, words, out))
    }
}
