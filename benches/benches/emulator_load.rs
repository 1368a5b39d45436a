//! The emulator's throughput, measured with the real clients over loopback (a bench, not a
//! timed test): ADVANCE token requests, AET signed GETs and Avanan signed requests, each from
//! `CONCURRENCY` callers for a fixed number of requests; requests per second, p50 and p99.
//!
//! `cargo bench -p sigil-benches --bench emulator_load` (release build; loopback only; bounded
//! in count).

#![allow(clippy::unwrap_used)] // A bench: a panic is the failure report.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sigil_advance_idv::AdvanceClient;
use sigil_aet::AetClient;
use sigil_avanan::AvananClient;
use sigil_emulator::{Emulator, EmulatorConfig, SAMPLE_ADVANCE, SAMPLE_AET, SAMPLE_AVANAN};
use sigil_signing::SecretKey;

const CONCURRENCY: usize = 32;
const REQUESTS: usize = 20_000;

/// Runs `REQUESTS` calls of `call` from `CONCURRENCY` tasks; prints the figures.
async fn measure<F, Fut>(name: &str, call: F)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(REQUESTS / CONCURRENCY);
                let mut failures = 0;
                for _ in 0..REQUESTS / CONCURRENCY {
                    let t = Instant::now();
                    if !call().await {
                        failures += 1;
                    }
                    latencies.push(t.elapsed());
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = Vec::new();
    let mut failures = 0;
    for task in tasks {
        let (l, f) = task.await.unwrap();
        latencies.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    println!(
        "{name:<28} {:>9.0} req/s   p50 {:>7.3} ms   p99 {:>7.3} ms   failures {failures}",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(50).as_secs_f64() * 1e3,
        pct(99).as_secs_f64() * 1e3,
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let emu = Emulator::start_local(EmulatorConfig::default())
            .await
            .unwrap();
        let base = emu.base_url();
        println!("emulator throughput, {CONCURRENCY} concurrent callers, {REQUESTS} requests each case (client and emulator share the machine)");

        let advance = AdvanceClient::builder(
            SAMPLE_ADVANCE.0,
            SecretKey::new(SAMPLE_ADVANCE.1.as_bytes()).unwrap(),
        )
        .base_url(&base)
        .build()
        .unwrap();
        measure("ADVANCE generate-token", move || {
            let c = advance.clone();
            async move { c.generate_token().await.is_ok() }
        })
        .await;

        let aet = AetClient::builder(SAMPLE_AET.0, SecretKey::new(SAMPLE_AET.1.as_bytes()).unwrap())
            .base_url(&base)
            .build()
            .unwrap();
        measure("AET signed GET /v3/users", move || {
            let c = aet.clone();
            async move { c.get::<serde_json::Value>("/v3/users").await.is_ok() }
        })
        .await;

        let avanan = AvananClient::builder(
            SAMPLE_AVANAN.0,
            SecretKey::new(SAMPLE_AVANAN.1.as_bytes()).unwrap(),
        )
        .base_url(&base)
        .build()
        .unwrap();
        measure("Avanan signed GET /scopes", move || {
            let c = avanan.clone();
            async move { c.scopes().await.is_ok() }
        })
        .await;
        emu.shutdown().await.unwrap();
    });
}
