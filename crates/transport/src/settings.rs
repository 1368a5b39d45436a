//! How a vendor client gets its [`Dispatcher`]: the caller's transport or reqwest, with the
//! client's timeouts, retries and response size limit.

use std::sync::Arc;

use crate::{
    DEFAULT_MAX_RESPONSE_BYTES, Dispatcher, HttpSend, RetryClassifier, RetryPolicy, Timeouts,
    TransportError,
};

/// The transport part of a client builder. Every vendor client delegates its `transport`,
/// `timeouts`, `retry` and `max_response_bytes` options here.
#[derive(Clone)]
pub struct TransportSettings {
    custom: Option<Arc<dyn HttpSend>>,
    timeouts: Timeouts,
    retry: Option<RetryPolicy>,
    max_response_bytes: usize,
}

impl std::fmt::Debug for TransportSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportSettings")
            .field("custom", &self.custom.is_some())
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

impl Default for TransportSettings {
    /// reqwest (when the feature is on), default [`Timeouts`], default retries, a 16 MiB
    /// response limit.
    fn default() -> Self {
        Self {
            custom: None,
            timeouts: Timeouts::default(),
            retry: Some(RetryPolicy::default()),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

impl TransportSettings {
    /// Uses the caller's transport instead of reqwest.
    pub fn set_transport(&mut self, transport: Arc<dyn HttpSend>) {
        self.custom = Some(transport);
    }

    /// The time limits (they hold for any transport).
    pub fn set_timeouts(&mut self, timeouts: Timeouts) {
        self.timeouts = timeouts;
    }

    /// Retries (`None` disables them).
    pub fn set_retry(&mut self, policy: Option<RetryPolicy>) {
        self.retry = policy;
    }

    /// The largest response body accepted (the reqwest transport stops reading there; any
    /// other transport's answers are checked after the fact).
    pub fn set_max_response_bytes(&mut self, limit: usize) {
        self.max_response_bytes = limit;
    }

    /// The dispatcher: the caller's transport or reqwest, with these settings and the
    /// vendor's retry `classifier`, if any.
    pub fn build(
        self,
        classifier: Option<Arc<dyn RetryClassifier>>,
    ) -> Result<Dispatcher, TransportError> {
        let transport: Arc<dyn HttpSend> = match self.custom {
            Some(t) => t,
            #[cfg(feature = "reqwest")]
            None => Arc::new(crate::ReqwestTransport::new(crate::ReqwestConfig {
                connect_timeout: self.timeouts.connect,
                timeout: self.timeouts.attempt,
                max_response_bytes: self.max_response_bytes,
            })?),
            #[cfg(not(feature = "reqwest"))]
            None => {
                return Err(TransportError::InvalidRequest(
                    "no transport: enable the `reqwest` feature or give one".into(),
                ));
            }
        };
        let dispatcher = Dispatcher::new(transport)
            .with_retry(self.retry)
            .with_timeouts(self.timeouts)
            .with_max_response_bytes(self.max_response_bytes);
        Ok(match classifier {
            Some(c) => dispatcher.with_classifier(c),
            None => dispatcher,
        })
    }
}
