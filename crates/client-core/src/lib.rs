//! What the sigil vendor clients share:
//!
//! * [`Clock`]: where "now" comes from ([`SystemClock`], or [`ManualClock`] in tests);
//! * [`IdSource`]: where request ids come from ([`RandomIds`], UUID v4, or [`SequentialIds`]);
//! * [`TokenCache`]: an access token cached until shortly before it expires, refreshed
//!   single-flight by a detached task with a load timeout, so that no caller's cancellation
//!   stalls it.

mod clock;
mod ids;
mod token_cache;

#[cfg(feature = "test-util")]
pub use clock::ManualClock;
pub use clock::{Clock, OffsetClock, SystemClock, unix_millis};
#[cfg(feature = "test-util")]
pub use ids::SequentialIds;
pub use ids::{IdSource, RandomIds};
pub use token_cache::{FetchedToken, RefreshPolicy, TokenCache, TokenLoadError};
