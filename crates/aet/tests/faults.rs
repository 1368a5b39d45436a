//! The AET client against the emulator's injected faults (loopback, bounded): nothing unsafe
//! to repeat is sent twice, and what is safe is retried until it succeeds.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::time::Duration;

use serde_json::{Value, json};
use sigil_aet::{AetClient, AetError};
use sigil_emulator::{Emulator, EmulatorConfig, Faults, SAMPLE_AET};
use sigil_signing::SecretKey;
use sigil_transport::{RetryPolicy, TransportError};

async fn emulator(faults: Faults) -> Emulator {
    let config = EmulatorConfig {
        faults,
        ..EmulatorConfig::default()
    };
    Emulator::start_local(config).await.unwrap()
}

fn client(base: &str) -> AetClient {
    AetClient::builder(
        SAMPLE_AET.0,
        SecretKey::new(SAMPLE_AET.1.as_bytes()).unwrap(),
    )
    .base_url(base)
    .retry(Some(RetryPolicy {
        base_delay: Duration::from_millis(10),
        ..RetryPolicy::default()
    }))
    .build()
    .unwrap()
}

fn injected(emu: &Emulator) -> u64 {
    emu.metrics()
        .get("faults.aet")
        .map_or(0, |m| m.values().sum())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_is_never_sent_twice() {
    for faults in [
        Faults {
            unavailable_rate: 1.0,
            retry_after: Duration::ZERO,
            ..Faults::default()
        },
        Faults {
            close_rate: 1.0,
            ..Faults::default()
        },
        Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
    ] {
        let emu = emulator(faults.clone()).await;
        let err = client(&emu.base_url())
            .post::<_, Value>("/v3/users", &json!({"firstName": "Ada"}))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                AetError::Api { .. } | AetError::Transport(TransportError::Io(_))
            ),
            "{faults:?}: {err:?}"
        );
        assert_eq!(injected(&emu), 1, "{faults:?}");
        emu.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_retried_through_faults_and_truncated_bodies_are_typed_errors() {
    let emu = emulator(Faults {
        seed: 3,
        error_rate: 0.1,
        throttle_rate: 0.1,
        retry_after: Duration::ZERO,
        scope: vec!["/v3/users".into()],
        ..Faults::default()
    })
    .await;
    let c = client(&emu.base_url());
    let mut ok = 0;
    for _ in 0..30 {
        match c.get::<Value>("/v3/users").await {
            Ok(_) => ok += 1,
            Err(AetError::Api {
                status: 500 | 429, ..
            }) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(ok >= 27, "{ok} of 30");
    assert!(injected(&emu) > 0);
    emu.shutdown().await.unwrap();

    let emu = emulator(Faults {
        truncate_rate: 1.0,
        ..Faults::default()
    })
    .await;
    let err = client(&emu.base_url())
        .get::<Value>("/v3/users")
        .await
        .unwrap_err();
    assert!(matches!(err, AetError::Decode(_)), "{err:?}");
    emu.shutdown().await.unwrap();
}
