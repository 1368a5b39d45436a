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
//! * [`AdvanceClient::authorize`] adds the access token to a caller's own `http::Request`.
//!
//! This crate re-exports what its API takes and returns ([`SecretKey`], [`Region`],
//! [`GenerateUrlRequest`], [`CountryCode`], [`Timeouts`], [`RetryPolicy`], …): it and `tokio`
//! (features `rt-multi-thread` and `macros` for `#[tokio::main]`) are all a program needs.
//! `cargo run -p sigil-advance-idv --example idv` runs against the built-in emulator.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod client;
mod error;
mod retry;
mod token;

pub use builder::{AdvanceClientBuilder, DEFAULT_MAX_CLOCK_OFFSET};
pub use client::AdvanceClient;
pub use error::{AdvanceError, VendorFailure};
pub use retry::AdvanceRetryClassifier;
pub use token::MAX_TOKEN_LEN;

// What the public API takes and returns, so that this crate (plus `tokio`) is enough.
pub use bytes::Bytes;
/// The `http` crate, whose `Request` the sign-in-place entry points take.
pub use http;
pub use http::Method;
/// JSON values, as the JSON helpers take and return them.
pub use serde_json;
pub use sigil_client_core::{Clock, IdSource, SystemClock};
#[cfg(feature = "test-util")]
pub use sigil_client_core::{ManualClock, SequentialIds};
pub use sigil_client_core::{RefreshPolicy, TokenLoadError};
/// The request and response types of every vendor.
pub use sigil_models as models;
pub use sigil_models::AccessToken;
pub use sigil_models::advance::{PeriodSeconds, Region, ResponseCode, TokenData};
pub use sigil_models::idv::{
    CountryCode, GenerateUrlData, GenerateUrlRequest, IDV_PATH_PREFIX, IDV_PATH_PREFIX_EKYC,
    IdvCode, IdvResultData,
};
pub use sigil_signing::{SecretKey, SecretKeyError};
/// The transport: `HttpSend`, the reqwest transport, retries, the scripted transport.
pub use sigil_transport as transport;
pub use sigil_transport::{
    HttpSend, RetryPolicy, RetrySafe, TargetError, Timeouts, TransportError,
};

/// The crate's README, whose examples compile (and, where they need no network, run) as doc
/// tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
