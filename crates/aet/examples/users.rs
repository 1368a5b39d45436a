//! Creates, reads and lists AET users, and signs a request for another HTTP stack.
//!
//! `cargo run -p sigil-aet --example users` starts the built-in emulator on loopback;
//! set `AET_BASE_URL`, `AET_TOKEN` and `AET_SECRET` to talk to another server instead.

use sigil_aet::serde_json::{Value, json};
use sigil_aet::{AetClient, AetRequestSigner, SecretKey};
use sigil_emulator::{Emulator, EmulatorConfig, SAMPLE_AET};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = match std::env::var("AET_BASE_URL") {
        Ok(_) => None,
        Err(_) => Some(Emulator::start_local(EmulatorConfig::default()).await?),
    };
    let base = match &emulator {
        Some(e) => e.base_url(),
        None => std::env::var("AET_BASE_URL")?,
    };
    let token = std::env::var("AET_TOKEN").unwrap_or_else(|_| SAMPLE_AET.0.to_owned());
    let secret = SecretKey::new(
        std::env::var("AET_SECRET")
            .unwrap_or_else(|_| SAMPLE_AET.1.to_owned())
            .as_bytes(),
    )?;

    let client = AetClient::builder(token.as_str(), secret.clone())
        .base_url(&base)
        .build()?;
    let created: Value = client
        .post(
            "/v3/users",
            &json!({"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"}),
        )
        .await?;
    let id = created["id"].as_str().unwrap_or_default();
    println!("created user {id}");
    let user: Value = client.get(&format!("/v3/users/{id}")).await?;
    println!("read it back: {}", user["firstName"]);
    let page: Value = client.get("/v3/users?page=1&per_page=10").await?;
    println!("{} user(s) listed", page["total"]);

    // The same rules for a request built elsewhere: sign it in place, send it with any stack.
    let mut request = http::Request::get(format!("{base}/v3/users")).body(Vec::new())?;
    AetRequestSigner::new(&token, &secret)?.sign(&mut request)?;
    println!(
        "signed a GET for another HTTP stack: {} headers",
        request.headers().len()
    );

    if let Some(emulator) = emulator {
        emulator.shutdown().await?;
    }
    Ok(())
}
