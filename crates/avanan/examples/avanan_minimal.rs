//! The smallest Avanan program: this crate and `tokio` only. Reads `SIGIL_BASE_URL` (e.g. a
//! running `sigil emulator`), else the US region.
//!
//! `sigil emulator --addr 127.0.0.1:8080 & SIGIL_BASE_URL=http://127.0.0.1:8080 cargo run -p sigil-avanan --example avanan_minimal`

use sigil_avanan::{AvananClient, EventQuery, Region, SecretKey, Timeouts};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = AvananClient::builder("US:myapp29", SecretKey::new(b"my_avanan_secret")?)
        .region(Region::Us)
        .timeouts(Timeouts::default());
    if let Ok(url) = std::env::var("SIGIL_BASE_URL") {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;
    for scope in client.scopes().await? {
        println!("scope {}", scope.as_str());
    }
    let events = client.events(EventQuery::default()).collect_all().await?;
    println!("{} event(s)", events.len());
    Ok(())
}
