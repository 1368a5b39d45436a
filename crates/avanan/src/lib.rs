//! Avanan (Check Point HEC) client.
//!
//! * [`AvananClient::auth`]: `GET /v1.0/auth` signed with
//!   `x-av-sig = hex(SHA-256(base64(reqId ‖ appId ‖ date ‖ secret)))`; the body is the JWT.
//! * [`AvananClient::access_token`]: the JWT cached until shortly before it expires (its `exp`
//!   claim, or one hour), refreshed single-flight, and refreshed once more on HTTP 401.
//! * [`AvananClient::request`]: any call, signed over the request string exactly as sent
//!   (percent-encoded path plus `?query`), with a fresh `x-av-req-id` and `x-av-date`.
//! * [`AvananClient::scopes`] and [`AvananClient::events`]: `/v1.0/scopes` and a
//!   [`EventPager`] over `/v1.0/event/query` that pages as the live service does (`pageSize`
//!   honoured, one `scrollId` that may stay the same for a whole walk).
//! * Two ways in ([`AuthMode`]): the signed scheme above ([`AvananClient::builder`]), or
//!   Check Point Infinity Portal keys ([`AvananClient::infinity_builder`]: a bearer token from
//!   `POST /auth/external`, calls under `/app/hec-api/v1.0/…`); the same paths, typed calls
//!   and pager in both.
//! * [`AvananClient::authorize`] signs a caller's own `http::Request` in place; with the
//!   feature `reqwest-middleware`, `AvananAuth` adds Avanan auth to an existing reqwest
//!   client.
//!
//! This crate re-exports what its API takes and returns ([`SecretKey`], [`Region`],
//! [`EventQuery`], [`Timeouts`], [`RetryPolicy`], [`Method`], …): it and `tokio` (features
//! `rt-multi-thread` and `macros` for `#[tokio::main]`) are all a program needs.
//! `cargo run -p sigil-avanan --example events` runs against the built-in emulator.
//!
//! ```
//! use sigil_avanan::{AvananClient, EventQuery, Region, SecretKey};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # // This example runs in the tests against the built-in emulator.
//! # let emulator = sigil_emulator::Emulator::start_local(Default::default()).await?;
//! # let base_url = emulator.base_url();
//! let client = AvananClient::builder("US:myapp29", SecretKey::new(b"my_avanan_secret")?)
//!     .region(Region::Us)
//!     .base_url(&base_url) // the emulator's `http://127.0.0.1:PORT`; omit for the region's host
//!     .build()?;
//! for scope in client.scopes().await? {
//!     println!("{}", scope.as_str());
//! }
//! let mut pages = client.events(EventQuery {
//!     page_size: Some(100),
//!     ..EventQuery::default()
//! });
//! let mut seen = 0;
//! while let Some(page) = pages.next_page().await {
//!     for event in page? {
//!         println!("{} {}", event.event_created().unwrap_or("?"), event.event_id);
//!         seen += 1;
//!     }
//! }
//! assert!(seen > 0);
//! # emulator.shutdown().await?;
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod client;
mod date;
mod error;
mod infinity;
#[cfg(feature = "reqwest-middleware")]
mod middleware;
mod pager;
mod signing;
mod token;

pub use builder::{AuthMode, AvananClientBuilder};
pub use client::AvananClient;
pub use date::DateFormat;
pub use error::{AvananError, PagingError};
#[cfg(feature = "reqwest-middleware")]
pub use middleware::AvananAuth;
pub use pager::{
    DEFAULT_MAX_BYTES, DEFAULT_MAX_PAGES, DEFAULT_MAX_RECORDS, DEFAULT_PAGE_SIZE, EventPager,
};
pub use signing::encode_path_segment;
pub use token::{AuthToken, MAX_TOKEN_LEN};

// What the public API takes and returns, so that this crate (plus `tokio`) is enough.
pub use bytes::Bytes;
/// The `http` crate, whose `Request` the sign-in-place entry points take.
pub use http;
pub use http::Method;
/// The reqwest version the middleware adapter is built for (feature `reqwest-middleware`).
#[cfg(feature = "reqwest-middleware")]
pub use reqwest;
/// The reqwest-middleware version the adapter implements (feature `reqwest-middleware`).
#[cfg(feature = "reqwest-middleware")]
pub use reqwest_middleware;
/// JSON values, as the JSON helpers take and return them.
pub use serde_json;
pub use sigil_client_core::{Clock, IdSource, SystemClock};
#[cfg(feature = "test-util")]
pub use sigil_client_core::{ManualClock, SequentialIds};
pub use sigil_client_core::{RefreshPolicy, TokenLoadError};
/// The request and response types of every vendor.
pub use sigil_models as models;
pub use sigil_models::AccessToken;
pub use sigil_models::avanan::{Event, EventQuery, Region, Response, ResponseEnvelope, Scope};
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
