//! Every log line the clients, the transport and the emulator write, captured at TRACE with
//! known secrets, tokens, signatures and personal data: none of them may appear.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sigil_advance_idv::{AdvanceClient, CountryCode, GenerateUrlRequest};
use sigil_aet::AetClient;
use sigil_avanan::AvananClient;
use sigil_emulator::{
    Emulator, EmulatorConfig, IdvOutcome, SAMPLE_ADVANCE, SAMPLE_AET, SAMPLE_AVANAN,
};
use sigil_signing::SecretKey;
use sigil_transport::{Recorder, ReqwestConfig, ReqwestTransport};

/// A writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_output_carries_no_secret_token_signature_or_personal_datum() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let emu = Emulator::start_local(EmulatorConfig::default())
        .await
        .unwrap();
    let base = emu.base_url();
    let transport = Recorder::new(ReqwestTransport::new(ReqwestConfig::default()).unwrap());

    // ADVANCE: a verification with personal data in the result.
    let advance = AdvanceClient::builder(
        SAMPLE_ADVANCE.0,
        SecretKey::new(SAMPLE_ADVANCE.1.as_bytes()).unwrap(),
    )
    .base_url(&base)
    .transport(transport.clone())
    .build()
    .unwrap();
    let user_id = "user-siti-aminah@example.com";
    emu.script_idv_outcome(user_id, IdvOutcome::Success);
    let session = advance
        .generate_url(
            &GenerateUrlRequest::new(
                "https://shop.example/ok",
                "https://shop.example/no",
                &CountryCode::new("IDN").unwrap(),
                Some(user_id.into()),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let result = advance.get_result(&session.signature_id).await.unwrap();
    let ocr = serde_json::to_value(result.ocr_result.as_ref().unwrap()).unwrap();
    let advance_token = advance.access_token().await.unwrap();

    // AET: a body with personal data.
    let aet = AetClient::builder(
        SAMPLE_AET.0,
        SecretKey::new(SAMPLE_AET.1.as_bytes()).unwrap(),
    )
    .base_url(&base)
    .transport(transport.clone())
    .build()
    .unwrap();
    let _: Value = aet
        .post(
            "/v3/users",
            &json!({"firstName": "Siti", "email": "siti.private@example.com"}),
        )
        .await
        .unwrap();

    // Avanan: a token, a signed request, events.
    let avanan = AvananClient::builder(
        SAMPLE_AVANAN.0,
        SecretKey::new(SAMPLE_AVANAN.1.as_bytes()).unwrap(),
    )
    .base_url(&base)
    .transport(transport.clone())
    .build()
    .unwrap();
    avanan.scopes().await.unwrap();
    let avanan_token = avanan.access_token().await.unwrap();
    emu.shutdown().await.unwrap();

    let mut forbidden: Vec<String> = vec![
        SAMPLE_ADVANCE.1.into(),
        SAMPLE_AET.0.into(),
        SAMPLE_AET.1.into(),
        SAMPLE_AVANAN.1.into(),
        advance_token.expose().into(),
        avanan_token.expose().into(),
        user_id.into(),
        "siti.private@example.com".into(),
        session
            .url
            .split_once("token=")
            .unwrap()
            .1
            .split('&')
            .next()
            .unwrap()
            .into(),
    ];
    for field in ["idNumber", "name", "address", "birthPlaceBirthday"] {
        if let Some(text) = ocr[field].as_str() {
            forbidden.push(text.to_owned());
        }
    }
    for request in transport.requests() {
        for header in ["signature", "x-av-sig", "x-access-token", "x-av-token"] {
            if let Some(value) = request.header(header).filter(|v| v.len() > 8) {
                forbidden.push(value.to_owned());
            }
        }
        if let Ok(body) = serde_json::from_slice::<Value>(&request.body)
            && let Some(signature) = body["signature"].as_str()
        {
            forbidden.push(signature.to_owned());
        }
    }
    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        output.contains("sigil::token"),
        "the capture works: {} bytes",
        output.len()
    );
    assert!(output.contains("sigil::http"));
    assert!(output.contains("sigil::emulator"));
    for value in &forbidden {
        assert!(!value.is_empty());
        assert!(!output.contains(value.as_str()), "the logs show {value:?}");
    }
}
