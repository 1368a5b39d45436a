//! The Avanan client against the scripted transport.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use serde_json::json;
use sigil_avanan::{AvananClient, AvananError, DateFormat, PagingError, encode_path_segment};
use sigil_client_core::{ManualClock, RefreshPolicy, SequentialIds};
use sigil_models::avanan::EventQuery;
use sigil_signing::SecretKey;
use sigil_transport::{
    HttpRequest, HttpResponse, RecordedRequest, ScriptedTransport, TransportError,
};

const NOW_S: u64 = 1_795_458_295;
const APP: &str = "US:myapp29";
const SECRET: &str = "my_avanan_secret";

fn jwt(exp: u64, n: usize) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.sig{n}",
        b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64.encode(json!({"sub": APP, "iat": NOW_S, "exp": exp}).to_string())
    )
}

fn clock() -> ManualClock {
    ManualClock::new(UNIX_EPOCH + Duration::from_micros(NOW_S * 1_000_000 + 940_446))
}

fn client(t: &ScriptedTransport, clock: &ManualClock) -> AvananClient {
    AvananClient::builder(APP, SecretKey::new(SECRET.as_bytes()).unwrap())
        .base_url("http://avanan.test")
        .clock(clock.clone())
        .request_ids(SequentialIds::default())
        .transport(t.clone())
        .retry(None)
        .refresh(RefreshPolicy::new(Duration::from_secs(60), 0.0))
        .build()
        .unwrap()
}

fn envelope(data: serde_json::Value, scroll: &str) -> String {
    json!({"responseEnvelope": {"requestId": "r", "responseCode": 200, "responseText": "OK", "additionalText": "", "recordsNumber": data.as_array().map_or(0, Vec::len), "scrollId": scroll}, "responseData": data}).to_string()
}

fn assert_signed(r: &RecordedRequest, request_string: Option<&str>) {
    let (id, date) = (
        r.header("x-av-req-id").unwrap(),
        r.header("x-av-date").unwrap(),
    );
    assert_eq!(r.header("x-av-app-id"), Some(APP));
    let expected = sigil_reference::avanan_signature(id, APP, date, request_string, SECRET);
    assert_eq!(r.header("x-av-sig"), Some(expected.as_str()));
}

#[tokio::test]
async fn auth_sends_the_five_headers_and_reads_exp() {
    let clock = clock();
    let token = jwt(NOW_S + 3600, 0);
    let t = ScriptedTransport::new().respond(200, token.clone());
    let auth = client(&t, &clock).auth().await.unwrap();
    assert_eq!(auth.token.expose(), token);
    assert_eq!(auth.lifetime, Duration::from_secs(3600));
    assert_eq!(
        auth.expires_at,
        sigil_client_core::Clock::now(&clock) + Duration::from_secs(3600)
    );
    let r = &t.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.uri.as_str()),
        ("GET", "http://avanan.test/v1.0/auth")
    );
    assert_eq!(
        r.header("x-av-req-id"),
        Some("00000000-0000-4000-8000-000000000001")
    );
    assert_eq!(r.header("x-av-token"), Some(""));
    assert_eq!(r.header("x-av-date"), Some("2026-11-23T18:24:55.940446"));
    assert_signed(r, None);
    assert!(!format!("{auth:?}").contains(&token));
}

#[tokio::test]
async fn a_jwt_without_lifetime_claims_is_kept_for_an_hour_and_non_jwts_are_refused() {
    let clock = clock();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let bare = format!("{}.{}.", b64.encode("{}"), b64.encode(r#"{"sub":"x"}"#));
    let huge_exp = format!(
        "{}.{}.s",
        b64.encode("{}"),
        b64.encode(format!(r#"{{"iat":0,"exp":{}}}"#, u64::MAX))
    );
    let t = ScriptedTransport::new()
        .respond(200, bare)
        .respond(200, huge_exp)
        .respond(200, "not-a-jwt")
        .respond(200, "<html><body>maintenance</body></html>")
        .respond(200, "a.b.c d")
        .respond(200, format!("a.b.{}", "c".repeat(9000)));
    let c = client(&t, &clock);
    let auth = c.auth().await.unwrap();
    assert_eq!(auth.lifetime, Duration::from_secs(3600));
    // An `exp` of 2^64 - 1 is no panic: the lifetime is what it says (the cache bounds it).
    assert_eq!(
        c.auth().await.unwrap().lifetime,
        Duration::from_secs(u64::MAX)
    );
    for _ in 0..4 {
        let err = c.auth().await.unwrap_err();
        assert!(matches!(err, AvananError::Decode(_)), "{err:?}");
        assert!(err.to_string().len() < 200, "{err}");
    }
}

#[tokio::test]
async fn requests_sign_the_request_string_as_sent() {
    let clock = clock();
    let t = ScriptedTransport::new()
        .respond(200, jwt(NOW_S + 3600, 0))
        .respond(200, envelope(json!(["mt-rnd-ng-1:test", "farm2:acme"]), ""))
        .respond(200, envelope(json!([]), ""));
    let c = client(&t, &clock);
    let scopes = c.scopes().await.unwrap();
    assert_eq!(scopes[1].customer(), Some("acme"));
    let path = format!(
        "/v1.0/search/entity/{}?type=mail%20box",
        encode_path_segment("id with space")
    );
    let _ = c.send(http::Method::GET, &path, None).await.unwrap();
    let r = t.requests();
    assert_eq!(
        r[1].header("x-av-token"),
        Some(jwt(NOW_S + 3600, 0).as_str())
    );
    assert_signed(&r[1], Some("/v1.0/scopes"));
    assert_eq!(
        r[2].path_and_query(),
        "/v1.0/search/entity/id%20with%20space?type=mail%20box"
    );
    assert_signed(
        &r[2],
        Some("/v1.0/search/entity/id%20with%20space?type=mail%20box"),
    );
    // Fresh request ids for every call.
    assert_ne!(r[1].header("x-av-req-id"), r[2].header("x-av-req-id"));
    // A space is percent-encoded, and signed as it is sent.
    let t2 = ScriptedTransport::new()
        .respond(200, jwt(NOW_S + 3600, 0))
        .respond(200, envelope(json!([]), ""));
    let c2 = client(&t2, &clock);
    c2.send(http::Method::GET, "/v1.0/a b", None).await.unwrap();
    assert_signed(&t2.requests()[1], Some("/v1.0/a%20b"));
    // A path that is not on the origin is refused before anything is sent.
    for bad in ["v1.0/scopes", "@evil.example/v1.0/scopes", "/v1.0/a/../b"] {
        assert!(matches!(
            c.send(http::Method::GET, bad, None).await,
            Err(AvananError::Target(_))
        ));
    }
    assert_eq!(t.request_count(), 3);
}

#[tokio::test]
async fn event_pages_follow_scroll_id() {
    let clock = clock();
    let t = ScriptedTransport::new()
        .respond(200, jwt(NOW_S + 3600, 0))
        .respond(
            200,
            envelope(
                json!([{"eventId": "e1", "type": "phishing"}, {"eventId": "e2"}]),
                "page-2",
            ),
        )
        .respond(200, envelope(json!([{"eventId": "e3"}]), ""));
    let query = EventQuery {
        event_types: Some(vec!["phishing".into()]),
        page_size: Some(2),
        ..EventQuery::default()
    };
    let events = client(&t, &clock)
        .events(query)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| e.event_id.as_str())
            .collect::<Vec<_>>(),
        ["e1", "e2", "e3"]
    );
    assert_eq!(events[0].fields["type"], "phishing");
    let r = t.requests();
    let first: serde_json::Value = serde_json::from_slice(&r[1].body).unwrap();
    let second: serde_json::Value = serde_json::from_slice(&r[2].body).unwrap();
    assert_eq!(
        first,
        json!({"requestData": {"eventTypes": ["phishing"], "pageSize": 2}})
    );
    assert_eq!(
        second,
        json!({"requestData": {"eventTypes": ["phishing"], "scrollId": "page-2", "pageSize": 2}})
    );
    assert_eq!(r[1].header("content-type"), Some("application/json"));
    assert_signed(&r[2], Some("/v1.0/event/query"));
}

#[tokio::test]
async fn unauthorized_refreshes_once_then_fails() {
    let clock = clock();
    let t = ScriptedTransport::new()
        .respond(200, jwt(NOW_S + 3600, 0))
        .respond(401, "token expired")
        .respond(200, jwt(NOW_S + 3600, 1))
        .respond(200, envelope(json!(["a:b"]), ""));
    let c = client(&t, &clock);
    assert_eq!(c.scopes().await.unwrap().len(), 1);
    assert_eq!(
        t.requests()[3].header("x-av-token"),
        Some(jwt(NOW_S + 3600, 1).as_str())
    );

    let t = ScriptedTransport::new()
        .respond(200, jwt(NOW_S + 3600, 0))
        .respond(401, "")
        .respond(200, jwt(NOW_S + 3600, 1))
        .respond(
            401,
            r#"{"responseEnvelope":{"responseText":"Invalid signature"},"responseData":[]}"#,
        );
    let err = client(&t, &clock).scopes().await.unwrap_err();
    assert_eq!(
        err,
        AvananError::Unauthorized {
            status: 401,
            text: Some("Invalid signature".into())
        }
    );
    // A refused /auth is reported as such.
    let t = ScriptedTransport::new().respond(401, "bad signature");
    assert!(matches!(
        client(&t, &clock).scopes().await,
        Err(AvananError::Unauthorized { status: 401, .. })
    ));
}

#[tokio::test]
async fn other_failures_are_typed() {
    let clock = clock();
    let t = ScriptedTransport::new()
        .respond(200, jwt(NOW_S + 3600, 0))
        .respond(500, "boom")
        .respond(200, "nope");
    let c = client(&t, &clock);
    assert!(matches!(
        c.scopes().await,
        Err(AvananError::Api { status: 500, .. })
    ));
    assert!(matches!(c.scopes().await, Err(AvananError::Decode(_))));
    let t = ScriptedTransport::new().fail(TransportError::Connect("refused".into()));
    assert!(matches!(
        client(&t, &clock).scopes().await,
        Err(AvananError::Transport(_))
    ));
}

fn vendor(auth_calls: Arc<AtomicUsize>) -> ScriptedTransport {
    ScriptedTransport::from_fn(
        move |req: &HttpRequest| -> Result<HttpResponse, TransportError> {
            let body = if req.uri().path() == "/v1.0/auth" {
                let n = auth_calls.fetch_add(1, Ordering::SeqCst);
                jwt(NOW_S + 3600, n)
            } else {
                envelope(json!(["a:b"]), "")
            };
            Ok(http::Response::new(Bytes::from(body)))
        },
    )
}

/// Runs `call` on `n` clones of `c` at once, as separate tasks; each must succeed.
async fn all_at_once<F, Fut, T>(c: &AvananClient, n: usize, call: F)
where
    F: Fn(AvananClient) -> Fut,
    Fut: std::future::Future<Output = Result<T, AvananError>> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|_| tokio::spawn(call(c.clone()))).collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_make_one_auth_request() {
    let clock = clock();
    let auths = Arc::new(AtomicUsize::new(0));
    let t = vendor(auths.clone());
    let c = client(&t, &clock);
    all_at_once(&c, 1000, |c| async move { c.scopes().await }).await;
    assert_eq!(auths.load(Ordering::SeqCst), 1);
    assert_eq!(t.request_count(), 1001);
}

#[tokio::test]
async fn token_is_refreshed_before_exp() {
    let clock = clock();
    let auths = Arc::new(AtomicUsize::new(0));
    let t = vendor(auths.clone());
    let c = client(&t, &clock);
    let first = c.access_token().await.unwrap();
    clock.advance(Duration::from_secs(3600 - 62));
    assert_eq!(c.access_token().await.unwrap(), first);
    clock.advance(Duration::from_secs(3));
    // Due: served while a detached fetch replaces it.
    assert_eq!(c.access_token().await.unwrap(), first);
    let mut fresh = first.clone();
    for _ in 0..100 {
        tokio::task::yield_now().await;
        fresh = c.access_token().await.unwrap();
        if fresh != first {
            break;
        }
    }
    assert_ne!(fresh, first);
    assert_eq!(auths.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn date_format_is_configurable_and_signed_as_sent() {
    let clock = clock();
    let t = ScriptedTransport::new().respond(200, jwt(NOW_S + 3600, 0));
    let c = AvananClient::builder(APP, SecretKey::new(SECRET.as_bytes()).unwrap())
        .base_url("http://avanan.test")
        .clock(clock)
        .transport(t.clone())
        .retry(None)
        .date_format(DateFormat::MillisZ)
        .build()
        .unwrap();
    c.auth().await.unwrap();
    let r = &t.requests()[0];
    assert_eq!(r.header("x-av-date"), Some("2026-11-23T18:24:55.940Z"));
    assert_eq!(r.header("x-av-req-id").map(str::len), Some(36));
    assert_signed(r, None);
}

#[test]
fn debug_shows_no_secret() {
    let t = ScriptedTransport::new();
    let c = client(&t, &clock());
    assert!(!format!("{c:?}").contains(SECRET));
    let b = AvananClient::builder(APP, SecretKey::new(SECRET.as_bytes()).unwrap());
    assert!(!format!("{b:?}").contains(SECRET));
    assert!(matches!(
        AvananClient::builder("", SecretKey::new(b"s").unwrap())
            .transport(t)
            .build(),
        Err(AvananError::Config(_))
    ));
}

#[tokio::test]
async fn a_repeated_scroll_id_is_normal_and_a_repeated_page_ends_the_walk() {
    // The live service keeps one scrollId for a whole walk: the pager follows it, asks for
    // its page size every time, and stops on the short page.
    let clock = clock();
    let page = |ids: &[&str]| {
        envelope(
            ids.iter().map(|id| json!({ "eventId": id })).collect(),
            "same-cursor",
        )
    };
    let t = ScriptedTransport::new()
        .respond(200, jwt(NOW_S + 3600, 0))
        .respond(200, page(&["e1", "e2"]))
        .respond(200, page(&["e3", "e4"]))
        .respond(200, page(&["e5"]));
    let query = EventQuery {
        page_size: Some(2),
        ..EventQuery::default()
    };
    let events = client(&t, &clock)
        .events(query)
        .collect_all()
        .await
        .unwrap();
    let ids: Vec<_> = events.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["e1", "e2", "e3", "e4", "e5"]);
    let bodies: Vec<serde_json::Value> = t.requests()[1..]
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies.len(), 3);
    assert!(bodies.iter().all(|b| b["requestData"]["pageSize"] == 2));
    assert!(bodies[0]["requestData"].get("scrollId").is_none());
    assert_eq!(bodies[2]["requestData"]["scrollId"], "same-cursor");

    // A server that answers the same page forever is stopped at the second page, with a
    // typed error, far inside the page limit.
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let t = ScriptedTransport::from_fn(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(http::Response::new(Bytes::from(envelope(
            json!([{ "eventId": "e1" }, { "eventId": "e2" }]),
            "same-cursor",
        ))))
    })
    .respond(200, jwt(NOW_S + 3600, 0));
    let mut pager = client(&t, &clock).events(EventQuery {
        page_size: Some(2),
        ..EventQuery::default()
    });
    assert_eq!(pager.next_page().await.unwrap().unwrap().len(), 2);
    assert!(matches!(
        pager.next_page().await,
        Some(Err(AvananError::Paging(PagingError::RepeatedPage {
            page: 2
        })))
    ));
    assert!(pager.next_page().await.is_none());
    assert_eq!(sent.load(Ordering::SeqCst), 2);

    // A server inventing new pages forever meets the page limit.
    let n = Arc::new(AtomicUsize::new(0));
    let counter = n.clone();
    let t = ScriptedTransport::from_fn(move |_| {
        let i = counter.fetch_add(1, Ordering::SeqCst);
        Ok(http::Response::new(Bytes::from(envelope(
            json!([{ "eventId": format!("e{i}") }]),
            "same-cursor",
        ))))
    })
    .respond(200, jwt(NOW_S + 3600, 0));
    let err = client(&t, &clock)
        .events(EventQuery {
            page_size: Some(1),
            ..EventQuery::default()
        })
        .max_pages(5)
        .collect_all()
        .await
        .unwrap_err();
    assert_eq!(
        err,
        AvananError::Paging(PagingError::PageLimit { limit: 5 })
    );
    assert_eq!(n.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn collect_all_is_bounded_in_records_and_bytes() {
    let clock = clock();
    let pages = || {
        let n = Arc::new(AtomicUsize::new(0));
        ScriptedTransport::from_fn(move |_| {
            let i = n.fetch_add(1, Ordering::SeqCst);
            let data: Vec<_> = (0..10)
                .map(|j| json!({ "eventId": format!("e{i}-{j}"), "description": "x".repeat(100) }))
                .collect();
            Ok(http::Response::new(Bytes::from(envelope(json!(data), "c"))))
        })
        .respond(200, jwt(NOW_S + 3600, 0))
    };
    let query = || EventQuery {
        page_size: Some(10),
        ..EventQuery::default()
    };
    let err = client(&pages(), &clock)
        .events(query())
        .max_records(25)
        .collect_all()
        .await
        .unwrap_err();
    assert_eq!(
        err,
        AvananError::Paging(PagingError::RecordLimit { limit: 25 })
    );
    let err = client(&pages(), &clock)
        .events(query())
        .max_bytes(5_000)
        .collect_all()
        .await
        .unwrap_err();
    assert_eq!(
        err,
        AvananError::Paging(PagingError::ByteLimit { limit: 5_000 })
    );
    // Pages of zero records are refused before anything is sent.
    let t = pages();
    let err = client(&t, &clock)
        .events(EventQuery {
            page_size: Some(0),
            ..EventQuery::default()
        })
        .collect_all()
        .await
        .unwrap_err();
    assert_eq!(err, AvananError::Paging(PagingError::ZeroPageSize));
    assert_eq!(t.request_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_hung_token_request_fails_every_caller_within_the_deadline() {
    struct Hang;
    impl sigil_transport::HttpSend for Hang {
        fn send(&self, _: HttpRequest) -> sigil_transport::SendFuture<'_> {
            Box::pin(std::future::pending())
        }
    }
    let c = AvananClient::builder(APP, SecretKey::new(SECRET.as_bytes()).unwrap())
        .base_url("http://avanan.test")
        .transport(Hang)
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let callers: Vec<_> = (0..10)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.scopes().await })
        })
        .collect();
    for caller in callers {
        let err = caller.await.unwrap().unwrap_err();
        assert!(
            matches!(
                err,
                AvananError::TokenLoad(_)
                    | AvananError::Transport(TransportError::OperationTimeout(_))
            ),
            "{err:?}"
        );
    }
    // The 15 s load timeout ends the one token request for everyone.
    assert_eq!(started.elapsed(), Duration::from_secs(15));
}

/// A JWT with the given claims.
fn jwt_with(claims: serde_json::Value, n: usize) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.sig{n}",
        b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64.encode(claims.to_string())
    )
}

#[tokio::test]
async fn the_lifetime_the_token_declares_is_believed() {
    let clock = clock();
    let expired = Duration::ZERO;
    let cases = [
        (
            "exp − iat",
            json!({"iat": NOW_S, "exp": NOW_S + 600}),
            Duration::from_secs(600),
        ),
        (
            "iat after exp",
            json!({"iat": NOW_S, "exp": NOW_S - 60}),
            expired,
        ),
        (
            "exp equal to iat",
            json!({"iat": NOW_S, "exp": NOW_S}),
            expired,
        ),
        (
            "exp unreadable",
            json!({"iat": NOW_S, "exp": "soon"}),
            expired,
        ),
        (
            "iat unreadable",
            json!({"iat": -1, "exp": NOW_S + 600}),
            expired,
        ),
        ("claims not an object", json!([1, 2]), expired),
        (
            "no exp declared",
            json!({"sub": APP}),
            Duration::from_secs(3600),
        ),
        // No iat: exp against the local clock (no Date header here).
        (
            "no iat",
            json!({"exp": NOW_S + 300}),
            Duration::from_secs(300),
        ),
    ];
    for (case, claims, lifetime) in cases {
        let t = ScriptedTransport::new().respond(200, jwt_with(claims, 0));
        let auth = client(&t, &clock).auth().await.unwrap();
        assert_eq!(auth.lifetime, lifetime, "{case}");
    }
    // A payload that is not JSON at all.
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let garbled = format!("{}.{}.sig", b64.encode(b"{}"), b64.encode(b"not json"));
    let t = ScriptedTransport::new().respond(200, garbled);
    assert_eq!(client(&t, &clock).auth().await.unwrap().lifetime, expired);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_declared_expired_is_fetched_once_and_cached_at_most_ten_seconds() {
    let clock = clock();
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    let t = ScriptedTransport::from_fn(move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        Ok(http::Response::new(Bytes::from(jwt_with(
            json!({"iat": NOW_S, "exp": NOW_S - 1}),
            n,
        ))))
    });
    let c = client(&t, &clock);
    all_at_once(&c, 50, |c| async move { c.access_token().await }).await;
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    let expiry = c.cached_token_expiry().unwrap();
    assert!(expiry <= sigil_client_core::Clock::now(&clock) + Duration::from_secs(10));
    clock.advance(Duration::from_secs(11));
    c.access_token().await.unwrap();
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    // A refused token is dropped by value; another one is left alone.
    let token = c.access_token().await.unwrap();
    c.invalidate_token(&sigil_avanan::AccessToken::new("other"));
    assert_eq!(c.access_token().await.unwrap(), token);
    c.invalidate_token(&token);
    assert_ne!(c.access_token().await.unwrap(), token);
    assert_eq!(fetches.load(Ordering::SeqCst), 3);
}

#[test]
fn errors_share_one_form_and_read_the_same_in_debug() {
    let refused = AvananError::Unauthorized {
        status: 401,
        text: Some("Unauthorized: invalid x-av-sig".into()),
    };
    assert_eq!(
        refused.to_string(),
        "HTTP 401 from Avanan: Unauthorized: invalid x-av-sig"
    );
    assert_eq!(format!("{refused:?}"), format!("AvananError({refused})"));
}

/// An Infinity client on the scripted transport, for answers the emulator never gives.
fn infinity_client(t: &ScriptedTransport, clock: &ManualClock) -> AvananClient {
    AvananClient::infinity_builder("cid", SecretKey::new(b"the-access-key").unwrap())
        .base_url("http://gateway.test")
        .clock(clock.clone())
        .transport(t.clone())
        .retry(None)
        .build()
        .unwrap()
}

#[tokio::test]
async fn infinity_token_exchange_posts_the_credentials_and_reads_odd_answers_as_failures() {
    let clock = clock();
    // HTTP 200 with success: false is a refusal, quoting the message but never the key.
    let t = ScriptedTransport::new().respond(
        200,
        r#"{"success":false,"message":"bad key the-access-key","data":null}"#,
    );
    let err = infinity_client(&t, &clock).auth().await.unwrap_err();
    match &err {
        AvananError::Unauthorized {
            status: 200,
            text: Some(text),
        } => {
            assert!(
                text.contains("bad key") && !text.contains("the-access-key"),
                "{text}"
            )
        }
        other => panic!("{other:?}"),
    }
    let r = &t.requests()[0];
    assert_eq!(r.method, http::Method::POST);
    assert_eq!(r.uri, "http://gateway.test/auth/external");
    let sent: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        sent,
        json!({"clientId": "cid", "accessKey": "the-access-key"})
    );

    // Success without a token, or with no data: typed decode errors.
    for body in [
        r#"{"success":true,"data":{"expiresIn":60}}"#,
        r#"{"success":true}"#,
        "<html>",
    ] {
        let t = ScriptedTransport::new().respond(200, body);
        let err = infinity_client(&t, &clock).auth().await.unwrap_err();
        assert!(matches!(err, AvananError::Decode(_)), "{body}: {err:?}");
    }
    // A server error: Api with the status.
    let t = ScriptedTransport::new().respond(502, "upstream");
    let err = infinity_client(&t, &clock).auth().await.unwrap_err();
    assert!(
        matches!(err, AvananError::Api { status: 502, .. }),
        "{err:?}"
    );
    // A good answer without expiresIn: the 30 min public clients assume.
    let t = ScriptedTransport::new().respond(200, r#"{"success":true,"data":{"token":"a.b.c"}}"#);
    let auth = infinity_client(&t, &clock).auth().await.unwrap();
    assert_eq!(auth.lifetime, Duration::from_secs(1800));
}
