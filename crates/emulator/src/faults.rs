//! Faults on demand: server errors, throttling, ADVANCE `SERVICE_BUSY`, latency, connections
//! closed mid-response and truncated bodies, drawn from a seeded generator for the routes in
//! scope; every injected fault is counted under `faults.<vendor>` in the metrics.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State as Extract};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::{State, lock};

/// Which vendor a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Vendor {
    Advance,
    Aet,
    Avanan,
}

impl Vendor {
    /// The vendor of an API path; `None` for the emulator's own pages and control routes.
    pub(crate) fn of(path: &str) -> Option<Vendor> {
        if path.starts_with("/v1.0/") {
            Some(Vendor::Avanan)
        } else if ["/v2/", "/v3/", "/v4/"].iter().any(|p| path.starts_with(p)) {
            Some(Vendor::Aet)
        } else if path.contains("/openapi/") || path.starts_with("/advance_api/") {
            Some(Vendor::Advance)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Vendor::Advance => "advance",
            Vendor::Aet => "aet",
            Vendor::Avanan => "avanan",
        }
    }
}

/// Faults to inject. Rates are probabilities in `[0, 1]` per request (their sum is capped at
/// 1); draws come from a generator seeded with `seed`, so a run with the same requests in
/// the same order injects the same faults.
///
/// ```
/// use std::time::Duration;
/// use sigil_emulator::Faults;
/// let faults = Faults {
///     error_rate: 0.2,
///     scope: vec!["avanan".into(), "/v3/users".into()],
///     latency: Duration::from_millis(20),
///     ..Faults::default()
/// };
/// assert!(faults.is_active());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Seed of the fault generator.
    pub seed: u64,
    /// Vendors (`advance`, `aet`, `avanan`) or path prefixes (starting with `/`) the faults
    /// apply to; empty: every API route.
    pub scope: Vec<String>,
    /// HTTP 500.
    pub error_rate: f64,
    /// HTTP 429 with `Retry-After`.
    pub throttle_rate: f64,
    /// HTTP 503 with `Retry-After`.
    pub unavailable_rate: f64,
    /// The `Retry-After` sent with 429 and 503 (whole seconds).
    pub retry_after: Duration,
    /// ADVANCE `SERVICE_BUSY` in an HTTP 200 envelope (ADVANCE routes only).
    pub busy_rate: f64,
    /// Added before every request in scope is handled.
    pub latency: Duration,
    /// The connection is closed after the headers and part of the body.
    pub close_rate: f64,
    /// The body is cut in half, with a `Content-Length` that matches the cut.
    pub truncate_rate: f64,
}

impl Default for Faults {
    /// No faults.
    fn default() -> Self {
        Self {
            seed: 0,
            scope: Vec::new(),
            error_rate: 0.0,
            throttle_rate: 0.0,
            unavailable_rate: 0.0,
            retry_after: Duration::from_secs(1),
            busy_rate: 0.0,
            latency: Duration::ZERO,
            close_rate: 0.0,
            truncate_rate: 0.0,
        }
    }
}

/// A rate within `[0, 1]` (NaN counts as 0).
fn rate(value: f64) -> f64 {
    if value.is_finite() {
        value.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    Error,
    Throttle,
    Unavailable,
    Busy,
    Close,
    Truncate,
}

impl Fault {
    fn label(self) -> &'static str {
        match self {
            Fault::Error => "500",
            Fault::Throttle => "429",
            Fault::Unavailable => "503",
            Fault::Busy => "SERVICE_BUSY",
            Fault::Close => "closed",
            Fault::Truncate => "truncated",
        }
    }
}

impl Faults {
    /// Whether any fault or latency is configured.
    pub fn is_active(&self) -> bool {
        self.latency > Duration::ZERO
            || [
                self.error_rate,
                self.throttle_rate,
                self.unavailable_rate,
                self.busy_rate,
                self.close_rate,
                self.truncate_rate,
            ]
            .iter()
            .any(|r| rate(*r) > 0.0)
    }

    fn applies_to(&self, path: &str, vendor: Vendor) -> bool {
        self.scope.is_empty()
            || self.scope.iter().any(|s| {
                if s.starts_with('/') {
                    path.starts_with(s.as_str())
                } else {
                    s.eq_ignore_ascii_case(vendor.name())
                }
            })
    }

    /// The fault a draw in `[0, 1)` picks, if any.
    fn pick(&self, draw: f64, vendor: Vendor) -> Option<Fault> {
        let busy = if vendor == Vendor::Advance {
            self.busy_rate
        } else {
            0.0
        };
        let mut edge = 0.0;
        for (r, fault) in [
            (self.error_rate, Fault::Error),
            (self.throttle_rate, Fault::Throttle),
            (self.unavailable_rate, Fault::Unavailable),
            (busy, Fault::Busy),
            (self.close_rate, Fault::Close),
            (self.truncate_rate, Fault::Truncate),
        ] {
            edge += rate(r);
            if draw < edge {
                return Some(fault);
            }
        }
        None
    }
}

/// The body of an injected error in the vendor's own shape.
fn error_body(vendor: Vendor, status: StatusCode, state: &State) -> serde_json::Value {
    let text = status.canonical_reason().unwrap_or("Error");
    match vendor {
        Vendor::Advance => json!({
            "code": if status == StatusCode::INTERNAL_SERVER_ERROR { "ERROR" } else { "SERVICE_BUSY" },
            "message": text,
            "data": null,
            "extra": null,
            "transactionId": state.hex_id(),
            "pricingStrategy": "FREE",
        }),
        Vendor::Aet => json!({"error": "injected_fault", "message": text}),
        Vendor::Avanan => json!({
            "responseEnvelope": {
                "requestId": "", "responseCode": status.as_u16(), "responseText": text,
                "additionalText": "", "recordsNumber": 0, "scrollId": "",
            },
            "responseData": [],
        }),
    }
}

/// The middleware: sets `Date` from the emulator's clock on every answer, and injects the
/// configured faults into the routes in scope.
pub(crate) async fn layer(
    Extract(state): Extract<Arc<State>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let fault = match Vendor::of(&path) {
        Some(vendor) if state.faults.applies_to(&path, vendor) => {
            if state.faults.latency > Duration::ZERO {
                tokio::time::sleep(state.faults.latency).await;
            }
            let draw = lock(&state.fault_rng).f64();
            state.faults.pick(draw, vendor).map(|f| (vendor, f))
        }
        _ => None,
    };
    if let Some((vendor, fault)) = fault {
        state.record(&format!("faults.{}", vendor.name()), fault.label());
    }
    let mut response = match fault {
        None => next.run(request).await,
        Some((vendor, fault)) => inject(&state, vendor, fault, request, next).await,
    };
    if let Ok(date) = HeaderValue::from_str(&httpdate::fmt_http_date(state.config.clock.now())) {
        response.headers_mut().insert(header::DATE, date);
    }
    response
}

async fn inject(
    state: &State,
    vendor: Vendor,
    fault: Fault,
    request: Request,
    next: Next,
) -> Response {
    let retry_after = || HeaderValue::from(state.faults.retry_after.as_secs());
    match fault {
        Fault::Error => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(error_body(vendor, StatusCode::INTERNAL_SERVER_ERROR, state)),
        )
            .into_response(),
        Fault::Throttle | Fault::Unavailable => {
            let status = if fault == Fault::Throttle {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            let mut response =
                (status, axum::Json(error_body(vendor, status, state))).into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after());
            response
        }
        Fault::Busy => {
            axum::Json(error_body(vendor, StatusCode::TOO_MANY_REQUESTS, state)).into_response()
        }
        Fault::Close | Fault::Truncate => {
            let (parts, body) = next.run(request).await.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let half = bytes.slice(..bytes.len() / 2);
            let mut response = if fault == Fault::Truncate {
                Response::from_parts(parts, Body::from(half))
            } else {
                // The declared length is the whole body; the stream fails half-way, so the
                // server drops the connection mid-response.
                let failing = futures_util::stream::iter([
                    Ok::<Bytes, std::io::Error>(half),
                    Err(std::io::Error::other("injected: connection closed")),
                ]);
                let mut response = Response::from_parts(parts, Body::from_stream(failing));
                if let Ok(len) = HeaderValue::from_str(&bytes.len().to_string()) {
                    response.headers_mut().insert(header::CONTENT_LENGTH, len);
                }
                response
            };
            if fault == Fault::Truncate {
                response.headers_mut().remove(header::CONTENT_LENGTH);
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_follow_the_rates() {
        let f = Faults {
            error_rate: 0.2,
            busy_rate: 0.3,
            truncate_rate: f64::NAN,
            ..Faults::default()
        };
        assert_eq!(f.pick(0.1, Vendor::Aet), Some(Fault::Error));
        assert_eq!(f.pick(0.3, Vendor::Aet), None);
        assert_eq!(f.pick(0.3, Vendor::Advance), Some(Fault::Busy));
        assert_eq!(f.pick(0.6, Vendor::Advance), None);
        assert!(f.is_active());
        assert!(!Faults::default().is_active());
    }

    #[test]
    fn scope_by_vendor_or_prefix() {
        let f = Faults {
            scope: vec!["avanan".into(), "/v3/users".into()],
            ..Faults::default()
        };
        assert!(f.applies_to("/v1.0/scopes", Vendor::Avanan));
        assert!(f.applies_to("/v3/users/1", Vendor::Aet));
        assert!(!f.applies_to("/v3/accounts", Vendor::Aet));
        assert_eq!(
            Vendor::of("/openapi/auth/ticket/v1/generate-token"),
            Some(Vendor::Advance)
        );
        assert_eq!(Vendor::of("/_emulator/metrics"), None);
        assert_eq!(Vendor::of("/h5/idv/x"), None);
    }
}
