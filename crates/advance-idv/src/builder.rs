//! Building an [`AdvanceClient`]: the options every sigil client shares, plus the credential
//! pair, region, IDV path prefix, token period and the clock-offset recovery settings.

use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Duration;

use sigil_client_core::ClientOptions;
use sigil_models::advance::{GENERATE_TOKEN_PATH, PeriodSeconds, Region};
use sigil_models::idv::IDV_PATH_PREFIX;
use sigil_signing::SecretKey;
use sigil_signing::advance::AdvanceSigner;

use crate::client::{AdvanceClient, Inner};
use crate::error::AdvanceError;
use crate::retry::AdvanceRetryClassifier;

/// Builds an [`AdvanceClient`].
#[derive(Debug)]
pub struct AdvanceClientBuilder {
    access_key: String,
    secret_key: SecretKey,
    region: Region,
    idv_path_prefix: String,
    period: Option<PeriodSeconds>,
    options: ClientOptions,
    timestamp_retry: bool,
    max_clock_offset: Duration,
}

/// The default bound on the clock offset learnt from a server's `Date` (one day).
pub const DEFAULT_MAX_CLOCK_OFFSET: Duration = Duration::from_secs(24 * 3600);

impl AdvanceClientBuilder {
    sigil_client_core::client_builder_methods!(tokens);
    /// The region whose host and path prefix to use (default Indonesia).
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
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

    /// The largest clock offset the client believes a server's `Date` header about (default
    /// [`DEFAULT_MAX_CLOCK_OFFSET`]); a `Date` further off is ignored.
    pub fn max_clock_offset(mut self, bound: Duration) -> Self {
        self.max_clock_offset = bound;
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
        let engine = self
            .options
            .build(self.region.origin(), Some(Arc::new(AdvanceRetryClassifier)))?;
        if self.access_key.trim().is_empty() {
            return Err(AdvanceError::InvalidRequest(
                sigil_models::ModelError::Empty { field: "accessKey" },
            ));
        }
        let prefix = self.idv_path_prefix;
        Ok(AdvanceClient {
            inner: Arc::new(Inner {
                token_target: engine.target(&format!(
                    "/{}{GENERATE_TOKEN_PATH}",
                    self.region.path_prefix()
                ))?,
                generate_url_target: engine.target(&format!("/{prefix}/generate-url"))?,
                get_result_target: engine.target(&format!("/{prefix}/get-result"))?,
                tokens: engine.token_source(),
                engine,
                signer: AdvanceSigner::new(&self.access_key, &self.secret_key),
                access_key: self.access_key,
                period: self.period,
                clock_offset_ms: AtomicI64::new(0),
                timestamp_retry: self.timestamp_retry,
                max_clock_offset_ms: i64::try_from(self.max_clock_offset.as_millis())
                    .unwrap_or(i64::MAX),
            }),
        })
    }
}

impl AdvanceClient {
    /// Starts a builder with the credential pair.
    pub fn builder(access_key: impl Into<String>, secret_key: SecretKey) -> AdvanceClientBuilder {
        AdvanceClientBuilder {
            access_key: access_key.into(),
            secret_key,
            region: Region::Indonesia,
            idv_path_prefix: IDV_PATH_PREFIX.to_owned(),
            period: None,
            options: ClientOptions::default(),
            timestamp_retry: true,
            max_clock_offset: DEFAULT_MAX_CLOCK_OFFSET,
        }
    }
}
