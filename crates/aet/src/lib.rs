//! AET client: every request signed with
//! `base64(HMAC-SHA256(secret, timestamp ‖ METHOD ‖ requestPath ‖ body))`.
//!
//! * [`AetClient::signed_request`]: a signed `http::Request` for any method and path, to send
//!   with any transport;
//! * [`AetClient::get`], [`post`](AetClient::post), [`put`](AetClient::put),
//!   [`delete`](AetClient::delete): JSON in, typed JSON out;
//! * [`AetClient::upload`]: a multipart upload, signed with the empty body as the document
//!   requires;
//! * [`AetRequestSigner`]: signs a caller's own `http::Request` in place, and (feature
//!   `reqwest-middleware`) adds AET auth to an existing reqwest client in one line;
//! * errors ([`AetError`]) carry the HTTP status and a short excerpt of the body.
//!
//! This crate re-exports what its API takes and returns ([`SecretKey`], [`Environment`],
//! [`QueryPolicy`], [`Timeouts`], [`RetryPolicy`], [`Method`], …): it and `tokio` (features
//! `rt-multi-thread` and `macros` for `#[tokio::main]`) are all a program needs.
//! `cargo run -p sigil-aet --example users` runs against the built-in emulator.
//!
//! ```
//! use sigil_aet::serde_json::{Value, json};
//! use sigil_aet::{AetClient, Environment, SecretKey};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # // This example runs in the tests against the built-in emulator.
//! # let emulator = sigil_emulator::Emulator::start_local(Default::default()).await?;
//! # let base_url = emulator.base_url();
//! let client = AetClient::builder("aet-sample-token", SecretKey::new(b"aet-sample-secret")?)
//!     .environment(Environment::Sandbox)
//!     .base_url(&base_url) // the emulator's `http://127.0.0.1:PORT`; omit for AET's own Sandbox
//!     .build()?;
//! let created: Value = client
//!     .post("/v3/users", &json!({"firstName": "Ada", "lastName": "Lovelace"}))
//!     .await?;
//! let id = created["id"].as_str().ok_or("the answer has no id")?;
//! let user: Value = client.get(&format!("/v3/users/{id}")).await?;
//! assert_eq!(user["firstName"], "Ada");
//! # emulator.shutdown().await?;
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod client;
mod error;
#[cfg(feature = "reqwest-middleware")]
mod middleware;
mod multipart;
mod sign;

pub use builder::AetClientBuilder;
pub use client::AetClient;
pub use error::{AetError, MultipartError};
pub use multipart::Multipart;
pub use sign::AetRequestSigner;

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
/// The request and response types of every vendor.
pub use sigil_models as models;
pub use sigil_models::aet::{Environment, ErrorBody};
pub use sigil_signing::aet::QueryPolicy;
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
