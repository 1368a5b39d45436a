//! A transport for tests: answers from a script (or a closure) and records every request.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;

use crate::{HttpRequest, HttpResponse, HttpSend, SendFuture, TransportError};

/// A request as the [`ScriptedTransport`] saw it.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method.
    pub method: http::Method,
    /// The full URI.
    pub uri: String,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// A copy of what `request` carries.
    pub fn of(request: &HttpRequest) -> Self {
        Self {
            method: request.method().clone(),
            uri: request.uri().to_string(),
            headers: request.headers().clone(),
            body: request.body().clone(),
        }
    }

    /// A header's value as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The path and query of the URI.
    pub fn path_and_query(&self) -> String {
        self.uri
            .parse::<http::Uri>()
            .ok()
            .and_then(|u| u.path_and_query().map(ToString::to_string))
            .unwrap_or_default()
    }
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values carry credentials: only the names are shown.
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_len", &self.body.len())
            .finish()
    }
}

type Handler = Arc<dyn Fn(&HttpRequest) -> Result<HttpResponse, TransportError> + Send + Sync>;

/// Answers requests from a queue of scripted results, then (if set) from a closure, and
/// records every request it receives.
#[derive(Clone, Default)]
pub struct ScriptedTransport {
    script: Arc<Mutex<VecDeque<Result<HttpResponse, TransportError>>>>,
    handler: Option<Handler>,
    recorded: Arc<Mutex<Vec<RecordedRequest>>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not hide the recording from the others.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An HTTP response with `status` and `body` (falls back to 500 for an invalid status).
pub(crate) fn response(status: u16, body: impl Into<Bytes>) -> HttpResponse {
    let mut r = http::Response::new(body.into());
    *r.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    r
}

impl ScriptedTransport {
    /// An empty script.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers every request (after the queued ones) with `handler`.
    pub fn from_fn(
        handler: impl Fn(&HttpRequest) -> Result<HttpResponse, TransportError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            handler: Some(Arc::new(handler)),
            ..Self::default()
        }
    }

    /// Queues a response with `status` and `body`.
    pub fn respond(self, status: u16, body: impl Into<Bytes>) -> Self {
        self.respond_with(response(status, body))
    }

    /// Queues a complete response.
    pub fn respond_with(self, response: HttpResponse) -> Self {
        lock(&self.script).push_back(Ok(response));
        self
    }

    /// Queues a transport failure.
    pub fn fail(self, error: TransportError) -> Self {
        lock(&self.script).push_back(Err(error));
        self
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.recorded).clone()
    }

    /// How many requests were received.
    pub fn request_count(&self) -> usize {
        lock(&self.recorded).len()
    }

    /// How many queued results are left.
    pub fn remaining(&self) -> usize {
        lock(&self.script).len()
    }

    fn answer(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        lock(&self.recorded).push(RecordedRequest::of(request));
        if let Some(next) = lock(&self.script).pop_front() {
            return next;
        }
        match &self.handler {
            Some(handler) => handler(request),
            None => Err(TransportError::ScriptExhausted(format!(
                "{} {}",
                request.method(),
                request.uri().path()
            ))),
        }
    }
}

impl fmt::Debug for ScriptedTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptedTransport")
            .field("queued", &self.remaining())
            .field("recorded", &self.request_count())
            .finish()
    }
}

impl HttpSend for ScriptedTransport {
    fn send(&self, request: HttpRequest) -> SendFuture<'_> {
        let result = self.answer(&request);
        Box::pin(async move {
            // Yield once, as a real transport would, so concurrent callers interleave.
            tokio::task::yield_now().await;
            result
        })
    }
}
