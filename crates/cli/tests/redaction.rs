//! The `Debug` of every public type that can hold a secret, a token, a signature or personal
//! data, built from known values: none of them may appear.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use sigil_advance_idv::AdvanceClient;
use sigil_aet::AetClient;
use sigil_avanan::{AuthToken, AvananClient};
use sigil_client_core::{FetchedToken, RefreshPolicy, SystemClock, TokenCache, TokenLoadError};
use sigil_models::advance::TokenData;
use sigil_models::avanan::Event;
use sigil_models::idv::{CountryCode, GenerateUrlData, GenerateUrlRequest, IdvResultData};
use sigil_models::{AccessToken, Signature};
use sigil_signing::advance::AdvanceSigner;
use sigil_signing::aet::{AetBody, AetRequest, AetRequestPath, AetSigner, QueryPolicy};
use sigil_signing::avanan::{AvananRequest, AvananSigner};
use sigil_signing::{SecretKey, TimestampMillis};
use sigil_transport::{RecordedRequest, ScriptedTransport};

const SECRET: &str = "S3CRET-never-print";
const TOKEN: &str = "TOK3N-never-print";
const ID_NUMBER: &str = "3171234567890123";
const NAME: &str = "SITI AMINAH";
const ADDRESS: &str = "JL. MERDEKA NO. 17";
const BIRTHDAY: &str = "17-08-1990";
const USER_ID: &str = "user-siti@example.com";
const SESSION: &str = "h5SessionToken123";

/// Everything that must never be printed, with the signatures computed below.
fn forbidden(extra: &[String]) -> Vec<String> {
    let mut all: Vec<String> = [
        SECRET, TOKEN, ID_NUMBER, NAME, ADDRESS, BIRTHDAY, USER_ID, SESSION,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    all.extend_from_slice(extra);
    all
}

fn assert_clean(what: &str, shown: &str, forbidden: &[String]) {
    for value in forbidden {
        assert!(
            !shown.contains(value.as_str()),
            "{what} shows {value:?}: {shown}"
        );
    }
}

#[tokio::test]
async fn no_debug_output_shows_secrets_tokens_signatures_or_personal_data() {
    let key = SecretKey::new(SECRET.as_bytes()).unwrap();
    let ts = TimestampMillis::new(1_700_000_000_000).unwrap();
    let advance_sig = AdvanceSigner::new("ak", &key).sign(ts);
    let aet_signer = AetSigner::new(&key);
    let aet_sig = aet_signer.sign(&AetRequest {
        timestamp: ts,
        method: "GET",
        path: AetRequestPath::new("/v3/users", QueryPolicy::Exclude),
        body: AetBody::None,
    });
    let avanan_signer = AvananSigner::new(&key);
    let avanan_sig = avanan_signer.sign("id", "app", "date", AvananRequest::Auth);
    let bad = forbidden(&[
        advance_sig.as_str().to_owned(),
        aet_sig.as_str().to_owned(),
        avanan_sig.as_str().to_owned(),
    ]);

    let mut shown: Vec<(&str, String)> = vec![
        ("SecretKey", format!("{key:?}")),
        (
            "AdvanceSigner",
            format!("{:?}", AdvanceSigner::new("ak", &key)),
        ),
        ("AetSigner", format!("{aet_signer:?}")),
        ("AvananSigner", format!("{avanan_signer:?}")),
        ("HexSignature", format!("{advance_sig:?}")),
        ("Base64Signature", format!("{aet_sig:?}")),
        ("AccessToken", format!("{:?}", AccessToken::new(TOKEN))),
        (
            "Signature",
            format!("{:?}", Signature::new(advance_sig.as_str())),
        ),
    ];

    let token_data: TokenData =
        serde_json::from_value(json!({"token": TOKEN, "expiredTime": 1_700_003_600_000_u64}))
            .unwrap();
    shown.push(("TokenData", format!("{token_data:?}")));
    let url_request = GenerateUrlRequest::new(
        "https://shop.example/ok",
        "https://shop.example/fail",
        &CountryCode::new("IDN").unwrap(),
        Some(USER_ID.into()),
    )
    .unwrap();
    shown.push(("GenerateUrlRequest", format!("{url_request:?}")));
    let url_data: GenerateUrlData = serde_json::from_value(json!({
        "signatureId": "sig-1",
        "url": format!("https://h5.example/idv?token={SESSION}&signatureId=sig-1"),
        "expiredTime": 1_700_003_600_000_u64
    }))
    .unwrap();
    let shown_url = format!("{url_data:?}");
    assert!(shown_url.contains("https://h5.example/idv"), "{shown_url}");
    shown.push(("GenerateUrlData", shown_url));
    let result: IdvResultData = serde_json::from_value(json!({
        "image": format!("https://img.example/{ID_NUMBER}.jpg"),
        "croppedImage": format!("https://img.example/{NAME}.jpg"),
        "idvCode": "SUCCESS",
        "ocrCode": "SUCCESS",
        "ocrResult": {"idNumber": ID_NUMBER, "name": NAME, "address": ADDRESS,
                      "birthday": BIRTHDAY, "birthPlaceBirthday": format!("JAKARTA, {BIRTHDAY}")}
    }))
    .unwrap();
    let shown_result = format!("{result:?}");
    assert!(shown_result.contains("idNumber"), "{shown_result}");
    shown.push(("IdvResultData", shown_result));
    let event: Event = serde_json::from_value(json!({
        "eventId": "0123456789abcdef0123456789abcdef",
        "description": format!("Phishing mail to {USER_ID} from {NAME}")
    }))
    .unwrap();
    shown.push(("Event", format!("{event:?}")));
    let auth = AuthToken {
        token: AccessToken::new(TOKEN),
        lifetime: Duration::from_secs(3600),
        expires_at: std::time::SystemTime::now(),
    };
    shown.push(("AuthToken", format!("{auth:?}")));

    // Clients, their builders and the requests they sign.
    let t = ScriptedTransport::new();
    let advance_builder = AdvanceClient::builder("ak", key.clone()).transport(t.clone());
    shown.push(("AdvanceClientBuilder", format!("{advance_builder:?}")));
    shown.push((
        "AdvanceClient",
        format!("{:?}", advance_builder.build().unwrap()),
    ));
    let aet_builder = AetClient::builder(TOKEN, key.clone())
        .base_url("http://aet.test")
        .transport(t.clone());
    shown.push(("AetClientBuilder", format!("{aet_builder:?}")));
    let aet = aet_builder.build().unwrap();
    shown.push(("AetClient", format!("{aet:?}")));
    let aet_request = aet
        .signed_request(
            http::Method::POST,
            "/v3/users",
            Some(Bytes::from_static(b"{}")),
        )
        .unwrap();
    let aet_signature = aet_request.headers()["signature"]
        .to_str()
        .unwrap()
        .to_owned();
    shown.push(("signed AET http::Request", format!("{aet_request:?}")));
    shown.push((
        "RecordedRequest",
        format!("{:?}", RecordedRequest::of(&aet_request)),
    ));
    let avanan_builder = AvananClient::builder("US:app", key.clone())
        .base_url("http://avanan.test")
        .transport(t.clone());
    shown.push(("AvananClientBuilder", format!("{avanan_builder:?}")));
    let avanan = avanan_builder.build().unwrap();
    shown.push(("AvananClient", format!("{avanan:?}")));
    let target = avanan.target("/v1.0/scopes").unwrap();
    let avanan_request = avanan
        .sign(
            http::Method::GET,
            &target,
            Some(&AccessToken::new(TOKEN)),
            Bytes::new(),
        )
        .unwrap();
    let avanan_signature = avanan_request.headers()["x-av-sig"]
        .to_str()
        .unwrap()
        .to_owned();
    shown.push(("signed Avanan http::Request", format!("{avanan_request:?}")));

    // The token cache, holding a token.
    let cache: TokenCache<AccessToken, TokenLoadError> =
        TokenCache::new(RefreshPolicy::default(), SystemClock);
    cache
        .get(|| async {
            Ok(FetchedToken {
                token: AccessToken::new(TOKEN),
                lifetime: Duration::from_secs(3600),
            })
        })
        .await
        .unwrap();
    shown.push(("TokenCache", format!("{cache:?}")));

    let mut all_bad = bad;
    all_bad.push(aet_signature);
    all_bad.push(avanan_signature);
    for (what, text) in &shown {
        assert_clean(what, text, &all_bad);
    }
}
