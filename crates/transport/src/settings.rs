//! How a vendor client gets its transport: the caller's own, or reqwest with timeouts; either
//! way optionally wrapped in [`Retry`].

use std::sync::Arc;

use crate::{HttpSend, Retry, RetryClassifier, RetryPolicy, TransportError};

/// The transport part of a client builder. Every vendor client delegates its `transport`,
/// `timeouts` and `retry` options here.
#[derive(Clone)]
pub struct TransportSettings {
    custom: Option<Arc<dyn HttpSend>>,
    #[cfg(feature = "reqwest")]
    timeouts: crate::ReqwestConfig,
    retry: Option<RetryPolicy>,
}

impl std::fmt::Debug for TransportSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportSettings")
            .field("custom", &self.custom.is_some())
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Default for TransportSettings {
    /// reqwest (when the feature is on) with default timeouts, and default retries.
    fn default() -> Self {
        Self {
            custom: None,
            #[cfg(feature = "reqwest")]
            timeouts: crate::ReqwestConfig::default(),
            retry: Some(RetryPolicy::default()),
        }
    }
}

impl TransportSettings {
    /// Uses the caller's transport instead of reqwest.
    pub fn set_transport(&mut self, transport: Arc<dyn HttpSend>) {
        self.custom = Some(transport);
    }

    /// Timeouts of the default reqwest transport.
    #[cfg(feature = "reqwest")]
    pub fn set_timeouts(&mut self, timeouts: crate::ReqwestConfig) {
        self.timeouts = timeouts;
    }

    /// Retries (`None` disables them).
    pub fn set_retry(&mut self, policy: Option<RetryPolicy>) {
        self.retry = policy;
    }

    /// The transport to use: the caller's or reqwest, wrapped in retries (with the vendor's
    /// `classifier`, if any) unless they are disabled.
    pub fn build(
        self,
        classifier: Option<Arc<dyn RetryClassifier>>,
    ) -> Result<Arc<dyn HttpSend>, TransportError> {
        let base: Arc<dyn HttpSend> = match self.custom {
            Some(t) => t,
            #[cfg(feature = "reqwest")]
            None => Arc::new(crate::ReqwestTransport::new(self.timeouts)?),
            #[cfg(not(feature = "reqwest"))]
            None => {
                return Err(TransportError::InvalidRequest(
                    "no transport: enable the `reqwest` feature or give one".into(),
                ));
            }
        };
        Ok(match self.retry {
            Some(policy) => {
                let retry = Retry::new(base, policy);
                Arc::new(match classifier {
                    Some(c) => retry.with_classifier(c),
                    None => retry,
                })
            }
            None => base,
        })
    }
}

/// A base URL as the clients use it: `http://` or `https://`, no trailing slash.
///
/// ```
/// assert_eq!(sigil_transport::origin("http://127.0.0.1:8080/").unwrap(), "http://127.0.0.1:8080");
/// assert!(sigil_transport::origin("127.0.0.1:8080").is_err());
/// ```
pub fn origin(url: &str) -> Result<String, String> {
    let trimmed = url.trim().trim_end_matches('/');
    if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
        Ok(trimmed.to_owned())
    } else {
        Err(format!(
            "base URL must start with http:// or https://, got {url:?}"
        ))
    }
}
