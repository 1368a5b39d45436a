//! Avanan: `/v1.0/auth`, then token and signature on every call; scopes and events.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::Request;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};
use sigil_client_core::unix_millis;
use sigil_models::avanan::headers;

use crate::config::Credential;
use crate::http::received::Received;
use crate::jwt::AccessClaims;
use crate::state::{State, ct_eq};

pub(crate) mod events;
pub(crate) mod infinity;

type Shared = Arc<State>;

/// Why a request with a wrong signature, or an unknown application id, is refused.
const BAD_SIGNATURE: &str = "invalid x-av-sig";

/// How long an access token is valid (the document: one hour).
const TOKEN_LIFETIME_S: u64 = 3600;

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1.0/auth", any(auth))
        .route("/v1.0/{*rest}", any(api))
        .merge(infinity::routes())
}

pub(super) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
}

/// The Avanan envelope; `total` is `recordsNumber`, the records the query matches in all.
fn envelope(
    request_id: &str,
    code: u16,
    text: &str,
    data: Vec<Value>,
    total: usize,
    scroll_id: &str,
) -> Value {
    json!({
        "responseEnvelope": {
            "requestId": request_id,
            "responseCode": code,
            "responseText": text,
            "additionalText": "",
            "recordsNumber": total,
            "scrollId": scroll_id,
        },
        "responseData": data,
    })
}

/// An error answer: `status` and the envelope with it as `responseCode`, no records.
pub(super) fn failure(
    state: &State,
    route: &str,
    request_id: &str,
    status: StatusCode,
    text: &str,
) -> Response {
    state.record(route, status.as_str());
    let body = envelope(request_id, status.as_u16(), text, Vec::new(), 0, "");
    (status, Json(body)).into_response()
}

fn refuse(state: &State, route: &str, headers: &HeaderMap, reason: &str) -> Response {
    let id = header(headers, headers::REQ_ID).unwrap_or("");
    let text = format!("Unauthorized: {reason}");
    failure(state, route, id, StatusCode::UNAUTHORIZED, &text)
}

/// Parses `x-av-date`: RFC 3339 with or without the trailing `Z` (UTC either way), with or
/// without fractional seconds; returns epoch milliseconds.
fn parse_date(date: &str) -> Option<u64> {
    let t = humantime::parse_rfc3339_weak(date.trim().trim_end_matches('Z')).ok()?;
    Some(unix_millis(t))
}

/// The account (if the application id is known), request id and date of a request whose
/// headers are present and fresh; `Err` is the reason to refuse it.
fn common_checks<'s>(
    state: &'s State,
    headers: &HeaderMap,
) -> Result<(Option<&'s Credential>, String, String), String> {
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
    let account = state.config.avanan_accounts.iter().find(|a| a.id == app_id);
    let date = header(headers, headers::DATE).unwrap_or_default();
    match parse_date(date) {
        Some(ms) if state.within_window(ms) => {}
        Some(_) => {
            return Err("x-av-date is outside the accepted window".into());
        }
        None => return Err("x-av-date is not a date".into()),
    }
    // An unknown application id goes through the same checks as a known one and fails at
    // the signature, so that ids cannot be probed.
    Ok((
        account,
        header(headers, headers::REQ_ID)
            .unwrap_or_default()
            .to_owned(),
        date.to_owned(),
    ))
}

/// The account, if the signature is right for it (an unknown application id fails here,
/// like a wrong signature).
fn signed_by<'a>(
    account: Option<&'a Credential>,
    req_id: &str,
    date: &str,
    request_string: Option<&str>,
    headers: &HeaderMap,
) -> Option<&'a Credential> {
    let account = account?;
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
    ct_eq(expected.as_bytes(), received.as_bytes()).then_some(account)
}

async fn auth(Extract(state): Extract<Shared>, request: Request) -> Response {
    // The headers are read in place (axum's `HeaderMap` extractor would copy them).
    let (method, headers) = (request.method(), request.headers());
    const ROUTE: &str = "avanan.auth";
    if method != Method::GET {
        state.record(ROUTE, "405");
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let (account, req_id, date) = match common_checks(&state, headers) {
        Ok(ok) => ok,
        Err(reason) => return refuse(&state, ROUTE, headers, &reason),
    };
    // x-av-token is sent empty, or (some clients) left out: both are fine.
    let Some(account) = signed_by(account, &req_id, &date, None, headers) else {
        return refuse(&state, ROUTE, headers, BAD_SIGNATURE);
    };
    let now_s = state.now_ms() / 1000;
    let token = state.jwt.mint(&AccessClaims {
        aud: "avanan",
        exp: now_s.saturating_add(
            state
                .config
                .token_lifetime
                .map_or(TOKEN_LIFETIME_S, |l| l.as_secs()),
        ),
        exp_ms: None,
        iat: now_s,
        iss: "sigil-emulator",
        jti: state.hex_id(),
        sub: &account.id,
    });
    state.record(ROUTE, "200");
    ([(header::CONTENT_TYPE, "text/plain")], token).into_response()
}

async fn api(
    Extract(state): Extract<Shared>,
    Received {
        method,
        uri,
        headers,
        body,
    }: Received,
) -> Response {
    let path = uri.path().to_owned();
    let route = route_of("avanan", &path);
    let (account, req_id, date) = match common_checks(&state, &headers) {
        Ok(ok) => ok,
        Err(reason) => return refuse(&state, route, &headers, &reason),
    };
    let Some(token) = header(&headers, headers::TOKEN) else {
        return refuse(&state, route, &headers, "missing x-av-token");
    };
    let app_id = header(&headers, headers::APP_ID).unwrap_or_default();
    let valid_token = state
        .jwt
        .verify(token, "avanan", state.now_ms() / 1000)
        .is_some_and(|claims| claims["sub"] == app_id);
    if !valid_token {
        return refuse(&state, route, &headers, "x-av-token is invalid or expired");
    }
    // The request string: the path exactly as received (percent-encoded) plus `?query`.
    let request_string = uri.path_and_query().map_or(path.as_str(), |pq| pq.as_str());
    let Some(account) = signed_by(account, &req_id, &date, Some(request_string), &headers) else {
        return refuse(&state, route, &headers, BAD_SIGNATURE);
    };
    let customer = customer_of(&account.id);
    serve(&state, route, &method, &path, &body, &req_id, customer)
}

/// The route name of `path` (`/v1.0/…`) in the metrics, under `family`.
pub(super) fn route_of(family: &'static str, path: &str) -> &'static str {
    match (family, path) {
        ("avanan", "/v1.0/scopes") => "avanan.scopes",
        ("avanan", "/v1.0/event/query") => "avanan.event.query",
        ("avanan", _) => "avanan.other",
        (_, "/v1.0/scopes") => "avanan.infinity.scopes",
        (_, "/v1.0/event/query") => "avanan.infinity.event.query",
        _ => "avanan.infinity.other",
    }
}

/// The API behind either way in, once the caller is authenticated: `path` is the
/// `/v1.0/…` path, `customer` the account's customer.
pub(super) fn serve(
    state: &State,
    route: &str,
    method: &Method,
    path: &str,
    body: &[u8],
    req_id: &str,
    customer: &str,
) -> Response {
    let ok = |data: Vec<Value>, scroll: &str| {
        state.record(route, "200");
        // The live service answers a success with an empty responseText.
        let total = data.len();
        Json(envelope(req_id, 200, "", data, total, scroll)).into_response()
    };
    let scope = format!("{FARM}:{customer}");
    match (method.clone(), path) {
        (Method::GET, "/v1.0/scopes") => ok(vec![json!(scope)], ""),
        (Method::POST, "/v1.0/event/query") => match state.avanan_events.query(
            &state.config,
            state.now_ms(),
            || format!("{}{}", state.hex_id(), state.hex_id()),
            body,
            &scope,
        ) {
            Ok(page) => {
                let records = page
                    .records
                    .into_iter()
                    .map(|r| answered(r, customer))
                    .collect();
                state.record(route, "200");
                Json(envelope(
                    req_id,
                    200,
                    "",
                    records,
                    page.total,
                    &page.scroll_id,
                ))
                .into_response()
            }
            Err(why) => {
                let text = format!("Bad Request: {why}");
                failure(state, route, req_id, StatusCode::BAD_REQUEST, &text)
            }
        },
        (Method::GET, p) if p.starts_with("/v1.0/event/") => {
            let id = p.trim_start_matches("/v1.0/event/");
            match state.avanan_events.find(id) {
                Some(record) => ok(vec![answered(record.clone(), customer)], ""),
                None => failure(state, route, req_id, StatusCode::NOT_FOUND, "Not Found"),
            }
        }
        _ => failure(state, route, req_id, StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// The farm every emulated account's scope names.
const FARM: &str = "mt-rnd-ng-1";

/// An event as answered to `customer`: its record with `customerId`, the customer part of
/// the account's scope, as in the recorded live answers.
fn answered(mut record: Value, customer: &str) -> Value {
    record["customerId"] = json!(customer);
    record
}

/// `US:myapp29` → `myapp29`.
pub(super) fn customer_of(app_id: &str) -> &str {
    app_id.split_once(':').map_or(app_id, |(_, c)| c)
}
