//! The HTTP transport of the sigil vendor clients.
//!
//! * [`HttpSend`]: one object-safe method from `http::Request<Bytes>` to
//!   `http::Response<Bytes>`. Implement it to bring your own HTTP stack.
//! * [`ReqwestTransport`] (feature `reqwest`, on by default): reqwest with rustls, connect and
//!   total timeouts.
//! * [`Origin`] and [`RequestTarget`]: the one place a request target is built, in the form
//!   it goes on the wire, so that clients sign exactly what is sent.
//! * [`Dispatcher`]: the client layer's loop: a request built and signed afresh for every
//!   attempt, attempt and operation deadlines for any transport, exponential backoff with
//!   jitter, `Retry-After`, a retry quota, a response size limit, and never a repeat of a
//!   request that is not safe to repeat.
//! * `ScriptedTransport` and `Recorder` (feature `test-util`): queued responses or a closure,
//!   recording every request; a recording, fault-playing wrapper around a real transport —
//!   for tests.
//!
//! ```
//! # #[cfg(feature = "test-util")] {
//! use bytes::Bytes;
//! use sigil_transport::{HttpSend, ScriptedTransport};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let transport = ScriptedTransport::new().respond(200, r#"{"ok":true}"#);
//! let request = http::Request::get("http://example.test/v3/users").body(Bytes::new()).unwrap();
//! let response = transport.send(request).await.unwrap();
//! assert_eq!(response.status(), 200);
//! assert_eq!(transport.requests()[0].uri, "http://example.test/v3/users");
//! # });
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod clock;
mod dispatch;
mod error;
#[cfg(any(test, feature = "test-util"))]
mod recorder;
#[cfg(feature = "reqwest")]
mod reqwest_transport;
mod retry;
#[cfg(any(test, feature = "test-util"))]
mod scripted;
mod settings;
mod target;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;

#[cfg(any(test, feature = "test-util"))]
pub use clock::ManualClock;
pub use clock::{Clock, OffsetClock, SystemClock, unix_millis};
pub use dispatch::{
    DEFAULT_MAX_RESPONSE_BYTES, Deadline, Dispatcher, RETRY_COST, RetryQuota, TIMEOUT_RETRY_COST,
    Timeouts, unit_interval,
};
pub use error::TransportError;
#[cfg(any(test, feature = "test-util"))]
pub use recorder::Recorder;
#[cfg(feature = "reqwest")]
pub use reqwest_transport::{ReqwestConfig, ReqwestTransport};
pub use retry::{
    RetryClassifier, RetryDecision, RetryPolicy, RetrySafe, response_date, retry_after,
};
#[cfg(any(test, feature = "test-util"))]
pub use scripted::{RecordedRequest, ScriptedTransport};
pub use settings::TransportSettings;
pub use target::{MAX_TARGET_LEN, Origin, RequestTarget, TargetError};

/// A request as the clients build it.
pub type HttpRequest = http::Request<Bytes>;
/// A response with its whole body.
pub type HttpResponse = http::Response<Bytes>;
/// The future [`HttpSend::send`] returns.
pub type SendFuture<'a> =
    Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'a>>;

/// Sends one HTTP request and returns the whole response. Object safe: clients hold an
/// `Arc<dyn HttpSend>` or a concrete type.
///
/// Implementations return `Ok` for every HTTP response, whatever its status; `Err` is for
/// requests that got no response (connection refused, timeout, broken connection).
pub trait HttpSend: Send + Sync {
    /// Sends `request`.
    fn send(&self, request: HttpRequest) -> SendFuture<'_>;
}

impl<T: HttpSend + ?Sized> HttpSend for Arc<T> {
    fn send(&self, request: HttpRequest) -> SendFuture<'_> {
        (**self).send(request)
    }
}

impl<T: HttpSend + ?Sized> HttpSend for Box<T> {
    fn send(&self, request: HttpRequest) -> SendFuture<'_> {
        (**self).send(request)
    }
}

impl<T: HttpSend + ?Sized> HttpSend for &T {
    fn send(&self, request: HttpRequest) -> SendFuture<'_> {
        (**self).send(request)
    }
}

/// A copy of a request (http's `Request` is not `Clone`): method, URI, version, headers,
/// body and extensions.
pub fn clone_request(request: &HttpRequest) -> HttpRequest {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    copy
}

/// At most `max_chars` characters of a server's (or caller's) value, for an error message:
/// invalid UTF-8 and control characters are escaped, and a cut is marked with `…`.
///
/// ```
/// assert_eq!(sigil_transport::excerpt(b"abc\ndef", 6), "abc\\nd…");
/// assert_eq!(sigil_transport::excerpt(b"short", 80), "short");
/// ```
pub fn excerpt(value: &[u8], max_chars: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for c in String::from_utf8_lossy(&value[..value.len().min(max_chars.saturating_mul(4))]).chars()
    {
        for e in c.escape_debug() {
            if count == max_chars {
                out.push('…');
                return out;
            }
            out.push(e);
            count += 1;
        }
    }
    if value.len() > max_chars.saturating_mul(4) {
        out.push('…');
    }
    out
}

/// How long error messages quote server values: 200 characters.
pub const EXCERPT_CHARS: usize = 200;

/// The crate's README, whose examples compile (and, where they need no network, run) as doc
/// tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
