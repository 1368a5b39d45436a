//! Avanan through the emulator over real HTTP, driven with hand-built requests: auth, scopes,
//! events and their paging.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

mod support;

use support::*;

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
