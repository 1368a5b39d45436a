//! Millisecond timestamps as the vendors sign them: 13 decimal digits.

use core::fmt;

/// Why a value is not a 13-digit millisecond timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// Outside `1_000_000_000_000 ..= 9_999_999_999_999` (2001-09-09 to 2286-11-20).
    #[error("timestamp {0} is not a 13-digit millisecond count")]
    OutOfRange(u64),
    /// Text that is not 13 ASCII digits.
    #[error("timestamp is not 13 decimal digits")]
    NotDigits,
}

/// Milliseconds since the Unix epoch, guaranteed to print as exactly 13 digits.
///
/// The signer never reads a clock: callers pass the time in.
///
/// ```
/// use sigil_signing::TimestampMillis;
/// let ts = TimestampMillis::new(1_665_683_270_207)?;
/// assert_eq!(ts.to_digits(), *b"1665683270207");
/// assert_eq!("1665683270207".parse::<TimestampMillis>()?, ts);
/// # Ok::<(), sigil_signing::TimestampError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimestampMillis(u64);

impl TimestampMillis {
    /// The smallest 13-digit value.
    pub const MIN: u64 = 1_000_000_000_000;
    /// The largest 13-digit value.
    pub const MAX: u64 = 9_999_999_999_999;

    /// Checks that `millis` has 13 digits.
    pub const fn new(millis: u64) -> Result<Self, TimestampError> {
        if millis < Self::MIN || millis > Self::MAX {
            return Err(TimestampError::OutOfRange(millis));
        }
        Ok(Self(millis))
    }

    /// The millisecond count.
    #[inline]
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The 13 ASCII digits, written without division loops or branches.
    #[inline]
    pub const fn to_digits(self) -> [u8; 13] {
        // Split into three parts the compiler turns into multiplications, then
        // write each part's digits with constant divisors.
        let v = self.0;
        let hi = (v / 100_000_000) as u32; // 5 digits
        let lo = (v % 100_000_000) as u32; // 8 digits
        let mut out = [0u8; 13];
        out[0] = b'0' + (hi / 10_000) as u8;
        out[1] = b'0' + (hi / 1_000 % 10) as u8;
        out[2] = b'0' + (hi / 100 % 10) as u8;
        out[3] = b'0' + (hi / 10 % 10) as u8;
        out[4] = b'0' + (hi % 10) as u8;
        let a = lo / 10_000;
        let b = lo % 10_000;
        out[5] = b'0' + (a / 1_000) as u8;
        out[6] = b'0' + (a / 100 % 10) as u8;
        out[7] = b'0' + (a / 10 % 10) as u8;
        out[8] = b'0' + (a % 10) as u8;
        out[9] = b'0' + (b / 1_000) as u8;
        out[10] = b'0' + (b / 100 % 10) as u8;
        out[11] = b'0' + (b / 10 % 10) as u8;
        out[12] = b'0' + (b % 10) as u8;
        out
    }
}

impl fmt::Display for TimestampMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.to_digits();
        // Always ASCII digits.
        f.write_str(core::str::from_utf8(&digits).map_err(|_| fmt::Error)?)
    }
}

impl core::str::FromStr for TimestampMillis {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 13 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TimestampError::NotDigits);
        }
        let v = s
            .bytes()
            .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
        Self::new(v)
    }
}

impl TryFrom<u64> for TimestampMillis {
    type Error = TimestampError;
    fn try_from(value: u64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn digits_match_to_string_at_edges_and_samples() {
        let mut v = TimestampMillis::MIN;
        for x in [
            TimestampMillis::MIN,
            TimestampMillis::MAX,
            1_665_683_270_207,
            1_999_999_999_999,
            5_000_000_000_000,
            1_234_567_890_123,
        ] {
            let ts = TimestampMillis::new(x).unwrap();
            assert_eq!(&ts.to_digits(), x.to_string().as_bytes());
        }
        for _ in 0..10_000 {
            v = v.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1) % 9_000_000_000_000
                + TimestampMillis::MIN;
            let ts = TimestampMillis::new(v).unwrap();
            assert_eq!(&ts.to_digits(), v.to_string().as_bytes());
            assert_eq!(ts.to_string().parse::<TimestampMillis>().unwrap(), ts);
        }
    }

    #[test]
    fn rejects_other_lengths_and_text() {
        assert!(TimestampMillis::new(999_999_999_999).is_err());
        assert!(TimestampMillis::new(10_000_000_000_000).is_err());
        assert_eq!(
            "16656832702a7".parse::<TimestampMillis>(),
            Err(TimestampError::NotDigits)
        );
        assert_eq!(
            "+665683270207".parse::<TimestampMillis>(),
            Err(TimestampError::NotDigits)
        );
        assert_eq!(
            "".parse::<TimestampMillis>(),
            Err(TimestampError::NotDigits)
        );
    }
}
