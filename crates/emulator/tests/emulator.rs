//! The emulator over real HTTP, driven with hand-built requests: every documented answer.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::time::Duration;

use serde_json::{Value, json};
use sigil_client_core::ManualClock;
use sigil_emulator::{Emulator, EmulatorConfig, IdvOutcome};
use sigil_signing::aet::{AetBody, AetRequest, AetRequestPath, AetSigner, QueryPolicy};
use sigil_signing::avanan::AvananSigner;
use sigil_signing::{SecretKey, TimestampMillis, advance};

const NOW_MS: u64 = 1_795_458_295_940;

async fn start() -> (Emulator, ManualClock, reqwest::Client) {
    let clock = ManualClock::at_millis(NOW_MS);
    let config = EmulatorConfig {
        seed: Some(7),
        ..EmulatorConfig::default()
    }
    .with_clock(clock.clone());
    let emulator = Emulator::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (emulator, clock, http)
}

fn token_body(ak: &str, sk: &str, ts: u64, period: Value) -> Value {
    let sig = advance::sign(
        ak,
        &SecretKey::new(sk.as_bytes()).unwrap(),
        TimestampMillis::new(ts).unwrap(),
    );
    let mut body = json!({"accessKey": ak, "signature": sig.as_str(), "timestamp": ts});
    if !period.is_null() {
        body["periodSecond"] = period;
    }
    body
}

async fn post_json(http: &reqwest::Client, url: &str, body: &Value, token: Option<&str>) -> Value {
    let mut req = http.post(url).json(body);
    if let Some(t) = token {
        req = req.header("X-ACCESS-TOKEN", t);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200, "ADVANCE answers HTTP 200");
    resp.json().await.unwrap()
}

fn code_and_message(v: &Value) -> (&str, &str) {
    (v["code"].as_str().unwrap(), v["message"].as_str().unwrap())
}

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

fn aet_request(
    http: &reqwest::Client,
    base: &str,
    method: &str,
    target: &str,
    body: Option<&str>,
    ts: u64,
    secret: &str,
) -> reqwest::RequestBuilder {
    let signer = AetSigner::new(&SecretKey::new(secret.as_bytes()).unwrap());
    let sig = signer.sign(&AetRequest {
        timestamp: TimestampMillis::new(ts).unwrap(),
        method,
        path: AetRequestPath::new(target, QueryPolicy::Exclude),
        body: body.map_or(AetBody::None, |b| AetBody::Bytes(b.as_bytes())),
    });
    let mut req = http
        .request(method.parse().unwrap(), format!("{base}{target}"))
        .header("timestamp", ts.to_string())
        .header("authorization", "Bearer aet-sample-token")
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .header("signature", sig.as_str());
    if let Some(b) = body {
        req = req.body(b.to_owned());
    }
    req
}

#[tokio::test]
async fn aet_authenticates_then_serves_resources() {
    let (emu, _clock, http) = start().await;
    let base = emu.base_url();
    let secret = "aet-sample-secret";
    let created = aet_request(
        &http,
        &base,
        "POST",
        "/v3/users",
        Some(r#"{"name":"Ada"}"#),
        NOW_MS,
        secret,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(created.status(), 201);
    let user: Value = created.json().await.unwrap();
    let id = user["id"].as_str().unwrap().to_owned();
    let got: Value = aet_request(
        &http,
        &base,
        "GET",
        &format!("/v3/users/{id}?expand=all"),
        None,
        NOW_MS,
        secret,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(got["name"], "Ada");
    let list: Value = aet_request(&http, &base, "GET", "/v3/users", None, NOW_MS, secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["count"], 1);
    let put = aet_request(
        &http,
        &base,
        "PUT",
        &format!("/v3/users/{id}"),
        Some(r#"{"name":"Ada L."}"#),
        NOW_MS,
        secret,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(put.json::<Value>().await.unwrap()["name"], "Ada L.");
    assert_eq!(
        aet_request(
            &http,
            &base,
            "DELETE",
            &format!("/v3/users/{id}"),
            None,
            NOW_MS,
            secret
        )
        .send()
        .await
        .unwrap()
        .status(),
        204
    );
    assert_eq!(
        aet_request(
            &http,
            &base,
            "GET",
            &format!("/v3/users/{id}"),
            None,
            NOW_MS,
            secret
        )
        .send()
        .await
        .unwrap()
        .status(),
        404
    );

    let reasons = [
        (
            aet_request(
                &http,
                &base,
                "GET",
                "/v3/users",
                None,
                NOW_MS,
                "wrong-secret",
            ),
            "invalid_signature",
        ),
        (
            aet_request(
                &http,
                &base,
                "GET",
                "/v3/users",
                None,
                NOW_MS - 301_000,
                secret,
            ),
            "stale_timestamp",
        ),
        (
            http.get(format!("{base}/v3/users"))
                .header("authorization", "Bearer nope")
                .header("timestamp", NOW_MS.to_string())
                .header("signature", "x"),
            "unknown_token",
        ),
        (
            aet_request(
                &http,
                &base,
                "POST",
                "/v3/users",
                Some(r#"{"name":"A"}"#),
                NOW_MS,
                secret,
            )
            .body(r#"{"name":"B"}"#),
            "invalid_signature",
        ),
        (
            http.get(format!("{base}/v3/users")),
            "missing_authorization",
        ),
    ];
    for (request, reason) in reasons {
        let resp = request.send().await.unwrap();
        assert_eq!(resp.status(), 401, "{reason}");
        assert_eq!(resp.json::<Value>().await.unwrap()["error"], reason);
    }
    assert_eq!(emu.metrics()["aet.auth"]["401"], 5);
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn aet_multipart_upload_is_signed_with_an_empty_body() {
    let (emu, _clock, http) = start().await;
    let base = emu.base_url();
    let signer = AetSigner::new(&SecretKey::new(b"aet-sample-secret").unwrap());
    let sig = signer.sign(&AetRequest {
        timestamp: TimestampMillis::new(NOW_MS).unwrap(),
        method: "POST",
        path: AetRequestPath::new("/v3/documents", QueryPolicy::Exclude),
        body: AetBody::Multipart,
    });
    let body = "--B0\r\ncontent-disposition: form-data; name=\"kind\"\r\n\r\npassport\r\n--B0\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\ncontent-type: text/plain\r\n\r\nhello\r\n--B0--\r\n";
    let resp = http
        .post(format!("{base}/v3/documents"))
        .header("timestamp", NOW_MS.to_string())
        .header("authorization", "Bearer aet-sample-token")
        .header("content-type", "multipart/form-data; boundary=B0")
        .header("signature", sig.as_str())
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(doc["fields"]["kind"], "passport");
    assert_eq!(doc["files"][0]["size"], 5);
    assert_eq!(
        doc["files"][0]["sha256"],
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    emu.shutdown().await.unwrap();
}

fn avanan_headers(
    req: reqwest::RequestBuilder,
    req_id: &str,
    date: &str,
    token: &str,
    sig: &str,
) -> reqwest::RequestBuilder {
    req.header("x-av-req-id", req_id)
        .header("x-av-token", token)
        .header("x-av-app-id", "US:myapp29")
        .header("x-av-date", date)
        .header("x-av-sig", sig)
}

#[tokio::test]
async fn avanan_auth_scopes_and_paging() {
    let (emu, clock, http) = start().await;
    let base = emu.base_url();
    let signer = AvananSigner::new(SecretKey::new(b"my_avanan_secret").unwrap());
    let date = "2026-11-23T18:24:55.940446";
    let sig = signer.sign_auth("id-1", "US:myapp29", date);
    let auth = avanan_headers(
        http.get(format!("{base}/v1.0/auth")),
        "id-1",
        date,
        "",
        sig.as_str(),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(auth.status(), 200);
    let token = auth.text().await.unwrap();
    // Both date forms; token header absent is fine on /auth.
    let z = "2026-11-23T18:24:56.000Z";
    let resp = http
        .get(format!("{base}/v1.0/auth"))
        .header("x-av-req-id", "id-2")
        .header("x-av-app-id", "US:myapp29")
        .header("x-av-date", z)
        .header(
            "x-av-sig",
            signer.sign_auth("id-2", "US:myapp29", z).as_str(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Wrong signature, stale date.
    let bad = avanan_headers(
        http.get(format!("{base}/v1.0/auth")),
        "id-1",
        date,
        "",
        &"0".repeat(64),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(bad.status(), 401);
    let stale = "2026-11-23T18:10:00.000000";
    let resp = avanan_headers(
        http.get(format!("{base}/v1.0/auth")),
        "id-1",
        stale,
        "",
        signer.sign_auth("id-1", "US:myapp29", stale).as_str(),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), 401);

    let scopes_sig = signer.sign_request("id-3", "US:myapp29", date, "/v1.0/scopes");
    let scopes: Value = avanan_headers(
        http.get(format!("{base}/v1.0/scopes")),
        "id-3",
        date,
        &token,
        scopes_sig.as_str(),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(scopes["responseData"], json!(["mt-rnd-ng-1:myapp29"]));
    assert_eq!(scopes["responseEnvelope"]["requestId"], "id-3");
    // Signed with the wrong request string, or without a token: 401.
    let wrong = signer.sign_request("id-4", "US:myapp29", date, "/v1.0/other");
    assert_eq!(
        avanan_headers(
            http.get(format!("{base}/v1.0/scopes")),
            "id-4",
            date,
            &token,
            wrong.as_str()
        )
        .send()
        .await
        .unwrap()
        .status(),
        401
    );
    assert_eq!(
        avanan_headers(
            http.get(format!("{base}/v1.0/scopes")),
            "id-3",
            date,
            "",
            scopes_sig.as_str()
        )
        .send()
        .await
        .unwrap()
        .status(),
        401
    );

    let mut ids = Vec::new();
    let mut scroll = String::new();
    for page in 0.. {
        let body = if scroll.is_empty() {
            json!({"requestData": {}})
        } else {
            json!({"requestData": {"scrollId": scroll}})
        };
        let req_id = format!("page-{page}");
        let sig = signer.sign_request(&req_id, "US:myapp29", date, "/v1.0/event/query");
        let v: Value = avanan_headers(
            http.post(format!("{base}/v1.0/event/query")).json(&body),
            &req_id,
            date,
            &token,
            sig.as_str(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        ids.extend(
            v["responseData"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["eventId"].as_str().unwrap().to_owned()),
        );
        scroll = v["responseEnvelope"]["scrollId"]
            .as_str()
            .unwrap()
            .to_owned();
        if scroll.is_empty() {
            break;
        }
    }
    assert_eq!(ids.len(), 25);
    assert_eq!(ids.first().map(String::as_str), Some("evt-0001"));
    // Tokens expire after an hour.
    clock.advance(Duration::from_secs(3600));
    let later = "2026-11-23T19:24:55.940446";
    let sig = signer.sign_request("id-5", "US:myapp29", later, "/v1.0/scopes");
    assert_eq!(
        avanan_headers(
            http.get(format!("{base}/v1.0/scopes")),
            "id-5",
            later,
            &token,
            sig.as_str()
        )
        .send()
        .await
        .unwrap()
        .status(),
        401
    );
    assert_eq!(emu.metrics()["avanan.auth"]["200"], 2);
    emu.shutdown().await.unwrap();
}
