//! The smallest AET program: this crate and `tokio` only. Reads `SIGIL_BASE_URL` (e.g. a
//! running `sigil emulator`), else the sandbox.
//!
//! `sigil emulator --addr 127.0.0.1:8080 & SIGIL_BASE_URL=http://127.0.0.1:8080 cargo run -p sigil-aet --example aet_minimal`

use sigil_aet::{AetClient, Environment, SecretKey};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = AetClient::builder("aet-sample-token", SecretKey::new(b"aet-sample-secret")?)
        .environment(Environment::Sandbox);
    if let Ok(url) = std::env::var("SIGIL_BASE_URL") {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;
    let body = br#"{"firstName":"Ada","lastName":"Lovelace"}"#;
    let created = client
        .send(
            sigil_aet::Method::POST,
            "/v3/users",
            Some(body.as_slice().into()),
        )
        .await?;
    println!(
        "HTTP {}: {}",
        created.status(),
        String::from_utf8_lossy(created.body())
    );
    Ok(())
}
