//! Avanan auth added to an existing reqwest client with `reqwest-middleware` (this crate's
//! feature `reqwest-middleware`): the token comes from the `AvananClient`'s cache, every request
//! is signed as reqwest sends it. Reads `SIGIL_BASE_URL` (e.g. a running `sigil emulator`), else
//! the US region.
//!
//! `sigil emulator --addr 127.0.0.1:8080 & SIGIL_BASE_URL=http://127.0.0.1:8080 cargo run -p sigil-avanan --features reqwest-middleware --example avanan_middleware`

use sigil_avanan::{AvananAuth, AvananClient, SecretKey};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = std::env::var("SIGIL_BASE_URL")
        .unwrap_or_else(|_| "https://smart-api-production-1-us.avanan.net".to_owned());
    let avanan = AvananClient::builder("US:myapp29", SecretKey::new(b"my_avanan_secret")?)
        .base_url(&base_url)
        .build()?;
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(AvananAuth::new(avanan))
        .build();

    let scopes = client
        .get(format!("{base_url}/v1.0/scopes"))
        .send()
        .await?
        .error_for_status()?;
    println!("HTTP {}: {}", scopes.status(), scopes.text().await?);
    Ok(())
}
