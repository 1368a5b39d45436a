//! What every vendor's routes share: which vendor a path belongs to, and an error body in
//! that vendor's own shape.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::state::State;

/// Which vendor a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Vendor {
    Advance,
    Aet,
    Avanan,
}

impl Vendor {
    /// The vendor of an API path; `None` for the emulator's own pages and control routes.
    pub(crate) fn of(path: &str) -> Option<Vendor> {
        if path.starts_with("/v1.0/")
            || path.starts_with(crate::avanan::infinity::PREFIX)
            || path == crate::avanan::infinity::AUTH_PATH
        {
            Some(Vendor::Avanan)
        } else if ["/v2/", "/v3/", "/v4/"].iter().any(|p| path.starts_with(p)) {
            Some(Vendor::Aet)
        } else if path.contains("/openapi/") || path.starts_with("/advance_api/") {
            Some(Vendor::Advance)
        } else {
            None
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Vendor::Advance => "advance",
            Vendor::Aet => "aet",
            Vendor::Avanan => "avanan",
        }
    }
}

/// An error body in the vendor's own shape. ADVANCE: the envelope (`ERROR` for a server
/// error, `SERVICE_BUSY` for throttling, `CLIENT_ERROR` otherwise); AET: `{"error",
/// "message"}`; Avanan: the response envelope with the status as `responseCode`.
pub(crate) fn error_body(vendor: Vendor, status: StatusCode, text: &str, state: &State) -> Value {
    match vendor {
        Vendor::Advance => json!({
            "code": match status {
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => "SERVICE_BUSY",
                s if s.is_server_error() => "ERROR",
                _ => "CLIENT_ERROR",
            },
            "message": text,
            "data": null,
            "extra": null,
            "transactionId": state.hex_id(),
            "pricingStrategy": "FREE",
        }),
        Vendor::Aet => json!({
            "error": status.canonical_reason().unwrap_or("error").to_lowercase().replace(' ', "_"),
            "message": text,
        }),
        Vendor::Avanan => json!({
            "responseEnvelope": {
                "requestId": "", "responseCode": status.as_u16(), "responseText": text,
                "additionalText": "", "recordsNumber": 0, "scrollId": "",
            },
            "responseData": [],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendors_by_path() {
        assert_eq!(
            Vendor::of("/openapi/auth/ticket/v1/generate-token"),
            Some(Vendor::Advance)
        );
        assert_eq!(Vendor::of("/v3/users"), Some(Vendor::Aet));
        assert_eq!(Vendor::of("/v1.0/scopes"), Some(Vendor::Avanan));
        assert_eq!(Vendor::of("/app/hec-api/v1.0/scopes"), Some(Vendor::Avanan));
        assert_eq!(Vendor::of("/auth/external"), Some(Vendor::Avanan));
        assert_eq!(Vendor::of("/_emulator/metrics"), None);
        assert_eq!(Vendor::of("/h5-idv/"), None);
    }
}
