//! Injectable request ids.

use std::sync::Arc;
#[cfg(feature = "test-util")]
use std::sync::atomic::{AtomicU64, Ordering};

/// Where request ids (Avanan `x-av-req-id`) come from.
pub trait IdSource: Send + Sync {
    /// A fresh id.
    fn next_id(&self) -> String;
}

/// Random UUID v4 ids, drawn from a thread-local cryptographic generator seeded from the
/// operating system (`uuid`'s `fast-rng`, i.e. `rand`'s `ThreadRng`): far cheaper than asking
/// the system for 16 random bytes each time (see `docs/PERFORMANCE.md`).
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn next_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

/// (Feature `test-util`.) Deterministic UUID-shaped ids `00000000-0000-4000-8000-000000000001`, `…2`, … for tests.
#[cfg(feature = "test-util")]
#[derive(Debug, Clone, Default)]
pub struct SequentialIds(Arc<AtomicU64>);

#[cfg(feature = "test-util")]
impl IdSource for SequentialIds {
    fn next_id(&self) -> String {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        format!("00000000-0000-4000-8000-{n:012x}")
    }
}

impl<I: IdSource + ?Sized> IdSource for Arc<I> {
    fn next_id(&self) -> String {
        (**self).next_id()
    }
}
