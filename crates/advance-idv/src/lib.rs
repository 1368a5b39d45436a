//! ADVANCE.AI client: token authentication and H5 ID verification.
//!
//! * [`AdvanceClient::generate_token`] signs `accessKey ‖ secretKey ‖ timestamp` and calls
//!   `generate-token` for the configured region (or a custom base URL).
//! * [`AdvanceClient::access_token`] caches the token until shortly before `expiredTime`,
//!   refreshing single-flight; every call sends it as `X-ACCESS-TOKEN`, and an `IAM_FAILED`
//!   answer refreshes it once and retries.
//! * [`AdvanceClient::generate_url`] and [`AdvanceClient::get_result`]: the H5 IDV flow.
//! * Errors are [`AdvanceError`]: one variant per documented code, keeping the server's
//!   message and `transactionId`.
//! * `SERVICE_BUSY`/`RETRY_LATER` and transport failures are retried with backoff
//!   ([`AdvanceRetryClassifier`]); a `Timestamp error` makes the client learn its clock
//!   offset from the `Date` header and retry once.

mod client;
mod error;

pub use client::{
    AdvanceClient, AdvanceClientBuilder, AdvanceRetryClassifier, DEFAULT_MAX_CLOCK_OFFSET,
    MAX_TOKEN_LEN,
};
pub use error::{AdvanceError, VendorFailure};
