//! Which encoders a signature runs with, chosen at run time.
//!
//! On x86-64 the baseline is SSE2; a CPU with the x86-64-v2 instructions (SSSE3 among them,
//! found once by `pulp` and remembered) gets the byte-shuffle encoders, and the whole signature
//! (layout, encoding and the calls to the compression) runs inside `pulp::x86::V2::vectorize`,
//! compiled with those instructions enabled. Elsewhere the general-register forms run. The
//! choice never depends on data, and every form gives the same bytes (tested below and in
//! `encode.rs`).

use crate::encode;
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
use crate::simd;

/// The output steps a signature needs, in one instruction set.
pub(crate) trait Encoders: Copy {
    /// Sixteen base64 characters of twelve input bytes (the low 96 bits of `bytes`,
    /// little-endian: the first byte lowest), then `(chars & keep) | fill` (how a last,
    /// partial piece gets its `=` padding and zeros).
    fn base64_12(self, bytes: u128, keep: u128, fill: u128) -> [u8; 16];

    /// Standard padded base64 of the digest of a SHA-256 chaining state: 44 characters, then
    /// four zero bytes.
    fn base64_state(self, state: &[u32; 8]) -> [u8; 48];

    /// Lower-case hex of the digest of a SHA-256 chaining state.
    fn hex_state(self, state: &[u32; 8]) -> [u8; 64];
}

/// Work that runs with whichever [`Encoders`] the CPU allows: a signature.
pub(crate) trait WithEncoders {
    /// What the work gives.
    type Output;

    /// Runs the work with `encoders`.
    fn run<E: Encoders>(self, encoders: E) -> Self::Output;
}

/// Runs `work` with the best encoders this CPU has.
#[inline(always)]
pub(crate) fn run<W: WithEncoders>(work: W) -> W::Output {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    return match pulp::x86::V2::try_new() {
        Some(v2) => v2.vectorize(WithSsse3 { work, v2 }),
        None => work.run(Sse2),
    };
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    return work.run(Portable);
}

/// `work` to run inside `V2::vectorize`, where it is compiled with SSSE3 enabled.
///
/// A struct rather than a closure so that the call is `#[inline(always)]`: a closure is
/// inlined at LLVM's discretion, and once the work grew past its threshold it was left out of
/// line, compiled without SSSE3, and every byte shuffle became a function call.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
struct WithSsse3<W> {
    work: W,
    v2: pulp::x86::V2,
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
impl<W: WithEncoders> pulp::NullaryFnOnce for WithSsse3<W> {
    type Output = W::Output;

    #[inline(always)]
    fn call(self) -> W::Output {
        self.work.run(Ssse3(simd::shuffled::Shuffles::new(self.v2)))
    }
}

/// The x86-64 baseline: SSE2 compares and adds.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[derive(Clone, Copy)]
pub(crate) struct Sse2;

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
impl Encoders for Sse2 {
    #[inline(always)]
    fn base64_12(self, bytes: u128, keep: u128, fill: u128) -> [u8; 16] {
        simd::base64_piece(encode::groups_of_12(bytes), keep, fill)
    }

    #[inline(always)]
    fn base64_state(self, state: &[u32; 8]) -> [u8; 48] {
        encode::base64_state_from_groups(state)
    }

    #[inline(always)]
    fn hex_state(self, state: &[u32; 8]) -> [u8; 64] {
        simd::hex_state(state)
    }
}

/// SSSE3 byte shuffles (with the rest of x86-64-v2), present on this CPU: the token is the
/// proof.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[derive(Clone, Copy)]
pub(crate) struct Ssse3(simd::shuffled::Shuffles);

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
impl Ssse3 {
    /// The SSSE3 encoders, if this CPU has them.
    #[cfg(test)]
    pub(crate) fn detect() -> Option<Self> {
        pulp::x86::V2::try_new().map(|v2| Self(simd::shuffled::Shuffles::new(v2)))
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
impl Encoders for Ssse3 {
    #[inline(always)]
    fn base64_12(self, bytes: u128, keep: u128, fill: u128) -> [u8; 16] {
        simd::shuffled::base64_12(self.0, bytes, keep, fill)
    }

    #[inline(always)]
    fn base64_state(self, state: &[u32; 8]) -> [u8; 48] {
        simd::shuffled::base64_state(self.0, state)
    }

    #[inline(always)]
    fn hex_state(self, state: &[u32; 8]) -> [u8; 64] {
        simd::shuffled::hex_state(self.0, state)
    }
}

/// General registers only: every target without the x86-64 vector path.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[derive(Clone, Copy)]
pub(crate) struct Portable;

impl Encoders for Portable {
    #[inline(always)]
    fn base64_12(self, bytes: u128, keep: u128, fill: u128) -> [u8; 16] {
        encode::base64_piece_portable(encode::groups_of_12(bytes), keep, fill)
    }

    #[inline(always)]
    fn base64_state(self, state: &[u32; 8]) -> [u8; 48] {
        encode::base64_state_from_groups(state)
    }

    #[inline(always)]
    fn hex_state(self, state: &[u32; 8]) -> [u8; 64] {
        encode::hex_state_portable(state)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::cell::RefCell;
    use std::vec::Vec;

    use crate::advance::AdvanceSigner;
    use crate::aet::{AetBody, AetRequest, AetRequestPath, AetSigner, QueryPolicy};
    use crate::{SecretKey, TimestampMillis};

    /// Runs `check` with every form this CPU can run, named.
    fn every_form(
        mut check: impl FnMut(
            &str,
            &dyn Fn(&[u32; 8]) -> ([u8; 48], [u8; 64]),
            &dyn Fn(&[&[u8]]) -> Vec<u8>,
        ),
    ) {
        fn run_form<E: Encoders>(
            name: &str,
            encoders: E,
            check: &mut impl FnMut(
                &str,
                &dyn Fn(&[u32; 8]) -> ([u8; 48], [u8; 64]),
                &dyn Fn(&[&[u8]]) -> Vec<u8>,
            ),
        ) {
            check(
                name,
                &|state| (encoders.base64_state(state), encoders.hex_state(state)),
                &|parts| base64_of_parts(encoders, parts),
            );
        }
        run_form("portable", Portable, &mut check);
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        {
            run_form("sse2", Sse2, &mut check);
            match Ssse3::detect() {
                Some(ssse3) => run_form("ssse3", ssse3, &mut check),
                None => std::eprintln!("this CPU has no SSSE3: its encoders are not tested here"),
            }
        }
    }

    /// The base64 text of `parts` run together, by [`crate::base64_parts::Base64Parts`].
    fn base64_of_parts<E: Encoders>(encoders: E, parts: &[&[u8]]) -> Vec<u8> {
        let mut text = crate::base64_parts::Base64Parts::new(encoders);
        let mut out = Vec::new();
        for part in parts {
            text.update(part, |piece| out.extend_from_slice(&piece));
        }
        let len = out.len() + text.tail_len();
        // What `fill` adds goes after the characters, over the zeros.
        let fill = match text.tail_len() {
            16 => 0,
            n => u128::from(b'#') << (8 * n),
        };
        let last = text.finish(fill);
        out.extend_from_slice(&last);
        if text.tail_len() < 16 {
            assert_eq!(out[len], b'#');
            assert!(out[len + 1..].iter().all(|b| *b == 0), "{out:?}");
        }
        out.truncate(len);
        out
    }

    fn words_of(bytes: &[u8; 32]) -> [u32; 8] {
        core::array::from_fn(|i| {
            u32::from_be_bytes([
                bytes[4 * i],
                bytes[4 * i + 1],
                bytes[4 * i + 2],
                bytes[4 * i + 3],
            ])
        })
    }

    #[test]
    fn every_form_matches_the_base64_and_hex_crates() {
        use base64::Engine as _;
        let standard = base64::engine::general_purpose::STANDARD;
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        };
        let mut digests: Vec<[u8; 32]> = (0..2_000)
            .map(|_| core::array::from_fn(|_| next()))
            .collect();
        digests.extend([[0; 32], [0xff; 32], [0x0f; 32], [0xf0; 32]]);
        let input: Vec<u8> = (0..300).map(|_| next()).collect();
        every_form(|name, state_encoders, base64_of_parts| {
            for digest in &digests {
                let (b64, hex) = state_encoders(&words_of(digest));
                assert_eq!(&b64[..44], standard.encode(digest).as_bytes(), "{name}");
                assert_eq!(b64[44..], [0; 4], "{name}");
                assert_eq!(&hex[..], hex::encode(digest).as_bytes(), "{name}");
            }
            for len in 0..=input.len() {
                let expected = standard.encode(&input[..len]);
                // Whole, and cut in three at places that move with the length (every
                // carry from 0 to 11 bytes meets parts shorter and longer than a group).
                let (a, b) = (len / 3 + len % 5, len / 2 + len % 13);
                let (a, b) = (a.min(len), b.min(len).max(a.min(len)));
                for parts in [
                    &[&input[..len]][..],
                    &[&input[..a], &input[a..b], &input[b..len]][..],
                ] {
                    assert_eq!(
                        base64_of_parts(parts),
                        expected.as_bytes(),
                        "{name} {len} {a} {b}"
                    );
                }
            }
        });
    }

    /// Which encoder sees which bytes, recorded while each signer runs.
    #[derive(Default)]
    struct Seen {
        /// Every input of `base64_12`: the only encoder that is given message bytes.
        base64_input: Vec<u8>,
        /// Every state given to `base64_state` or `hex_state`.
        states: Vec<[u32; 8]>,
    }

    /// The portable encoders, recording what they are given.
    #[derive(Clone, Copy)]
    struct Recording<'a>(&'a RefCell<Seen>);

    impl Encoders for Recording<'_> {
        fn base64_12(self, bytes: u128, keep: u128, fill: u128) -> [u8; 16] {
            self.0
                .borrow_mut()
                .base64_input
                .extend_from_slice(&bytes.to_le_bytes()[..12]);
            Portable.base64_12(bytes, keep, fill)
        }
        fn base64_state(self, state: &[u32; 8]) -> [u8; 48] {
            self.0.borrow_mut().states.push(*state);
            Portable.base64_state(state)
        }
        fn hex_state(self, state: &[u32; 8]) -> [u8; 64] {
            self.0.borrow_mut().states.push(*state);
            Portable.hex_state(state)
        }
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// The constant-time split: the state encoders (hex, base64 of a digest) see only the
    /// finished digest, which is the signature itself (public); the Avanan secret goes
    /// through `base64_12` and nothing else, which is why that encoder is branch- and
    /// table-free in every form (`encode.rs`'s table test covers the files).
    #[test]
    fn only_base64_of_message_bytes_sees_a_secret() {
        let secret_text = b"s3cr3t-avanan-key";
        let secret = SecretKey::new(secret_text).unwrap_or_else(|_| unreachable!());
        let timestamp = TimestampMillis::new(1_795_458_295_940).unwrap_or_else(|_| unreachable!());

        // Avanan: the secret reaches base64_12; the hex sees only the final state.
        for path_len in [0, 17, 200] {
            let path: std::string::String =
                "/v1.0/event/query".chars().cycle().take(path_len).collect();
            let seen = RefCell::new(Seen::default());
            let parts = [
                &b"5b0fd3c0-8a3a-4f7e-9d61-0a8c4cf8c0f3"[..],
                b"US:myapp29",
                b"2026-11-23T18:24:55.940446",
                path.as_bytes(),
                secret.expose_secret(),
            ];
            let sig = crate::avanan::sign_parts(Recording(&seen), parts);
            let seen = seen.into_inner();
            assert!(contains(&seen.base64_input, secret_text), "{path_len}");
            assert_eq!(seen.states.len(), 1);
            assert_eq!(&Portable.hex_state(&seen.states[0])[..], sig.as_bytes());
        }

        // AET: no encoder sees the key or the message; the base64 is of the MAC sent.
        let seen = RefCell::new(Seen::default());
        let signer = AetSigner::new(&secret);
        let request = AetRequest {
            timestamp,
            method: "POST",
            path: AetRequestPath::new("/v3/users", QueryPolicy::Exclude),
            body: AetBody::Bytes(b"{\"name\":\"Ada\"}"),
        };
        let sig = signer.sign_with(Recording(&seen), &request);
        let seen = seen.into_inner();
        assert!(seen.base64_input.is_empty());
        assert_eq!(seen.states.len(), 1);
        assert_eq!(
            &Portable.base64_state(&seen.states[0])[..44],
            sig.as_bytes()
        );

        // ADVANCE: the hex is of the signature's own digest.
        let seen = RefCell::new(Seen::default());
        let signer = AdvanceSigner::new("sampleaccesskey", &secret);
        let sig = signer.sign_with(Recording(&seen), timestamp);
        let seen = seen.into_inner();
        assert!(seen.base64_input.is_empty());
        assert_eq!(seen.states.len(), 1);
        assert_eq!(&Portable.hex_state(&seen.states[0])[..], sig.as_bytes());
    }

    #[test]
    fn the_dispatched_signers_agree_with_each_form() {
        let secret = SecretKey::new(b"aet-sample-secret").unwrap_or_else(|_| unreachable!());
        let timestamp = TimestampMillis::new(1_795_458_295_940).unwrap_or_else(|_| unreachable!());
        let aet = AetSigner::new(&secret);
        let request = AetRequest {
            timestamp,
            method: "GET",
            path: AetRequestPath::new("/v3/users", QueryPolicy::Exclude),
            body: AetBody::None,
        };
        let advance = AdvanceSigner::new("sampleaccesskey", &secret);
        let parts = [
            &b"id"[..],
            b"US:app",
            b"2026-11-23T18:24:55.940446",
            b"/v1.0/scopes",
            b"k",
        ];
        let expected = (
            aet.sign_with(Portable, &request),
            advance.sign_with(Portable, timestamp),
            crate::avanan::sign_parts(Portable, parts),
        );
        assert_eq!(aet.sign(&request), expected.0);
        assert_eq!(advance.sign(timestamp), expected.1);
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        {
            assert_eq!(aet.sign_with(Sse2, &request), expected.0);
            assert_eq!(crate::avanan::sign_parts(Sse2, parts), expected.2);
            if let Some(ssse3) = Ssse3::detect() {
                assert_eq!(aet.sign_with(ssse3, &request), expected.0);
                assert_eq!(advance.sign_with(ssse3, timestamp), expected.1);
                assert_eq!(crate::avanan::sign_parts(ssse3, parts), expected.2);
            }
        }
    }
}
