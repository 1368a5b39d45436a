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
            // An unknown token looks exactly like a wrong signature.
            "invalid_signature",
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
    let signer = AvananSigner::new(&SecretKey::new(b"my_avanan_secret").unwrap());
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
    assert!(
        ids.iter()
            .all(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())),
        "{ids:?}"
    );
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

/// `GET /v1.0/auth` as `app`: status and body.
async fn avanan_auth(http: &reqwest::Client, base: &str, app: &str, secret: &str) -> (u16, String) {
    let signer = AvananSigner::new(&SecretKey::new(secret.as_bytes()).unwrap());
    let date = "2026-11-23T18:24:55.940446";
    let resp = http
        .get(format!("{base}/v1.0/auth"))
        .header("x-av-req-id", "auth-1")
        .header("x-av-token", "")
        .header("x-av-app-id", app)
        .header("x-av-date", date)
        .header("x-av-sig", signer.sign_auth("auth-1", app, date).as_str())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Signs and sends one Avanan call as `app` (auth first), returning status and body.
async fn avanan_call(
    http: &reqwest::Client,
    base: &str,
    app: &str,
    secret: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<&str>,
) -> (u16, Value) {
    let signer = AvananSigner::new(&SecretKey::new(secret.as_bytes()).unwrap());
    let date = "2026-11-23T18:24:55.940446";
    let (_, token) = avanan_auth(http, base, app, secret).await;
    let sig = signer.sign_request("req-1", app, date, path);
    let mut req = http
        .request(method, format!("{base}{path}"))
        .header("x-av-req-id", "req-1")
        .header("x-av-token", token)
        .header("x-av-app-id", app)
        .header("x-av-date", date)
        .header("x-av-sig", sig.as_str());
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_owned());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Every event of a query, following `scrollId`.
async fn all_events(http: &reqwest::Client, base: &str, request_data: Value) -> Vec<Value> {
    let mut events = Vec::new();
    let mut data = request_data;
    loop {
        let body = json!({ "requestData": data.clone() }).to_string();
        let (status, page) = avanan_call(
            http,
            base,
            "US:myapp29",
            "my_avanan_secret",
            reqwest::Method::POST,
            "/v1.0/event/query",
            Some(&body),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["responseEnvelope"]["responseText"], "");
        events.extend(page["responseData"].as_array().unwrap().iter().cloned());
        let scroll = page["responseEnvelope"]["scrollId"].as_str().unwrap();
        if scroll.is_empty() {
            return events;
        }
        assert!(scroll.len() == 32 && scroll.bytes().all(|b| b.is_ascii_hexdigit()));
        data["scrollId"] = json!(scroll);
    }
}

/// The JSON kind of a value, for shape comparisons.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `2023-06-30T15:14:58.463039+00:00`.
fn is_avanan_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 32
        && text.ends_with("+00:00")
        && b[10] == b'T'
        && b[19] == b'.'
        && b[20..26].iter().all(u8::is_ascii_digit)
        && humantime::parse_rfc3339(&format!("{}Z", &text[..26])).is_ok()
}

#[tokio::test]
async fn avanan_events_have_the_recorded_real_shape() {
    let (emu, _clock, http) = start().await;
    let base = emu.base_url();
    let sample: Value =
        serde_json::from_str(include_str!("fixtures/avanan_event_real_shape.json")).unwrap();
    let events = all_events(&http, &base, json!({})).await;
    assert_eq!(events.len(), 25);
    let (_, scopes) = avanan_call(
        &http,
        &base,
        "US:myapp29",
        "my_avanan_secret",
        reqwest::Method::GET,
        "/v1.0/scopes",
        None,
    )
    .await;
    let scope = scopes["responseData"][0].as_str().unwrap();
    let customer = scope.split_once(':').unwrap().1;
    for event in &events {
        let (sample, event) = (sample.as_object().unwrap(), event.as_object().unwrap());
        assert_eq!(
            sample.keys().collect::<Vec<_>>(),
            event.keys().collect::<Vec<_>>(),
            "the same fields as the recorded answer"
        );
        for (key, value) in sample {
            assert_eq!(kind(value), kind(&event[key]), "{key}");
        }
        let id = event["eventId"].as_str().unwrap();
        assert!(id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        assert!(
            is_avanan_time(event["eventCreated"].as_str().unwrap()),
            "{event:?}"
        );
        assert!(matches!(
            event["severity"].as_str(),
            Some("1" | "2" | "3" | "4" | "5")
        ));
        assert_eq!(event["customerId"], customer);
    }
    assert!(is_avanan_time(sample["eventCreated"].as_str().unwrap()));
    // Variety: several SaaS, types, states, severities; creation times over days, oldest
    // first (the order incremental fetches by eventCreated rely on).
    let distinct = |key: &str| {
        events
            .iter()
            .map(|e| e[key].as_str().unwrap().to_owned())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    assert!(distinct("saas") >= 2 && distinct("type") >= 5 && distinct("state") >= 3);
    assert_eq!(distinct("severity"), 5);
    let created: Vec<&str> = events
        .iter()
        .map(|e| e["eventCreated"].as_str().unwrap())
        .collect();
    assert!(
        created.windows(2).all(|w| w[0] < w[1]),
        "oldest first, comparable as strings"
    );
    let first = humantime::parse_rfc3339(&format!("{}Z", &created[0][..26])).unwrap();
    let last = humantime::parse_rfc3339(&format!("{}Z", &created[24][..26])).unwrap();
    assert!(last.duration_since(first).unwrap() > Duration::from_secs(3 * 86_400));
    // The recorded record's types: data a string, additionalData and availableEventActions
    // null.
    for event in &events {
        assert!(event["data"].is_string(), "{event}");
        assert!(event["additionalData"].is_null() && event["availableEventActions"].is_null());
    }
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn avanan_event_query_honours_every_filter() {
    let (emu, _clock, http) = start().await;
    let base = emu.base_url();
    let all = all_events(&http, &base, json!({})).await;
    let count = |pred: &dyn Fn(&Value) -> bool| all.iter().filter(|e| pred(e)).count();
    let cases: Vec<(Value, usize)> = vec![
        (
            json!({"saas": ["google_mail"]}),
            count(&|e| e["saas"] == "google_mail"),
        ),
        (
            json!({"eventTypes": ["phishing", "spam"]}),
            count(&|e| e["type"] == "phishing" || e["type"] == "spam"),
        ),
        (
            json!({"eventStates": ["new"]}),
            count(&|e| e["state"] == "new"),
        ),
        (
            json!({"severities": ["4", 5]}),
            count(&|e| e["severity"] == "4" || e["severity"] == "5"),
        ),
        (
            json!({"eventIds": [all[3]["eventId"], all[7]["eventId"]]}),
            2,
        ),
        (
            json!({"confidenceIndicator": "malicious"}),
            count(&|e| e["confidenceIndicator"] == "malicious"),
        ),
        (json!({"description": "EVENT 12 "}), 1),
        (
            json!({"startDate": all[1]["eventCreated"], "endDate": all[4]["eventCreated"]}),
            4,
        ),
        (
            json!({"startDate": all[15]["eventCreated"], "endDate": null}),
            10,
        ),
        (json!({"scopes": ["mt-rnd-ng-1:someone-else"]}), 0),
        (
            json!({"saas": ["office365_emails"], "severities": ["1"]}),
            count(&|e| e["saas"] == "office365_emails" && e["severity"] == "1"),
        ),
    ];
    for (filter, expected) in cases {
        let got = all_events(&http, &base, filter.clone()).await;
        assert_eq!(got.len(), expected, "{filter}");
        assert!(expected < all.len() || filter.as_object().unwrap().is_empty());
    }
    // A malformed body is refused with the envelope, never answered with every event.
    for bad in [
        "",
        "not json",
        "{}",
        r#"{"requestData": []}"#,
        r#"{"requestData": {"startDate": "soon"}}"#,
        r#"{"requestData": {"pageSize": 0}}"#,
        r#"{"requestData": {"pageSize": 1001}}"#,
        r#"{"requestData": {"scrollId": "00000000000000000000000000000000"}}"#,
    ] {
        let (status, body) = avanan_call(
            &http,
            &base,
            "US:myapp29",
            "my_avanan_secret",
            reqwest::Method::POST,
            "/v1.0/event/query",
            Some(bad),
        )
        .await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["responseEnvelope"]["responseCode"], 400);
        assert_eq!(body["responseData"], json!([]));
    }
    emu.shutdown().await.unwrap();
}

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

/// The structure of a JSON value: object keys (recursively) and value kinds.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        // Arrays compare as arrays: an empty list and a list of labels have the same shape.
        Value::Array(_) => json!("array"),
        other => json!(kind(other)),
    }
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
