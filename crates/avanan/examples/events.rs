//! Logs in to Avanan, lists the scopes and pages through phishing events.
//!
//! `cargo run -p sigil-avanan --example events` starts the built-in emulator on loopback;
//! set `AVANAN_BASE_URL`, `AVANAN_APP_ID` and `AVANAN_SECRET` to talk to another server.

use sigil_avanan::{AvananClient, EventQuery, SecretKey};
use sigil_emulator::{Emulator, EmulatorConfig, SAMPLE_AVANAN};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = match std::env::var("AVANAN_BASE_URL") {
        Ok(_) => None,
        Err(_) => Some(Emulator::start("127.0.0.1:0".parse()?, EmulatorConfig::default()).await?),
    };
    let base = match &emulator {
        Some(e) => e.base_url(),
        None => std::env::var("AVANAN_BASE_URL")?,
    };
    let app_id = std::env::var("AVANAN_APP_ID").unwrap_or_else(|_| SAMPLE_AVANAN.0.to_owned());
    let secret = std::env::var("AVANAN_SECRET").unwrap_or_else(|_| SAMPLE_AVANAN.1.to_owned());

    let client = AvananClient::builder(app_id, SecretKey::new(secret.as_bytes())?)
        .base_url(&base)
        .build()?;
    for scope in client.scopes().await? {
        println!("scope {}", scope.as_str());
    }
    let query = EventQuery {
        event_types: Some(vec!["phishing".into()]),
        ..EventQuery::default()
    };
    let mut pages = client.events(query);
    let mut count = 0;
    while let Some(page) = pages.next_page().await {
        for event in page? {
            count += 1;
            println!(
                "{} {} severity {} on {}",
                event.event_created().unwrap_or("?"),
                event.event_id,
                event.severity().unwrap_or("?"),
                event.saas().unwrap_or("?"),
            );
        }
    }
    println!("{count} phishing event(s)");
    if let Some(emulator) = emulator {
        emulator.shutdown().await?;
    }
    Ok(())
}
