//! The Infinity Portal mode through the real reqwest transport against the real emulator
//! over loopback: one token for many callers, refreshed after `expiresIn`, a refused token
//! fetched again once, the event pager, secrecy of the access key, no redirect followed, and
//! the anchored choice of mode by host.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use sigil_avanan::{AuthMode, AvananClient, AvananError, EventQuery, RefreshPolicy, SecretKey};
use sigil_client_core::ManualClock;
use sigil_emulator::{Emulator, EmulatorConfig, Metrics, SAMPLE_AVANAN_INFINITY};

const START: u64 = 1_750_000_000_000;

fn count(metrics: &Metrics, route: &str, outcome: &str) -> u64 {
    metrics
        .get(route)
        .and_then(|m| m.get(outcome))
        .copied()
        .unwrap_or(0)
}

async fn emulator(clock: &ManualClock, lifetime: Duration) -> Emulator {
    let config = EmulatorConfig {
        token_lifetime: Some(lifetime),
        seed: Some(11),
        ..EmulatorConfig::default()
    }
    .with_clock(clock.clone());
    Emulator::start_local(config).await.unwrap()
}

fn client(emulator: &Emulator, clock: &ManualClock) -> AvananClient {
    AvananClient::infinity_builder(
        SAMPLE_AVANAN_INFINITY.0,
        SecretKey::new(SAMPLE_AVANAN_INFINITY.1.as_bytes()).unwrap(),
    )
    .base_url(emulator.base_url())
    .clock(clock.clone())
    .refresh(RefreshPolicy::new(Duration::from_secs(60), 0.0))
    .build()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_callers_share_one_token_which_is_refreshed_after_expires_in() {
    let clock = ManualClock::at_millis(START);
    let emu = emulator(&clock, Duration::from_secs(900)).await;
    let c = client(&emu, &clock);
    let burst = |c: &AvananClient| {
        (0..50)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { c.scopes().await })
            })
            .collect::<Vec<_>>()
    };
    for caller in burst(&c) {
        let scopes = caller.await.unwrap().unwrap();
        assert_eq!(scopes.len(), 1);
    }
    let metrics = emu.metrics();
    assert_eq!(
        count(&metrics, "avanan.infinity.auth", "200"),
        1,
        "{metrics:?}"
    );
    assert_eq!(count(&metrics, "avanan.infinity.scopes", "200"), 50);
    // The token's expiry is the declared expiresIn (900 s) after it was fetched.
    let expiry = c.cached_token_expiry().unwrap();
    assert_eq!(
        expiry.duration_since(SystemTime::UNIX_EPOCH).unwrap(),
        Duration::from_millis(START) + Duration::from_secs(900)
    );
    // Past expiresIn (minus the refresh buffer) the client fetches a new token before the
    // server would refuse the old one: no 401 on the way.
    clock.advance(Duration::from_secs(850));
    for caller in burst(&c) {
        caller.await.unwrap().unwrap();
    }
    let metrics = emu.metrics();
    assert_eq!(
        count(&metrics, "avanan.infinity.auth", "200"),
        2,
        "{metrics:?}"
    );
    assert_eq!(
        count(&metrics, "avanan.infinity.scopes", "401"),
        0,
        "{metrics:?}"
    );
    assert_eq!(count(&metrics, "avanan.infinity.scopes", "200"), 100);
    // Nothing went to the signed routes.
    assert_eq!(count(&metrics, "avanan.auth", "200"), 0);
    emu.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_refused_mid_session_is_fetched_again_and_the_call_retried_once() {
    let server_clock = ManualClock::at_millis(START);
    let client_clock = ManualClock::at_millis(START);
    let emu = emulator(&server_clock, Duration::from_secs(600)).await;
    let c = client(&emu, &client_clock);
    c.scopes().await.unwrap();
    // The server's clock moves past the token's end; the client still believes it.
    server_clock.advance(Duration::from_secs(601));
    c.scopes().await.unwrap();
    let metrics = emu.metrics();
    assert_eq!(
        count(&metrics, "avanan.infinity.auth", "200"),
        2,
        "{metrics:?}"
    );
    assert_eq!(
        count(&metrics, "avanan.infinity.scopes", "401"),
        1,
        "{metrics:?}"
    );
    assert_eq!(count(&metrics, "avanan.infinity.scopes", "200"), 2);
    emu.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pager_walks_every_event_in_the_infinity_mode() {
    let clock = ManualClock::at_millis(START);
    let config = EmulatorConfig {
        seeded_events: 57,
        seed: Some(3),
        ..EmulatorConfig::default()
    }
    .with_clock(clock.clone());
    let emu = Emulator::start_local(config).await.unwrap();
    let c = client(&emu, &clock);
    for page_size in [5u32, 100] {
        let events = c
            .events(EventQuery {
                page_size: Some(page_size),
                ..EventQuery::default()
            })
            .collect_all()
            .await
            .unwrap();
        let ids: std::collections::HashSet<_> = events.iter().map(|e| &e.event_id).collect();
        assert_eq!((events.len(), ids.len()), (57, 57), "pageSize {page_size}");
    }
    let metrics = emu.metrics();
    assert!(
        count(&metrics, "avanan.infinity.event.query", "200") >= 13,
        "{metrics:?}"
    );
    assert_eq!(count(&metrics, "avanan.event.query", "200"), 0);
    emu.shutdown().await.unwrap();
}

/// Everything `tracing` writes in this test binary, at every level.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Capture(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        logs
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_key_never_appears_in_debug_errors_or_trace_logs() {
    let logs = captured_logs();
    let key = SAMPLE_AVANAN_INFINITY.1;
    let clock = ManualClock::at_millis(START);
    let emu = emulator(&clock, Duration::from_secs(600)).await;
    let builder = AvananClient::infinity_builder(
        SAMPLE_AVANAN_INFINITY.0,
        SecretKey::new(key.as_bytes()).unwrap(),
    )
    .base_url(emu.base_url())
    .clock(clock.clone());
    assert!(!format!("{builder:?}").contains(key));
    let c = builder.build().unwrap();
    c.scopes().await.unwrap();
    let token = c.access_token().await.unwrap();
    assert!(!format!("{c:?}").contains(key));
    assert!(!format!("{c:?}").contains(token.expose()));
    let mode = AuthMode::for_base_url(
        "https://cloudinfra-gw.portal.checkpoint.com",
        "cid",
        SecretKey::new(key.as_bytes()).unwrap(),
    )
    .unwrap();
    assert!(!format!("{mode:?}").contains(key));

    // A wrong key: a typed refusal that quotes neither key.
    let wrong = "0000wrong-key-0000";
    let refused = AvananClient::infinity_builder(
        SAMPLE_AVANAN_INFINITY.0,
        SecretKey::new(wrong.as_bytes()).unwrap(),
    )
    .base_url(emu.base_url())
    .clock(clock.clone())
    .build()
    .unwrap();
    let err = refused.scopes().await.unwrap_err();
    assert!(
        matches!(
            &err,
            AvananError::TokenLoad(_) | AvananError::Unauthorized { status: 401, .. }
        ),
        "{err:?}"
    );
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(wrong) && !shown.contains(key), "{shown}");
    }
    emu.shutdown().await.unwrap();

    let logs = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        logs.contains("sigil"),
        "the capture saw the client's spans: {logs}"
    );
    assert!(!logs.contains(key), "the access key was logged");
    assert!(!logs.contains(wrong), "the wrong access key was logged");
    assert!(!logs.contains(token.expose()), "the token was logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_not_followed_with_the_access_key() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // The other host: counts what reaches it.
    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_addr = other.local_addr().unwrap();
    let reached = Arc::new(Mutex::new(0usize));
    let seen = reached.clone();
    tokio::spawn(async move {
        while let Ok((_, _)) = other.accept().await {
            *seen.lock().unwrap() += 1;
        }
    });
    // The gateway: answers every request with a redirect to the other host.
    let gateway = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway_addr = gateway.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = gateway.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = socket.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{other_addr}/auth/external\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    let c = AvananClient::infinity_builder(
        SAMPLE_AVANAN_INFINITY.0,
        SecretKey::new(SAMPLE_AVANAN_INFINITY.1.as_bytes()).unwrap(),
    )
    .base_url(format!("http://{gateway_addr}"))
    .build()
    .unwrap();
    let err = c.access_token().await.unwrap_err();
    assert!(err.to_string().contains("307"), "{err}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(*reached.lock().unwrap(), 0, "the redirect was followed");
}

#[test]
fn the_mode_follows_the_host_only_when_it_is_an_anchored_gateway() {
    let key = || SecretKey::new(b"access-key").unwrap();
    for gateway in [
        "https://cloudinfra-gw-us.portal.checkpoint.com",
        "https://cloudinfra-gw.ap.portal.checkpoint.com/",
        "https://CLOUDINFRA-GW.uk.portal.checkpoint.com:443",
    ] {
        let mode = AuthMode::for_base_url(gateway, "cid", key()).unwrap();
        assert!(matches!(mode, AuthMode::Infinity { .. }), "{gateway}");
        let c = AvananClient::builder_for(mode)
            .base_url(gateway)
            .build()
            .unwrap();
        assert!(c.is_infinity());
        assert!(
            c.target("/v1.0/scopes")
                .unwrap()
                .path()
                .starts_with("/app/hec-api/v1.0/")
        );
    }
    for look_alike in [
        "https://cloudinfra.evil.example",
        "https://cloudinfra-gw.portal.checkpoint.com.evil.example",
        "https://evil-cloudinfra.portal.checkpoint.com",
        "https://portal.checkpoint.com",
        "https://smart-api-production-1-us.avanan.net",
        "http://127.0.0.1:8080",
    ] {
        let mode = AuthMode::for_base_url(look_alike, "US:app", key()).unwrap();
        assert!(matches!(mode, AuthMode::Signed { .. }), "{look_alike}");
        let c = AvananClient::builder_for(mode)
            .base_url(look_alike)
            .build()
            .unwrap();
        assert!(!c.is_infinity());
        assert_eq!(c.target("/v1.0/scopes").unwrap().path(), "/v1.0/scopes");
    }
    // The regions' gateways, and a path given with the prefix is not prefixed twice.
    let c = AvananClient::infinity_builder("cid", key())
        .build()
        .unwrap();
    assert_eq!(
        c.target("/app/hec-api/v1.0/scopes")
            .unwrap()
            .uri()
            .to_string(),
        "https://cloudinfra-gw-us.portal.checkpoint.com/app/hec-api/v1.0/scopes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorize_and_the_middleware_put_the_bearer_headers_under_the_api_prefix() {
    let clock = ManualClock::at_millis(START);
    let emu = emulator(&clock, Duration::from_secs(600)).await;
    let base = emu.base_url();
    let c = AvananClient::infinity_builder(
        SAMPLE_AVANAN_INFINITY.0,
        SecretKey::new(SAMPLE_AVANAN_INFINITY.1.as_bytes()).unwrap(),
    )
    .base_url(&base)
    .clock(clock.clone())
    .scopes("mt-rnd-ng-1:one,mt-rnd-ng-1:two")
    .build()
    .unwrap();

    // Sign in place: the bearer, a request id and the scopes; nothing of the signed scheme;
    // the same /v1.0/ path gets the prefix.
    let mut request = http::Request::get(format!("{base}/v1.0/scopes"))
        .body(Vec::<u8>::new())
        .unwrap();
    c.authorize(&mut request).await.unwrap();
    assert_eq!(request.uri().path(), "/app/hec-api/v1.0/scopes");
    let headers = request.headers();
    let bearer = &headers[http::header::AUTHORIZATION];
    assert!(bearer.to_str().unwrap().starts_with("Bearer ey"));
    assert!(bearer.is_sensitive());
    assert_eq!(headers["scopes"], "mt-rnd-ng-1:one,mt-rnd-ng-1:two");
    assert_eq!(headers["x-av-req-id"].len(), 36);
    for signed_only in ["x-av-sig", "x-av-app-id", "x-av-date", "x-av-token"] {
        assert!(!headers.contains_key(signed_only), "{signed_only} sent");
    }
    let sent = reqwest::Client::new()
        .execute(reqwest::Request::try_from(request.map(reqwest::Body::from)).unwrap())
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);

    // The middleware: a /v1.0/ URL goes out under the prefix with the bearer.
    let http = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(sigil_avanan::AvananAuth::new(c.clone()))
        .build();
    let answer = http
        .get(format!("{base}/v1.0/scopes"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.url().path(), "/app/hec-api/v1.0/scopes");
    let metrics = emu.metrics();
    assert_eq!(
        count(&metrics, "avanan.infinity.scopes", "200"),
        2,
        "{metrics:?}"
    );
    assert_eq!(count(&metrics, "avanan.infinity.auth", "200"), 1);
    emu.shutdown().await.unwrap();
}
