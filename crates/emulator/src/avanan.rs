//! Avanan: `/v1.0/auth`, then token and signature on every call; scopes and events.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State as Extract};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sigil_client_core::unix_millis;
use sigil_models::avanan::headers;

use crate::config::Credential;
use crate::state::{State, ct_eq};

type Shared = Arc<State>;

/// How long an access token is valid (the document: one hour).
const TOKEN_LIFETIME_S: u64 = 3600;

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1.0/auth", any(auth))
        .route("/v1.0/{*rest}", any(api))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
}

/// The Avanan envelope.
fn envelope(request_id: &str, code: u16, text: &str, data: Vec<Value>, scroll_id: &str) -> Value {
    json!({
        "responseEnvelope": {
            "requestId": request_id,
            "responseCode": code,
            "responseText": text,
            "additionalText": "",
            "recordsNumber": data.len(),
            "scrollId": scroll_id,
        },
        "responseData": data,
    })
}

fn refuse(state: &State, route: &str, headers: &HeaderMap, reason: &str) -> Response {
    state.record(route, "401");
    let id = header(headers, headers::REQ_ID).unwrap_or("");
    (
        StatusCode::UNAUTHORIZED,
        Json(envelope(
            id,
            401,
            &format!("Unauthorized: {reason}"),
            Vec::new(),
            "",
        )),
    )
        .into_response()
}

/// Parses `x-av-date`: RFC 3339 with or without the trailing `Z` (UTC either way), with or
/// without fractional seconds; returns epoch milliseconds.
fn parse_date(date: &str) -> Option<u64> {
    let t = humantime::parse_rfc3339_weak(date.trim().trim_end_matches('Z')).ok()?;
    Some(unix_millis(t))
}

/// The account, request id and date of a request whose five headers are present, known and
/// fresh; `Err` is the reason to refuse it.
fn common_checks<'s>(
    state: &'s State,
    headers: &HeaderMap,
) -> Result<(&'s Credential, String, String), String> {
    for name in [
        headers::REQ_ID,
        headers::APP_ID,
        headers::DATE,
        headers::SIG,
    ] {
        if header(headers, name).is_none() {
            return Err(format!("missing header {name}"));
        }
    }
    let app_id = header(headers, headers::APP_ID).unwrap_or_default();
    let Some(account) = state.config.avanan_accounts.iter().find(|a| a.id == app_id) else {
        return Err("unknown application id".into());
    };
    let date = header(headers, headers::DATE).unwrap_or_default();
    match parse_date(date) {
        Some(ms) if state.within_window(ms) => {}
        Some(_) => {
            return Err("x-av-date is outside the accepted window".into());
        }
        None => return Err("x-av-date is not a date".into()),
    }
    Ok((
        account,
        header(headers, headers::REQ_ID)
            .unwrap_or_default()
            .to_owned(),
        date.to_owned(),
    ))
}

fn signature_ok(
    account: &Credential,
    req_id: &str,
    date: &str,
    request_string: Option<&str>,
    headers: &HeaderMap,
) -> bool {
    let expected = sigil_reference::avanan_signature(
        req_id,
        &account.id,
        date,
        request_string,
        &account.secret,
    );
    let received = header(headers, headers::SIG)
        .unwrap_or_default()
        .to_ascii_lowercase();
    ct_eq(expected.as_bytes(), received.as_bytes())
}

async fn auth(Extract(state): Extract<Shared>, method: Method, headers: HeaderMap) -> Response {
    const ROUTE: &str = "avanan.auth";
    if method != Method::GET {
        state.record(ROUTE, "405");
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let (account, req_id, date) = match common_checks(&state, &headers) {
        Ok(ok) => ok,
        Err(reason) => return refuse(&state, ROUTE, &headers, &reason),
    };
    // x-av-token is sent empty, or (some clients) left out: both are fine.
    if !signature_ok(account, &req_id, &date, None, &headers) {
        return refuse(&state, ROUTE, &headers, "invalid x-av-sig");
    }
    let now_s = state.now_ms() / 1000;
    let token = state.jwt.mint(&json!({
        "iss": "sigil-emulator",
        "aud": "avanan",
        "sub": account.id,
        "iat": now_s,
        "exp": now_s + TOKEN_LIFETIME_S,
        "jti": state.hex_id(),
    }));
    state.record(ROUTE, "200");
    ([(header::CONTENT_TYPE, "text/plain")], token).into_response()
}

async fn api(
    Extract(state): Extract<Shared>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let route = if path == "/v1.0/scopes" {
        "avanan.scopes"
    } else if path == "/v1.0/event/query" {
        "avanan.event.query"
    } else {
        "avanan.other"
    };
    let (account, req_id, date) = match common_checks(&state, &headers) {
        Ok(ok) => ok,
        Err(reason) => return refuse(&state, route, &headers, &reason),
    };
    let Some(token) = header(&headers, headers::TOKEN) else {
        return refuse(&state, route, &headers, "missing x-av-token");
    };
    let valid_token = state
        .jwt
        .verify(token, "avanan", state.now_ms() / 1000)
        .is_some_and(|claims| claims["sub"] == account.id.as_str());
    if !valid_token {
        return refuse(&state, route, &headers, "x-av-token is invalid or expired");
    }
    // The request string: the path exactly as received (percent-encoded) plus `?query`.
    let request_string = uri.path_and_query().map_or(path.as_str(), |pq| pq.as_str());
    if !signature_ok(account, &req_id, &date, Some(request_string), &headers) {
        return refuse(&state, route, &headers, "invalid x-av-sig");
    }
    let ok = |data: Vec<Value>, scroll: &str| {
        state.record(route, "200");
        Json(envelope(&req_id, 200, "OK", data, scroll)).into_response()
    };
    match (method, path.as_str()) {
        (Method::GET, "/v1.0/scopes") => ok(
            vec![json!(format!("mt-rnd-ng-1:{}", customer_of(&account.id)))],
            "",
        ),
        (Method::POST, "/v1.0/event/query") => {
            let query: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let data = &query["requestData"];
            let types: Option<Vec<&str>> = data["eventTypes"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect());
            let matching: Vec<&Value> = state
                .events
                .iter()
                .filter(|e| {
                    types
                        .as_ref()
                        .is_none_or(|t| t.contains(&e["type"].as_str().unwrap_or("")))
                })
                .collect();
            let offset = match data["scrollId"].as_str().filter(|s| !s.is_empty()) {
                None => 0,
                Some(cursor) => match decode_cursor(cursor) {
                    Some(offset) => offset,
                    None => {
                        state.record(route, "400");
                        return (
                            StatusCode::BAD_REQUEST,
                            Json(envelope(
                                &req_id,
                                400,
                                "Bad Request: invalid scrollId",
                                Vec::new(),
                                "",
                            )),
                        )
                            .into_response();
                    }
                },
            };
            let page: Vec<Value> = matching
                .iter()
                .skip(offset)
                .take(state.config.page_size)
                .map(|e| (*e).clone())
                .collect();
            let next = offset + page.len();
            let scroll = if next < matching.len() {
                encode_cursor(next)
            } else {
                String::new()
            };
            ok(page, &scroll)
        }
        (Method::GET, p) if p.starts_with("/v1.0/event/") => {
            let id = p.trim_start_matches("/v1.0/event/");
            match state.events.iter().find(|e| e["eventId"] == id) {
                Some(event) => ok(vec![event.clone()], ""),
                None => {
                    state.record(route, "404");
                    (
                        StatusCode::NOT_FOUND,
                        Json(envelope(&req_id, 404, "Not Found", Vec::new(), "")),
                    )
                        .into_response()
                }
            }
        }
        _ => {
            state.record(route, "404");
            (
                StatusCode::NOT_FOUND,
                Json(envelope(&req_id, 404, "Not Found", Vec::new(), "")),
            )
                .into_response()
        }
    }
}

/// `US:myapp29` → `myapp29`.
fn customer_of(app_id: &str) -> &str {
    app_id.split_once(':').map_or(app_id, |(_, c)| c)
}

fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    text.strip_prefix("offset:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_both_forms() {
        let z = parse_date("2021-04-10T00:00:00.000Z").unwrap();
        let micros = parse_date("2021-04-10T00:00:00.000000").unwrap();
        assert_eq!(z, micros);
        assert_eq!(z, 1_618_012_800_000);
        assert!(parse_date("yesterday").is_none());
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(20)), Some(20));
        assert_eq!(decode_cursor("garbage!"), None);
    }
}
