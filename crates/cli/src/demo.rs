//! `sigil demo`: the emulator in-process, every flow through the real clients and real HTTP,
//! then a few requests that must be rejected. Exits 0 only if every step behaved as expected.

use std::future::Future;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{Value, json};
use sigil_advance_idv::{AdvanceClient, AdvanceError};
use sigil_aet::{AetClient, AetError, Multipart};
use sigil_avanan::{AvananClient, AvananError};
use sigil_client_core::{Clock, OffsetClock, SystemClock};
use sigil_emulator::{
    Emulator, EmulatorConfig, IdvOutcome, SAMPLE_ADVANCE, SAMPLE_ADVANCE_DISABLED, SAMPLE_AET,
    SAMPLE_AVANAN, SAMPLE_AVANAN_INFINITY,
};
use sigil_models::advance::{PeriodSeconds, Region};
use sigil_models::avanan::EventQuery;
use sigil_models::idv::{CountryCode, ForgeryLabel, GenerateUrlRequest, IdvCode};
use sigil_signing::SecretKey;
use sigil_transport::{HttpSend, ReqwestConfig, ReqwestTransport};

use crate::CliError;

/// Steps run so far, printed as they finish (text) or collected (`--json`).
#[derive(Default)]
struct Report {
    passed: usize,
    failed: usize,
    json: bool,
    section: String,
    steps: Vec<serde_json::Value>,
    /// Standard output was closed (`sigil demo | head -1`): print nothing more.
    closed: bool,
}

impl Report {
    /// Prints one line of the text report; a closed stdout ends printing quietly.
    fn line(&mut self, text: &str) {
        use std::io::Write as _;
        if self.json || self.closed {
            return;
        }
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{text}").and_then(|()| out.flush()).is_err() {
            self.closed = true;
        }
    }

    fn section(&mut self, title: &str) {
        self.section = title.to_owned();
        self.line(&format!("\n{title}"));
    }

    /// Runs one step: `Ok(detail)` if it behaved as expected, `Err(why)` otherwise.
    async fn step<F: Future<Output = Result<String, String>>>(&mut self, name: &str, step: F) {
        let (ok, detail) = match step.await {
            Ok(detail) => (true, detail),
            Err(why) => (false, why),
        };
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
        let mark = if ok { "ok  " } else { "FAIL" };
        self.line(&format!("  {mark}  {name:<50} {detail}"));
        self.steps.push(serde_json::json!({
            "section": self.section, "step": name, "ok": ok, "detail": detail,
        }));
    }
}

fn secret(s: &str) -> Result<SecretKey, String> {
    SecretKey::new(s.as_bytes()).map_err(|e| e.to_string())
}

fn when(ms: u64) -> String {
    humantime_like(UNIX_EPOCH + Duration::from_millis(ms))
}

fn humantime_like(t: std::time::SystemTime) -> String {
    sigil_avanan::DateFormat::MillisZ
        .format(t)
        .unwrap_or_else(|_| "(a time outside 1970..=9999)".to_owned())
}

/// The start of a credential, for display: never the whole value.
fn peek(token: &str) -> String {
    format!("{}… ({} chars)", &token[..token.len().min(10)], token.len())
}

fn advance(base: &str, (key, sk): (&str, &str)) -> Result<AdvanceClient, String> {
    AdvanceClient::builder(key, secret(sk)?)
        .base_url(base)
        .build()
        .map_err(|e| e.to_string())
}

fn expect_advance_error(
    result: Result<impl std::fmt::Debug, AdvanceError>,
    matches: impl Fn(&AdvanceError) -> bool,
) -> Result<String, String> {
    match result {
        Err(e) if matches(&e) => Ok(format!("rejected: {e}")),
        Err(e) => Err(format!("wrong error: {e}")),
        Ok(v) => Err(format!("accepted: {v:?}")),
    }
}

/// Runs the demo; `json`: one JSON document at the end instead of the text report.
pub(crate) async fn run(json: bool) -> Result<String, CliError> {
    let emulator = Emulator::start_local(EmulatorConfig::default())
        .await
        .map_err(|e| CliError::Failed(format!("starting the emulator: {e}")))?;
    let base = emulator.base_url();
    let mut report = Report {
        json,
        ..Report::default()
    };
    report.line(&format!(
        "sigil demo: the emulator listens on {base}; every step goes through the real clients over HTTP."
    ));

    advance_flows(&mut report, &emulator, &base).await;
    aet_flows(&mut report, &base).await;
    avanan_flows(&mut report, &base).await;
    avanan_infinity_flow(&mut report, &base).await;
    rejections(&mut report, &base).await;

    report.section("Emulator metrics");
    let metrics = emulator.metrics();
    report
        .step("token requests counted per outcome", async {
            let tokens = metrics
                .get("advance.generate-token")
                .cloned()
                .unwrap_or_default();
            let ok = tokens.get("SUCCESS").copied().unwrap_or(0);
            if ok >= 1 {
                Ok(format!("advance.generate-token: {tokens:?}"))
            } else {
                Err(format!("no successful token request counted: {metrics:?}"))
            }
        })
        .await;
    emulator
        .shutdown()
        .await
        .map_err(|e| CliError::Failed(format!("stopping the emulator: {e}")))?;

    let summary = format!("demo: {} passed, {} failed", report.passed, report.failed);
    report.line(&format!("\n{summary}"));
    let output = if json {
        serde_json::json!({
            "passed": report.passed, "failed": report.failed, "steps": report.steps,
        })
        .to_string()
    } else {
        String::new()
    };
    if report.closed {
        return Err(CliError::StdoutClosed);
    }
    if report.failed == 0 {
        Ok(output)
    } else if json {
        Err(CliError::FailedWithOutput(output))
    } else {
        Err(CliError::Failed(format!(
            "{} demo step(s) failed",
            report.failed
        )))
    }
}

async fn advance_flows(report: &mut Report, emulator: &Emulator, base: &str) {
    report.section("ADVANCE.AI: token authentication and H5 ID verification");
    let Some(client) = built_or_reported(
        report,
        "build the ADVANCE client",
        advance(base, SAMPLE_ADVANCE),
    )
    .await
    else {
        return;
    };
    report
        .step("generate-token (Indonesia)", async {
            let data = client.generate_token().await.map_err(|e| e.to_string())?;
            Ok(format!(
                "token {} until {}",
                peek(data.token.expose()),
                when(data.expired_time.as_millis())
            ))
        })
        .await;
    report
        .step("generate-token (India, periodSecond 120)", async {
            let india = AdvanceClient::builder(SAMPLE_ADVANCE.0, secret(SAMPLE_ADVANCE.1)?)
                .region(Region::India)
                .base_url(base)
                .period(PeriodSeconds::new(120).map_err(|e| e.to_string())?)
                .build()
                .map_err(|e| e.to_string())?;
            let data = india.generate_token().await.map_err(|e| e.to_string())?;
            Ok(format!("expires {}", when(data.expired_time.as_millis())))
        })
        .await;

    let idn = CountryCode::new("IDN").ok();
    let request = |user: &str| {
        idn.as_ref().and_then(|c| {
            GenerateUrlRequest::new(
                "https://shop.example/kyc/done",
                "https://shop.example/kyc/failed",
                c,
                Some(user.to_owned()),
            )
            .ok()
        })
    };
    emulator.script_idv_outcome("demo-scripted-user", IdvOutcome::Success);
    let mut scripted_id = None;
    report
        .step("generate-url (outcome scripted by userId)", async {
            let req = request("demo-scripted-user").ok_or("request")?;
            let data = client.generate_url(&req).await.map_err(|e| e.to_string())?;
            let shown = data.url.split('?').next().unwrap_or_default().to_owned();
            scripted_id = Some(data.signature_id.clone());
            Ok(format!(
                "signatureId {}, page {shown}?token=…",
                data.signature_id
            ))
        })
        .await;
    report
        .step("get-result of the scripted session", async {
            let id = scripted_id.clone().ok_or("no session")?;
            let data = client.get_result(&id).await.map_err(|e| e.to_string())?;
            let name = data.ocr_result.and_then(|o| o.name).unwrap_or_default();
            match data.idv_code {
                Some(IdvCode::Success) => Ok(format!("idvCode SUCCESS, OCR name {name:?}")),
                other => Err(format!("idvCode {other:?}")),
            }
        })
        .await;

    let mut page_session = None;
    report
        .step("H5 page: open it and pick forgery:pastedPhoto", async {
            let req = request("demo-page-user").ok_or("request")?;
            let data = client.generate_url(&req).await.map_err(|e| e.to_string())?;
            let http =
                ReqwestTransport::new(ReqwestConfig::default()).map_err(|e| e.to_string())?;
            let page = http
                .send(
                    http::Request::get(&data.url)
                        .body(Bytes::new())
                        .map_err(|e| e.to_string())?,
                )
                .await
                .map_err(|e| e.to_string())?;
            let html = String::from_utf8_lossy(page.body()).into_owned();
            if page.status() != 200 || !html.contains("forgery:pastedPhoto") {
                return Err(format!("page answered {}", page.status()));
            }
            let token = data
                .url
                .split("token=")
                .nth(1)
                .and_then(|t| t.split('&').next())
                .unwrap_or_default();
            let form = format!(
                "signatureId={}&token={token}&outcome=forgery%3ApastedPhoto",
                data.signature_id
            );
            let choice = http::Request::post(format!("{base}/h5-idv/complete"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Bytes::from(form))
                .map_err(|e| e.to_string())?;
            let redirect = http.send(choice).await.map_err(|e| e.to_string())?;
            let location = redirect
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            page_session = Some(data.signature_id);
            if redirect.status() == 303 && location.starts_with("https://shop.example/kyc/done") {
                Ok(format!("redirected to {location}"))
            } else {
                Err(format!("answered {} to {location:?}", redirect.status()))
            }
        })
        .await;
    report
        .step("get-result of the page session", async {
            let id = page_session.clone().ok_or("no session")?;
            let data = client.get_result(&id).await.map_err(|e| e.to_string())?;
            let labels = data
                .idv_result
                .and_then(|r| r.forgery_labels)
                .unwrap_or_default();
            if data.idv_code == Some(IdvCode::ForgeryDetected)
                && labels == [ForgeryLabel::PastedPhoto]
            {
                Ok("idvCode FORGERY_DETECTED, forgeryLabels [pastedPhoto]".into())
            } else {
                Err(format!("idvCode {:?}, labels {labels:?}", data.idv_code))
            }
        })
        .await;
}

fn aet(base: &str, clock: impl Clock + 'static, secret_text: &str) -> Result<AetClient, String> {
    AetClient::builder(SAMPLE_AET.0, secret(secret_text)?)
        .base_url(base)
        .clock(clock)
        .build()
        .map_err(|e| e.to_string())
}

async fn aet_flows(report: &mut Report, base: &str) {
    report.section("AET: HMAC-signed requests");
    let Some(client) = built_or_reported(
        report,
        "build the AET client",
        aet(base, SystemClock, SAMPLE_AET.1),
    )
    .await
    else {
        return;
    };
    let mut id = String::new();
    report
        .step("POST v3/users (signed JSON body)", async {
            let user: Value = client
                .post(
                    "/v3/users",
                    &json!({"name": "Ada Lovelace", "email": "ada@example.com"}),
                )
                .await
                .map_err(|e| e.to_string())?;
            id = user["id"].as_str().ok_or("no id")?.to_owned();
            Ok(format!("created {id}"))
        })
        .await;
    report
        .step("GET v3/users/{id} (query sent, not signed)", async {
            let user: Value = client
                .get(&format!("/v3/users/{id}?expand=accounts"))
                .await
                .map_err(|e| e.to_string())?;
            if user["name"] == "Ada Lovelace" {
                Ok(format!("read back {}", user["name"]))
            } else {
                Err(format!("read {user}"))
            }
        })
        .await;
    report
        .step("POST v3/documents (multipart, empty body signed)", async {
            let form = Multipart::new().text("kind", "passport").file(
                "file",
                "scan.txt",
                "text/plain",
                Bytes::from_static(b"hello"),
            );
            let doc: Value = client
                .upload("/v3/documents", &form)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "stored {} ({} bytes)",
                doc["id"].as_str().unwrap_or("?"),
                doc["files"][0]["size"]
            ))
        })
        .await;
}

/// The client `built`, or a failed step named `what` saying why it could not be built.
async fn built_or_reported<C>(
    report: &mut Report,
    what: &str,
    built: Result<C, String>,
) -> Option<C> {
    match built {
        Ok(client) => Some(client),
        Err(e) => {
            report.step(what, async { Err(e) }).await;
            None
        }
    }
}

async fn avanan_flows(report: &mut Report, base: &str) {
    report.section("Avanan: /auth token and x-av-sig signed requests");
    let built = secret(SAMPLE_AVANAN.1).and_then(|s| {
        AvananClient::builder(SAMPLE_AVANAN.0, s)
            .base_url(base)
            .build()
            .map_err(|e| e.to_string())
    });
    let Some(client) = built_or_reported(report, "build the Avanan client", built).await else {
        return;
    };
    report
        .step("GET /v1.0/auth", async {
            let t = client.auth().await.map_err(|e| e.to_string())?;
            Ok(format!(
                "JWT {} until {}",
                peek(t.token.expose()),
                humantime_like(t.expires_at)
            ))
        })
        .await;
    report
        .step("GET /v1.0/scopes", async {
            let scopes = client.scopes().await.map_err(|e| e.to_string())?;
            Ok(scopes
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect::<Vec<_>>()
                .join(", "))
        })
        .await;
    report
        .step("POST /v1.0/event/query, 10 a page, one scrollId", async {
            let mut pager = client.events(EventQuery {
                page_size: Some(10),
                ..EventQuery::default()
            });
            let (mut pages, mut events) = (0, 0);
            while let Some(page) = pager.next_page().await {
                events += page.map_err(|e| e.to_string())?.len();
                pages += 1;
            }
            if pages > 1 {
                Ok(format!("{events} events in {pages} pages"))
            } else {
                Err(format!("{events} events in {pages} page"))
            }
        })
        .await;
}

async fn avanan_infinity_flow(report: &mut Report, base: &str) {
    report.section("Avanan through Infinity Portal: /auth/external and bearer calls");
    let built = secret(SAMPLE_AVANAN_INFINITY.1).and_then(|s| {
        AvananClient::infinity_builder(SAMPLE_AVANAN_INFINITY.0, s)
            .base_url(base)
            .build()
            .map_err(|e| e.to_string())
    });
    let Some(client) = built_or_reported(report, "build the Infinity client", built).await else {
        return;
    };
    report
        .step("POST /auth/external", async {
            let t = client.auth().await.map_err(|e| e.to_string())?;
            Ok(format!(
                "bearer {} for {} s",
                peek(t.token.expose()),
                t.lifetime.as_secs()
            ))
        })
        .await;
    report
        .step("GET /app/hec-api/v1.0/scopes, then every event", async {
            let scopes = client.scopes().await.map_err(|e| e.to_string())?;
            let events = client
                .events(EventQuery {
                    page_size: Some(10),
                    ..EventQuery::default()
                })
                .collect_all()
                .await
                .map_err(|e| e.to_string())?;
            if events.is_empty() {
                return Err("no events".into());
            }
            Ok(format!(
                "scope {}, {} events",
                scopes.first().map_or("?", |s| s.as_str()),
                events.len()
            ))
        })
        .await;
}

async fn rejections(report: &mut Report, base: &str) {
    report.section("Rejected requests (each must fail the documented way)");
    report
        .step("ADVANCE with a wrong secret key", async {
            let client = advance(base, (SAMPLE_ADVANCE.0, "not-the-secret"))?;
            expect_advance_error(client.generate_token().await, |e| {
                matches!(e, AdvanceError::ParameterError(f) if f.message.as_deref() == Some("Signature error"))
            })
        })
        .await;
    let ten_minutes_slow = || OffsetClock::new(SystemClock, -600_000);
    report
        .step("ADVANCE with a clock 10 min slow (no retry)", async {
            let client = AdvanceClient::builder(SAMPLE_ADVANCE.0, secret(SAMPLE_ADVANCE.1)?)
                .base_url(base)
                .clock(ten_minutes_slow())
                .timestamp_retry(false)
                .build()
                .map_err(|e| e.to_string())?;
            expect_advance_error(client.generate_token().await, |e| {
                matches!(e, AdvanceError::ParameterError(f) if f.message.as_deref() == Some("Timestamp error"))
            })
        })
        .await;
    report
        .step("… and recovered from the Date header", async {
            let client = AdvanceClient::builder(SAMPLE_ADVANCE.0, secret(SAMPLE_ADVANCE.1)?)
                .base_url(base)
                .clock(ten_minutes_slow())
                .build()
                .map_err(|e| e.to_string())?;
            client
                .generate_token()
                .await
                .map(|_| "token issued after one retry".to_owned())
                .map_err(|e| e.to_string())
        })
        .await;
    report
        .step("ADVANCE with a disabled account", async {
            let client = advance(base, SAMPLE_ADVANCE_DISABLED)?;
            expect_advance_error(client.generate_token().await, |e| {
                matches!(e, AdvanceError::AccountDisabled(_))
            })
        })
        .await;
    report
        .step("IDV get-result of an unknown signatureId", async {
            let client = advance(base, SAMPLE_ADVANCE)?;
            expect_advance_error(client.get_result("0000000000000000").await, |e| {
                matches!(e, AdvanceError::SignatureNotExist(_))
            })
        })
        .await;
    report
        .step("IDV generate-url for an unsupported region", async {
            let client = advance(base, SAMPLE_ADVANCE)?;
            let phl = CountryCode::new("PHL").map_err(|e| e.to_string())?;
            let req = GenerateUrlRequest::new(
                "https://shop.example/ok",
                "https://shop.example/fail",
                &phl,
                None,
            )
            .map_err(|e| e.to_string())?;
            expect_advance_error(client.generate_url(&req).await, |e| {
                matches!(e, AdvanceError::RegionWrong(_))
            })
        })
        .await;
    report
        .step("AET with a wrong secret", async {
            let client = aet(base, SystemClock, "not-the-secret")?;
            match client.get::<Value>("/v3/users").await {
                Err(AetError::Api {
                    status: 401,
                    body: Some(b),
                    ..
                }) if b.error.as_deref() == Some("invalid_signature") => {
                    Ok("HTTP 401 invalid_signature".into())
                }
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    report
        .step("AET with a stale timestamp", async {
            let client = aet(base, ten_minutes_slow(), SAMPLE_AET.1)?;
            match client.get::<Value>("/v3/users").await {
                Err(AetError::Api {
                    status: 401,
                    body: Some(b),
                    ..
                }) if b.error.as_deref() == Some("stale_timestamp") => {
                    Ok("HTTP 401 stale_timestamp".into())
                }
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    report
        .step("Avanan with a wrong secret", async {
            let client = AvananClient::builder(SAMPLE_AVANAN.0, secret("not-the-secret")?)
                .base_url(base)
                .build()
                .map_err(|e| e.to_string())?;
            match client.auth().await {
                Err(e @ AvananError::Unauthorized { status: 401, .. }) => {
                    Ok(format!("rejected: {e}"))
                }
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    report
        .step("Avanan Infinity with a wrong access key", async {
            let client =
                AvananClient::infinity_builder(SAMPLE_AVANAN_INFINITY.0, secret("not-the-key")?)
                    .base_url(base)
                    .build()
                    .map_err(|e| e.to_string())?;
            match client.auth().await {
                Err(e @ AvananError::Unauthorized { status: 401, .. }) => {
                    Ok(format!("rejected: {e}"))
                }
                other => Err(format!("{other:?}")),
            }
        })
        .await;
}
