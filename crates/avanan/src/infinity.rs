//! The Infinity Portal token: `POST /auth/external` with the client id and access key, the
//! bearer token checked and its declared `expiresIn` believed (bounded).

use std::time::Duration;

use bytes::Bytes;
use sigil_models::AccessToken;
use sigil_models::avanan::infinity::{self, ExternalAuthRequest, ExternalAuthResponse};
use sigil_signing::SecretKey;
use sigil_transport::{Deadline, EXCERPT_CHARS, RequestTarget, excerpt};
use zeroize::Zeroizing;

use crate::client::AvananClient;
use crate::{AuthToken, AvananError, MAX_TOKEN_LEN};

/// How long an Infinity token is assumed valid when `/auth/external` declares no
/// `expiresIn`: 30 minutes, what public clients assume.
const INFINITY_DEFAULT_LIFETIME: Duration = Duration::from_secs(1800);

/// The longest lifetime believed from `expiresIn` (one day): a larger figure is taken as
/// this.
const INFINITY_MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The lifetime `/auth/external` declares in `expiresIn` (seconds, as a number or a numeric
/// string): absent or null → 30 minutes; zero, negative or unreadable → zero (expired on
/// arrival); at most one day.
fn declared_lifetime(expires_in: Option<&serde_json::Value>) -> Duration {
    use serde_json::Value;
    let seconds = match expires_in {
        None | Some(Value::Null) => return INFINITY_DEFAULT_LIFETIME,
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    match seconds {
        Some(s) if s.is_finite() && s > 0.0 => {
            Duration::from_secs_f64(s.min(INFINITY_MAX_LIFETIME.as_secs_f64()))
        }
        _ => Duration::ZERO,
    }
}

/// Checks an Infinity bearer token: non-empty, at most [`MAX_TOKEN_LEN`] bytes, visible
/// ASCII without spaces (it goes into `Authorization: Bearer`). A wrong one is never quoted.
fn checked_bearer(token: &str) -> Result<&str, AvananError> {
    let token = token.trim();
    let fine = !token.is_empty()
        && token.len() <= MAX_TOKEN_LEN
        && token.bytes().all(|b| b.is_ascii_graphic());
    if fine {
        Ok(token)
    } else {
        Err(AvananError::Decode(format!(
            "{} answered no usable token ({} bytes)",
            infinity::AUTH_PATH,
            token.len()
        )))
    }
}

impl AvananClient {
    /// Infinity Portal: `POST /auth/external` with the client id and access key; the token and
    /// its `expiresIn` from the JSON answer. `success: false` or a non-2xx status is a
    /// failure; its message is quoted short, never the access key.
    pub(crate) async fn external_auth_within(
        &self,
        deadline: Deadline,
        auth_target: &RequestTarget,
        client_id: &str,
        access_key: &SecretKey,
    ) -> Result<AuthToken, AvananError> {
        let key = std::str::from_utf8(access_key.expose_secret())
            .map_err(|_| AvananError::Config("the access key is not UTF-8 text".into()))?;
        let body = Zeroizing::new(
            serde_json::to_vec(&ExternalAuthRequest {
                client_id,
                access_key: key,
            })
            .map_err(|e| AvananError::InvalidRequest(format!("serialising the body: {e}")))?,
        );
        let fetched_at = self.inner.engine.now();
        let response = self
            .inner
            .engine
            .send(deadline, || {
                let mut request = http::Request::new(Bytes::copy_from_slice(&body));
                *request.method_mut() = http::Method::POST;
                *request.uri_mut() = auth_target.uri().clone();
                let headers = request.headers_mut();
                let json = http::HeaderValue::from_static("application/json");
                headers.insert(http::header::CONTENT_TYPE, json.clone());
                headers.insert(http::header::ACCEPT, json);
                Ok::<_, AvananError>(request)
            })
            .await?;
        let status = response.status();
        let answer = serde_json::from_slice::<ExternalAuthResponse>(response.body()).ok();
        let hide = |text: &str| excerpt(text.replace(key, "<redacted>").as_bytes(), EXCERPT_CHARS);
        let succeeded = answer.as_ref().is_some_and(|a| a.success);
        if !status.is_success() || !succeeded {
            let text = match answer.as_ref().and_then(|a| a.message.as_deref()) {
                Some(message) => hide(message),
                None => hide(&String::from_utf8_lossy(response.body())),
            };
            let text = Some(text).filter(|t| !t.is_empty());
            return Err(match status.as_u16() {
                401 | 403 => AvananError::Unauthorized {
                    status: status.as_u16(),
                    text,
                },
                code if (200..300).contains(&code) && answer.is_some() => {
                    AvananError::Unauthorized { status: code, text }
                }
                code if (200..300).contains(&code) => AvananError::Decode(format!(
                    "{} did not answer with JSON: {}",
                    infinity::AUTH_PATH,
                    text.unwrap_or_default()
                )),
                code => AvananError::Api {
                    status: code,
                    envelope: None,
                    raw: text.unwrap_or_default(),
                },
            });
        }
        let data = answer.and_then(|a| a.data).ok_or_else(|| {
            AvananError::Decode(format!(
                "{} answered success without data",
                infinity::AUTH_PATH
            ))
        })?;
        let token = checked_bearer(data.token.as_deref().unwrap_or(""))?;
        let lifetime = declared_lifetime(data.expires_in.as_ref());
        Ok(AuthToken {
            token: AccessToken::new(token),
            lifetime,
            expires_at: fetched_at.checked_add(lifetime).unwrap_or(fetched_at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expires_in_is_believed_bounded_and_unreadable_means_expired() {
        let lifetime = |v: serde_json::Value| declared_lifetime(Some(&v));
        assert_eq!(lifetime(json!(900)), Duration::from_secs(900));
        assert_eq!(lifetime(json!("1200")), Duration::from_secs(1200));
        assert_eq!(lifetime(json!(1.5)), Duration::from_millis(1500));
        assert_eq!(declared_lifetime(None), INFINITY_DEFAULT_LIFETIME);
        assert_eq!(lifetime(json!(null)), INFINITY_DEFAULT_LIFETIME);
        assert_eq!(lifetime(json!(1e300)), INFINITY_MAX_LIFETIME);
        for expired in [json!(0), json!(-5), json!("soon"), json!([1]), json!({})] {
            assert_eq!(lifetime(expired.clone()), Duration::ZERO, "{expired}");
        }
    }

    #[test]
    fn a_bearer_token_must_be_one_visible_word() {
        assert_eq!(checked_bearer(" a.b.c ").unwrap(), "a.b.c");
        for bad in ["", "a b", "a\nb", "é"] {
            assert!(
                matches!(checked_bearer(bad), Err(AvananError::Decode(_))),
                "{bad:?}"
            );
        }
        assert!(checked_bearer(&"x".repeat(MAX_TOKEN_LEN + 1)).is_err());
    }
}
