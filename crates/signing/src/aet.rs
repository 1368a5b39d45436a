//! AET request signature:
//! `signature = base64(HMAC-SHA256(secret, timestamp ‖ METHOD ‖ requestPath ‖ body))`.
//!
//! * `timestamp` is the `timestamp` header: milliseconds since the epoch.
//! * `METHOD` is upper case (the signer upper-cases what it is given).
//! * `requestPath` is the path relative to the host **without its leading slash**
//!   (`v3/users`, not `/v3/users`). Whether the query string is part of it is not said by
//!   the document; AET's own client libraries leave it out, so [`QueryPolicy::Exclude`] is the
//!   default and [`QueryPolicy::Include`] signs `path?query` for servers that want it.
//! * `body` is the request body as sent, omitted when there is none, and empty for
//!   multipart uploads ([`AetBody::Multipart`]).
//!
//! ```
//! use sigil_signing::{SecretKey, TimestampMillis};
//! use sigil_signing::aet::{AetBody, AetRequest, AetRequestPath, AetSigner, QueryPolicy};
//!
//! let signer = AetSigner::new(&SecretKey::new(b"aet-sample-secret")?);
//! let request = AetRequest {
//!     timestamp: TimestampMillis::new(1_700_000_000_000)?,
//!     method: "post",
//!     path: AetRequestPath::new("/v3/users?expand=1", QueryPolicy::Exclude),
//!     body: AetBody::Bytes(br#"{"name":"Ada"}"#),
//! };
//! assert_eq!(request.path.as_str(), "v3/users");
//! let sig = signer.sign(&request);
//! assert_eq!(sig.as_str().len(), 44);
//! assert!(signer.verify(&request, sig.as_bytes()).is_ok());
//!
//! // A large body can be fed in pieces, without buffering it.
//! let mut streaming = signer.start(request.timestamp, request.method, request.path);
//! streaming.update(br#"{"name":"#);
//! streaming.update(br#""Ada"}"#);
//! assert_eq!(streaming.finish(), sig);
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

use core::fmt;

use zeroize::Zeroize;

use crate::dispatch::{self, Encoders, WithEncoders};
use crate::regroup::Regroup;
use crate::sha256::{
    AlignedBlocks, BLOCK, Sha256Stream, WholeStores, compress_blocks, digest, digest_pieces,
    end_in_pieces, hash_first_block_when_whole, hash_the_rest, load_le,
};
use crate::{Base64Signature, SecretKey, SignatureMismatch, TimestampMillis};

/// Whether the query string is part of the signed `requestPath`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryPolicy {
    /// Sign the path only, as AET's client libraries do (the default).
    #[default]
    Exclude,
    /// Sign `path?query` exactly as sent.
    Include,
}

/// The `requestPath` that is signed: the request target without its leading slash and,
/// depending on the [`QueryPolicy`], without the query string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AetRequestPath<'a>(&'a str);

impl<'a> AetRequestPath<'a> {
    /// Derives the signed path from a request target such as `/v3/users?page=2`.
    ///
    /// One leading `/` is removed; a `#fragment` (never sent) is dropped; with
    /// [`QueryPolicy::Exclude`] everything from the first `?` is dropped.
    pub fn new(target: &'a str, query: QueryPolicy) -> Self {
        // One pass over the (short) target: stop at the fragment, or also at the query. A
        // byte loop, whose well-predicted branches keep the scan off the signature's critical
        // path (a branch-free SWAR scan measured slower here; see docs/PERFORMANCE.md).
        let end = target
            .bytes()
            .position(|b| b == b'#' || (b == b'?' && query == QueryPolicy::Exclude))
            .unwrap_or(target.len());
        let target = target.get(..end).unwrap_or(target);
        Self(target.strip_prefix('/').unwrap_or(target))
    }

    /// The text that is signed.
    pub const fn as_str(&self) -> &'a str {
        self.0
    }
}

/// The body part of the pre-hash string.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum AetBody<'a> {
    /// No body (typically GET and DELETE): nothing is appended.
    None,
    /// The body exactly as sent.
    Bytes(&'a [u8]),
    /// A multipart form upload: signed with the empty string as body.
    Multipart,
}

impl AetBody<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            AetBody::Bytes(b) => b,
            AetBody::None | AetBody::Multipart => &[],
        }
    }
}

impl fmt::Debug for AetBody<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body is a signature input: only its size is shown.
        match self {
            AetBody::None => f.write_str("None"),
            AetBody::Bytes(b) => write!(f, "Bytes(<{} bytes>)", b.len()),
            AetBody::Multipart => f.write_str("Multipart"),
        }
    }
}

/// Everything that goes into one AET signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AetRequest<'a> {
    /// The `timestamp` header value.
    pub timestamp: TimestampMillis,
    /// The HTTP method, any case.
    pub method: &'a str,
    /// The signed request path.
    pub path: AetRequestPath<'a>,
    /// The body.
    pub body: AetBody<'a>,
}

/// A pre-keyed AET signer: the HMAC inner and outer states are computed once from the
/// secret, so each signature costs only the message blocks plus one outer compression.
/// The states are wiped on drop and never printed.
#[derive(Clone)]
pub struct AetSigner {
    inner: [u32; 8],
    outer: [u32; 8],
}

/// Longest pre-hash string (timestamp ‖ METHOD ‖ path ‖ body) signed on the two-block fast
/// path: 128 bytes minus the padding byte and the 8-byte length.
const FAST_MESSAGE_MAX: usize = 2 * BLOCK - 9;

/// Longest pre-hash string laid out whole in four blocks (a typical JSON body of up to about
/// 200 bytes): one zeroed buffer and one copy of the body instead of the streaming hash's
/// buffer bookkeeping per part.
const LAID_OUT_MESSAGE_MAX: usize = 4 * BLOCK - 9;

/// `0x01` in every byte of a `u128`.
const ONES: u128 = u128::MAX / 0xff;

/// ASCII upper case of the bytes of `x` (little-endian) in registers: `a`–`z` lose bit 5,
/// every other byte is unchanged (as `make_ascii_uppercase`). Per byte, on the low seven bits
/// `a`: `a + 0x1f` has bit 7 set from `'a'` on, `a + 0x05` from `'{'` on; neither carries.
#[inline(always)]
const fn ascii_upper(x: u128) -> u128 {
    let a = x & (0x7f * ONES);
    let lower = (a + 0x1f * ONES) & !(a + 0x05 * ONES) & !x & (0x80 * ONES);
    x ^ (lower >> 2)
}

/// The one message block of a request without a body whose method has `M` bytes (3 to 7)
/// and whose path at most 31, when `13 + M + path + 9 ≤ 64`: computed as four 16-byte pieces
/// in registers, with every shift a constant but the path's own length.
///
/// Laying the same bytes out with byte stores is measurably slower: the hash
/// reads its block in 16-byte loads, which cannot be forwarded from narrower stores, and then
/// waits for those stores to retire behind the previous signature (`docs/PERFORMANCE.md`).
#[inline(always)]
fn one_block<const M: usize>(timestamp: TimestampMillis, method: &[u8], path: &[u8]) -> [u128; 4] {
    let n = path.len();
    let method = ascii_upper(load_le(method));
    // The path and the padding byte after it, as 32 bytes.
    let (mut low, mut high) = (load_le(path), load_le(path.get(16..).unwrap_or(&[])));
    if n >= 16 {
        high |= 0x80 << (8 * (n - 16));
    } else {
        low |= 0x80 << (8 * n);
    }
    // The method fills bytes 13..16 and the start of piece 1; the path starts at 13 + M.
    let shift = 8 * (M - 3) as u32;
    let spill = |v: u128| v.checked_shr(128 - shift).unwrap_or(0);
    let bits = ((BLOCK + 13 + M + n) as u64 * 8).swap_bytes();
    [
        timestamp.digits_le() | (method << 104),
        (method >> 24) | (low << shift),
        spill(low) | (high << shift),
        spill(high) | (u128::from(bits) << 64),
    ]
}

/// The outer hash's only block with its padding laid out once: 32 digest bytes (zero here,
/// merged per signature), `0x80`, zeros, and the length of key block plus digest, 96 bytes.
const OUTER_TEMPLATE: AlignedBlocks<BLOCK> = {
    let mut block = [0u8; BLOCK];
    block[32] = 0x80;
    let bits = ((BLOCK + 32) as u64 * 8).to_be_bytes();
    let mut i = 0;
    while i < 8 {
        block[BLOCK - 8 + i] = bits[i];
        i += 1;
    }
    AlignedBlocks(block)
};

impl AetSigner {
    /// Derives the HMAC states from `secret` (RFC 2104: keys longer than a block are hashed).
    pub fn new(secret: &SecretKey) -> Self {
        let mut key_block = [0u8; BLOCK];
        let secret = secret.expose_secret();
        if secret.len() > BLOCK {
            key_block[..32].copy_from_slice(&digest(secret));
        } else {
            key_block[..secret.len()].copy_from_slice(secret);
        }
        let mut pad = [0u8; BLOCK];
        for (p, k) in pad.iter_mut().zip(&key_block) {
            *p = k ^ 0x36;
        }
        let mut inner = Sha256Stream::new();
        inner.update_block(&pad);
        for (p, k) in pad.iter_mut().zip(&key_block) {
            *p = k ^ 0x5c;
        }
        let mut outer = Sha256Stream::new();
        outer.update_block(&pad);
        pad.zeroize();
        key_block.zeroize();
        Self {
            inner: inner.state(),
            outer: outer.state(),
        }
    }

    /// Starts a signature whose body is fed in pieces with [`AetBodySigner::update`].
    #[inline]
    pub fn start(
        &self,
        timestamp: TimestampMillis,
        method: &str,
        path: AetRequestPath<'_>,
    ) -> AetBodySigner<'_> {
        let mut inner = Sha256Stream::resume(self.inner, BLOCK as u64);
        inner.update(&timestamp.to_digits());
        let mut upper = [0u8; 16];
        for chunk in method.as_bytes().chunks(upper.len()) {
            let upper = &mut upper[..chunk.len()];
            upper.copy_from_slice(chunk);
            upper.make_ascii_uppercase();
            inner.update(upper);
        }
        inner.update(path.as_str().as_bytes());
        AetBodySigner {
            signer: self,
            inner,
        }
    }

    /// The signature of `request`.
    #[inline]
    pub fn sign(&self, request: &AetRequest<'_>) -> Base64Signature {
        /// One signature, run with the encoders the CPU allows.
        struct Sign<'s, 'r> {
            signer: &'s AetSigner,
            request: &'r AetRequest<'r>,
        }
        impl WithEncoders for Sign<'_, '_> {
            type Output = Base64Signature;
            #[inline(always)]
            fn run<E: Encoders>(self, encoders: E) -> Base64Signature {
                self.signer.sign_with(encoders, self.request)
            }
        }
        dispatch::run(Sign {
            signer: self,
            request,
        })
    }

    /// [`sign`](Self::sign) with the given encoders.
    #[inline(always)]
    pub(crate) fn sign_with<E: Encoders>(
        &self,
        encoders: E,
        request: &AetRequest<'_>,
    ) -> Base64Signature {
        let method = request.method.as_bytes();
        let path = request.path.as_str().as_bytes();
        let body = request.body.bytes();
        let len = 13 + method.len() + path.len() + body.len();
        let inner = if body.is_empty() && len <= BLOCK - 9 && path.len() <= 31 {
            let pieces = match method.len() {
                3 => Some(one_block::<3>(request.timestamp, method, path)),
                4 => Some(one_block::<4>(request.timestamp, method, path)),
                5 => Some(one_block::<5>(request.timestamp, method, path)),
                6 => Some(one_block::<6>(request.timestamp, method, path)),
                7 => Some(one_block::<7>(request.timestamp, method, path)),
                _ => None,
            };
            match pieces {
                Some(pieces) => {
                    let mut block = AlignedBlocks::<BLOCK>::ZERO;
                    let stores = WholeStores::new();
                    for (piece, value) in block.0.as_chunks_mut::<16>().0.iter_mut().zip(pieces) {
                        stores.store(piece, value);
                    }
                    let mut state = self.inner;
                    compress_blocks(&mut state, &block.0, 1);
                    state
                }
                None => self.inner_laid_out::<{ 2 * BLOCK }>(request.timestamp, method, path, body),
            }
        } else if len <= FAST_MESSAGE_MAX {
            self.inner_laid_out::<{ 2 * BLOCK }>(request.timestamp, method, path, body)
        } else if len <= LAID_OUT_MESSAGE_MAX {
            self.inner_laid_out::<{ 4 * BLOCK }>(request.timestamp, method, path, body)
        } else {
            let mut s = self.start(request.timestamp, request.method, request.path);
            s.update(body);
            s.inner.finalize_state()
        };
        finish_hmac(encoders, &self.outer, &inner)
    }

    /// The inner hash of a message of known length that fits `BYTES` (whole blocks) with its
    /// padding: laid out in whole 16-byte pieces by [`Regroup`] (the digits and the
    /// upper-cased method from registers, the path and the body read where they lie), padded
    /// piece by piece; the first block is compressed as soon as it is whole, the rest in one
    /// call. Every 16-byte load of the compression is forwarded from one store; byte stores
    /// and `memcpy` calls had left loads waiting for their stores to retire.
    #[inline(always)]
    fn inner_laid_out<const BYTES: usize>(
        &self,
        timestamp: TimestampMillis,
        method: &[u8],
        path: &[u8],
        body: &[u8],
    ) -> [u32; 8] {
        let mut blocks = AlignedBlocks::<BYTES>::ZERO;
        let stores = WholeStores::new();
        let mut held = 0;
        let mut state = self.inner;
        let mut message = Regroup::<16>::starting_with(timestamp.digits_le(), 13);
        {
            let (pieces, _) = blocks.0.as_chunks_mut::<16>();
            let mut put = |piece: u128| {
                if let Some(slot) = pieces.get_mut(held) {
                    stores.store(slot, piece);
                }
                held += 1;
                hash_first_block_when_whole(&mut state, pieces.as_flattened(), held);
            };
            for chunk in method.chunks(16) {
                message.push(ascii_upper(load_le(chunk)), chunk.len(), &mut put);
            }
            message.update(path, &mut put);
            message.update(body, &mut put);
        }
        let (tail, tail_len) = message.finish();
        let n = end_in_pieces(
            &mut blocks.0,
            held,
            tail_len,
            BLOCK as u64,
            stores,
            |slot, fill| stores.store(slot, tail | fill),
        )
        .unwrap_or(BYTES / BLOCK);
        hash_the_rest(&mut state, &blocks.0, held, n);
        state
    }

    /// Checks a received `signature` header in constant time.
    #[inline]
    pub fn verify(
        &self,
        request: &AetRequest<'_>,
        received: &[u8],
    ) -> Result<(), SignatureMismatch> {
        self.sign(request).verify(received)
    }
}

/// HMAC's outer hash from the keyed `outer` state over the digest of `inner_state` (one
/// block: digest, padding, length 96 bytes), base64-encoded: the last step of every AET
/// signature.
#[inline(always)]
fn finish_hmac<E: Encoders>(
    encoders: E,
    outer: &[u32; 8],
    inner_state: &[u32; 8],
) -> Base64Signature {
    let mut block = OUTER_TEMPLATE;
    let (pieces, _) = block.0.as_chunks_mut::<16>();
    for (piece, digest) in pieces.iter_mut().zip(digest_pieces(inner_state)) {
        *piece = digest;
    }
    let mut state = *outer;
    compress_blocks(&mut state, &block.0, 1);
    Base64Signature::from_ascii(encoders.base64_state(&state))
}

/// [`finish_hmac`] with the encoders the CPU allows: the end of a streamed signature.
#[inline]
pub(crate) fn finish_hmac_dispatched(outer: &[u32; 8], inner_state: &[u32; 8]) -> Base64Signature {
    /// The outer hash and its base64, run with the encoders the CPU allows.
    struct Finish<'a> {
        outer: &'a [u32; 8],
        inner_state: &'a [u32; 8],
    }
    impl WithEncoders for Finish<'_> {
        type Output = Base64Signature;
        #[inline(always)]
        fn run<E: Encoders>(self, encoders: E) -> Base64Signature {
            finish_hmac(encoders, self.outer, self.inner_state)
        }
    }
    dispatch::run(Finish { outer, inner_state })
}

impl fmt::Debug for AetSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AetSigner(<redacted>)")
    }
}

impl Drop for AetSigner {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for AetSigner {}

/// An AET signature in progress, fed the body in pieces.
pub struct AetBodySigner<'s> {
    signer: &'s AetSigner,
    inner: Sha256Stream,
}

impl AetBodySigner<'_> {
    /// Appends the next piece of the body.
    #[inline]
    pub fn update(&mut self, body_piece: &[u8]) {
        self.inner.update(body_piece);
    }

    /// Completes the signature.
    #[inline]
    pub fn finish(self) -> Base64Signature {
        finish_hmac_dispatched(&self.signer.outer, &self.inner.finalize_state())
    }
}

impl fmt::Debug for AetBodySigner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AetBodySigner(<redacted>)")
    }
}

/// One-shot form of [`AetSigner::sign`].
#[inline]
pub fn sign(secret: &SecretKey, request: &AetRequest<'_>) -> Base64Signature {
    AetSigner::new(secret).sign(request)
}

/// One-shot form of [`AetSigner::verify`].
#[inline]
pub fn verify(
    secret: &SecretKey,
    request: &AetRequest<'_>,
    received: &[u8],
) -> Result<(), SignatureMismatch> {
    AetSigner::new(secret).verify(request, received)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_upper_matches_make_ascii_uppercase_for_every_byte() {
        for b in 0..=255u8 {
            let x = u128::from_le_bytes([b; 16]);
            let expected = u128::from_le_bytes([b.to_ascii_uppercase(); 16]);
            assert_eq!(ascii_upper(x), expected, "{b:#x}");
        }
    }

    #[test]
    fn every_fast_path_matches_the_streamed_signature() {
        // The one-block path (each method length, every path length it takes), the two-block
        // path and the streamed one must agree byte for byte.
        let signer = AetSigner::new(
            &SecretKey::new(b"aet-sample-secret").unwrap_or_else(|_| unreachable!()),
        );
        let text = "v3/users/0123456789abcdefghijklmnopqrstuvwxyz/ABC?x=1";
        let timestamp = TimestampMillis::new(1_795_458_295_940).unwrap_or_else(|_| unreachable!());
        for method in [
            "GET",
            "gEt",
            "POST",
            "PATCH",
            "DELETE",
            "OPTIONS",
            "PROPFIND",
            "X",
            "VERY-LONG-custom-method",
        ] {
            for n in 0..=text.len() {
                let long = [b'x'; 260];
                let bodies = [
                    AetBody::None,
                    AetBody::Multipart,
                    AetBody::Bytes(b"{}"),
                    AetBody::Bytes(&long[..(n * 5) % 261]),
                ];
                for body in bodies {
                    let request = AetRequest {
                        timestamp,
                        method,
                        path: AetRequestPath(&text[..n]),
                        body,
                    };
                    let mut streamed = signer.start(timestamp, method, request.path);
                    streamed.update(body.bytes());
                    assert_eq!(signer.sign(&request), streamed.finish(), "{method} {n}");
                }
            }
        }
    }
}
