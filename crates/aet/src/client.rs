//! The AET client.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sigil_client_core::{Clock, IdSource, RandomIds, SystemClock, unix_millis};
use sigil_models::AccessToken;
use sigil_models::aet::{Environment, ErrorBody, headers};
use sigil_signing::aet::{AetBody, AetRequest, AetRequestPath, AetSigner, QueryPolicy};
use sigil_signing::{SecretKey, TimestampMillis};
use sigil_transport::{HttpRequest, HttpResponse, HttpSend, RetryPolicy, TransportSettings};

use crate::{AetError, Multipart};

/// Builds an [`AetClient`].
pub struct AetClientBuilder {
    token: AccessToken,
    secret: SecretKey,
    base_url: String,
    query: QueryPolicy,
    clock: Arc<dyn Clock>,
    boundaries: Arc<dyn IdSource>,
    transport: TransportSettings,
}

impl fmt::Debug for AetClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AetClientBuilder")
            .field("token", &self.token)
            .field("secret", &self.secret)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl AetClientBuilder {
    /// Sandbox or Live (default Sandbox: AET requires it first).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.base_url = environment.base_url().to_owned();
        self
    }

    /// A custom base URL, e.g. the emulator's `http://127.0.0.1:PORT`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Whether the query string is signed (default [`QueryPolicy::Exclude`], as AET's own
    /// clients do).
    pub fn query_policy(mut self, query: QueryPolicy) -> Self {
        self.query = query;
        self
    }

    /// The clock the `timestamp` header comes from (default the system clock).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Where multipart boundaries come from (default random UUIDs).
    pub fn boundaries(mut self, ids: impl IdSource + 'static) -> Self {
        self.boundaries = Arc::new(ids);
        self
    }

    /// The transport (default `ReqwestTransport` with the configured timeouts).
    pub fn transport(mut self, transport: impl HttpSend + 'static) -> Self {
        self.transport.set_transport(Arc::new(transport));
        self
    }

    /// Connect and total timeouts of the default transport.
    #[cfg(feature = "reqwest")]
    pub fn timeouts(mut self, timeouts: sigil_transport::ReqwestConfig) -> Self {
        self.transport.set_timeouts(timeouts);
        self
    }

    /// Retries of transient failures for requests safe to repeat (default
    /// [`RetryPolicy::default`]; `None` disables).
    pub fn retry(mut self, policy: Option<RetryPolicy>) -> Self {
        self.transport.set_retry(policy);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<AetClient, AetError> {
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        let base_url = sigil_transport::origin(&base_url).map_err(AetError::Config)?;
        if self.token.is_empty() {
            return Err(AetError::Config("the API token is empty".into()));
        }
        let transport = self.transport.build(None)?;
        Ok(AetClient {
            inner: Arc::new(Inner {
                transport,
                base_url,
                token: self.token,
                signer: AetSigner::new(&self.secret),
                query: self.query,
                clock: self.clock,
                boundaries: self.boundaries,
            }),
        })
    }
}

struct Inner {
    transport: Arc<dyn HttpSend>,
    base_url: String,
    token: AccessToken,
    signer: AetSigner,
    query: QueryPolicy,
    clock: Arc<dyn Clock>,
    boundaries: Arc<dyn IdSource>,
}

/// An AET client. Cheap to clone.
#[derive(Clone)]
pub struct AetClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for AetClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AetClient")
            .field("base_url", &self.inner.base_url)
            .field("token", &self.inner.token)
            .field("signer", &self.inner.signer)
            .field("query", &self.inner.query)
            .finish()
    }
}

/// What a request carries, and so what is signed as its body.
enum Payload {
    /// No body: nothing is signed.
    None,
    /// A JSON body: its exact bytes are signed.
    Json(Bytes),
    /// A multipart body: signed as the empty string.
    Multipart { content_type: String, body: Bytes },
}

impl AetClient {
    /// Starts a builder with the API token and the secret key.
    pub fn builder(token: impl Into<String>, secret: SecretKey) -> AetClientBuilder {
        AetClientBuilder {
            token: AccessToken::new(token.into()),
            secret,
            base_url: Environment::Sandbox.base_url().to_owned(),
            query: QueryPolicy::Exclude,
            clock: Arc::new(SystemClock),
            boundaries: Arc::new(RandomIds),
            transport: TransportSettings::default(),
        }
    }

    fn timestamp(&self) -> Result<TimestampMillis, AetError> {
        let ms = unix_millis(self.inner.clock.now());
        TimestampMillis::new(ms).map_err(|_| {
            AetError::Config(format!("the clock reads {ms} ms, not a 13-digit timestamp"))
        })
    }

    fn build(
        &self,
        method: http::Method,
        path: &str,
        payload: Payload,
    ) -> Result<HttpRequest, AetError> {
        let target = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        if target.len() < 2 {
            return Err(AetError::InvalidRequest("the path is empty".into()));
        }
        let timestamp = self.timestamp()?;
        let (signed_body, content_type, body) = match &payload {
            Payload::None => (AetBody::None, "application/json".to_owned(), Bytes::new()),
            Payload::Json(bytes) => (
                AetBody::Bytes(bytes),
                "application/json".to_owned(),
                bytes.clone(),
            ),
            Payload::Multipart { content_type, body } => {
                (AetBody::Multipart, content_type.clone(), body.clone())
            }
        };
        let signature = self.inner.signer.sign(&AetRequest {
            timestamp,
            method: method.as_str(),
            path: AetRequestPath::new(&target, self.inner.query),
            body: signed_body,
        });
        http::Request::builder()
            .method(method)
            .uri(format!("{}{target}", self.inner.base_url))
            .header(headers::TIMESTAMP, timestamp.to_string())
            .header(
                headers::AUTHORIZATION,
                format!("Bearer {}", self.inner.token.expose()),
            )
            .header(headers::ACCEPT, "application/json")
            .header(headers::CONTENT_TYPE, content_type)
            .header(headers::SIGNATURE, signature.as_str())
            .body(body)
            .map_err(|e| AetError::InvalidRequest(e.to_string()))
    }

    /// A signed request for `method` and `path` (e.g. `/v3/users?page=2`) with an optional
    /// JSON body given as its exact bytes: the five documented headers, ready to send with any
    /// transport.
    pub fn signed_request(
        &self,
        method: http::Method,
        path: &str,
        json_body: Option<Bytes>,
    ) -> Result<HttpRequest, AetError> {
        self.build(method, path, json_body.map_or(Payload::None, Payload::Json))
    }

    /// Sends a request and returns the response if its status is 2xx.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, AetError> {
        let response = self.inner.transport.send(request).await?;
        if response.status().is_success() {
            return Ok(response);
        }
        let body = response.body();
        Err(AetError::Api {
            status: response.status().as_u16(),
            body: serde_json::from_slice::<ErrorBody>(body).ok(),
            raw: String::from_utf8_lossy(&body[..body.len().min(2048)]).into_owned(),
        })
    }

    async fn json<T: DeserializeOwned>(&self, request: HttpRequest) -> Result<T, AetError> {
        let response = self.send(request).await?;
        let body: &[u8] = if response.body().is_empty() {
            b"null"
        } else {
            response.body()
        };
        serde_json::from_slice(body).map_err(|e| AetError::Decode(e.to_string()))
    }

    fn encode<B: Serialize>(body: &B) -> Result<Payload, AetError> {
        serde_json::to_vec(body)
            .map(|v| Payload::Json(Bytes::from(v)))
            .map_err(|e| AetError::InvalidRequest(format!("serialising the body: {e}")))
    }

    /// `GET path`, decoding the JSON answer.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, AetError> {
        self.json(self.build(http::Method::GET, path, Payload::None)?)
            .await
    }

    /// `POST path` with a JSON body.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, AetError> {
        self.json(self.build(http::Method::POST, path, Self::encode(body)?)?)
            .await
    }

    /// `PUT path` with a JSON body.
    pub async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, AetError> {
        self.json(self.build(http::Method::PUT, path, Self::encode(body)?)?)
            .await
    }

    /// `DELETE path`; an empty answer decodes as JSON `null`.
    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, AetError> {
        self.json(self.build(http::Method::DELETE, path, Payload::None)?)
            .await
    }

    /// `POST path` with a multipart form, signed with the empty body.
    pub async fn upload<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &Multipart,
    ) -> Result<T, AetError> {
        let boundary = format!("sigil-{}", self.inner.boundaries.next_id());
        let (content_type, body) = form.encode(&boundary)?;
        self.json(self.build(
            http::Method::POST,
            path,
            Payload::Multipart { content_type, body },
        )?)
        .await
    }
}
