//! Logs in to Avanan, lists the scopes and pages through phishing events.
//!
//! `cargo run -p sigil-avanan --example events` starts the built-in emulator on loopback and
//! walks it twice: with the live service's cursors (one `scrollId` for the whole walk) and
//! with rotating ones (a new `scrollId` per page). Set `AVANAN_BASE_URL`, `AVANAN_APP_ID` and
//! `AVANAN_SECRET` to walk another server once.

use sigil_avanan::{AvananClient, EventQuery, SecretKey};
use sigil_emulator::{Emulator, EmulatorConfig, EventCursors, SAMPLE_AVANAN};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app_id = std::env::var("AVANAN_APP_ID").unwrap_or_else(|_| SAMPLE_AVANAN.0.to_owned());
    let secret = std::env::var("AVANAN_SECRET").unwrap_or_else(|_| SAMPLE_AVANAN.1.to_owned());
    if let Ok(base) = std::env::var("AVANAN_BASE_URL") {
        walk(&base, &app_id, &secret).await?;
        return Ok(());
    }
    for cursors in [EventCursors::Stable, EventCursors::Rotating] {
        println!("emulator with {cursors:?} cursors");
        let config = EmulatorConfig {
            event_cursors: cursors,
            ..EmulatorConfig::default()
        };
        let emulator = Emulator::start_local(config).await?;
        walk(&emulator.base_url(), &app_id, &secret).await?;
        emulator.shutdown().await?;
    }
    Ok(())
}

/// Lists the scopes and walks the phishing events, three to a page.
async fn walk(base: &str, app_id: &str, secret: &str) -> Result<(), Box<dyn std::error::Error>> {
    let client = AvananClient::builder(app_id, SecretKey::new(secret.as_bytes())?)
        .base_url(base)
        .build()?;
    for scope in client.scopes().await? {
        println!("scope {}", scope.as_str());
    }
    let query = EventQuery {
        event_types: Some(vec!["phishing".into()]),
        page_size: Some(3),
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
    println!("{count} phishing event(s) in {} page(s)", pages.pages());
    Ok(())
}
