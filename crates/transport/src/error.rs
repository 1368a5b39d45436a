//! Why a request got no HTTP response.

use std::time::Duration;

/// A request that got no HTTP response. Messages carry no header values or bodies, so no
/// credential can leak through them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No connection could be made: the request was never sent, so repeating it is safe.
    #[error("could not connect: {0}")]
    Connect(String),
    /// No complete response within the time limit; the server may have acted on the request.
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The request could not be built or is not valid for the transport.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The connection failed after the request may have been sent.
    #[error("request failed: {0}")]
    Io(String),
    /// The operation's deadline passed (token wait, attempts and waits between them).
    #[error("the operation did not finish within its deadline of {0:?}")]
    OperationTimeout(Duration),
    /// The response body is larger than the configured limit.
    #[error("the response is larger than the limit of {limit} bytes")]
    ResponseTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The server asked to wait longer than the client may.
    #[error(
        "HTTP {status}: the server asked to retry after {retry_after:?}, more than the {remaining:?} left for this call"
    )]
    RetryAfterTooLong {
        /// The status of the last answer.
        status: u16,
        /// What the server asked for.
        retry_after: Duration,
        /// What was left of the operation deadline (or the policy's longest wait).
        remaining: Duration,
    },
    /// A scripted transport ran out of responses.
    #[error("the scripted transport has no response left for {0}")]
    ScriptExhausted(String),
}

impl TransportError {
    /// Whether the request certainly never reached the server.
    pub fn never_sent(&self) -> bool {
        matches!(
            self,
            TransportError::Connect(_) | TransportError::InvalidRequest(_)
        )
    }
}
