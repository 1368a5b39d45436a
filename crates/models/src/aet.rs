//! AET: the request headers and the error body. The documents define no request or response
//! bodies, so those stay generic JSON (`serde_json::Value`) in the client.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::redacted::{AccessToken, Signature};

/// Header names.
pub mod headers {
    /// Milliseconds since the epoch, the signed value.
    pub const TIMESTAMP: &str = "timestamp";
    /// `Bearer <API token>`.
    pub const AUTHORIZATION: &str = "authorization";
    /// Always `application/json`.
    pub const ACCEPT: &str = "accept";
    /// `application/json` (or `multipart/form-data; boundary=…` for uploads).
    pub const CONTENT_TYPE: &str = "content-type";
    /// The base64 HMAC.
    pub const SIGNATURE: &str = "signature";
}

/// The two documented environments; base URLs are configurable (the document leaves them
/// blank; these are the publicly seen ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    /// `https://sandbox.aet.dev`.
    Sandbox,
    /// `https://api.aet.dev`.
    Live,
}

impl Environment {
    /// The base URL.
    pub const fn base_url(self) -> &'static str {
        match self {
            Environment::Sandbox => "https://sandbox.aet.dev",
            Environment::Live => "https://api.aet.dev",
        }
    }
}

/// The authentication headers of one request.
#[derive(Clone, PartialEq, Eq)]
pub struct AetHeaders {
    /// `timestamp`.
    pub timestamp: u64,
    /// The API token (sent as `Bearer …`).
    pub token: AccessToken,
    /// `signature`.
    pub signature: Signature,
    /// `content-type`.
    pub content_type: String,
}

impl AetHeaders {
    /// `(name, value)` pairs in the order the document lists them.
    pub fn pairs(&self) -> [(&'static str, String); 5] {
        [
            (headers::TIMESTAMP, self.timestamp.to_string()),
            (
                headers::AUTHORIZATION,
                format!("Bearer {}", self.token.expose()),
            ),
            (headers::ACCEPT, "application/json".to_owned()),
            (headers::CONTENT_TYPE, self.content_type.clone()),
            (headers::SIGNATURE, self.signature.expose().to_owned()),
        ]
    }
}

impl fmt::Debug for AetHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AetHeaders")
            .field("timestamp", &self.timestamp)
            .field("token", &self.token)
            .field("signature", &self.signature)
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// An error body. AET documents none; this takes the common `{"error": …, "message": …}`
/// shape (what the emulator sends: `error` a machine-readable reason, `message` text) and
/// keeps every other field.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-readable reason, e.g. `invalid_signature`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Human-readable text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Any other fields, verbatim.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}
