//! The Avanan client.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use bytes::Bytes;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sigil_client_core::{
    Clock, FetchedToken, IdSource, RandomIds, RefreshPolicy, SystemClock, TokenCache,
};
use sigil_models::AccessToken;
use sigil_models::avanan::{Region, Response, ResponseEnvelope, Scope, headers};
use sigil_signing::SecretKey;
use sigil_signing::avanan::{AvananRequest, AvananSigner};
use sigil_transport::{
    Deadline, Dispatcher, EXCERPT_CHARS, HttpRequest, HttpResponse, HttpSend, Origin,
    RequestTarget, RetryPolicy, Timeouts, TransportSettings, excerpt,
};

use crate::{AvananError, DateFormat};

/// How long a token is assumed valid when it declares no `exp` claim (the document: one
/// hour).
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

/// The longest token accepted from `/v1.0/auth` (8 KiB).
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// A token from `/v1.0/auth` and how long it lives.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken {
    /// The JWT, sent as `x-av-token`.
    pub token: AccessToken,
    /// Its lifetime as the server declares it: `exp − iat` (or `exp` minus the response's
    /// `Date` without an `iat`); zero when that is not after the token was issued or the
    /// claims cannot be read (expired on arrival); one hour when it declares no `exp`.
    pub lifetime: Duration,
    /// The local time it was requested at plus its lifetime.
    pub expires_at: SystemTime,
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthToken")
            .field("token", &self.token)
            .field("lifetime", &self.lifetime)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Checks that `/v1.0/auth` answered with a JWT: three base64url parts, at most
/// [`MAX_TOKEN_LEN`] bytes, nothing else (an HTML page or an error text is refused before
/// it is cached or sent).
fn checked_jwt(body: &[u8]) -> Result<&str, AvananError> {
    // Quote the start of the answer only when it cannot be a credential (an HTML page, an
    // error text): a token-like answer of the wrong shape is never echoed.
    let token_like = body
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || b"._~+/=-\"".contains(b));
    let refuse = |why: &str| {
        let shown = if token_like {
            format!("{} bytes", body.len())
        } else {
            excerpt(body, 40)
        };
        AvananError::Decode(format!(
            "/v1.0/auth did not answer with a JWT ({why}): {shown}"
        ))
    };
    let text = std::str::from_utf8(body)
        .map_err(|_| refuse("not UTF-8"))?
        .trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    if text.is_empty() {
        return Err(refuse("empty"));
    }
    if text.len() > MAX_TOKEN_LEN {
        return Err(refuse("too long"));
    }
    let parts: Vec<&str> = text.split('.').collect();
    let base64url = |p: &&str| {
        p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if parts.len() != 3 || parts[..2].iter().any(|p| p.is_empty()) || !parts.iter().all(base64url) {
        return Err(refuse("not three base64url parts"));
    }
    Ok(text)
}

/// The lifetime a JWT declares, read without verifying it (the client only needs to know
/// when to refresh; the server verifies): `exp` minus `iat`, or minus `server_now` (the
/// response's `Date`, else the local clock) when there is no `iat`. `None` when the token
/// declares no `exp` at all; zero (expired on arrival) when `exp` is at or before that
/// instant, or when the claims or the times cannot be read.
fn jwt_lifetime(jwt: &str, server_now: SystemTime) -> Option<Duration> {
    let expired = Some(Duration::ZERO);
    let Some(claims) = jwt
        .split('.')
        .nth(1)
        .and_then(|payload| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .filter(serde_json::Value::is_object)
    else {
        return expired;
    };
    let time = |key: &str| claims.get(key).map(serde_json::Value::as_u64);
    let exp = match time("exp") {
        None => return None,
        Some(None) => return expired,
        Some(Some(exp)) => exp,
    };
    let now_s = match time("iat") {
        Some(Some(iat)) => iat,
        Some(None) => return expired,
        None => server_now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    };
    Some(
        exp.checked_sub(now_s)
            .map_or(Duration::ZERO, Duration::from_secs),
    )
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

    /// Time limits of every call, whatever the transport (default [`Timeouts::default`]:
    /// 5 s connect, 10 s per attempt, 30 s per call, token wait included).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.transport.set_timeouts(timeouts);
        self
    }

    /// The largest response body accepted (default 16 MiB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.transport.set_max_response_bytes(limit);
        self
    }

    /// Retries of transient failures for requests safe to repeat (default
    /// [`RetryPolicy::default`]; `None` disables).
    pub fn retry(mut self, policy: Option<RetryPolicy>) -> Self {
        self.transport.set_retry(policy);
        self
    }

    /// When cached tokens are refreshed (default 60 s before expiry, with jitter) and how
    /// long a token request may take (default 15 s).
    pub fn refresh(mut self, policy: RefreshPolicy) -> Self {
        self.refresh = policy;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<AvananClient, AvananError> {
        let origin = Origin::parse(&self.origin)?;
        if self.app_id.trim().is_empty() {
            return Err(AvananError::Config("the application id is empty".into()));
        }
        let app_id_header = http::HeaderValue::from_str(&self.app_id).map_err(|_| {
            AvananError::Config("the application id is not a valid header value".into())
        })?;
        let dispatcher = self.transport.build(None)?;
        Ok(AvananClient {
            inner: Arc::new(Inner {
                auth_target: origin.target(AUTH_PATH)?,
                dispatcher,
                origin,
                app_id: self.app_id,
                app_id_header,
                signer: AvananSigner::new(&self.secret),
                load_timeout: self.refresh.load_timeout,
                cache: TokenCache::new(self.refresh, self.clock.clone()),
                clock: self.clock,
                ids: self.ids,
                date_format: self.date_format,
            }),
        })
    }
}

const AUTH_PATH: &str = "/v1.0/auth";

struct Inner {
    dispatcher: Dispatcher,
    origin: Origin,
    auth_target: RequestTarget,
    app_id: String,
    /// `x-av-app-id`, checked once (cloning it copies no bytes).
    app_id_header: http::HeaderValue,
    signer: AvananSigner,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    date_format: DateFormat,
    load_timeout: Duration,
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

    /// The target of `path_and_query` on the configured origin, in its wire form; refused
    /// before anything is sent (or any token fetched) when it is not a path on that origin.
    pub fn target(&self, path_and_query: &str) -> Result<RequestTarget, AvananError> {
        Ok(self.inner.origin.target(path_and_query)?)
    }

    /// A signed request: fresh `x-av-req-id`, `x-av-date` now, `x-av-sig` over the request
    /// string exactly as it goes on the wire (`None` token: the `/auth` form, `x-av-token`
    /// sent empty). Token and signature headers are marked sensitive.
    pub fn sign(
        &self,
        method: http::Method,
        target: &RequestTarget,
        token: Option<&AccessToken>,
        body: Bytes,
    ) -> Result<HttpRequest, AvananError> {
        let mut request = http::Request::new(body);
        *request.method_mut() = method;
        *request.uri_mut() = target.uri().clone();
        // Room for the seven headers at once, rather than growing the map step by step.
        request.headers_mut().reserve(8);
        if !request.body().is_empty() {
            request.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
        }
        self.sign_headers(request.headers_mut(), target.path_and_query(), token)?;
        Ok(request)
    }

    /// Puts the five Avanan headers on `headers` for a request whose path and query go on the
    /// wire as `request_string` (`None` token: the `/auth` form, `x-av-token` empty), plus
    /// `accept` unless set. Token and signature are marked sensitive.
    pub(crate) fn sign_headers(
        &self,
        headers: &mut http::HeaderMap,
        request_string: &str,
        token: Option<&AccessToken>,
    ) -> Result<(), AvananError> {
        let invalid =
            || AvananError::InvalidRequest("a header value holds invalid characters".into());
        let value = |text: &str| http::HeaderValue::from_str(text).map_err(|_| invalid());
        // The request id and date are signed as the header values hold them (what is sent is
        // what is signed); the id's text moves into its header without a copy.
        let req_id = http::HeaderValue::from_maybe_shared(Bytes::from(self.inner.ids.next_id()))
            .map_err(|_| invalid())?;
        let date = self
            .inner
            .date_format
            .header_value(self.inner.clock.now())?;
        let signed_form = match token {
            None => AvananRequest::Auth,
            Some(_) => AvananRequest::Request { request_string },
        };
        let signature = self.inner.signer.sign(
            req_id.to_str().map_err(|_| invalid())?,
            &self.inner.app_id,
            date.to_str().map_err(|_| invalid())?,
            signed_form,
        );
        let sensitive = |text: &str| {
            value(text).map(|mut v| {
                v.set_sensitive(true);
                v
            })
        };
        if !headers.contains_key(http::header::ACCEPT) {
            headers.insert(
                http::header::ACCEPT,
                http::HeaderValue::from_static("application/json"),
            );
        }
        // Names as `HeaderName`s from static text: a `&str` name that is not a standard
        // header would be copied to the heap on every insert.
        let name = http::HeaderName::from_static;
        headers.insert(name(headers::REQ_ID), req_id);
        headers.insert(
            name(headers::TOKEN),
            sensitive(token.map_or("", AccessToken::expose))?,
        );
        headers.insert(name(headers::APP_ID), self.inner.app_id_header.clone());
        headers.insert(name(headers::DATE), date);
        headers.insert(name(headers::SIG), sensitive(signature.as_str())?);
        Ok(())
    }

    /// Signs a caller's request in place, for callers with their own HTTP stack: the cached
    /// access token (fetched if needed) and the five headers. The request's URI is first
    /// rewritten to its wire form (see [`RequestTarget::from_uri`]): `{`, `"`, a space or
    /// `é` in the path, `'` in the query are percent-encoded as reqwest would send them, and
    /// the signature covers exactly those bytes. The URI must be on the configured origin (or
    /// be a bare path); a URI that would address another resource on the wire is refused with
    /// [`AvananError::Target`] before any token is fetched, and the request is left
    /// untouched.
    ///
    /// ```no_run
    /// # async fn run(client: sigil_avanan::AvananClient) -> Result<(), sigil_avanan::AvananError> {
    /// let mut request = http::Request::get("https://smart-api-production-1-us.avanan.net/v1.0/scopes")
    ///     .body(Vec::<u8>::new())
    ///     .expect("a valid request");
    /// client.authorize(&mut request).await?;
    /// // send `request` with any HTTP stack
    /// # Ok(()) }
    /// ```
    pub async fn authorize<B>(&self, request: &mut http::Request<B>) -> Result<(), AvananError> {
        let target = self.wire_target_of(request.uri())?;
        let token = self.access_token().await?;
        self.sign_headers(request.headers_mut(), target.path_and_query(), Some(&token))?;
        *request.uri_mut() = target.into_uri();
        Ok(())
    }

    /// A caller's URI in its wire form, checked to be on the configured origin (a bare path
    /// is taken as on it).
    pub(crate) fn wire_target_of(&self, uri: &http::Uri) -> Result<RequestTarget, AvananError> {
        if let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) {
            let origin = Origin::parse(&format!("{scheme}://{authority}"))?;
            if origin != self.inner.origin {
                return Err(AvananError::Target(
                    sigil_transport::TargetError::OtherOrigin(excerpt(
                        origin.as_str().as_bytes(),
                        120,
                    )),
                ));
            }
        }
        Ok(RequestTarget::from_uri(uri)?)
    }

    fn check(response: &HttpResponse) -> Result<(), AvananError> {
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let envelope = Self::envelope_of(response);
        let short = |t: &str| excerpt(t.as_bytes(), EXCERPT_CHARS);
        if status == http::StatusCode::UNAUTHORIZED || status == http::StatusCode::FORBIDDEN {
            return Err(AvananError::Unauthorized {
                status: status.as_u16(),
                text: envelope
                    .and_then(|e| e.response_text)
                    .map(|t| short(&t))
                    .or_else(|| {
                        Some(excerpt(response.body(), EXCERPT_CHARS)).filter(|t| !t.is_empty())
                    }),
            });
        }
        Err(AvananError::Api {
            status: status.as_u16(),
            envelope: envelope.map(|mut e| {
                e.response_text = e.response_text.map(|t| short(&t));
                e.additional_text = e.additional_text.map(|t| short(&t));
                Box::new(e)
            }),
            raw: excerpt(response.body(), EXCERPT_CHARS),
        })
    }

    /// `GET /v1.0/auth` now (no cache), within one operation deadline.
    pub async fn auth(&self) -> Result<AuthToken, AvananError> {
        let deadline = self.inner.dispatcher.deadline();
        deadline.within(self.auth_within(deadline)).await
    }

    async fn auth_within(&self, deadline: Deadline) -> Result<AuthToken, AvananError> {
        let fetched_at = self.inner.clock.now();
        let response = self
            .inner
            .dispatcher
            .send(deadline, || {
                self.sign(
                    http::Method::GET,
                    &self.inner.auth_target,
                    None,
                    Bytes::new(),
                )
            })
            .await?;
        Self::check(&response)?;
        let text = checked_jwt(response.body())?;
        let server_now = response
            .headers()
            .get(http::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .unwrap_or(fetched_at);
        let lifetime = jwt_lifetime(text, server_now).unwrap_or(DEFAULT_TOKEN_LIFETIME);
        Ok(AuthToken {
            token: AccessToken::new(text),
            lifetime,
            expires_at: fetched_at.checked_add(lifetime).unwrap_or(fetched_at),
        })
    }

    /// The access token: cached until shortly before it expires, else a new one from
    /// `/v1.0/auth`. Concurrent callers share one request, which runs detached from them
    /// (a cancelled caller never abandons it) and is bounded by the refresh policy's load
    /// timeout.
    pub async fn access_token(&self) -> Result<AccessToken, AvananError> {
        let deadline = self.inner.dispatcher.deadline();
        deadline.within(self.cached_token()).await
    }

    async fn cached_token(&self) -> Result<AccessToken, AvananError> {
        let client = self.clone();
        self.inner
            .cache
            .get(move || async move {
                let load = Deadline::after(client.inner.load_timeout);
                let span = tracing::debug_span!("sigil.avanan.auth");
                let t = tracing::Instrument::instrument(client.auth_within(load), span).await?;
                Ok(FetchedToken {
                    token: t.token,
                    lifetime: t.lifetime,
                })
            })
            .await
    }

    /// Drops `token` from the cache if it is still the cached one, so the next call fetches
    /// a new one (or joins the fetch in flight): for callers of [`authorize`](Self::authorize)
    /// whose request the server refused with HTTP 401. A token another caller already
    /// replaced is left alone.
    ///
    /// ```no_run
    /// # async fn run(client: sigil_avanan::AvananClient) -> Result<(), sigil_avanan::AvananError> {
    /// let token = client.access_token().await?;
    /// // ... the server answered HTTP 401 to a request carrying `token`:
    /// client.invalidate_token(&token);
    /// # Ok(()) }
    /// ```
    pub fn invalidate_token(&self, token: &AccessToken) {
        self.inner.cache.invalidate(token);
    }

    /// When the cached token expires, if one is cached.
    pub fn cached_token_expiry(&self) -> Option<SystemTime> {
        self.inner.cache.expires_at()
    }

    /// Sends a signed request to `path_and_query` (e.g. `/v1.0/search/entity/abc?x=1`) with
    /// an optional JSON body, and returns the whole response. The target is checked before
    /// any token is fetched; every attempt is signed afresh; on HTTP 401 the token is
    /// refreshed once and the request re-signed and re-sent. The whole call, token wait
    /// included, is bounded by the operation timeout.
    pub async fn send(
        &self,
        method: http::Method,
        path_and_query: &str,
        json_body: Option<&serde_json::Value>,
    ) -> Result<HttpResponse, AvananError> {
        self.send_serialized(method, path_and_query, json_body)
            .await
    }

    /// The target checked (before any token), `body` serialised as JSON (or nothing), sent.
    pub(crate) async fn send_serialized<B: Serialize + ?Sized>(
        &self,
        method: http::Method,
        path_and_query: &str,
        body: Option<&B>,
    ) -> Result<HttpResponse, AvananError> {
        let target = self.target(path_and_query)?;
        let body =
            match body {
                Some(b) => Bytes::from(serde_json::to_vec(b).map_err(|e| {
                    AvananError::InvalidRequest(format!("serialising the body: {e}"))
                })?),
                None => Bytes::new(),
            };
        self.send_to(method, &target, body).await
    }

    /// Like [`send`](Self::send), for a target already checked and a body already encoded.
    pub async fn send_to(
        &self,
        method: http::Method,
        target: &RequestTarget,
        body: Bytes,
    ) -> Result<HttpResponse, AvananError> {
        let deadline = self.inner.dispatcher.deadline();
        let span = tracing::debug_span!("sigil.avanan", method = %method, path = %target.path());
        deadline
                .within(tracing::Instrument::instrument(async {
                    let mut refreshed = false;
                    loop {
                        let token = self.cached_token().await?;
                        let response = self
                            .inner
                            .dispatcher
                            .send(deadline, || {
                                self.sign(method.clone(), target, Some(&token), body.clone())
                            })
                            .await?;
                        if response.status() == http::StatusCode::UNAUTHORIZED && !refreshed {
                            tracing::debug!(target: "sigil::avanan", "HTTP 401: refreshing the token once");
                            self.invalidate_token(&token);
                            refreshed = true;
                            continue;
                        }
                        Self::check(&response)?;
                        return Ok(response);
                    }
                }, span))
                .await
    }

    /// Sends `body` serialised as JSON (or nothing) and decodes the Avanan envelope with
    /// records of type `T`; otherwise like [`send`](Self::send).
    pub async fn request<B: Serialize, T: DeserializeOwned>(
        &self,
        method: http::Method,
        path_and_query: &str,
        body: Option<&B>,
    ) -> Result<Response<T>, AvananError> {
        let response = self.send_serialized(method, path_and_query, body).await?;
        Self::decode(response.body())
    }

    /// The Avanan envelope with records of type `T`, from a 2xx answer's body.
    pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<Response<T>, AvananError> {
        serde_json::from_slice(body)
            .map_err(|e| AvananError::Decode(excerpt(e.to_string().as_bytes(), EXCERPT_CHARS)))
    }

    /// `GET path_and_query`, decoding the envelope with records of type `T`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
    ) -> Result<Response<T>, AvananError> {
        self.request::<(), T>(http::Method::GET, path_and_query, None)
            .await
    }

    /// `GET /v1.0/scopes`: the scopes (`farm:customer`) the application may access.
    pub async fn scopes(&self) -> Result<Vec<Scope>, AvananError> {
        Ok(self.get::<Scope>("/v1.0/scopes").await?.response_data)
    }

    /// The envelope of a response, for callers of [`send`](Self::send).
    pub fn envelope_of(response: &HttpResponse) -> Option<ResponseEnvelope> {
        serde_json::from_slice::<Response<serde_json::Value>>(response.body())
            .ok()
            .map(|r| r.response_envelope)
    }
}
