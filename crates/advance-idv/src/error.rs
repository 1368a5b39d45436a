//! ADVANCE errors: one variant per documented code, with what support needs.

use core::fmt;

use sigil_models::ModelError;
use sigil_models::advance::ResponseCode;

/// What the server said besides the code: its message and the `transactionId` to quote in a
/// support ticket.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VendorFailure {
    /// The server's `message` (informative only; do not branch on it).
    pub message: Option<String>,
    /// The server's `transactionId`.
    pub transaction_id: Option<String>,
}

impl fmt::Display for VendorFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message.as_deref().unwrap_or("(no message)"))?;
        if let Some(id) = &self.transaction_id {
            write!(f, " (transactionId {id})")?;
        }
        Ok(())
    }
}

sigil_client_core::vendor_error! {
    /// Why an ADVANCE call failed.
    #[derive(Clone, PartialEq)]
    pub enum AdvanceError {
        /// `PARAMETER_ERROR`: an empty or wrong parameter, a timestamp outside ±300 s, a wrong
        /// signature or an invalid `returnUrl`.
        #[error("PARAMETER_ERROR: {0}")]
        ParameterError(VendorFailure),
        /// `ACCOUNT_DISABLED`.
        #[error("ACCOUNT_DISABLED: {0}")]
        AccountDisabled(VendorFailure),
        /// `CLIENT_ERROR`: HTTP 400 - Bad Request.
        #[error("CLIENT_ERROR: {0}")]
        ClientError(VendorFailure),
        /// `REGION_WRONG`: the IDV region is not supported.
        #[error("REGION_WRONG: {0}")]
        RegionWrong(VendorFailure),
        /// `SIGNATURE_NOT_EXIST`: unknown `signatureId`.
        #[error("SIGNATURE_NOT_EXIST: {0}")]
        SignatureNotExist(VendorFailure),
        /// `ERROR`: server error.
        #[error("ERROR: {0}")]
        ServerError(VendorFailure),
        /// `EMPTY_PARAMETER_ERROR`.
        #[error("EMPTY_PARAMETER_ERROR: {0}")]
        EmptyParameterError(VendorFailure),
        /// `INSUFFICIENT_BALANCE`.
        #[error("INSUFFICIENT_BALANCE: {0}")]
        InsufficientBalance(VendorFailure),
        /// `SERVICE_BUSY` (still busy after the retries).
        #[error("SERVICE_BUSY: {0}")]
        ServiceBusy(VendorFailure),
        /// `IAM_FAILED`: the access token was refused (even after one refresh).
        #[error("IAM_FAILED: {0}")]
        IamFailed(VendorFailure),
        /// `OVER_QUERY_LIMIT`.
        #[error("OVER_QUERY_LIMIT: {0}")]
        OverQueryLimit(VendorFailure),
        /// `RETRY_LATER` (still after the retries).
        #[error("RETRY_LATER: {0}")]
        RetryLater(VendorFailure),
        /// A code no document names.
        #[error("{code}: {failure}")]
        UnknownCode {
            /// The code as sent.
            code: String,
            /// Message and transaction id.
            failure: VendorFailure,
        },
        /// An HTTP status other than 200 without an ADVANCE envelope.
        #[error("HTTP {status} from ADVANCE{}", if body.is_empty() { String::new() } else { format!(": {body}") })]
        Http {
            /// The status.
            status: u16,
            /// The start of the body (at most 200 characters).
            body: String,
        },
        /// The request breaks a documented constraint (nothing was sent).
        #[error("{0}")]
        InvalidRequest(#[from] ModelError),
    }
}

impl AdvanceError {
    /// Maps a non-success envelope to its variant.
    pub fn from_code(code: ResponseCode, failure: VendorFailure) -> Self {
        match code {
            ResponseCode::ParameterError => Self::ParameterError(failure),
            ResponseCode::AccountDisabled => Self::AccountDisabled(failure),
            ResponseCode::ClientError => Self::ClientError(failure),
            ResponseCode::RegionWrong => Self::RegionWrong(failure),
            ResponseCode::SignatureNotExist => Self::SignatureNotExist(failure),
            ResponseCode::Error => Self::ServerError(failure),
            ResponseCode::EmptyParameterError => Self::EmptyParameterError(failure),
            ResponseCode::InsufficientBalance => Self::InsufficientBalance(failure),
            ResponseCode::ServiceBusy => Self::ServiceBusy(failure),
            ResponseCode::IamFailed => Self::IamFailed(failure),
            ResponseCode::OverQueryLimit => Self::OverQueryLimit(failure),
            ResponseCode::RetryLater => Self::RetryLater(failure),
            other => Self::UnknownCode {
                code: other.as_str().to_owned(),
                failure,
            },
        }
    }

    /// The vendor code, for errors that carry one.
    pub fn code(&self) -> Option<ResponseCode> {
        Some(match self {
            Self::ParameterError(_) => ResponseCode::ParameterError,
            Self::AccountDisabled(_) => ResponseCode::AccountDisabled,
            Self::ClientError(_) => ResponseCode::ClientError,
            Self::RegionWrong(_) => ResponseCode::RegionWrong,
            Self::SignatureNotExist(_) => ResponseCode::SignatureNotExist,
            Self::ServerError(_) => ResponseCode::Error,
            Self::EmptyParameterError(_) => ResponseCode::EmptyParameterError,
            Self::InsufficientBalance(_) => ResponseCode::InsufficientBalance,
            Self::ServiceBusy(_) => ResponseCode::ServiceBusy,
            Self::IamFailed(_) => ResponseCode::IamFailed,
            Self::OverQueryLimit(_) => ResponseCode::OverQueryLimit,
            Self::RetryLater(_) => ResponseCode::RetryLater,
            Self::UnknownCode { code, .. } => ResponseCode::Unknown(code.clone()),
            _ => return None,
        })
    }

    /// The server's message and transaction id, for errors that carry them.
    pub fn vendor_failure(&self) -> Option<&VendorFailure> {
        match self {
            Self::ParameterError(f)
            | Self::AccountDisabled(f)
            | Self::ClientError(f)
            | Self::RegionWrong(f)
            | Self::SignatureNotExist(f)
            | Self::ServerError(f)
            | Self::EmptyParameterError(f)
            | Self::InsufficientBalance(f)
            | Self::ServiceBusy(f)
            | Self::IamFailed(f)
            | Self::OverQueryLimit(f)
            | Self::RetryLater(f)
            | Self::UnknownCode { failure: f, .. } => Some(f),
            _ => None,
        }
    }
}
