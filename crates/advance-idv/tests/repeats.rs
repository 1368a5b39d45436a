//! `generate-url` opens a priced session: it is never sent again once the server may have
//! acted on it. Through the real reqwest transport against the real emulator, counting what
//! the server received in each case.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::time::Duration;

use sigil_advance_idv::{AdvanceClient, AdvanceError};
use sigil_emulator::{Emulator, EmulatorConfig, Faults, Metrics, SAMPLE_ADVANCE};
use sigil_models::idv::{CountryCode, GenerateUrlRequest};
use sigil_signing::SecretKey;
use sigil_transport::{Recorder, ReqwestConfig, ReqwestTransport, RetryPolicy, TransportError};

const GENERATE_URL: &str = "/intl/openapi/face-identity/h5-idv/v1/generate-url";
const GET_RESULT: &str = "/intl/openapi/face-identity/h5-idv/v1/get-result";

fn recorder() -> Recorder<ReqwestTransport> {
    Recorder::new(ReqwestTransport::new(ReqwestConfig::default()).unwrap())
}

async fn emulator(faults: Faults) -> Emulator {
    let config = EmulatorConfig {
        faults,
        ..EmulatorConfig::default()
    };
    Emulator::start_local(config).await.unwrap()
}

fn client(emulator: &Emulator, transport: Recorder<ReqwestTransport>) -> AdvanceClient {
    AdvanceClient::builder(
        SAMPLE_ADVANCE.0,
        SecretKey::new(SAMPLE_ADVANCE.1.as_bytes()).unwrap(),
    )
    .base_url(emulator.base_url())
    .transport(transport)
    .retry(Some(RetryPolicy {
        base_delay: Duration::from_millis(10),
        ..RetryPolicy::default()
    }))
    .build()
    .unwrap()
}

fn request() -> GenerateUrlRequest {
    GenerateUrlRequest::new(
        "https://shop.example/done",
        "https://shop.example/failed",
        &CountryCode::new("IDN").unwrap(),
        Some("user-1".into()),
    )
    .unwrap()
}

/// Requests a route answered, whatever the outcome.
fn answered(metrics: &Metrics, route: &str) -> u64 {
    metrics.get(route).map_or(0, |m| m.values().sum())
}

/// Attempts the client made at `path`.
fn attempts(recorder: &Recorder<ReqwestTransport>, path: &str) -> usize {
    recorder
        .requests()
        .iter()
        .filter(|r| r.uri.ends_with(path))
        .count()
}

/// A `SERVICE_BUSY` envelope, as a server turning a request away sends it.
const BUSY: &str = r#"{"code":"SERVICE_BUSY","message":"busy","data":null,"extra":null,"transactionId":"t","pricingStrategy":"FREE"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_url_is_repeated_only_when_the_server_did_not_get_or_process_it() {
    // (case, transport in front of the emulator, whether the call ends well)
    let cases: Vec<(&str, Recorder<ReqwestTransport>, bool)> = vec![
        (
            "connection refused",
            recorder().refuse_first(1).on_path(GENERATE_URL),
            true,
        ),
        (
            "HTTP 429",
            recorder()
                .answer_first_with(1, 429, BUSY)
                .on_path(GENERATE_URL),
            true,
        ),
        (
            "SERVICE_BUSY in an HTTP 200",
            recorder()
                .answer_first_with(1, 200, BUSY)
                .on_path(GENERATE_URL),
            true,
        ),
        (
            "timeout after the server got it",
            recorder()
                .lose_answer_first(1, TransportError::Timeout(Duration::from_secs(10)))
                .on_path(GENERATE_URL),
            false,
        ),
        (
            "connection dropped after the server got it",
            recorder()
                .lose_answer_first(1, TransportError::Io("connection reset".into()))
                .on_path(GENERATE_URL),
            false,
        ),
        (
            "HTTP 503 with SERVICE_BUSY from a proxy",
            recorder()
                .answer_first_with(1, 503, BUSY)
                .on_path(GENERATE_URL),
            false,
        ),
    ];
    for (case, transport, succeeds) in cases {
        let emulator = emulator(Faults::default()).await;
        let c = client(&emulator, transport.clone());
        let result = c.generate_url(&request()).await;
        assert_eq!(result.is_ok(), succeeds, "{case}: {result:?}");
        let received = answered(&emulator.metrics(), "advance.idv.generate-url");
        // The server opened exactly one session, or none.
        let expected_received = match case {
            "HTTP 503 with SERVICE_BUSY from a proxy" => 0,
            _ => 1,
        };
        assert_eq!(
            received, expected_received,
            "{case}: sessions the server opened"
        );
        let expected_attempts = if succeeds { 2 } else { 1 };
        assert_eq!(
            attempts(&transport, GENERATE_URL),
            expected_attempts,
            "{case}"
        );
        emulator.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_from_the_server_is_final_for_generate_url_but_not_for_get_result() {
    for (rate, label) in [(1.0, "HTTP 500"), (0.0, "HTTP 503")] {
        let faults = Faults {
            error_rate: rate,
            unavailable_rate: 1.0 - rate,
            retry_after: Duration::ZERO,
            scope: vec![GENERATE_URL.into(), GET_RESULT.into()],
            ..Faults::default()
        };
        let emulator = emulator(faults).await;
        let transport = recorder();
        let c = client(&emulator, transport.clone());
        let err = c.generate_url(&request()).await.unwrap_err();
        assert!(
            matches!(
                err,
                AdvanceError::Http { .. }
                    | AdvanceError::ServerError(_)
                    | AdvanceError::ServiceBusy(_)
            ),
            "{label}: {err:?}"
        );
        // The server got it once; the client did not send it again.
        assert_eq!(attempts(&transport, GENERATE_URL), 1, "{label}");
        assert_eq!(transport.forwarded() - 1, 1, "{label}: token request + one");
        // get-result only reads: it is retried (three attempts by the policy).
        let _ = c.get_result("0123456789abcdef").await.unwrap_err();
        assert_eq!(attempts(&transport, GET_RESULT), 3, "{label}");
        emulator.shutdown().await.unwrap();
    }
}
