//! The `x-av-date` format.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

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
        let since_epoch = time.duration_since(UNIX_EPOCH).ok();
        if !matches!(self, DateFormat::Custom(_))
            && since_epoch.is_none_or(|d| d.as_secs() >= LAST_SECOND_OF_9999)
        {
            return Err(AvananError::Config(
                "the clock reads a time outside the years 1970 to 9999".into(),
            ));
        }
        Ok(match self {
            DateFormat::Micros => {
                let mut text = humantime::format_rfc3339_micros(time).to_string();
                text.pop(); // the trailing `Z`
                text
            }
            DateFormat::MillisZ => humantime::format_rfc3339_millis(time).to_string(),
            DateFormat::Custom(f) => f(time),
        })
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
        }
    }
}
