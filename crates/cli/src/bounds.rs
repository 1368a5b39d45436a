//! Bounded parsers for the numeric flags: a value out of range is a usage error (exit 2)
//! naming the flag, never a panic or a failure later on.

use std::time::Duration;

/// A whole number within `lo..=hi`, for the numeric flags (a usage error otherwise).
fn parse_within(s: &str, lo: usize, hi: usize) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(format!("{s:?} is not a whole number from {lo} to {hi}")),
    }
}

pub(crate) fn parse_connections(s: &str) -> Result<usize, String> {
    parse_within(s, 1, 65_536)
}

pub(crate) fn parse_body_bytes(s: &str) -> Result<usize, String> {
    parse_within(s, 1024, 1 << 30)
}

pub(crate) fn parse_count(s: &str) -> Result<usize, String> {
    parse_within(s, 1, 10_000_000)
}

pub(crate) fn parse_page_size(s: &str) -> Result<usize, String> {
    parse_within(s, 1, 100_000)
}

pub(crate) fn parse_state_bytes(s: &str) -> Result<usize, String> {
    parse_within(s, 64 * 1024, 1 << 34)
}

/// A duration within `lo..=hi`.
fn parse_duration_within(s: &str, lo: Duration, hi: Duration) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e}"))?;
    if (lo..=hi).contains(&d) {
        Ok(d)
    } else {
        Err(format!(
            "{s:?} is not from {} to {}",
            humantime::format_duration(lo),
            humantime::format_duration(hi)
        ))
    }
}

/// A read timeout: 1 ms to 1 h.
pub(crate) fn parse_limit_duration(s: &str) -> Result<Duration, String> {
    parse_duration_within(s, Duration::from_millis(1), Duration::from_secs(3600))
}

/// A fault delay: 0 to 1 h.
pub(crate) fn parse_fault_duration(s: &str) -> Result<Duration, String> {
    parse_duration_within(s, Duration::ZERO, Duration::from_secs(3600))
}

/// A token lifetime: 1 s to 30 days.
pub(crate) fn parse_token_lifetime(s: &str) -> Result<Duration, String> {
    parse_duration_within(s, Duration::from_secs(1), Duration::from_secs(30 * 86_400))
}

/// A call's deadline (`--timeout`): 1 ms to 1 h.
pub(crate) fn parse_call_timeout(s: &str) -> Result<Duration, String> {
    parse_duration_within(s, Duration::from_millis(1), Duration::from_secs(3600))
}
