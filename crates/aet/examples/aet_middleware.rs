//! AET auth added to an existing reqwest client with `reqwest-middleware` (this crate's feature
//! `reqwest-middleware`). Reads `SIGIL_BASE_URL` (e.g. a running `sigil emulator`), else the
//! sandbox.
//!
//! `sigil emulator --addr 127.0.0.1:8080 & SIGIL_BASE_URL=http://127.0.0.1:8080 cargo run -p sigil-aet --features reqwest-middleware --example aet_middleware`

use sigil_aet::{AetRequestSigner, SecretKey};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base_url =
        std::env::var("SIGIL_BASE_URL").unwrap_or_else(|_| "https://sandbox.aet.dev".to_owned());
    let signer = AetRequestSigner::new("aet-sample-token", &SecretKey::new(b"aet-sample-secret")?)?;
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(signer)
        .build();

    let created = client
        .post(format!("{base_url}/v3/users"))
        .header("content-type", "application/json")
        .body(r#"{"firstName":"Ada","lastName":"Lovelace"}"#)
        .send()
        .await?
        .error_for_status()?;
    let created: sigil_aet::serde_json::Value =
        sigil_aet::serde_json::from_slice(&created.bytes().await?)?;
    let id = created["id"].as_str().ok_or("the answer has no id")?;

    let user = client
        .get(format!("{base_url}/v3/users/{id}"))
        .send()
        .await?
        .error_for_status()?;
    println!("HTTP {}: {}", user.status(), user.text().await?);
    Ok(())
}
