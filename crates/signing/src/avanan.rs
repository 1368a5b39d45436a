//! Avanan (Check Point HEC) `x-av-sig`.
//!
//! * `/v1.0/auth`: `hex(SHA-256(base64(x-av-req-id ‖ x-av-app-id ‖ x-av-date ‖ secret)))`.
//! * every later request: `hex(SHA-256(base64(x-av-req-id ‖ x-av-app-id ‖ x-av-date ‖
//!   request_string ‖ secret)))`, where `request_string` is the path as sent on the wire
//!   (percent-encoded, starting at `/v1.0/`) plus `?query` when there is one. The body is not
//!   signed.
//!
//! The date is signed exactly as sent in `x-av-date`; this crate never formats or reads time.
//! The base64 text goes straight into padded SHA-256 blocks, encoded from the parts where
//! they lie, with no copy of the message: the first block is hashed as soon as its text is
//! whole, and a message of up to 144 input bytes (the usual one: a UUID, an app id, a date, a
//! short path, the secret) is done with one more call; a longer one goes three blocks of text
//! at a time, so memory stays fixed whatever the length.
//!
//! ```
//! use sigil_signing::{SecretKey, avanan::AvananSigner};
//! // The published example (its secret is `my_avanan_secret`, see the errata).
//! let signer = AvananSigner::new(&SecretKey::new(b"my_avanan_secret")?);
//! let sig = signer.sign_auth("d290f1ee-6c54-4b01-90e6", "US:myapp29", "2021-04-10T00:00:00.000Z");
//! assert_eq!(sig.as_str(), "2462b23346ab0642b65d7d094aca5fb4c29fd96d0468deceae2704d258e81497");
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

use core::fmt;

use crate::base64_parts::Base64Parts;
use crate::dispatch::{self, Encoders, WithEncoders};
use crate::sha256::{
    AlignedBlocks, BLOCK, IV, PIECES_PER_BLOCK, WholeStores, end_in_pieces,
    hash_first_block_when_whole, hash_the_rest,
};
use crate::{HexSignature, SecretKey, SignatureMismatch};

/// The signed request of an Avanan call: `/auth` or a later request with its request string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvananRequest<'a> {
    /// `GET /v1.0/auth`: no request string is signed.
    Auth,
    /// Any later call: the path as sent (percent-encoded) plus `?query` when present.
    Request {
        /// The request string, e.g. `/v1.0/event/query` or `/v1.0/search?x=1`.
        request_string: &'a str,
    },
}

/// Signs Avanan requests with one secret key. The key is wiped on drop and never printed.
#[derive(Clone)]
pub struct AvananSigner {
    secret: SecretKey,
}

impl AvananSigner {
    /// A signer holding a copy of `secret` (like `AdvanceSigner::new` and `AetSigner::new`,
    /// it borrows the key).
    pub fn new(secret: &SecretKey) -> Self {
        Self {
            secret: secret.clone(),
        }
    }

    /// The `x-av-sig` of one request.
    #[inline]
    pub fn sign(
        &self,
        req_id: &str,
        app_id: &str,
        date: &str,
        request: AvananRequest<'_>,
    ) -> HexSignature {
        sign(&self.secret, req_id, app_id, date, request)
    }

    /// The `x-av-sig` of `GET /v1.0/auth`.
    #[inline]
    pub fn sign_auth(&self, req_id: &str, app_id: &str, date: &str) -> HexSignature {
        self.sign(req_id, app_id, date, AvananRequest::Auth)
    }

    /// The `x-av-sig` of a later request.
    #[inline]
    pub fn sign_request(
        &self,
        req_id: &str,
        app_id: &str,
        date: &str,
        request_string: &str,
    ) -> HexSignature {
        self.sign(
            req_id,
            app_id,
            date,
            AvananRequest::Request { request_string },
        )
    }

    /// Checks a received `x-av-sig` (hex, either case) in constant time.
    #[inline]
    pub fn verify(
        &self,
        req_id: &str,
        app_id: &str,
        date: &str,
        request: AvananRequest<'_>,
        received: &[u8],
    ) -> Result<(), SignatureMismatch> {
        self.sign(req_id, app_id, date, request).verify(received)
    }
}

impl fmt::Debug for AvananSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AvananSigner(<redacted>)")
    }
}

impl zeroize::ZeroizeOnDrop for AvananSigner {}

/// One-shot form of [`AvananSigner::sign`].
#[inline]
pub fn sign(
    secret: &SecretKey,
    req_id: &str,
    app_id: &str,
    date: &str,
    request: AvananRequest<'_>,
) -> HexSignature {
    let request_string = match request {
        AvananRequest::Auth => "",
        AvananRequest::Request { request_string } => request_string,
    };
    /// One signature, run with the encoders the CPU allows.
    struct Sign<'a> {
        parts: [&'a [u8]; 5],
    }
    impl WithEncoders for Sign<'_> {
        type Output = HexSignature;
        #[inline(always)]
        fn run<E: Encoders>(self, encoders: E) -> HexSignature {
            sign_parts(encoders, self.parts)
        }
    }
    dispatch::run(Sign {
        parts: [
            req_id.as_bytes(),
            app_id.as_bytes(),
            date.as_bytes(),
            request_string.as_bytes(),
            secret.expose_secret(),
        ],
    })
}

/// Pieces (16 characters) of encoded text held before they are hashed: three blocks. The
/// first block is compressed as soon as it is whole, the other two when a thirteenth piece
/// comes; the last at most twelve pieces, the last partial one and the hash padding then fit
/// in four blocks.
const HELD_PIECES: usize = 12;

/// The signature of the message made of `parts`, with the given encoders.
///
/// The parts are base64-encoded where they lie ([`Base64Parts`]), each sixteen-character
/// piece goes straight into the hash's blocks as one 16-byte store, and the hash padding is
/// written piece by piece after the text, so every block the compression reads was written
/// with stores of its own width.
#[inline(always)]
pub(crate) fn sign_parts<E: Encoders>(encoders: E, parts: [&[u8]; 5]) -> HexSignature {
    let mut blocks = AlignedBlocks::<{ 4 * BLOCK }>::ZERO;
    let mut state = IV;
    let mut hashed_blocks: u64 = 0;
    let mut held = 0;
    let mut text = Base64Parts::new(encoders);
    let mut put = |piece| {
        if held == HELD_PIECES {
            // The first of the three blocks was hashed when it was whole.
            hash_the_rest(&mut state, &blocks.0, held, HELD_PIECES / PIECES_PER_BLOCK);
            hashed_blocks += (HELD_PIECES / PIECES_PER_BLOCK) as u64;
            held = 0;
            // Every piece from `held` on is zero again, as the padding below expects.
            blocks = AlignedBlocks::ZERO;
        }
        if let Some(slot) = blocks.0.as_chunks_mut::<16>().0.get_mut(held) {
            *slot = piece;
        }
        held += 1;
        hash_first_block_when_whole(&mut state, &blocks.0, held);
    };
    // Part by part, not in a loop: a loop over the array copied it to the stack with 16-byte
    // loads of the caller's 8-byte stores, which cannot be forwarded.
    let [req_id, app_id, date, request_string, secret] = parts;
    text.update(req_id, &mut put);
    text.update(app_id, &mut put);
    text.update(date, &mut put);
    text.update(request_string, &mut put);
    text.update(secret, &mut put);
    // The last piece of text (possibly empty), then the hash padding, each piece it touches
    // written once, whole.
    let count = end_in_pieces(
        &mut blocks.0,
        held,
        text.tail_len(),
        hashed_blocks * BLOCK as u64,
        WholeStores::new(),
        |slot, fill| *slot = text.finish(fill),
    )
    .unwrap_or(4);
    hash_the_rest(&mut state, &blocks.0, held, count);
    HexSignature::of_state_with(encoders, &state)
}

/// One-shot form of [`AvananSigner::verify`].
#[inline]
pub fn verify(
    secret: &SecretKey,
    req_id: &str,
    app_id: &str,
    date: &str,
    request: AvananRequest<'_>,
    received: &[u8],
) -> Result<(), SignatureMismatch> {
    sign(secret, req_id, app_id, date, request).verify(received)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;

    /// Message lengths around the one-call limit (the input bytes of [`HELD_PIECES`]) and,
    /// every seventh length, up to three times it, so the held text, the flushes of three
    /// blocks and every padding position meet the reference.
    #[test]
    fn one_go_and_streamed_layouts_match_the_reference() {
        let secret_text = "s3cr3t-k3y-0123456789";
        let secret = SecretKey::new(secret_text.as_bytes()).unwrap_or_else(|_| unreachable!());
        const ONE_CALL: usize = HELD_PIECES * 12;
        for total in (1..=3 * ONE_CALL + 5).filter(|n| n % 7 == 0 || n.abs_diff(ONE_CALL) <= 4) {
            let text: String = (0..total)
                .map(|i| char::from(b'!' + (i % 90) as u8))
                .collect();
            let fixed = 20 + 10 + 24 + secret_text.len();
            let path_len = total.saturating_sub(fixed);
            let (req_id, rest) = text.split_at(20.min(total));
            let (app_id, rest) = rest.split_at(10.min(rest.len()));
            let (date, rest) = rest.split_at(24.min(rest.len()));
            let (request_string, _) = rest.split_at(path_len.min(rest.len()));
            let request = AvananRequest::Request { request_string };
            let expected = sigil_reference::avanan_signature(
                req_id,
                app_id,
                date,
                Some(request_string),
                secret_text,
            );
            assert_eq!(
                sign(&secret, req_id, app_id, date, request).as_str(),
                expected,
                "{total} bytes"
            );
        }
    }

    /// Every message length up to four flushes, cut into five parts at changing places
    /// (empty parts included), in every encoder form this CPU runs: the text carried from
    /// part to part, the last piece and the hash padding at every position.
    #[test]
    fn every_length_and_cut_matches_sha256_of_base64() {
        use base64::Engine as _;
        use sha2::Digest as _;
        let message: std::vec::Vec<u8> = (0..4 * HELD_PIECES * 12 + 20)
            .map(|i| (i * 37 + 11) as u8)
            .collect();
        let mut next = crate::test_support::cut_points(0x9e37_79b9_7f4a_7c15);
        for len in 0..=message.len() {
            let text = base64::engine::general_purpose::STANDARD.encode(&message[..len]);
            let expected = hex::encode(sha2::Sha256::digest(text.as_bytes()));
            for _ in 0..3 {
                let mut cuts = [next(len), next(len), next(len), next(len)];
                cuts.sort_unstable();
                let parts = [
                    &message[..cuts[0]],
                    &message[cuts[0]..cuts[1]],
                    &message[cuts[1]..cuts[2]],
                    &message[cuts[2]..cuts[3]],
                    &message[cuts[3]..len],
                ];
                let check = |name: &str, sig: HexSignature| {
                    assert_eq!(sig.as_str(), expected, "{name}, {len} bytes, cuts {cuts:?}");
                };
                check("portable", sign_parts(crate::dispatch::Portable, parts));
                #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
                {
                    check("sse2", sign_parts(crate::dispatch::Sse2, parts));
                    if let Some(ssse3) = crate::dispatch::Ssse3::detect() {
                        check("ssse3", sign_parts(ssse3, parts));
                    }
                }
            }
        }
    }
}
