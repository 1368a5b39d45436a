//! AET: request authentication, then a small in-memory resource set.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use sigil_models::aet::headers;

use crate::http::received::Received;
use crate::state::{State, ct_eq};
use crate::sync::lock;

type Shared = Arc<State>;

/// Collections that accept any JSON object.
const JSON_COLLECTIONS: [&str; 2] = ["users", "accounts"];

/// The metrics route of a collection (`aet.users`) or of one of its items (`aet.users.item`),
/// named without formatting for the collections the emulator serves.
fn route_name(collection: &str, item: bool) -> std::borrow::Cow<'static, str> {
    let known = match (collection, item) {
        ("users", false) => Some("aet.users"),
        ("users", true) => Some("aet.users.item"),
        ("accounts", false) => Some("aet.accounts"),
        ("accounts", true) => Some("aet.accounts.item"),
        ("documents", false) => Some("aet.documents"),
        ("documents", true) => Some("aet.documents.item"),
        _ => None,
    };
    match known {
        Some(name) => name.into(),
        None if item => format!("aet.{collection}.item").into(),
        None => format!("aet.{collection}").into(),
    }
}

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v2/{*rest}", any(handle))
        .route("/v3/{*rest}", any(handle))
        .route("/v4/{*rest}", any(handle))
}

fn reply(state: &State, route: &str, status: StatusCode, body: impl serde::Serialize) -> Response {
    state.record(route, status.as_str());
    (status, Json(body)).into_response()
}

/// Why a request is not authenticated: the `error` and `message` of the 401 body.
struct AuthFailure(&'static str, &'static str);

fn unauthorized(state: &State, AuthFailure(error, message): AuthFailure) -> Response {
    reply(
        state,
        "aet.auth",
        StatusCode::UNAUTHORIZED,
        json!({"error": error, "message": message}),
    )
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn is_multipart(headers: &HeaderMap) -> bool {
    header(headers, headers::CONTENT_TYPE)
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// Checks the document's authentication; `Err` is the 401 to send.
fn authenticate(
    state: &State,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), AuthFailure> {
    let Some(auth) = header(headers, headers::AUTHORIZATION) else {
        return Err(AuthFailure(
            "missing_authorization",
            "the authorization header is required: Bearer <API token>",
        ));
    };
    let Some(token) = auth
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Err(AuthFailure(
            "invalid_authorization",
            "authorization must be `Bearer <API token>`",
        ));
    };
    // An unknown token is answered exactly like a wrong signature, after the same checks, so
    // that tokens cannot be probed.
    let account = state
        .config
        .aet_accounts
        .iter()
        .find(|a| ct_eq(a.id.as_bytes(), token.as_bytes()));
    let Some(timestamp) = header(headers, headers::TIMESTAMP) else {
        return Err(AuthFailure(
            "missing_timestamp",
            "the timestamp header is required (milliseconds since the epoch)",
        ));
    };
    // Strictly 13 digits: seconds (10 digits) are a unit error, not clock skew.
    let Some(millis) = Some(timestamp)
        .filter(|t| t.len() == 13 && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse::<u64>().ok())
    else {
        return Err(AuthFailure(
            "invalid_timestamp",
            "the timestamp header must be 13 digits: milliseconds since the epoch",
        ));
    };
    if !state.within_window(millis) {
        return Err(AuthFailure(
            "stale_timestamp",
            "the timestamp is outside the accepted window",
        ));
    }
    let Some(received) = header(headers, headers::SIGNATURE) else {
        return Err(AuthFailure(
            "missing_signature",
            "the signature header is required",
        ));
    };
    // The document: the path without its leading slash; the body as sent, or empty for a
    // multipart upload. It does not say whether the query is signed: both forms are accepted.
    let path = uri.path().trim_start_matches('/');
    let signed_body: &[u8] = if is_multipart(headers) { b"" } else { body };
    let valid = account.is_some_and(|account| {
        let signs = |p: &str| {
            let expected = sigil_reference::aet_signature(
                account.secret.as_bytes(),
                millis,
                method.as_str(),
                p,
                Some(signed_body),
            );
            ct_eq(expected.as_bytes(), received.as_bytes())
        };
        signs(path)
            || uri
                .query()
                .is_some_and(|query| signs(&format!("{path}?{query}")))
    });
    if !valid {
        return Err(AuthFailure(
            "invalid_signature",
            "the signature does not match the request",
        ));
    }
    Ok(())
}

async fn handle(
    Extract(state): Extract<Shared>,
    Received {
        method,
        uri,
        headers,
        body,
    }: Received,
) -> Response {
    if let Err(failure) = authenticate(&state, &method, &uri, &headers, &body) {
        return unauthorized(&state, failure);
    }
    let mut segments = uri.path().trim_matches('/').split('/');
    let segments = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    );
    let served =
        |collection: &str| JSON_COLLECTIONS.contains(&collection) || collection == "documents";
    match segments {
        (Some("v3"), Some("documents"), None, _) if method == Method::POST => {
            upload(&state, &headers, body).await
        }
        (Some("v3"), Some(collection), None, _) if served(collection) => {
            collection_route(&state, &method, collection, uri.query(), body)
        }
        (Some("v3"), Some(collection), Some(id), None) if served(collection) => {
            item_route(&state, &method, collection, id, body)
        }
        _ => reply(
            &state,
            "aet.unknown",
            StatusCode::NOT_FOUND,
            json!({"error": "not_found", "message": format!("no resource at {}", uri.path())}),
        ),
    }
}

/// One page of a collection listing, serialized without building a JSON map first; the
/// fields in alphabetical order, as a `serde_json::Value` object writes them (same bytes).
#[derive(serde::Serialize)]
struct Page<'a> {
    count: usize,
    data: &'a [Value],
    page: usize,
    per_page: usize,
    total: usize,
}

fn collection_route(
    state: &State,
    method: &Method,
    collection: &str,
    query: Option<&str>,
    body: Bytes,
) -> Response {
    let route = route_name(collection, false);
    match *method {
        Method::GET => {
            let max = state.config.limits.max_page_size.max(1);
            let Some((page, per_page)) = paging(query, max) else {
                return reply(
                    state,
                    &route,
                    StatusCode::BAD_REQUEST,
                    json!({"error": "validation_error", "message": format!("page must be 1 or more and per_page 1 to {max}")}),
                );
            };
            // Only the page is copied out of the store, never the whole collection.
            let store = lock(&state.aet);
            let all = store.get(collection);
            let total = all.map_or(0, BTreeMap::len);
            let items: Vec<Value> = all
                .map(|c| {
                    c.values()
                        .skip((page - 1).saturating_mul(per_page))
                        .take(per_page)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            drop(store);
            reply(
                state,
                &route,
                StatusCode::OK,
                Page {
                    count: items.len(),
                    data: &items,
                    page,
                    per_page,
                    total,
                },
            )
        }
        Method::POST => {
            let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(&body) else {
                return reply(
                    state,
                    &route,
                    StatusCode::BAD_REQUEST,
                    json!({"error": "validation_error", "message": "the body must be a JSON object"}),
                );
            };
            let id = format!("{}_{}", &collection[..collection.len() - 1], state.hex_id());
            fields.insert("id".into(), json!(id));
            fields.insert("createdAt".into(), json!(state.now_ms()));
            let item = Value::Object(fields);
            if !state.reserve_object(json_size(&item)) {
                return reply(
                    state,
                    &route,
                    StatusCode::INSUFFICIENT_STORAGE,
                    storage_full(),
                );
            }
            lock(&state.aet)
                .entry(collection.to_owned())
                .or_default()
                .insert(id, item.clone());
            reply(state, &route, StatusCode::CREATED, item)
        }
        _ => reply(
            state,
            &route,
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"error": "method_not_allowed"}),
        ),
    }
}

fn item_route(state: &State, method: &Method, collection: &str, id: &str, body: Bytes) -> Response {
    let route = route_name(collection, true);
    let mut store = lock(&state.aet);
    let items = store.entry(collection.to_owned()).or_default();
    let missing = || json!({"error": "not_found", "message": format!("no {collection} item {id}")});
    match *method {
        Method::GET => match items.get(id) {
            Some(item) => {
                let item = item.clone();
                drop(store);
                reply(state, &route, StatusCode::OK, item)
            }
            None => {
                drop(store);
                reply(state, &route, StatusCode::NOT_FOUND, missing())
            }
        },
        Method::PUT | Method::PATCH => {
            let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
                drop(store);
                return reply(
                    state,
                    &route,
                    StatusCode::BAD_REQUEST,
                    json!({"error": "validation_error", "message": "the body must be a JSON object"}),
                );
            };
            let Some(Value::Object(item)) = items.get_mut(id) else {
                drop(store);
                return reply(state, &route, StatusCode::NOT_FOUND, missing());
            };
            let mut merged: Map<String, Value> = if *method == Method::PUT {
                item.iter()
                    .filter(|(k, _)| *k == "id" || *k == "createdAt")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            } else {
                item.clone()
            };
            for (k, v) in fields {
                if k != "id" && k != "createdAt" {
                    merged.insert(k, v);
                }
            }
            // PATCH merges: an object may not grow past what one request may carry.
            let size = serde_json::to_vec(&merged).map_or(usize::MAX, |v| v.len());
            let old = serde_json::to_vec(&*item).map_or(0, |v| v.len());
            if size > state.config.limits.max_json_body {
                drop(store);
                return reply(
                    state,
                    &route,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    json!({"error": "payload_too_large", "message": "the object would be larger than a request body may be"}),
                );
            }
            if !state.resize_object(old, size) {
                drop(store);
                return reply(
                    state,
                    &route,
                    StatusCode::INSUFFICIENT_STORAGE,
                    storage_full(),
                );
            }
            *item = merged;
            let updated = Value::Object(item.clone());
            drop(store);
            reply(state, &route, StatusCode::OK, updated)
        }
        Method::DELETE => {
            let removed = items.remove(id);
            drop(store);
            if let Some(removed) = removed {
                state.release_object(json_size(&removed));
                state.record(&route, "204");
                StatusCode::NO_CONTENT.into_response()
            } else {
                reply(state, &route, StatusCode::NOT_FOUND, missing())
            }
        }
        _ => {
            drop(store);
            reply(
                state,
                &route,
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"error": "method_not_allowed"}),
            )
        }
    }
}

/// `POST v3/documents` with a multipart form: stores each field and each file's name, type,
/// size and SHA-256.
async fn upload(state: &State, headers: &HeaderMap, body: Bytes) -> Response {
    const ROUTE: &str = "aet.documents";
    let boundary =
        header(headers, headers::CONTENT_TYPE).and_then(|c| multer::parse_boundary(c).ok());
    let Some(boundary) = boundary else {
        return reply(
            state,
            ROUTE,
            StatusCode::BAD_REQUEST,
            json!({"error": "validation_error", "message": "a multipart/form-data body is required"}),
        );
    };
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut fields = Map::new();
    let mut files = Vec::new();
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let filename = field.file_name().map(str::to_owned);
                let content_type = field.content_type().map(ToString::to_string);
                let Ok(data) = field.bytes().await else {
                    return reply(
                        state,
                        ROUTE,
                        StatusCode::BAD_REQUEST,
                        json!({"error": "validation_error", "message": "malformed multipart body"}),
                    );
                };
                match filename {
                    Some(filename) => files.push(json!({
                        "field": name, "filename": filename, "contentType": content_type,
                        "size": data.len(), "sha256": sha256_hex(&data),
                    })),
                    None => {
                        fields.insert(name, json!(String::from_utf8_lossy(&data)));
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                return reply(
                    state,
                    ROUTE,
                    StatusCode::BAD_REQUEST,
                    json!({"error": "validation_error", "message": format!("malformed multipart body: {e}")}),
                );
            }
        }
    }
    if files.is_empty() {
        return reply(
            state,
            ROUTE,
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"error": "validation_error", "message": "at least one file is required"}),
        );
    }
    let id = format!("document_{}", state.hex_id());
    let item = json!({"id": id, "fields": fields, "files": files, "createdAt": state.now_ms()});
    if !state.reserve_object(json_size(&item)) {
        return reply(
            state,
            ROUTE,
            StatusCode::INSUFFICIENT_STORAGE,
            storage_full(),
        );
    }
    lock(&state.aet)
        .entry("documents".into())
        .or_default()
        .insert(id, item.clone());
    reply(state, ROUTE, StatusCode::CREATED, item)
}

/// The bytes of a stored object's JSON, as counted against the state byte cap.
fn json_size(item: &Value) -> usize {
    serde_json::to_vec(item).map_or(0, |v| v.len())
}

fn storage_full() -> Value {
    json!({"error": "storage_full", "message": "the emulator holds as many objects (or bytes of them) as it may (see --max-objects and --max-state-bytes); delete some"})
}

/// `?page=P&per_page=N` (1-based page, default 1; `per_page` default and at most `max`).
fn paging(query: Option<&str>, max: usize) -> Option<(usize, usize)> {
    let (mut page, mut per_page) = (1, max);
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "page" => page = value.parse().ok().filter(|p| *p >= 1)?,
            "per_page" => per_page = value.parse().ok().filter(|n| (1..=max).contains(n))?,
            _ => {}
        }
    }
    Some((page, per_page))
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}
