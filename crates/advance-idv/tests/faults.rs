//! The ADVANCE client against the emulator's injected faults and clock offsets (loopback,
//! bounded).

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::time::Duration;

use sigil_advance_idv::AdvanceClient;
use sigil_emulator::{Emulator, EmulatorConfig, Faults, SAMPLE_ADVANCE};
use sigil_signing::SecretKey;
use sigil_transport::RetryPolicy;

async fn emulator(config: EmulatorConfig) -> Emulator {
    Emulator::start_local(config).await.unwrap()
}

fn client(base: &str) -> AdvanceClient {
    AdvanceClient::builder(
        SAMPLE_ADVANCE.0,
        SecretKey::new(SAMPLE_ADVANCE.1.as_bytes()).unwrap(),
    )
    .base_url(base)
    .retry(Some(RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_millis(10),
        ..RetryPolicy::default()
    }))
    .build()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_busy_is_retried_and_the_token_arrives() {
    let emu = emulator(EmulatorConfig {
        faults: Faults {
            seed: 5,
            busy_rate: 0.5,
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let mut tokens = 0;
    for _ in 0..10 {
        if client(&emu.base_url()).generate_token().await.is_ok() {
            tokens += 1;
        }
    }
    assert!(tokens >= 8, "{tokens} of 10");
    let metrics = emu.metrics();
    assert!(metrics["faults.advance"]["SERVICE_BUSY"] > 0, "{metrics:?}");
    emu.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_clock_ten_minutes_ahead_is_followed() {
    for offset_ms in [600_000, -600_000] {
        let emu = emulator(EmulatorConfig {
            clock_offset_ms: offset_ms,
            ..EmulatorConfig::default()
        })
        .await;
        let c = client(&emu.base_url());
        c.access_token().await.unwrap();
        let metrics = emu.metrics();
        assert_eq!(
            metrics["advance.generate-token"]["PARAMETER_ERROR"], 1,
            "{metrics:?}"
        );
        assert_eq!(metrics["advance.generate-token"]["SUCCESS"], 1);
        // Later calls sign with the learnt offset at once.
        c.generate_token().await.unwrap();
        assert_eq!(emu.metrics()["advance.generate-token"]["SUCCESS"], 2);
        emu.shutdown().await.unwrap();
    }
}
