//! What every request goes through before and after its handler: the control-token check,
//! body size and read-time limits, injected faults, errors in the vendor's own shape (ADVANCE
//! always answers HTTP 200 with its envelope), and a `Date` from the emulator's clock.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State as Extract};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::{State, ct_eq};
use crate::sync::lock;
use crate::vendor::{Vendor, error_body};

/// Whether `path` is an AET upload, which may carry a larger body.
fn is_upload(path: &str) -> bool {
    ["/v2/documents", "/v3/documents", "/v4/documents"].contains(&path)
}

/// The middleware every route runs under.
pub(crate) async fn layer(
    Extract(state): Extract<Arc<State>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let vendor = Vendor::of(&path);
    if path.starts_with("/_emulator/") && !control_allowed(&state, &request) {
        state.record("control", "401");
        let body = json!({"error": "unauthorized", "message": "the control routes need Authorization: Bearer <control token>"});
        return with_date(
            &state,
            (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response(),
        );
    }
    let limits = &state.config.limits;
    let body_limit = if is_upload(&path) {
        limits.max_upload_body
    } else {
        limits.max_json_body
    };
    let timeout = limits.body_read_timeout;
    // One deadline for the whole body, however it trickles in.
    let request = request.map(|body| {
        Body::new(http_body_util::Limited::new(
            crate::http::deadline_body::DeadlineBody::new(body, timeout),
            body_limit,
        ))
    });
    let fault = match vendor {
        Some(vendor) if state.config.faults.applies_to(&path, vendor) => {
            if !state.config.faults.latency.is_zero() {
                tokio::time::sleep(state.config.faults.latency).await;
            }
            let draw = lock(&state.fault_rng).f64();
            state.config.faults.pick(draw, vendor)
        }
        _ => None,
    };
    let fault = vendor.zip(fault);
    let response = match fault {
        Some((vendor, fault)) => {
            state.record(&format!("faults.{}", vendor.name()), fault.label());
            crate::http::faults::inject(&state, vendor, fault, request, next).await
        }
        None => next.run(request).await,
    };
    let response = match vendor {
        Some(vendor) => in_vendor_shape(&state, vendor, response),
        None => response,
    };
    tracing::debug!(
        target: "sigil::emulator",
        %method, %path, status = response.status().as_u16(),
        fault = fault.map(|(_, f)| f.label()),
        "request"
    );
    with_date(&state, response)
}

/// Replaces a bare error the HTTP layer produced (413, 405, 400 …, not JSON) with the
/// vendor's error body; ADVANCE answers HTTP 200 with its envelope.
fn in_vendor_shape(state: &State, vendor: Vendor, response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let text = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "the method is not allowed here".to_owned(),
        s => s.canonical_reason().unwrap_or("bad request").to_owned(),
    };
    state.record(&format!("{}.http", vendor.name()), status.as_str());
    let body = axum::Json(error_body(vendor, status, &text, state));
    match vendor {
        Vendor::Advance => body.into_response(),
        _ => (status, body).into_response(),
    }
}

fn control_allowed(state: &State, request: &Request) -> bool {
    let Some(expected) = &state.control_token else {
        return true;
    };
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| ct_eq(given.trim().as_bytes(), expected.as_bytes()))
}

fn with_date(state: &State, mut response: Response) -> Response {
    if let Ok(date) = HeaderValue::from_str(&httpdate::fmt_http_date(state.config.clock.now())) {
        response.headers_mut().insert(header::DATE, date);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_by_path() {
        assert!(is_upload("/v3/documents") && !is_upload("/v3/users"));
    }
}
