//! Hex and base64 encoders into fixed-size stack buffers.
//!
//! Both are written here rather than taken from the `hex` and `base64` crates because, at the
//! sizes signed here (32-byte digests, 100-byte Avanan messages), those crates' per-call
//! length checks and loops cost as much as a SHA-256 compression (`hex::encode_to_slice`
//! ≈ 67 ns for 32 bytes; `base64`'s `encode_slice` ≈ 290 instructions for 32 bytes; see
//! `docs/PERFORMANCE.md`). Both are tested against those crates for every length.

/// Lower-case hex of four bytes, eight characters at once in a `u64` (SWAR), for targets
/// without the 16-byte vector path: the nibbles are
/// spread one per byte, then `'0'` is added, plus `'a' - '0' - 10` where a nibble is ≥ 10.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline]
const fn hex_of_u32(v: u32) -> [u8; 8] {
    let mut x = v as u64;
    x = ((x & 0xffff_0000) << 16) | (x & 0x0000_ffff);
    x = ((x & 0x0000_ff00_0000_ff00) << 8) | (x & 0x0000_00ff_0000_00ff);
    x = ((x & 0x00f0_00f0_00f0_00f0) << 4) | (x & 0x000f_000f_000f_000f);
    let letters = ((x + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    (x + 0x3030_3030_3030_3030 + letters * (b'a' - b'0' - 10) as u64).to_be_bytes()
}

/// Lower-case hex of a SHA-256 chaining state, i.e. of its big-endian digest.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
pub(crate) fn hex_state(state: &[u32; 8]) -> [u8; 64] {
    crate::simd::hex32(crate::sha256::state_to_u128s(state))
}

/// Lower-case hex of a SHA-256 chaining state, i.e. of its big-endian digest.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline]
pub(crate) fn hex_state(state: &[u32; 8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (chunk, word) in out.chunks_exact_mut(8).zip(state) {
        chunk.copy_from_slice(&hex_of_u32(*word));
    }
    out
}

/// `0x01` in every byte.
const ONES: u64 = 0x0101_0101_0101_0101;

/// Base64 characters of eight 6-bit values, one per byte of `sextets` (each below 64), by
/// arithmetic alone: no table, no branch, no memory access depends on the values, so secret
/// bytes (the Avanan secret is base64-encoded on every signature) leave no cache or branch
/// trace. Per byte, the character is `v + 65`, `+ 6` from 26 (`a`–`z`), `− 75` from 52
/// (`0`–`9`), `− 15` from 62 (`+`) and `+ 3` at 63 (`/`); `[v ≥ k]` is bit 7 of `v + 128 − k`,
/// which never carries into the next byte.
#[inline(always)]
fn base64_chars(sextets: u64) -> u64 {
    let at_least = |k: u64| ((sextets + (128 - k) * ONES) >> 7) & ONES;
    let up = 65 * ONES + 6 * at_least(26) + 3 * at_least(63);
    let down = 75 * at_least(52) + 15 * at_least(62);
    // Every byte of `sextets + up` is at least its `down` (the result is a character ≥ 43),
    // so the subtraction never borrows across bytes.
    sextets + up - down
}

/// Eight base64 characters of six input bytes (the low 48 bits of `v`, big-endian order),
/// in memory order.
#[inline(always)]
fn base64_of_48_bits(v: u64) -> [u8; 8] {
    let mut sextets = 0u64;
    let mut i = 0;
    while i < 8 {
        sextets |= ((v >> (42 - 6 * i)) & 63) << (8 * i);
        i += 1;
    }
    base64_chars(sextets).to_le_bytes()
}

/// Length of the standard padded base64 of `n` bytes.
#[inline]
pub(crate) const fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// Sixteen base64 characters of twelve input bytes.
#[inline(always)]
fn base64_of_12(g: &[u8; 12]) -> (u64, u64) {
    let lo = u64::from_be_bytes([0, 0, g[0], g[1], g[2], g[3], g[4], g[5]]);
    let hi = u64::from_be_bytes([0, 0, g[6], g[7], g[8], g[9], g[10], g[11]]);
    (
        u64::from_le_bytes(base64_of_48_bits(lo)),
        u64::from_le_bytes(base64_of_48_bits(hi)),
    )
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
use crate::simd::store_u64_pair;

/// Two `u64`s as 16 bytes (the vector path stores them at once, see `crate::simd`).
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn store_u64_pair(piece: &mut [u8; 16], lo: u64, hi: u64) {
    piece[..8].copy_from_slice(&lo.to_le_bytes());
    piece[8..].copy_from_slice(&hi.to_le_bytes());
}

/// Standard padded base64 of `input` into the start of `out`; returns the encoded length.
///
/// `out` must hold [`base64_len`]`(input.len())` bytes; a shorter `out` is filled as far as
/// it goes and the length written is returned (the signers always size it exactly). Output is
/// written in whole 16-byte pieces where it can be, so that a hash reading it right after
/// does not stall on store forwarding.
#[inline]
pub(crate) fn base64_into(input: &[u8], out: &mut [u8]) -> usize {
    let (groups, rest) = input.as_chunks::<12>();
    let (pieces, _) = out.as_chunks_mut::<16>();
    let mut written = 0;
    for (piece, g) in pieces.iter_mut().zip(groups) {
        let (lo, hi) = base64_of_12(g);
        store_u64_pair(piece, lo, hi);
        written += 16;
    }
    if written < groups.len() * 16 {
        return written;
    }
    // 0 to 11 remaining bytes: at most 16 more characters, with padding.
    let mut tail = [0u8; 16];
    let (six, last) = if rest.len() >= 6 {
        rest.split_at(6)
    } else {
        (&[][..], rest)
    };
    let mut n = 0;
    if let [a, b, c, d, e, f] = *six {
        tail[..8].copy_from_slice(&base64_of_48_bits(u64::from_be_bytes([
            0, 0, a, b, c, d, e, f,
        ])));
        n = 8;
    }
    let end_part: [u8; 8] = match *last {
        [] => [0; 8],
        [a] => {
            let [c0, c1] = pair_chars(u32::from(a) << 4);
            [c0, c1, b'=', b'=', 0, 0, 0, 0]
        }
        [a, b] => {
            let v = (u32::from(a) << 10) | (u32::from(b) << 2);
            let [c0, c1] = pair_chars(v >> 6);
            let [c2, _] = pair_chars((v & 0x3f) << 6);
            [c0, c1, c2, b'=', 0, 0, 0, 0]
        }
        [a, b, c] => {
            let x = base64_of_48_bits(u64::from_be_bytes([0, 0, a, b, c, 0, 0, 0]));
            [x[0], x[1], x[2], x[3], 0, 0, 0, 0]
        }
        [a, b, c, d] => {
            let x = base64_of_48_bits(u64::from_be_bytes([0, 0, a, b, c, d, 0, 0]));
            [x[0], x[1], x[2], x[3], x[4], x[5], b'=', b'=']
        }
        [a, b, c, d, e, ..] => {
            let x = base64_of_48_bits(u64::from_be_bytes([0, 0, a, b, c, d, e, 0]));
            [x[0], x[1], x[2], x[3], x[4], x[5], x[6], b'=']
        }
    };
    tail[n..n + 8].copy_from_slice(&end_part);
    let len = base64_len(rest.len());
    if let Some(piece) = pieces.get_mut(written / 16) {
        // Room for a whole piece: one 16-byte store (the bytes after `len` are zero).
        let lo = u64::from_le_bytes([
            tail[0], tail[1], tail[2], tail[3], tail[4], tail[5], tail[6], tail[7],
        ]);
        let hi = u64::from_le_bytes([
            tail[8], tail[9], tail[10], tail[11], tail[12], tail[13], tail[14], tail[15],
        ]);
        store_u64_pair(piece, lo, hi);
        return written + len;
    }
    let end = (written + len).min(out.len());
    out[written..end].copy_from_slice(&tail[..end - written]);
    end
}

/// Two base64 characters of a 12-bit value, first in the low byte (arithmetic, as above).
#[inline(always)]
fn pair_chars(v12: u32) -> [u8; 2] {
    let sextets = u64::from((v12 >> 6) & 63) | (u64::from(v12 & 63) << 8);
    let [c0, c1, ..] = base64_chars(sextets).to_le_bytes();
    [c0, c1]
}

/// Standard padded base64 of a 32-byte digest: 44 characters, then 4 zero bytes (so that
/// the value is three whole 16-byte pieces).
#[inline]
pub(crate) fn base64_32(bytes: &[u8; 32]) -> [u8; 48] {
    let mut out = [0u8; 48];
    base64_into(bytes, &mut out);
    out
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn arithmetic_base64_matches_the_alphabet_for_every_value() {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for v in 0..64u64 {
            let spread = v * ONES;
            let chars = base64_chars(spread).to_le_bytes();
            assert!(chars.iter().all(|c| *c == alphabet[v as usize]), "{v}");
        }
        for v12 in 0..4096u32 {
            let [c0, c1] = pair_chars(v12);
            assert_eq!(
                (c0, c1),
                (alphabet[(v12 >> 6) as usize], alphabet[(v12 & 63) as usize])
            );
        }
    }

    #[test]
    fn the_encoders_hold_no_lookup_table() {
        // Secret bytes go through these encoders: a table indexed by them would leak through
        // the cache. Keep them arithmetic (see the crate docs).
        let source = include_str!("encode.rs");
        let code = source.split("#[cfg(test)]").next().unwrap_or(source);
        assert!(!code.contains("static "), "a static table in encode.rs");
        assert!(
            !code.contains("ALPHABET["),
            "an alphabet lookup in encode.rs"
        );
    }

    #[test]
    fn hex_matches_hex_crate() {
        let bytes: [u8; 32] = core::array::from_fn(|i| (i * 37 + 11) as u8);
        let words: [u32; 8] = core::array::from_fn(|i| {
            u32::from_be_bytes([
                bytes[4 * i],
                bytes[4 * i + 1],
                bytes[4 * i + 2],
                bytes[4 * i + 3],
            ])
        });
        assert_eq!(hex_state(&words).as_slice(), hex::encode(bytes).as_bytes());
        for v in [
            0u32,
            9,
            10,
            15,
            0x0909_0909,
            0xaaaa_aaaa,
            0xffff_ffff,
            0x1234_abcd,
        ] {
            assert_eq!(hex_of_u32(v).as_slice(), std::format!("{v:08x}").as_bytes());
        }
    }

    #[test]
    fn base64_matches_base64_crate_for_every_length() {
        use base64::Engine as _;
        let standard = base64::engine::general_purpose::STANDARD;
        let bytes: [u8; 200] = core::array::from_fn(|i| (i * 91 + 5) as u8);
        let b32: [u8; 32] = core::array::from_fn(|i| bytes[i]);
        assert_eq!(&base64_32(&b32)[..44], standard.encode(b32).as_bytes());
        assert_eq!(base64_32(&b32)[44..], [0; 4]);
        for len in 0..=200 {
            let mut out = [0u8; 272];
            let n = base64_into(&bytes[..len], &mut out);
            assert_eq!(n, base64_len(len));
            assert_eq!(
                &out[..n],
                standard.encode(&bytes[..len]).as_bytes(),
                "len {len}"
            );
        }
        // A short output buffer is filled as far as it goes, never overrun.
        let mut short = [0u8; 10];
        assert!(base64_into(&bytes[..30], &mut short) <= 10);
    }
}
