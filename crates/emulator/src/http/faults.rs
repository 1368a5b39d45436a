//! Faults on demand: server errors, throttling, ADVANCE `SERVICE_BUSY`, latency, connections
//! closed mid-response and truncated bodies, drawn from a seeded generator for the routes in
//! scope; every injected fault is counted under `faults.<vendor>` in the metrics.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use sigil_transport::unit_interval;

use crate::state::State;
use crate::vendor::{Vendor, error_body};

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

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Fault {
    Error,
    Throttle,
    Unavailable,
    Busy,
    Close,
    Truncate,
}

impl Fault {
    pub(crate) fn label(self) -> &'static str {
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
            .any(|r| unit_interval(*r) > 0.0)
    }

    pub(crate) fn applies_to(&self, path: &str, vendor: Vendor) -> bool {
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
    pub(crate) fn pick(&self, draw: f64, vendor: Vendor) -> Option<Fault> {
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
            edge += unit_interval(r);
            if draw < edge {
                return Some(fault);
            }
        }
        None
    }
}

/// Answers in place of the handler (or spoils its answer) with `fault`; `handled` is the
/// handler's answer, run only for the faults that spoil it.
pub(crate) async fn inject(
    state: &State,
    vendor: Vendor,
    fault: Fault,
    handled: impl Future<Output = Response>,
) -> Response {
    let retry_after = || HeaderValue::from(state.config.faults.retry_after.as_secs());
    match fault {
        Fault::Error => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(error_body(
                vendor,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                state,
            )),
        )
            .into_response(),
        Fault::Throttle | Fault::Unavailable => {
            let status = if fault == Fault::Throttle {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            let mut response = (
                status,
                axum::Json(error_body(vendor, status, "injected fault", state)),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after());
            response
        }
        Fault::Busy => axum::Json(error_body(
            vendor,
            StatusCode::TOO_MANY_REQUESTS,
            "Service busy",
            state,
        ))
        .into_response(),
        Fault::Close | Fault::Truncate => {
            let (parts, body) = handled.await.into_parts();
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
