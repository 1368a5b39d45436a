//! The Avanan Infinity Portal mode of the emulator, by hand over HTTP: `/auth/external`, the
//! bearer routes under `/app/hec-api/v1.0/`, and that they share the signed routes' state
//! and faults.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

mod support;

use sigil_emulator::{Faults, SAMPLE_AVANAN_INFINITY};
use support::*;

async fn token(http: &reqwest::Client, base: &str, client_id: &str, key: &str) -> (u16, Value) {
    let r = http
        .post(format!("{base}/auth/external"))
        .json(&json!({"clientId": client_id, "accessKey": key}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn auth_external_answers_a_token_with_its_lifetime_and_refuses_alike() {
    let (emu, clock, http) = start().await;
    let base = emu.base_url();
    let (status, body) = token(
        &http,
        &base,
        SAMPLE_AVANAN_INFINITY.0,
        SAMPLE_AVANAN_INFINITY.1,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["expiresIn"], 1800);
    let bearer = body["data"]["token"].as_str().unwrap().to_owned();

    // A wrong key and an unknown client id answer exactly alike.
    let wrong_key = token(&http, &base, SAMPLE_AVANAN_INFINITY.0, "wrong").await;
    let unknown = token(&http, &base, "no-such-client", SAMPLE_AVANAN_INFINITY.1).await;
    assert_eq!(wrong_key, unknown);
    assert_eq!(wrong_key.0, 401);
    assert_eq!(wrong_key.1["success"], false);
    // Not JSON: refused, success false.
    let r = http
        .post(format!("{base}/auth/external"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // GET is not the token route.
    let r = http
        .get(format!("{base}/auth/external"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);

    // The API with the bearer token: the same state as the signed routes.
    let scopes = http
        .get(format!("{base}/app/hec-api/v1.0/scopes"))
        .bearer_auth(&bearer)
        .header("x-av-req-id", "r-1")
        .send()
        .await
        .unwrap();
    assert_eq!(scopes.status(), 200);
    let scopes: Value = scopes.json().await.unwrap();
    assert_eq!(scopes["responseEnvelope"]["requestId"], "r-1");
    assert_eq!(scopes["responseData"].as_array().unwrap().len(), 1);
    let events: Value = http
        .post(format!("{base}/app/hec-api/v1.0/event/query"))
        .bearer_auth(&bearer)
        .json(&json!({"requestData": {"startDate": "2020-01-01T00:00:00Z"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(events["responseEnvelope"]["recordsNumber"], 25);

    // No token, a signed-scheme header, or an expired token: 401 in the Avanan envelope.
    for request in [
        http.get(format!("{base}/app/hec-api/v1.0/scopes")),
        http.get(format!("{base}/app/hec-api/v1.0/scopes"))
            .header("x-av-token", &bearer),
        http.get(format!("{base}/app/hec-api/v1.0/scopes"))
            .bearer_auth("a.b.c"),
    ] {
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), 401);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["responseEnvelope"]["responseCode"], 401);
    }
    clock.advance(Duration::from_secs(1800));
    let r = http
        .get(format!("{base}/app/hec-api/v1.0/scopes"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "expired");
    let metrics = emu.metrics();
    assert_eq!(metrics["avanan.infinity.auth"]["200"], 1);
    assert_eq!(metrics["avanan.infinity.auth"]["401"], 2);
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn faults_scoped_to_avanan_reach_the_infinity_routes() {
    let config = EmulatorConfig {
        faults: Faults {
            scope: vec!["avanan".into()],
            error_rate: 1.0,
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start_local(config).await.unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/auth/external", emu.base_url()))
        .json(&json!({"clientId": "a", "accessKey": "b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    emu.shutdown().await.unwrap();
}
