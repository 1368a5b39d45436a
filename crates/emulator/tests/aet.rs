//! AET through the emulator over real HTTP, driven with hand-built requests.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

mod support;

use support::*;

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
