//! A minimal incremental SHA-256 on top of `sha2`'s raw compression function.
//!
//! `sha2::Sha256` would do, but the signers need two things it does not give cheaply: resuming
//! from a precomputed midstate (HMAC ipad/opad states, ADVANCE's constant key prefix) and a
//! finalisation that pads in place without copying through a generic block buffer. The
//! compression itself (including the SHA-NI dispatch) is `sha2`'s.

use sha2::block_api::compress256;
use zeroize::Zeroize;

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

/// An incremental SHA-256 computation that can start from any midstate.
#[derive(Clone)]
pub(crate) struct Sha256Stream {
    state: [u32; 8],
    buf: [u8; BLOCK],
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
            buf: [0; BLOCK],
            buf_len: 0,
            total: blocks_done_bytes,
        }
    }

    /// The chaining state after the whole blocks absorbed so far, and the buffered tail.
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
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
            if self.buf_len < BLOCK {
                return;
            }
            compress256(&mut self.state, core::slice::from_ref(&self.buf));
            self.buf_len = 0;
        }
        let (blocks, rest) = data.as_chunks::<BLOCK>();
        if !blocks.is_empty() {
            compress256(&mut self.state, blocks);
        }
        self.buf[..rest.len()].copy_from_slice(rest);
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

    /// Pads, compresses the last one or two blocks and returns the digest.
    #[inline]
    pub(crate) fn finalize(mut self) -> [u8; 32] {
        let bit_len = self.total.wrapping_mul(8).to_be_bytes();
        let mut last = [[0u8; BLOCK]; 2];
        last[0][..self.buf_len].copy_from_slice(&self.buf[..self.buf_len]);
        last[0][self.buf_len] = 0x80;
        let n = if self.buf_len + 1 + 8 <= BLOCK { 1 } else { 2 };
        last[n - 1][BLOCK - 8..].copy_from_slice(&bit_len);
        compress256(&mut self.state, &last[..n]);
        last.zeroize();
        self.buf.zeroize();
        state_to_bytes(&self.state)
    }
}

impl Drop for Sha256Stream {
    fn drop(&mut self) {
        // The buffer may hold secret key bytes (ADVANCE prefix, Avanan secret).
        self.buf.zeroize();
        self.state.zeroize();
    }
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
}
