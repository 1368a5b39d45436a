//! The smallest ADVANCE.AI program: this crate and `tokio` only. Reads `SIGIL_BASE_URL`
//! (e.g. a running `sigil emulator`), else the Indonesia host.
//!
//! `sigil emulator --addr 127.0.0.1:8080 & SIGIL_BASE_URL=http://127.0.0.1:8080 cargo run -p sigil-advance-idv --example advance_minimal`

use sigil_advance_idv::{AdvanceClient, CountryCode, GenerateUrlRequest, Region, SecretKey};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder =
        AdvanceClient::builder("sampleaccesskey", SecretKey::new(b"samplesecretkey")?)
            .region(Region::Indonesia);
    if let Ok(url) = std::env::var("SIGIL_BASE_URL") {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;
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
    println!("so far: {:?}", result.idv_code);
    Ok(())
}
