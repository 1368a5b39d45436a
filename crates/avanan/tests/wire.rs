//! The Avanan client through the real reqwest transport against the real emulator over
//! loopback: awkward targets are signed exactly as sent (or refused before any token is
//! fetched), retries are signed afresh, and cancelled callers do not stall the token cache.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::collections::BTreeSet;
use std::time::Duration;

use sigil_avanan::{AvananClient, AvananError};
use sigil_emulator::{Emulator, EmulatorConfig, Metrics, SAMPLE_AVANAN};
use sigil_signing::SecretKey;
use sigil_transport::{Recorder, ReqwestConfig, ReqwestTransport, RetryPolicy};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Sent,
    Refused,
}
use Expect::{Refused, Sent};

fn awkward_targets() -> Vec<(String, Expect)> {
    let table: Vec<(&str, Expect)> = vec![
        ("/v1.0/scopes", Sent),
        ("/v1.0/scopes?name=O'Brien", Sent),
        ("/v1.0/event/O'Brien", Sent),
        ("/v1.0/event/{id}", Sent),
        ("/v1.0/event/a b", Sent),
        ("/v1.0/scopes?q=a b", Sent),
        ("/v1.0/event/a%2Fb", Sent),
        ("/v1.0/event/%C3%A9t%C3%A9", Sent),
        ("/v1.0/event/été", Sent),
        ("/v1.0/scopes?city=Zürich", Sent),
        ("/v1.0/scopes?q=a+b", Sent),
        ("/v1.0/scopes?a=b=c", Sent),
        ("/v1.0/scopes?a=1&&b=2", Sent),
        ("/v1.0/scopes?", Sent),
        ("/v1.0/scopes?x=[1]&y=|^`", Sent),
        ("/v1.0/a/../scopes", Refused),
        ("/v1.0/./scopes", Refused),
        ("/v1.0/%2E%2E/scopes", Refused),
        ("/v1.0\\scopes", Refused),
        ("/v1.0/scopes#fragment", Refused),
        ("/v1.0/scopes\t", Refused),
        ("v1.0/scopes", Refused),
        ("@evil.example/v1.0/scopes", Refused),
        (".evil.example/v1.0/scopes", Refused),
        ("//evil.example/v1.0/scopes", Refused),
    ];
    let mut rows: Vec<(String, Expect)> =
        table.into_iter().map(|(t, e)| (t.to_owned(), e)).collect();
    rows.push((format!("/v1.0/scopes?q={}", "y".repeat(4000)), Sent));
    rows.push((format!("/v1.0/scopes?q={}", "y".repeat(20_000)), Refused));
    rows
}

fn reqwest() -> ReqwestTransport {
    ReqwestTransport::new(ReqwestConfig::default()).unwrap()
}

fn client(base: &str, transport: Recorder<ReqwestTransport>) -> AvananClient {
    AvananClient::builder(
        SAMPLE_AVANAN.0,
        SecretKey::new(SAMPLE_AVANAN.1.as_bytes()).unwrap(),
    )
    .base_url(base)
    .transport(transport)
    .retry(Some(RetryPolicy {
        base_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    }))
    .build()
    .unwrap()
}

async fn emulator() -> Emulator {
    Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap()
}

/// How many answers a route gave with `outcome`.
fn count(metrics: &Metrics, route: &str, outcome: &str) -> u64 {
    metrics
        .get(route)
        .and_then(|m| m.get(outcome))
        .copied()
        .unwrap_or(0)
}

fn refusals(metrics: &Metrics) -> u64 {
    metrics.values().filter_map(|m| m.get("401")).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_targets_are_signed_as_sent_or_refused_before_any_token() {
    let emulator = emulator().await;
    for (target, expect) in awkward_targets() {
        // A fresh client per row: a refused target must not even fetch a token.
        let recorder = Recorder::new(reqwest());
        let c = client(&emulator.base_url(), recorder.clone());
        let result = c.send(http::Method::GET, &target, None).await;
        let shown: String = target.chars().take(60).collect();
        match (expect, &result) {
            (Sent, Ok(_)) => {}
            // Authenticated, then no such event: the signature was accepted.
            (Sent, Err(AvananError::Api { status: 404, .. })) => {}
            (Refused, Err(AvananError::Target(_))) => {
                assert!(recorder.requests().is_empty(), "{shown:?} sent something");
            }
            _ => panic!("{shown:?}: expected {expect:?}, got {result:?}"),
        }
        if expect == Sent {
            let sent = recorder.requests();
            assert_eq!(sent.len(), 2, "{shown:?}: /auth, then the request");
            // What was signed is what went out: the emulator checked it, and so do we.
            let wire = sent[1].path_and_query();
            let expected = sigil_reference::avanan_signature(
                sent[1].header("x-av-req-id").unwrap(),
                SAMPLE_AVANAN.0,
                sent[1].header("x-av-date").unwrap(),
                Some(&wire),
                SAMPLE_AVANAN.1,
            );
            assert_eq!(sent[1].header("x-av-sig"), Some(expected.as_str()));
        }
    }
    assert_eq!(refusals(&emulator.metrics()), 0, "{:?}", emulator.metrics());
    emulator.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_requests_are_signed_afresh_and_accepted() {
    let emulator = emulator().await;
    // A proxy answers the first two attempts (of /auth) with 503.
    let recorder = Recorder::new(reqwest()).answer_first(2, 503);
    let c = client(&emulator.base_url(), recorder.clone());
    let scopes = c.scopes().await.unwrap();
    assert_eq!(scopes.len(), 1);
    let sent = recorder.requests();
    assert_eq!(sent.len(), 4);
    let auth = &sent[..3];
    let ids: BTreeSet<_> = auth.iter().map(|r| r.header("x-av-req-id")).collect();
    let sigs: BTreeSet<_> = auth.iter().map(|r| r.header("x-av-sig")).collect();
    let dates: Vec<_> = auth.iter().map(|r| r.header("x-av-date")).collect();
    assert_eq!((ids.len(), sigs.len()), (3, 3));
    assert!(dates[0] < dates[1] && dates[1] < dates[2], "{dates:?}");
    let metrics = emulator.metrics();
    assert_eq!(count(&metrics, "avanan.auth", "200"), 1);
    assert_eq!(count(&metrics, "avanan.scopes", "200"), 1);
    assert_eq!(refusals(&metrics), 0);
    emulator.shutdown().await.unwrap();
}

/// The review's outage: 20 callers with 50 ms deadlines against a 120 ms token endpoint.
/// One token request reaches the emulator, and later callers use the token it cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_that_give_up_do_not_stall_the_token_cache() {
    let emulator = emulator().await;
    let recorder = Recorder::new(reqwest()).delay("/v1.0/auth", Duration::from_millis(120));
    let c = client(&emulator.base_url(), recorder.clone());
    let mut callers = Vec::new();
    for i in 0..20u64 {
        let c = c.clone();
        callers.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(3 * i)).await;
            tokio::time::timeout(Duration::from_millis(50), c.scopes()).await
        }));
    }
    for caller in callers {
        assert!(caller.await.unwrap().is_err(), "nobody can finish in 50 ms");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let scopes = c.scopes().await.unwrap();
    assert_eq!(scopes.len(), 1);
    let metrics = emulator.metrics();
    assert_eq!(count(&metrics, "avanan.auth", "200"), 1, "{metrics:?}");
    emulator.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reqwest_middleware_client_and_signed_http_requests_are_accepted() {
    let emulator = emulator().await;
    let base = emulator.base_url();
    let avanan = client(&base, Recorder::new(reqwest()));
    let http_client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(sigil_avanan::AvananAuth::new(avanan.clone()))
        .build();
    for path in ["/v1.0/scopes", "/v1.0/scopes?name=O'Brien"] {
        let response = http_client
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    let events = http_client
        .post(format!("{base}/v1.0/event/query"))
        .header("content-type", "application/json")
        .body(r#"{"requestData":{"saas":["google_mail"]}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    // A plain http::Request signed in place, sent with reqwest.
    let mut request = http::Request::get(format!("{base}/v1.0/scopes"))
        .body(Vec::<u8>::new())
        .unwrap();
    avanan.authorize(&mut request).await.unwrap();
    assert!(request.headers()["x-av-sig"].is_sensitive());
    let response = reqwest::Client::new()
        .execute(reqwest::Request::try_from(request.map(reqwest::Body::from)).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // A request for another host is refused.
    let mut elsewhere = http::Request::get("http://elsewhere.example/v1.0/scopes")
        .body(Vec::<u8>::new())
        .unwrap();
    assert!(matches!(
        avanan.authorize(&mut elsewhere).await,
        Err(AvananError::Target(_))
    ));
    assert_eq!(refusals(&emulator.metrics()), 0);
    assert_eq!(count(&emulator.metrics(), "avanan.auth", "200"), 1);
    emulator.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorize_signs_what_a_plain_reqwest_client_sends() {
    let emulator = emulator().await;
    let base = emulator.base_url();
    let c = client(&base, Recorder::new(reqwest()));
    let http_client = reqwest::Client::new();
    let mut sent = 0;
    for (target, expect) in awkward_targets() {
        // A target `http` cannot hold as a URI is never a request to sign; a fragment is
        // dropped by `http` itself, so that URI is a plain one.
        if target.contains('#') {
            continue;
        }
        let Ok(mut request) = http::Request::get(format!("{base}{target}")).body(Vec::<u8>::new())
        else {
            continue;
        };
        let given = request.uri().clone();
        let shown: String = target.chars().take(60).collect();
        match (expect, c.authorize(&mut request).await) {
            (Sent, Ok(())) => {
                let wire = reqwest::Request::try_from(request.map(reqwest::Body::from)).unwrap();
                let response = http_client.execute(wire).await.unwrap();
                assert!(
                    matches!(response.status().as_u16(), 200 | 404),
                    "{shown:?}: HTTP {}",
                    response.status()
                );
                sent += 1;
            }
            (Refused, Err(AvananError::Target(_))) => {
                assert_eq!(
                    request.uri(),
                    &given,
                    "{shown:?}: a refused request is untouched"
                );
                assert!(request.headers().is_empty(), "{shown:?}");
            }
            (_, result) => panic!("{shown:?}: expected {expect:?}, got {result:?}"),
        }
    }
    assert!(sent >= 12, "only {sent} requests went out");
    assert_eq!(refusals(&emulator.metrics()), 0, "{:?}", emulator.metrics());
    emulator.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_query_is_repeated_only_when_the_server_did_not_get_or_process_it() {
    use sigil_transport::TransportError;
    // The query moves the server's position in a walk: a repeat after the server acted on
    // it could skip a page. (case, transport, attempts at the query, queries answered)
    let cases: Vec<(&str, Recorder<ReqwestTransport>, usize, u64)> = vec![
        (
            "connection refused",
            reqwest_recorder().refuse_first(1),
            2,
            1,
        ),
        ("HTTP 429", reqwest_recorder().answer_first(1, 429), 2, 1),
        (
            "timeout after the server got it",
            reqwest_recorder()
                .lose_answer_first(1, TransportError::Timeout(Duration::from_secs(9))),
            1,
            1,
        ),
        (
            "connection dropped after the server got it",
            reqwest_recorder().lose_answer_first(1, TransportError::Io("reset".into())),
            1,
            1,
        ),
        ("HTTP 502", reqwest_recorder().answer_first(1, 502), 1, 0),
    ];
    for (case, recorder, attempts, answered) in cases {
        let emulator = emulator().await;
        let c = client(
            &emulator.base_url(),
            recorder.clone().on_path("/v1.0/event"),
        );
        let result = c
            .send(
                http::Method::POST,
                "/v1.0/event/query",
                Some(&serde_json::json!({"requestData": {"pageSize": 5}})),
            )
            .await;
        assert_eq!(result.is_ok(), attempts == 2, "{case}: {result:?}");
        let sent = recorder
            .requests()
            .iter()
            .filter(|r| r.uri.ends_with("/v1.0/event/query"))
            .count();
        assert_eq!(sent, attempts, "{case}");
        assert_eq!(
            count(&emulator.metrics(), "avanan.event.query", "200"),
            answered,
            "{case}"
        );
        emulator.shutdown().await.unwrap();
    }
}

fn reqwest_recorder() -> Recorder<ReqwestTransport> {
    Recorder::new(reqwest())
}
