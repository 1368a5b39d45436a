//! Single-flight refresh, expiry and invalidation of the token cache.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use sigil_client_core::{CachedToken, Clock, ManualClock, RefreshPolicy, TokenCache};

fn cache() -> Arc<TokenCache<String, String>> {
    Arc::new(TokenCache::new(RefreshPolicy::new(
        Duration::from_secs(60),
        0.0,
    )))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_fetch_for_a_thousand_concurrent_callers() {
    let cache = cache();
    let clock = ManualClock::at_millis(1_700_000_000_000);
    let fetches = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let (cache, clock, fetches) = (cache.clone(), clock.clone(), fetches.clone());
        tasks.push(tokio::spawn(async move {
            cache
                .get(
                    || clock.now(),
                    || async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok(CachedToken {
                            token: "t1".to_owned(),
                            expires_at: clock.now() + Duration::from_secs(3600),
                        })
                    },
                )
                .await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), "t1");
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn refreshes_before_expiry_not_after() {
    let cache = cache();
    let clock = ManualClock::at_millis(1_700_000_000_000);
    let n = AtomicUsize::new(0);
    let fetch = || async {
        let i = n.fetch_add(1, Ordering::SeqCst);
        Ok::<_, String>(CachedToken {
            token: format!("t{i}"),
            expires_at: clock.now() + Duration::from_secs(3600),
        })
    };
    assert_eq!(cache.get(|| clock.now(), fetch).await.unwrap(), "t0");
    clock.advance(Duration::from_secs(3600 - 61));
    assert_eq!(cache.get(|| clock.now(), fetch).await.unwrap(), "t0");
    clock.advance(Duration::from_secs(2)); // 59 s before expiry: inside the 60 s buffer
    assert_eq!(cache.get(|| clock.now(), fetch).await.unwrap(), "t1");
}

#[tokio::test]
async fn buffer_is_capped_for_short_lived_tokens() {
    let policy = RefreshPolicy::new(Duration::from_secs(60), 0.0);
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
    // A 60 s token is refreshed 15 s before expiry, not immediately.
    assert_eq!(
        policy.refresh_at(t0, t0 + Duration::from_secs(60)),
        t0 + Duration::from_secs(45)
    );
    let jittered = RefreshPolicy::new(Duration::from_secs(60), 0.5).with_random(|| 0.5);
    assert_eq!(
        jittered.refresh_at(t0, t0 + Duration::from_secs(3600)),
        t0 + Duration::from_secs(3600 - 75)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_fetch_is_shared_not_repeated_by_waiters() {
    let cache = cache();
    let clock = ManualClock::at_millis(1_700_000_000_000);
    let fetches = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (cache, clock, fetches) = (cache.clone(), clock.clone(), fetches.clone());
        tasks.push(tokio::spawn(async move {
            cache
                .get(
                    || clock.now(),
                    || async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Err::<CachedToken<String>, _>("ACCOUNT_DISABLED".to_owned())
                    },
                )
                .await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap_err(), "ACCOUNT_DISABLED");
    }
    // The callers that started before the first fetch finished share it; a later caller
    // would try again, so the count is small but need not be exactly one.
    assert!(
        fetches.load(Ordering::SeqCst) <= 2,
        "{}",
        fetches.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn invalidate_forgets_only_the_rejected_token() {
    let cache = cache();
    let clock = ManualClock::at_millis(1_700_000_000_000);
    let n = AtomicUsize::new(0);
    let fetch = || async {
        let i = n.fetch_add(1, Ordering::SeqCst);
        Ok::<_, String>(CachedToken {
            token: format!("t{i}"),
            expires_at: clock.now() + Duration::from_secs(3600),
        })
    };
    assert_eq!(cache.get(|| clock.now(), fetch).await.unwrap(), "t0");
    cache.invalidate(&"other".to_owned());
    assert_eq!(cache.get(|| clock.now(), fetch).await.unwrap(), "t0");
    cache.invalidate(&"t0".to_owned());
    assert_eq!(cache.get(|| clock.now(), fetch).await.unwrap(), "t1");
    assert!(format!("{cache:?}").contains("cached: true") && !format!("{cache:?}").contains("t1"));
}
