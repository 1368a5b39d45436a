//! Injectable wall clocks.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
#[cfg(any(test, feature = "test-util"))]
use std::{
    fmt,
    sync::{Mutex, PoisonError},
    time::Duration,
};

/// Where "now" comes from. Clients never read the system clock directly.
pub trait Clock: Send + Sync {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock a fixed offset away from another: a machine whose clock is off, for trying what a
/// server or a client does about it.
///
/// ```
/// use std::time::Duration;
/// use sigil_transport::{Clock, OffsetClock, SystemClock};
/// let slow = OffsetClock::new(SystemClock, -600_000); // ten minutes behind
/// assert!(slow.now() + Duration::from_secs(590) < SystemClock.now());
/// ```
#[derive(Clone)]
pub struct OffsetClock {
    inner: Arc<dyn Clock>,
    offset_ms: i64,
}

impl OffsetClock {
    /// `inner` moved by `offset_ms` milliseconds (negative: behind).
    pub fn new(inner: impl Clock + 'static, offset_ms: i64) -> Self {
        Self::shared(Arc::new(inner), offset_ms)
    }

    /// Like [`new`](Self::new), for a clock already behind an `Arc`.
    pub fn shared(inner: Arc<dyn Clock>, offset_ms: i64) -> Self {
        Self { inner, offset_ms }
    }
}

impl std::fmt::Debug for OffsetClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OffsetClock")
            .field("offset_ms", &self.offset_ms)
            .finish_non_exhaustive()
    }
}

impl Clock for OffsetClock {
    /// The inner clock's time moved by the offset (unmoved if that leaves `SystemTime`'s
    /// range).
    fn now(&self) -> SystemTime {
        let now = self.inner.now();
        let by = std::time::Duration::from_millis(self.offset_ms.unsigned_abs());
        let moved = if self.offset_ms >= 0 {
            now.checked_add(by)
        } else {
            now.checked_sub(by)
        };
        moved.unwrap_or(now)
    }
}

/// A clock that only moves when told to; clones share the same time (feature `test-util`).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use sigil_transport::{Clock, ManualClock};
/// let clock = ManualClock::at_millis(1_700_000_000_000);
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_millis(1_700_000_005_000));
/// ```
#[cfg(any(test, feature = "test-util"))]
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<SystemTime>>);

#[cfg(any(test, feature = "test-util"))]
impl ManualClock {
    /// A clock stopped at `time`.
    pub fn new(time: SystemTime) -> Self {
        Self(Arc::new(Mutex::new(time)))
    }

    /// A clock stopped at `millis` after the Unix epoch.
    pub fn at_millis(millis: u64) -> Self {
        Self::new(UNIX_EPOCH + Duration::from_millis(millis))
    }

    /// Moves the clock forward (it stays put rather than overflow).
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *t = t.checked_add(by).unwrap_or(*t);
    }

    /// Sets the clock.
    pub fn set(&self, time: SystemTime) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = time;
    }
}

#[cfg(any(test, feature = "test-util"))]
impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(any(test, feature = "test-util"))]
impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ManualClock({:?})", self.now())
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

/// Milliseconds since the Unix epoch (0 before it, saturating far after it).
pub fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
