//! Secret key material: redacted in `Debug`, wiped on drop.

use core::fmt;
use zeroize::Zeroize;

/// The longest secret key [`SecretKey`] holds, in bytes.
///
/// The vendors issue secrets of 16 to 64 characters; the bound keeps the type allocation-free.
pub const MAX_SECRET_LEN: usize = 256;

/// Why a byte string cannot be a [`SecretKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecretKeyError {
    /// The secret is empty: every vendor requires one.
    #[error("the secret key is empty")]
    Empty,
    /// The secret is longer than [`MAX_SECRET_LEN`].
    #[error("the secret key is {len} bytes long; at most {max} are supported", max = MAX_SECRET_LEN)]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
}

/// A vendor secret key, held inline (no heap), never printed, zeroed when dropped.
///
/// ```
/// use sigil_signing::SecretKey;
/// let key = SecretKey::new(b"samplesecretkey")?;
/// assert_eq!(format!("{key:?}"), "SecretKey(<redacted>)");
/// assert_eq!(key.expose_secret(), b"samplesecretkey");
/// # Ok::<(), sigil_signing::SecretKeyError>(())
/// ```
#[derive(Clone)]
pub struct SecretKey {
    bytes: [u8; MAX_SECRET_LEN],
    len: usize,
}

impl SecretKey {
    /// Copies `secret` into a new key.
    pub fn new(secret: &[u8]) -> Result<Self, SecretKeyError> {
        if secret.is_empty() {
            return Err(SecretKeyError::Empty);
        }
        if secret.len() > MAX_SECRET_LEN {
            return Err(SecretKeyError::TooLong { len: secret.len() });
        }
        let mut bytes = [0u8; MAX_SECRET_LEN];
        bytes[..secret.len()].copy_from_slice(secret);
        Ok(Self {
            bytes,
            len: secret.len(),
        })
    }

    /// The secret bytes. Named so that every place that reads them stands out in review.
    #[inline]
    pub fn expose_secret(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for SecretKey {}

impl TryFrom<&str> for SecretKey {
    type Error = SecretKeyError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value.as_bytes())
    }
}

impl TryFrom<&[u8]> for SecretKey {
    type Error = SecretKeyError;
    fn try_from(value: &[u8]) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_empty_and_too_long() {
        assert_eq!(SecretKey::new(b"").err(), Some(SecretKeyError::Empty));
        let long = [b'k'; MAX_SECRET_LEN + 1];
        assert_eq!(
            SecretKey::new(&long).err(),
            Some(SecretKeyError::TooLong {
                len: MAX_SECRET_LEN + 1
            })
        );
        assert!(SecretKey::new(&long[..MAX_SECRET_LEN]).is_ok());
    }
}
