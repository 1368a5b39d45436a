//! The time and randomness the CLI generates when the user does not give them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigil_signing::TimestampMillis;

use crate::CliError;

/// Where "now" and fresh request ids come from; injectable so tests are deterministic.
pub(crate) trait Clock {
    /// The current time.
    fn now(&self) -> SystemTime;
    /// A fresh request id (UUID v4).
    fn request_id(&self) -> String;
}

/// The real clock and `uuid`'s random v4 ids.
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
    fn request_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

/// The 13-digit millisecond timestamp of `time`.
pub(crate) fn timestamp_of(time: SystemTime) -> Result<TimestampMillis, CliError> {
    let millis = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis();
    u64::try_from(millis)
        .ok()
        .and_then(|m| TimestampMillis::new(m).ok())
        .ok_or_else(|| {
            CliError::Usage("the system clock is outside the 13-digit millisecond range".into())
        })
}

/// Avanan's `x-av-date`: UTC with microseconds and no zone suffix, e.g.
/// `2026-11-23T18:24:55.940446` (the live service rejects a trailing `Z`).
pub(crate) fn avanan_date_of(time: SystemTime) -> String {
    let mut text = humantime::format_rfc3339_micros(time).to_string();
    if text.ends_with('Z') {
        text.pop();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avanan_date_has_microseconds_and_no_zone() {
        let t = UNIX_EPOCH + Duration::from_micros(1_795_458_295_940_446);
        assert_eq!(avanan_date_of(t), "2026-11-23T18:24:55.940446");
    }

    #[test]
    fn timestamp_of_known_instant() {
        let t = UNIX_EPOCH + Duration::from_millis(1_665_683_270_207);
        assert_eq!(timestamp_of(t).unwrap().as_millis(), 1_665_683_270_207);
        assert!(timestamp_of(UNIX_EPOCH).is_err());
    }
}
