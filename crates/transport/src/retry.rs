//! What may be retried, and how long to wait: the policy, `Retry-After`, vendor classifiers.

use std::time::{Duration, SystemTime};

use crate::{HttpRequest, HttpResponse};

/// Bounds of the retries a [`Dispatcher`](crate::Dispatcher) makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles for each further one.
    pub base_delay: Duration,
    /// The longest single wait. A `Retry-After` asking for more ends the retries with
    /// [`TransportError::RetryAfterTooLong`](crate::TransportError::RetryAfterTooLong).
    pub max_delay: Duration,
    /// The retry quota of one client (as in the AWS SDKs): a retry takes
    /// [`RETRY_COST`](crate::RETRY_COST) tokens (a retry after a timeout
    /// [`TIMEOUT_RETRY_COST`](crate::TIMEOUT_RETRY_COST)), a success gives back what its
    /// retries took, or one token. An empty quota means no more retries until calls
    /// succeed again, so an outage does not multiply traffic.
    pub quota: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            quota: 500,
        }
    }
}

/// What to do after a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// The response is final.
    Done,
    /// Try again, after at least `after` when the server said so.
    Retry {
        /// The server's `Retry-After`, if any.
        after: Option<Duration>,
    },
}

/// Declares responses retryable beyond HTTP 429 and 5xx, e.g. ADVANCE's `SERVICE_BUSY`
/// code inside an HTTP 200.
pub trait RetryClassifier: Send + Sync {
    /// Decides for one response to a request that is safe to repeat; `now` is the wall
    /// clock, for HTTP-date `Retry-After`.
    fn classify(&self, response: &HttpResponse, now: SystemTime) -> RetryDecision;

    /// Decides for one response to a request that is *not* safe to repeat (one that creates
    /// something): `Retry` only when the answer says the server did not process the request
    /// at all (ADVANCE's `SERVICE_BUSY`, say). HTTP 429 is taken as such without asking.
    /// The default: nothing else is.
    fn not_processed(&self, response: &HttpResponse, now: SystemTime) -> RetryDecision {
        let _ = (response, now);
        RetryDecision::Done
    }
}

/// Marks a request as safe to repeat although its method is not idempotent (e.g. a POST
/// that only reads, or that the caller knows to be harmless twice). Insert it into the
/// request's extensions.
///
/// Without it, a request whose method is not idempotent (POST, PATCH) is taken to create
/// something: it is sent again only when it provably never reached the server (the
/// connection was refused or could not be set up) or the server said it did not process it
/// (HTTP 429, or what the vendor's [`RetryClassifier::not_processed`] says); never after a
/// timeout, a dropped connection or a 5xx, when the server may have acted on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetrySafe;

/// The server's clock as its `Date` header says, if the header is there and readable.
///
/// ```
/// let mut headers = http::HeaderMap::new();
/// headers.insert(http::header::DATE, "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap());
/// let date = sigil_transport::response_date(&headers).unwrap();
/// assert_eq!(httpdate::fmt_http_date(date), "Sun, 06 Nov 1994 08:49:37 GMT");
/// ```
pub fn response_date(headers: &http::HeaderMap) -> Option<SystemTime> {
    let value = headers.get(http::header::DATE)?.to_str().ok()?;
    httpdate::parse_http_date(value).ok()
}

/// Parses `Retry-After`: delay-seconds or an HTTP-date (relative to `now`).
pub fn retry_after(headers: &http::HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// HTTP 429: the server says it did not process the request.
pub(crate) fn throttled(response: &HttpResponse, now: SystemTime) -> RetryDecision {
    if response.status() == http::StatusCode::TOO_MANY_REQUESTS {
        RetryDecision::Retry {
            after: retry_after(response.headers(), now),
        }
    } else {
        RetryDecision::Done
    }
}

pub(crate) fn by_status(response: &HttpResponse, now: SystemTime) -> RetryDecision {
    let status = response.status();
    if status == http::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        RetryDecision::Retry {
            after: retry_after(response.headers(), now),
        }
    } else {
        RetryDecision::Done
    }
}

/// Whether the request may be sent again: an idempotent method, or marked [`RetrySafe`].
pub(crate) fn repeatable(request: &HttpRequest) -> bool {
    use http::Method;
    matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    ) || request.extensions().get::<RetrySafe>().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = http::HeaderMap::new();
        assert_eq!(retry_after(&h, now), None);
        h.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("7"),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(12));
        h.insert(http::header::RETRY_AFTER, later.parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(12)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(12));
        h.insert(http::header::RETRY_AFTER, past.parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
        h.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("soon"),
        );
        assert_eq!(retry_after(&h, now), None);
    }
}
