//! What every request goes through before and after its handler: the control-token check,
//! body size and read-time limits, injected faults, errors in the vendor's own shape (ADVANCE
//! always answers HTTP 200 with its envelope), and a `Date` from the emulator's clock.
//!
//! The server loop calls [`handle`] for every request, around the router: a plain function
//! rather than a router layer, so a request costs no boxed middleware future and no clone of
//! the routes (see "The emulator" in `docs/PERFORMANCE.md`).

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body::Body as _;
use serde_json::json;
use tower::Service;

use crate::state::{State, ct_eq};
use crate::sync::lock;
use crate::vendor::{Vendor, error_body};

/// Whether `path` is an AET upload, which may carry a larger body.
fn is_upload(path: &str) -> bool {
    ["/v2/documents", "/v3/documents", "/v4/documents"].contains(&path)
}

/// Answers `request` through `router` with every check above.
pub(crate) async fn handle<R>(state: Arc<State>, mut router: R, mut request: Request) -> Response
where
    R: Service<Request, Response = Response, Error = Infallible>,
{
    // A `Uri` clone shares its bytes: nothing is copied for the log line.
    let uri = request.uri().clone();
    let path = uri.path();
    let method = request.method().clone();
    let vendor = Vendor::of(path);
    if path.starts_with("/_emulator/") && !control_allowed(&state, &request) {
        state.record("control", "401");
        let body = json!({"error": "unauthorized", "message": "the control routes need Authorization: Bearer <control token>"});
        return with_date(
            &state,
            (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response(),
        );
    }
    // One deadline for the whole body, however it trickles in; a request that has no body
    // (a GET, say) has nothing to bound. The body is swapped in place: the request itself
    // is not moved.
    if !request.body().is_end_stream() {
        let limits = &state.config.limits;
        let body_limit = if is_upload(path) {
            limits.max_upload_body
        } else {
            limits.max_json_body
        };
        let body = std::mem::take(request.body_mut());
        *request.body_mut() = Body::new(http_body_util::Limited::new(
            crate::http::deadline_body::DeadlineBody::new(body, limits.body_read_timeout),
            body_limit,
        ));
    }
    // The router is always ready (its `poll_ready` answers at once); the route is chosen now
    // and its handler runs when `handled` is awaited.
    let handled = match std::future::poll_fn(|cx| router.poll_ready(cx)).await {
        Ok(()) => router.call(request),
        Err(never) => match never {},
    };
    let fault = match vendor {
        Some(vendor) if state.faults_active && state.config.faults.applies_to(path, vendor) => {
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
            let handled = async { handled.await.unwrap_or_else(|never| match never {}) };
            // Boxed: the rare path does not make every request's future larger.
            Box::pin(crate::http::faults::inject(&state, vendor, fault, handled)).await
        }
        None => handled.await.unwrap_or_else(|never| match never {}),
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
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
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
    if let Some(date) = state.http_date() {
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
