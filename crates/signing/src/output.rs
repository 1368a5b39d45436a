//! Signatures as fixed-size stack values that display as the text sent on the wire.

use core::fmt;

use crate::dispatch::Encoders;
#[cfg(feature = "bench-internals")]
use crate::dispatch::WithEncoders;
use crate::verify::SignatureMismatch;

macro_rules! ascii_signature {
    ($(#[$doc:meta])* $name:ident, $len:expr, storage: $storage:expr, fold_case: $fold:expr) => {
        $(#[$doc])*
        ///
        /// Stored in whole 16-byte pieces (zero-padded), so that writing and copying it never
        /// mixes store widths (see `docs/PERFORMANCE.md`).
        ///
        /// `==` compares in constant time; `Debug` shows only the length (a signature can be
        /// replayed within the vendor's time window); `Display` is the text to send.
        #[derive(Clone, Copy)]
        pub struct $name([u8; $storage]);

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                crate::verify::ct_equal(self.as_bytes(), other.as_bytes(), false).is_ok()
            }
        }

        impl Eq for $name {}

        impl $name {
            /// Length of the encoded text in bytes.
            pub const LEN: usize = $len;

            #[inline]
            pub(crate) const fn from_ascii(bytes: [u8; $storage]) -> Self {
                Self(bytes)
            }

            /// The encoded text.
            #[inline]
            pub fn as_str(&self) -> &str {
                // Built only from the ASCII alphabets of `crate::encode`.
                core::str::from_utf8(self.as_bytes()).unwrap_or("")
            }

            /// The encoded text as bytes.
            #[inline]
            pub fn as_bytes(&self) -> &[u8; $len] {
                let (text, _) = self.0.split_first_chunk::<$len>().unwrap_or((&[0; $len], &[]));
                text
            }

            /// Compares `received` with this signature in constant time.
            #[inline]
            pub fn verify(&self, received: &[u8]) -> Result<(), SignatureMismatch> {
                crate::verify::ct_equal(self.as_bytes(), received, $fold)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "(<{} chars>)"), $len)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
    };
}

ascii_signature!(
    /// A lower-case hex SHA-256 signature (ADVANCE `signature`, Avanan `x-av-sig`): 64 characters.
    HexSignature,
    64,
    storage: 64,
    fold_case: true
);

ascii_signature!(
    /// A standard padded base64 HMAC-SHA256 signature (AET `signature` header): 44 characters.
    Base64Signature,
    44,
    storage: 48,
    fold_case: false
);

impl HexSignature {
    /// The hex of a SHA-256 chaining state's digest (ADVANCE's and Avanan's last step), by
    /// `encoders`.
    #[inline(always)]
    pub(crate) fn of_state_with<E: Encoders>(encoders: E, state: &[u32; 8]) -> Self {
        Self::from_ascii(encoders.hex_state(state))
    }

    /// [`of_state_with`](Self::of_state_with) the encoders the CPU allows.
    #[cfg(feature = "bench-internals")]
    #[inline]
    pub(crate) fn of_state(state: &[u32; 8]) -> Self {
        /// The hex, run with the encoders the CPU allows.
        struct Hex<'a>(&'a [u32; 8]);
        impl WithEncoders for Hex<'_> {
            type Output = HexSignature;
            #[inline(always)]
            fn run<E: Encoders>(self, encoders: E) -> HexSignature {
                HexSignature::of_state_with(encoders, self.0)
            }
        }
        crate::dispatch::run(Hex(state))
    }
}
