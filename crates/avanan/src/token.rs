//! The access token: `GET /v1.0/auth`, the JWT checked, the lifetime it declares believed,
//! cached single-flight through the client engine's token source.

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use bytes::Bytes;
use sigil_client_core::{FetchedToken, TokenLoad, detached_loader};
use sigil_models::AccessToken;
use sigil_transport::{Deadline, RequestTarget, excerpt, response_date};

use crate::AvananError;
use crate::client::{AvananClient, Credentials};

/// How long a token is assumed valid when it declares no `exp` claim (the document: one
/// hour).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The longest token accepted from `/v1.0/auth` or `/auth/external` (8 KiB).
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// A token from `/v1.0/auth` and how long it lives.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken {
    /// The JWT, sent as `x-av-token`.
    pub token: AccessToken,
    /// Its lifetime as the server declares it: `exp − iat` (or `exp` minus the response's
    /// `Date` without an `iat`); zero when that is not after the token was issued or the
    /// claims cannot be read (expired on arrival); one hour when it declares no `exp`.
    pub lifetime: Duration,
    /// The local time it was requested at plus its lifetime.
    pub expires_at: SystemTime,
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthToken")
            .field("token", &self.token)
            .field("lifetime", &self.lifetime)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Checks that `/v1.0/auth` answered with a JWT: three base64url parts, at most
/// [`MAX_TOKEN_LEN`] bytes, nothing else (an HTML page or an error text is refused before
/// it is cached or sent).
fn checked_jwt(body: &[u8]) -> Result<&str, AvananError> {
    // Quote the start of the answer only when it cannot be a credential (an HTML page, an
    // error text): a token-like answer of the wrong shape is never echoed.
    let token_like = body
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || b"._~+/=-\"".contains(b));
    let refuse = |why: &str| {
        let shown = if token_like {
            format!("{} bytes", body.len())
        } else {
            excerpt(body, 40)
        };
        AvananError::Decode(format!(
            "/v1.0/auth did not answer with a JWT ({why}): {shown}"
        ))
    };
    let text = std::str::from_utf8(body)
        .map_err(|_| refuse("not UTF-8"))?
        .trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    if text.is_empty() {
        return Err(refuse("empty"));
    }
    if text.len() > MAX_TOKEN_LEN {
        return Err(refuse("too long"));
    }
    let parts: Vec<&str> = text.split('.').collect();
    let base64url = |p: &&str| {
        p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if parts.len() != 3 || parts[..2].iter().any(|p| p.is_empty()) || !parts.iter().all(base64url) {
        return Err(refuse("not three base64url parts"));
    }
    Ok(text)
}

/// The lifetime a JWT declares, read without verifying it (the client only needs to know
/// when to refresh; the server verifies): `exp` minus `iat`, or minus `server_now` (the
/// response's `Date`, else the local clock) when there is no `iat`. `None` when the token
/// declares no `exp` at all; zero (expired on arrival) when `exp` is at or before that
/// instant, or when the claims or the times cannot be read.
fn jwt_lifetime(jwt: &str, server_now: SystemTime) -> Option<Duration> {
    let expired = Some(Duration::ZERO);
    let Some(claims) = jwt
        .split('.')
        .nth(1)
        .and_then(|payload| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .filter(serde_json::Value::is_object)
    else {
        return expired;
    };
    let time = |key: &str| claims.get(key).map(serde_json::Value::as_u64);
    let exp = match time("exp") {
        None => return None,
        Some(None) => return expired,
        Some(Some(exp)) => exp,
    };
    let now_s = match time("iat") {
        Some(Some(iat)) => iat,
        Some(None) => return expired,
        None => server_now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    };
    Some(
        exp.checked_sub(now_s)
            .map_or(Duration::ZERO, Duration::from_secs),
    )
}

impl AvananClient {
    /// A new token now (no cache), within one operation deadline: `GET /v1.0/auth` in the
    /// signed mode, `POST /auth/external` in the Infinity mode.
    pub async fn auth(&self) -> Result<AuthToken, AvananError> {
        let deadline = self.inner.engine.deadline();
        deadline.within(self.auth_within(deadline)).await
    }

    async fn auth_within(&self, deadline: Deadline) -> Result<AuthToken, AvananError> {
        match &self.inner.credentials {
            Credentials::Signed { auth_target, .. } => {
                self.signed_auth_within(deadline, auth_target).await
            }
            Credentials::Infinity {
                auth_target,
                client_id,
                access_key,
                ..
            } => {
                self.external_auth_within(deadline, auth_target, client_id, access_key)
                    .await
            }
        }
    }

    /// The signed scheme: `GET /v1.0/auth`, the JWT in the body.
    async fn signed_auth_within(
        &self,
        deadline: Deadline,
        auth_target: &RequestTarget,
    ) -> Result<AuthToken, AvananError> {
        let fetched_at = self.inner.engine.now();
        let response = self
            .inner
            .engine
            .send(deadline, || {
                self.sign(http::Method::GET, auth_target, None, Bytes::new())
            })
            .await?;
        Self::check(&response)?;
        let text = checked_jwt(response.body())?;
        let server_now = response_date(response.headers()).unwrap_or(fetched_at);
        let lifetime = jwt_lifetime(text, server_now).unwrap_or(DEFAULT_TOKEN_LIFETIME);
        Ok(AuthToken {
            token: AccessToken::new(text),
            lifetime,
            expires_at: fetched_at.checked_add(lifetime).unwrap_or(fetched_at),
        })
    }

    /// How a token is fetched for the cache: `/v1.0/auth` within the load's deadline, in its
    /// own span, by a clone of the client (the fetch outlives any one caller).
    pub(crate) fn token_loader(
        &self,
    ) -> impl Fn(Deadline) -> TokenLoad<AccessToken, AvananError> + use<> {
        detached_loader(self.clone(), |client: AvananClient, deadline| async move {
            let span = tracing::debug_span!("sigil.avanan.auth");
            let t = tracing::Instrument::instrument(client.auth_within(deadline), span).await?;
            Ok(FetchedToken {
                token: t.token,
                lifetime: t.lifetime,
            })
        })
    }

    /// The access token: cached until shortly before it expires, else a new one from
    /// `/v1.0/auth`. Concurrent callers share one request, which runs detached from them
    /// (a cancelled caller never abandons it) and is bounded by the refresh policy's load
    /// timeout.
    pub async fn access_token(&self) -> Result<AccessToken, AvananError> {
        let deadline = self.inner.engine.deadline();
        deadline
            .within(self.inner.tokens.get(self.token_loader()))
            .await
    }

    /// Drops `token` from the cache if it is still the cached one, so the next call fetches
    /// a new one (or joins the fetch in flight): for callers of [`authorize`](Self::authorize)
    /// whose request the server refused with HTTP 401. A token another caller already
    /// replaced is left alone.
    ///
    /// ```no_run
    /// # async fn run(client: sigil_avanan::AvananClient) -> Result<(), sigil_avanan::AvananError> {
    /// let token = client.access_token().await?;
    /// // ... the server answered HTTP 401 to a request carrying `token`:
    /// client.invalidate_token(&token);
    /// # Ok(()) }
    /// ```
    pub fn invalidate_token(&self, token: &AccessToken) {
        self.inner.tokens.invalidate(token);
    }

    /// When the cached token expires, if one is cached.
    pub fn cached_token_expiry(&self) -> Option<SystemTime> {
        self.inner.tokens.expires_at()
    }
}
