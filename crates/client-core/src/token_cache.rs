//! A single-flight access-token cache.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

/// A token and when it expires.
#[derive(Clone)]
pub struct CachedToken<T> {
    /// The token.
    pub token: T,
    /// When the vendor stops accepting it.
    pub expires_at: SystemTime,
}

/// When a cached token is refreshed: `buffer` (capped at a quarter of the token's lifetime)
/// plus a random part of up to `jitter` of that before it expires, so that many processes
/// sharing one credential do not all refresh at the same instant.
#[derive(Clone)]
pub struct RefreshPolicy {
    /// How long before expiry to refresh.
    pub buffer: Duration,
    /// Up to this fraction (0..=1) of the buffer is added at random, per token.
    pub jitter: f64,
    random: Arc<dyn Fn() -> f64 + Send + Sync>,
}

impl RefreshPolicy {
    /// `buffer` before expiry, plus up to `jitter` × buffer at random.
    pub fn new(buffer: Duration, jitter: f64) -> Self {
        Self {
            buffer,
            jitter: jitter.clamp(0.0, 1.0),
            random: Arc::new(fastrand::f64),
        }
    }

    /// Replaces the randomness (a function returning a value in `[0, 1)`).
    pub fn with_random(mut self, random: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        self.random = Arc::new(random);
        self
    }

    /// The instant from which a token fetched at `fetched_at` and expiring at `expires_at`
    /// is refreshed.
    pub fn refresh_at(&self, fetched_at: SystemTime, expires_at: SystemTime) -> SystemTime {
        let lifetime = expires_at
            .duration_since(fetched_at)
            .unwrap_or(Duration::ZERO);
        let buffer = self.buffer.min(lifetime / 4);
        let extra = buffer.mul_f64(self.jitter * (self.random)().clamp(0.0, 1.0));
        expires_at.checked_sub(buffer + extra).unwrap_or(fetched_at)
    }
}

impl Default for RefreshPolicy {
    /// Refresh 60 s (at most a quarter of the lifetime) before expiry, plus up to 50 % more.
    fn default() -> Self {
        Self::new(Duration::from_secs(60), 0.5)
    }
}

impl fmt::Debug for RefreshPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshPolicy")
            .field("buffer", &self.buffer)
            .field("jitter", &self.jitter)
            .finish()
    }
}

struct Entry<T> {
    token: T,
    expires_at: SystemTime,
    refresh_at: SystemTime,
}

struct State<T, E> {
    entry: Option<Entry<T>>,
    /// Bumped by every completed fetch, successful or not.
    generation: u64,
    last_error: Option<E>,
}

/// Caches one access token; concurrent callers that find it missing or due share a single
/// fetch (single-flight), and a failed fetch is reported to everyone who waited for it.
///
/// Reading a valid token takes a read lock only; refreshing is serialised by an async mutex.
pub struct TokenCache<T, E> {
    state: RwLock<State<T, E>>,
    refresh_gate: tokio::sync::Mutex<()>,
    policy: RefreshPolicy,
}

impl<T: Clone + PartialEq, E: Clone> TokenCache<T, E> {
    /// An empty cache.
    pub fn new(policy: RefreshPolicy) -> Self {
        Self {
            state: RwLock::new(State {
                entry: None,
                generation: 0,
                last_error: None,
            }),
            refresh_gate: tokio::sync::Mutex::new(()),
            policy,
        }
    }

    fn read(&self, now: SystemTime) -> (Option<T>, u64) {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let fresh = state
            .entry
            .as_ref()
            .filter(|e| now < e.refresh_at)
            .map(|e| e.token.clone());
        (fresh, state.generation)
    }

    /// The cached token if it is not yet due for refresh at `now`; otherwise the result of
    /// `fetch`, which runs once however many callers are waiting.
    pub async fn get<F, Fut>(&self, now: impl Fn() -> SystemTime, fetch: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<CachedToken<T>, E>>,
    {
        let (fresh, seen_generation) = self.read(now());
        if let Some(token) = fresh {
            return Ok(token);
        }
        let _gate = self.refresh_gate.lock().await;
        {
            let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
            if state.generation != seen_generation {
                // Someone fetched while we waited: share their outcome.
                if let Some(e) = state.entry.as_ref().filter(|e| now() < e.expires_at) {
                    return Ok(e.token.clone());
                }
                if let Some(err) = &state.last_error {
                    return Err(err.clone());
                }
            }
        }
        let fetched_at = now();
        let result = fetch().await;
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        state.generation += 1;
        match result {
            Ok(cached) => {
                state.last_error = None;
                state.entry = Some(Entry {
                    refresh_at: self.policy.refresh_at(fetched_at, cached.expires_at),
                    expires_at: cached.expires_at,
                    token: cached.token.clone(),
                });
                Ok(cached.token)
            }
            Err(e) => {
                state.last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Forgets `rejected` if it is still the cached token (the vendor refused it, e.g.
    /// `IAM_FAILED` or HTTP 401), so the next [`get`](Self::get) fetches a new one. A token
    /// another caller already replaced is left alone.
    pub fn invalidate(&self, rejected: &T) {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        if state.entry.as_ref().is_some_and(|e| &e.token == rejected) {
            state.entry = None;
            state.generation += 1;
            state.last_error = None;
        }
    }

    /// When the cached token expires, if one is cached.
    pub fn expires_at(&self) -> Option<SystemTime> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        state.entry.as_ref().map(|e| e.expires_at)
    }
}

impl<T, E> fmt::Debug for TokenCache<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the token itself.
        let cached = self
            .state
            .read()
            .map(|s| s.entry.is_some())
            .unwrap_or(false);
        f.debug_struct("TokenCache")
            .field("cached", &cached)
            .field("policy", &self.policy)
            .finish()
    }
}
