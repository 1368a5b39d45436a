//! The H5 IDV page a tester uses to pick an outcome, and the scripting endpoints.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State as Extract};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::advance::outcome::IdvOutcome;
use crate::state::State;

type Shared = Arc<State>;

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/h5-idv/", get(page))
        .route("/h5-idv/complete", post(complete_from_page))
        .route("/h5-idv/images/{id}/{file}", get(image))
        .route("/_emulator/idv/outcomes", post(script))
        .route("/_emulator/idv/complete", post(complete_by_api))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Whether `token` is the page token of `signature_id`.
fn page_token_ok(state: &State, token: &str, signature_id: &str) -> bool {
    state
        .jwt
        .verify(token, "h5", state.now_ms() / 1000)
        .is_some_and(|claims| claims["sub"] == signature_id)
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>ID verification</title></head><body><h1>ID verification</h1><p role=\"alert\">{}</p></body></html>",
        escape(message)
    );
    (status, Html(body)).into_response()
}

async fn page(
    Extract(state): Extract<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (Some(token), Some(signature_id)) = (q.get("token"), q.get("signatureId")) else {
        state.record("advance.idv.page", "400");
        return error_page(StatusCode::BAD_REQUEST, "This link is incomplete.");
    };
    if !page_token_ok(&state, token, signature_id) || state.session(signature_id).is_none() {
        state.record("advance.idv.page", "403");
        return error_page(
            StatusCode::FORBIDDEN,
            "This verification link is invalid or has expired.",
        );
    }
    state.record("advance.idv.page", "200");
    let buttons: String = IdvOutcome::all()
        .iter()
        .map(|o| {
            let class = if o.returns_to_success_url() {
                "ok"
            } else {
                "fail"
            };
            format!(
                "<button class=\"{class}\" name=\"outcome\" value=\"{}\">{}</button>\n",
                escape(&o.to_string()),
                escape(&o.label())
            )
        })
        .collect();
    Html(format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ID verification (sigil emulator)</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 0; background: #f4f6f8; color: #1d2733; }}
  header {{ background: #1d4ed8; color: white; padding: 16px; }}
  header h1 {{ margin: 0; font-size: 1.25rem; }}
  main {{ padding: 16px; max-width: 480px; margin: 0 auto; }}
  .card {{ background: white; border-radius: 12px; padding: 16px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }}
  .ktp {{ border: 2px dashed #94a3b8; border-radius: 8px; height: 120px; display: flex; align-items: center;
          justify-content: center; color: #64748b; margin-bottom: 16px; }}
  form {{ display: grid; gap: 8px; }}
  button {{ font-size: 1rem; padding: 12px; border-radius: 8px; border: 1px solid #cbd5e1; background: white; text-align: left; }}
  button.ok {{ border-left: 6px solid #16a34a; }}
  button.fail {{ border-left: 6px solid #dc2626; }}
  small {{ color: #64748b; }}
  header small {{ color: #dbeafe; }}
</style>
</head>
<body>
<header><h1>ID verification</h1><small>sigil emulator — session {sid}</small></header>
<main>
<div class="card">
<div class="ktp">Place your KTP inside the frame</div>
<p>Pick the outcome this emulated verification should have:</p>
<form method="post" action="/h5-idv/complete">
<input type="hidden" name="signatureId" value="{sid}">
<input type="hidden" name="token" value="{token}">
{buttons}</form>
</div>
</main>
</body>
</html>
"#,
        sid = escape(signature_id),
        token = escape(token),
    ))
    .into_response()
}

#[derive(Deserialize)]
struct PageChoice {
    #[serde(rename = "signatureId")]
    signature_id: String,
    token: String,
    outcome: String,
}

/// `url` with `signatureId` added to its query.
fn with_signature_id(url: &str, signature_id: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            u.query_pairs_mut().append_pair("signatureId", signature_id);
            u.to_string()
        }
        Err(_) => url.to_owned(),
    }
}

async fn complete_from_page(
    Extract(state): Extract<Shared>,
    Form(choice): Form<PageChoice>,
) -> Response {
    if !page_token_ok(&state, &choice.token, &choice.signature_id) {
        state.record("advance.idv.complete", "403");
        return error_page(
            StatusCode::FORBIDDEN,
            "This verification link is invalid or has expired.",
        );
    }
    let Ok(outcome) = choice.outcome.parse::<IdvOutcome>() else {
        state.record("advance.idv.complete", "400");
        return error_page(StatusCode::BAD_REQUEST, "Unknown outcome.");
    };
    let Some(session) = state.complete_session(&choice.signature_id, outcome.clone()) else {
        state.record("advance.idv.complete", "404");
        return error_page(StatusCode::NOT_FOUND, "Unknown session.");
    };
    state.record("advance.idv.complete", &outcome.to_string());
    let target = if outcome.returns_to_success_url() {
        &session.return_url
    } else {
        &session.fail_return_url
    };
    Redirect::to(&with_signature_id(target, &choice.signature_id)).into_response()
}

async fn image(
    Extract(state): Extract<Shared>,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    if state.session(&id).is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200"><rect width="320" height="200" rx="12" fill="#dbeafe"/><text x="20" y="40" font-family="sans-serif" font-size="18">KTP (emulated)</text><text x="20" y="80" font-family="sans-serif" font-size="12">{}</text></svg>"##,
        escape(&format!("{id} {file}"))
    );
    ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
}

#[derive(Deserialize)]
struct Script {
    #[serde(rename = "userId")]
    user_id: String,
    outcome: String,
}

async fn script(Extract(state): Extract<Shared>, Json(script): Json<Script>) -> Response {
    match script.outcome.parse::<IdvOutcome>() {
        Ok(outcome) if !script.user_id.is_empty() => {
            state.script_outcome(&script.user_id, outcome);
            state.record("emulator.idv.script", "200");
            Json(json!({"userId": script.user_id, "outcome": script.outcome})).into_response()
        }
        Ok(_) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "userId is empty"})),
        )
            .into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": e}))).into_response(),
    }
}

#[derive(Deserialize)]
struct Complete {
    #[serde(rename = "signatureId")]
    signature_id: String,
    outcome: String,
}

async fn complete_by_api(Extract(state): Extract<Shared>, Json(c): Json<Complete>) -> Response {
    let Ok(outcome) = c.outcome.parse::<IdvOutcome>() else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": format!("unknown outcome {:?}", c.outcome)})),
        )
            .into_response();
    };
    match state.complete_session(&c.signature_id, outcome.clone()) {
        Some(session) => {
            state.record("emulator.idv.complete", "200");
            let target = if outcome.returns_to_success_url() {
                session.return_url
            } else {
                session.fail_return_url
            };
            Json(json!({"signatureId": c.signature_id, "outcome": c.outcome, "redirect": with_signature_id(&target, &c.signature_id)}))
                .into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "unknown signatureId"})),
        )
            .into_response(),
    }
}
