//! Retries with exponential backoff and jitter, honouring `Retry-After`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::{HttpRequest, HttpResponse, HttpSend, SendFuture, TransportError, clone_request};

/// Bounds of the [`Retry`] wrapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles for each further one.
    pub base_delay: Duration,
    /// The longest single wait. A `Retry-After` asking for more ends the retries.
    pub max_delay: Duration,
    /// The longest time from the first attempt to the start of the last one.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(30),
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
    /// Decides for one response; `now` is the wall clock, for HTTP-date `Retry-After`.
    fn classify(&self, response: &HttpResponse, now: SystemTime) -> RetryDecision;
}

/// Marks a request as safe to repeat although its method is not idempotent (e.g. a POST
/// that only reads, or that the caller knows to be harmless twice). Insert it into the
/// request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetrySafe;

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

fn by_status(response: &HttpResponse, now: SystemTime) -> RetryDecision {
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
fn repeatable(request: &HttpRequest) -> bool {
    use http::Method;
    matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    ) || request.extensions().get::<RetrySafe>().is_some()
}

type Jitter = Arc<dyn Fn() -> f64 + Send + Sync>;
type WallClock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Wraps a transport with retries: connection failures (never sent) always; timeouts,
/// broken connections, HTTP 429, 5xx and classifier-declared responses only for requests
/// that are safe to repeat. Waits grow exponentially with jitter, at least as long as the
/// server's `Retry-After`, within the [`RetryPolicy`]'s bounds. Waiting uses tokio's clock,
/// so tests can pause it.
#[derive(Clone)]
pub struct Retry<T> {
    inner: T,
    policy: RetryPolicy,
    classifier: Option<Arc<dyn RetryClassifier>>,
    jitter: Jitter,
    now: WallClock,
}

impl<T> std::fmt::Debug for Retry<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retry")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl<T: HttpSend> Retry<T> {
    /// Wraps `inner` with `policy`, random jitter and the system clock.
    pub fn new(inner: T, policy: RetryPolicy) -> Self {
        Self {
            inner,
            policy,
            classifier: None,
            jitter: Arc::new(fastrand::f64),
            now: Arc::new(SystemTime::now),
        }
    }

    /// Adds a vendor's classifier, consulted after the status check.
    pub fn with_classifier(mut self, classifier: Arc<dyn RetryClassifier>) -> Self {
        self.classifier = Some(classifier);
        self
    }

    /// Replaces the jitter source: a function returning a value in `[0, 1)`.
    pub fn with_jitter(mut self, jitter: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        self.jitter = Arc::new(jitter);
        self
    }

    /// Replaces the wall clock used to read HTTP-date `Retry-After` values.
    pub fn with_wall_clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.now = Arc::new(now);
        self
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The backoff before retry number `retry` (1-based): half the exponential delay plus a
    /// random part of the other half.
    fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .policy
            .base_delay
            .saturating_mul(
                1u32.checked_shl(retry.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .min(self.policy.max_delay);
        let jitter = (self.jitter)().clamp(0.0, 1.0);
        exp / 2 + exp.mul_f64(jitter / 2.0)
    }

    fn decide(
        &self,
        result: &Result<HttpResponse, TransportError>,
        may_repeat: bool,
    ) -> RetryDecision {
        match result {
            Err(e) if e.never_sent() => match e {
                TransportError::Connect(_) => RetryDecision::Retry { after: None },
                _ => RetryDecision::Done,
            },
            Err(TransportError::Timeout(_) | TransportError::Io(_)) if may_repeat => {
                RetryDecision::Retry { after: None }
            }
            Err(_) => RetryDecision::Done,
            Ok(_) if !may_repeat => RetryDecision::Done,
            Ok(response) => {
                let now = (self.now)();
                match by_status(response, now) {
                    RetryDecision::Done => self
                        .classifier
                        .as_ref()
                        .map_or(RetryDecision::Done, |c| c.classify(response, now)),
                    retry => retry,
                }
            }
        }
    }

    async fn run(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let started = tokio::time::Instant::now();
        let may_repeat = repeatable(&request);
        let mut attempt = 1;
        loop {
            let last_attempt = attempt >= self.policy.max_attempts.max(1);
            // Cheap: the body is reference-counted `Bytes`.
            let result = self.inner.send(clone_request(&request)).await;
            if last_attempt {
                return result;
            }
            let RetryDecision::Retry { after } = self.decide(&result, may_repeat) else {
                return result;
            };
            let wait = self.backoff(attempt).max(after.unwrap_or(Duration::ZERO));
            if after.is_some_and(|a| a > self.policy.max_delay)
                || started.elapsed() + wait > self.policy.max_elapsed
            {
                return result;
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

impl<T: HttpSend> HttpSend for Retry<T> {
    fn send(&self, request: HttpRequest) -> SendFuture<'_> {
        Box::pin(self.run(request))
    }
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

    #[test]
    fn backoff_doubles_within_bounds() {
        let retry =
            Retry::new(crate::ScriptedTransport::new(), RetryPolicy::default()).with_jitter(|| 0.0);
        assert_eq!(retry.backoff(1), Duration::from_millis(100));
        assert_eq!(retry.backoff(2), Duration::from_millis(200));
        assert_eq!(retry.backoff(3), Duration::from_millis(400));
        assert_eq!(retry.backoff(40), Duration::from_secs(5));
        let full = retry.with_jitter(|| 0.999_999);
        assert!(
            full.backoff(1) < Duration::from_millis(200)
                && full.backoff(1) > Duration::from_millis(199)
        );
    }
}
