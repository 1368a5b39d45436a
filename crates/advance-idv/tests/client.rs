//! The ADVANCE client against the scripted transport: every documented code path.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use sigil_advance_idv::{AdvanceClient, AdvanceError};
use sigil_client_core::{ManualClock, RefreshPolicy};
use sigil_models::advance::{PeriodSeconds, Region, ResponseCode};
use sigil_models::idv::{CountryCode, GenerateUrlRequest, IdvCode};
use sigil_signing::SecretKey;
use sigil_transport::{HttpRequest, HttpResponse, RetryPolicy, ScriptedTransport, TransportError};

const NOW_MS: u64 = 1_700_000_000_000;

fn envelope(code: &str, message: &str, data: Value) -> String {
    json!({"code": code, "message": message, "data": data, "extra": null, "transactionId": "tx-1", "pricingStrategy": "FREE"}).to_string()
}

fn token_ok(token: &str, expires_ms: u64) -> String {
    envelope(
        "SUCCESS",
        "OK",
        json!({"token": token, "expiredTime": expires_ms}),
    )
}

fn url_ok() -> String {
    envelope(
        "SUCCESS",
        "OK",
        json!({"signatureId": "sig-1", "url": "https://h5.example/?token=x&signatureId=sig-1", "expiredTime": NOW_MS + 3_600_000}),
    )
}

fn client(transport: &ScriptedTransport, clock: &ManualClock) -> AdvanceClient {
    AdvanceClient::builder(
        "sampleaccesskey",
        SecretKey::new(b"samplesecretkey").unwrap(),
    )
    .base_url("http://advance.test")
    .transport(transport.clone())
    .clock(clock.clone())
    .retry(None)
    .refresh(RefreshPolicy::new(Duration::from_secs(60), 0.0))
    .build()
    .unwrap()
}

fn idv_request() -> GenerateUrlRequest {
    GenerateUrlRequest::new(
        "https://shop.example/ok",
        "https://shop.example/fail",
        &CountryCode::new("IDN").unwrap(),
        Some("u1".into()),
    )
    .unwrap()
}

fn body(r: &sigil_transport::RecordedRequest) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

#[tokio::test]
async fn generate_token_signs_the_current_time() {
    let clock = ManualClock::at_millis(NOW_MS);
    let t = ScriptedTransport::new().respond(200, token_ok("tok", NOW_MS + 120_000));
    let client = AdvanceClient::builder(
        "sampleaccesskey",
        SecretKey::new(b"samplesecretkey").unwrap(),
    )
    .base_url("http://advance.test/")
    .region(Region::India)
    .period(PeriodSeconds::new(120).unwrap())
    .transport(t.clone())
    .clock(clock)
    .retry(None)
    .build()
    .unwrap();
    let data = client.generate_token().await.unwrap();
    assert_eq!(data.token.expose(), "tok");
    let sent = &t.requests()[0];
    assert_eq!(
        sent.uri,
        "http://advance.test/in/openapi/auth/ticket/v1/generate-token"
    );
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        body(sent),
        json!({
            "accessKey": "sampleaccesskey",
            "signature": sigil_reference::advance_signature("sampleaccesskey", "samplesecretkey", NOW_MS),
            "timestamp": NOW_MS,
            "periodSecond": 120,
        })
    );
}

#[tokio::test]
async fn every_region_has_its_token_path() {
    for (region, prefix) in [
        (Region::Indonesia, ""),
        (Region::India, "in/"),
        (Region::Malaysia, "my/"),
        (Region::Philippines, "ph/"),
        (Region::Singapore, "intl/"),
        (Region::Thailand, "th/"),
        (Region::Vietnam, "vn/"),
        (Region::Mexico, "mex/"),
    ] {
        let t = ScriptedTransport::new().respond(200, token_ok("tok", NOW_MS + 1));
        let client = AdvanceClient::builder("ak", SecretKey::new(b"sk").unwrap())
            .region(region)
            .base_url("http://h.test")
            .transport(t.clone())
            .clock(ManualClock::at_millis(NOW_MS))
            .retry(None)
            .build()
            .unwrap();
        client.generate_token().await.unwrap();
        assert_eq!(
            t.requests()[0].uri,
            format!("http://h.test/{prefix}openapi/auth/ticket/v1/generate-token")
        );
    }
}

/// Whether an error is the expected variant.
type IsVariant = fn(&AdvanceError) -> bool;

#[tokio::test]
async fn each_documented_code_maps_to_its_variant() {
    let cases: Vec<(&str, IsVariant)> = vec![
        ("PARAMETER_ERROR", |e| {
            matches!(e, AdvanceError::ParameterError(_))
        }),
        ("ACCOUNT_DISABLED", |e| {
            matches!(e, AdvanceError::AccountDisabled(_))
        }),
        ("CLIENT_ERROR", |e| {
            matches!(e, AdvanceError::ClientError(_))
        }),
        ("REGION_WRONG", |e| {
            matches!(e, AdvanceError::RegionWrong(_))
        }),
        ("SIGNATURE_NOT_EXIST", |e| {
            matches!(e, AdvanceError::SignatureNotExist(_))
        }),
        ("ERROR", |e| matches!(e, AdvanceError::ServerError(_))),
        ("EMPTY_PARAMETER_ERROR", |e| {
            matches!(e, AdvanceError::EmptyParameterError(_))
        }),
        ("INSUFFICIENT_BALANCE", |e| {
            matches!(e, AdvanceError::InsufficientBalance(_))
        }),
        ("SERVICE_BUSY", |e| {
            matches!(e, AdvanceError::ServiceBusy(_))
        }),
        ("OVER_QUERY_LIMIT", |e| {
            matches!(e, AdvanceError::OverQueryLimit(_))
        }),
        ("RETRY_LATER", |e| matches!(e, AdvanceError::RetryLater(_))),
        (
            "BRAND_NEW",
            |e| matches!(e, AdvanceError::UnknownCode { code, .. } if code == "BRAND_NEW"),
        ),
    ];
    for (code, is_variant) in cases {
        // From generate-token.
        let clock = ManualClock::at_millis(NOW_MS);
        let t = ScriptedTransport::new().respond(200, envelope(code, "some message", Value::Null));
        let err = client(&t, &clock).generate_token().await.unwrap_err();
        assert!(is_variant(&err), "{code}: {err:?}");
        assert_eq!(err.code().unwrap().as_str(), code);
        let failure = err.vendor_failure().unwrap();
        assert_eq!(
            (
                failure.message.as_deref(),
                failure.transaction_id.as_deref()
            ),
            (Some("some message"), Some("tx-1"))
        );
        assert!(err.to_string().contains("tx-1"));
        // From an IDV call.
        let t = ScriptedTransport::new()
            .respond(200, token_ok("tok", NOW_MS + 3_600_000))
            .respond(200, envelope(code, "m", Value::Null));
        let err = client(&t, &clock).get_result("sig-1").await.unwrap_err();
        assert!(is_variant(&err), "{code}: {err:?}");
    }
    // IAM_FAILED has its own path (refresh and retry once) and still ends in its variant.
    let clock = ManualClock::at_millis(NOW_MS);
    let iam = envelope("IAM_FAILED", "token expired", Value::Null);
    let t = ScriptedTransport::new()
        .respond(200, token_ok("t1", NOW_MS + 3_600_000))
        .respond(200, iam.clone())
        .respond(200, token_ok("t2", NOW_MS + 3_600_000))
        .respond(200, iam);
    let err = client(&t, &clock).get_result("sig-1").await.unwrap_err();
    assert!(matches!(err, AdvanceError::IamFailed(_)));
    assert_eq!(err.code(), Some(ResponseCode::IamFailed));
    assert_eq!(t.request_count(), 4);
}

#[tokio::test]
async fn iam_failed_refreshes_the_token_once_and_retries() {
    let clock = ManualClock::at_millis(NOW_MS);
    let t = ScriptedTransport::new()
        .respond(200, token_ok("t1", NOW_MS + 3_600_000))
        .respond(200, envelope("IAM_FAILED", "token expired", Value::Null))
        .respond(200, token_ok("t2", NOW_MS + 3_600_000))
        .respond(200, url_ok());
    let data = client(&t, &clock)
        .generate_url(&idv_request())
        .await
        .unwrap();
    assert_eq!(data.signature_id, "sig-1");
    let requests = t.requests();
    assert_eq!(requests[1].header("x-access-token"), Some("t1"));
    assert_eq!(requests[3].header("x-access-token"), Some("t2"));
    assert!(
        requests[3]
            .uri
            .ends_with("/intl/openapi/face-identity/h5-idv/v1/generate-url")
    );
    assert_eq!(
        body(&requests[3]),
        json!({"returnUrl": "https://shop.example/ok", "failReturnUrl": "https://shop.example/fail", "region": "IDN", "userId": "u1"})
    );
}

#[tokio::test]
async fn get_result_parses_the_idv_model() {
    let clock = ManualClock::at_millis(NOW_MS);
    let result = envelope(
        "SUCCESS",
        "OK",
        json!({
            "image": "https://img.example/1.png", "croppedImage": null, "imageType": "MANUAL", "idvCode": "FORGERY_DETECTED",
            "idvResult": {"forgeryLabels": ["pastedPhoto"], "isLowQuality": false}, "ocrCode": "SUCCESS",
            "ocrResult": {"idNumber": "3171", "name": "ADA"}
        }),
    );
    let t = ScriptedTransport::new()
        .respond(200, token_ok("t1", NOW_MS + 3_600_000))
        .respond(200, result);
    let client = client(&t, &clock);
    let data = client.get_result("sig-1").await.unwrap();
    assert_eq!(data.idv_code, Some(IdvCode::ForgeryDetected));
    assert_eq!(data.ocr_result.unwrap().name.as_deref(), Some("ADA"));
    assert_eq!(body(&t.requests()[1]), json!({"signatureId": "sig-1"}));
    // An empty id is refused before anything is sent.
    assert!(matches!(
        client.get_result("").await,
        Err(AdvanceError::InvalidRequest(_))
    ));
    assert_eq!(t.request_count(), 2);
}

fn vendor_server(token_requests: Arc<AtomicUsize>, clock: ManualClock) -> ScriptedTransport {
    ScriptedTransport::from_fn(
        move |req: &HttpRequest| -> Result<HttpResponse, TransportError> {
            let text = if req.uri().path().ends_with("generate-token") {
                let n = token_requests.fetch_add(1, Ordering::SeqCst);
                token_ok(
                    &format!("tok-{n}"),
                    sigil_client_core::unix_millis(sigil_client_core::Clock::now(&clock))
                        + 3_600_000,
                )
            } else {
                url_ok()
            };
            Ok(http::Response::new(Bytes::from(text)))
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_make_one_token_request() {
    let clock = ManualClock::at_millis(NOW_MS);
    let tokens = Arc::new(AtomicUsize::new(0));
    let t = vendor_server(tokens.clone(), clock.clone());
    let client = client(&t, &clock);
    let request = Arc::new(idv_request());
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let (client, request) = (client.clone(), request.clone());
        tasks.push(tokio::spawn(
            async move { client.generate_url(&request).await },
        ));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(tokens.load(Ordering::SeqCst), 1);
    assert_eq!(t.request_count(), 1001);
    assert!(
        t.requests()
            .iter()
            .skip(1)
            .all(|r| r.header("x-access-token") == Some("tok-0"))
    );
}

#[tokio::test]
async fn token_is_refreshed_shortly_before_expiry() {
    let clock = ManualClock::at_millis(NOW_MS);
    let tokens = Arc::new(AtomicUsize::new(0));
    let t = vendor_server(tokens.clone(), clock.clone());
    let client = client(&t, &clock);
    assert_eq!(client.access_token().await.unwrap().expose(), "tok-0");
    assert_eq!(
        client.cached_token_expiry(),
        Some(std::time::UNIX_EPOCH + Duration::from_millis(NOW_MS + 3_600_000))
    );
    clock.advance(Duration::from_secs(3600 - 61));
    assert_eq!(client.access_token().await.unwrap().expose(), "tok-0");
    clock.advance(Duration::from_secs(2));
    // Due: the still valid token is served while a detached fetch replaces it.
    assert_eq!(client.access_token().await.unwrap().expose(), "tok-0");
    let mut fresh = String::new();
    for _ in 0..100 {
        tokio::task::yield_now().await;
        fresh = client.access_token().await.unwrap().expose().to_owned();
        if fresh == "tok-1" {
            break;
        }
    }
    assert_eq!(fresh, "tok-1");
    assert_eq!(tokens.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn timestamp_error_measures_the_offset_from_date_and_retries_once() {
    let clock = ManualClock::at_millis(NOW_MS);
    let server_time = std::time::UNIX_EPOCH + Duration::from_millis(NOW_MS + 3_600_000);
    let rejected = http::Response::builder()
        .header("date", httpdate::fmt_http_date(server_time))
        .body(Bytes::from(envelope(
            "PARAMETER_ERROR",
            "Timestamp error",
            Value::Null,
        )))
        .unwrap();
    let t = ScriptedTransport::new()
        .respond_with(rejected)
        .respond(200, token_ok("tok", NOW_MS + 7_200_000));
    let first = client(&t, &clock);
    first.access_token().await.unwrap();
    let second = body(&t.requests()[1]);
    let ts = second["timestamp"].as_u64().unwrap();
    assert_eq!(ts, NOW_MS + 3_600_000);
    assert_eq!(
        second["signature"],
        sigil_reference::advance_signature("sampleaccesskey", "samplesecretkey", ts)
    );
    // No Date on the answer: the lifetime is the period asked for (3600 s), from the local
    // start of the fetch.
    assert_eq!(
        first.cached_token_expiry(),
        Some(std::time::UNIX_EPOCH + Duration::from_millis(NOW_MS + 3_600_000))
    );

    // Only once: a second Timestamp error is returned.
    let again = http::Response::builder()
        .header("date", httpdate::fmt_http_date(server_time))
        .body(Bytes::from(envelope(
            "PARAMETER_ERROR",
            "Timestamp error",
            Value::Null,
        )))
        .unwrap();
    let t = ScriptedTransport::new()
        .respond_with(again.clone())
        .respond_with(again);
    let err = client(&t, &clock).generate_token().await.unwrap_err();
    assert!(
        matches!(err, AdvanceError::ParameterError(ref f) if f.message.as_deref() == Some("Timestamp error"))
    );
    assert_eq!(t.request_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn service_busy_is_retried_with_backoff() {
    let clock = ManualClock::at_millis(NOW_MS);
    let t = ScriptedTransport::new()
        .respond(200, envelope("SERVICE_BUSY", "busy", Value::Null))
        .respond(429, envelope("SERVICE_BUSY", "busy", Value::Null))
        .respond(200, token_ok("tok", NOW_MS + 3_600_000));
    let client = AdvanceClient::builder("ak", SecretKey::new(b"sk").unwrap())
        .base_url("http://advance.test")
        .transport(t.clone())
        .clock(clock)
        .retry(Some(RetryPolicy::default()))
        .build()
        .unwrap();
    assert_eq!(client.generate_token().await.unwrap().token.expose(), "tok");
    assert_eq!(t.request_count(), 3);
}

#[tokio::test]
async fn non_envelope_answers_are_typed_errors() {
    let clock = ManualClock::at_millis(NOW_MS);
    let t = ScriptedTransport::new().respond(502, "<html>bad gateway</html>");
    assert!(matches!(
        client(&t, &clock).generate_token().await,
        Err(AdvanceError::Http { status: 502, .. })
    ));
    let t = ScriptedTransport::new().respond(200, "not json");
    assert!(matches!(
        client(&t, &clock).generate_token().await,
        Err(AdvanceError::Decode(_))
    ));
    let t = ScriptedTransport::new().fail(TransportError::Connect("refused".into()));
    assert!(matches!(
        client(&t, &clock).generate_token().await,
        Err(AdvanceError::Transport(TransportError::Connect(_)))
    ));
}

#[tokio::test]
async fn debug_shows_no_secret_or_token() {
    let clock = ManualClock::at_millis(NOW_MS);
    let t =
        ScriptedTransport::new().respond(200, token_ok("SECRET-TOKEN-VALUE", NOW_MS + 3_600_000));
    let client = client(&t, &clock);
    let token = client.access_token().await.unwrap();
    let shown = format!("{client:?} {token:?}");
    assert!(
        !shown.contains("samplesecretkey") && !shown.contains("SECRET-TOKEN-VALUE"),
        "{shown}"
    );
    let builder = AdvanceClient::builder("ak", SecretKey::new(b"samplesecretkey").unwrap());
    assert!(!format!("{builder:?}").contains("samplesecretkey"));
}

#[tokio::test]
async fn bad_configuration_is_refused() {
    let t = ScriptedTransport::new();
    let bad_url = AdvanceClient::builder("ak", SecretKey::new(b"sk").unwrap())
        .base_url("advance.test")
        .transport(t.clone())
        .build();
    assert!(matches!(bad_url, Err(AdvanceError::Target(_))));
    let no_key = AdvanceClient::builder(" ", SecretKey::new(b"sk").unwrap())
        .transport(t)
        .build();
    assert!(matches!(no_key, Err(AdvanceError::InvalidRequest(_))));
}

fn dated(date: std::time::SystemTime, body: String) -> HttpResponse {
    http::Response::builder()
        .header("date", httpdate::fmt_http_date(date))
        .body(Bytes::from(body))
        .unwrap()
}

#[tokio::test]
async fn the_lifetime_is_expired_time_minus_the_servers_date() {
    let clock = ManualClock::at_millis(NOW_MS);
    // The server's clock is two hours ahead; its token lives 600 s.
    let server_now = std::time::UNIX_EPOCH + Duration::from_millis(NOW_MS + 7_200_000);
    let t = ScriptedTransport::new().respond_with(dated(
        server_now,
        token_ok("tok", NOW_MS + 7_200_000 + 600_000),
    ));
    let c = client(&t, &clock);
    c.access_token().await.unwrap();
    assert_eq!(
        c.cached_token_expiry(),
        Some(std::time::UNIX_EPOCH + Duration::from_millis(NOW_MS + 600_000))
    );
}

#[tokio::test]
async fn a_date_from_another_era_is_not_believed() {
    let clock = ManualClock::at_millis(NOW_MS);
    let timestamp_error = || envelope("PARAMETER_ERROR", "Timestamp error", Value::Null);
    for wild in [
        std::time::UNIX_EPOCH,
        std::time::UNIX_EPOCH + Duration::from_secs(253_402_300_799),
    ] {
        let t = ScriptedTransport::new()
            .respond_with(dated(wild, timestamp_error()))
            .respond(200, token_ok("tok", NOW_MS + 3_600_000));
        let c = client(&t, &clock);
        // The wild Date is ignored: the error is returned, not retried with a bogus offset.
        assert!(matches!(
            c.generate_token().await,
            Err(AdvanceError::ParameterError(_))
        ));
        assert_eq!(t.request_count(), 1);
        // The client is not disabled: the next call signs the local time and succeeds.
        c.generate_token().await.unwrap();
        assert_eq!(body(&t.requests()[1])["timestamp"], NOW_MS);
    }
}

#[tokio::test]
async fn an_offset_that_does_not_help_is_dropped() {
    let clock = ManualClock::at_millis(NOW_MS);
    let ahead = std::time::UNIX_EPOCH + Duration::from_millis(NOW_MS + 1_800_000);
    let error = || {
        dated(
            ahead,
            envelope("PARAMETER_ERROR", "Timestamp error", Value::Null),
        )
    };
    let t = ScriptedTransport::new()
        .respond_with(error())
        .respond_with(error())
        .respond(200, token_ok("tok", NOW_MS + 3_600_000));
    let c = client(&t, &clock);
    assert!(c.generate_token().await.is_err());
    c.generate_token().await.unwrap();
    let sent: Vec<u64> = t
        .requests()
        .iter()
        .map(|r| body(r)["timestamp"].as_u64().unwrap())
        .collect();
    assert_eq!(sent, [NOW_MS, NOW_MS + 1_800_000, NOW_MS]);
}

#[tokio::test]
async fn tokens_and_messages_from_the_server_are_bounded() {
    let clock = ManualClock::at_millis(NOW_MS);
    for bad in [
        "".to_owned(),
        "has space".to_owned(),
        "x".repeat(5000),
        "line\nbreak".to_owned(),
    ] {
        let t = ScriptedTransport::new().respond(200, token_ok(&bad, NOW_MS + 3_600_000));
        let err = client(&t, &clock).access_token().await.unwrap_err();
        assert!(matches!(err, AdvanceError::Decode(_)), "{err:?}");
        assert!(!err.to_string().contains("xxxxxxxxxx"), "{err}");
    }
    let huge = "m".repeat(1_000_000);
    let t = ScriptedTransport::new().respond(200, envelope("ACCOUNT_DISABLED", &huge, Value::Null));
    let err = client(&t, &clock).generate_token().await.unwrap_err();
    assert!(
        err.to_string().len() < 400,
        "{} bytes",
        err.to_string().len()
    );
    let t = ScriptedTransport::new().respond(502, huge.clone());
    let err = client(&t, &clock).generate_token().await.unwrap_err();
    assert!(format!("{err:?}").len() < 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_the_server_declares_expired_is_expired_on_arrival() {
    let clock = ManualClock::at_millis(NOW_MS);
    let server_now = std::time::UNIX_EPOCH + Duration::from_millis(NOW_MS);
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    // expiredTime at, then before, the response's Date: expired on arrival.
    let t = ScriptedTransport::from_fn(move |_: &HttpRequest| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let expires = if n == 0 { NOW_MS } else { NOW_MS - 5_000 };
        Ok(dated(server_now, token_ok(&format!("tok-{n}"), expires)))
    });
    let c = client(&t, &clock);
    // One fetch for every waiter.
    let waiters: Vec<_> = (0..50)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.access_token().await })
        })
        .collect();
    for w in waiters {
        assert_eq!(w.await.unwrap().unwrap().expose(), "tok-0");
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    // Cached for the minimum lifetime only (10 s), never the requested hour.
    let expiry = c.cached_token_expiry().unwrap();
    assert!(
        expiry <= sigil_client_core::Clock::now(&clock) + Duration::from_secs(10),
        "{expiry:?}"
    );
    clock.advance(Duration::from_secs(11));
    assert_eq!(c.access_token().await.unwrap().expose(), "tok-1");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_refused_token_can_be_dropped_by_value() {
    let clock = ManualClock::at_millis(NOW_MS);
    let tokens = Arc::new(AtomicUsize::new(0));
    let t = vendor_server(tokens.clone(), clock.clone());
    let c = client(&t, &clock);
    let first = c.access_token().await.unwrap();
    // A token that is no longer the cached one is left alone.
    c.invalidate_token(&sigil_models::AccessToken::new("not-cached"));
    assert_eq!(c.access_token().await.unwrap(), first);
    c.invalidate_token(&first);
    let second = c.access_token().await.unwrap();
    assert_ne!(second, first);
    assert_eq!(tokens.load(Ordering::SeqCst), 2);
}
