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
//! **Secret bytes only go through constant-time code.** No table lookup, branch or memory
//! address depends on a secret byte anywhere on the signing path: the ADVANCE secret is copied
//! into the message block and hashed; the AET key is XORed with the HMAC pads and hashed; the
//! Avanan secret, which is base64-encoded on every signature, goes through an encoder that
//! works by arithmetic alone: each 24-bit group is spread to four 6-bit values by fixed
//! shifts and masks, and each value becomes its character by byte-wise compares and adds
//! (`simd::base64_piece`, sixteen characters per 16-byte vector on x86-64;
//! `encode::base64_piece_portable` elsewhere, comparisons done as carry bits in a `u64`); no
//! alphabet table exists. A build with SSSE3 enabled (`-C target-cpu=x86-64-v2` or `native`)
//! lays the 3-byte groups out with a byte shuffle whose control is a constant and splits them
//! with two 16-bit multiplies (`simd::shuffled::base64_12`), then maps values to characters by
//! the same compares and adds. The only shuffle indexed by data, the hex digit lookup, sees
//! nibbles of a digest (public output) and is a register permutation, not a memory access.
//! SHA-256 itself has no data-dependent branches or lookups. Only
//! lengths (public) choose code paths. This is kept reviewable by keeping every encoder in
//! `encode.rs` and `simd.rs` table-free, and tested: the encoder matches the `base64` crate for
//! every length, every 6-bit value maps to its alphabet character, the vector and portable
//! forms agree (and, in an SSSE3 build, the shuffle and SSE2 forms; CI runs that build), and a
//! test fails if a lookup table appears in `encode.rs` or `simd.rs` (a `static`, an indexed
//! `const` array, slice or string, or a literal indexed in place).
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
mod dispatch;
mod encode;
mod output;
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

/// The crate's README, whose examples compile (and, where they need no network, run) as doc
/// tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
