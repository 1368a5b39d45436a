//! The reqwest transport against a real HTTP server on 127.0.0.1.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.
#![cfg(feature = "reqwest")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use sigil_transport::{
    Dispatcher, HttpSend, ReqwestConfig, ReqwestTransport, RetryPolicy, TransportError,
    clone_request,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the test server does with the n-th connection (0-based).
type Behaviour = Arc<dyn Fn(usize, &str) -> Option<String> + Send + Sync>;

/// Serves HTTP/1.1 on an ephemeral port: each connection reads one request and writes what
/// `behaviour` returns (or nothing, holding the connection open, for `None`).
async fn server(behaviour: Behaviour) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let behaviour = behaviour.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut len = 0;
                // Read headers, then the body announced by content-length.
                loop {
                    let Ok(read) = socket.read(&mut buf[len..]).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    len += read;
                    let text = String::from_utf8_lossy(&buf[..len]).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let body_len = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if len >= end + 4 + body_len {
                            break;
                        }
                    }
                }
                let request = String::from_utf8_lossy(&buf[..len]).to_string();
                match behaviour(n, &request) {
                    Some(response) => {
                        let _ = socket.write_all(response.as_bytes()).await;
                        let _ = socket.shutdown().await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    (format!("http://{addr}"), count)
}

fn reply(status: &str, extra_headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{extra_headers}\r\n{body}",
        body.len()
    )
}

fn transport(timeout_ms: u64) -> ReqwestTransport {
    ReqwestTransport::new(ReqwestConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_millis(timeout_ms),
        max_response_bytes: 64 * 1024,
    })
    .unwrap()
}

#[tokio::test]
async fn round_trip_echoes_method_path_headers_and_body() {
    let (base, _) = server(Arc::new(|_, req: &str| {
        let first = req.lines().next().unwrap_or("").to_owned();
        let body = req.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
        let sig = req
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("signature:"))
            .unwrap_or("")
            .to_owned();
        Some(reply(
            "201 Created",
            "x-test: yes\r\n",
            &format!("{first}|{sig}|{body}"),
        ))
    }))
    .await;
    let request = http::Request::post(format!("{base}/v3/users?x=1"))
        .header("signature", "abc=")
        .body(Bytes::from_static(br#"{"name":"Ada"}"#))
        .unwrap();
    let response = transport(2000).send(request).await.unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["x-test"], "yes");
    assert_eq!(
        response.body().as_ref(),
        br#"POST /v3/users?x=1 HTTP/1.1|signature: abc=|{"name":"Ada"}"#
    );
}

#[tokio::test]
async fn total_timeout_is_a_timeout_error() {
    let (base, _) = server(Arc::new(|_, _: &str| None)).await;
    let request = http::Request::get(format!("{base}/slow"))
        .body(Bytes::new())
        .unwrap();
    let err = transport(300).send(request).await.unwrap_err();
    assert_eq!(err, TransportError::Timeout(Duration::from_millis(300)));
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let request = http::Request::get(format!("http://{addr}/"))
        .body(Bytes::new())
        .unwrap();
    let err = transport(2000).send(request).await.unwrap_err();
    assert!(matches!(err, TransportError::Connect(_)), "{err:?}");
    assert!(err.never_sent());
}

#[tokio::test]
async fn retries_over_real_http_honour_retry_after() {
    let (base, count) = server(Arc::new(|n, _: &str| {
        Some(if n == 0 {
            reply("503 Service Unavailable", "retry-after: 1\r\n", "busy")
        } else {
            reply("200 OK", "", "ok")
        })
    }))
    .await;
    let retry = Dispatcher::new(Arc::new(transport(2000)));
    let started = std::time::Instant::now();
    let request = http::Request::get(format!("{base}/v3/users"))
        .body(Bytes::new())
        .unwrap();
    let response = retry
        .send(retry.deadline(), || {
            Ok::<_, TransportError>(clone_request(&request))
        })
        .await
        .unwrap();
    assert_eq!(
        (response.status().as_u16(), response.body().as_ref()),
        (200, &b"ok"[..])
    );
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn retries_a_refused_connection_then_gives_up() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let policy = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(10),
        ..RetryPolicy::default()
    };
    let request = http::Request::post(format!("http://{addr}/"))
        .body(Bytes::new())
        .unwrap();
    let retry = Dispatcher::new(Arc::new(transport(2000))).with_retry(Some(policy));
    let mut attempts = 0;
    let err = retry
        .send(retry.deadline(), || {
            attempts += 1;
            Ok::<_, TransportError>(clone_request(&request))
        })
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Connect(_)));
    assert_eq!(attempts, 2);
}

#[tokio::test]
async fn bodies_beyond_the_limit_are_not_read() {
    let big = "x".repeat(100 * 1024);
    let (base, _) = server(Arc::new(move |n, _: &str| {
        Some(if n == 0 {
            reply("200 OK", "", &big)
        } else {
            // No content-length: the limit applies while reading.
            format!("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{big}")
        })
    }))
    .await;
    for _ in 0..2 {
        let request = http::Request::get(format!("{base}/big"))
            .body(Bytes::new())
            .unwrap();
        let err = transport(2000).send(request).await.unwrap_err();
        assert_eq!(err, TransportError::ResponseTooLarge { limit: 64 * 1024 });
    }
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let (base, count) = server(Arc::new(|_, _: &str| {
        Some(reply(
            "303 See Other",
            "location: http://elsewhere.invalid/x\r\n",
            "",
        ))
    }))
    .await;
    let request = http::Request::get(format!("{base}/h5"))
        .body(Bytes::new())
        .unwrap();
    let response = transport(2000).send(request).await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "http://elsewhere.invalid/x");
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn extreme_settings_do_not_panic() {
    let (base, _) = server(Arc::new(|_, _: &str| Some(reply("200 OK", "", "ok")))).await;
    let transport = ReqwestTransport::new(ReqwestConfig {
        connect_timeout: Duration::MAX,
        timeout: Duration::MAX,
        max_response_bytes: usize::MAX,
    })
    .unwrap();
    let dispatcher = Dispatcher::new(Arc::new(transport))
        .with_timeouts(sigil_transport::Timeouts {
            connect: Duration::MAX,
            attempt: Duration::MAX,
            operation: Duration::MAX,
        })
        .with_retry(Some(RetryPolicy {
            max_attempts: u32::MAX,
            base_delay: Duration::MAX,
            max_delay: Duration::MAX,
            quota: u32::MAX,
        }))
        .with_jitter(|| f64::NAN);
    let request = http::Request::get(format!("{base}/x"))
        .body(Bytes::new())
        .unwrap();
    let response = dispatcher
        .send(dispatcher.deadline(), || {
            Ok::<_, TransportError>(clone_request(&request))
        })
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
