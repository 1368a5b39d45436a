//! Avanan (Check Point HEC) `x-av-sig`.
//!
//! * `/v1.0/auth`: `hex(SHA-256(base64(x-av-req-id ‖ x-av-app-id ‖ x-av-date ‖ secret)))`.
//! * every later request: `hex(SHA-256(base64(x-av-req-id ‖ x-av-app-id ‖ x-av-date ‖
//!   request_string ‖ secret)))`, where `request_string` is the path as sent on the wire
//!   (percent-encoded, starting at `/v1.0/`) plus `?query` when there is one. The body is not
//!   signed.
//!
//! The date is signed exactly as sent in `x-av-date`; this crate never formats or reads time.
//! The base64 text goes straight into padded SHA-256 blocks. A message of up to 144 input
//! bytes (the usual one: a UUID, an app id, a date, a short path, the secret) is laid out
//! once on the stack and encoded in one go; a longer one streams, 144 input bytes (three
//! blocks of text) at a time, so memory stays fixed whatever the length.
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

use crate::dispatch::{self, Encoders, WithEncoders};
use crate::sha256::{AlignedBlocks, BLOCK, IV, compress_blocks, pad_fresh};
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

/// Input bytes staged before encoding: 144 bytes encode to 192 characters, three whole
/// blocks, which covers a typical Avanan message (UUID, app id, date, path, secret) in one go.
const STAGE: usize = 144;

/// SHA-256 of the standard padded base64 of everything fed to it, without materialising
/// the whole base64 text: input is staged [`STAGE`] bytes at a time, each full stage encodes
/// to exactly three blocks, and the last stage is encoded straight into padded blocks.
struct Base64ThenSha256<E> {
    encoders: E,
    state: [u32; 8],
    blocks_done: u64,
    stage: AlignedBlocks<STAGE>,
    staged: usize,
}

impl<E: Encoders> Base64ThenSha256<E> {
    #[inline]
    fn new(encoders: E) -> Self {
        Self {
            encoders,
            state: IV,
            blocks_done: 0,
            stage: AlignedBlocks::ZERO,
            staged: 0,
        }
    }

    #[inline]
    fn update(&mut self, mut data: &[u8]) {
        loop {
            let take = (STAGE - self.staged).min(data.len());
            self.stage.0[self.staged..self.staged + take].copy_from_slice(&data[..take]);
            self.staged += take;
            data = &data[take..];
            if data.is_empty() {
                return;
            }
            // The stage is full and more input follows: encode it to three whole blocks.
            let mut blocks = AlignedBlocks::<{ 3 * BLOCK }>::ZERO;
            self.encoders.base64_into(&self.stage.0, &mut blocks.0);
            compress_blocks(&mut self.state, &blocks.0, 3);
            self.blocks_done += 3;
            self.staged = 0;
        }
    }

    #[inline]
    fn finalize(self) -> [u32; 8] {
        finish(
            self.encoders,
            self.state,
            self.blocks_done,
            &self.stage.0[..self.staged],
        )
    }
}

/// The last step of [`Base64ThenSha256`]: `state` after `blocks_done` whole blocks of
/// encoded text, then the base64 of the last `tail` input bytes (at most [`STAGE`], so at
/// most 192 characters and, with padding, at most four blocks).
#[inline(always)]
fn finish<E: Encoders>(
    encoders: E,
    mut state: [u32; 8],
    blocks_done: u64,
    tail: &[u8],
) -> [u32; 8] {
    let mut blocks = AlignedBlocks::<{ 4 * BLOCK }>::ZERO;
    let n = encoders.base64_into(tail, &mut blocks.0);
    let total = blocks_done * BLOCK as u64 + n as u64;
    let count = pad_fresh(&mut blocks.0, n, total).unwrap_or(4);
    compress_blocks(&mut state, &blocks.0, count);
    state
}

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

/// The signature of the message made of `parts`, with the given encoders.
#[inline(always)]
pub(crate) fn sign_parts<E: Encoders>(encoders: E, parts: [&[u8]; 5]) -> HexSignature {
    let total = parts
        .iter()
        .fold(0usize, |total, part| total.saturating_add(part.len()));
    let state = if total <= STAGE {
        // The usual message: the parts side by side, then one encoding, with no streaming
        // bookkeeping between the parts (measured in docs/PERFORMANCE.md).
        let mut stage = [0u8; STAGE];
        let mut at = 0;
        for part in parts {
            stage[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        finish(encoders, IV, 0, &stage[..at])
    } else {
        let mut h = Base64ThenSha256::new(encoders);
        for part in parts {
            h.update(part);
        }
        h.finalize()
    };
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

    /// Message lengths around the one-go limit ([`STAGE`]) and, every seventh length, up to
    /// three stages, so both layouts and the streamed stage boundaries meet the reference.
    #[test]
    fn one_go_and_streamed_layouts_match_the_reference() {
        let secret_text = "s3cr3t-k3y-0123456789";
        let secret = SecretKey::new(secret_text.as_bytes()).unwrap_or_else(|_| unreachable!());
        for total in (1..=3 * STAGE + 5).filter(|n| n % 7 == 0 || n.abs_diff(STAGE) <= 4) {
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
}
