//! A wrapper for tests through a real transport: records what is sent, and can play a
//! failing or slow proxy in front of it.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::scripted::{lock, response};
use bytes::Bytes;

use crate::{HttpRequest, HttpSend, RecordedRequest, SendFuture, TransportError};

/// Wraps a transport (typically the real reqwest one): records every request, answers the
/// first `n` itself with a status (as a failing proxy would, without forwarding them), and
/// delays the requests whose path starts with a prefix. For tests of retries, re-signing and
/// cancellation against a real server.
///
/// ```
/// use bytes::Bytes;
/// use sigil_transport::{HttpSend, Recorder, ScriptedTransport};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let server = ScriptedTransport::new().respond(200, "ok");
/// let recorder = Recorder::new(server).answer_first(1, 503);
/// let get = || http::Request::get("http://vendor.test/x").body(Bytes::new()).unwrap();
/// assert_eq!(recorder.send(get()).await.unwrap().status(), 503);
/// assert_eq!(recorder.send(get()).await.unwrap().status(), 200);
/// assert_eq!((recorder.requests().len(), recorder.forwarded()), (2, 1));
/// # });
/// ```
#[derive(Clone)]
pub struct Recorder<T> {
    inner: T,
    recorded: Arc<Mutex<Vec<RecordedRequest>>>,
    to_intercept: Arc<AtomicUsize>,
    intercept: Intercept,
    intercept_prefix: Option<String>,
    forwarded: Arc<AtomicUsize>,
    delay: Option<(String, Duration)>,
}

/// What the recorder does with an intercepted request.
#[derive(Clone)]
enum Intercept {
    /// Answers itself, without forwarding.
    Answer { status: u16, body: Bytes },
    /// Fails as a refused connection, without forwarding.
    Refuse,
    /// Forwards, then drops the answer and fails with this error.
    Lose(TransportError),
}

impl<T> fmt::Debug for Recorder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorder")
            .field("recorded", &lock(&self.recorded).len())
            .field("forwarded", &self.forwarded.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

impl<T: HttpSend> Recorder<T> {
    /// Records and forwards everything to `inner`.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            recorded: Arc::default(),
            to_intercept: Arc::default(),
            intercept: Intercept::Refuse,
            intercept_prefix: None,
            forwarded: Arc::default(),
            delay: None,
        }
    }

    /// Answers the next `n` requests with `status` and an empty body, without forwarding.
    pub fn answer_first(self, n: usize, status: u16) -> Self {
        self.answer_first_with(n, status, "")
    }

    /// Answers the next `n` requests with `status` and `body`, without forwarding (a proxy,
    /// or a server turning requests away before processing them).
    pub fn answer_first_with(mut self, n: usize, status: u16, body: &str) -> Self {
        self.to_intercept = Arc::new(AtomicUsize::new(n));
        self.intercept = Intercept::Answer {
            status,
            body: Bytes::copy_from_slice(body.as_bytes()),
        };
        self
    }

    /// Fails the next `n` requests as refused connections
    /// ([`TransportError::Connect`]), without forwarding: the server never gets them.
    pub fn refuse_first(mut self, n: usize) -> Self {
        self.to_intercept = Arc::new(AtomicUsize::new(n));
        self.intercept = Intercept::Refuse;
        self
    }

    /// Forwards the next `n` requests, then drops their answers and fails with `error` (a
    /// timeout or a dropped connection after the server got and acted on the request).
    pub fn lose_answer_first(mut self, n: usize, error: TransportError) -> Self {
        self.to_intercept = Arc::new(AtomicUsize::new(n));
        self.intercept = Intercept::Lose(error);
        self
    }

    /// Intercepts (see the methods above) only requests whose path starts with `prefix`;
    /// the others are forwarded as usual.
    pub fn on_path(mut self, prefix: &str) -> Self {
        self.intercept_prefix = Some(prefix.to_owned());
        self
    }

    /// Waits `by` (tokio time) before forwarding a request whose path starts with `prefix`.
    pub fn delay(mut self, prefix: &str, by: Duration) -> Self {
        self.delay = Some((prefix.to_owned(), by));
        self
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.recorded).clone()
    }

    /// How many requests were forwarded to the wrapped transport.
    pub fn forwarded(&self) -> usize {
        self.forwarded.load(Ordering::SeqCst)
    }
}

impl<T: HttpSend> HttpSend for Recorder<T> {
    fn send(&self, request: HttpRequest) -> SendFuture<'_> {
        lock(&self.recorded).push(RecordedRequest::of(&request));
        let in_scope = self
            .intercept_prefix
            .as_ref()
            .is_none_or(|p| request.uri().path().starts_with(p.as_str()));
        let intercepted = in_scope
            && self
                .to_intercept
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        let delay = self
            .delay
            .as_ref()
            .filter(|(prefix, _)| request.uri().path().starts_with(prefix.as_str()))
            .map(|(_, by)| *by);
        Box::pin(async move {
            if let Some(by) = delay {
                tokio::time::sleep(by).await;
            }
            match (intercepted, &self.intercept) {
                (true, Intercept::Answer { status, body }) => {
                    return Ok(response(*status, body.clone()));
                }
                (true, Intercept::Refuse) => {
                    return Err(TransportError::Connect(
                        "connection refused (recorder)".into(),
                    ));
                }
                _ => {}
            }
            self.forwarded.fetch_add(1, Ordering::SeqCst);
            let answer = self.inner.send(request).await;
            match (intercepted, &self.intercept) {
                (true, Intercept::Lose(error)) => Err(error.clone()),
                _ => answer,
            }
        })
    }
}
