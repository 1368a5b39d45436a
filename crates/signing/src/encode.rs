//! Encoders into fixed-size stack buffers.
//!
//! Hex is a 16-entry table lookup (the `hex` crate's `encode_to_slice` validates lengths and
//! goes through an iterator, which costs more than the hash it encodes, see
//! `docs/PERFORMANCE.md`). Base64 is the `base64` crate's standard engine writing into a slice.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex of a 32-byte digest.
#[inline]
pub(crate) fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX_LOWER[usize::from(b >> 4)];
        pair[1] = HEX_LOWER[usize::from(b & 0x0f)];
    }
    out
}

/// Standard padded base64 of a 32-byte digest (always 44 characters).
#[inline]
pub(crate) fn base64_32(bytes: &[u8; 32]) -> [u8; 44] {
    let mut out = [0u8; 44];
    // 32 bytes always encode to exactly 44 characters, so the slice is always large enough
    // and the result can be ignored.
    let _ = STANDARD.encode_slice(bytes, &mut out);
    out
}

/// Standard base64 of exactly 48 bytes: 64 characters, one SHA-256 block, no padding.
#[inline]
pub(crate) fn base64_48(bytes: &[u8; 48]) -> [u8; 64] {
    let mut out = [0u8; 64];
    let _ = STANDARD.encode_slice(bytes, &mut out);
    out
}

/// Standard padded base64 of fewer than 48 bytes into `out`; returns the encoded length.
#[inline]
pub(crate) fn base64_tail(bytes: &[u8], out: &mut [u8; 64]) -> usize {
    STANDARD.encode_slice(bytes, out).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_matches_hex_crate() {
        let bytes: [u8; 32] = core::array::from_fn(|i| (i * 37 + 11) as u8);
        assert_eq!(hex32(&bytes).as_slice(), hex::encode(bytes).as_bytes());
    }

    #[test]
    fn base64_helpers_match_base64_crate() {
        let bytes: [u8; 48] = core::array::from_fn(|i| (i * 91 + 5) as u8);
        let b32: [u8; 32] = core::array::from_fn(|i| bytes[i]);
        assert_eq!(base64_32(&b32).as_slice(), STANDARD.encode(b32).as_bytes());
        assert_eq!(
            base64_48(&bytes).as_slice(),
            STANDARD.encode(bytes).as_bytes()
        );
        for len in 0..48 {
            let mut out = [0u8; 64];
            let n = base64_tail(&bytes[..len], &mut out);
            assert_eq!(&out[..n], STANDARD.encode(&bytes[..len]).as_bytes());
        }
    }
}
