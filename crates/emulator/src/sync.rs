//! Locking that survives a panicked holder: the emulator's state stays usable.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `m`, taking over a lock whose holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
