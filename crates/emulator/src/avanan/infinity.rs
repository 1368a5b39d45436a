//! Avanan through Check Point Infinity Portal: `POST /auth/external` with a client id and an
//! access key answers a bearer token, and the same API as the signed scheme is served under
//! `/app/hec-api/v1.0/…` with `Authorization: Bearer` (nothing signed).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};
use sigil_models::avanan::headers;

use super::{customer_of, failure, route_of, serve};
use crate::http::received::Received;
use crate::jwt::AccessClaims;
use crate::state::{State, ct_eq};

/// Where the API lives on an Infinity gateway: `/app/hec-api` + the `/v1.0/…` path.
pub(crate) const PREFIX: &str = "/app/hec-api/";
/// The token route.
pub(crate) const AUTH_PATH: &str = "/auth/external";
/// The JWT audience of Infinity tokens (a signed-scheme token is not accepted here, nor the
/// other way round).
const AUDIENCE: &str = "avanan-infinity";
/// How long a token is valid when `--token-lifetime` does not say: 30 minutes, what public
/// clients assume when an answer carries no `expiresIn`.
const TOKEN_LIFETIME_S: u64 = 1800;

pub(super) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route(AUTH_PATH, any(auth_external))
        .route("/app/hec-api/v1.0/{*rest}", any(api))
}

/// A `success: false` answer.
fn unsuccessful(state: &State, status: StatusCode, message: &str) -> Response {
    state.record("avanan.infinity.auth", status.as_str());
    let body = json!({"success": false, "message": message, "data": null});
    (status, Json(body)).into_response()
}

async fn auth_external(
    Extract(state): Extract<Arc<State>>,
    method: Method,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        state.record("avanan.infinity.auth", "405");
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return unsuccessful(&state, StatusCode::BAD_REQUEST, "the body is not JSON");
    };
    let field = |name: &str| request.get(name).and_then(Value::as_str).unwrap_or("");
    let (client_id, access_key) = (field("clientId"), field("accessKey"));
    // Every account's key is compared (in constant time), so that a wrong key and an unknown
    // client id take the same path and answer alike.
    let mut known = None;
    for account in &state.config.avanan_infinity_accounts {
        let id_matches = ct_eq(account.id.as_bytes(), client_id.as_bytes());
        let key_matches = ct_eq(account.secret.as_bytes(), access_key.as_bytes());
        if id_matches && key_matches {
            known = Some(account);
        }
    }
    let Some(account) = known else {
        return unsuccessful(&state, StatusCode::UNAUTHORIZED, "Authentication failed");
    };
    let now_s = state.now_ms() / 1000;
    let lifetime = state
        .config
        .token_lifetime
        .map_or(TOKEN_LIFETIME_S, |l| l.as_secs());
    let token = state.jwt.mint(&AccessClaims {
        aud: AUDIENCE,
        exp: now_s.saturating_add(lifetime),
        exp_ms: None,
        iat: now_s,
        iss: "sigil-emulator",
        jti: state.hex_id(),
        sub: &account.id,
    });
    state.record("avanan.infinity.auth", "200");
    Json(json!({"success": true, "data": {"token": token, "expiresIn": lifetime}})).into_response()
}

async fn api(
    Extract(state): Extract<Arc<State>>,
    Received {
        method,
        uri,
        headers,
        body,
    }: Received,
) -> Response {
    // The `/v1.0/…` path the signed scheme serves (the route matched the prefix).
    let path = uri.path().get(PREFIX.len() - 1..).unwrap_or("/").to_owned();
    let route = route_of("infinity", &path);
    let req_id = super::header(&headers, headers::REQ_ID).unwrap_or_default();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    let client_id = state
        .jwt
        .verify(bearer, AUDIENCE, state.now_ms() / 1000)
        .and_then(|claims| claims["sub"].as_str().map(str::to_owned))
        .filter(|id| {
            state
                .config
                .avanan_infinity_accounts
                .iter()
                .any(|a| a.id == *id)
        });
    let Some(client_id) = client_id else {
        return failure(
            &state,
            route,
            req_id,
            StatusCode::UNAUTHORIZED,
            "Unauthorized: the bearer token is missing, invalid or expired",
        );
    };
    serve(
        &state,
        route,
        &method,
        &path,
        &body,
        req_id,
        customer_of(&client_id),
    )
}
