//! A wrapper for tests through a real transport: records what is sent, and can play a
//! failing or slow proxy in front of it.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::scripted::{lock, response};
use crate::{HttpRequest, HttpSend, RecordedRequest, SendFuture};

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
    to_answer: Arc<AtomicUsize>,
    answer_status: u16,
    forwarded: Arc<AtomicUsize>,
    delay: Option<(String, Duration)>,
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
            to_answer: Arc::default(),
            answer_status: 503,
            forwarded: Arc::default(),
            delay: None,
        }
    }

    /// Answers the next `n` requests with `status` and an empty body, without forwarding.
    pub fn answer_first(mut self, n: usize, status: u16) -> Self {
        self.to_answer = Arc::new(AtomicUsize::new(n));
        self.answer_status = status;
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
        let intercepted = self
            .to_answer
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let delay = self
            .delay
            .as_ref()
            .filter(|(prefix, _)| request.uri().path().starts_with(prefix.as_str()))
            .map(|(_, by)| *by);
        Box::pin(async move {
            if intercepted {
                return Ok(response(self.answer_status, ""));
            }
            if let Some(by) = delay {
                tokio::time::sleep(by).await;
            }
            self.forwarded.fetch_add(1, Ordering::SeqCst);
            self.inner.send(request).await
        })
    }
}
