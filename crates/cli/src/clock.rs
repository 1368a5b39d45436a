//! The time and ids the CLI generates when the user does not give them.

use std::time::SystemTime;

use sigil_client_core::{Clock, IdSource, unix_millis};
use sigil_signing::TimestampMillis;

use crate::CliError;

/// Where "now" and fresh request ids come from (injectable, so tests are deterministic).
pub(crate) struct Generators<'a> {
    /// The clock.
    pub(crate) clock: &'a dyn Clock,
    /// Request ids (UUID v4 in production).
    pub(crate) ids: &'a dyn IdSource,
}

/// The 13-digit millisecond timestamp of `time`.
pub(crate) fn timestamp_of(time: SystemTime) -> Result<TimestampMillis, CliError> {
    TimestampMillis::new(unix_millis(time)).map_err(|_| {
        CliError::Usage("the system clock is outside the 13-digit millisecond range".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamp_of_known_instant() {
        let t = UNIX_EPOCH + Duration::from_millis(1_665_683_270_207);
        assert_eq!(timestamp_of(t).unwrap().as_millis(), 1_665_683_270_207);
        assert!(timestamp_of(UNIX_EPOCH).is_err());
    }
}
