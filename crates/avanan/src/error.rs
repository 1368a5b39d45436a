//! Avanan errors.

use sigil_models::avanan::ResponseEnvelope;

sigil_client_core::vendor_error! {
    /// Why an Avanan call failed.
    #[derive(Clone, PartialEq)]
    pub enum AvananError {
        /// HTTP 401/403 (after one token refresh): the signature, app id or token was refused.
        #[error("HTTP {status} from Avanan: {}", text.as_deref().unwrap_or("not authorised"))]
        Unauthorized {
            /// The status.
            status: u16,
            /// The envelope's `responseText`, or the start of the body.
            text: Option<String>,
        },
        /// Any other non-2xx answer.
        #[error("HTTP {status} from Avanan{}", envelope.as_ref().and_then(|e| e.response_text.clone()).map(|t| format!(": {t}")).unwrap_or_default())]
        Api {
            /// The status.
            status: u16,
            /// The response envelope, when the body had one.
            envelope: Option<Box<ResponseEnvelope>>,
            /// The start of the body (at most 200 characters).
            raw: String,
        },
        /// The event pager stopped before the walk was over: a page repeated the one before
        /// it, or a page, record or byte limit was reached.
        #[error("paging stopped: {0}")]
        Paging(#[from] PagingError),
        /// The request cannot be built (nothing was sent).
        #[error("invalid request: {0}")]
        InvalidRequest(String),
    }
}

/// Why an event walk stopped before the server said it was over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PagingError {
    /// The walk needed more pages than the limit ([`EventPager::max_pages`](crate::EventPager::max_pages)).
    #[error("more than {limit} pages")]
    PageLimit {
        /// The page limit.
        limit: usize,
    },
    /// A page held exactly the records of the page before it: the server is not moving on.
    #[error("page {page} repeats the records of the page before it")]
    RepeatedPage {
        /// The 1-based number of the repeated page.
        page: usize,
    },
    /// [`EventPager::collect_all`](crate::EventPager::collect_all) would hold more records than its limit
    /// ([`EventPager::max_records`](crate::EventPager::max_records)); walk page by page with `next_page` instead.
    #[error("more than {limit} records; walk page by page with next_page instead")]
    RecordLimit {
        /// The record limit.
        limit: usize,
    },
    /// [`EventPager::collect_all`](crate::EventPager::collect_all) read more response bytes than its limit
    /// ([`EventPager::max_bytes`](crate::EventPager::max_bytes)); walk page by page with `next_page` instead.
    #[error("more than {limit} bytes of answers; walk page by page with next_page instead")]
    ByteLimit {
        /// The byte limit.
        limit: usize,
    },
    /// The query asks for pages of zero records.
    #[error("pageSize must be at least 1")]
    ZeroPageSize,
}
