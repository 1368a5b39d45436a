//! What the emulator's tests share: a started emulator with a manual clock, and requests
//! signed by hand (with `sigil-signing`, not the clients) for each vendor.

#![allow(dead_code, unused_imports, unreachable_pub)] // Each test file uses its own part.

pub use std::time::Duration;

pub use serde_json::{Value, json};
pub use sigil_client_core::ManualClock;
pub use sigil_emulator::{Emulator, EmulatorConfig, IdvOutcome};
pub use sigil_signing::aet::{AetBody, AetRequest, AetRequestPath, AetSigner, QueryPolicy};
pub use sigil_signing::avanan::AvananSigner;
pub use sigil_signing::{SecretKey, TimestampMillis, advance};

pub const NOW_MS: u64 = 1_795_458_295_940;

pub async fn start() -> (Emulator, ManualClock, reqwest::Client) {
    let clock = ManualClock::at_millis(NOW_MS);
    let config = EmulatorConfig {
        seed: Some(7),
        ..EmulatorConfig::default()
    }
    .with_clock(clock.clone());
    let emulator = Emulator::start_local(config).await.unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (emulator, clock, http)
}

pub fn token_body(ak: &str, sk: &str, ts: u64, period: Value) -> Value {
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

pub async fn post_json(
    http: &reqwest::Client,
    url: &str,
    body: &Value,
    token: Option<&str>,
) -> Value {
    let mut req = http.post(url).json(body);
    if let Some(t) = token {
        req = req.header("X-ACCESS-TOKEN", t);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200, "ADVANCE answers HTTP 200");
    resp.json().await.unwrap()
}

pub fn code_and_message(v: &Value) -> (&str, &str) {
    (v["code"].as_str().unwrap(), v["message"].as_str().unwrap())
}

pub fn aet_request(
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

pub fn avanan_headers(
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

pub async fn avanan_auth(
    http: &reqwest::Client,
    base: &str,
    app: &str,
    secret: &str,
) -> (u16, String) {
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
pub async fn avanan_call(
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
pub async fn all_events(http: &reqwest::Client, base: &str, request_data: Value) -> Vec<Value> {
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
pub fn kind(v: &Value) -> &'static str {
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
pub fn is_avanan_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 32
        && text.ends_with("+00:00")
        && b[10] == b'T'
        && b[19] == b'.'
        && b[20..26].iter().all(u8::is_ascii_digit)
        && humantime::parse_rfc3339(&format!("{}Z", &text[..26])).is_ok()
}

/// The structure of a JSON value: object keys (recursively) and value kinds.
pub fn shape(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        // Arrays compare as arrays: an empty list and a list of labels have the same shape.
        Value::Array(_) => json!("array"),
        other => json!(kind(other)),
    }
}
