//! Unknown codes and labels parse, keep their text and serialise back unchanged; secrets
//! never reach `Debug`; serialise→deserialise is the identity.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use proptest::prelude::*;
use serde_json::{Value, json};
use sigil_models::advance::{
    GenerateTokenRequest, GenerateTokenResponse, PeriodSeconds, PricingStrategy, ResponseCode,
};
use sigil_models::idv::{
    CountryCode, ForgeryLabel, GenerateUrlRequest, GetResultResponse, IdvCode, ImageType, OcrCode,
    QualityLabel,
};
use sigil_models::{AccessToken, ModelError};

#[test]
fn unknown_codes_and_labels_survive() {
    let original = json!({
        "code": "SUCCESS", "message": "OK", "extra": null, "transactionId": "x",
        "pricingStrategy": "PAY_LATER",
        "data": {
            "image": null, "croppedImage": null, "imageType": "VIDEO",
            "idvCode": "HOLOGRAM_MISSING",
            "idvResult": {"forgeryLabels": ["retake", "deepfake"], "isLowQuality": false, "qualityLabels": ["glare"]},
            "ocrCode": "PARTIAL", "ocrResult": null
        }
    });
    let parsed: GetResultResponse = serde_json::from_value(original.clone()).unwrap();
    assert_eq!(
        parsed.pricing_strategy,
        Some(PricingStrategy::Unknown("PAY_LATER".into()))
    );
    let data = parsed.data.clone().unwrap();
    assert_eq!(data.image_type, Some(ImageType::Unknown("VIDEO".into())));
    assert_eq!(
        data.idv_code,
        Some(IdvCode::Unknown("HOLOGRAM_MISSING".into()))
    );
    assert_eq!(data.ocr_code, Some(OcrCode::Unknown("PARTIAL".into())));
    let result = data.idv_result.unwrap();
    assert_eq!(
        result.forgery_labels,
        Some(vec![
            ForgeryLabel::Retake,
            ForgeryLabel::Unknown("deepfake".into())
        ])
    );
    assert_eq!(
        result.quality_labels,
        Some(vec![QualityLabel::Unknown("glare".into())])
    );
    assert_eq!(serde_json::to_value(&parsed).unwrap(), original);

    let code = json!({"code": "QUOTA_EXCEEDED_V2", "message": "m", "data": null, "extra": {"k": 1}, "transactionId": "t", "pricingStrategy": "FREE"});
    let parsed: GenerateTokenResponse = serde_json::from_value(code.clone()).unwrap();
    assert_eq!(
        parsed.code,
        ResponseCode::Unknown("QUOTA_EXCEEDED_V2".into())
    );
    assert!(!parsed.code.is_known());
    assert_eq!(serde_json::to_value(&parsed).unwrap(), code);
}

#[test]
fn every_documented_value_is_a_variant() {
    for (list, expected) in [
        (
            ResponseCode::KNOWN
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>(),
            vec![
                "SUCCESS",
                "PARAMETER_ERROR",
                "ACCOUNT_DISABLED",
                "CLIENT_ERROR",
                "REGION_WRONG",
                "SIGNATURE_NOT_EXIST",
                "ERROR",
                "EMPTY_PARAMETER_ERROR",
                "INSUFFICIENT_BALANCE",
                "SERVICE_BUSY",
                "IAM_FAILED",
                "OVER_QUERY_LIMIT",
                "RETRY_LATER",
            ],
        ),
        (
            ForgeryLabel::KNOWN.iter().map(|c| c.as_str()).collect(),
            vec![
                "retake",
                "colorPhotocopied",
                "cutoffCorner",
                "pastedPhoto",
                "b&wPhotocopied",
                "modifiedNIK",
                "oldKTP",
                "screenshot",
                "scan",
            ],
        ),
        (
            IdvCode::KNOWN.iter().map(|c| c.as_str()).collect(),
            vec![
                "SUCCESS",
                "LOW_QUALITY_IMAGE",
                "FORGERY_DETECTED",
                "CARD_NOT_FOUND",
                "TOO_MANY_CARDS",
                "NO_SUPPORTED_CARD",
                "INCOMPLETED_CARD",
                "TOO_SMALL_CARD",
                "ERROR",
            ],
        ),
    ] {
        assert_eq!(list, expected);
    }
    for code in ResponseCode::KNOWN {
        assert!(ResponseCode::from(code.as_str()).is_known());
    }
}

#[test]
fn period_second_forms() {
    let base = json!({"accessKey": "a", "signature": "s", "timestamp": "1665683270207"});
    let with = |p: Value| {
        let mut v = base.clone();
        v["periodSecond"] = p;
        serde_json::from_value::<GenerateTokenRequest>(v)
    };
    assert_eq!(
        with(Value::Null).unwrap().period().unwrap(),
        PeriodSeconds::DEFAULT
    );
    assert_eq!(with(json!("120")).unwrap().period_second, Some(120));
    assert_eq!(with(json!(120)).unwrap().period_second, Some(120));
    assert_eq!(
        with(json!(59)).unwrap().period(),
        Err(ModelError::PeriodOutOfRange(59))
    );
    let absent: GenerateTokenRequest = serde_json::from_value(base).unwrap();
    assert_eq!(absent.period_second, None);
    assert_eq!(absent.timestamp.as_millis(), 1_665_683_270_207);
}

#[test]
fn constructors_validate() {
    let sig = "22e20a4519cad37ecd5abb5c666828b2cfb06764ec3734c5faa5132c5e369585";
    assert!(
        GenerateTokenRequest::new("ak", sig, 1_665_683_270_207, PeriodSeconds::new(60).ok())
            .is_ok()
    );
    assert_eq!(
        GenerateTokenRequest::new("", sig, 1_665_683_270_207, None).err(),
        Some(ModelError::Empty { field: "accessKey" })
    );
    assert_eq!(
        GenerateTokenRequest::new("ak", "abc", 1_665_683_270_207, None).err(),
        Some(ModelError::SignatureFormat)
    );
    assert_eq!(
        GenerateTokenRequest::new("ak", sig, 1_665_683_270, None).err(),
        Some(ModelError::TimestampNot13Digits(1_665_683_270))
    );
    assert!(
        PeriodSeconds::new(86_400).is_ok()
            && PeriodSeconds::new(86_401).is_err()
            && PeriodSeconds::new(60).is_ok()
    );

    let idn = CountryCode::new("IDN").unwrap();
    assert!(
        GenerateUrlRequest::new("https://a.example/ok", "https://a.example/fail", &idn, None)
            .is_ok()
    );
    assert!(matches!(
        GenerateUrlRequest::new("ftp://a.example", "https://a.example", &idn, None),
        Err(ModelError::Url {
            field: "returnUrl",
            ..
        })
    ));
    assert!(matches!(
        GenerateUrlRequest::new("https://a.example", "not a url", &idn, None),
        Err(ModelError::Url {
            field: "failReturnUrl",
            ..
        })
    ));
    assert!(matches!(
        GenerateUrlRequest::new(
            "https://a.example",
            "https://b.example",
            &idn,
            Some(String::new())
        ),
        Err(ModelError::Empty { field: "userId" })
    ));
    for bad in ["ID", "IDNX", "idn", "1DN", ""] {
        assert!(CountryCode::new(bad).is_err(), "{bad}");
    }
}

#[test]
fn debug_never_shows_tokens_or_signatures() {
    let token = "eyJhbGciOiJIUzUxMiJ9.SECRET-TOKEN-BODY";
    let response: GenerateTokenResponse = serde_json::from_value(json!({
        "code": "SUCCESS", "message": "OK", "data": {"token": token, "expiredTime": 1}, "extra": null,
        "transactionId": "t", "pricingStrategy": "FREE"
    })).unwrap();
    let shown = format!("{response:?} {:?}", AccessToken::new(token));
    assert!(!shown.contains("SECRET-TOKEN-BODY"), "{shown}");
    let sig = "22e20a4519cad37ecd5abb5c666828b2cfb06764ec3734c5faa5132c5e369585";
    let request = GenerateTokenRequest::new("ak", sig, 1_665_683_270_207, None).unwrap();
    assert!(!format!("{request:?}").contains(sig));
}

fn code() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(
            ResponseCode::KNOWN
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect::<Vec<_>>()
        ),
        "[A-Z_]{1,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn token_response_serialize_deserialize_identity(
        code in code(), message in proptest::option::of(".{0,30}"), token in "[A-Za-z0-9._-]{1,60}",
        expired in any::<u64>(), tid in proptest::option::of("[a-f0-9]{0,64}"), pay in any::<bool>(), with_data in any::<bool>(),
    ) {
        let value = json!({
            "code": code, "message": message,
            "data": if with_data { json!({"token": token, "expiredTime": expired}) } else { Value::Null },
            "extra": null, "transactionId": tid, "pricingStrategy": if pay { "PAY" } else { "FREE" },
        });
        let parsed: GenerateTokenResponse = serde_json::from_value(value.clone()).unwrap();
        let text = serde_json::to_string(&parsed).unwrap();
        let again: GenerateTokenResponse = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&again, &parsed);
        prop_assert_eq!(serde_json::to_value(&again).unwrap(), value);
    }

    #[test]
    fn labels_round_trip(labels in proptest::collection::vec(prop_oneof![
        proptest::sample::select(ForgeryLabel::KNOWN.iter().map(|c| c.as_str().to_owned()).collect::<Vec<_>>()),
        "[a-zA-Z&]{1,16}",
    ], 0..6)) {
        let parsed: Vec<ForgeryLabel> = serde_json::from_value(json!(labels)).unwrap();
        prop_assert_eq!(serde_json::to_value(&parsed).unwrap(), json!(labels));
    }
}
