//! The ADVANCE client.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sigil_client_core::{Clock, FetchedToken, RefreshPolicy, SystemClock, TokenCache, unix_millis};
use sigil_models::AccessToken;
use sigil_models::advance::{
    ACCESS_TOKEN_HEADER, Envelope, GENERATE_TOKEN_PATH, GenerateTokenRequest, PeriodSeconds,
    Region, ResponseCode, TokenData, messages,
};
use sigil_models::idv::{
    GenerateUrlData, GenerateUrlRequest, GetResultRequest, IDV_PATH_PREFIX, IdvResultData,
};
use sigil_signing::advance::AdvanceSigner;
use sigil_signing::{SecretKey, TimestampMillis};
use sigil_transport::{
    Deadline, Dispatcher, EXCERPT_CHARS, HttpRequest, HttpResponse, HttpSend, Origin,
    RequestTarget, RetryClassifier, RetryDecision, RetryPolicy, RetrySafe, Timeouts,
    TransportSettings, excerpt, retry_after,
};

use crate::error::{AdvanceError, VendorFailure};

/// Declares ADVANCE's busy answers retryable: `SERVICE_BUSY` and `RETRY_LATER` arrive in an
/// HTTP 200 envelope (sometimes with `Retry-After`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AdvanceRetryClassifier;

/// The `code` of an ADVANCE envelope, if the body is one.
fn envelope_code(response: &HttpResponse) -> Option<ResponseCode> {
    #[derive(serde::Deserialize)]
    struct CodeOnly {
        code: ResponseCode,
    }
    serde_json::from_slice::<CodeOnly>(response.body())
        .ok()
        .map(|c| c.code)
}

impl RetryClassifier for AdvanceRetryClassifier {
    fn classify(&self, response: &HttpResponse, now: SystemTime) -> RetryDecision {
        match envelope_code(response) {
            Some(ResponseCode::ServiceBusy | ResponseCode::RetryLater) => RetryDecision::Retry {
                after: retry_after(response.headers(), now),
            },
            _ => RetryDecision::Done,
        }
    }

    /// `SERVICE_BUSY` is the server turning the request away unprocessed, so even
    /// `generate-url` may be sent again; `RETRY_LATER` says less, and is final for it.
    fn not_processed(&self, response: &HttpResponse, now: SystemTime) -> RetryDecision {
        match envelope_code(response) {
            Some(ResponseCode::ServiceBusy) => RetryDecision::Retry {
                after: retry_after(response.headers(), now),
            },
            _ => RetryDecision::Done,
        }
    }
}

/// Whether a call may be sent again after the server may have acted on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// Token requests and reads (`generate-token`, `get-result`).
    Repeatable,
    /// Opens something on the server (`generate-url` opens a priced session).
    Creates,
}

/// Builds an [`AdvanceClient`].
pub struct AdvanceClientBuilder {
    access_key: String,
    secret_key: SecretKey,
    region: Region,
    base_url: Option<String>,
    idv_path_prefix: String,
    period: Option<PeriodSeconds>,
    clock: Arc<dyn Clock>,
    transport: TransportSettings,
    refresh: RefreshPolicy,
    timestamp_retry: bool,
    max_clock_offset: Duration,
}

/// The default bound on the clock offset learnt from a server's `Date` (one day).
pub const DEFAULT_MAX_CLOCK_OFFSET: Duration = Duration::from_secs(24 * 3600);

/// The longest access token accepted from `generate-token` (4 KiB).
pub const MAX_TOKEN_LEN: usize = 4096;

impl fmt::Debug for AdvanceClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdvanceClientBuilder")
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key)
            .field("region", &self.region)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl AdvanceClientBuilder {
    /// The region whose host and path prefix to use (default Indonesia).
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// A custom origin (scheme, host, port), e.g. the emulator's `http://127.0.0.1:PORT`;
    /// the region's path prefix still applies.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The path prefix of the H5 IDV endpoints (default the document's
    /// `intl/openapi/face-identity/h5-idv/v1`; see `sigil_models::idv::IDV_PATH_PREFIX_EKYC`).
    pub fn idv_path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.idv_path_prefix = prefix.into().trim_matches('/').to_owned();
        self
    }

    /// The `periodSecond` to ask for (default: omitted, which the server takes as 3600).
    pub fn period(mut self, period: PeriodSeconds) -> Self {
        self.period = Some(period);
        self
    }

    /// The clock (default the system clock).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
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

    /// The largest clock offset the client believes a server's `Date` header about (default
    /// [`DEFAULT_MAX_CLOCK_OFFSET`]); a `Date` further off is ignored.
    pub fn max_clock_offset(mut self, bound: Duration) -> Self {
        self.max_clock_offset = bound;
        self
    }

    /// Retries of transient failures (default [`RetryPolicy::default`]; `None` disables).
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

    /// Whether a `PARAMETER_ERROR`/`Timestamp error` makes the client measure its clock
    /// offset from the response's `Date` header and retry once (default on).
    pub fn timestamp_retry(mut self, enabled: bool) -> Self {
        self.timestamp_retry = enabled;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<AdvanceClient, AdvanceError> {
        let origin = Origin::parse(
            self.base_url
                .as_deref()
                .unwrap_or_else(|| self.region.origin()),
        )?;
        if self.access_key.trim().is_empty() {
            return Err(AdvanceError::InvalidRequest(
                sigil_models::ModelError::Empty { field: "accessKey" },
            ));
        }
        let dispatcher = self
            .transport
            .build(Some(Arc::new(AdvanceRetryClassifier)))?;
        let prefix = self.idv_path_prefix;
        Ok(AdvanceClient {
            inner: Arc::new(Inner {
                token_target: origin.target(&format!(
                    "/{}{GENERATE_TOKEN_PATH}",
                    self.region.path_prefix()
                ))?,
                generate_url_target: origin.target(&format!("/{prefix}/generate-url"))?,
                get_result_target: origin.target(&format!("/{prefix}/get-result"))?,
                dispatcher,
                origin,
                signer: AdvanceSigner::new(&self.access_key, &self.secret_key),
                access_key: self.access_key,
                period: self.period,
                load_timeout: self.refresh.load_timeout,
                cache: TokenCache::new(self.refresh, self.clock.clone()),
                clock: self.clock,
                clock_offset_ms: AtomicI64::new(0),
                timestamp_retry: self.timestamp_retry,
                max_clock_offset_ms: i64::try_from(self.max_clock_offset.as_millis())
                    .unwrap_or(i64::MAX),
            }),
        })
    }
}

struct Inner {
    dispatcher: Dispatcher,
    origin: Origin,
    token_target: RequestTarget,
    generate_url_target: RequestTarget,
    get_result_target: RequestTarget,
    access_key: String,
    signer: AdvanceSigner,
    period: Option<PeriodSeconds>,
    clock: Arc<dyn Clock>,
    load_timeout: Duration,
    cache: TokenCache<AccessToken, AdvanceError>,
    /// Server time minus local time, learnt from a `Timestamp error`.
    clock_offset_ms: AtomicI64,
    timestamp_retry: bool,
    max_clock_offset_ms: i64,
}

/// An ADVANCE.AI client: token authentication and H5 ID verification. Cheap to clone (one
/// `Arc`); clones share the token cache.
///
/// ```no_run
/// use sigil_advance_idv::{AdvanceClient, CountryCode, GenerateUrlRequest, Region, SecretKey};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = AdvanceClient::builder("sampleaccesskey", SecretKey::new(b"samplesecretkey")?)
///     .region(Region::Indonesia)
///     .build()?;
/// let request = GenerateUrlRequest::new(
///     "https://shop.example/done",
///     "https://shop.example/failed",
///     &CountryCode::new("IDN")?,
///     Some("user-42".into()),
/// )?;
/// let session = client.generate_url(&request).await?; // fetches and caches a token first
/// println!("send the user to {}", session.url);
/// let result = client.get_result(&session.signature_id).await?;
/// println!("{:?}", result.idv_code);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AdvanceClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for AdvanceClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdvanceClient")
            .field("origin", &self.inner.origin)
            .field("token_path", &self.inner.token_target.path())
            .field("access_key", &self.inner.access_key)
            .field("signer", &self.inner.signer)
            .field("token_cache", &self.inner.cache)
            .finish()
    }
}

fn failure_of<T>(envelope: &Envelope<T>) -> VendorFailure {
    let short = |t: &String| excerpt(t.as_bytes(), EXCERPT_CHARS);
    VendorFailure {
        message: envelope.message.as_ref().map(short),
        transaction_id: envelope.transaction_id.as_ref().map(short),
    }
}

/// `X-ACCESS-TOKEN`'s value, marked sensitive.
fn token_header(token: &AccessToken) -> Result<http::HeaderValue, AdvanceError> {
    let mut value = http::HeaderValue::from_str(token.expose())
        .map_err(|_| AdvanceError::Decode("the access token is not a header value".into()))?;
    value.set_sensitive(true);
    Ok(value)
}

/// Checks a token from `generate-token` before it is cached or sent: 1 to
/// [`MAX_TOKEN_LEN`] visible ASCII characters.
fn checked_token(token: AccessToken) -> Result<AccessToken, AdvanceError> {
    let text = token.expose();
    if text.is_empty() || text.len() > MAX_TOKEN_LEN || !text.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(AdvanceError::Decode(format!(
            "generate-token answered with a token that is not 1 to {MAX_TOKEN_LEN} visible ASCII characters ({} bytes)",
            text.len()
        )));
    }
    Ok(token)
}

impl AdvanceClient {
    /// Starts a builder with the credential pair.
    pub fn builder(access_key: impl Into<String>, secret_key: SecretKey) -> AdvanceClientBuilder {
        AdvanceClientBuilder {
            access_key: access_key.into(),
            secret_key,
            region: Region::Indonesia,
            base_url: None,
            idv_path_prefix: IDV_PATH_PREFIX.to_owned(),
            period: None,
            clock: Arc::new(SystemClock),
            transport: TransportSettings::default(),
            refresh: RefreshPolicy::default(),
            timestamp_retry: true,
            max_clock_offset: DEFAULT_MAX_CLOCK_OFFSET,
        }
    }

    /// The local clock corrected by the offset learnt from the server, in milliseconds.
    fn server_now_ms(&self) -> u64 {
        let local = i64::try_from(unix_millis(self.inner.clock.now())).unwrap_or(i64::MAX);
        let offset = self.inner.clock_offset_ms.load(Ordering::Relaxed);
        u64::try_from(local.saturating_add(offset)).unwrap_or(0)
    }

    /// One POST with retries, the request (and so any signature in its body) built afresh
    /// for every attempt by `body`. A [`Call::Creates`] is sent again only when the server
    /// provably did not get it or did not process it.
    async fn post<T: DeserializeOwned>(
        &self,
        deadline: Deadline,
        target: &RequestTarget,
        token: Option<&AccessToken>,
        call: Call,
        mut body: impl FnMut() -> Result<Vec<u8>, AdvanceError>,
    ) -> Result<(Envelope<T>, HttpResponse), AdvanceError> {
        let token = token.map(token_header).transpose()?;
        let build = || -> Result<HttpRequest, AdvanceError> {
            let mut request = http::Request::new(Bytes::from(body()?));
            *request.method_mut() = http::Method::POST;
            *request.uri_mut() = target.uri().clone();
            let headers = request.headers_mut();
            let json = http::HeaderValue::from_static("application/json");
            headers.insert(http::header::CONTENT_TYPE, json.clone());
            headers.insert(http::header::ACCEPT, json);
            if let Some(token) = &token {
                headers.insert(ACCESS_TOKEN_HEADER, token.clone());
            }
            // A token request mints another token and get-result only reads: both may be
            // repeated. generate-url opens a session (and is priced): it may not.
            if call == Call::Repeatable {
                request.extensions_mut().insert(RetrySafe);
            }
            Ok(request)
        };
        let response = self.inner.dispatcher.send(deadline, build).await?;
        let envelope = match serde_json::from_slice::<Envelope<T>>(response.body()) {
            Ok(envelope) => envelope,
            Err(e) if response.status() == http::StatusCode::OK => {
                return Err(AdvanceError::Decode(excerpt(
                    e.to_string().as_bytes(),
                    EXCERPT_CHARS,
                )));
            }
            Err(_) => {
                return Err(AdvanceError::Http {
                    status: response.status().as_u16(),
                    body: excerpt(response.body(), EXCERPT_CHARS),
                });
            }
        };
        Ok((envelope, response))
    }

    /// Calls `generate-token` now (no cache): signs `accessKey ‖ secretKey ‖ timestamp` with
    /// the current time, afresh for every attempt. On `PARAMETER_ERROR`/`Timestamp error` it
    /// measures the clock offset from the response's `Date` header (if within the configured
    /// bound) and retries once; an offset that does not help is dropped.
    pub async fn generate_token(&self) -> Result<TokenData, AdvanceError> {
        let deadline = self.inner.dispatcher.deadline();
        let (data, _) = deadline.within(self.token_within(deadline)).await?;
        Ok(data)
    }

    /// `generate-token` within `deadline`: the token data and the lifetime it declares.
    async fn token_within(
        &self,
        deadline: Deadline,
    ) -> Result<(TokenData, Duration), AdvanceError> {
        let mut retried = false;
        loop {
            let body = || {
                let ms = self.server_now_ms();
                let timestamp = TimestampMillis::new(ms).map_err(|_| {
                    AdvanceError::Config(format!(
                        "the clock reads {ms} ms, not a 13-digit timestamp"
                    ))
                })?;
                let signature = self.inner.signer.sign(timestamp);
                let request = GenerateTokenRequest::new(
                    self.inner.access_key.clone(),
                    signature.as_str(),
                    ms,
                    self.inner.period,
                )?;
                serde_json::to_vec(&request).map_err(|e| AdvanceError::Decode(e.to_string()))
            };
            let sent_at = self.inner.clock.now();
            let (envelope, response) = self
                .post::<TokenData>(
                    deadline,
                    &self.inner.token_target,
                    None,
                    Call::Repeatable,
                    body,
                )
                .await?;
            let server_date = response
                .headers()
                .get(http::header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| httpdate::parse_http_date(v).ok());
            if envelope.is_success() {
                let data = envelope
                    .data
                    .ok_or_else(|| AdvanceError::Decode("SUCCESS without data".into()))?;
                let token = checked_token(data.token.clone())?;
                let lifetime = self.declared_lifetime(&data, server_date);
                return Ok((
                    TokenData {
                        token,
                        expired_time: data.expired_time,
                    },
                    lifetime,
                ));
            }
            let timestamp_error = envelope.code == ResponseCode::ParameterError
                && envelope.message.as_deref() == Some(messages::TIMESTAMP_ERROR);
            if timestamp_error && retried {
                // The offset did not help: do not keep it.
                self.inner.clock_offset_ms.store(0, Ordering::Relaxed);
            }
            if timestamp_error
                && self.inner.timestamp_retry
                && !retried
                && let Some(offset) = server_date.and_then(|date| self.offset_to(date, sent_at))
            {
                tracing::info!(target: "sigil::advance", offset_ms = offset, "Timestamp error: clock offset learnt from the Date header, retrying once");
                self.inner.clock_offset_ms.store(offset, Ordering::Relaxed);
                retried = true;
                continue;
            }
            return Err(AdvanceError::from_code(
                envelope.code.clone(),
                failure_of(&envelope),
            ));
        }
    }

    /// Server time minus local time, if the server's `date` is within the configured bound
    /// of the local clock at `sent_at`.
    fn offset_to(&self, date: SystemTime, sent_at: SystemTime) -> Option<i64> {
        let server = i64::try_from(unix_millis(date)).ok()?;
        let local = i64::try_from(unix_millis(sent_at)).ok()?;
        let offset = server.checked_sub(local)?;
        (offset.checked_abs()? <= self.inner.max_clock_offset_ms).then_some(offset)
    }

    /// How long the server says a token lives: `expiredTime` minus the response's `Date`
    /// (both server time; without a `Date`, the local clock corrected by the offset learnt
    /// from the server). An `expiredTime` at or before that instant declares the token
    /// expired on arrival: zero, which the cache holds for its minimum lifetime only.
    fn declared_lifetime(&self, data: &TokenData, server_date: Option<SystemTime>) -> Duration {
        let now_ms = server_date.map_or_else(|| self.server_now_ms(), unix_millis);
        data.expired_time
            .as_millis()
            .checked_sub(now_ms)
            .map_or(Duration::ZERO, Duration::from_millis)
    }

    /// The access token: the cached one until shortly before it expires, else a new one
    /// from `generate-token`. Concurrent callers share one request, which runs detached from
    /// them (a cancelled caller never abandons it) and is bounded by the refresh policy's
    /// load timeout. The lifetime is the one the server declares, measured on the local
    /// clock.
    pub async fn access_token(&self) -> Result<AccessToken, AdvanceError> {
        let deadline = self.inner.dispatcher.deadline();
        deadline.within(self.cached_token()).await
    }

    async fn cached_token(&self) -> Result<AccessToken, AdvanceError> {
        let client = self.clone();
        self.inner
            .cache
            .get(move || async move {
                let load = Deadline::after(client.inner.load_timeout);
                let span = tracing::debug_span!("sigil.advance.generate_token");
                let (data, lifetime) =
                    tracing::Instrument::instrument(client.token_within(load), span).await?;
                Ok(FetchedToken {
                    token: data.token,
                    lifetime,
                })
            })
            .await
    }

    /// Adds the access token (cached, or fetched now) to a caller's request as
    /// `X-ACCESS-TOKEN`, marked sensitive: ADVANCE's only per-request authentication step,
    /// for callers who send other ADVANCE APIs with their own HTTP stack.
    ///
    /// ```no_run
    /// # async fn run(client: sigil_advance_idv::AdvanceClient) -> Result<(), sigil_advance_idv::AdvanceError> {
    /// let mut request = http::Request::post("https://api.advance.ai/intl/openapi/face-identity/h5-idv/v1/get-result")
    ///     .body(br#"{"signatureId":"ed8b21c0c87ad617"}"#.to_vec())
    ///     .expect("a valid request");
    /// client.authorize(&mut request).await?;
    /// # Ok(()) }
    /// ```
    pub async fn authorize<B>(&self, request: &mut http::Request<B>) -> Result<(), AdvanceError> {
        let token = self.access_token().await?;
        request
            .headers_mut()
            .insert(ACCESS_TOKEN_HEADER, token_header(&token)?);
        Ok(())
    }

    /// When the cached token expires, if one is cached.
    pub fn cached_token_expiry(&self) -> Option<SystemTime> {
        self.inner.cache.expires_at()
    }

    /// Drops `token` from the cache if it is still the cached one, so the next call fetches
    /// a new one (or joins the fetch in flight): for callers of [`authorize`](Self::authorize)
    /// whose request the server refused (`IAM_FAILED`). A token another caller already
    /// replaced is left alone.
    ///
    /// ```no_run
    /// # async fn run(client: sigil_advance_idv::AdvanceClient) -> Result<(), sigil_advance_idv::AdvanceError> {
    /// let token = client.access_token().await?;
    /// // ... the server answered IAM_FAILED to a request carrying `token`:
    /// client.invalidate_token(&token);
    /// # Ok(()) }
    /// ```
    pub fn invalidate_token(&self, token: &AccessToken) {
        self.inner.cache.invalidate(token);
    }

    /// Calls a token-authenticated endpoint within one operation deadline (token wait
    /// included); on `IAM_FAILED` refreshes the token once and retries.
    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        target: &RequestTarget,
        kind: Call,
        body: &B,
    ) -> Result<T, AdvanceError> {
        let json = serde_json::to_vec(body).map_err(|e| AdvanceError::Decode(e.to_string()))?;
        let deadline = self.inner.dispatcher.deadline();
        let span = tracing::debug_span!("sigil.advance", path = %target.path());
        deadline
                .within(tracing::Instrument::instrument(async {
                    let mut refreshed = false;
                    loop {
                        let token = self.cached_token().await?;
                        let (envelope, _) = self
                            .post::<T>(deadline, target, Some(&token), kind, || Ok(json.clone()))
                            .await?;
                        if envelope.is_success() {
                            return envelope.data.ok_or_else(|| {
                                AdvanceError::Decode("SUCCESS without data".into())
                            });
                        }
                        if envelope.code == ResponseCode::IamFailed && !refreshed {
                            tracing::debug!(target: "sigil::advance", "IAM_FAILED: refreshing the token once");
                            self.invalidate_token(&token);
                            refreshed = true;
                            continue;
                        }
                        return Err(AdvanceError::from_code(
                            envelope.code.clone(),
                            failure_of(&envelope),
                        ));
                    }
                }, span))
                .await
    }

    /// H5 IDV `generate-url`: a verification page for one user. It opens a session on the
    /// server, so it is never sent twice once the server may have acted on it: it is
    /// repeated only after a refused connection, HTTP 429 or `SERVICE_BUSY` (and once after
    /// `IAM_FAILED`, with a fresh token); a timeout, a dropped connection or a 5xx is final.
    pub async fn generate_url(
        &self,
        request: &GenerateUrlRequest,
    ) -> Result<GenerateUrlData, AdvanceError> {
        self.call(&self.inner.generate_url_target, Call::Creates, request)
            .await
    }

    /// H5 IDV `get-result`: the outcome of a verification session.
    pub async fn get_result(&self, signature_id: &str) -> Result<IdvResultData, AdvanceError> {
        self.call(
            &self.inner.get_result_target,
            Call::Repeatable,
            &GetResultRequest::new(signature_id)?,
        )
        .await
    }
}
