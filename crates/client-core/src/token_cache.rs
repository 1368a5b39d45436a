//! A single-flight access-token cache whose fetches run detached from the callers.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use sigil_transport::unit_interval;

use crate::Clock;

/// A token as a fetch returns it: the token and the lifetime the server declared for it.
#[derive(Clone)]
pub struct FetchedToken<T> {
    /// The token.
    pub token: T,
    /// How long the server says it is valid (e.g. Avanan `exp − iat`, ADVANCE `expiredTime`
    /// minus the response's `Date`). The cache measures it on the local clock from the moment
    /// the fetch started, so a skewed server or local clock does not matter.
    pub lifetime: Duration,
}

/// Why the cache could not load a token, whatever the vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenLoadError {
    /// The fetch did not finish within the load timeout (it was abandoned for everyone).
    #[error("the token request did not finish within {0:?}")]
    Timeout(Duration),
    /// The fetch task ended without an answer (it panicked, or the runtime shut down).
    #[error("the token request ended without an answer")]
    Abandoned,
    /// There is no tokio runtime to run the fetch on.
    #[error("the token cache needs a tokio runtime (with time enabled)")]
    NoRuntime,
}

/// How the cache treats tokens: when to refresh, how long a fetch may take, and the bounds
/// put on the lifetime a server declares.
#[derive(Clone)]
pub struct RefreshPolicy {
    /// How long before expiry to refresh (capped at a quarter of the lifetime; default 60 s).
    pub buffer: Duration,
    /// Up to this fraction (0..=1) of the buffer is added at random, per token (default 0.5),
    /// so that many processes sharing one credential do not refresh at the same instant.
    pub jitter: f64,
    /// How long one token fetch may take, retries included (default 15 s).
    pub load_timeout: Duration,
    /// The shortest lifetime a token is cached for, even if the server declares less or it
    /// arrived expired (default 10 s): a burst of callers then shares one fetch.
    pub min_lifetime: Duration,
    /// The longest lifetime believed (default 24 h).
    pub max_lifetime: Duration,
    random: Arc<dyn Fn() -> f64 + Send + Sync>,
}

impl RefreshPolicy {
    /// `buffer` before expiry, plus up to `jitter` × buffer at random; the other settings at
    /// their defaults.
    pub fn new(buffer: Duration, jitter: f64) -> Self {
        Self {
            buffer,
            jitter: unit_interval(jitter),
            load_timeout: Duration::from_secs(15),
            min_lifetime: Duration::from_secs(10),
            max_lifetime: Duration::from_secs(24 * 3600),
            random: Arc::new(fastrand::f64),
        }
    }

    /// Replaces the randomness (a function returning a value in `[0, 1)`).
    pub fn with_random(mut self, random: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        self.random = Arc::new(random);
        self
    }

    /// How long one token fetch may take.
    pub fn with_load_timeout(mut self, timeout: Duration) -> Self {
        self.load_timeout = timeout;
        self
    }

    /// The shortest lifetime a token is cached for.
    pub fn with_min_lifetime(mut self, lifetime: Duration) -> Self {
        self.min_lifetime = lifetime;
        self
    }

    /// The lifetime actually used for a declared one: within `[min_lifetime, max_lifetime]`.
    pub fn bounded_lifetime(&self, declared: Duration) -> Duration {
        declared
            .min(self.max_lifetime)
            .max(self.min_lifetime.min(self.max_lifetime))
    }

    /// The instant from which a token fetched at `fetched_at` and expiring at `expires_at`
    /// is refreshed.
    pub fn refresh_at(&self, fetched_at: SystemTime, expires_at: SystemTime) -> SystemTime {
        let lifetime = expires_at
            .duration_since(fetched_at)
            .unwrap_or(Duration::ZERO);
        let buffer = self.buffer.min(lifetime / 4);
        let fraction = unit_interval(self.jitter) * unit_interval((self.random)());
        let extra = buffer.mul_f64(fraction);
        expires_at
            .checked_sub(buffer.saturating_add(extra))
            .unwrap_or(fetched_at)
            .max(fetched_at)
    }
}

impl Default for RefreshPolicy {
    /// Refresh 60 s (at most a quarter of the lifetime) before expiry, plus up to 50 % more;
    /// 15 s load timeout; lifetimes within 10 s ..= 24 h.
    fn default() -> Self {
        Self::new(Duration::from_secs(60), 0.5)
    }
}

impl fmt::Debug for RefreshPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshPolicy")
            .field("buffer", &self.buffer)
            .field("jitter", &self.jitter)
            .field("load_timeout", &self.load_timeout)
            .field("min_lifetime", &self.min_lifetime)
            .field("max_lifetime", &self.max_lifetime)
            .finish()
    }
}

struct Entry<T> {
    token: T,
    expires_at: SystemTime,
    refresh_at: SystemTime,
}

type Outcome<T, E> = Option<Result<T, E>>;

struct State<T, E> {
    entry: Option<Entry<T>>,
    /// The fetch in flight; every waiter holds a receiver of its outcome.
    inflight: Option<watch::Receiver<Outcome<T, E>>>,
}

struct Shared<T, E> {
    state: Mutex<State<T, E>>,
    policy: RefreshPolicy,
    clock: Arc<dyn Clock>,
}

impl<T, E> Shared<T, E> {
    fn lock(&self) -> MutexGuard<'_, State<T, E>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Caches one access token. Callers that find it missing share a single fetch
/// (single-flight), which runs as its own tokio task: a caller that is dropped (a timeout,
/// `select!`, a client disconnect) never abandons it, and its result is cached for the next
/// callers. A fetch that outlives [`RefreshPolicy::load_timeout`] fails for everyone waiting.
///
/// A token due for refresh but still valid is served while a background fetch replaces it;
/// if that fetch fails, the old token keeps being served until it expires (the refresh is
/// tried again half-way to expiry).
///
/// ```
/// use std::time::Duration;
/// use sigil_client_core::{FetchedToken, RefreshPolicy, SystemClock, TokenCache, TokenLoadError};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let cache: TokenCache<String, TokenLoadError> =
///     TokenCache::new(RefreshPolicy::default(), SystemClock);
/// let fetch = || async {
///     Ok(FetchedToken { token: "t-1".to_owned(), lifetime: Duration::from_secs(3600) })
/// };
/// assert_eq!(cache.get(fetch).await?, "t-1");
/// // Cached: this fetch is never run.
/// assert_eq!(cache.get(|| async { Err(TokenLoadError::Abandoned) }).await?, "t-1");
/// # Ok::<(), TokenLoadError>(()) }).unwrap();
/// ```
pub struct TokenCache<T, E> {
    shared: Arc<Shared<T, E>>,
}

impl<T, E> TokenCache<T, E>
where
    T: Clone + PartialEq + Send + Sync + 'static,
    E: Clone + From<TokenLoadError> + Send + Sync + 'static,
{
    /// An empty cache measuring time with `clock`.
    pub fn new(policy: RefreshPolicy, clock: impl Clock + 'static) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    entry: None,
                    inflight: None,
                }),
                policy,
                clock: Arc::new(clock),
            }),
        }
    }

    /// The cached token if it is not yet due for refresh (or due but still valid, while a
    /// background fetch runs); otherwise the outcome of the fetch in flight, or of a new
    /// one made with `fetch`. `fetch` is called at most once, and only when a fetch starts.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FetchedToken<T>, E>> + Send + 'static,
    {
        // The clock and `fetch` are the caller's code: both run outside the lock, so that
        // code which touches this cache cannot deadlock it.
        let now = self.shared.clock.now();
        let (mut outcome, fetch_now, cached) = {
            let mut state = self.shared.lock();
            let mut cached = None;
            if let Some(entry) = &state.entry {
                if now < entry.refresh_at {
                    tracing::trace!(target: "sigil::token", "token cache hit");
                    return Ok(entry.token.clone());
                }
                if now < entry.expires_at {
                    cached = Some(entry.token.clone());
                }
            }
            match Self::live_fetch(&state) {
                Some(rx) => {
                    if cached.is_none() {
                        tracing::debug!(target: "sigil::token", "waiting for the token fetch in flight");
                    }
                    (rx, None, cached)
                }
                None => {
                    if cached.is_some() {
                        tracing::debug!(target: "sigil::token", "token due: refreshing in the background");
                    } else {
                        tracing::debug!(target: "sigil::token", "token cache miss: fetching");
                    }
                    let (tx, rx) = watch::channel(None);
                    state.inflight = Some(rx.clone());
                    (rx, Some(tx), cached)
                }
            }
        };
        if let Some(tx) = fetch_now {
            let started = self.start(tx, now, fetch);
            if cached.is_none() {
                started?;
            }
        }
        if let Some(token) = cached {
            // Due but still valid: served while the background fetch replaces it.
            return Ok(token);
        }
        let result = outcome.wait_for(Option::is_some).await;
        match result.as_deref() {
            Ok(Some(outcome)) => outcome.clone(),
            _ => Err(E::from(TokenLoadError::Abandoned)),
        }
    }

    /// The fetch in flight, unless its task is gone without an answer.
    fn live_fetch(state: &State<T, E>) -> Option<watch::Receiver<Outcome<T, E>>> {
        state
            .inflight
            .as_ref()
            .filter(|rx| rx.has_changed().is_ok())
            .cloned()
    }

    /// Runs `fetch` as a detached task whose outcome goes to `tx` (already recorded as the
    /// fetch in flight). Called without the lock held.
    fn start<F, Fut>(
        &self,
        tx: watch::Sender<Outcome<T, E>>,
        started: SystemTime,
        fetch: F,
    ) -> Result<(), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FetchedToken<T>, E>> + Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No fetch will run: free the slot and tell whoever joined it meanwhile.
            let error = E::from(TokenLoadError::NoRuntime);
            shared.lock().inflight = None;
            let _ = tx.send(Some(Err(error.clone())));
            return Err(error);
        };
        let load_timeout = shared.policy.load_timeout;
        let work = runtime.spawn(fetch());
        runtime.spawn(async move {
            let abort = work.abort_handle();
            let result = match tokio::time::timeout(load_timeout, work).await {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => {
                    tracing::warn!(target: "sigil::token", "the token fetch ended without an answer");
                    Err(E::from(TokenLoadError::Abandoned))
                }
                Err(_) => {
                    abort.abort();
                    tracing::warn!(target: "sigil::token", timeout_ms = load_timeout.as_millis() as u64, "the token fetch timed out");
                    Err(E::from(TokenLoadError::Timeout(load_timeout)))
                }
            };
            let outcome = Self::finish(&shared, started, result);
            let _ = tx.send(Some(outcome));
        });
        Ok(())
    }

    /// Stores a fetch's outcome and ends it as the one in flight.
    fn finish(
        shared: &Shared<T, E>,
        started: SystemTime,
        result: Result<FetchedToken<T>, E>,
    ) -> Result<T, E> {
        // The clock and the policy's randomness are the caller's code: read before the lock.
        let now = shared.clock.now();
        let result = result.map(|fetched| {
            let lifetime = shared.policy.bounded_lifetime(fetched.lifetime);
            let expires_at = started.checked_add(lifetime).unwrap_or(started);
            let entry = Entry {
                refresh_at: shared.policy.refresh_at(started, expires_at),
                expires_at,
                token: fetched.token,
            };
            (entry, lifetime)
        });
        let mut state = shared.lock();
        state.inflight = None;
        match result {
            Ok((entry, lifetime)) => {
                tracing::debug!(target: "sigil::token", lifetime_s = lifetime.as_secs(), "token fetched and cached");
                let token = entry.token.clone();
                state.entry = Some(entry);
                Ok(token)
            }
            Err(e) => {
                tracing::debug!(target: "sigil::token", "token fetch failed");
                if let Some(entry) = state.entry.as_mut().filter(|e| now < e.expires_at) {
                    // Keep serving the old token; try again half-way to its expiry.
                    let left = entry.expires_at.duration_since(now).unwrap_or_default();
                    entry.refresh_at = now + left / 2;
                }
                Err(e)
            }
        }
    }

    /// Forgets `rejected` if it is still the cached token (the vendor refused it, e.g.
    /// `IAM_FAILED` or HTTP 401), so the next [`get`](Self::get) fetches a new one (or joins
    /// the fetch in flight). A token another caller already replaced is left alone.
    pub fn invalidate(&self, rejected: &T) {
        let mut state = self.shared.lock();
        if state.entry.as_ref().is_some_and(|e| &e.token == rejected) {
            tracing::debug!(target: "sigil::token", "token refused by the server: forgotten");
            state.entry = None;
        }
    }

    /// When the cached token expires, if one is cached.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.shared.lock().entry.as_ref().map(|e| e.expires_at)
    }
}

impl<T, E> fmt::Debug for TokenCache<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the token itself.
        let state = self.shared.lock();
        f.debug_struct("TokenCache")
            .field("cached", &state.entry.is_some())
            .field("fetching", &state.inflight.is_some())
            .field("policy", &self.shared.policy)
            .finish()
    }
}
