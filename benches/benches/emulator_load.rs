//! The emulator's throughput and CPU time per request, measured with the real clients over
//! loopback (a bench, not a timed test): fresh signed ADVANCE token requests, fresh signed
//! Avanan `/auth` requests, AET signed GETs and Avanan signed requests with a cached token,
//! each from `SIGIL_LOAD_CONNECTIONS` callers (default 50) for `SIGIL_LOAD_REQUESTS` requests
//! (default 20,000); requests per second, p50, p99 and the emulator's CPU time per request.
//!
//! `cargo bench -p sigil-benches --bench emulator_load` (release build; loopback only; bounded
//! in count). By default the emulator runs in this process on a runtime of its own, whose
//! threads are named `sigil-emulator`; its CPU time is read per thread from
//! `/proc/self/task/*/schedstat` (Linux; elsewhere the column reads `n/a`).
//!
//! With `SIGIL_EMULATOR_URL=http://127.0.0.1:PORT` the load goes to an emulator already
//! running (a `sigil emulator` of any build), and with `SIGIL_EMULATOR_PID` its CPU time is
//! read from that process's threads: `benches/emulator_ab.py` compares two builds this way.
//! `SIGIL_LOAD_CASES` (comma-separated case names) picks cases.

#![allow(clippy::unwrap_used)] // A bench: a panic is the failure report.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::HeaderValue;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use sigil_aet::AetClient;
use sigil_avanan::AvananClient;
use sigil_emulator::{Emulator, EmulatorConfig, SAMPLE_ADVANCE, SAMPLE_AET, SAMPLE_AVANAN};
use sigil_models::advance::{GENERATE_TOKEN_PATH, GenerateTokenRequest, Region};
use sigil_signing::{SecretKey, TimestampMillis, advance};
use tokio::net::TcpStream;
use tokio::sync::Barrier;

/// The name of the in-process emulator's runtime threads.
const EMULATOR_THREAD: &str = "sigil-emulator";

/// A setting from the environment, or its default.
fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

/// Whose CPU time counts as the emulator's.
#[derive(Clone)]
enum EmulatorThreads {
    /// The threads of this process with this name.
    Named(&'static str),
    /// Every thread of another process.
    Process(u32),
    /// Not known (no PID given, or not Linux).
    Unknown,
}

impl EmulatorThreads {
    /// Nanoseconds on a CPU so far, summed over the threads (`/proc/.../schedstat`).
    fn cpu_ns(&self) -> Option<u64> {
        let (tasks, name) = match self {
            EmulatorThreads::Named(name) => ("/proc/self/task".to_owned(), Some(*name)),
            EmulatorThreads::Process(pid) => (format!("/proc/{pid}/task"), None),
            EmulatorThreads::Unknown => return None,
        };
        let mut total = 0u64;
        for task in std::fs::read_dir(tasks).ok()?.flatten() {
            let path = task.path();
            if let Some(name) = name {
                let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
                if comm.trim_end() != name {
                    continue;
                }
            }
            let schedstat = std::fs::read_to_string(path.join("schedstat")).unwrap_or_default();
            total += schedstat
                .split_whitespace()
                .next()
                .and_then(|ns| ns.parse::<u64>().ok())
                .unwrap_or(0);
        }
        Some(total)
    }
}

/// One case: how to build a request (signed afresh each time) and whether an answer is a
/// success.
struct Case {
    name: &'static str,
    request: Box<dyn Fn() -> http::Request<Bytes> + Send + Sync>,
    /// The body of an HTTP 200 that counts as a success (ADVANCE answers its errors with 200).
    success: fn(&[u8]) -> bool,
}

/// What one caller measured.
struct Calls {
    latencies: Vec<Duration>,
    failures: usize,
}

/// One caller: its own HTTP/1.1 connection; one warm-up request, then `count` timed ones once
/// `start` opens.
async fn caller(
    addr: SocketAddr,
    host: HeaderValue,
    case: Arc<Case>,
    count: usize,
    start: Arc<Barrier>,
) -> Calls {
    let stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut call = async move || {
        let request = (case.request)();
        let (mut parts, body) = request.into_parts();
        // Origin form on the wire, with the Host header HTTP/1.1 wants.
        parts.uri = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .parse()
            .unwrap();
        parts.headers.insert(http::header::HOST, host.clone());
        let request = http::Request::from_parts(parts, Full::new(body));
        sender.ready().await.is_ok()
            && match sender.send_request(request).await {
                Ok(response) => {
                    let ok = response.status() == http::StatusCode::OK;
                    match response.into_body().collect().await {
                        Ok(body) => ok && (case.success)(&body.to_bytes()),
                        Err(_) => false,
                    }
                }
                Err(_) => false,
            }
    };
    let mut calls = Calls {
        latencies: Vec::with_capacity(count),
        failures: usize::from(!call().await),
    };
    start.wait().await;
    for _ in 0..count {
        let t = Instant::now();
        if !call().await {
            calls.failures += 1;
        }
        calls.latencies.push(t.elapsed());
    }
    calls
}

/// Runs `requests` calls of `case` from `connections` callers; prints the figures.
async fn measure(
    base: &str,
    connections: usize,
    requests: usize,
    emulator: &EmulatorThreads,
    case: Case,
) {
    let authority = base.trim_start_matches("http://");
    let addr: SocketAddr = authority.parse().unwrap();
    let host = HeaderValue::from_str(authority).unwrap();
    let case = Arc::new(case);
    let start = Arc::new(Barrier::new(connections + 1));
    let per_task = requests / connections;
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(caller(
                addr,
                host.clone(),
                case.clone(),
                per_task,
                start.clone(),
            ))
        })
        .collect();
    // Every connection open and warm before the clock starts.
    start.wait().await;
    let cpu_before = emulator.cpu_ns();
    let started = Instant::now();
    let mut latencies: Vec<Duration> = Vec::new();
    let mut failures = 0;
    for task in tasks {
        let calls = task.await.unwrap();
        latencies.extend(calls.latencies);
        failures += calls.failures;
    }
    let elapsed = started.elapsed();
    let cpu = cpu_before
        .zip(emulator.cpu_ns())
        .map(|(before, after)| after.saturating_sub(before));
    latencies.sort();
    let pct = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    let cpu_per_request = match cpu {
        Some(ns) => format!("{:>6.1} us", ns as f64 / 1e3 / latencies.len() as f64),
        None => "   n/a   ".to_owned(),
    };
    println!(
        "{:<16} {:>9.0} req/s   p50 {:>7.3} ms   p99 {:>7.3} ms   emulator CPU {cpu_per_request}/req   failures {failures}",
        case.name,
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(50).as_secs_f64() * 1e3,
        pct(99).as_secs_f64() * 1e3,
    );
}

/// The milliseconds since the epoch now.
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// ADVANCE's envelope says `SUCCESS`.
fn advance_success(body: &[u8]) -> bool {
    const SUCCESS: &[u8] = br#""code":"SUCCESS""#;
    body.windows(SUCCESS.len()).any(|w| w == SUCCESS)
}

/// Any HTTP 200 body.
fn any_body(_: &[u8]) -> bool {
    true
}

/// Every case, by the name `SIGIL_LOAD_CASES` and the report use.
const CASES: [&str; 4] = ["advance_token", "avanan_auth", "aet_get", "avanan_scopes"];

fn main() {
    let connections = setting("SIGIL_LOAD_CONNECTIONS", 50);
    let requests = setting("SIGIL_LOAD_REQUESTS", 20_000);
    let chosen: Vec<String> = std::env::var("SIGIL_LOAD_CASES")
        .map(|v| v.split(',').map(|c| c.trim().to_owned()).collect())
        .unwrap_or_else(|_| CASES.iter().map(|c| (*c).to_owned()).collect());
    if let Some(unknown) = chosen.iter().find(|c| !CASES.contains(&c.as_str())) {
        eprintln!(
            "unknown case {unknown:?}; the cases are {}",
            CASES.join(", ")
        );
        std::process::exit(2);
    }
    let wants = |case: &str| chosen.iter().any(|c| c == case);

    // The in-process emulator, unless one is named, on a runtime of its own.
    let (emulator, base, threads) = match std::env::var("SIGIL_EMULATOR_URL") {
        Ok(url) => {
            let threads = match std::env::var("SIGIL_EMULATOR_PID")
                .ok()
                .and_then(|p| p.parse().ok())
            {
                Some(pid) => EmulatorThreads::Process(pid),
                None => EmulatorThreads::Unknown,
            };
            (None, url.trim_end_matches('/').to_owned(), threads)
        }
        Err(_) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name(EMULATOR_THREAD)
                .enable_all()
                .build()
                .unwrap();
            let emulator = runtime
                .block_on(Emulator::start_local(EmulatorConfig::default()))
                .unwrap();
            let base = emulator.base_url();
            let threads = if cfg!(target_os = "linux") {
                EmulatorThreads::Named(EMULATOR_THREAD)
            } else {
                EmulatorThreads::Unknown
            };
            (Some((runtime, emulator)), base, threads)
        }
    };
    let load_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("sigil-load")
        .enable_all()
        .build()
        .unwrap();
    load_runtime.block_on(async {
        println!(
            "emulator at {base}: {connections} connections, one caller each, {requests} requests each case (load and emulator share the machine)"
        );
        let key = |s: &str| SecretKey::new(s.as_bytes()).unwrap();
        if wants("advance_token") {
            let (access_key, secret) = (SAMPLE_ADVANCE.0, key(SAMPLE_ADVANCE.1));
            let path = format!("/{}{GENERATE_TOKEN_PATH}", Region::Indonesia.path_prefix());
            let request = move || {
                let now = now_ms();
                let signature = advance::sign(access_key, &secret, TimestampMillis::new(now).unwrap());
                let body = GenerateTokenRequest::new(access_key, signature.as_str(), now, None).unwrap();
                http::Request::post(&path)
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(Bytes::from(serde_json::to_vec(&body).unwrap()))
                    .unwrap()
            };
            let case = Case { name: "advance_token", request: Box::new(request), success: advance_success };
            measure(&base, connections, requests, &threads, case).await;
        }
        let avanan = AvananClient::builder(SAMPLE_AVANAN.0, key(SAMPLE_AVANAN.1))
            .base_url(&base)
            .build()
            .unwrap();
        if wants("avanan_auth") {
            let (client, target) = (avanan.clone(), avanan.target("/v1.0/auth").unwrap());
            let request = move || client.sign(http::Method::GET, &target, None, Bytes::new()).unwrap();
            let case = Case { name: "avanan_auth", request: Box::new(request), success: any_body };
            measure(&base, connections, requests, &threads, case).await;
        }
        if wants("aet_get") {
            let aet = AetClient::builder(SAMPLE_AET.0, key(SAMPLE_AET.1))
                .base_url(&base)
                .build()
                .unwrap();
            let request = move || aet.signed_request(http::Method::GET, "/v3/users", None).unwrap();
            let case = Case { name: "aet_get", request: Box::new(request), success: any_body };
            measure(&base, connections, requests, &threads, case).await;
        }
        if wants("avanan_scopes") {
            let token = avanan.access_token().await.unwrap();
            let target = avanan.target("/v1.0/scopes").unwrap();
            let request = move || {
                avanan
                    .sign(http::Method::GET, &target, Some(&token), Bytes::new())
                    .unwrap()
            };
            let case = Case { name: "avanan_scopes", request: Box::new(request), success: any_body };
            measure(&base, connections, requests, &threads, case).await;
        }
    });
    if let Some((runtime, emulator)) = emulator {
        runtime.block_on(emulator.shutdown()).unwrap();
    }
}
