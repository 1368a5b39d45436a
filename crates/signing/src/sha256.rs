//! A minimal incremental SHA-256 on top of `sha2`'s raw compression function.
//!
//! `sha2::Sha256` would do, but the signers need two things it does not give cheaply: resuming
//! from a precomputed midstate (HMAC ipad/opad states, ADVANCE's constant key prefix) and a
//! finalisation that pads in place without copying through a generic block buffer. The
//! compression itself (including the SHA-NI dispatch) is `sha2`'s.

use sha2::block_api::compress256;

/// SHA-256 initial hash value (FIPS 180-4, 5.3.3).
pub(crate) const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// Size of one SHA-256 block in bytes.
pub(crate) const BLOCK: usize = 64;

/// 16-byte pieces in a block (the compression reads a block as four 16-byte loads).
pub(crate) const PIECES_PER_BLOCK: usize = BLOCK / 16;

/// An incremental SHA-256 computation that can start from any midstate.
///
/// It does not wipe itself: it is a per-signature temporary on the stack, and zeroing every
/// temporary would cost more than the hash (see `docs/PERFORMANCE.md`). Long-lived holders of
/// secret-derived state (the signers) wipe it in their own `Drop`.
#[derive(Clone)]
pub(crate) struct Sha256Stream {
    buf: AlignedBlocks<BLOCK>,
    state: [u32; 8],
    buf_len: usize,
    /// Bytes absorbed so far, including those represented by a resumed midstate.
    total: u64,
}

impl Sha256Stream {
    /// A fresh hash.
    #[inline]
    pub(crate) const fn new() -> Self {
        Self::resume(IV, 0)
    }

    /// Continues a hash whose first `blocks_done_bytes` bytes (a multiple of 64) produced `state`.
    #[inline]
    pub(crate) const fn resume(state: [u32; 8], blocks_done_bytes: u64) -> Self {
        Self {
            state,
            buf: AlignedBlocks::ZERO,
            buf_len: 0,
            total: blocks_done_bytes,
        }
    }

    /// The chaining state after the whole blocks absorbed so far.
    #[inline]
    pub(crate) fn state(&self) -> [u32; 8] {
        self.state
    }

    /// Absorbs `data`.
    #[inline]
    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.total = self.total.wrapping_add(data.len() as u64);
        if self.buf_len > 0 {
            let take = (BLOCK - self.buf_len).min(data.len());
            self.buf.0[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
            if self.buf_len < BLOCK {
                return;
            }
            compress256(&mut self.state, core::slice::from_ref(&self.buf.0));
            self.buf_len = 0;
        }
        let (blocks, rest) = data.as_chunks::<BLOCK>();
        if !blocks.is_empty() {
            compress256(&mut self.state, blocks);
        }
        self.buf.0[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
    }

    /// Absorbs exactly one 64-byte block when the buffer is empty, otherwise behaves as `update`.
    #[inline]
    pub(crate) fn update_block(&mut self, block: &[u8; BLOCK]) {
        if self.buf_len == 0 {
            self.total = self.total.wrapping_add(BLOCK as u64);
            compress256(&mut self.state, core::slice::from_ref(block));
        } else {
            self.update(block);
        }
    }

    /// Pads in place, compresses the last one or two blocks and returns the digest.
    #[inline]
    pub(crate) fn finalize(self) -> [u8; 32] {
        state_to_bytes(&self.finalize_state())
    }

    /// Like [`finalize`](Self::finalize), but returns the final chaining state (the digest
    /// as big-endian words).
    #[inline]
    pub(crate) fn finalize_state(mut self) -> [u32; 8] {
        let bit_len = self.total.wrapping_mul(8).to_be_bytes();
        self.buf.0[self.buf_len] = 0x80;
        self.buf.0[self.buf_len + 1..].fill(0);
        if self.buf_len + 1 + 8 > BLOCK {
            compress256(&mut self.state, core::slice::from_ref(&self.buf.0));
            self.buf.0.fill(0);
        }
        self.buf.0[BLOCK - 8..].copy_from_slice(&bit_len);
        compress256(&mut self.state, core::slice::from_ref(&self.buf.0));
        self.state
    }

    /// The chaining state after the absorbed whole blocks, the buffered tail and the total
    /// length: what a signer needs to lay out its per-call blocks once.
    #[inline]
    pub(crate) fn into_parts(self) -> ([u32; 8], [u8; BLOCK], usize, u64) {
        (self.state, self.buf.0, self.buf_len, self.total)
    }
}

/// `N` bytes of message blocks, aligned to a cache line so that 16-byte pieces never split a
/// line and stores forward to the compression function's loads.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct AlignedBlocks<const N: usize>(pub(crate) [u8; N]);

impl<const N: usize> AlignedBlocks<N> {
    /// All zero.
    pub(crate) const ZERO: Self = Self([0; N]);
}

/// Writes SHA-256 padding for a message of `total_len` bytes whose last `tail_len` bytes are
/// already at the start of `blocks`; returns how many 64-byte blocks to compress, or `None`
/// if they do not fit.
#[inline]
pub(crate) fn pad_in_place(blocks: &mut [u8], tail_len: usize, total_len: u64) -> Option<usize> {
    let n = (tail_len + 1 + 8).div_ceil(BLOCK);
    if n * BLOCK > blocks.len() {
        return None;
    }
    blocks[tail_len] = 0x80;
    blocks[tail_len + 1..n * BLOCK - 8].fill(0);
    blocks[n * BLOCK - 8..n * BLOCK].copy_from_slice(&total_len.wrapping_mul(8).to_be_bytes());
    Some(n)
}

/// ORs the 16 bytes of `value` (little-endian) into `bytes` at `offset`, touching only whole
/// aligned 16-byte pieces.
///
/// The compression function reads its block in 16-byte loads; a load that spans several
/// narrower stores cannot be forwarded from the store buffer and stalls for the stores to
/// retire (measured in `docs/PERFORMANCE.md`). Merging in whole aligned pieces keeps every
/// store as wide as the loads that follow. The bytes being written must be zero beforehand.
#[inline]
pub(crate) fn or_u128_at(bytes: &mut [u8], offset: usize, value: u128) {
    let (pieces, _) = bytes.as_chunks_mut::<16>();
    let index = offset / 16;
    let shift = (offset % 16) * 8;
    if let Some(piece) = pieces.get_mut(index) {
        or_piece(piece, value << shift);
    }
    if shift != 0
        && let Some(piece) = pieces.get_mut(index + 1)
    {
        or_piece(piece, value >> (128 - shift));
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
use crate::simd::or_piece;

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) use crate::simd::WholeStores;

/// Plain stores where there is no vector unit to keep whole.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[derive(Clone, Copy)]
pub(crate) struct WholeStores;

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
impl WholeStores {
    #[inline(always)]
    pub(crate) fn new() -> Self {
        Self
    }

    /// `*piece = value` (little-endian).
    #[inline(always)]
    pub(crate) fn store(self, piece: &mut [u8; 16], value: u128) {
        *piece = value.to_le_bytes();
    }
}

/// Up to 16 bytes of `bytes` as a little-endian `u128` (zero above `bytes.len()`), read with
/// at most two loads that stay inside the slice and no store, so that short parts of a
/// message reach a block through registers. Longer slices give their first 16 bytes.
#[inline(always)]
pub(crate) fn load_le(bytes: &[u8]) -> u128 {
    let n = bytes.len();
    let u64_at = |at: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(word)
    };
    let u32_at = |at: usize| {
        let mut word = [0u8; 4];
        word.copy_from_slice(&bytes[at..at + 4]);
        u32::from_le_bytes(word)
    };
    if n >= 16 {
        u128::from(u64_at(0)) | (u128::from(u64_at(8)) << 64)
    } else if n >= 8 {
        // The last eight bytes overlap the first eight by 16 - n; drop the overlap.
        let high = u128::from(u64_at(n - 8)) >> (8 * (16 - n));
        u128::from(u64_at(0)) | (high << 64)
    } else if n >= 4 {
        let high = u64::from(u32_at(n - 4)) >> (8 * (8 - n));
        u128::from(u64::from(u32_at(0)) | (high << 32))
    } else if n > 0 {
        u128::from(bytes[0])
            | (u128::from(bytes[n / 2]) << (8 * (n / 2)))
            | (u128::from(bytes[n - 1]) << (8 * (n - 1)))
    } else {
        0
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn or_piece(piece: &mut [u8; 16], value: u128) {
    let add = value.to_le_bytes();
    let mut merged = *piece;
    for (m, a) in merged.iter_mut().zip(add) {
        *m |= a;
    }
    *piece = merged;
}

/// Ends a message laid out in whole 16-byte pieces of `blocks`, whose pieces from `held` on
/// are still zero: `last(slot, fill)` writes the piece at `held`, the message's last
/// `tail_len` bytes (0 to 16) with `fill` OR-ed over the zeros after them; the `0x80` byte
/// right after the message and the bit length of all that is hashed (`hashed` bytes before
/// `blocks`, then the message in them) at the end of the last block go into whole pieces
/// too, so that every 16-byte load of the compression is forwarded from one store. Returns
/// how many blocks to compress, or `None` if they do not fit in `blocks`.
#[inline(always)]
pub(crate) fn end_in_pieces(
    blocks: &mut [u8],
    held: usize,
    tail_len: usize,
    hashed: u64,
    stores: WholeStores,
    last: impl FnOnce(&mut [u8; 16], u128),
) -> Option<usize> {
    let len = held * 16 + tail_len;
    let count = (len + 1 + 8).div_ceil(BLOCK);
    if count * BLOCK > blocks.len() {
        return None;
    }
    let last_piece = PIECES_PER_BLOCK * count - 1;
    let bits = u128::from(
        (hashed.wrapping_add(len as u64))
            .wrapping_mul(8)
            .swap_bytes(),
    ) << 64;
    let length_in = |index: usize| if index == last_piece { bits } else { 0 };
    let (pieces, _) = blocks.as_chunks_mut::<16>();
    let mut at = held;
    if tail_len < 16 {
        if let Some(slot) = pieces.get_mut(at) {
            last(slot, (0x80 << (8 * tail_len)) | length_in(at));
        }
    } else {
        if let Some(slot) = pieces.get_mut(at) {
            last(slot, 0);
        }
        at += 1;
        if let Some(slot) = pieces.get_mut(at) {
            stores.store(slot, 0x80 | length_in(at));
        }
    }
    if last_piece > at
        && let Some(slot) = pieces.get_mut(last_piece)
    {
        stores.store(slot, bits);
    }
    Some(count)
}

/// Called when `held` pieces of `blocks` are written: once they make the first block, that
/// block is compressed into `state` at once. Laying out the rest of the message then runs
/// beside its compression instead of ahead of it: the instructions before a compression's
/// start are on a signature's critical path (measured in `docs/PERFORMANCE.md`).
#[inline(always)]
pub(crate) fn hash_first_block_when_whole(state: &mut [u32; 8], blocks: &[u8], held: usize) {
    if held == PIECES_PER_BLOCK {
        compress_blocks(state, blocks, 1);
    }
}

/// Compresses what is left of the first `count` blocks of `blocks` once `held` pieces went
/// through [`hash_first_block_when_whole`]: from the second block if the first was hashed.
#[inline(always)]
pub(crate) fn hash_the_rest(state: &mut [u32; 8], blocks: &[u8], held: usize, count: usize) {
    let first = usize::from(held >= PIECES_PER_BLOCK);
    if let Some(rest) = blocks.get(first * BLOCK..) {
        compress_blocks(state, rest, count.saturating_sub(first));
    }
}

/// Compresses the first `n` blocks of `bytes` into `state`.
#[inline]
pub(crate) fn compress_blocks(state: &mut [u32; 8], bytes: &[u8], n: usize) {
    let (blocks, _) = bytes.as_chunks::<BLOCK>();
    compress256(state, &blocks[..n.min(blocks.len())]);
}

impl zeroize::Zeroize for Sha256Stream {
    fn zeroize(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.state);
        zeroize::Zeroize::zeroize(&mut self.buf.0);
        self.buf_len = 0;
        self.total = 0;
    }
}

/// The digest of a chaining state as two 16-byte pieces (big-endian words), for a block
/// that hashes it next (HMAC's outer block): whole 16-byte stores.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) use crate::simd::digest_pieces;

/// The digest of a chaining state as two 16-byte pieces (big-endian words).
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline]
pub(crate) fn digest_pieces(state: &[u32; 8]) -> [[u8; 16]; 2] {
    let bytes = state_to_bytes(state);
    let (pieces, _) = bytes.as_chunks::<16>();
    [pieces[0], pieces[1]]
}

/// Big-endian serialisation of a chaining state: the digest once the hash is finished.
#[inline]
pub(crate) fn state_to_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// The SHA-256 of `data` in one call.
#[inline]
pub(crate) fn digest(data: &[u8]) -> [u8; 32] {
    let mut s = Sha256Stream::new();
    s.update(data);
    s.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    fn reference(data: &[u8]) -> [u8; 32] {
        sha2::Sha256::digest(data).into()
    }

    #[test]
    fn matches_sha2_for_every_length_up_to_three_blocks() {
        let data: [u8; 200] = core::array::from_fn(|i| (i * 7 + 3) as u8);
        for len in 0..=200 {
            assert_eq!(digest(&data[..len]), reference(&data[..len]), "len {len}");
        }
    }

    #[test]
    fn split_updates_match_one_shot() {
        let data: [u8; 300] = core::array::from_fn(|i| (i * 13) as u8);
        for split in [0, 1, 55, 56, 63, 64, 65, 127, 128, 299, 300] {
            let mut s = Sha256Stream::new();
            s.update(&data[..split]);
            s.update(&data[split..]);
            assert_eq!(s.finalize(), reference(&data), "split {split}");
        }
    }

    #[test]
    fn pad_in_place_matches_sha2() {
        let data: [u8; 130] = core::array::from_fn(|i| (i * 5 + 1) as u8);
        for len in 0..=119 {
            let mut blocks = [0xffu8; 128];
            blocks[..len].copy_from_slice(&data[..len]);
            let n = pad_in_place(&mut blocks, len, len as u64).unwrap();
            let mut state = IV;
            compress_blocks(&mut state, &blocks, n);
            assert_eq!(state_to_bytes(&state), reference(&data[..len]), "len {len}");
        }
        assert_eq!(pad_in_place(&mut [0u8; 128], 120, 120), None);
    }

    #[test]
    fn end_in_pieces_matches_pad_in_place() {
        let data: [u8; 260] = core::array::from_fn(|i| (i * 11 + 5) as u8);
        for hashed in [0u64, 64, 192] {
            for len in 0..=247 {
                let (held, tail_len) = match len % 16 {
                    // A whole last piece is sometimes given as the tail.
                    0 if len > 0 && len % 32 == 0 => (len / 16 - 1, 16),
                    rest => (len / 16, rest),
                };
                let mut expected = [0xeeu8; 256];
                expected[..len].copy_from_slice(&data[..len]);
                let n = pad_in_place(&mut expected, len, hashed + len as u64);
                let mut blocks = [0u8; 256];
                blocks[..held * 16].copy_from_slice(&data[..held * 16]);
                let got = end_in_pieces(
                    &mut blocks,
                    held,
                    tail_len,
                    hashed,
                    WholeStores::new(),
                    |slot, fill| {
                        let mut tail = [0u8; 16];
                        tail[..tail_len].copy_from_slice(&data[held * 16..len]);
                        *slot = (u128::from_le_bytes(tail) | fill).to_le_bytes();
                    },
                );
                assert_eq!(got, n, "{hashed} {len}");
                if let Some(n) = n {
                    assert_eq!(blocks[..n * BLOCK], expected[..n * BLOCK], "{hashed} {len}");
                }
            }
        }
    }

    #[test]
    fn or_u128_at_every_offset() {
        let value = u128::from_le_bytes(core::array::from_fn(|i| i as u8 + 1));
        for offset in 0..=112 {
            let mut bytes = [0u8; 128];
            or_u128_at(&mut bytes, offset, value);
            let mut expected = [0u8; 128];
            expected[offset..offset + 16].copy_from_slice(&value.to_le_bytes());
            assert_eq!(bytes, expected, "offset {offset}");
        }
    }

    #[test]
    fn digest_pieces_are_the_big_endian_digest() {
        let mut state = IV;
        for i in 0..64u32 {
            state = state.map(|w| w.rotate_left(i % 31).wrapping_mul(0x9e37_79b9) ^ i);
            let pieces = digest_pieces(&state);
            assert_eq!(
                pieces.as_flattened(),
                &state_to_bytes(&state)[..],
                "{state:x?}"
            );
        }
    }

    #[test]
    fn update_block_matches_update() {
        let block = [0x5a; BLOCK];
        let mut a = Sha256Stream::new();
        a.update(b"abc");
        a.update_block(&block);
        a.update_block(&block);
        let mut b = Sha256Stream::new();
        b.update(b"abc");
        b.update(&block);
        b.update(&block);
        assert_eq!(a.finalize(), b.finalize());
    }

    #[test]
    fn load_le_reads_every_length() {
        let data: [u8; 20] = core::array::from_fn(|i| i as u8 + 1);
        for n in 0..=20 {
            let mut expected = [0u8; 16];
            let k = n.min(16);
            expected[..k].copy_from_slice(&data[..k]);
            assert_eq!(load_le(&data[..n]), u128::from_le_bytes(expected), "n {n}");
        }
    }
}
