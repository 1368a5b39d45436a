//! The `x-av-date` format.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::HeaderValue;

use crate::AvananError;

/// 9999-12-31T23:59:59Z plus one second, in seconds since the epoch.
const LAST_SECOND_OF_9999: u64 = 253_402_300_800;

/// How `x-av-date` is written. Whatever is sent is exactly what is signed.
#[derive(Clone, Default)]
pub enum DateFormat {
    /// UTC with microseconds and no zone, `2026-11-23T18:24:55.940446` (the default: the live
    /// service answers HTTP 500 to a trailing `Z`).
    #[default]
    Micros,
    /// The document's form, `2021-04-10T00:00:00.000Z`.
    MillisZ,
    /// Any other format.
    Custom(Arc<dyn Fn(SystemTime) -> String + Send + Sync>),
}

impl DateFormat {
    /// Formats `time`; a time outside 1970..=9999 (a broken clock) is an error, not a panic.
    pub fn format(&self, time: SystemTime) -> Result<String, AvananError> {
        match self.text(time)? {
            DateText::Stack(text) => Ok(text.as_str()?.to_owned()),
            DateText::Owned(text) => Ok(text),
        }
    }

    /// The `x-av-date` header value for `time`, with the text of [`format`](Self::format):
    /// a built-in format is written into a stack buffer and copied once into the value, a
    /// custom one's `String` becomes the value without a copy.
    pub(crate) fn header_value(&self, time: SystemTime) -> Result<HeaderValue, AvananError> {
        match self.text(time)? {
            DateText::Stack(text) => HeaderValue::from_bytes(text.as_bytes()),
            DateText::Owned(text) => HeaderValue::from_maybe_shared(Bytes::from(text)),
        }
        .map_err(|_| AvananError::InvalidRequest("the date is not a valid header value".into()))
    }

    /// The text for `time`, the one place the formats are written. The built-in formats
    /// need a time in 1970..=9999; a custom one takes any.
    fn text(&self, time: SystemTime) -> Result<DateText, AvananError> {
        let since_epoch = time.duration_since(UNIX_EPOCH).ok();
        if !matches!(self, DateFormat::Custom(_))
            && since_epoch.is_none_or(|d| d.as_secs() >= LAST_SECOND_OF_9999)
        {
            return Err(AvananError::Config(
                "the clock reads a time outside the years 1970 to 9999".into(),
            ));
        }
        let since_epoch = since_epoch.unwrap_or_default();
        let text = match self {
            DateFormat::Micros => rfc3339_utc(since_epoch, Fraction::Micros),
            DateFormat::MillisZ => rfc3339_utc(since_epoch, Fraction::MillisZ),
            DateFormat::Custom(f) => return Ok(DateText::Owned(f(time))),
        };
        Ok(DateText::Stack(text))
    }
}

/// The fraction of a second a built-in format ends with.
#[derive(Clone, Copy)]
enum Fraction {
    /// `.ffffff`, no zone.
    Micros,
    /// `.fffZ`.
    MillisZ,
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC and the fraction (truncated, as `humantime`'s RFC 3339
/// formatters do), for a time since the epoch within the years 1970..=9999.
///
/// Written digit by digit into the buffer rather than through `humantime` and `fmt::write`,
/// which were a visible part of building a whole signed Avanan request (`sigil bench`).
/// The tests hold it equal to `humantime` for every day of the range.
fn rfc3339_utc(since_epoch: Duration, fraction: Fraction) -> StackText {
    let secs = since_epoch.as_secs().min(LAST_SECOND_OF_9999 - 1);
    let (year, month, day) = civil_from_days(secs / 86_400);
    let second_of_day = secs % 86_400;
    let (fraction_value, fraction_digits) = match fraction {
        Fraction::Micros => (u64::from(since_epoch.subsec_micros()), 6),
        Fraction::MillisZ => (u64::from(since_epoch.subsec_millis()), 3),
    };
    let mut text = StackText::default();
    for (separator, value, digits) in [
        (None, year, 4),
        (Some(b'-'), month, 2),
        (Some(b'-'), day, 2),
        (Some(b'T'), second_of_day / 3600, 2),
        (Some(b':'), second_of_day / 60 % 60, 2),
        (Some(b':'), second_of_day % 60, 2),
        (Some(b'.'), fraction_value, fraction_digits),
    ] {
        if let Some(separator) = separator {
            text.push(separator);
        }
        text.push_digits(value, digits);
    }
    if let Fraction::MillisZ = fraction {
        text.push(b'Z');
    }
    text
}

/// The proleptic Gregorian (year, month, day) of a day number since 1970-01-01, for days
/// before the year 10000 (H. Hinnant's `civil_from_days`, unsigned since the day is never
/// before the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// A formatted date: a built-in format on the stack, or a custom format's `String`.
enum DateText {
    Stack(StackText),
    Owned(String),
}

/// Text written into a fixed stack buffer (a date is 24 to 27 bytes); a byte past its end is
/// dropped, never a panic.
#[derive(Default)]
struct StackText {
    buf: [u8; 32],
    len: usize,
}

impl StackText {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len.min(self.buf.len())]
    }

    /// The text (always UTF-8: only ASCII digits and separators are written).
    fn as_str(&self) -> Result<&str, AvananError> {
        std::str::from_utf8(self.as_bytes())
            .map_err(|_| AvananError::Config("a date that is not UTF-8".into()))
    }

    /// Appends one byte; a byte past the end of the buffer is dropped (a built-in date is at
    /// most 27 bytes of 32).
    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    /// Appends the last `digits` decimal digits of `value`, zero-padded (written from the
    /// last digit back, dividing by the constant ten).
    fn push_digits(&mut self, value: u64, digits: usize) {
        let start = self.len;
        let mut rest = value;
        for slot in self.buf.iter_mut().skip(start).take(digits).rev() {
            // A remainder modulo ten: always one digit.
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        self.len = (start + digits).min(self.buf.len());
    }
}

impl fmt::Debug for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateFormat::Micros => f.write_str("Micros"),
            DateFormat::MillisZ => f.write_str("MillisZ"),
            DateFormat::Custom(_) => f.write_str("Custom"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats() {
        let t = UNIX_EPOCH + Duration::from_micros(1_618_012_800_000_000);
        assert_eq!(
            DateFormat::Micros.format(t).unwrap(),
            "2021-04-10T00:00:00.000000"
        );
        assert_eq!(
            DateFormat::MillisZ.format(t).unwrap(),
            "2021-04-10T00:00:00.000Z"
        );
        let custom = DateFormat::Custom(Arc::new(|_| "x".to_owned()));
        assert_eq!(custom.format(t).unwrap(), "x");
        // The header value holds the same text as `format`, for every format.
        for format in [DateFormat::Micros, DateFormat::MillisZ, custom] {
            for time in [t, t + Duration::from_micros(123_456_789), UNIX_EPOCH] {
                assert_eq!(
                    format.header_value(time).unwrap().to_str().unwrap(),
                    format.format(time).unwrap()
                );
            }
        }
        let bad = DateFormat::Custom(Arc::new(|_| "a\nb".to_owned()));
        assert!(bad.header_value(t).is_err());
    }

    #[test]
    fn the_direct_formatter_matches_humantime_over_the_whole_range() {
        // Days from 1970 to 9999 (with a time of day and fraction that move from day to day),
        // the first and last instants, and leap days.
        let check = |t: SystemTime| {
            let micros = humantime::format_rfc3339_micros(t).to_string();
            assert_eq!(
                DateFormat::Micros.format(t).unwrap(),
                micros.trim_end_matches('Z'),
                "{micros}"
            );
            assert_eq!(
                DateFormat::MillisZ.format(t).unwrap(),
                humantime::format_rfc3339_millis(t).to_string()
            );
        };
        // Every day to the year 2517, every fifth day after (the test runs unoptimised).
        let days = LAST_SECOND_OF_9999 / 86_400;
        for day in (0..days).filter(|d| *d < 200_000 || d % 5 == 0) {
            let within = (day * 7_919 % 86_400) * 1_000_000 + day * 104_729 % 1_000_000;
            check(UNIX_EPOCH + Duration::from_secs(day * 86_400) + Duration::from_micros(within));
        }
        for t in [
            UNIX_EPOCH,
            UNIX_EPOCH + Duration::from_nanos(999_999_999),
            UNIX_EPOCH
                + Duration::from_secs(LAST_SECOND_OF_9999 - 1)
                + Duration::from_nanos(999_999_999),
            UNIX_EPOCH + Duration::from_secs(951_782_400), // 2000-02-29
            UNIX_EPOCH + Duration::from_secs(4_107_542_400), // 2100-03-01
            UNIX_EPOCH + Duration::from_secs(253_281_254_399), // 9996-02-29T23:59:59
        ] {
            check(t);
        }
    }

    #[test]
    fn out_of_range_clocks_are_errors() {
        let last = UNIX_EPOCH + Duration::from_secs(LAST_SECOND_OF_9999 - 1);
        assert_eq!(
            DateFormat::Micros.format(last).unwrap(),
            "9999-12-31T23:59:59.000000"
        );
        for t in [
            UNIX_EPOCH + Duration::from_secs(LAST_SECOND_OF_9999),
            UNIX_EPOCH + Duration::from_secs(u64::MAX / 4),
            UNIX_EPOCH - Duration::from_secs(1),
        ] {
            assert!(DateFormat::Micros.format(t).is_err());
            assert!(DateFormat::MillisZ.format(t).is_err());
            assert!(DateFormat::Micros.header_value(t).is_err());
        }
    }
}
