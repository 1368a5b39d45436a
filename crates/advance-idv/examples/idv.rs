//! ADVANCE.AI H5 ID verification: a token, a verification page for one user, its result.
//!
//! `cargo run -p sigil-advance-idv --example idv` starts the built-in emulator on loopback
//! (and completes the verification there as a user would); set `ADVANCE_BASE_URL`,
//! `ADVANCE_ACCESS_KEY` and `ADVANCE_SECRET_KEY` to talk to another server.

use sigil_advance_idv::{AdvanceClient, CountryCode, GenerateUrlRequest, SecretKey};
use sigil_emulator::{Emulator, EmulatorConfig, IdvOutcome, SAMPLE_ADVANCE};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = match std::env::var("ADVANCE_BASE_URL") {
        Ok(_) => None,
        Err(_) => Some(Emulator::start_local(EmulatorConfig::default()).await?),
    };
    let base = match &emulator {
        Some(e) => e.base_url(),
        None => std::env::var("ADVANCE_BASE_URL")?,
    };
    let access_key =
        std::env::var("ADVANCE_ACCESS_KEY").unwrap_or_else(|_| SAMPLE_ADVANCE.0.to_owned());
    let secret_key =
        std::env::var("ADVANCE_SECRET_KEY").unwrap_or_else(|_| SAMPLE_ADVANCE.1.to_owned());

    let client = AdvanceClient::builder(access_key, SecretKey::new(secret_key.as_bytes())?)
        .base_url(&base)
        .build()?;
    if let Some(emulator) = &emulator {
        // What the user will pick on the H5 page.
        emulator.script_idv_outcome("user-42", IdvOutcome::Success);
    }
    let request = GenerateUrlRequest::new(
        "https://shop.example/done",
        "https://shop.example/failed",
        &CountryCode::new("IDN")?,
        Some("user-42".into()),
    )?;
    let session = client.generate_url(&request).await?;
    println!(
        "send the user to the H5 page of session {}",
        session.signature_id
    );
    let result = client.get_result(&session.signature_id).await?;
    println!(
        "verification: {:?}, OCR: {:?}",
        result.idv_code, result.ocr_code
    );
    if let Some(emulator) = emulator {
        emulator.shutdown().await?;
    }
    Ok(())
}
