//! The Avanan client against the emulator's injected faults (loopback, bounded in count and
//! time): every caller ends within its deadline with a result or a typed error, and a token
//! that expires under load is refreshed exactly once.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::time::{Duration, Instant};

use sigil_avanan::{AvananClient, AvananError};
use sigil_emulator::{Emulator, EmulatorConfig, Faults, Metrics, SAMPLE_AVANAN};
use sigil_signing::SecretKey;
use sigil_transport::{RetryPolicy, Timeouts};

async fn emulator(config: EmulatorConfig) -> Emulator {
    Emulator::start_local(config).await.unwrap()
}

fn client(base: &str, operation: Duration) -> AvananClient {
    AvananClient::builder(
        SAMPLE_AVANAN.0,
        SecretKey::new(SAMPLE_AVANAN.1.as_bytes()).unwrap(),
    )
    .base_url(base)
    .timeouts(Timeouts {
        attempt: Duration::from_secs(2),
        operation,
        ..Timeouts::default()
    })
    .retry(Some(RetryPolicy {
        base_delay: Duration::from_millis(10),
        ..RetryPolicy::default()
    }))
    .build()
    .unwrap()
}

fn count(metrics: &Metrics, route: &str, outcome: &str) -> u64 {
    metrics
        .get(route)
        .and_then(|m| m.get(outcome))
        .copied()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_fifth_of_requests_failing_every_caller_ends_in_time() {
    let faults = Faults {
        seed: 11,
        error_rate: 0.05,
        unavailable_rate: 0.05,
        retry_after: Duration::ZERO,
        close_rate: 0.05,
        truncate_rate: 0.05,
        ..Faults::default()
    };
    let emu = emulator(EmulatorConfig {
        faults,
        ..EmulatorConfig::default()
    })
    .await;
    let c = client(&emu.base_url(), Duration::from_secs(5));
    let started = Instant::now();
    let callers: Vec<_> = (0..40)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move {
                let began = Instant::now();
                let result = c.scopes().await;
                (began.elapsed(), result)
            })
        })
        .collect();
    let mut ok = 0;
    for caller in callers {
        let (took, result) = caller.await.unwrap();
        assert!(took < Duration::from_secs(6), "a caller took {took:?}");
        match result {
            Ok(scopes) => {
                assert_eq!(scopes.len(), 1);
                ok += 1;
            }
            // A typed error: an HTTP answer, a broken exchange, an unreadable answer.
            Err(
                AvananError::Api { .. }
                | AvananError::Transport(_)
                | AvananError::Decode(_)
                | AvananError::TokenLoad(_),
            ) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(ok > 20, "{ok} of 40 succeeded");
    assert!(started.elapsed() < Duration::from_secs(10));
    let metrics = emu.metrics();
    let injected: u64 = metrics.get("faults.avanan").map_or(0, |m| m.values().sum());
    assert!(injected > 0, "{metrics:?}");
    emu.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_expires_under_load_is_refreshed_exactly_once() {
    let emu = emulator(EmulatorConfig {
        token_lifetime: Some(Duration::from_secs(2)),
        ..EmulatorConfig::default()
    })
    .await;
    // The client believes a 2 s token for its 10 s minimum lifetime: the emulator will
    // refuse it first, and the 401s must lead to one new token, not one each.
    let c = client(&emu.base_url(), Duration::from_secs(10));
    let burst = |c: &AvananClient| {
        (0..20)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { c.scopes().await })
            })
            .collect::<Vec<_>>()
    };
    for caller in burst(&c) {
        caller.await.unwrap().unwrap();
    }
    assert_eq!(count(&emu.metrics(), "avanan.auth", "200"), 1);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    for caller in burst(&c) {
        caller.await.unwrap().unwrap();
    }
    let metrics = emu.metrics();
    assert_eq!(count(&metrics, "avanan.auth", "200"), 2, "{metrics:?}");
    assert_eq!(count(&metrics, "avanan.scopes", "200"), 40);
    assert!(count(&metrics, "avanan.scopes", "401") >= 1);
    emu.shutdown().await.unwrap();
}
