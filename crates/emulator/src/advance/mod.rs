//! ADVANCE: `generate-token` and the H5 IDV backend endpoints.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::{Value, json};
use sigil_models::advance::{ACCESS_TOKEN_HEADER, PeriodSeconds, Region, ResponseCode, messages};
use sigil_models::idv::{IDV_PATH_PREFIX, IDV_PATH_PREFIX_EKYC};

use crate::jwt::AccessClaims;
use crate::state::{IdvSession, State, ct_eq};

pub(crate) mod h5;
pub(crate) mod outcome;

type Shared = Arc<State>;

pub(crate) fn routes() -> Router<Shared> {
    let mut router = Router::new();
    for region in Region::ALL {
        router = router.route(
            &format!(
                "/{}openapi/auth/ticket/v1/generate-token",
                region.path_prefix()
            ),
            post(generate_token),
        );
    }
    for prefix in [IDV_PATH_PREFIX, IDV_PATH_PREFIX_EKYC] {
        router = router
            .route(&format!("/{prefix}/generate-url"), post(generate_url))
            .route(&format!("/{prefix}/get-result"), post(get_result));
    }
    router.route("/advance_api/{*rest}", axum::routing::any(retired_v1))
}

/// An ADVANCE envelope (always HTTP 200, as the documents describe).
/// ADVANCE's answer: the envelope around `data`, serialized without building a JSON map
/// first; the fields in alphabetical order, as a `serde_json::Value` object writes them.
#[derive(serde::Serialize)]
pub(crate) struct Envelope<D> {
    code: ResponseCode,
    data: D,
    extra: Option<()>,
    message: String,
    #[serde(rename = "pricingStrategy")]
    pricing_strategy: &'static str,
    #[serde(rename = "transactionId")]
    transaction_id: String,
}

fn envelope<D: serde::Serialize>(
    state: &State,
    route: &str,
    code: ResponseCode,
    message: &str,
    data: D,
) -> Json<Envelope<D>> {
    state.record(route, code.as_str());
    Json(Envelope {
        code,
        data,
        extra: None,
        message: message.to_owned(),
        pricing_strategy: "FREE",
        transaction_id: state.hex_id(),
    })
}

fn failure(state: &State, route: &str, code: ResponseCode, message: &str) -> Json<Envelope<Value>> {
    envelope(state, route, code, message, Value::Null)
}

/// A string field: `Ok(None)` when absent, null or blank.
fn text<'a>(body: &'a Value, field: &str) -> Option<&'a str> {
    body.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// A number given as a JSON integer or a string of digits.
fn number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    }
}

/// A timestamp written with exactly 13 digits (a JSON integer, or a string of 13 digits: a
/// leading `"000"` makes 16 characters, a unit error rather than clock skew).
fn thirteen_digits(value: &Value) -> Option<u64> {
    const THIRTEEN_DIGITS: std::ops::RangeInclusive<u64> = 1_000_000_000_000..=9_999_999_999_999;
    match value {
        Value::Number(n) => n.as_u64().filter(|t| THIRTEEN_DIGITS.contains(t)),
        // A string of exactly 13 digits (no sign, no spaces).
        Value::String(s) if s.len() == 13 && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    }
}

fn is_blank(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    }
}

async fn generate_token(Extract(state): Extract<Shared>, body: Bytes) -> Json<Envelope<Value>> {
    const ROUTE: &str = "advance.generate-token";
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return failure(
            &state,
            ROUTE,
            ResponseCode::ClientError,
            messages::CLIENT_ERROR,
        );
    };
    if !body.is_object() {
        return failure(
            &state,
            ROUTE,
            ResponseCode::ClientError,
            messages::CLIENT_ERROR,
        );
    }
    if ["accessKey", "signature", "timestamp"]
        .iter()
        .any(|f| is_blank(body.get(*f)))
    {
        return failure(
            &state,
            ROUTE,
            ResponseCode::ParameterError,
            messages::EMPTY_PARAMETER,
        );
    }
    let (Some(access_key), Some(signature)) = (text(&body, "accessKey"), text(&body, "signature"))
    else {
        return failure(
            &state,
            ROUTE,
            ResponseCode::ParameterError,
            messages::PARAMETER_ERROR,
        );
    };
    let period = match body.get("periodSecond") {
        None | Some(Value::Null) => PeriodSeconds::DEFAULT,
        Some(v) => match number(v).and_then(|s| PeriodSeconds::new(s).ok()) {
            Some(p) => p,
            None => {
                return failure(
                    &state,
                    ROUTE,
                    ResponseCode::ParameterError,
                    messages::PARAMETER_ERROR,
                );
            }
        },
    };
    let timestamp = match body.get("timestamp").and_then(thirteen_digits) {
        Some(t) if state.within_window(t) => t,
        _ => {
            return failure(
                &state,
                ROUTE,
                ResponseCode::ParameterError,
                messages::TIMESTAMP_ERROR,
            );
        }
    };
    // An unknown access key is answered like a wrong signature: the server does not say
    // which keys exist.
    let account = state
        .config
        .advance_accounts
        .iter()
        .find(|a| a.access_key == access_key);
    let expected = account
        .map(|a| sigil_reference::advance_signature(&a.access_key, &a.secret_key, timestamp));
    let valid =
        expected.is_some_and(|e| ct_eq(e.as_bytes(), signature.to_ascii_lowercase().as_bytes()));
    let Some(account) = account.filter(|_| valid) else {
        return failure(
            &state,
            ROUTE,
            ResponseCode::ParameterError,
            messages::SIGNATURE_ERROR,
        );
    };
    if account.disabled {
        return failure(
            &state,
            ROUTE,
            ResponseCode::AccountDisabled,
            messages::ACCOUNT_DISABLED,
        );
    }
    let now_ms = state.now_ms();
    let lifetime_ms = state
        .config
        .token_lifetime
        .map_or(u64::from(period.get()) * 1000, |l| {
            u64::try_from(l.as_millis()).unwrap_or(u64::MAX)
        });
    let expired_ms = now_ms.saturating_add(lifetime_ms);
    let token = state.jwt.mint(&AccessClaims {
        aud: "advance",
        exp: expired_ms.div_ceil(1000),
        exp_ms: Some(expired_ms),
        iat: now_ms / 1000,
        iss: "sigil-emulator",
        jti: state.hex_id(),
        sub: access_key,
    });
    envelope(
        &state,
        ROUTE,
        ResponseCode::Success,
        messages::OK,
        json!({"token": token, "expiredTime": expired_ms}),
    )
}

/// `IAM_FAILED` when no token was sent at all.
const TOKEN_MISSING: &str = "IAM failed: the X-ACCESS-TOKEN header is missing";

/// The access key of a valid, unexpired `X-ACCESS-TOKEN`; `Err` is the `IAM_FAILED` message.
fn authorised(state: &State, headers: &HeaderMap) -> Result<String, &'static str> {
    let Some(token) = headers.get(ACCESS_TOKEN_HEADER) else {
        return Err(TOKEN_MISSING);
    };
    let valid = || {
        let now_ms = state.now_ms();
        let claims = state
            .jwt
            .verify(token.to_str().ok()?, "advance", now_ms / 1000)?;
        (now_ms < claims.get("expMs")?.as_u64()?)
            .then(|| claims.get("sub")?.as_str().map(str::to_owned))?
    };
    valid().ok_or(messages::IAM_FAILED)
}

/// The retired v1 scheme (`Authorization: <accessKey>:<base64 HMAC>` under
/// `/advance_api/openapi/…`): an ADVANCE envelope saying what to use instead.
async fn retired_v1(Extract(state): Extract<Shared>) -> Json<Envelope<Value>> {
    failure(
        &state,
        "advance.v1",
        ResponseCode::IamFailed,
        "IAM failed: the accessKey:signature Authorization scheme is retired; get a token from generate-token and send it as X-ACCESS-TOKEN",
    )
}

fn valid_return_url(value: &str) -> bool {
    url::Url::parse(value)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

async fn generate_url(
    Extract(state): Extract<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Envelope<Value>> {
    const ROUTE: &str = "advance.idv.generate-url";
    if let Err(message) = authorised(&state, &headers) {
        return failure(&state, ROUTE, ResponseCode::IamFailed, message);
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return failure(
            &state,
            ROUTE,
            ResponseCode::ParameterError,
            messages::PARAMETER_ERROR,
        );
    };
    if ["returnUrl", "failReturnUrl", "region"]
        .iter()
        .any(|f| is_blank(body.get(*f)))
    {
        return failure(
            &state,
            ROUTE,
            ResponseCode::ParameterError,
            messages::EMPTY_PARAMETER,
        );
    }
    let (Some(return_url), Some(fail_return_url), Some(region)) = (
        text(&body, "returnUrl"),
        text(&body, "failReturnUrl"),
        text(&body, "region"),
    ) else {
        return failure(
            &state,
            ROUTE,
            ResponseCode::ParameterError,
            messages::PARAMETER_ERROR,
        );
    };
    if !valid_return_url(return_url) || !valid_return_url(fail_return_url) {
        return failure(
            &state,
            ROUTE,
            ResponseCode::ParameterError,
            messages::INVALID_RETURN_URL,
        );
    }
    if !state.config.idv_regions.iter().any(|r| r == region) {
        return failure(
            &state,
            ROUTE,
            ResponseCode::RegionWrong,
            messages::REGION_WRONG,
        );
    }
    let signature_id = state.hex_id();
    let now_ms = state.now_ms();
    let expired_ms = now_ms + 3_600_000;
    let page_token = state
        .jwt
        .mint(&json!({"aud": "h5", "sub": signature_id, "exp": expired_ms / 1000}));
    let outcome = text(&body, "userId").and_then(|u| state.scripted_outcome(u));
    state.open_session(
        signature_id.clone(),
        IdvSession {
            return_url: return_url.to_owned(),
            fail_return_url: fail_return_url.to_owned(),
            outcome,
            created_ms: now_ms,
        },
    );
    let url = format!(
        "{}/h5-idv/?token={page_token}&signatureId={signature_id}",
        state.base_url
    );
    envelope(
        &state,
        ROUTE,
        ResponseCode::Success,
        messages::OK,
        json!({"signatureId": signature_id, "url": url, "expiredTime": expired_ms}),
    )
}

async fn get_result(
    Extract(state): Extract<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Envelope<Value>> {
    const ROUTE: &str = "advance.idv.get-result";
    if let Err(message) = authorised(&state, &headers) {
        return failure(&state, ROUTE, ResponseCode::IamFailed, message);
    }
    let body = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    let Some(signature_id) = text(&body, "signatureId") else {
        return failure(
            &state,
            ROUTE,
            ResponseCode::ParameterError,
            messages::EMPTY_PARAMETER,
        );
    };
    let Some(session) = state.session(signature_id) else {
        return failure(
            &state,
            ROUTE,
            ResponseCode::SignatureNotExist,
            messages::SIGNATURE_NOT_EXIST,
        );
    };
    let data = match session.outcome {
        Some(outcome) => {
            let images = format!("{}/h5-idv/images/{signature_id}", state.base_url);
            serde_json::to_value(outcome.result(&images)).unwrap_or(Value::Null)
        }
        // Not finished yet: SUCCESS with nothing to report (documented in docs/EMULATOR.md).
        None => json!({"image": null, "croppedImage": null, "imageType": null, "idvCode": null,
                       "idvResult": null, "ocrCode": null, "ocrResult": null}),
    };
    envelope(&state, ROUTE, ResponseCode::Success, messages::OK, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_thirteen_digits_are_a_timestamp() {
        assert_eq!(
            thirteen_digits(&json!(1_700_000_000_000u64)),
            Some(1_700_000_000_000)
        );
        assert_eq!(
            thirteen_digits(&json!("1700000000000")),
            Some(1_700_000_000_000)
        );
        for bad in [
            json!("0001700000000000"),
            json!("170000000000"),
            json!(1_700_000_000u64),
            json!("17000000000o0"),
            json!(" 1700000000000"),
            json!(1.7e12),
            json!(null),
        ] {
            assert_eq!(thirteen_digits(&bad), None, "{bad}");
        }
    }
}
