//! ADVANCE through the emulator over real HTTP, driven with hand-built requests: tokens, H5 IDV
//! and the documents' answer shapes.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

mod support;

use support::*;

#[tokio::test]
async fn advance_token_answers() {
    let (emu, _clock, http) = start().await;
    let url = format!("{}/openapi/auth/ticket/v1/generate-token", emu.base_url());
    let ok = post_json(
        &http,
        &url,
        &token_body("sampleaccesskey", "samplesecretkey", NOW_MS, json!(120)),
        None,
    )
    .await;
    assert_eq!(code_and_message(&ok), ("SUCCESS", "OK"));
    assert_eq!(ok["data"]["expiredTime"], NOW_MS + 120_000);
    assert!(ok["data"]["token"].as_str().unwrap().starts_with("eyJ"));
    assert_eq!(ok["pricingStrategy"], "FREE");
    assert_eq!(ok["transactionId"].as_str().unwrap().len(), 16);

    let cases = [
        (
            token_body("sampleaccesskey", "wrongsecret", NOW_MS, Value::Null),
            ("PARAMETER_ERROR", "Signature error"),
        ),
        (
            token_body("nosuchkey", "samplesecretkey", NOW_MS, Value::Null),
            ("PARAMETER_ERROR", "Signature error"),
        ),
        (
            token_body(
                "sampleaccesskey",
                "samplesecretkey",
                NOW_MS - 300_001,
                Value::Null,
            ),
            ("PARAMETER_ERROR", "Timestamp error"),
        ),
        (
            token_body(
                "sampleaccesskey",
                "samplesecretkey",
                NOW_MS + 300_001,
                Value::Null,
            ),
            ("PARAMETER_ERROR", "Timestamp error"),
        ),
        (
            json!({"accessKey": "", "signature": "x", "timestamp": NOW_MS}),
            ("PARAMETER_ERROR", "Parameter should not be empty"),
        ),
        (
            json!({"accessKey": "sampleaccesskey", "timestamp": NOW_MS}),
            ("PARAMETER_ERROR", "Parameter should not be empty"),
        ),
        (
            token_body("sampleaccesskey", "samplesecretkey", NOW_MS, json!(59)),
            ("PARAMETER_ERROR", "Parameter error,please check you input."),
        ),
        (
            token_body("sampleaccesskey", "samplesecretkey", NOW_MS, json!(86_401)),
            ("PARAMETER_ERROR", "Parameter error,please check you input."),
        ),
        (
            token_body(
                "disabledaccesskey",
                "disabledsecretkey",
                NOW_MS,
                Value::Null,
            ),
            ("ACCOUNT_DISABLED", "Account Disabled"),
        ),
        (json!([1, 2]), ("CLIENT_ERROR", "HTTP 400 - Bad Request")),
    ];
    for (body, expected) in cases {
        let v = post_json(&http, &url, &body, None).await;
        assert_eq!(code_and_message(&v), expected, "{body}");
        assert!(v["data"].is_null());
    }
    // Exactly 300 s of drift is accepted; periodSecond as a string or null is accepted.
    for (ts, period) in [
        (NOW_MS - 300_000, json!("60")),
        (NOW_MS + 300_000, Value::Null),
        (NOW_MS, json!(86_400)),
    ] {
        let v = post_json(
            &http,
            &url,
            &token_body("sampleaccesskey", "samplesecretkey", ts, period.clone()),
            None,
        )
        .await;
        assert_eq!(v["code"], "SUCCESS", "{ts} {period}");
    }
    let mut as_string = token_body("sampleaccesskey", "samplesecretkey", NOW_MS, json!(null));
    as_string["timestamp"] = json!(NOW_MS.to_string());
    as_string["periodSecond"] = Value::Null;
    assert_eq!(
        post_json(&http, &url, &as_string, None).await["data"]["expiredTime"],
        NOW_MS + 3_600_000
    );
    // Every region's prefix is served.
    for prefix in ["in/", "my/", "ph/", "intl/", "th/", "vn/", "mex/"] {
        let url = format!(
            "{}/{prefix}openapi/auth/ticket/v1/generate-token",
            emu.base_url()
        );
        assert_eq!(
            post_json(
                &http,
                &url,
                &token_body("sampleaccesskey", "samplesecretkey", NOW_MS, Value::Null),
                None
            )
            .await["code"],
            "SUCCESS"
        );
    }
    let metrics = emu.metrics();
    assert_eq!(metrics["advance.generate-token"]["SUCCESS"], 12);
    assert_eq!(metrics["advance.generate-token"]["ACCOUNT_DISABLED"], 1);
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn idv_flow_page_and_errors() {
    let (emu, clock, http) = start().await;
    let base = emu.base_url();
    let token_url = format!("{base}/openapi/auth/ticket/v1/generate-token");
    let token = post_json(
        &http,
        &token_url,
        &token_body("sampleaccesskey", "samplesecretkey", NOW_MS, json!(600)),
        None,
    )
    .await["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let gen_url = format!("{base}/intl/openapi/face-identity/h5-idv/v1/generate-url");
    let request = json!({"returnUrl": "https://shop.example/ok", "failReturnUrl": "https://shop.example/fail", "region": "IDN", "userId": "u1"});

    // Without a valid token: IAM_FAILED.
    assert_eq!(
        post_json(&http, &gen_url, &request, None).await["code"],
        "IAM_FAILED"
    );
    assert_eq!(
        post_json(&http, &gen_url, &request, Some("eyJhbGciOi.forged.token")).await["code"],
        "IAM_FAILED"
    );
    // Validation.
    let mut bad = request.clone();
    bad["region"] = json!("PHL");
    assert_eq!(
        code_and_message(&post_json(&http, &gen_url, &bad, Some(&token)).await),
        ("REGION_WRONG", "Region is wrong")
    );
    bad["region"] = json!("IDN");
    bad["returnUrl"] = json!("not a url");
    assert_eq!(
        code_and_message(&post_json(&http, &gen_url, &bad, Some(&token)).await),
        (
            "PARAMETER_ERROR",
            "Invalid returnUrl,please check your returnUrl"
        )
    );
    bad["returnUrl"] = json!("");
    assert_eq!(
        code_and_message(&post_json(&http, &gen_url, &bad, Some(&token)).await),
        ("PARAMETER_ERROR", "Parameter should not be empty")
    );

    let session = post_json(&http, &gen_url, &request, Some(&token)).await;
    assert_eq!(session["code"], "SUCCESS");
    let sid = session["data"]["signatureId"].as_str().unwrap().to_owned();
    let page_url = session["data"]["url"].as_str().unwrap().to_owned();
    assert!(page_url.starts_with(&format!("{base}/h5-idv/?token=")));

    let result_url = format!("{base}/intl/openapi/face-identity/h5-idv/v1/get-result");
    let pending = post_json(
        &http,
        &result_url,
        &json!({"signatureId": sid}),
        Some(&token),
    )
    .await;
    assert_eq!(pending["code"], "SUCCESS");
    assert!(pending["data"]["idvCode"].is_null());
    assert_eq!(
        post_json(
            &http,
            &result_url,
            &json!({"signatureId": "0000000000000000"}),
            Some(&token)
        )
        .await["code"],
        "SIGNATURE_NOT_EXIST"
    );
    assert_eq!(
        post_json(
            &http,
            &result_url,
            &json!({"signatureId": ""}),
            Some(&token)
        )
        .await["code"],
        "PARAMETER_ERROR"
    );

    // The page lists the outcomes; choosing one redirects to the right URL.
    let html = http
        .get(&page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("name=\"viewport\"")
            && html.contains("forgery:pastedPhoto")
            && html.contains(&sid)
    );
    let page_token = page_url
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let choose = |outcome: &str| {
        http.post(format!("{base}/h5-idv/complete"))
            .form(&[
                ("signatureId", sid.as_str()),
                ("token", page_token.as_str()),
                ("outcome", outcome),
            ])
            .send()
    };
    let redirect = choose("forgery:pastedPhoto").await.unwrap();
    assert_eq!(redirect.status(), 303);
    assert_eq!(
        redirect.headers()["location"],
        format!("https://shop.example/ok?signatureId={sid}")
    );
    let result = post_json(
        &http,
        &result_url,
        &json!({"signatureId": sid}),
        Some(&token),
    )
    .await;
    assert_eq!(result["data"]["idvCode"], "FORGERY_DETECTED");
    assert_eq!(
        result["data"]["idvResult"]["forgeryLabels"],
        json!(["pastedPhoto"])
    );
    assert_eq!(result["data"]["ocrCode"], "SUCCESS");
    let redirect = choose("card_not_found").await.unwrap();
    assert_eq!(
        redirect.headers()["location"],
        format!("https://shop.example/fail?signatureId={sid}")
    );
    let result = post_json(
        &http,
        &result_url,
        &json!({"signatureId": sid}),
        Some(&token),
    )
    .await;
    assert_eq!(result["data"]["idvCode"], "CARD_NOT_FOUND");
    assert!(result["data"]["ocrCode"].is_null());
    // A forged page token is refused.
    let forged = http
        .get(format!("{base}/h5-idv/?token=x.y.z&signatureId={sid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    // Scripted by userId, with the newer path prefix.
    emu.script_idv_outcome("scripted-user", IdvOutcome::LowQuality);
    let ekyc = format!("{base}/intl/openapi/identity-risk/idvs-h5/ekyc/v1");
    let mut scripted = request.clone();
    scripted["userId"] = json!("scripted-user");
    let sid2 = post_json(
        &http,
        &format!("{ekyc}/generate-url"),
        &scripted,
        Some(&token),
    )
    .await["data"]["signatureId"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = post_json(
        &http,
        &format!("{ekyc}/get-result"),
        &json!({"signatureId": sid2}),
        Some(&token),
    )
    .await;
    assert_eq!(r["data"]["idvCode"], "LOW_QUALITY_IMAGE");
    assert_eq!(
        r["data"]["idvResult"]["qualityLabels"],
        json!(["blur", "dim"])
    );

    // The token expires at expiredTime.
    clock.advance(Duration::from_secs(600));
    assert_eq!(
        post_json(
            &http,
            &result_url,
            &json!({"signatureId": sid}),
            Some(&token)
        )
        .await["code"],
        "IAM_FAILED"
    );
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn advance_answers_have_the_documents_shapes() {
    let (emu, _clock, http) = start().await;
    let base = emu.base_url();
    let documented = |text: &str| shape(&serde_json::from_str::<Value>(text).unwrap());
    let token = post_json(
        &http,
        &format!("{base}/openapi/auth/ticket/v1/generate-token"),
        &token_body("sampleaccesskey", "samplesecretkey", NOW_MS, Value::Null),
        None,
    )
    .await;
    assert_eq!(
        shape(&token),
        documented(include_str!("fixtures/advance_token_success_000.json"))
    );
    let access = token["data"]["token"].as_str().unwrap().to_owned();
    emu.script_idv_outcome("u-shape", IdvOutcome::Success);
    let prefix = format!("{base}/intl/openapi/face-identity/h5-idv/v1");
    let url = post_json(
        &http,
        &format!("{prefix}/generate-url"),
        &json!({"returnUrl": "https://a.example/ok", "failReturnUrl": "https://a.example/no", "region": "IDN", "userId": "u-shape"}),
        Some(&access),
    )
    .await;
    assert_eq!(
        shape(&url),
        documented(include_str!("fixtures/idv_generate_url_success.json"))
    );
    let result = post_json(
        &http,
        &format!("{prefix}/get-result"),
        &json!({"signatureId": url["data"]["signatureId"]}),
        Some(&access),
    )
    .await;
    assert_eq!(
        shape(&result),
        documented(include_str!("fixtures/idv_get_result_success.json"))
    );
    emu.shutdown().await.unwrap();
}
