//! The Avanan client.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sigil_client_core::{
    CachedToken, Clock, IdSource, RandomIds, RefreshPolicy, SystemClock, TokenCache,
};
use sigil_models::AccessToken;
use sigil_models::avanan::{EventQuery, Region, Response, ResponseEnvelope, Scope, headers};
use sigil_signing::SecretKey;
use sigil_signing::avanan::{AvananRequest, AvananSigner};
use sigil_transport::{HttpRequest, HttpResponse, HttpSend, RetryPolicy, TransportSettings};

use crate::{AvananError, DateFormat, EventPager};

/// How long a token is assumed valid when its `exp` claim cannot be read (the document:
/// one hour).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// Characters escaped in one path segment: controls, space, and everything RFC 3986 does not
/// allow unescaped in a segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Percent-encodes one path segment (an id with spaces or slashes, say), so that the request
/// string signed is exactly the path sent.
///
/// ```
/// assert_eq!(sigil_avanan::encode_path_segment("id with/slash"), "id%20with%2Fslash");
/// ```
pub fn encode_path_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// A token from `/v1.0/auth` and when it expires.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken {
    /// The JWT, sent as `x-av-token`.
    pub token: AccessToken,
    /// Its `exp` claim, or one hour after it was fetched when that cannot be read.
    pub expires_at: SystemTime,
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthToken")
            .field("token", &self.token)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The `exp` claim of a JWT, without verifying it (the client only needs to know when to
/// refresh; the server verifies).
fn jwt_expiry(jwt: &str) -> Option<SystemTime> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_u64()?;
    Some(UNIX_EPOCH + Duration::from_secs(exp))
}

/// Builds an [`AvananClient`].
pub struct AvananClientBuilder {
    app_id: String,
    secret: SecretKey,
    origin: String,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    date_format: DateFormat,
    transport: TransportSettings,
    refresh: RefreshPolicy,
}

impl fmt::Debug for AvananClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AvananClientBuilder")
            .field("app_id", &self.app_id)
            .field("secret", &self.secret)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl AvananClientBuilder {
    /// The region (default US).
    pub fn region(mut self, region: Region) -> Self {
        self.origin = region.origin();
        self
    }

    /// A custom origin, e.g. the emulator's `http://127.0.0.1:PORT`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.origin = url.into();
        self
    }

    /// The clock `x-av-date` and token expiry come from (default the system clock).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Where `x-av-req-id` values come from (default random UUID v4).
    pub fn request_ids(mut self, ids: impl IdSource + 'static) -> Self {
        self.ids = Arc::new(ids);
        self
    }

    /// The `x-av-date` format (default [`DateFormat::Micros`]).
    pub fn date_format(mut self, format: DateFormat) -> Self {
        self.date_format = format;
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

    /// When cached tokens are refreshed (default 60 s before expiry, with jitter).
    pub fn refresh(mut self, policy: RefreshPolicy) -> Self {
        self.refresh = policy;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<AvananClient, AvananError> {
        let origin = self.origin.trim_end_matches('/').to_owned();
        let origin = sigil_transport::origin(&origin).map_err(AvananError::Config)?;
        if self.app_id.trim().is_empty() {
            return Err(AvananError::Config("the application id is empty".into()));
        }
        let transport = self.transport.build(None)?;
        Ok(AvananClient {
            inner: Arc::new(Inner {
                transport,
                origin,
                app_id: self.app_id,
                signer: AvananSigner::new(self.secret),
                clock: self.clock,
                ids: self.ids,
                date_format: self.date_format,
                cache: TokenCache::new(self.refresh),
            }),
        })
    }
}

struct Inner {
    transport: Arc<dyn HttpSend>,
    origin: String,
    app_id: String,
    signer: AvananSigner,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    date_format: DateFormat,
    cache: TokenCache<AccessToken, AvananError>,
}

/// An Avanan client. Cheap to clone; clones share the token cache.
#[derive(Clone)]
pub struct AvananClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for AvananClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AvananClient")
            .field("origin", &self.inner.origin)
            .field("app_id", &self.inner.app_id)
            .field("signer", &self.inner.signer)
            .field("date_format", &self.inner.date_format)
            .field("token_cache", &self.inner.cache)
            .finish()
    }
}

fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(2048)]).into_owned()
}

impl AvananClient {
    /// Starts a builder with the application id (e.g. `US:myapp29`) and secret key.
    pub fn builder(app_id: impl Into<String>, secret: SecretKey) -> AvananClientBuilder {
        AvananClientBuilder {
            app_id: app_id.into(),
            secret,
            origin: Region::Us.origin(),
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
            date_format: DateFormat::Micros,
            transport: TransportSettings::default(),
            refresh: RefreshPolicy::default(),
        }
    }

    /// A signed request: fresh `x-av-req-id`, `x-av-date` now, `x-av-sig` over the request
    /// string exactly as it goes on the wire (`None` token: the `/auth` form, `x-av-token`
    /// sent empty).
    fn signed(
        &self,
        method: http::Method,
        path_and_query: &str,
        token: Option<&AccessToken>,
        body: Bytes,
    ) -> Result<HttpRequest, AvananError> {
        let uri: http::Uri = format!("{}{path_and_query}", self.inner.origin)
            .parse()
            .map_err(|e| AvananError::InvalidRequest(format!("{path_and_query:?} is not a valid path (percent-encode it, see encode_path_segment): {e}")))?;
        let request_string = uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();
        let req_id = self.inner.ids.next_id();
        let date = self.inner.date_format.format(self.inner.clock.now());
        let signed_form = match token {
            None => AvananRequest::Auth,
            Some(_) => AvananRequest::Request {
                request_string: &request_string,
            },
        };
        let signature = self
            .inner
            .signer
            .sign(&req_id, &self.inner.app_id, &date, signed_form);
        let mut builder = http::Request::builder()
            .method(method)
            .uri(uri)
            .header(http::header::ACCEPT, "application/json")
            .header(headers::REQ_ID, req_id)
            .header(headers::TOKEN, token.map_or("", AccessToken::expose))
            .header(headers::APP_ID, self.inner.app_id.as_str())
            .header(headers::DATE, date)
            .header(headers::SIG, signature.as_str());
        if !body.is_empty() {
            builder = builder.header(http::header::CONTENT_TYPE, "application/json");
        }
        builder
            .body(body)
            .map_err(|e| AvananError::InvalidRequest(format!("building the request: {e}")))
    }

    fn check(response: &HttpResponse) -> Result<(), AvananError> {
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let envelope = serde_json::from_slice::<Response<serde_json::Value>>(response.body())
            .ok()
            .map(|r| r.response_envelope);
        if status == http::StatusCode::UNAUTHORIZED || status == http::StatusCode::FORBIDDEN {
            return Err(AvananError::Unauthorized {
                status: status.as_u16(),
                text: envelope
                    .and_then(|e| e.response_text)
                    .or_else(|| Some(excerpt(response.body())).filter(|t| !t.is_empty())),
            });
        }
        Err(AvananError::Api {
            status: status.as_u16(),
            envelope: envelope.map(Box::new),
            raw: excerpt(response.body()),
        })
    }

    /// `GET /v1.0/auth` now (no cache).
    pub async fn auth(&self) -> Result<AuthToken, AvananError> {
        let request = self.signed(http::Method::GET, "/v1.0/auth", None, Bytes::new())?;
        let fetched_at = self.inner.clock.now();
        let response = self.inner.transport.send(request).await?;
        Self::check(&response)?;
        let text = std::str::from_utf8(response.body())
            .map_err(|_| AvananError::Decode("the token is not UTF-8".into()))?
            .trim()
            .trim_matches('"');
        if text.is_empty() {
            return Err(AvananError::Decode("empty token".into()));
        }
        Ok(AuthToken {
            expires_at: jwt_expiry(text).unwrap_or(fetched_at + DEFAULT_TOKEN_LIFETIME),
            token: AccessToken::new(text),
        })
    }

    /// The access token: cached until shortly before it expires, else a new one from
    /// `/v1.0/auth`; concurrent callers share one request (single-flight).
    pub async fn access_token(&self) -> Result<AccessToken, AvananError> {
        let clock = self.inner.clock.clone();
        self.inner
            .cache
            .get(
                || clock.now(),
                || async {
                    let t = self.auth().await?;
                    Ok(CachedToken {
                        token: t.token,
                        expires_at: t.expires_at,
                    })
                },
            )
            .await
    }

    /// When the cached token expires, if one is cached.
    pub fn cached_token_expiry(&self) -> Option<SystemTime> {
        self.inner.cache.expires_at()
    }

    /// Sends a signed request to `path_and_query` (e.g. `/v1.0/search/entity/abc?x=1`,
    /// percent-encoded) with an optional JSON body, and returns the whole response. On HTTP
    /// 401 the token is refreshed once and the request re-signed and re-sent.
    pub async fn send<B: Serialize>(
        &self,
        method: http::Method,
        path_and_query: &str,
        body: Option<&B>,
    ) -> Result<HttpResponse, AvananError> {
        let body =
            match body {
                Some(b) => Bytes::from(serde_json::to_vec(b).map_err(|e| {
                    AvananError::InvalidRequest(format!("serialising the body: {e}"))
                })?),
                None => Bytes::new(),
            };
        let mut refreshed = false;
        loop {
            let token = self.access_token().await?;
            let request =
                self.signed(method.clone(), path_and_query, Some(&token), body.clone())?;
            let response = self.inner.transport.send(request).await?;
            if response.status() == http::StatusCode::UNAUTHORIZED && !refreshed {
                self.inner.cache.invalidate(&token);
                refreshed = true;
                continue;
            }
            Self::check(&response)?;
            return Ok(response);
        }
    }

    /// Like [`send`](Self::send), decoding the Avanan envelope with records of type `T`.
    pub async fn request<B: Serialize, T: DeserializeOwned>(
        &self,
        method: http::Method,
        path_and_query: &str,
        body: Option<&B>,
    ) -> Result<Response<T>, AvananError> {
        let response = self.send(method, path_and_query, body).await?;
        serde_json::from_slice(response.body()).map_err(|e| AvananError::Decode(e.to_string()))
    }

    /// `GET /v1.0/scopes`: the scopes (`farm:customer`) the application may access.
    pub async fn scopes(&self) -> Result<Vec<Scope>, AvananError> {
        Ok(self
            .request::<(), Scope>(http::Method::GET, "/v1.0/scopes", None)
            .await?
            .response_data)
    }

    /// `POST /v1.0/event/query`, page by page, following `scrollId`.
    pub fn events(&self, query: EventQuery) -> EventPager {
        EventPager::new(self.clone(), query)
    }

    /// The envelope of a response, for callers of [`send`](Self::send).
    pub fn envelope_of(response: &HttpResponse) -> Option<ResponseEnvelope> {
        serde_json::from_slice::<Response<serde_json::Value>>(response.body())
            .ok()
            .map(|r| r.response_envelope)
    }
}
