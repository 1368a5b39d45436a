//! ADVANCE.AI token authentication: `signature = hex(SHA-256(accessKey ‖ secretKey ‖ timestamp))`.
//!
//! The `generate-token` request sends `accessKey`, `signature`, `timestamp` (13-digit
//! milliseconds, the same value that was signed) and optionally `periodSecond`.
//!
//! ```
//! use sigil_signing::{SecretKey, TimestampMillis, advance::AdvanceSigner};
//! // The published example of the token document.
//! let signer = AdvanceSigner::new("19f3bfc87cdb9c33", &SecretKey::new(b"440cc5dee302a30b")?);
//! let sig = signer.sign(TimestampMillis::new(1_665_683_270_207)?);
//! assert_eq!(sig.as_str(), "22e20a4519cad37ecd5abb5c666828b2cfb06764ec3734c5faa5132c5e369585");
//! assert!(signer.verify(TimestampMillis::new(1_665_683_270_207)?, sig.as_bytes()).is_ok());
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

use core::fmt;

use zeroize::Zeroize;

use crate::dispatch::{self, Encoders, WithEncoders};
use crate::sha256::{
    AlignedBlocks, BLOCK, Sha256Stream, compress_blocks, or_u128_at, pad_in_place,
};
use crate::{HexSignature, SecretKey, SignatureMismatch, TimestampMillis};

/// Signs ADVANCE `generate-token` requests for one credential pair.
///
/// The constant `accessKey ‖ secretKey` prefix is hashed once at construction: whole blocks
/// become a SHA-256 midstate, and the remaining one or two blocks are laid out complete with
/// padding and length (the message length is fixed: the timestamp always has 13 digits), so
/// each signature only writes the 13 digits and compresses. The precomputed state is
/// secret-derived: it is wiped on drop and never printed.
#[derive(Clone)]
pub struct AdvanceSigner {
    state: [u32; 8],
    blocks: AlignedBlocks<{ 2 * BLOCK }>,
    block_count: usize,
    digits_at: usize,
}

impl AdvanceSigner {
    /// Precomputes the signer for `access_key` and `secret_key`.
    pub fn new(access_key: &str, secret_key: &SecretKey) -> Self {
        let mut prefix = Sha256Stream::new();
        prefix.update(access_key.as_bytes());
        prefix.update(secret_key.expose_secret());
        let (state, mut tail, tail_len, prefix_len) = prefix.into_parts();
        let mut blocks = AlignedBlocks::ZERO;
        blocks.0[..tail_len].copy_from_slice(&tail[..tail_len]);
        tail.zeroize();
        // tail_len < 64, so 13 digits and the padding always fit in two blocks.
        let block_count = pad_in_place(&mut blocks.0, tail_len + 13, prefix_len + 13).unwrap_or(2);
        Self {
            state,
            blocks,
            block_count,
            digits_at: tail_len,
        }
    }

    /// The signature for `timestamp`.
    #[inline]
    pub fn sign(&self, timestamp: TimestampMillis) -> HexSignature {
        /// One signature, run with the encoders the CPU allows.
        struct Sign<'s> {
            signer: &'s AdvanceSigner,
            timestamp: TimestampMillis,
        }
        impl WithEncoders for Sign<'_> {
            type Output = HexSignature;
            #[inline(always)]
            fn run<E: Encoders>(self, encoders: E) -> HexSignature {
                self.signer.sign_with(encoders, self.timestamp)
            }
        }
        dispatch::run(Sign {
            signer: self,
            timestamp,
        })
    }

    /// [`sign`](Self::sign) with the given encoders.
    #[inline(always)]
    pub(crate) fn sign_with<E: Encoders>(
        &self,
        encoders: E,
        timestamp: TimestampMillis,
    ) -> HexSignature {
        let mut blocks = self.blocks;
        or_u128_at(&mut blocks.0, self.digits_at, timestamp.digits_le());
        let mut state = self.state;
        compress_blocks(&mut state, &blocks.0, self.block_count);
        HexSignature::of_state_with(encoders, &state)
    }

    /// Checks a received signature (hex, either case) in constant time.
    #[inline]
    pub fn verify(
        &self,
        timestamp: TimestampMillis,
        received: &[u8],
    ) -> Result<(), SignatureMismatch> {
        self.sign(timestamp).verify(received)
    }
}

impl fmt::Debug for AdvanceSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdvanceSigner(<redacted>)")
    }
}

impl Drop for AdvanceSigner {
    fn drop(&mut self) {
        self.state.zeroize();
        self.blocks.0.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for AdvanceSigner {}

/// One-shot form of [`AdvanceSigner::sign`].
#[inline]
pub fn sign(access_key: &str, secret_key: &SecretKey, timestamp: TimestampMillis) -> HexSignature {
    AdvanceSigner::new(access_key, secret_key).sign(timestamp)
}

/// One-shot form of [`AdvanceSigner::verify`].
#[inline]
pub fn verify(
    access_key: &str,
    secret_key: &SecretKey,
    timestamp: TimestampMillis,
    received: &[u8],
) -> Result<(), SignatureMismatch> {
    AdvanceSigner::new(access_key, secret_key).verify(timestamp, received)
}
