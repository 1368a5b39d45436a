//! The `x-av-date` format.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

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
    /// Formats `time`.
    pub fn format(&self, time: SystemTime) -> String {
        match self {
            DateFormat::Micros => {
                let mut text = humantime::format_rfc3339_micros(time).to_string();
                text.pop(); // the trailing `Z`
                text
            }
            DateFormat::MillisZ => humantime::format_rfc3339_millis(time).to_string(),
            DateFormat::Custom(f) => f(time),
        }
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
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn formats() {
        let t = UNIX_EPOCH + Duration::from_micros(1_618_012_800_000_000);
        assert_eq!(DateFormat::Micros.format(t), "2021-04-10T00:00:00.000000");
        assert_eq!(DateFormat::MillisZ.format(t), "2021-04-10T00:00:00.000Z");
        let custom = DateFormat::Custom(Arc::new(|_| "x".to_owned()));
        assert_eq!(custom.format(t), "x");
    }
}
