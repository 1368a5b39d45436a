//! The token cache: single flight, detached fetches that survive cancelled callers, expiry
//! measured locally, load timeouts, invalidation.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use sigil_client_core::{
    FetchedToken, ManualClock, RefreshPolicy, SystemClock, TokenCache, TokenLoadError,
};

#[derive(Debug, Clone, PartialEq)]
enum TestError {
    Vendor(String),
    Load(TokenLoadError),
}

impl From<TokenLoadError> for TestError {
    fn from(e: TokenLoadError) -> Self {
        TestError::Load(e)
    }
}

type Cache = Arc<TokenCache<String, TestError>>;
type FetchFuture =
    std::pin::Pin<Box<dyn Future<Output = Result<FetchedToken<String>, TestError>> + Send>>;

fn policy() -> RefreshPolicy {
    RefreshPolicy::new(Duration::from_secs(60), 0.0)
}

/// A fetch that counts itself, waits `delay` (tokio time) and returns `t<n>` valid for
/// `lifetime`.
fn counting_fetch(
    fetches: &Arc<AtomicUsize>,
    delay: Duration,
    lifetime: Duration,
) -> impl FnOnce() -> FetchFuture + use<> {
    let fetches = fetches.clone();
    move || {
        Box::pin(async move {
            let n = fetches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            Ok(FetchedToken {
                token: format!("t{n}"),
                lifetime,
            })
        })
    }
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_fetch_for_a_thousand_concurrent_callers() {
    let cache: Cache = Arc::new(TokenCache::new(policy(), SystemClock));
    let fetches = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let (cache, fetches) = (cache.clone(), fetches.clone());
        tasks.push(tokio::spawn(async move {
            cache
                .get(counting_fetch(&fetches, Duration::from_millis(20), HOUR))
                .await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), "t0");
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

/// The measured outage of the review: 20 callers with 50 ms deadlines against a 120 ms token
/// endpoint. Every caller gives up, yet the one fetch finishes and is cached.
#[tokio::test(start_paused = true)]
async fn cancelled_callers_do_not_abandon_the_fetch() {
    let cache: Cache = Arc::new(TokenCache::new(policy(), SystemClock));
    let fetches = Arc::new(AtomicUsize::new(0));
    let mut callers = Vec::new();
    for i in 0..20u64 {
        let (cache, fetches) = (cache.clone(), fetches.clone());
        callers.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(5 * i)).await;
            tokio::time::timeout(
                Duration::from_millis(50),
                cache.get(counting_fetch(&fetches, Duration::from_millis(120), HOUR)),
            )
            .await
        }));
    }
    let mut timed_out = 0;
    for c in callers {
        if c.await.unwrap().is_err() {
            timed_out += 1;
        }
    }
    assert!(timed_out > 0, "some callers gave up before the token came");
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Later callers get the token that the one detached fetch cached.
    let token = cache
        .get(counting_fetch(&fetches, Duration::ZERO, HOUR))
        .await
        .unwrap();
    assert_eq!(token, "t0");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_token_expired_on_arrival_is_fetched_once() {
    let clock = ManualClock::at_millis(1_700_000_000_000);
    let cache: Cache = Arc::new(TokenCache::new(policy(), clock.clone()));
    let fetches = Arc::new(AtomicUsize::new(0));
    let mut callers = Vec::new();
    for _ in 0..50 {
        let (cache, fetches) = (cache.clone(), fetches.clone());
        callers.push(tokio::spawn(async move {
            cache
                .get(counting_fetch(
                    &fetches,
                    Duration::from_millis(30),
                    Duration::ZERO,
                ))
                .await
        }));
    }
    for c in callers {
        assert_eq!(c.await.unwrap().unwrap(), "t0");
    }
    // Cached for the minimum lifetime (10 s, refreshed in its last quarter).
    clock.advance(Duration::from_secs(5));
    let again = cache
        .get(counting_fetch(&fetches, Duration::ZERO, Duration::ZERO))
        .await;
    assert_eq!(again.unwrap(), "t0");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    let expiry = cache.expires_at().unwrap();
    assert_eq!(
        expiry,
        SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_010_000)
    );
}

#[tokio::test(start_paused = true)]
async fn expiry_is_measured_on_the_local_clock_from_the_fetch_start() {
    let clock = ManualClock::at_millis(1_700_000_000_000);
    let cache: Cache = Arc::new(TokenCache::new(policy(), clock.clone()));
    let fetches = Arc::new(AtomicUsize::new(0));
    cache
        .get(counting_fetch(&fetches, Duration::ZERO, HOUR))
        .await
        .unwrap();
    assert_eq!(
        cache.expires_at().unwrap(),
        SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_003_600_000)
    );
    // A declared lifetime of centuries is believed for a day at most.
    cache.invalidate(&"t0".to_owned());
    cache
        .get(counting_fetch(&fetches, Duration::ZERO, Duration::MAX))
        .await
        .unwrap();
    assert_eq!(
        cache.expires_at().unwrap(),
        SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_086_400_000)
    );
}

#[tokio::test(start_paused = true)]
async fn refresh_runs_in_the_background_and_a_failed_one_keeps_the_old_token() {
    let clock = ManualClock::at_millis(1_700_000_000_000);
    let cache: Cache = Arc::new(TokenCache::new(policy(), clock.clone()));
    let fetches = Arc::new(AtomicUsize::new(0));
    assert_eq!(
        cache
            .get(counting_fetch(&fetches, Duration::ZERO, HOUR))
            .await
            .unwrap(),
        "t0"
    );
    clock.advance(HOUR - Duration::from_secs(61));
    let cached = cache.get(counting_fetch(&fetches, Duration::ZERO, HOUR));
    assert_eq!(cached.await.unwrap(), "t0");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);

    // 59 s before expiry: due. The refresh fails, callers keep the old, still valid token.
    clock.advance(Duration::from_secs(2));
    let failing = || async { Err(TestError::Vendor("SERVICE_BUSY".into())) };
    assert_eq!(cache.get(failing).await.unwrap(), "t0");
    tokio::time::sleep(Duration::from_millis(1)).await; // let the background fetch end
    assert_eq!(cache.get(failing).await.unwrap(), "t0");

    // Half-way to expiry the refresh is tried again, in the background; it succeeds.
    clock.advance(Duration::from_secs(30));
    assert_eq!(
        cache
            .get(counting_fetch(&fetches, Duration::ZERO, HOUR))
            .await
            .unwrap(),
        "t0"
    );
    tokio::time::sleep(Duration::from_millis(1)).await;
    let fresh = cache.get(counting_fetch(&fetches, Duration::ZERO, HOUR));
    assert_eq!(fresh.await.unwrap(), "t1");
}

#[tokio::test(start_paused = true)]
async fn a_load_that_never_returns_times_out_for_everyone() {
    let policy = policy().with_load_timeout(Duration::from_secs(2));
    let cache: Cache = Arc::new(TokenCache::new(policy, SystemClock));
    let mut callers = Vec::new();
    for _ in 0..5 {
        let cache = cache.clone();
        callers.push(tokio::spawn(async move {
            cache
                .get(|| async {
                    std::future::pending::<()>().await;
                    Err(TestError::Vendor("never".into()))
                })
                .await
        }));
    }
    for c in callers {
        assert_eq!(
            c.await.unwrap(),
            Err(TestError::Load(TokenLoadError::Timeout(
                Duration::from_secs(2)
            )))
        );
    }
    // The next caller starts afresh.
    let fetches = Arc::new(AtomicUsize::new(0));
    let token = cache.get(counting_fetch(&fetches, Duration::ZERO, HOUR));
    assert_eq!(token.await.unwrap(), "t0");
}

#[tokio::test(start_paused = true)]
async fn invalidate_during_an_in_flight_refresh_joins_it() {
    let cache: Cache = Arc::new(TokenCache::new(policy(), SystemClock));
    let fetches = Arc::new(AtomicUsize::new(0));
    assert_eq!(
        cache
            .get(counting_fetch(&fetches, Duration::ZERO, HOUR))
            .await
            .unwrap(),
        "t0"
    );
    cache.invalidate(&"t0".to_owned());
    let first = {
        let (cache, fetches) = (cache.clone(), fetches.clone());
        tokio::spawn(async move {
            cache
                .get(counting_fetch(&fetches, Duration::from_millis(100), HOUR))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(10)).await;
    // Another caller is refused with the old token meanwhile: it is no longer cached.
    cache.invalidate(&"t0".to_owned());
    let second = cache.get(counting_fetch(&fetches, Duration::from_millis(100), HOUR));
    assert_eq!(second.await.unwrap(), "t1");
    assert_eq!(first.await.unwrap().unwrap(), "t1");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    // A stale invalidation does not drop the new token.
    cache.invalidate(&"t0".to_owned());
    assert!(cache.expires_at().is_some());
}

#[tokio::test(start_paused = true)]
async fn a_failure_reaches_every_waiter_and_the_next_call_tries_again() {
    let cache: Cache = Arc::new(TokenCache::new(policy(), SystemClock));
    let attempts = Arc::new(AtomicUsize::new(0));
    let mut callers = Vec::new();
    for _ in 0..10 {
        let (cache, attempts) = (cache.clone(), attempts.clone());
        callers.push(tokio::spawn(async move {
            cache
                .get(move || async move {
                    attempts.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    Err(TestError::Vendor("ACCOUNT_DISABLED".into()))
                })
                .await
        }));
    }
    for c in callers {
        assert_eq!(
            c.await.unwrap(),
            Err(TestError::Vendor("ACCOUNT_DISABLED".into()))
        );
    }
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    let fetches = Arc::new(AtomicUsize::new(0));
    let token = cache.get(counting_fetch(&fetches, Duration::ZERO, HOUR));
    assert_eq!(token.await.unwrap(), "t0");
}

#[tokio::test]
async fn a_panicking_fetch_is_reported_and_does_not_wedge_the_cache() {
    let cache: Cache = Arc::new(TokenCache::new(policy(), SystemClock));
    let result = cache
        .get(|| async {
            #[allow(clippy::panic)]
            if true {
                panic!("fetch bug");
            }
            Err(TestError::Vendor("unreachable".into()))
        })
        .await;
    assert_eq!(result, Err(TestError::Load(TokenLoadError::Abandoned)));
    let fetches = Arc::new(AtomicUsize::new(0));
    let token = cache.get(counting_fetch(&fetches, Duration::ZERO, HOUR));
    assert_eq!(token.await.unwrap(), "t0");
}

#[test]
fn outside_a_runtime_it_says_so() {
    let cache: TokenCache<String, TestError> = TokenCache::new(policy(), SystemClock);
    let fetches = Arc::new(AtomicUsize::new(0));
    let mut future = std::pin::pin!(cache.get(counting_fetch(&fetches, Duration::ZERO, HOUR)));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert_eq!(
        future.as_mut().poll(&mut cx),
        std::task::Poll::Ready(Err(TestError::Load(TokenLoadError::NoRuntime)))
    );
}

#[test]
fn refresh_schedule() {
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
    let p = policy();
    // Capped at a quarter of a short lifetime.
    assert_eq!(
        p.refresh_at(t0, t0 + Duration::from_secs(100)),
        t0 + Duration::from_secs(75)
    );
    assert_eq!(
        p.refresh_at(t0, t0 + HOUR),
        t0 + HOUR - Duration::from_secs(60)
    );
    let jittered = RefreshPolicy::new(Duration::from_secs(60), 0.5).with_random(|| 0.5);
    assert_eq!(
        jittered.refresh_at(t0, t0 + HOUR),
        t0 + HOUR - Duration::from_secs(75)
    );
    // Settings that make no sense do not panic.
    let odd = RefreshPolicy::new(Duration::MAX, f64::NAN).with_random(|| f64::INFINITY);
    assert_eq!(odd.refresh_at(t0, t0 + HOUR), t0 + HOUR * 3 / 4);
    assert_eq!(odd.refresh_at(t0, t0), t0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_that_touches_the_cache_from_fetch_clock_or_randomness_does_not_deadlock() {
    /// A clock that reads the cache it serves each time it is asked.
    #[derive(Clone)]
    struct Nosy(Arc<std::sync::OnceLock<Cache>>);
    impl sigil_client_core::Clock for Nosy {
        fn now(&self) -> SystemTime {
            if let Some(cache) = self.0.get() {
                let _ = cache.expires_at();
            }
            SystemTime::now()
        }
    }
    let slot: Arc<std::sync::OnceLock<Cache>> = Arc::default();
    let seen = slot.clone();
    let policy = policy().with_random(move || {
        if let Some(cache) = seen.get() {
            let _ = cache.expires_at();
        }
        0.5
    });
    let cache: Cache = Arc::new(TokenCache::new(policy, Nosy(slot.clone())));
    let _ = slot.set(cache.clone());
    let inner = cache.clone();
    let got = tokio::time::timeout(
        Duration::from_secs(5),
        cache.get(move || {
            // The fetch closure itself reads the cache before its future starts.
            let _ = inner.expires_at();
            async {
                Ok(FetchedToken {
                    token: "t".to_owned(),
                    lifetime: Duration::from_secs(3600),
                })
            }
        }),
    )
    .await
    .expect("no deadlock");
    assert_eq!(got.unwrap(), "t");
    assert!(cache.expires_at().is_some());
}
