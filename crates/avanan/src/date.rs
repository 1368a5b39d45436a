//! The `x-av-date` format.

use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

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
        let mut text = StackText::default();
        let written = match self {
            DateFormat::Micros => {
                write!(text, "{}", humantime::format_rfc3339_micros(time)).map(|()| {
                    text.len = text.len.saturating_sub(1); // the trailing `Z`
                })
            }
            DateFormat::MillisZ => write!(text, "{}", humantime::format_rfc3339_millis(time)),
            DateFormat::Custom(f) => return Ok(DateText::Owned(f(time))),
        };
        written.map_err(|_| AvananError::Config("a date longer than its buffer".into()))?;
        Ok(DateText::Stack(text))
    }
}

/// A formatted date: a built-in format on the stack, or a custom format's `String`.
enum DateText {
    Stack(StackText),
    Owned(String),
}

/// Text written into a fixed stack buffer (a date is 24 to 27 bytes); writing past its end is
/// a `fmt::Error`, not a panic.
#[derive(Default)]
struct StackText {
    buf: [u8; 32],
    len: usize,
}

impl StackText {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len.min(self.buf.len())]
    }

    /// The text (always UTF-8: only `&str`s are written, and a built-in date is ASCII, so
    /// trimming its last byte keeps it whole).
    fn as_str(&self) -> Result<&str, AvananError> {
        std::str::from_utf8(self.as_bytes())
            .map_err(|_| AvananError::Config("a date that is not UTF-8".into()))
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
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
