//! What every vendor's emulation answers to wrong or unknown credentials and malformed
//! requests, over real HTTP.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

mod support;

use support::*;

#[tokio::test]
async fn unknown_credentials_look_like_wrong_signatures() {
    let (emu, _clock, http) = start().await;
    let base = emu.base_url();
    // Avanan: an unknown application id and a wrong secret get the same answers.
    assert_eq!(
        avanan_auth(&http, &base, "US:nobody", "my_avanan_secret").await,
        avanan_auth(&http, &base, "US:myapp29", "not-the-secret").await
    );
    let (s1, unknown) = avanan_call(
        &http,
        &base,
        "US:nobody",
        "my_avanan_secret",
        reqwest::Method::GET,
        "/v1.0/scopes",
        None,
    )
    .await;
    let (s2, wrong) = avanan_call(
        &http,
        &base,
        "US:myapp29",
        "not-the-secret",
        reqwest::Method::GET,
        "/v1.0/scopes",
        None,
    )
    .await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(unknown, wrong);
    // AET: an unknown token and a wrong secret get the same answer.
    let unknown = http
        .get(format!("{base}/v3/users"))
        .header("authorization", "Bearer nobody")
        .header("timestamp", NOW_MS.to_string())
        .header("signature", "x")
        .send()
        .await
        .unwrap();
    let wrong = aet_request(&http, &base, "GET", "/v3/users", None, NOW_MS, "not-it")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (unknown.status().as_u16(), wrong.status().as_u16()),
        (401, 401)
    );
    assert_eq!(
        unknown.json::<Value>().await.unwrap(),
        wrong.json::<Value>().await.unwrap()
    );
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn diagnostics_say_what_is_wrong() {
    let (emu, _clock, http) = start().await;
    let base = emu.base_url();
    // AET: seconds, or 16 digits, are a unit error, not clock skew.
    for ts in [NOW_MS / 1000, NOW_MS] {
        let stamp = if ts == NOW_MS {
            format!("000{NOW_MS}")
        } else {
            ts.to_string()
        };
        let resp = http
            .get(format!("{base}/v3/users"))
            .header("authorization", "Bearer aet-sample-token")
            .header("timestamp", stamp)
            .header("signature", "x")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_timestamp");
        assert!(body["message"].as_str().unwrap().contains("milliseconds"));
    }
    // AET resources take any JSON object: the document defines no schema.
    let created = aet_request(
        &http,
        &base,
        "POST",
        "/v3/users",
        Some(r#"{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com"}"#),
        NOW_MS,
        "aet-sample-secret",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(created.status(), 201);
    // ADVANCE: a missing token says so; the retired v1 scheme gets an ADVANCE envelope.
    let generate_url = format!("{base}/intl/openapi/face-identity/h5-idv/v1/generate-url");
    let missing = post_json(&http, &generate_url, &json!({}), None).await;
    assert_eq!(missing["code"], "IAM_FAILED");
    assert!(missing["message"].as_str().unwrap().contains("missing"));
    let invalid = post_json(&http, &generate_url, &json!({}), Some("nope")).await;
    assert!(!invalid["message"].as_str().unwrap().contains("missing"));
    let v1 = http
        .post(format!(
            "{base}/advance_api/openapi/face-recognition/v3/check"
        ))
        .header("authorization", "19f3bfc87cdb9c33:c2lnbmF0dXJl")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(v1.status(), 200);
    let v1: Value = v1.json().await.unwrap();
    assert_eq!(v1["code"], "IAM_FAILED");
    assert!(v1["message"].as_str().unwrap().contains("X-ACCESS-TOKEN"));
    emu.shutdown().await.unwrap();
}
