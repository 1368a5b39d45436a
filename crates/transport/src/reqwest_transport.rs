//! [`HttpSend`] over reqwest (rustls).

use std::time::Duration;

use crate::{HttpRequest, HttpResponse, HttpSend, SendFuture, TransportError};

/// Timeouts and the response size limit of the [`ReqwestTransport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReqwestConfig {
    /// Time to establish a connection (TCP and TLS); default 5 s.
    pub connect_timeout: Duration,
    /// Time for the whole exchange, from sending to the last body byte; default 10 s.
    pub timeout: Duration,
    /// The largest response body read: a larger `Content-Length` is refused before reading,
    /// and reading stops at the limit (default 16 MiB).
    pub max_response_bytes: usize,
}

impl Default for ReqwestConfig {
    fn default() -> Self {
        let timeouts = crate::Timeouts::default();
        Self {
            connect_timeout: timeouts.connect,
            timeout: timeouts.attempt,
            max_response_bytes: crate::DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// reqwest with rustls and the timeouts of a [`ReqwestConfig`]. Redirects are not followed:
/// a signed request is valid for one URL only, so a 3xx is returned to the caller as is.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    config: ReqwestConfig,
}

impl ReqwestTransport {
    /// A transport with `config`'s timeouts.
    pub fn new(config: ReqwestConfig) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                TransportError::InvalidRequest(format!("building the HTTP client: {e}"))
            })?;
        Ok(Self { client, config })
    }

    /// Wraps an existing reqwest client (its own timeouts apply; `config` is reported in
    /// timeout errors).
    pub fn from_client(client: reqwest::Client, config: ReqwestConfig) -> Self {
        Self { client, config }
    }

    async fn exchange(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let request = reqwest::Request::try_from(request)
            .map_err(|e| TransportError::InvalidRequest(without_url(&e)))?;
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|e| self.classify(&e))?;
        let mut builder = http::Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = builder.headers_mut() {
            *headers = response.headers().clone();
        }
        let limit = self.config.max_response_bytes;
        let too_large = || TransportError::ResponseTooLarge { limit };
        if response
            .content_length()
            .is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX))
        {
            return Err(too_large());
        }
        let mut response = response;
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(&e))? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        builder
            .body(body.freeze())
            .map_err(|e| TransportError::Io(format!("assembling the response: {e}")))
    }

    fn classify(&self, e: &reqwest::Error) -> TransportError {
        if e.is_connect() {
            TransportError::Connect(without_url(e))
        } else if e.is_timeout() {
            TransportError::Timeout(self.config.timeout)
        } else {
            TransportError::Io(without_url(e))
        }
    }
}

/// The error text without the URL (a query string may carry ids users do not want logged).
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl HttpSend for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> SendFuture<'_> {
        Box::pin(self.exchange(request))
    }
}
