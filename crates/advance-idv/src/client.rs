//! The ADVANCE client.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sigil_client_core::{CachedToken, Clock, RefreshPolicy, SystemClock, TokenCache, unix_millis};
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
    HttpResponse, HttpSend, RetryClassifier, RetryDecision, RetryPolicy, RetrySafe,
    TransportSettings, retry_after,
};

use crate::error::{AdvanceError, VendorFailure};

/// Declares ADVANCE's busy answers retryable: `SERVICE_BUSY` and `RETRY_LATER` arrive in an
/// HTTP 200 envelope (sometimes with `Retry-After`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AdvanceRetryClassifier;

impl RetryClassifier for AdvanceRetryClassifier {
    fn classify(&self, response: &HttpResponse, now: SystemTime) -> RetryDecision {
        #[derive(serde::Deserialize)]
        struct CodeOnly {
            code: ResponseCode,
        }
        match serde_json::from_slice::<CodeOnly>(response.body()) {
            Ok(CodeOnly {
                code: ResponseCode::ServiceBusy | ResponseCode::RetryLater,
            }) => RetryDecision::Retry {
                after: retry_after(response.headers(), now),
            },
            _ => RetryDecision::Done,
        }
    }
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
}

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

    /// Connect and total timeouts of the default transport.
    #[cfg(feature = "reqwest")]
    pub fn timeouts(mut self, timeouts: sigil_transport::ReqwestConfig) -> Self {
        self.transport.set_timeouts(timeouts);
        self
    }

    /// Retries of transient failures (default [`RetryPolicy::default`]; `None` disables).
    pub fn retry(mut self, policy: Option<RetryPolicy>) -> Self {
        self.transport.set_retry(policy);
        self
    }

    /// When cached tokens are refreshed (default 60 s before expiry, with jitter).
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
        let origin = self
            .base_url
            .unwrap_or_else(|| self.region.origin().to_owned())
            .trim_end_matches('/')
            .to_owned();
        let origin = sigil_transport::origin(&origin).map_err(AdvanceError::Config)?;
        if self.access_key.trim().is_empty() {
            return Err(AdvanceError::InvalidRequest(
                sigil_models::ModelError::Empty { field: "accessKey" },
            ));
        }
        let transport = self
            .transport
            .build(Some(Arc::new(AdvanceRetryClassifier)))?;
        Ok(AdvanceClient {
            inner: Arc::new(Inner {
                transport,
                token_url: format!(
                    "{origin}/{}{GENERATE_TOKEN_PATH}",
                    self.region.path_prefix()
                ),
                idv_base: format!("{origin}/{}", self.idv_path_prefix),
                signer: AdvanceSigner::new(&self.access_key, &self.secret_key),
                access_key: self.access_key,
                period: self.period,
                clock: self.clock,
                cache: TokenCache::new(self.refresh),
                clock_offset_ms: AtomicI64::new(0),
                timestamp_retry: self.timestamp_retry,
            }),
        })
    }
}

struct Inner {
    transport: Arc<dyn HttpSend>,
    token_url: String,
    idv_base: String,
    access_key: String,
    signer: AdvanceSigner,
    period: Option<PeriodSeconds>,
    clock: Arc<dyn Clock>,
    cache: TokenCache<AccessToken, AdvanceError>,
    /// Server time minus local time, learnt from a `Timestamp error`.
    clock_offset_ms: AtomicI64,
    timestamp_retry: bool,
}

/// An ADVANCE.AI client: token authentication and H5 ID verification. Cheap to clone (one
/// `Arc`); clones share the token cache.
///
/// ```no_run
/// use sigil_advance_idv::AdvanceClient;
/// use sigil_models::advance::Region;
/// use sigil_models::idv::{CountryCode, GenerateUrlRequest};
/// use sigil_signing::SecretKey;
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
            .field("token_url", &self.inner.token_url)
            .field("idv_base", &self.inner.idv_base)
            .field("access_key", &self.inner.access_key)
            .field("signer", &self.inner.signer)
            .field("token_cache", &self.inner.cache)
            .finish()
    }
}

fn failure_of<T>(envelope: &Envelope<T>) -> VendorFailure {
    VendorFailure {
        message: envelope.message.clone(),
        transaction_id: envelope.transaction_id.clone(),
    }
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
        }
    }

    /// The local clock corrected by the offset learnt from the server, in milliseconds.
    fn server_now_ms(&self) -> u64 {
        let local = unix_millis(self.inner.clock.now()) as i64;
        (local + self.inner.clock_offset_ms.load(Ordering::Relaxed)).max(0) as u64
    }

    async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        url: &str,
        body: &B,
        token: Option<&AccessToken>,
    ) -> Result<(Envelope<T>, HttpResponse), AdvanceError> {
        let json = serde_json::to_vec(body).map_err(|e| AdvanceError::Decode(e.to_string()))?;
        let mut request = http::Request::post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json");
        if let Some(token) = token {
            request = request.header(ACCESS_TOKEN_HEADER, token.expose());
        }
        let mut request = request
            .body(Bytes::from(json))
            .map_err(|e| AdvanceError::Config(format!("building the request: {e}")))?;
        // Every ADVANCE call here may be repeated: a token request mints another token,
        // get-result only reads, generate-url opens one more session.
        request.extensions_mut().insert(RetrySafe);
        let response = self.inner.transport.send(request).await?;
        let envelope = match serde_json::from_slice::<Envelope<T>>(response.body()) {
            Ok(envelope) => envelope,
            Err(e) if response.status() == http::StatusCode::OK => {
                return Err(AdvanceError::Decode(e.to_string()));
            }
            Err(_) => {
                let body = response.body();
                let cut = &body[..body.len().min(512)];
                return Err(AdvanceError::Http {
                    status: response.status().as_u16(),
                    body: String::from_utf8_lossy(cut).into_owned(),
                });
            }
        };
        Ok((envelope, response))
    }

    /// Calls `generate-token` now (no cache): signs `accessKey ‖ secretKey ‖ timestamp` with
    /// the current time. On `PARAMETER_ERROR`/`Timestamp error` it measures the clock offset
    /// from the response's `Date` header and retries once (see the builder).
    pub async fn generate_token(&self) -> Result<TokenData, AdvanceError> {
        let mut retried = false;
        loop {
            let ms = self.server_now_ms();
            let timestamp = TimestampMillis::new(ms).map_err(|_| {
                AdvanceError::Config(format!("the clock reads {ms} ms, not a 13-digit timestamp"))
            })?;
            let signature = self.inner.signer.sign(timestamp);
            let body = GenerateTokenRequest::new(
                self.inner.access_key.clone(),
                signature.as_str(),
                ms,
                self.inner.period,
            )?;
            let (envelope, response) = self
                .post_json::<_, TokenData>(&self.inner.token_url, &body, None)
                .await?;
            if envelope.is_success() {
                return envelope
                    .data
                    .ok_or_else(|| AdvanceError::Decode("SUCCESS without data".into()));
            }
            let timestamp_error = envelope.code == ResponseCode::ParameterError
                && envelope.message.as_deref() == Some(messages::TIMESTAMP_ERROR);
            let server_date = response
                .headers()
                .get(http::header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| httpdate::parse_http_date(v).ok());
            if timestamp_error
                && self.inner.timestamp_retry
                && !retried
                && let Some(server) = server_date
            {
                let offset =
                    unix_millis(server) as i64 - unix_millis(self.inner.clock.now()) as i64;
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

    /// The access token: the cached one until shortly before its `expiredTime`, else a new
    /// one from `generate-token`. Concurrent callers share one request (single-flight).
    pub async fn access_token(&self) -> Result<AccessToken, AdvanceError> {
        let clock = self.inner.clock.clone();
        self.inner
            .cache
            .get(
                || clock.now(),
                || async {
                    let data = self.generate_token().await?;
                    // expiredTime is server time: convert it to the local clock.
                    let offset = self.inner.clock_offset_ms.load(Ordering::Relaxed);
                    let local_ms = (data.expired_time.as_millis() as i64 - offset).max(0) as u64;
                    Ok(CachedToken {
                        token: data.token,
                        expires_at: UNIX_EPOCH + Duration::from_millis(local_ms),
                    })
                },
            )
            .await
    }

    /// When the cached token expires, if one is cached.
    pub fn cached_token_expiry(&self) -> Option<SystemTime> {
        self.inner.cache.expires_at()
    }

    /// Calls a token-authenticated endpoint; on `IAM_FAILED` refreshes the token once and
    /// retries.
    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, AdvanceError> {
        let url = format!("{}/{path}", self.inner.idv_base);
        let mut refreshed = false;
        loop {
            let token = self.access_token().await?;
            let (envelope, _) = self.post_json::<_, T>(&url, body, Some(&token)).await?;
            if envelope.is_success() {
                return envelope
                    .data
                    .ok_or_else(|| AdvanceError::Decode("SUCCESS without data".into()));
            }
            if envelope.code == ResponseCode::IamFailed && !refreshed {
                self.inner.cache.invalidate(&token);
                refreshed = true;
                continue;
            }
            return Err(AdvanceError::from_code(
                envelope.code.clone(),
                failure_of(&envelope),
            ));
        }
    }

    /// H5 IDV `generate-url`: a verification page for one user.
    pub async fn generate_url(
        &self,
        request: &GenerateUrlRequest,
    ) -> Result<GenerateUrlData, AdvanceError> {
        self.call("generate-url", request).await
    }

    /// H5 IDV `get-result`: the outcome of a verification session.
    pub async fn get_result(&self, signature_id: &str) -> Result<IdvResultData, AdvanceError> {
        self.call("get-result", &GetResultRequest::new(signature_id)?)
            .await
    }
}
