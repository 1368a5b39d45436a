//! The AET client against the scripted transport.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use bytes::Bytes;
use serde_json::{Value, json};
use sigil_aet::{AetClient, AetError, Multipart};
use sigil_client_core::{ManualClock, SequentialIds};
use sigil_signing::SecretKey;
use sigil_signing::aet::QueryPolicy;
use sigil_transport::{RecordedRequest, ScriptedTransport, TransportError};

const NOW_MS: u64 = 1_700_000_000_123;
const SECRET: &str = "aet-sample-secret";

fn client(t: &ScriptedTransport) -> AetClient {
    AetClient::builder("api-token-1", SecretKey::new(SECRET.as_bytes()).unwrap())
        .base_url("http://aet.test/")
        .clock(ManualClock::at_millis(NOW_MS))
        .boundaries(SequentialIds::default())
        .transport(t.clone())
        .retry(None)
        .build()
        .unwrap()
}

fn assert_signed(r: &RecordedRequest, method: &str, path: &str, body: Option<&[u8]>) {
    assert_eq!(r.header("timestamp"), Some(NOW_MS.to_string().as_str()));
    assert_eq!(r.header("authorization"), Some("Bearer api-token-1"));
    assert_eq!(r.header("accept"), Some("application/json"));
    let expected = sigil_reference::aet_signature(SECRET.as_bytes(), NOW_MS, method, path, body);
    assert_eq!(r.header("signature"), Some(expected.as_str()));
}

#[tokio::test]
async fn json_helpers_sign_and_decode() {
    let t = ScriptedTransport::new()
        .respond(201, r#"{"id":"u1","name":"Ada"}"#)
        .respond(200, r#"{"id":"u1","name":"Ada"}"#)
        .respond(200, r#"{"id":"u1","name":"Ada L."}"#)
        .respond(204, "");
    let c = client(&t);
    let created: Value = c.post("/v3/users", &json!({"name": "Ada"})).await.unwrap();
    assert_eq!(created["id"], "u1");
    let _: Value = c.get("/v3/users/u1?expand=accounts").await.unwrap();
    let _: Value = c
        .put("/v3/users/u1", &json!({"name": "Ada L."}))
        .await
        .unwrap();
    let deleted: Value = c.delete("/v3/users/u1").await.unwrap();
    assert_eq!(deleted, Value::Null);

    let r = t.requests();
    assert_eq!(
        (r[0].method.as_str(), r[0].uri.as_str()),
        ("POST", "http://aet.test/v3/users")
    );
    assert_eq!(r[0].header("content-type"), Some("application/json"));
    assert_signed(&r[0], "POST", "v3/users", Some(br#"{"name":"Ada"}"#));
    assert_eq!(r[0].body.as_ref(), br#"{"name":"Ada"}"#);
    // The query string is sent but not signed (the default policy).
    assert_eq!(r[1].uri, "http://aet.test/v3/users/u1?expand=accounts");
    assert_signed(&r[1], "GET", "v3/users/u1", None);
    assert_signed(&r[2], "PUT", "v3/users/u1", Some(br#"{"name":"Ada L."}"#));
    assert_signed(&r[3], "DELETE", "v3/users/u1", None);
}

#[tokio::test]
async fn query_can_be_signed() {
    let t = ScriptedTransport::new().respond(200, "[]");
    let c = AetClient::builder("api-token-1", SecretKey::new(SECRET.as_bytes()).unwrap())
        .base_url("http://aet.test")
        .clock(ManualClock::at_millis(NOW_MS))
        .query_policy(QueryPolicy::Include)
        .transport(t.clone())
        .retry(None)
        .build()
        .unwrap();
    let _: Value = c.get("/v3/users?page=2").await.unwrap();
    assert_signed(&t.requests()[0], "GET", "v3/users?page=2", None);
}

#[tokio::test]
async fn multipart_upload_is_signed_with_an_empty_body() {
    let t = ScriptedTransport::new().respond(201, r#"{"documentId":"d1"}"#);
    let form = Multipart::new().text("kind", "passport").file(
        "file",
        "scan.png",
        "image/png",
        Bytes::from_static(b"\x89PNG..."),
    );
    let answer: Value = client(&t).upload("/v3/documents", &form).await.unwrap();
    assert_eq!(answer["documentId"], "d1");
    let r = &t.requests()[0];
    assert_signed(r, "POST", "v3/documents", Some(b""));
    let boundary = "sigil-00000000-0000-4000-8000-000000000001";
    assert_eq!(
        r.header("content-type"),
        Some(format!("multipart/form-data; boundary={boundary}").as_str())
    );
    let mut expected = Vec::new();
    expected.extend_from_slice(
        format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"kind\"\r\n\r\npassport\r\n"
        )
        .as_bytes(),
    );
    expected.extend_from_slice(format!("--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"scan.png\"\r\ncontent-type: image/png\r\n\r\n").as_bytes());
    expected.extend_from_slice(b"\x89PNG...\r\n");
    expected.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    assert_eq!(r.body.as_ref(), expected.as_slice());
}

#[tokio::test]
async fn errors_carry_status_and_body() {
    let t = ScriptedTransport::new()
        .respond(
            401,
            r#"{"error":"invalid_signature","message":"signature mismatch"}"#,
        )
        .respond(500, "upstream exploded")
        .respond(200, "not json")
        .fail(TransportError::Connect("refused".into()));
    let c = client(&t);
    let err = c.get::<Value>("/v3/users").await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    match &err {
        AetError::Api {
            body: Some(body), ..
        } => assert_eq!(body.error.as_deref(), Some("invalid_signature")),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("invalid_signature"));
    let err = c.get::<Value>("/v3/users").await.unwrap_err();
    assert!(
        matches!(err, AetError::Api { status: 500, body: None, ref raw } if raw == "upstream exploded")
    );
    assert!(matches!(
        c.get::<Value>("/v3/users").await,
        Err(AetError::Decode(_))
    ));
    assert!(matches!(
        c.get::<Value>("/v3/users").await,
        Err(AetError::Transport(_))
    ));
    assert!(matches!(
        c.get::<Value>("v3/users").await,
        Err(AetError::Target(_))
    ));
}

#[tokio::test]
async fn signed_request_for_any_method() {
    let t = ScriptedTransport::new().respond(200, "{}");
    let c = client(&t);
    let body = Some(Bytes::from_static(b"{\"a\":1}"));
    let request = c
        .signed_request(http::Method::PATCH, "/v3/users/u1", body.clone())
        .unwrap();
    assert!(request.headers()["signature"].is_sensitive());
    assert!(request.headers()["authorization"].is_sensitive());
    let response = c
        .send(http::Method::PATCH, "/v3/users/u1", body)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_signed(&t.requests()[0], "PATCH", "v3/users/u1", Some(b"{\"a\":1}"));
}

#[test]
fn debug_shows_no_secret_or_token() {
    let t = ScriptedTransport::new();
    let c = client(&t);
    let shown = format!("{c:?}");
    assert!(
        !shown.contains(SECRET) && !shown.contains("api-token-1"),
        "{shown}"
    );
    let b = AetClient::builder("api-token-1", SecretKey::new(SECRET.as_bytes()).unwrap());
    assert!(!format!("{b:?}").contains("api-token-1"));
}

#[test]
fn bad_configuration_and_forms_are_refused() {
    let t = ScriptedTransport::new();
    let bad = AetClient::builder("tok", SecretKey::new(b"s").unwrap())
        .base_url("aet.test")
        .transport(t.clone())
        .build();
    assert!(matches!(bad, Err(AetError::Target(_))));
    let with_path = AetClient::builder("tok", SecretKey::new(b"s").unwrap())
        .base_url("https://sandbox.aet.dev/v3")
        .transport(t.clone())
        .build();
    assert!(matches!(with_path, Err(AetError::Target(_))));
    let empty = AetClient::builder("", SecretKey::new(b"s").unwrap())
        .transport(t)
        .build();
    assert!(matches!(empty, Err(AetError::Config(_))));
    assert!(Multipart::new().text("a\"b", "x").encode("B").is_err());
    assert!(
        Multipart::new()
            .text("a", "--B inside")
            .encode("B")
            .is_err()
    );
}

#[test]
fn errors_read_the_same_in_debug_as_in_display() {
    let err = AetError::Api {
        status: 404,
        body: None,
        raw: sigil_transport::excerpt(br#"{"error":"not_found","message":"no "users" item"}"#, 200),
    };
    let debug = format!("{err:?}");
    assert_eq!(debug, format!("AetError({err})"));
    assert!(!debug.contains("\\\""), "escaped twice: {debug}");
}
