//! Runs the emulator inside a program, with faults on, and reads its metrics.
//!
//! `cargo run -p sigil-emulator --example in_process` (loopback only).

use std::time::Duration;

use sigil_emulator::{Emulator, EmulatorConfig, Faults};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = EmulatorConfig {
        faults: Faults {
            seed: 1,
            unavailable_rate: 0.5,
            retry_after: Duration::ZERO,
            scope: vec!["aet".into()],
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start_local(config).await?;
    println!("listening on {}", emulator.base_url());
    let http = reqwest::Client::new();
    for _ in 0..4 {
        // Unsigned: refused with 401 unless a fault is injected first.
        let status = http
            .get(format!("{}/v3/users", emulator.base_url()))
            .send()
            .await?
            .status();
        println!("GET /v3/users -> {status}");
    }
    let metrics = emulator.metrics();
    println!("faults injected: {:?}", metrics.get("faults.aet"));
    println!("held: {:?}", metrics.get("held"));
    emulator.shutdown().await?;
    Ok(())
}
