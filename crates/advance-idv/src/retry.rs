//! Which ADVANCE answers mean "busy": retried for calls safe to repeat, and (only
//! `SERVICE_BUSY`) for the one that opens a session.

use std::time::SystemTime;

use sigil_models::advance::ResponseCode;
use sigil_transport::{HttpResponse, RetryClassifier, RetryDecision, retry_after};

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
