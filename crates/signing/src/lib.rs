//! Allocation-free signers and constant-time verifiers for three vendor APIs:
//!
//! * [`advance`]: ADVANCE.AI token authentication, `hex(SHA-256(accessKey ‖ secretKey ‖ timestamp))`;
//! * [`aet`]: AET requests, `base64(HMAC-SHA256(secret, timestamp ‖ METHOD ‖ requestPath ‖ body))`;
//! * [`avanan`]: Avanan `x-av-sig`, `hex(SHA-256(base64(reqId ‖ appId ‖ date ‖ [requestString] ‖ secret)))`.
//!
//! The crate is `#![no_std]`, needs no allocator, and never reads a clock or a random
//! source: timestamps, dates and request ids are passed in. Signatures are fixed-size stack
//! values ([`HexSignature`], [`Base64Signature`]) that display as the text to send.
//! Secrets are [`SecretKey`]s: redacted in `Debug`, zeroed on drop; signers that precompute
//! secret-derived state redact and wipe it too. Verification compares in constant time, and
//! a malformed received value is simply a [`SignatureMismatch`].
//!
//! **Which instructions.** On x86-64 the encoders are chosen at run time: a CPU with the
//! x86-64-v2 instructions (SSSE3 among them; found once through `pulp`, whose `V2` token proves
//! it) runs the whole signature with them enabled and gets the byte-shuffle encoders; any other
//! x86-64 CPU gets the SSE2 forms, every other target the general-register forms. All give the
//! same bytes (tested, each form against the `base64` and `hex` crates). No `unsafe` here.
//!
//! **Secret bytes only go through constant-time code.** No table lookup in memory, branch or
//! memory address depends on a secret byte anywhere on the signing path: the ADVANCE secret is
//! copied into the message block and hashed; the AET key is XORed with the HMAC pads and hashed;
//! the Avanan secret, which is base64-encoded on every signature, is read where it lies and
//! regrouped into 12-byte groups by shifts and ORs in registers (`regroup.rs`: the loads'
//! addresses depend on lengths only), then goes through the base64 of message bytes, which
//! works by arithmetic and register permutations alone: 3-byte groups are spread to 6-bit
//! values by fixed shifts and masks (SSE2, general registers) or by a byte shuffle with a
//! constant control and two 16-bit multiplies (SSSE3), and each value becomes its character by
//! byte-wise compares and adds (SSE2; carry bits in a `u64` elsewhere) or by a shuffle of a
//! 16-byte offset table held in a register (SSSE3), which touches no memory. No alphabet table
//! exists. The other encoders, hex (ADVANCE, Avanan) and the base64 of AET's MAC, only see a
//! finished digest: the signature, which is public. A test records what each encoder is given
//! while each signer runs and fails if a secret reaches any but the base64 of message bytes
//! (`dispatch.rs`); another fails if a lookup table appears in `encode.rs`, `simd.rs`,
//! `dispatch.rs`, `tail.rs`, `regroup.rs` or `base64_parts.rs` (a `static`, an indexed `const`
//! array, slice or string, or a literal indexed in place). SHA-256 itself has no
//! data-dependent branches or lookups; only lengths (public) choose code paths.
//!
//! ```
//! use sigil_signing::{SecretKey, TimestampMillis, advance};
//! let sig = advance::sign(
//!     "sampleaccesskey",
//!     &SecretKey::new(b"samplesecretkey")?,
//!     TimestampMillis::new(1_665_993_522_952)?,
//! );
//! assert_eq!(sig.to_string(), "02209bbeaf0d0a3dd587f6a1ba22f84c98d142e3b545e77db7e4906ca56349f5");
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "std")]
extern crate std;

pub mod advance;
pub mod aet;
pub mod avanan;
mod base64_parts;
mod dispatch;
mod encode;
mod output;
mod regroup;
mod secret;
mod sha256;
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod simd;
mod tail;
mod timestamp;
mod verify;

pub use output::{Base64Signature, HexSignature};
pub use secret::{MAX_SECRET_LEN, SecretKey, SecretKeyError};
pub use timestamp::{TimestampError, TimestampMillis};
pub use verify::SignatureMismatch;

/// The signers' last steps on a given SHA-256 state, for the floors of `sigil-benches`
/// (the feature `bench-internals`): not part of the API, no stability promise.
#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod bench_internals {
    use crate::{Base64Signature, HexSignature};

    /// The hex signature of a SHA-256 chaining state (ADVANCE's and Avanan's last step).
    #[inline]
    pub fn hex_signature(state: &[u32; 8]) -> HexSignature {
        HexSignature::of_state(state)
    }

    /// HMAC's outer hash from `outer` over `inner`'s digest, base64 (AET's last step).
    #[inline]
    pub fn hmac_outer_base64(outer: &[u32; 8], inner: &[u32; 8]) -> Base64Signature {
        crate::aet::finish_hmac_dispatched(outer, inner)
    }

    #[cfg(test)]
    mod tests {
        extern crate std;
        use super::*;
        use crate::sha256::{BLOCK, Sha256Stream};

        #[test]
        fn the_last_steps_give_the_hex_digest_and_the_hmac() {
            use base64::Engine as _;
            use hmac::{KeyInit as _, Mac as _};
            let message = b"1795458295940GETv3/users";
            let mut plain = Sha256Stream::new();
            plain.update(message);
            assert_eq!(
                hex_signature(&plain.finalize_state()).as_str(),
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(message))
            );
            let key = [0x0bu8; BLOCK];
            let keyed = |pad: u8| {
                let mut stream = Sha256Stream::new();
                stream.update_block(&key.map(|k| k ^ pad));
                stream
            };
            let mut inner = keyed(0x36);
            inner.update(message);
            let outer = keyed(0x5c).state();
            let mut mac =
                hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap_or_else(|_| unreachable!());
            mac.update(message);
            assert_eq!(
                hmac_outer_base64(&outer, &inner.finalize_state()).as_str(),
                base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
            );
        }
    }
}

/// What the unit tests of several modules share.
#[cfg(test)]
mod test_support {
    /// Pseudo-random cut points (xorshift64 from `seed`): each call gives a number from 0 to
    /// `bound` inclusive, for tests that cut messages into parts at varied places.
    pub(crate) fn cut_points(mut seed: u64) -> impl FnMut(usize) -> usize {
        move |bound| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % (bound as u64 + 1)) as usize
        }
    }
}

/// The crate's README, whose examples compile (and, where they need no network, run) as doc
/// tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
