//! AET errors.

use sigil_models::aet::ErrorBody;

sigil_client_core::vendor_error! {
    /// Why an AET call failed.
    #[derive(Clone, PartialEq)]
    pub enum AetError {
        /// A non-2xx answer; `body` is parsed when it has the common error shape.
        #[error("HTTP {status} from AET{}", describe(.body))]
        Api {
            /// The HTTP status.
            status: u16,
            /// The error body, if it was JSON.
            body: Option<ErrorBody>,
            /// The start of the body (at most 200 characters).
            raw: String,
        },
        /// The request cannot be built (nothing was sent).
        #[error("invalid request: {0}")]
        InvalidRequest(String),
        /// A multipart form cannot be encoded (nothing was sent).
        #[error("{0}")]
        Multipart(#[from] MultipartError),
    }
}

fn describe(body: &Option<ErrorBody>) -> String {
    match body {
        Some(ErrorBody {
            error: Some(e),
            message: Some(m),
            ..
        }) => format!(": {e}: {m}"),
        Some(ErrorBody { error: Some(e), .. }) => format!(": {e}"),
        Some(ErrorBody {
            message: Some(m), ..
        }) => format!(": {m}"),
        _ => String::new(),
    }
}

impl AetError {
    /// The HTTP status of an [`AetError::Api`].
    pub fn status(&self) -> Option<u16> {
        match self {
            AetError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Why a multipart form cannot be encoded. Nothing was sent; the values themselves (file
/// names can be personal data) are never quoted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MultipartError {
    /// A field name, file name or content type holds a character that would end or break
    /// out of its header (CR, LF or another control character; `"` in a name or file name).
    #[error("a multipart {field} holds a quote, a line break or a control character")]
    UnsafeHeaderText {
        /// Which: `name`, `filename` or `content type`.
        field: &'static str,
    },
    /// The boundary is empty or longer than 70 characters.
    #[error("a multipart boundary has 1 to 70 characters")]
    Boundary,
    /// A part contains the boundary.
    #[error("a part contains the multipart boundary")]
    BoundaryInPart,
}
