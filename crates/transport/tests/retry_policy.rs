//! The dispatcher's retries, deadlines, quota and size limit, with the scripted transport
//! and a paused tokio clock.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use sigil_transport::{
    Deadline, Dispatcher, HttpRequest, HttpResponse, RetryClassifier, RetryDecision, RetryPolicy,
    RetrySafe, ScriptedTransport, Timeouts, TransportError, clone_request,
};
use tokio::time::Instant;

fn get() -> http::Request<Bytes> {
    http::Request::get("http://vendor.test/v3/users")
        .body(Bytes::new())
        .unwrap()
}

fn post() -> http::Request<Bytes> {
    http::Request::post("http://vendor.test/v3/users")
        .body(Bytes::from_static(b"{}"))
        .unwrap()
}

/// A dispatcher that sends copies of one request (the tests of re-signing build a new one
/// per attempt).
struct Resend(Dispatcher);

impl Resend {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.0
            .send(self.0.deadline(), || Ok(clone_request(&request)))
            .await
    }

    fn with_classifier(self, c: Arc<dyn RetryClassifier>) -> Self {
        Self(self.0.with_classifier(c))
    }

    fn with_clock(self, clock: impl sigil_transport::Clock + 'static) -> Self {
        Self(self.0.with_clock(Arc::new(clock)))
    }
}

fn dispatcher(t: &ScriptedTransport, policy: RetryPolicy) -> Dispatcher {
    Dispatcher::new(Arc::new(t.clone()))
        .with_retry(Some(policy))
        .with_jitter(|| 0.0)
}

fn no_jitter(t: ScriptedTransport) -> Resend {
    Resend(dispatcher(&t, RetryPolicy::default()))
}

#[tokio::test(start_paused = true)]
async fn retries_5xx_with_doubling_backoff() {
    let t = ScriptedTransport::new()
        .respond(503, "")
        .respond(502, "")
        .respond(200, "ok");
    let retry = no_jitter(t.clone());
    let start = Instant::now();
    let r = retry.send(get()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(t.request_count(), 3);
    // 100 ms + 200 ms (half of 200 ms and 400 ms with zero jitter).
    assert_eq!(start.elapsed(), Duration::from_millis(300));
}

#[tokio::test(start_paused = true)]
async fn gives_up_after_max_attempts_with_the_last_response() {
    let t = ScriptedTransport::new()
        .respond(500, "a")
        .respond(500, "b")
        .respond(500, "c")
        .respond(200, "never");
    let r = no_jitter(t.clone()).send(get()).await.unwrap();
    assert_eq!((r.status().as_u16(), r.body().as_ref()), (500, &b"c"[..]));
    assert_eq!(t.request_count(), 3);
}

#[tokio::test(start_paused = true)]
async fn honours_retry_after_seconds() {
    let busy = http::Response::builder()
        .status(429)
        .header("retry-after", "3")
        .body(Bytes::new())
        .unwrap();
    let t = ScriptedTransport::new().respond_with(busy).respond(200, "");
    let start = Instant::now();
    assert_eq!(
        no_jitter(t.clone()).send(get()).await.unwrap().status(),
        200
    );
    assert_eq!(start.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn honours_retry_after_http_date() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let at = httpdate::fmt_http_date(now + Duration::from_secs(4));
    let busy = http::Response::builder()
        .status(503)
        .header("retry-after", at)
        .body(Bytes::new())
        .unwrap();
    let t = ScriptedTransport::new().respond_with(busy).respond(200, "");
    let retry = no_jitter(t.clone()).with_clock(sigil_transport::ManualClock::new(now));
    let start = Instant::now();
    assert_eq!(retry.send(get()).await.unwrap().status(), 200);
    assert_eq!(start.elapsed(), Duration::from_secs(4));
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_budget_is_an_error_that_says_so() {
    let busy = http::Response::builder()
        .status(503)
        .header("retry-after", "3600")
        .body(Bytes::new())
        .unwrap();
    let t = ScriptedTransport::new().respond_with(busy).respond(200, "");
    let err = no_jitter(t.clone()).send(get()).await.unwrap_err();
    assert!(
        matches!(
            err,
            TransportError::RetryAfterTooLong {
                status: 503,
                retry_after,
                ..
            } if retry_after == Duration::from_secs(3600)
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("retry after 3600s"), "{err}");
    assert_eq!(t.request_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn total_time_is_bounded_by_the_operation_deadline() {
    let policy = RetryPolicy {
        max_attempts: 10,
        ..RetryPolicy::default()
    };
    let t = ScriptedTransport::from_fn(|_| {
        Ok(http::Response::builder()
            .status(500)
            .body(Bytes::new())
            .unwrap())
    });
    let start = Instant::now();
    let d = dispatcher(&t, policy);
    let deadline = Deadline::after(Duration::from_millis(1000));
    let r = d
        .send(deadline, || Ok::<_, TransportError>(clone_request(&get())))
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    // Waits 100, 200, 400 (= 700 ms); the next 800 ms wait would pass 1 s.
    assert_eq!(t.request_count(), 4);
    assert!(start.elapsed() <= Duration::from_millis(1000));
}

#[tokio::test(start_paused = true)]
async fn a_hanging_transport_cannot_hang_the_caller() {
    /// A custom transport that never answers.
    struct Hang;
    impl sigil_transport::HttpSend for Hang {
        fn send(&self, _: HttpRequest) -> sigil_transport::SendFuture<'_> {
            Box::pin(std::future::pending())
        }
    }
    let timeouts = Timeouts {
        attempt: Duration::from_secs(2),
        operation: Duration::from_secs(5),
        ..Timeouts::default()
    };
    let d = Dispatcher::new(Arc::new(Hang))
        .with_timeouts(timeouts)
        .with_jitter(|| 0.0);
    let start = Instant::now();
    let err = d
        .send(d.deadline(), || Ok::<_, TransportError>(get()))
        .await
        .unwrap_err();
    // Two attempts of 2 s, waits of 100 and 200 ms, then the deadline cuts the third.
    assert_eq!(
        err,
        TransportError::OperationTimeout(Duration::from_secs(5))
    );
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    // A non-repeatable request times out once.
    let start = Instant::now();
    let err = d
        .send(d.deadline(), || Ok::<_, TransportError>(post()))
        .await
        .unwrap_err();
    assert_eq!(err, TransportError::Timeout(Duration::from_secs(2)));
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn every_attempt_is_built_afresh() {
    let t = ScriptedTransport::new()
        .respond(503, "")
        .respond(500, "")
        .respond(200, "");
    let d = dispatcher(&t, RetryPolicy::default());
    let mut n = 0;
    let response = d
        .send(d.deadline(), || {
            n += 1;
            http::Request::get(format!("http://vendor.test/v3/users?attempt={n}"))
                .body(Bytes::new())
                .map_err(|e| TransportError::InvalidRequest(e.to_string()))
        })
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let uris: Vec<String> = t.requests().iter().map(|r| r.uri.clone()).collect();
    assert_eq!(
        uris,
        [1, 2, 3].map(|n| format!("http://vendor.test/v3/users?attempt={n}"))
    );
}

#[tokio::test(start_paused = true)]
async fn an_outage_empties_the_retry_quota() {
    let policy = RetryPolicy {
        quota: 15,
        ..RetryPolicy::default()
    };
    let t = ScriptedTransport::from_fn(|_| {
        Ok(http::Response::builder()
            .status(503)
            .body(Bytes::new())
            .unwrap())
    });
    let d = Resend(dispatcher(&t, policy));
    // 3 attempts (2 retries × 5 tokens), then 2 (one retry left), then no retry at all.
    for _ in 0..4 {
        assert_eq!(d.send(get()).await.unwrap().status(), 503);
    }
    assert_eq!(t.request_count(), 3 + 2 + 1 + 1);
    assert_eq!(d.0.quota().available(), 0);
}

#[tokio::test(start_paused = true)]
async fn oversized_answers_are_refused_for_any_transport() {
    let t = ScriptedTransport::new().respond(200, "x".repeat(1025));
    let d = Resend(dispatcher(&t, RetryPolicy::default()).with_max_response_bytes(1024));
    assert_eq!(
        d.send(get()).await.unwrap_err(),
        TransportError::ResponseTooLarge { limit: 1024 }
    );
    assert_eq!(t.request_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn post_is_not_repeated_unless_marked_safe() {
    let t = ScriptedTransport::new().respond(503, "").respond(200, "");
    let r = no_jitter(t.clone()).send(post()).await.unwrap();
    assert_eq!((r.status().as_u16(), t.request_count()), (503, 1));

    let t = ScriptedTransport::new().respond(503, "").respond(200, "");
    let mut safe = post();
    safe.extensions_mut().insert(RetrySafe);
    assert_eq!(no_jitter(t.clone()).send(safe).await.unwrap().status(), 200);
    assert_eq!(t.request_count(), 2);
    // The body is sent again unchanged.
    assert!(t.requests().iter().all(|r| r.body.as_ref() == b"{}"));
}

#[tokio::test(start_paused = true)]
async fn connect_errors_are_retried_even_for_post_but_timeouts_are_not() {
    let t = ScriptedTransport::new()
        .fail(TransportError::Connect("refused".into()))
        .respond(201, "");
    assert_eq!(
        no_jitter(t.clone()).send(post()).await.unwrap().status(),
        201
    );

    let t = ScriptedTransport::new()
        .fail(TransportError::Timeout(Duration::from_secs(1)))
        .respond(201, "");
    let err = no_jitter(t.clone()).send(post()).await.unwrap_err();
    assert_eq!(err, TransportError::Timeout(Duration::from_secs(1)));
    assert_eq!(t.request_count(), 1);

    let t = ScriptedTransport::new()
        .fail(TransportError::Timeout(Duration::from_secs(1)))
        .respond(200, "");
    assert_eq!(
        no_jitter(t.clone()).send(get()).await.unwrap().status(),
        200
    );
}

#[tokio::test(start_paused = true)]
async fn four_hundreds_are_final() {
    let t = ScriptedTransport::new().respond(401, "").respond(200, "");
    assert_eq!(
        no_jitter(t.clone()).send(get()).await.unwrap().status(),
        401
    );
    assert_eq!(t.request_count(), 1);
}

struct BusyBody;

impl RetryClassifier for BusyBody {
    fn classify(&self, response: &HttpResponse, _now: SystemTime) -> RetryDecision {
        if response
            .body()
            .as_ref()
            .windows(12)
            .any(|w| w == b"SERVICE_BUSY")
        {
            RetryDecision::Retry {
                after: Some(Duration::from_secs(2)),
            }
        } else {
            RetryDecision::Done
        }
    }
}

#[tokio::test(start_paused = true)]
async fn vendor_classifier_declares_200_busy_retryable() {
    let t = ScriptedTransport::new()
        .respond(200, r#"{"code":"SERVICE_BUSY"}"#)
        .respond(200, r#"{"code":"SUCCESS"}"#);
    let retry = no_jitter(t.clone()).with_classifier(Arc::new(BusyBody));
    let start = Instant::now();
    let r = retry.send(get()).await.unwrap();
    assert_eq!(r.body().as_ref(), br#"{"code":"SUCCESS"}"#);
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

struct BusyMeansUnprocessed;

impl RetryClassifier for BusyMeansUnprocessed {
    fn classify(&self, _: &HttpResponse, _: SystemTime) -> RetryDecision {
        RetryDecision::Done
    }

    fn not_processed(&self, response: &HttpResponse, _: SystemTime) -> RetryDecision {
        if response.body().as_ref() == b"busy" {
            RetryDecision::Retry { after: None }
        } else {
            RetryDecision::Done
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_creating_call_is_repeated_only_when_the_server_did_not_process_it() {
    // HTTP 429: not processed.
    let t = ScriptedTransport::new().respond(429, "").respond(201, "");
    assert_eq!(
        no_jitter(t.clone()).send(post()).await.unwrap().status(),
        201
    );
    assert_eq!(t.request_count(), 2);
    // The vendor says "not processed" in a 200.
    let t = ScriptedTransport::new()
        .respond(200, "busy")
        .respond(201, "");
    let d = no_jitter(t.clone()).with_classifier(Arc::new(BusyMeansUnprocessed));
    assert_eq!(d.send(post()).await.unwrap().status(), 201);
    assert_eq!(t.request_count(), 2);
    // ... but never in a 5xx, and a dropped connection is final.
    for status in [500, 502, 503] {
        let t = ScriptedTransport::new()
            .respond(status, "busy")
            .respond(201, "");
        let d = no_jitter(t.clone()).with_classifier(Arc::new(BusyMeansUnprocessed));
        assert_eq!(d.send(post()).await.unwrap().status(), status);
        assert_eq!(t.request_count(), 1, "{status}");
    }
    let t = ScriptedTransport::new()
        .fail(TransportError::Io("reset".into()))
        .respond(201, "");
    assert!(no_jitter(t.clone()).send(post()).await.is_err());
    assert_eq!(t.request_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_short_retry_after_is_never_reported_as_too_long() {
    // Retry-After: 0, but our own backoff (20 s) does not fit in the 5 s deadline: the
    // server's answer stands; nothing claims the server asked for too long a wait.
    let busy = || {
        http::Response::builder()
            .status(503)
            .header("retry-after", "0")
            .body(Bytes::new())
            .unwrap()
    };
    let t = ScriptedTransport::new()
        .respond_with(busy())
        .respond(200, "");
    let policy = RetryPolicy {
        base_delay: Duration::from_secs(40),
        max_delay: Duration::from_secs(60),
        ..RetryPolicy::default()
    };
    let d = dispatcher(&t, policy).with_timeouts(Timeouts {
        operation: Duration::from_secs(5),
        ..Timeouts::default()
    });
    let r = Resend(d).send(get()).await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(t.request_count(), 1);
}
