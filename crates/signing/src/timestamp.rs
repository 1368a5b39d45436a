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

    /// The 13 ASCII digits, computed without loops or branches.
    #[inline]
    pub const fn to_digits(self) -> [u8; 13] {
        let le = self.digits_le().to_le_bytes();
        let mut out = [0u8; 13];
        let mut i = 0;
        while i < 13 {
            out[i] = le[i];
            i += 1;
        }
        out
    }

    /// The 13 ASCII digits as the low 13 bytes of a little-endian `u128` (the top three bytes
    /// are zero), computed in registers (SWAR) so that a signer can merge them into a block
    /// with whole 16-byte stores.
    ///
    /// The digits are on every AET and ADVANCE signature's critical path, so the chain is kept
    /// short: the quotients by 10⁴, 10⁸ and 10¹² are independent multiplies, the four-digit
    /// groups follow from them with one multiply each, and [`four_digit_pairs`] turns two
    /// groups at a time into digits.
    #[inline]
    pub(crate) const fn digits_le(self) -> u128 {
        let v = self.0; // below 10^13
        let q4 = v / 10_000;
        let q8 = v / 100_000_000;
        let q12 = v / 1_000_000_000_000; // the first digit
        let g2 = (q8 - q12 * 10_000) as u32;
        let g3 = (q4 - q8 * 10_000) as u32;
        let g4 = (v - q4 * 10_000) as u32;
        let ascii = 0x3030_3030_3030_3030u64;
        // "000d" and g2's four digits: bytes 3 to 7 are the first five digits.
        let head = (four_digit_pairs(q12 as u32, g2) >> 24) | (ascii >> 24);
        let tail = four_digit_pairs(g3, g4) | ascii;
        (head as u128) | ((tail as u128) << 40)
    }
}

/// The decimal digits of `a` and `b` (each below 10 000) as eight bytes 0..=9, most
/// significant first in memory (little-endian): `a`'s four digits, then `b`'s.
///
/// Each value becomes a 28-bit binary fraction of itself over 10⁴ (`× ⌈2²⁸ / 10⁴⌉`, exact
/// enough for four digits: tested for every value), one per 32-bit lane; multiplying by ten
/// pushes the next digit into the lane's top four bits. One multiply and four cheap steps,
/// against two dependent divide-and-subtract rounds.
#[inline]
const fn four_digit_pairs(a: u32, b: u32) -> u64 {
    const LANE_FRACTIONS: u64 = 0x0fff_ffff_0fff_ffff;
    const LANE_DIGITS: u64 = 0x0000_000f_0000_000f;
    let mut f = (a as u64 | ((b as u64) << 32)) * 26_844;
    let mut digits = 0;
    let mut i = 0;
    while i < 4 {
        f *= 10;
        digits |= ((f >> 28) & LANE_DIGITS) << (8 * i);
        f &= LANE_FRACTIONS;
        i += 1;
    }
    digits
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
    fn four_digit_pairs_are_exact_for_every_group() {
        for a in 0..10_000u32 {
            let b = 9_999 - a;
            let text = std::format!("{a:04}{b:04}");
            let expected: [u8; 8] = core::array::from_fn(|i| text.as_bytes()[i] - b'0');
            assert_eq!(four_digit_pairs(a, b).to_le_bytes(), expected, "{a} {b}");
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
