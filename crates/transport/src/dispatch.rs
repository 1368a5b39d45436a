//! The client layer's loop around a transport: a request built (and signed) afresh for every
//! attempt, a per-attempt timeout and a per-operation deadline that hold for any
//! [`HttpSend`], retries with backoff, `Retry-After` and a retry quota, and a response size
//! limit.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::retry::{by_status, repeatable, throttled};
use crate::{
    Clock, HttpRequest, HttpResponse, HttpSend, RetryClassifier, RetryDecision, RetryPolicy,
    SystemClock, TransportError,
};

/// Quota tokens one retry takes.
pub const RETRY_COST: u32 = 5;
/// Quota tokens one retry after a timeout takes.
pub const TIMEOUT_RETRY_COST: u32 = 10;
/// The default response size limit: 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Time limits every client call obeys, whatever the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing a connection (TCP and TLS); used by the built-in reqwest transport
    /// (default 5 s).
    pub connect: Duration,
    /// One HTTP exchange, from sending to the last body byte (default 10 s).
    pub attempt: Duration,
    /// One client operation: waiting for a token, every attempt and every wait between
    /// attempts (default 30 s).
    pub operation: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            attempt: Duration::from_secs(10),
            operation: Duration::from_secs(30),
        }
    }
}

/// The instant by which an operation must be over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at: Instant,
    budget: Duration,
}

impl Deadline {
    /// `budget` from now (a budget too large to represent means "about a century").
    pub fn after(budget: Duration) -> Self {
        let now = Instant::now();
        let at = now
            .checked_add(budget)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400));
        Self { at, budget }
    }

    /// Time left.
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// The whole budget this deadline was made with.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// Runs `work` until the deadline: its output, or
    /// [`TransportError::OperationTimeout`].
    pub async fn run<T>(&self, work: impl Future<Output = T>) -> Result<T, TransportError> {
        tokio::time::timeout_at(self.at, work)
            .await
            .map_err(|_| TransportError::OperationTimeout(self.budget))
    }

    /// Runs fallible `work` until the deadline: its result, or the client's error for
    /// [`TransportError::OperationTimeout`].
    pub async fn within<T, E: From<TransportError>>(
        &self,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        self.run(work).await?
    }
}

/// A client's retry quota (a token bucket shared by all its calls).
#[derive(Debug)]
pub struct RetryQuota {
    capacity: u32,
    available: Mutex<u32>,
}

impl RetryQuota {
    /// A full quota of `capacity` tokens.
    pub fn new(capacity: u32) -> Self {
        Self {
            capacity,
            available: Mutex::new(capacity),
        }
    }

    /// Takes `cost` tokens if there are that many.
    pub fn try_acquire(&self, cost: u32) -> bool {
        let mut available = self
            .available
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *available >= cost {
            *available -= cost;
            true
        } else {
            false
        }
    }

    /// Gives back `amount` tokens (never above the capacity).
    pub fn release(&self, amount: u32) {
        let mut available = self
            .available
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *available = available.saturating_add(amount).min(self.capacity);
    }

    /// Tokens left.
    pub fn available(&self) -> u32 {
        *self
            .available
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

type Jitter = Arc<dyn Fn() -> f64 + Send + Sync>;

/// Sends a client's requests: builds each attempt afresh (so every retry carries a fresh
/// timestamp, request id and signature), bounds each attempt and the whole operation in
/// time, retries what is safe to retry within a [`RetryPolicy`] and a [`RetryQuota`], and
/// refuses responses larger than the size limit.
///
/// Connection failures (never sent) and HTTP 429 (not processed) are always retried;
/// timeouts, broken connections, 5xx and classifier-declared responses only for requests
/// that are safe to repeat (an idempotent method, or [`RetrySafe`](crate::RetrySafe)). A
/// request that is not (one that creates something) is otherwise repeated only when the
/// vendor's classifier says the server did not process it
/// ([`RetryClassifier::not_processed`]). Waiting uses tokio's clock, so tests can pause it.
///
/// ```
/// # #[cfg(feature = "test-util")] {
/// use bytes::Bytes;
/// use sigil_transport::{Dispatcher, ScriptedTransport, TransportError};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// let transport = ScriptedTransport::new().respond(503, "").respond(200, "ok");
/// let dispatcher = Dispatcher::new(std::sync::Arc::new(transport.clone()));
/// let mut attempt = 0;
/// let response = dispatcher
///     .send(dispatcher.deadline(), || {
///         attempt += 1; // a real client signs here, once per attempt
///         http::Request::get(format!("http://vendor.test/x?attempt={attempt}"))
///             .body(Bytes::new())
///             .map_err(|e| TransportError::InvalidRequest(e.to_string()))
///     })
///     .await?;
/// assert_eq!(response.status(), 200);
/// assert_eq!(transport.requests()[1].uri, "http://vendor.test/x?attempt=2");
/// # Ok::<(), TransportError>(()) }).unwrap();
/// # }
/// ```
#[derive(Clone)]
pub struct Dispatcher {
    transport: Arc<dyn HttpSend>,
    retry: Option<RetryPolicy>,
    classifier: Option<Arc<dyn RetryClassifier>>,
    timeouts: Timeouts,
    max_response_bytes: usize,
    quota: Arc<RetryQuota>,
    jitter: Jitter,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatcher")
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("quota", &self.quota.available())
            .finish_non_exhaustive()
    }
}

/// A rate, a fraction or a random draw within `[0, 1]`: values outside are clamped, and NaN
/// or an infinity counts as 0 (so a broken jitter source or setting cannot panic a client).
///
/// ```
/// assert_eq!(sigil_transport::unit_interval(1.5), 1.0);
/// assert_eq!(sigil_transport::unit_interval(f64::NAN), 0.0);
/// ```
pub fn unit_interval(value: f64) -> f64 {
    if value.is_finite() {
        value.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

impl Dispatcher {
    /// `transport` with the default [`Timeouts`], [`RetryPolicy`] and size limit.
    pub fn new(transport: Arc<dyn HttpSend>) -> Self {
        let retry = RetryPolicy::default();
        Self {
            transport,
            quota: Arc::new(RetryQuota::new(retry.quota)),
            retry: Some(retry),
            classifier: None,
            timeouts: Timeouts::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            jitter: Arc::new(fastrand::f64),
            clock: Arc::new(SystemClock),
        }
    }

    /// Retries (`None`: one attempt only).
    pub fn with_retry(mut self, retry: Option<RetryPolicy>) -> Self {
        self.quota = Arc::new(RetryQuota::new(retry.map_or(0, |r| r.quota)));
        self.retry = retry;
        self
    }

    /// A vendor's classifier of retryable answers, consulted after the status check.
    pub fn with_classifier(mut self, classifier: Arc<dyn RetryClassifier>) -> Self {
        self.classifier = Some(classifier);
        self
    }

    /// The time limits.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The largest response body accepted.
    pub fn with_max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Replaces the jitter source: a function returning a value in `[0, 1)`.
    pub fn with_jitter(mut self, jitter: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        self.jitter = Arc::new(jitter);
        self
    }

    /// The clock HTTP-date `Retry-After` values are read against: the client's own clock,
    /// the one its token cache and signatures use (default the system clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the wall clock used to read HTTP-date `Retry-After` values.
    #[deprecated(
        since = "0.1.1",
        note = "use `with_clock`, which takes the client's `Clock`"
    )]
    pub fn with_wall_clock(self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        /// A closure as a clock.
        struct FnClock<F>(F);
        impl<F: Fn() -> SystemTime + Send + Sync> Clock for FnClock<F> {
            fn now(&self) -> SystemTime {
                (self.0)()
            }
        }
        self.with_clock(Arc::new(FnClock(now)))
    }

    /// The time limits in force.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The retry quota.
    pub fn quota(&self) -> &RetryQuota {
        &self.quota
    }

    /// A deadline one operation timeout from now.
    pub fn deadline(&self) -> Deadline {
        Deadline::after(self.timeouts.operation)
    }

    /// The backoff before retry number `retry` (1-based): half the exponential delay plus a
    /// random part of the other half.
    fn backoff(&self, policy: &RetryPolicy, retry: u32) -> Duration {
        let exp = policy
            .base_delay
            .saturating_mul(
                1u32.checked_shl(retry.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .min(policy.max_delay);
        let jitter = unit_interval((self.jitter)());
        (exp / 2).saturating_add((exp / 2).mul_f64(jitter))
    }

    fn decide(
        &self,
        result: &Result<HttpResponse, TransportError>,
        may_repeat: bool,
    ) -> RetryDecision {
        match result {
            Err(TransportError::Connect(_)) => RetryDecision::Retry { after: None },
            Err(TransportError::Timeout(_) | TransportError::Io(_)) if may_repeat => {
                RetryDecision::Retry { after: None }
            }
            Err(_) => RetryDecision::Done,
            // A call that creates something: again only if the server did not process it,
            // and never after a 5xx, whatever its body says.
            Ok(response) if !may_repeat && response.status().is_server_error() => {
                RetryDecision::Done
            }
            Ok(response) => {
                let now = self.clock.now();
                // The status first (a creating call: only 429), then the vendor's word.
                let status_says = if may_repeat {
                    by_status(response, now)
                } else {
                    throttled(response, now)
                };
                match (status_says, &self.classifier) {
                    (RetryDecision::Done, Some(vendor)) if may_repeat => {
                        vendor.classify(response, now)
                    }
                    (RetryDecision::Done, Some(vendor)) => vendor.not_processed(response, now),
                    (decision, _) => decision,
                }
            }
        }
    }

    /// One exchange within the attempt timeout and the deadline, with the size limit.
    async fn attempt(
        &self,
        deadline: &Deadline,
        request: HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            return Err(TransportError::OperationTimeout(deadline.budget()));
        }
        let limit = self.timeouts.attempt.min(remaining);
        let response = match tokio::time::timeout(limit, self.transport.send(request)).await {
            Ok(result) => result?,
            Err(_) if limit < self.timeouts.attempt => {
                return Err(TransportError::OperationTimeout(deadline.budget()));
            }
            Err(_) => return Err(TransportError::Timeout(limit)),
        };
        if response.body().len() > self.max_response_bytes {
            return Err(TransportError::ResponseTooLarge {
                limit: self.max_response_bytes,
            });
        }
        Ok(response)
    }

    /// Sends the request `build` makes, calling `build` again for every retry, until a
    /// final answer, the retry policy or quota is spent, or `deadline` passes.
    pub async fn send<E, F>(&self, deadline: Deadline, mut build: F) -> Result<HttpResponse, E>
    where
        F: FnMut() -> Result<HttpRequest, E>,
        E: From<TransportError>,
    {
        let max_attempts = self.retry.map_or(1, |p| p.max_attempts.max(1));
        let mut attempt = 1;
        let mut taken = 0;
        loop {
            let request = build()?;
            let may_repeat = repeatable(&request);
            // The path only: a query may carry ids, and headers carry credentials.
            let (method, path) = (request.method().clone(), request.uri().path().to_owned());
            let started = Instant::now();
            let result = self.attempt(&deadline, request).await;
            match &result {
                Ok(response) => tracing::debug!(
                    target: "sigil::http",
                    %method, %path, attempt, status = response.status().as_u16(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "attempt answered"
                ),
                Err(e) => tracing::debug!(
                    target: "sigil::http",
                    %method, %path, attempt, error = %e,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "attempt failed"
                ),
            }
            let decision = self.decide(&result, may_repeat);
            let (RetryDecision::Retry { after }, Some(policy)) = (decision, self.retry.as_ref())
            else {
                if result.is_ok() {
                    self.quota.release(taken.max(1));
                }
                return Ok(result?);
            };
            if attempt >= max_attempts {
                return Ok(result?);
            }
            let wait = self
                .backoff(policy, attempt)
                .max(after.unwrap_or(Duration::ZERO));
            let remaining = deadline.remaining();
            // The server's own wait does not fit: say so. Our backoff not fitting is no news
            // about the server: the last answer stands.
            let asked_too_long = after.filter(|a| *a > policy.max_delay || *a >= remaining);
            if let (Ok(response), Some(retry_after)) = (&result, asked_too_long) {
                return Err(E::from(TransportError::RetryAfterTooLong {
                    status: response.status().as_u16(),
                    retry_after,
                    remaining: remaining.min(policy.max_delay),
                }));
            }
            if wait >= remaining {
                return Ok(result?);
            }
            let cost = match result {
                Err(TransportError::Timeout(_)) => TIMEOUT_RETRY_COST,
                _ => RETRY_COST,
            };
            if !self.quota.try_acquire(cost) {
                tracing::warn!(target: "sigil::http", %method, %path, "retry quota spent: not retrying");
                return Ok(result?);
            }
            taken += cost;
            tracing::debug!(
                target: "sigil::http",
                %method, %path, attempt,
                reason = match &result {
                    Ok(response) => format!("HTTP {}", response.status().as_u16()),
                    Err(e) => e.to_string(),
                },
                wait_ms = wait.as_millis() as u64,
                "retrying"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_bounds() {
        let d = Dispatcher::new(Arc::new(crate::ScriptedTransport::new())).with_jitter(|| 0.0);
        let p = RetryPolicy::default();
        assert_eq!(d.backoff(&p, 1), Duration::from_millis(100));
        assert_eq!(d.backoff(&p, 2), Duration::from_millis(200));
        assert_eq!(d.backoff(&p, 3), Duration::from_millis(400));
        assert_eq!(d.backoff(&p, 40), Duration::from_secs(5));
        let full = d.clone().with_jitter(|| 0.999_999);
        assert!(
            full.backoff(&p, 1) < Duration::from_millis(200)
                && full.backoff(&p, 1) > Duration::from_millis(199)
        );
    }

    #[test]
    fn odd_settings_do_not_panic() {
        let p = RetryPolicy {
            base_delay: Duration::MAX,
            max_delay: Duration::MAX,
            ..RetryPolicy::default()
        };
        for jitter in [f64::NAN, f64::INFINITY, -1.0, 7.0] {
            let d = Dispatcher::new(Arc::new(crate::ScriptedTransport::new()))
                .with_jitter(move || jitter);
            assert!(d.backoff(&p, 33) >= Duration::MAX / 2);
        }
        let _ = Deadline::after(Duration::MAX).remaining();
    }

    #[test]
    fn quota_is_bounded() {
        let q = RetryQuota::new(12);
        assert!(q.try_acquire(10));
        assert!(!q.try_acquire(5));
        q.release(100);
        assert_eq!(q.available(), 12);
    }
}
