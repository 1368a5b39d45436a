//! ADVANCE.AI: the common response envelope and token authentication (`generate-token`).
//!
//! Every ADVANCE response is HTTP 200 with the envelope
//! `{"code", "message", "data", "extra", "transactionId", "pricingStrategy"}`; branch on
//! [`ResponseCode`], never on the message.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, non_empty};
use crate::open_enum::open_enum;
use crate::redacted::{AccessToken, Signature};
use crate::timestamp::{TimestampMs, number_or_string_opt};

open_enum! {
    /// The `code` of an ADVANCE response: the token document's, the H5 IDV document's and
    /// the general glossary's.
    pub enum ResponseCode {
        /// `SUCCESS`.
        Success => "SUCCESS",
        /// `PARAMETER_ERROR`: empty parameter, timestamp error, signature error, invalid URL, …
        ParameterError => "PARAMETER_ERROR",
        /// `ACCOUNT_DISABLED`.
        AccountDisabled => "ACCOUNT_DISABLED",
        /// `CLIENT_ERROR`: HTTP 400 - Bad Request.
        ClientError => "CLIENT_ERROR",
        /// `REGION_WRONG` (H5 IDV `generate-url`).
        RegionWrong => "REGION_WRONG",
        /// `SIGNATURE_NOT_EXIST` (H5 IDV `get-result`: unknown `signatureId`).
        SignatureNotExist => "SIGNATURE_NOT_EXIST",
        /// `ERROR`: server error.
        Error => "ERROR",
        /// `EMPTY_PARAMETER_ERROR` (glossary).
        EmptyParameterError => "EMPTY_PARAMETER_ERROR",
        /// `INSUFFICIENT_BALANCE` (glossary).
        InsufficientBalance => "INSUFFICIENT_BALANCE",
        /// `SERVICE_BUSY` (glossary; may come with `Retry-After` or HTTP 429).
        ServiceBusy => "SERVICE_BUSY",
        /// `IAM_FAILED` (glossary; e.g. an expired or unknown access token).
        IamFailed => "IAM_FAILED",
        /// `OVER_QUERY_LIMIT` (glossary).
        OverQueryLimit => "OVER_QUERY_LIMIT",
        /// `RETRY_LATER` (glossary).
        RetryLater => "RETRY_LATER",
    }
}

open_enum! {
    /// Whether a request is charged.
    pub enum PricingStrategy {
        /// Not charged.
        Free => "FREE",
        /// Charged.
        Pay => "PAY",
    }
}

/// The message texts the documents give for `PARAMETER_ERROR` and the other codes; servers
/// (and the emulator) send them, clients must not branch on them.
pub mod messages {
    /// `SUCCESS`.
    pub const OK: &str = "OK";
    /// `PARAMETER_ERROR`: a required parameter is missing or empty.
    pub const EMPTY_PARAMETER: &str = "Parameter should not be empty";
    /// `PARAMETER_ERROR`: timestamp outside ±300 s.
    pub const TIMESTAMP_ERROR: &str = "Timestamp error";
    /// `PARAMETER_ERROR`: the signature does not match.
    pub const SIGNATURE_ERROR: &str = "Signature error";
    /// `PARAMETER_ERROR`: a parameter has a wrong value.
    pub const PARAMETER_ERROR: &str = "Parameter error,please check you input.";
    /// `PARAMETER_ERROR`: `returnUrl`/`failReturnUrl` invalid.
    pub const INVALID_RETURN_URL: &str = "Invalid returnUrl,please check your returnUrl";
    /// `REGION_WRONG`.
    pub const REGION_WRONG: &str = "Region is wrong";
    /// `ACCOUNT_DISABLED`.
    pub const ACCOUNT_DISABLED: &str = "Account Disabled";
    /// `CLIENT_ERROR`.
    pub const CLIENT_ERROR: &str = "HTTP 400 - Bad Request";
    /// `SIGNATURE_NOT_EXIST`.
    pub const SIGNATURE_NOT_EXIST: &str = "This signatureId is not exist";
    /// `ERROR`.
    pub const SERVER_ERROR: &str = "Server error";
    /// `IAM_FAILED`.
    pub const IAM_FAILED: &str = "IAM failed: access token is invalid or expired";
}

/// The envelope of every ADVANCE response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    /// What happened; branch on this.
    pub code: ResponseCode,
    /// Human-readable text; do not branch on it.
    #[serde(default)]
    pub message: Option<String>,
    /// The payload (`null` unless `SUCCESS`).
    #[serde(default = "none")]
    pub data: Option<T>,
    /// Extra information such as an exception message.
    #[serde(default)]
    pub extra: Option<serde_json::Value>,
    /// The request id (at most 64 characters); quote it in support tickets.
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// Whether the request is charged.
    #[serde(default)]
    pub pricing_strategy: Option<PricingStrategy>,
}

fn none<T>() -> Option<T> {
    None
}

impl<T> Envelope<T> {
    /// Whether `code` is `SUCCESS`.
    pub fn is_success(&self) -> bool {
        self.code == ResponseCode::Success
    }
}

/// `periodSecond`: how long a token is valid, 60..=86400 seconds (default 3600).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeriodSeconds(u32);

impl PeriodSeconds {
    /// The shortest period, 60 s.
    pub const MIN: u32 = 60;
    /// The longest period, 86 400 s.
    pub const MAX: u32 = 86_400;
    /// The default when `periodSecond` is omitted or `null`: 3600 s.
    pub const DEFAULT: PeriodSeconds = PeriodSeconds(3600);

    /// Checks the documented range.
    ///
    /// ```
    /// use sigil_models::advance::PeriodSeconds;
    /// assert!(PeriodSeconds::new(120).is_ok());
    /// assert!(PeriodSeconds::new(59).is_err());
    /// assert!(PeriodSeconds::new(86_401).is_err());
    /// ```
    pub fn new(seconds: u64) -> Result<Self, ModelError> {
        match u32::try_from(seconds) {
            Ok(s) if (Self::MIN..=Self::MAX).contains(&s) => Ok(Self(s)),
            _ => Err(ModelError::PeriodOutOfRange(seconds)),
        }
    }

    /// The number of seconds.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl Default for PeriodSeconds {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The body of `POST …/openapi/auth/ticket/v1/generate-token`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateTokenRequest {
    /// The accessKey.
    pub access_key: String,
    /// `hex(SHA-256(accessKey ‖ secretKey ‖ timestamp))`.
    pub signature: Signature,
    /// The signed 13-digit millisecond timestamp (sent as a JSON number).
    pub timestamp: TimestampMs,
    /// Token validity in seconds; omitted means 3600. Servers must also accept `null` and a
    /// string of digits.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "number_or_string_opt"
    )]
    pub period_second: Option<u32>,
}

impl GenerateTokenRequest {
    /// Builds a request, checking what the document constrains: a non-empty access key, a
    /// 64-hex-character signature and a 13-digit timestamp.
    pub fn new(
        access_key: impl Into<String>,
        signature: impl Into<String>,
        timestamp_ms: u64,
        period: Option<PeriodSeconds>,
    ) -> Result<Self, ModelError> {
        let access_key = access_key.into();
        non_empty("accessKey", &access_key)?;
        let signature = signature.into();
        non_empty("signature", &signature)?;
        if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ModelError::SignatureFormat);
        }
        if !(1_000_000_000_000..=9_999_999_999_999).contains(&timestamp_ms) {
            return Err(ModelError::TimestampNot13Digits(timestamp_ms));
        }
        Ok(Self {
            access_key,
            signature: Signature::new(signature),
            timestamp: TimestampMs(timestamp_ms),
            period_second: period.map(PeriodSeconds::get),
        })
    }

    /// The validity period the server applies (`None` means the default 3600 s), checked
    /// against the documented range.
    pub fn period(&self) -> Result<PeriodSeconds, ModelError> {
        self.period_second.map_or(Ok(PeriodSeconds::DEFAULT), |s| {
            PeriodSeconds::new(u64::from(s))
        })
    }
}

impl fmt::Debug for GenerateTokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenerateTokenRequest")
            .field("access_key", &self.access_key)
            .field("signature", &self.signature)
            .field("timestamp", &self.timestamp)
            .field("period_second", &self.period_second)
            .finish()
    }
}

/// `data` of a successful `generate-token` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenData {
    /// The access token, sent as `X-ACCESS-TOKEN`.
    pub token: AccessToken,
    /// When it expires, in epoch milliseconds.
    pub expired_time: TimestampMs,
}

/// The `generate-token` response.
pub type GenerateTokenResponse = Envelope<TokenData>;

/// The header that carries the access token on every ADVANCE call.
pub const ACCESS_TOKEN_HEADER: &str = "X-ACCESS-TOKEN";

/// The `generate-token` path (after the region's host and prefix).
pub const GENERATE_TOKEN_PATH: &str = "openapi/auth/ticket/v1/generate-token";

/// The token hosts of the document, one per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Region {
    /// Indonesia: `https://api.advance.ai/openapi/…`.
    Indonesia,
    /// India: `https://in-api.advance.ai/in/openapi/…`.
    India,
    /// Malaysia: `https://my-api.advance.ai/my/openapi/…`.
    Malaysia,
    /// Philippines: `https://ph-api.advance.ai/ph/openapi/…`.
    Philippines,
    /// Singapore: `https://sg-api.advance.ai/intl/openapi/…`.
    Singapore,
    /// Thailand: `https://th-api.advance.ai/th/openapi/…`.
    Thailand,
    /// Vietnam: `https://vn-api.advance.ai/vn/openapi/…`.
    Vietnam,
    /// Mexico: `https://mex-api.advance.ai/mex/openapi/…`.
    Mexico,
}

impl Region {
    /// All eight regions.
    pub const ALL: [Region; 8] = [
        Region::Indonesia,
        Region::India,
        Region::Malaysia,
        Region::Philippines,
        Region::Singapore,
        Region::Thailand,
        Region::Vietnam,
        Region::Mexico,
    ];

    /// The short id used on the command line (`ID`, `IN`, `MY`, `PH`, `SG`, `TH`, `VN`, `MX`).
    pub const fn id(self) -> &'static str {
        match self {
            Region::Indonesia => "ID",
            Region::India => "IN",
            Region::Malaysia => "MY",
            Region::Philippines => "PH",
            Region::Singapore => "SG",
            Region::Thailand => "TH",
            Region::Vietnam => "VN",
            Region::Mexico => "MX",
        }
    }

    /// Looks a region up by its short id (case-insensitive).
    pub fn from_id(id: &str) -> Option<Region> {
        Region::ALL
            .into_iter()
            .find(|r| r.id().eq_ignore_ascii_case(id))
    }

    /// The origin, e.g. `https://in-api.advance.ai`.
    pub const fn origin(self) -> &'static str {
        match self {
            Region::Indonesia => "https://api.advance.ai",
            Region::India => "https://in-api.advance.ai",
            Region::Malaysia => "https://my-api.advance.ai",
            Region::Philippines => "https://ph-api.advance.ai",
            Region::Singapore => "https://sg-api.advance.ai",
            Region::Thailand => "https://th-api.advance.ai",
            Region::Vietnam => "https://vn-api.advance.ai",
            Region::Mexico => "https://mex-api.advance.ai",
        }
    }

    /// The path prefix before `openapi/…`: empty for Indonesia, `in/` for India, …
    pub const fn path_prefix(self) -> &'static str {
        match self {
            Region::Indonesia => "",
            Region::India => "in/",
            Region::Malaysia => "my/",
            Region::Philippines => "ph/",
            Region::Singapore => "intl/",
            Region::Thailand => "th/",
            Region::Vietnam => "vn/",
            Region::Mexico => "mex/",
        }
    }

    /// The full `generate-token` URL of the document.
    ///
    /// ```
    /// use sigil_models::advance::Region;
    /// assert_eq!(
    ///     Region::India.generate_token_url(),
    ///     "https://in-api.advance.ai/in/openapi/auth/ticket/v1/generate-token"
    /// );
    /// ```
    pub fn generate_token_url(self) -> String {
        format!(
            "{}/{}{}",
            self.origin(),
            self.path_prefix(),
            GENERATE_TOKEN_PATH
        )
    }
}
