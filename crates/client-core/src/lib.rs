//! What the sigil vendor clients share:
//!
//! * [`engine`]: the client engine the three vendor clients run on ([`ClientOptions`] every
//!   builder holds, [`Engine`], the authenticated call of [`TokenSource`], [`ClientError`]);
//! * [`Clock`]: where "now" comes from ([`SystemClock`], [`OffsetClock`], or `ManualClock` in
//!   tests, feature `test-util`);
//! * [`IdSource`]: where request ids come from ([`RandomIds`], UUID v4, or `SequentialIds` in
//!   tests);
//! * [`TokenCache`]: an access token cached until shortly before it expires, refreshed
//!   single-flight by a detached task with a load timeout, so that no caller's cancellation
//!   stalls it.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod engine;
mod ids;
mod token_cache;

pub use engine::{
    Answer, ClientError, ClientOptions, Engine, TokenLoad, TokenSource, detached_loader,
};
#[cfg(feature = "test-util")]
pub use ids::SequentialIds;
pub use ids::{IdSource, RandomIds};
#[cfg(feature = "test-util")]
pub use sigil_transport::ManualClock;
pub use sigil_transport::{Clock, OffsetClock, SystemClock, unix_millis};
pub use token_cache::{FetchedToken, RefreshPolicy, TokenCache, TokenLoadError};

/// The crate's README, whose examples compile (and, where they need no network, run) as doc
/// tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
