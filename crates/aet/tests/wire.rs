//! The AET client through the real reqwest transport against the real emulator over
//! loopback: awkward targets are signed exactly as sent (or refused before sending), and
//! retries are signed afresh.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::time::Duration;

use serde_json::Value;
use sigil_aet::{AetClient, AetError};
use sigil_emulator::{Emulator, EmulatorConfig, SAMPLE_AET};
use sigil_signing::SecretKey;
use sigil_signing::aet::QueryPolicy;
use sigil_transport::{
    Recorder, ReqwestConfig, ReqwestTransport, RetryPolicy, Timeouts, TransportError,
};

/// Whether a target goes out, or is refused before anything is sent.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Sent,
    Refused,
}
use Expect::{Refused, Sent};

fn awkward_targets() -> Vec<(String, Expect)> {
    let long_query = format!("/v3/users?q={}", "x".repeat(4000));
    let too_long = format!("/v3/users?q={}", "x".repeat(20_000));
    let table: Vec<(&str, Expect)> = vec![
        ("/v3/users", Sent),
        ("/v3/users?name=O'Brien", Sent),
        ("/v3/users/O'Brien", Sent),
        ("/v3/users/{id}", Sent),
        ("/v3/users/a b", Sent),
        ("/v3/users?name=a b", Sent),
        ("/v3/users/a%2Fb", Sent),
        ("/v3/users/%C3%A9t%C3%A9", Sent),
        ("/v3/users/été", Sent),
        ("/v3/users?city=Zürich", Sent),
        ("/v3/users?q=a+b", Sent),
        ("/v3/users?a=b=c", Sent),
        ("/v3/users?a=1&&b=2", Sent),
        ("/v3/users?", Sent),
        ("/v3/users?x=[1]&y=|^`", Sent),
        ("/v3/users?name=%27quoted%27", Sent),
        ("/v3/users/../users", Refused),
        ("/v3/./users", Refused),
        ("/v3/users/%2e%2e/x", Refused),
        ("/v3\\users", Refused),
        ("/v3/users#fragment", Refused),
        ("/v3/users?x=1\n", Refused),
        ("v3/users", Refused),
        ("@evil.example/v3/users", Refused),
        (".evil.example/v3/users", Refused),
        ("//evil.example/v3/users", Refused),
    ];
    let mut rows: Vec<(String, Expect)> =
        table.into_iter().map(|(t, e)| (t.to_owned(), e)).collect();
    rows.push((long_query, Sent));
    rows.push((too_long, Refused));
    rows
}

fn reqwest() -> ReqwestTransport {
    ReqwestTransport::new(ReqwestConfig::default()).unwrap()
}

fn client(base: &str, query: QueryPolicy, transport: Recorder<ReqwestTransport>) -> AetClient {
    AetClient::builder(
        SAMPLE_AET.0,
        SecretKey::new(SAMPLE_AET.1.as_bytes()).unwrap(),
    )
    .base_url(base)
    .query_policy(query)
    .transport(transport)
    .build()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_targets_are_signed_as_sent_or_refused_before_sending() {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    for policy in [QueryPolicy::Exclude, QueryPolicy::Include] {
        let recorder = Recorder::new(reqwest());
        let c = client(&emulator.base_url(), policy, recorder.clone());
        for (target, expect) in awkward_targets() {
            let before = recorder.requests().len();
            let result = c.get::<Value>(&target).await;
            let shown: String = target.chars().take(60).collect();
            match (expect, &result) {
                (Sent, Ok(_)) => {}
                // Authenticated, then no such item: the signature was accepted.
                (Sent, Err(AetError::Api { status: 404, .. })) => {}
                (Refused, Err(AetError::Target(e))) => {
                    assert_eq!(recorder.requests().len(), before, "{shown:?} was sent");
                    assert!(!e.to_string().is_empty());
                }
                _ => panic!("{policy:?} {shown:?}: expected {expect:?}, got {result:?}"),
            }
            if expect == Sent {
                assert_eq!(recorder.requests().len(), before + 1, "{shown:?}");
            }
        }
    }
    // Nothing the table sent was refused by the emulator's authentication.
    let metrics = emulator.metrics();
    assert!(
        !metrics.contains_key("aet.auth"),
        "authentication failures: {metrics:?}"
    );
    emulator.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_request_is_signed_afresh_and_accepted() {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    // A proxy in front of the emulator answers the first two attempts with 503.
    let recorder = Recorder::new(reqwest()).answer_first(2, 503);
    let c = AetClient::builder(
        SAMPLE_AET.0,
        SecretKey::new(SAMPLE_AET.1.as_bytes()).unwrap(),
    )
    .base_url(emulator.base_url())
    .transport(recorder.clone())
    .retry(Some(RetryPolicy {
        base_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    }))
    .build()
    .unwrap();
    let users: Value = c.get("/v3/users?name=O'Brien").await.unwrap();
    assert!(users.is_object());
    let sent = recorder.requests();
    assert_eq!((sent.len(), recorder.forwarded()), (3, 1));
    let stamps: Vec<_> = sent.iter().map(|r| r.header("timestamp")).collect();
    let signatures: Vec<_> = sent.iter().map(|r| r.header("signature")).collect();
    assert!(stamps[0] < stamps[1] && stamps[1] < stamps[2], "{stamps:?}");
    assert!(signatures[0] != signatures[1] && signatures[1] != signatures[2]);
    // A POST is not repeated: the proxy's 503 is final.
    let recorder = Recorder::new(reqwest()).answer_first(1, 503);
    let c = client(&emulator.base_url(), QueryPolicy::Exclude, recorder.clone());
    let err = c
        .post::<_, Value>("/v3/users", &serde_json::json!({"firstName": "Ada"}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(recorder.requests().len(), 1);
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_server_that_never_answers_cannot_hold_the_caller() {
    // A listener that accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let c = AetClient::builder("tok", SecretKey::new(b"secret").unwrap())
        .base_url(format!("http://{addr}"))
        .timeouts(Timeouts {
            attempt: Duration::from_millis(300),
            operation: Duration::from_millis(800),
            ..Timeouts::default()
        })
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = c.get::<Value>("/v3/users").await.unwrap_err();
    assert!(
        matches!(
            err,
            AetError::Transport(TransportError::OperationTimeout(_) | TransportError::Timeout(_))
        ),
        "{err:?}"
    );
    // Generous: the 800 ms deadline, not minutes.
    assert!(started.elapsed() < Duration::from_secs(5));
    holder.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reqwest_middleware_client_signs_requests_the_emulator_accepts() {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    let base = emulator.base_url();
    for policy in [QueryPolicy::Exclude, QueryPolicy::Include] {
        let signer = sigil_aet::AetRequestSigner::new(
            SAMPLE_AET.0,
            &SecretKey::new(SAMPLE_AET.1.as_bytes()).unwrap(),
        )
        .unwrap()
        .query_policy(policy);
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(signer)
            .build();
        let created = client
            .post(format!("{base}/v3/users"))
            .body(r#"{"firstName":"Ada","email":"ada@example.com"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let listed = client
            .get(format!("{base}/v3/users?name=O'Brien&page=1"))
            .send()
            .await
            .unwrap();
        assert_eq!(listed.status(), 200, "{policy:?}");
    }
    // A signed plain http::Request, sent with another stack (here reqwest, from the parts).
    let signer = sigil_aet::AetRequestSigner::new(
        SAMPLE_AET.0,
        &SecretKey::new(SAMPLE_AET.1.as_bytes()).unwrap(),
    )
    .unwrap();
    let mut request = http::Request::get(format!("{base}/v3/users?x=1"))
        .body(Vec::new())
        .unwrap();
    signer.sign(&mut request).unwrap();
    let response = reqwest::Client::new()
        .execute(reqwest::Request::try_from(request.map(reqwest::Body::from)).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(!emulator.metrics().contains_key("aet.auth"));
    emulator.shutdown().await.unwrap();
}

/// One sign-in-place entry point, applied to a request.
type EntryPoint<'a> = Box<dyn Fn(http::Request<Vec<u8>>) -> Signed + 'a>;

/// What one sign-in-place entry point did with a request.
enum Signed {
    /// The request (its URI rewritten to the wire form) is ready to send.
    Ready(http::Request<Vec<u8>>),
    /// Refused before signing.
    Refused(AetError),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sign_in_place_entry_point_signs_what_a_plain_reqwest_client_sends() {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    let base = emulator.base_url();
    let http_client = reqwest::Client::new();
    let mut checked = 0;
    for policy in [QueryPolicy::Exclude, QueryPolicy::Include] {
        let signer = sigil_aet::AetRequestSigner::new(
            SAMPLE_AET.0,
            &SecretKey::new(SAMPLE_AET.1.as_bytes()).unwrap(),
        )
        .unwrap()
        .query_policy(policy);
        for (target, expect) in awkward_targets() {
            // A target `http` cannot hold as a URI is never a request to sign; a fragment is
            // dropped by `http` itself, so that URI is a plain one.
            if target.contains('#') {
                continue;
            }
            let Ok(request) = http::Request::get(format!("{base}{target}")).body(Vec::<u8>::new())
            else {
                continue;
            };
            let given = request.uri().clone();
            let entry_points: [(&str, EntryPoint<'_>); 2] = [
                (
                    "sign",
                    Box::new(|mut request| match signer.sign(&mut request) {
                        Ok(()) => Signed::Ready(request),
                        Err(e) => Signed::Refused(e),
                    }),
                ),
                (
                    "sign_parts",
                    Box::new(|request| {
                        let (mut parts, body) = request.into_parts();
                        match signer.sign_parts(&mut parts, &body) {
                            Ok(()) => Signed::Ready(http::Request::from_parts(parts, body)),
                            Err(e) => Signed::Refused(e),
                        }
                    }),
                ),
            ];
            for (name, entry_point) in &entry_points {
                let mut copy = http::Request::get(given.clone()).body(Vec::new()).unwrap();
                *copy.headers_mut() = request.headers().clone();
                let shown: String = target.chars().take(60).collect();
                match (expect, entry_point(copy)) {
                    (Sent, Signed::Ready(signed)) => {
                        let wire =
                            reqwest::Request::try_from(signed.map(reqwest::Body::from)).unwrap();
                        let response = http_client.execute(wire).await.unwrap();
                        assert!(
                            matches!(response.status().as_u16(), 200 | 404),
                            "{name} {policy:?} {shown:?}: HTTP {}",
                            response.status()
                        );
                        checked += 1;
                    }
                    (Refused, Signed::Refused(AetError::Target(_))) => {}
                    (_, Signed::Ready(signed)) => {
                        panic!("{name} {policy:?} {shown:?}: signed as {}", signed.uri())
                    }
                    (_, Signed::Refused(e)) => panic!("{name} {policy:?} {shown:?}: {e:?}"),
                }
            }
        }
    }
    assert!(checked >= 30, "only {checked} requests went out");
    let metrics = emulator.metrics();
    assert!(
        !metrics.contains_key("aet.auth"),
        "authentication failures: {metrics:?}"
    );
    emulator.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_is_repeated_only_when_the_server_did_not_get_or_process_it() {
    // (case, transport in front of the emulator, attempts, objects the server created)
    let cases: Vec<(&str, Recorder<ReqwestTransport>, usize, u64)> = vec![
        (
            "connection refused",
            Recorder::new(reqwest()).refuse_first(1),
            2,
            1,
        ),
        (
            "HTTP 429",
            Recorder::new(reqwest()).answer_first(1, 429),
            2,
            1,
        ),
        (
            "timeout after the server got it",
            Recorder::new(reqwest())
                .lose_answer_first(1, TransportError::Timeout(Duration::from_secs(10))),
            1,
            1,
        ),
        (
            "connection dropped after the server got it",
            Recorder::new(reqwest())
                .lose_answer_first(1, TransportError::Io("connection reset".into())),
            1,
            1,
        ),
        (
            "HTTP 500",
            Recorder::new(reqwest()).answer_first(1, 500),
            1,
            0,
        ),
    ];
    for (case, recorder, attempts, created) in cases {
        let emulator = Emulator::start_local(EmulatorConfig::default())
            .await
            .unwrap();
        let c = client(&emulator.base_url(), QueryPolicy::Exclude, recorder.clone());
        let result = c
            .post::<_, Value>("/v3/users", &serde_json::json!({"firstName": "Ada"}))
            .await;
        assert_eq!(result.is_ok(), attempts == 2, "{case}: {result:?}");
        assert_eq!(recorder.requests().len(), attempts, "{case}");
        let held = emulator.metrics()["held"]["aet_objects"];
        assert_eq!(held, created, "{case}: objects the server created");
        emulator.shutdown().await.unwrap();
    }
}
