//! Hex and base64 encoders into fixed-size stack buffers.
//!
//! Both are written here rather than taken from the `hex` and `base64` crates because, at the
//! sizes signed here (32-byte digests, 100-byte Avanan messages), those crates' per-call
//! length checks and loops cost about as much as a SHA-256 compression (figures in
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

/// Lower-case hex of a SHA-256 chaining state, i.e. of its big-endian digest, in general
/// registers: the form for targets without the 16-byte vector path.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline]
pub(crate) fn hex_state_portable(state: &[u32; 8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (chunk, word) in out.chunks_exact_mut(8).zip(state) {
        chunk.copy_from_slice(&hex_of_u32(*word));
    }
    out
}

/// `0x01` in every byte.
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "sse2", not(test)),
    allow(dead_code)
)]
const ONES: u64 = 0x0101_0101_0101_0101;

/// Base64 characters of eight 6-bit values, one per byte of `sextets` (each below 64), by
/// arithmetic alone: no table, no branch, no memory access depends on the values, so secret
/// bytes (the Avanan secret is base64-encoded on every signature) leave no cache or branch
/// trace. Per byte, the character is `v + 65`, `+ 6` from 26 (`a`–`z`), `− 75` from 52
/// (`0`–`9`), `− 15` from 62 (`+`) and `+ 3` at 63 (`/`); `[v ≥ k]` is bit 7 of `v + 128 − k`,
/// which never carries into the next byte.
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "sse2", not(test)),
    allow(dead_code)
)]
#[inline(always)]
fn base64_chars(sextets: u64) -> u64 {
    let at_least = |k: u64| ((sextets + (128 - k) * ONES) >> 7) & ONES;
    let up = 65 * ONES + 6 * at_least(26) + 3 * at_least(63);
    let down = 75 * at_least(52) + 15 * at_least(62);
    // Every byte of `sextets + up` is at least its `down` (the result is a character ≥ 43),
    // so the subtraction never borrows across bytes.
    sextets + up - down
}

/// The four 6-bit values of a 24-bit group (`b0 << 16 | b1 << 8 | b2`), one per byte in
/// memory order (little-endian): the first character's value in the low byte.
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "sse2", not(test)),
    allow(dead_code)
)]
#[inline(always)]
const fn spread_group(g: u32) -> u32 {
    ((g >> 18) & 0x3f) | ((g >> 4) & 0x3f00) | ((g << 10) & 0x3f_0000) | ((g << 24) & 0x3f00_0000)
}

/// Sixteen base64 characters of four 24-bit groups, then `(chars & keep) | fill` (how a
/// last, partial piece gets its `=` padding and zeros), in general registers: the form used
/// where there is no vector unit, and the model the vector form is tested against.
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "sse2", not(test)),
    allow(dead_code)
)]
#[inline(always)]
pub(crate) fn base64_piece_portable(groups: [u32; 4], keep: u128, fill: u128) -> [u8; 16] {
    let half = |a: u32, b: u32| {
        base64_chars(u64::from(spread_group(a)) | (u64::from(spread_group(b)) << 32))
    };
    let chars =
        u128::from(half(groups[0], groups[1])) | (u128::from(half(groups[2], groups[3])) << 64);
    ((chars & keep) | fill).to_le_bytes()
}

/// Sixteen base64 characters of four 24-bit groups, then `(chars & keep) | fill`: SSE2
/// compares and adds on x86-64, general registers elsewhere.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) use crate::simd::base64_piece;
use crate::tail::tail_masks;

/// Sixteen base64 characters of four 24-bit groups, then `(chars & keep) | fill`: SSE2
/// compares and adds on x86-64, general registers elsewhere.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(crate) use base64_piece_portable as base64_piece;

/// The four 24-bit groups of the twelve input bytes held little-endian in the low 96 bits of
/// `bytes` (the first byte lowest).
#[inline(always)]
pub(crate) fn groups_of_12(bytes: u128) -> [u32; 4] {
    let a = (bytes as u64).swap_bytes();
    let c = ((bytes >> 64) as u32).swap_bytes();
    [
        (a >> 40) as u32,
        ((a >> 16) & 0xff_ffff) as u32,
        (((a & 0xffff) << 8) as u32) | (c >> 24),
        c & 0xff_ffff,
    ]
}

/// Standard padded base64 of the digest of a SHA-256 chaining state (its big-endian words):
/// 44 characters, then 4 zero bytes (so that the value is three whole 16-byte pieces). The
/// groups are cut from the words in general registers; the digest never goes through memory.
#[inline(always)]
pub(crate) fn base64_state_from_groups(w: &[u32; 8]) -> [u8; 48] {
    // Three words are four groups; the last piece takes words 6 and 7 and a zero word, whose
    // characters the tail masks replace with one `=` and zeros.
    let groups = |a: u32, b: u32, c: u32| {
        [
            a >> 8,
            ((a & 0xff) << 16) | (b >> 16),
            ((b & 0xffff) << 8) | (c >> 24),
            c & 0xff_ffff,
        ]
    };
    let (keep, fill) = tail_masks(8);
    let out = [
        base64_piece(groups(w[0], w[1], w[2]), u128::MAX, 0),
        base64_piece(groups(w[3], w[4], w[5]), u128::MAX, 0),
        base64_piece(groups(w[6], w[7], 0), keep, fill),
    ];
    let mut flat = [0u8; 48];
    for (dst, src) in flat.chunks_exact_mut(16).zip(&out) {
        dst.copy_from_slice(src);
    }
    flat
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::borrow::ToOwned as _;
    use std::format;
    use std::string::String;
    use std::vec::Vec;

    #[test]
    fn arithmetic_base64_matches_the_alphabet_for_every_value() {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for v in 0..64u64 {
            let spread = v * ONES;
            let chars = base64_chars(spread).to_le_bytes();
            assert!(chars.iter().all(|c| *c == alphabet[v as usize]), "{v}");
        }
        for g in (0..1u32 << 24)
            .step_by(4093)
            .chain([0xff_ffff, 0xfc_0000, 0x3f])
        {
            let piece = base64_piece(
                [g, g ^ 0xff_ffff, g.rotate_left(7) & 0xff_ffff, 0],
                u128::MAX,
                0,
            );
            for (k, group) in piece.chunks(4).take(3).enumerate() {
                let v = [g, g ^ 0xff_ffff, g.rotate_left(7) & 0xff_ffff][k];
                let expected: [u8; 4] =
                    core::array::from_fn(|i| alphabet[((v >> (18 - 6 * i)) & 63) as usize]);
                assert_eq!(group, expected, "{g:#x}");
            }
            assert_eq!(&piece[12..], b"AAAA");
        }
    }

    #[test]
    fn vector_and_portable_pieces_agree() {
        // The vector form (x86-64) and the portable one (every other target) must give the
        // same characters, padding and zeros.
        let mut g = 0x9e37_79b9u32;
        for i in 0..20_000u32 {
            g = g.wrapping_mul(0x0101_0101).wrapping_add(i) ^ (g >> 7);
            let groups = [
                g & 0xff_ffff,
                (g >> 8) & 0xff_ffff,
                g.rotate_left(13) & 0xff_ffff,
                i & 0xff_ffff,
            ];
            let (keep, fill) = tail_masks((i % 13) as usize);
            assert_eq!(
                base64_piece(groups, keep, fill),
                base64_piece_portable(groups, keep, fill)
            );
            assert_eq!(
                base64_piece(groups, u128::MAX, 0),
                base64_piece_portable(groups, u128::MAX, 0)
            );
        }
    }

    /// What in `source` (non-test code) could be a lookup table indexed by data: a `static`,
    /// a named `const` array, slice or string that is indexed (`NAME[`, `NAME.get(`), or a
    /// string or byte-string literal indexed in place (`"…"[i]`). Constant arrays that only
    /// go into a register whole (shuffle controls) are not tables.
    fn table_lookups(source: &str) -> Vec<String> {
        let code = source.split("#[cfg(test)]").next().unwrap_or(source);
        let mut found = Vec::new();
        if code.contains("static ") {
            found.push("a static item".to_owned());
        }
        for line in code.lines() {
            let line = line.trim_start();
            let Some(rest) = line
                .strip_prefix("pub(crate) const ")
                .or_else(|| line.strip_prefix("pub const "))
                .or_else(|| line.strip_prefix("const "))
            else {
                continue;
            };
            if rest.starts_with("fn ") {
                continue;
            }
            let Some((name, ty)) = rest.split_once(':') else {
                continue;
            };
            let ty = ty.trim_start();
            let table_like = ty.starts_with('[')
                || ty.starts_with("&[")
                || ty.starts_with("&str")
                || ty.starts_with("&'static");
            let name = name.trim();
            if table_like
                && (code.contains(&format!("{name}[")) || code.contains(&format!("{name}.get(")))
            {
                found.push(format!("the constant {name}, indexed"));
            }
        }
        if code.contains("\"[") {
            found.push("a literal indexed in place".to_owned());
        }
        found
    }

    #[test]
    fn the_encoders_hold_no_lookup_table() {
        // Secret bytes go through these encoders: a table indexed by them would leak through
        // the cache. Keep them arithmetic (see the crate docs).
        for (file, source) in [
            ("encode.rs", include_str!("encode.rs")),
            ("simd.rs", include_str!("simd.rs")),
            ("dispatch.rs", include_str!("dispatch.rs")),
            ("tail.rs", include_str!("tail.rs")),
            ("regroup.rs", include_str!("regroup.rs")),
            ("base64_parts.rs", include_str!("base64_parts.rs")),
        ] {
            let found = table_lookups(source);
            assert!(found.is_empty(), "{file}: {found:?}");
        }
        // The check itself finds the tables it is there to find.
        for table in [
            "const ALPHABET: [u8; 64] = [0; 64];\nfn f(i: usize) -> u8 { ALPHABET[i] }",
            "const DIGITS: &[u8] = b\"0123456789abcdef\";\nfn f(i: usize) -> u8 { DIGITS[i] }",
            "pub(crate) const T: &str = \"ab\";\nfn f(i: usize) -> u8 { T.get(i) }",
            "fn f(i: usize) -> u8 { b\"0123456789abcdef\"[i] }",
            "static T: [u8; 2] = [1, 2];",
        ] {
            assert!(!table_lookups(table).is_empty(), "{table}");
        }
        // A constant that only goes into a register whole is not a table.
        assert!(
            table_lookups("const SWAP: [u8; 16] = [0; 16];\nlet v = m128i::from(SWAP);").is_empty()
        );
    }
}
