//! Constant-time comparison of a computed signature with a received one.

use subtle::ConstantTimeEq;

/// Why a received signature does not match.
///
/// One variant on purpose: a malformed value (wrong length, not hex, not base64) and a
/// well-formed but wrong one are both simply invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("signature mismatch")]
pub struct SignatureMismatch;

/// Compares the computed `expected` text with `received`, in time independent of where
/// they differ. Only the length (public: it is fixed per scheme) short-circuits. With
/// `fold_case` (hex, whose digits carry no case) upper-case ASCII in `received` is lowered
/// first; `expected` is then lower case.
#[inline]
pub(crate) fn ct_equal<const N: usize>(
    expected: &[u8; N],
    received: &[u8],
    fold_case: bool,
) -> Result<(), SignatureMismatch> {
    let Ok(received) = <&[u8; N]>::try_from(received) else {
        return Err(SignatureMismatch);
    };
    // Lower-case only ASCII upper-case letters, branch-free per byte.
    let mut folded = *received;
    if fold_case {
        for b in &mut folded {
            let is_upper = b.wrapping_sub(b'A') < 26;
            *b |= u8::from(is_upper) << 5;
        }
    }
    if bool::from(expected.ct_eq(&folded)) {
        Ok(())
    } else {
        Err(SignatureMismatch)
    }
}
