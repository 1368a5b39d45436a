//! The emulator stays bounded and serving whatever its clients do (loopback only, bounded
//! in count and time).

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sigil_emulator::{Emulator, EmulatorConfig, IdvOutcome, Limits};

mod support;

async fn start(limits: Limits) -> Emulator {
    let config = EmulatorConfig {
        limits,
        ..EmulatorConfig::default()
    };
    Emulator::start_local(config).await.unwrap()
}

/// One raw HTTP/1.1 exchange (connection: close): status line and body.
fn raw(emu: &Emulator, request: &[u8]) -> (String, String) {
    let mut stream = TcpStream::connect(emu.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

fn post(path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_are_closed_while_others_are_served() {
    let emu = start(Limits {
        header_read_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let addr = emu.addr();
    let base = emu.base_url();
    let (served, closed) = tokio::task::spawn_blocking(move || {
        // 1,000 connections: half send a partial request line, half nothing at all.
        let mut idle: Vec<TcpStream> = (0..1000)
            .map(|i| {
                let mut s = TcpStream::connect(addr).unwrap();
                if i % 2 == 0 {
                    s.write_all(b"GET /_emulator/metr").unwrap();
                }
                s
            })
            .collect();
        // Others are served meanwhile.
        let mut served = 0;
        for _ in 0..5 {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            s.write_all(b"GET /_emulator/metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                .unwrap();
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.1 200") {
                served += 1;
            }
        }
        // Within the timeout (plus a margin), the server closes every idle connection.
        let started = Instant::now();
        let mut closed = 0;
        for s in &mut idle {
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut buf = [0u8; 512];
            // EOF (0) or a 408 answer followed by EOF: either way, closed by the server.
            loop {
                match s.read(&mut buf) {
                    Ok(0) => {
                        closed += 1;
                        break;
                    }
                    Ok(_) => continue,
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                        closed += 1;
                        break;
                    }
                    Err(_) => break,
                }
            }
        }
        assert!(started.elapsed() < Duration::from_secs(8));
        (served, closed)
    })
    .await
    .unwrap();
    assert_eq!(served, 5);
    assert_eq!(closed, 1000);
    let _ = base;
    emu.shutdown().await.unwrap();
}

// Multi-threaded: the raw exchanges block one worker while the other serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_misrouted_requests_get_the_vendors_own_errors() {
    let emu = start(Limits {
        max_json_body: 1024,
        max_upload_body: 4096,
        max_header_bytes: 8192,
        ..Limits::default()
    })
    .await;
    let big = vec![b'x'; 2048];
    // ADVANCE always answers HTTP 200 with its envelope.
    let (status, body) = raw(
        &emu,
        &post(
            "/openapi/auth/ticket/v1/generate-token",
            "application/json",
            &big,
        ),
    );
    assert_eq!(status, "HTTP/1.1 200 OK");
    let envelope: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(envelope["code"], "CLIENT_ERROR");
    assert!(envelope["message"].as_str().unwrap().contains("too large"));
    let (status, body) = raw(
        &emu,
        b"GET /openapi/auth/ticket/v1/generate-token HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    );
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["code"],
        "CLIENT_ERROR"
    );
    // AET: JSON routes take 1 KiB here, uploads 4 KiB; answers in AET's error shape.
    let (status, body) = raw(&emu, &post("/v3/users", "application/json", &big));
    assert_eq!(status, "HTTP/1.1 413 Payload Too Large");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "payload_too_large"
    );
    let (status, _) = raw(
        &emu,
        &post(
            "/v3/documents",
            "multipart/form-data; boundary=B",
            &vec![b'x'; 8192],
        ),
    );
    assert_eq!(status, "HTTP/1.1 413 Payload Too Large");
    // Avanan: its envelope.
    let (status, body) = raw(&emu, &post("/v1.0/event/query", "application/json", &big));
    assert_eq!(status, "HTTP/1.1 413 Payload Too Large");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["responseEnvelope"]["responseCode"],
        413
    );
    // Headers beyond the limit: 431, and the emulator goes on serving.
    let huge = format!(
        "GET /v3/users HTTP/1.1\r\nhost: x\r\nx-big: {}\r\nconnection: close\r\n\r\n",
        "y".repeat(20_000)
    );
    let (status, _) = raw(&emu, huge.as_bytes());
    assert!(status.contains("431") || status.is_empty(), "{status}");
    let (status, _) = raw(
        &emu,
        b"GET /_emulator/metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    );
    assert_eq!(status, "HTTP/1.1 200 OK");
    emu.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_is_bounded_by_its_caps() {
    let emu = start(Limits {
        max_sessions: 100,
        max_scripts: 1000,
        max_objects: 50,
        ..Limits::default()
    })
    .await;
    // 200,000 scripted outcomes through the library: the newest 1,000 are kept.
    for i in 0..200_000 {
        emu.script_idv_outcome(&format!("user-{i}"), IdvOutcome::Success);
    }
    // Sessions and objects over HTTP (bounded counts, loopback).
    let http = reqwest::Client::new();
    let base = emu.base_url();
    let now = sigil_client_core::unix_millis(std::time::SystemTime::now());
    let token: Value = http
        .post(format!("{base}/openapi/auth/ticket/v1/generate-token"))
        .json(&support::token_body(
            "sampleaccesskey",
            "samplesecretkey",
            now,
            Value::Null,
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["data"]["token"].as_str().unwrap().to_owned();
    let mut first = String::new();
    for i in 0..300 {
        let answer: Value = http
            .post(format!("{base}/intl/openapi/face-identity/h5-idv/v1/generate-url"))
            .header("X-ACCESS-TOKEN", &token)
            .json(&json!({"returnUrl": "https://a.example/ok", "failReturnUrl": "https://a.example/no", "region": "IDN"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if i == 0 {
            first = answer["data"]["signatureId"].as_str().unwrap().to_owned();
        }
    }
    // The oldest session made room for the newer ones.
    let gone: Value = http
        .post(format!(
            "{base}/intl/openapi/face-identity/h5-idv/v1/get-result"
        ))
        .header("X-ACCESS-TOKEN", &token)
        .json(&json!({"signatureId": first}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(gone["code"], "SIGNATURE_NOT_EXIST");
    let held = &emu.metrics()["held"];
    assert_eq!(held["sessions"], 100);
    assert_eq!(held["scripts"], 1000);
    emu.shutdown().await.unwrap();
}

/// A signed AET request with the sample credentials, timestamped now.
fn aet(
    http: &reqwest::Client,
    base: &str,
    method: &str,
    target: &str,
    body: Option<&str>,
) -> reqwest::RequestBuilder {
    let now = sigil_client_core::unix_millis(std::time::SystemTime::now());
    support::aet_request(http, base, method, target, body, now, "aet-sample-secret")
}

#[tokio::test]
async fn aet_objects_are_capped_and_listings_paged() {
    let emu = start(Limits {
        max_objects: 30,
        max_page_size: 10,
        ..Limits::default()
    })
    .await;
    let http = reqwest::Client::new();
    let base = emu.base_url();
    let mut statuses = Vec::new();
    for i in 0..35 {
        let body = format!(r#"{{"firstName":"user {i}"}}"#);
        let r = aet(&http, &base, "POST", "/v3/users", Some(&body))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 30);
    assert_eq!(statuses.iter().filter(|s| **s == 507).count(), 5);
    let mut seen = 0;
    for page in 1..=4 {
        let list: Value = aet(&http, &base, "GET", &format!("/v3/users?page={page}"), None)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 30);
        assert!(list["data"].as_array().unwrap().len() <= 10);
        seen += list["data"].as_array().unwrap().len();
    }
    assert_eq!(seen, 30);
    let too_big = aet(&http, &base, "GET", "/v3/users?per_page=11", None)
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 400);
    // Deleting gives room back.
    let first: Value = aet(&http, &base, "GET", "/v3/users?per_page=1", None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = first["data"][0]["id"].as_str().unwrap().to_owned();
    let deleted = aet(&http, &base, "DELETE", &format!("/v3/users/{id}"), None)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let again = aet(&http, &base, "POST", "/v3/users", Some("{}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn control_routes_need_the_token_off_loopback() {
    // Bound on every interface, reached over loopback only.
    let emu = Emulator::start("0.0.0.0:0".parse().unwrap(), EmulatorConfig::default())
        .await
        .unwrap();
    let token = emu.control_token().unwrap().to_owned();
    assert_eq!(token.len(), 32);
    let url = format!("http://127.0.0.1:{}/_emulator/metrics", emu.addr().port());
    let http = reqwest::Client::new();
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    let wrong = http.get(&url).bearer_auth("nope").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        http.get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    emu.shutdown().await.unwrap();
    // On loopback, no token is needed.
    let local = start(Limits::default()).await;
    assert!(local.control_token().is_none());
    let url = format!("{}/_emulator/metrics", local.base_url());
    assert_eq!(http.get(&url).send().await.unwrap().status(), 200);
    local.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_finishes_is_given_up_on() {
    let emu = start(Limits {
        body_read_timeout: Duration::from_millis(500),
        ..Limits::default()
    })
    .await;
    let addr = emu.addr();
    let (status, took) = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        // 100 bytes promised, 10 sent.
        s.write_all(b"POST /v3/users HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"a\":12345")
            .unwrap();
        let started = Instant::now();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        (answer.lines().next().unwrap_or("").to_owned(), started.elapsed())
    })
    .await
    .unwrap();
    assert!(status.starts_with("HTTP/1.1 4"), "{status}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    emu.shutdown().await.unwrap();
}

/// Sends a body one byte every 200 ms for up to 20 s; how long until the server closed.
fn trickle(addr: std::net::SocketAddr) -> Duration {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    s.write_all(b"POST /v3/users HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 256];
    while started.elapsed() < Duration::from_secs(20) {
        if s.write_all(b" ").is_err() {
            break;
        }
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {} // an error answer; EOF follows
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => break,
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_trickled_a_byte_at_a_time_meets_one_deadline() {
    let emu = start(Limits {
        body_read_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let addr = emu.addr();
    let held = tokio::task::spawn_blocking(move || trickle(addr))
        .await
        .unwrap();
    // The whole body had 1 s: each byte arriving within the timeout does not extend it.
    assert!(held < Duration::from_secs(4), "{held:?}");
    emu.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_returns_in_bounded_time_with_connections_open() {
    let emu = start(Limits {
        shutdown_grace: Duration::from_millis(500),
        ..Limits::default()
    })
    .await;
    let addr = emu.addr();
    // One client trickles a body, another holds a half-open request.
    let trickler = tokio::task::spawn_blocking(move || trickle(addr));
    let mut half_open = TcpStream::connect(addr).unwrap();
    half_open.write_all(b"GET /_emulator/metr").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), emu.shutdown())
        .await
        .expect("shutdown returned")
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(trickler.await.unwrap() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_at_shutdown_gets_its_whole_answer() {
    // Every ADVANCE answer waits 600 ms (injected latency): the request is in the handler's
    // hands when the shutdown starts, and must still be answered in full.
    let config = EmulatorConfig {
        faults: sigil_emulator::Faults {
            latency: Duration::from_millis(600),
            scope: vec!["advance".into()],
            ..Default::default()
        },
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start_local(config).await.unwrap();
    let url = format!("{}/openapi/auth/ticket/v1/generate-token", emu.base_url());
    let in_flight = tokio::spawn(async move {
        let response = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await?;
        let status = response.status();
        Ok::<_, reqwest::Error>((status, response.json::<Value>().await?))
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    emu.shutdown().await.unwrap();
    let (status, body) = in_flight.await.unwrap().expect("answered before the close");
    assert_eq!(status, 200);
    assert_eq!(body["code"], "PARAMETER_ERROR", "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_cap_idle_and_half_open_connections_make_room() {
    let emu = start(Limits {
        max_connections: 20,
        header_read_timeout: Duration::from_secs(30),
        ..Limits::default()
    })
    .await;
    let addr = emu.addr();
    let served = tokio::task::spawn_blocking(move || {
        // Twenty connections: half send a partial request line, half nothing at all.
        let _held: Vec<TcpStream> = (0..20)
            .map(|i| {
                let mut s = TcpStream::connect(addr).unwrap();
                if i % 2 == 0 {
                    s.write_all(b"GET /_emulator/metr").unwrap();
                }
                s
            })
            .collect();
        std::thread::sleep(Duration::from_millis(200));
        // Others are served at once, not after the 30 s header timeout.
        let mut served = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.write_all(b"GET /_emulator/metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                .unwrap();
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            served.push((answer.starts_with("HTTP/1.1 200"), started.elapsed()));
        }
        served
    })
    .await
    .unwrap();
    for (ok, took) in served {
        assert!(ok && took < Duration::from_secs(3), "{ok} {took:?}");
    }
    emu.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_state_is_capped_in_bytes_as_well_as_entries() {
    let cap = 1024 * 1024;
    let emu = start(Limits {
        max_state_bytes: cap,
        ..Limits::default()
    })
    .await;
    // 200 scripted outcomes for 60 KiB user ids: 12 MiB asked, 1 MiB kept.
    for i in 0..200 {
        emu.script_idv_outcome(&format!("{i:0>61440}"), IdvOutcome::Success);
    }
    let held = &emu.metrics()["held"];
    assert!(held["scripts_bytes"] <= cap as u64, "{held:?}");
    assert!(held["scripts"] >= 10 && held["scripts"] < 200, "{held:?}");
    // AET objects: refused with HTTP 507 once their bytes reach the cap.
    let http = reqwest::Client::new();
    let base = emu.base_url();
    let big = json!({"note": "x".repeat(60 * 1024)}).to_string();
    let mut statuses = Vec::new();
    for _ in 0..25 {
        let response = aet(&http, &base, "POST", "/v3/users", Some(&big))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert!(statuses[..10].iter().all(|s| *s == 201), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&507), "{statuses:?}");
    let held = &emu.metrics()["held"];
    assert!(held["aet_objects_bytes"] <= cap as u64, "{held:?}");
    emu.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advance_timestamp_of_sixteen_characters_is_a_timestamp_error() {
    let emu = start(Limits::default()).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    // Signed over the 13 digits; sent as given.
    let signed = |timestamp: &str| {
        let mut body = support::token_body("sampleaccesskey", "samplesecretkey", now, Value::Null);
        body["timestamp"] = json!(timestamp);
        body.to_string()
    };
    let http = reqwest::Client::new();
    let url = format!("{}/openapi/auth/ticket/v1/generate-token", emu.base_url());
    for (timestamp, code) in [
        (format!("000{now}"), "PARAMETER_ERROR"),
        (now.to_string(), "SUCCESS"),
    ] {
        let answer: Value = http
            .post(&url)
            .header("content-type", "application/json")
            .body(signed(&timestamp))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["code"], code, "{timestamp}: {answer}");
    }
    emu.shutdown().await.unwrap();
}
