//! The ADVANCE client through the real reqwest transport against the real emulator over
//! loopback: H5 IDV end to end, token requests re-signed on every attempt, a client clock
//! ten minutes off recovering from the server's `Date`.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use sigil_advance_idv::AdvanceClient;
use sigil_client_core::ManualClock;
use sigil_emulator::{Emulator, EmulatorConfig, IdvOutcome, Metrics, SAMPLE_ADVANCE};
use sigil_models::idv::{CountryCode, GenerateUrlRequest, IdvCode};
use sigil_signing::SecretKey;
use sigil_transport::{Recorder, ReqwestConfig, ReqwestTransport, RetryPolicy};

fn recorder() -> Recorder<ReqwestTransport> {
    Recorder::new(ReqwestTransport::new(ReqwestConfig::default()).unwrap())
}

fn builder(base: &str) -> sigil_advance_idv::AdvanceClientBuilder {
    AdvanceClient::builder(
        SAMPLE_ADVANCE.0,
        SecretKey::new(SAMPLE_ADVANCE.1.as_bytes()).unwrap(),
    )
    .base_url(base)
    .retry(Some(RetryPolicy {
        base_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    }))
}

async fn emulator() -> Emulator {
    Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap()
}

fn count(metrics: &Metrics, route: &str, outcome: &str) -> u64 {
    metrics
        .get(route)
        .and_then(|m| m.get(outcome))
        .copied()
        .unwrap_or(0)
}

fn body(r: &sigil_transport::RecordedRequest) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h5_idv_end_to_end_with_retried_token_requests_signed_afresh() {
    let emulator = emulator().await;
    // A proxy answers the first two token attempts with 503.
    let transport = recorder().answer_first(2, 503);
    let c = builder(&emulator.base_url())
        .transport(transport.clone())
        .build()
        .unwrap();
    emulator.script_idv_outcome("user-7", IdvOutcome::Success);
    let request = GenerateUrlRequest::new(
        "https://shop.example/ok",
        "https://shop.example/fail",
        &CountryCode::new("IDN").unwrap(),
        Some("user-7".into()),
    )
    .unwrap();
    let session = c.generate_url(&request).await.unwrap();
    let result = c.get_result(&session.signature_id).await.unwrap();
    assert_eq!(result.idv_code, Some(IdvCode::Success));

    let sent = transport.requests();
    assert_eq!(sent.len(), 5, "3 token attempts, generate-url, get-result");
    let attempts: Vec<Value> = sent[..3].iter().map(body).collect();
    let stamps: Vec<u64> = attempts
        .iter()
        .map(|b| b["timestamp"].as_u64().unwrap())
        .collect();
    let signatures: BTreeSet<String> = attempts
        .iter()
        .map(|b| b["signature"].as_str().unwrap().to_owned())
        .collect();
    assert!(stamps[0] < stamps[1] && stamps[1] < stamps[2], "{stamps:?}");
    assert_eq!(signatures.len(), 3);
    // The token header is marked sensitive.
    assert!(sent[3].headers["x-access-token"].is_sensitive());
    let metrics = emulator.metrics();
    assert_eq!(count(&metrics, "advance.generate-token", "SUCCESS"), 1);
    assert_eq!(count(&metrics, "advance.idv.generate-url", "SUCCESS"), 1);
    emulator.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_clock_ten_minutes_slow_recovers() {
    let emulator = emulator().await;
    let transport = recorder();
    let slow = ManualClock::new(SystemTime::now() - Duration::from_secs(600));
    let c = builder(&emulator.base_url())
        .clock(slow)
        .transport(transport.clone())
        .build()
        .unwrap();
    c.access_token().await.unwrap();
    let metrics = emulator.metrics();
    assert_eq!(
        count(&metrics, "advance.generate-token", "PARAMETER_ERROR"),
        1
    );
    assert_eq!(count(&metrics, "advance.generate-token", "SUCCESS"), 1);
    // The token's life is measured on the (slow) local clock: about an hour from its start.
    let expiry = c.cached_token_expiry().unwrap();
    let local_start = SystemTime::now() - Duration::from_secs(600);
    let lifetime = expiry.duration_since(local_start).unwrap();
    assert!(
        lifetime > Duration::from_secs(3500) && lifetime <= Duration::from_secs(3601),
        "{lifetime:?}"
    );
    emulator.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callers_request_gets_the_access_token() {
    let emulator = emulator().await;
    let base = emulator.base_url();
    let c = builder(&base).build().unwrap();
    let mut request = http::Request::post(format!(
        "{base}/intl/openapi/face-identity/h5-idv/v1/get-result"
    ))
    .header("content-type", "application/json")
    .body(br#"{"signatureId":"0000000000000000"}"#.to_vec())
    .unwrap();
    c.authorize(&mut request).await.unwrap();
    assert!(request.headers()["x-access-token"].is_sensitive());
    let response = reqwest::Client::new()
        .execute(reqwest::Request::try_from(request.map(reqwest::Body::from)).unwrap())
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    // Authenticated: the emulator looked the session up.
    assert_eq!(body["code"], "SIGNATURE_NOT_EXIST");
    emulator.shutdown().await.unwrap();
}
