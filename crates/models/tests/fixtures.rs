//! Every sample JSON of the vendor documents (copied into `tests/fixtures/`) parses into its
//! type and re-serialises to the same JSON.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sigil_models::advance::{GenerateTokenRequest, GenerateTokenResponse, ResponseCode};
use sigil_models::avanan::ScopesResponse;
use sigil_models::idv::{
    ForgeryLabel, GenerateUrlRequest, GenerateUrlResponse, GetResultRequest, GetResultResponse,
    IdvCode, QualityLabel,
};

fn round_trip<T: DeserializeOwned + Serialize>(json: &str) -> T {
    let original: Value = serde_json::from_str(json).expect("fixture is JSON");
    let parsed: T = serde_json::from_str(json).expect("fixture parses");
    let again = serde_json::to_value(&parsed).expect("serialises");
    assert_eq!(again, original, "round trip changed the JSON");
    parsed
}

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("fixtures/", $name))
    };
}

#[test]
fn token_requests() {
    let sample: GenerateTokenRequest = round_trip(fixture!("advance_token_request_sample.json"));
    assert_eq!(sample.access_key, "19f3bfc87cdb9c33");
    assert_eq!(sample.timestamp.as_millis(), 1_665_683_270_207);
    assert_eq!(sample.period_second, Some(86_400));
    round_trip::<GenerateTokenRequest>(fixture!("advance_token_request_curl.json"));
    round_trip::<GenerateTokenRequest>(fixture!("advance_token_request_curl_001.json"));
}

#[test]
fn token_responses() {
    for json in [
        fixture!("advance_token_success_000.json"),
        fixture!("advance_token_success_001.json"),
    ] {
        let r: GenerateTokenResponse = round_trip(json);
        assert!(r.is_success());
        let data = r.data.expect("data");
        assert!(data.token.expose().starts_with("eyJ"));
        assert!(data.expired_time.as_millis() > 1_600_000_000_000);
    }
    let cases = [
        (
            fixture!("advance_token_empty_parameter.json"),
            ResponseCode::ParameterError,
        ),
        (
            fixture!("advance_token_timestamp_error.json"),
            ResponseCode::ParameterError,
        ),
        (
            fixture!("advance_token_signature_error.json"),
            ResponseCode::ParameterError,
        ),
        (
            fixture!("advance_token_account_disabled.json"),
            ResponseCode::AccountDisabled,
        ),
        (
            fixture!("advance_token_client_error.json"),
            ResponseCode::ClientError,
        ),
    ];
    for (json, code) in cases {
        let r: GenerateTokenResponse = round_trip(json);
        assert_eq!(r.code, code);
        assert!(r.data.is_none());
        assert!(r.transaction_id.is_some());
    }
}

#[test]
fn idv_generate_url() {
    let req: GenerateUrlRequest = round_trip(fixture!("idv_generate_url_request.json"));
    assert_eq!(req.region, "IDN");
    let ok: GenerateUrlResponse = round_trip(fixture!("idv_generate_url_success.json"));
    assert_eq!(ok.data.expect("data").signature_id, "ed8b21c0c87ad617");
    for (json, code) in [
        (
            fixture!("idv_generate_url_region_wrong.json"),
            ResponseCode::RegionWrong,
        ),
        (
            fixture!("idv_generate_url_parameter_error.json"),
            ResponseCode::ParameterError,
        ),
        (
            fixture!("idv_generate_url_empty_parameter.json"),
            ResponseCode::ParameterError,
        ),
        (
            fixture!("idv_generate_url_invalid_return_url.json"),
            ResponseCode::ParameterError,
        ),
        (fixture!("idv_generate_url_error.json"), ResponseCode::Error),
    ] {
        assert_eq!(round_trip::<GenerateUrlResponse>(json).code, code);
    }
}

#[test]
fn idv_get_result() {
    let req: GetResultRequest = round_trip(fixture!("idv_get_result_request.json"));
    assert_eq!(req.signature_id, "f302f5d2454a85c2");
    let ok: GetResultResponse = round_trip(fixture!("idv_get_result_success.json"));
    let data = ok.data.expect("data");
    assert_eq!(data.idv_code, Some(IdvCode::Success));
    let result = data.idv_result.expect("idvResult");
    assert_eq!(
        result.forgery_labels,
        Some(vec![ForgeryLabel::Screenshot, ForgeryLabel::Scan])
    );
    assert_eq!(
        result.quality_labels,
        Some(vec![QualityLabel::Blur, QualityLabel::Dim])
    );
    let ocr = data.ocr_result.expect("ocrResult");
    assert_eq!(ocr.birthday.as_deref(), Some("1989/06/01"));
    assert_eq!(ocr.rtrw.as_deref(), Some("011/002"));
    // All 18 fields are present in the sample and mapped.
    let ocr_json = serde_json::to_value(&ocr).expect("serialises");
    assert_eq!(ocr_json.as_object().expect("object").len(), 18);
    assert!(
        ocr_json
            .as_object()
            .expect("object")
            .values()
            .all(Value::is_string)
    );
    for (json, code) in [
        (
            fixture!("idv_get_result_signature_not_exist.json"),
            ResponseCode::SignatureNotExist,
        ),
        (fixture!("idv_get_result_error.json"), ResponseCode::Error),
    ] {
        assert_eq!(round_trip::<GetResultResponse>(json).code, code);
    }
}

#[test]
fn avanan_scopes() {
    let r: ScopesResponse = round_trip(fixture!("avanan_scopes.json"));
    assert_eq!(r.response_data[0].farm(), Some("mt-rnd-ng-1"));
    assert_eq!(r.response_data[0].customer(), Some("test"));
    assert_eq!(r.response_envelope.next_scroll_id(), None);
}
