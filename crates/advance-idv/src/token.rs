//! The access token: `generate-token` signed with the current time (corrected by the offset
//! learnt from the server's `Date` after a `Timestamp error`), the lifetime the server
//! declares believed, cached through the client engine's token source.

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use sigil_client_core::{FetchedToken, TokenLoad, detached_loader, unix_millis};
use sigil_models::AccessToken;
use sigil_models::advance::{
    ACCESS_TOKEN_HEADER, GenerateTokenRequest, ResponseCode, TokenData, messages,
};
use sigil_signing::TimestampMillis;
use sigil_transport::{Deadline, response_date};

use crate::client::{AdvanceClient, Call, failure_of, token_header};
use crate::error::AdvanceError;

/// The longest access token accepted from `generate-token` (4 KiB).
pub const MAX_TOKEN_LEN: usize = 4096;

/// Checks a token from `generate-token` before it is cached or sent: 1 to
/// [`MAX_TOKEN_LEN`] visible ASCII characters.
fn checked_token(token: AccessToken) -> Result<AccessToken, AdvanceError> {
    let text = token.expose();
    if text.is_empty() || text.len() > MAX_TOKEN_LEN || !text.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(AdvanceError::Decode(format!(
            "generate-token answered with a token that is not 1 to {MAX_TOKEN_LEN} visible ASCII characters ({} bytes)",
            text.len()
        )));
    }
    Ok(token)
}

impl AdvanceClient {
    /// The local clock corrected by the offset learnt from the server, in milliseconds.
    pub(crate) fn server_now_ms(&self) -> u64 {
        let local = i64::try_from(unix_millis(self.inner.engine.now())).unwrap_or(i64::MAX);
        let offset = self.inner.clock_offset_ms.load(Ordering::Relaxed);
        u64::try_from(local.saturating_add(offset)).unwrap_or(0)
    }

    /// Calls `generate-token` now (no cache): signs `accessKey ‖ secretKey ‖ timestamp` with
    /// the current time, afresh for every attempt. On `PARAMETER_ERROR`/`Timestamp error` it
    /// measures the clock offset from the response's `Date` header (if within the configured
    /// bound) and retries once; an offset that does not help is dropped.
    pub async fn generate_token(&self) -> Result<TokenData, AdvanceError> {
        let deadline = self.inner.engine.deadline();
        let (data, _) = deadline.within(self.token_within(deadline)).await?;
        Ok(data)
    }

    /// `generate-token` within `deadline`: the token data and the lifetime it declares.
    pub(crate) async fn token_within(
        &self,
        deadline: Deadline,
    ) -> Result<(TokenData, Duration), AdvanceError> {
        let mut retried = false;
        loop {
            let body = || {
                let ms = self.server_now_ms();
                let timestamp = TimestampMillis::new(ms).map_err(|_| {
                    AdvanceError::Config(format!(
                        "the clock reads {ms} ms, not a 13-digit timestamp"
                    ))
                })?;
                let signature = self.inner.signer.sign(timestamp);
                let request = GenerateTokenRequest::new(
                    self.inner.access_key.clone(),
                    signature.as_str(),
                    ms,
                    self.inner.period,
                )?;
                serde_json::to_vec(&request).map_err(|e| AdvanceError::Decode(e.to_string()))
            };
            let sent_at = self.inner.engine.now();
            let (envelope, response) = self
                .post::<TokenData>(
                    deadline,
                    &self.inner.token_target,
                    None,
                    Call::Repeatable,
                    body,
                )
                .await?;
            let server_date = response_date(response.headers());
            if envelope.is_success() {
                let data = envelope
                    .data
                    .ok_or_else(|| AdvanceError::Decode("SUCCESS without data".into()))?;
                let token = checked_token(data.token.clone())?;
                let lifetime = self.declared_lifetime(&data, server_date);
                return Ok((
                    TokenData {
                        token,
                        expired_time: data.expired_time,
                    },
                    lifetime,
                ));
            }
            let timestamp_error = envelope.code == ResponseCode::ParameterError
                && envelope.message.as_deref() == Some(messages::TIMESTAMP_ERROR);
            if timestamp_error && retried {
                // The offset did not help: do not keep it.
                self.inner.clock_offset_ms.store(0, Ordering::Relaxed);
            }
            if timestamp_error
                && self.inner.timestamp_retry
                && !retried
                && let Some(offset) = server_date.and_then(|date| self.offset_to(date, sent_at))
            {
                tracing::info!(target: "sigil::advance", offset_ms = offset, "Timestamp error: clock offset learnt from the Date header, retrying once");
                self.inner.clock_offset_ms.store(offset, Ordering::Relaxed);
                retried = true;
                continue;
            }
            return Err(AdvanceError::from_code(
                envelope.code.clone(),
                failure_of(&envelope),
            ));
        }
    }

    /// Server time minus local time, if the server's `date` is within the configured bound
    /// of the local clock at `sent_at`.
    fn offset_to(&self, date: SystemTime, sent_at: SystemTime) -> Option<i64> {
        let server = i64::try_from(unix_millis(date)).ok()?;
        let local = i64::try_from(unix_millis(sent_at)).ok()?;
        let offset = server.checked_sub(local)?;
        (offset.checked_abs()? <= self.inner.max_clock_offset_ms).then_some(offset)
    }

    /// How long the server says a token lives: `expiredTime` minus the response's `Date`
    /// (both server time; without a `Date`, the local clock corrected by the offset learnt
    /// from the server). An `expiredTime` at or before that instant declares the token
    /// expired on arrival: zero, which the cache holds for its minimum lifetime only.
    fn declared_lifetime(&self, data: &TokenData, server_date: Option<SystemTime>) -> Duration {
        let now_ms = server_date.map_or_else(|| self.server_now_ms(), unix_millis);
        data.expired_time
            .as_millis()
            .checked_sub(now_ms)
            .map_or(Duration::ZERO, Duration::from_millis)
    }

    /// How a token is fetched for the cache: `generate-token` within the load's deadline, in
    /// its own span, by a clone of the client (the fetch outlives any one caller).
    pub(crate) fn token_loader(
        &self,
    ) -> impl Fn(Deadline) -> TokenLoad<AccessToken, AdvanceError> + use<> {
        detached_loader(self.clone(), |client: AdvanceClient, deadline| async move {
            let span = tracing::debug_span!("sigil.advance.generate_token");
            let (data, lifetime) =
                tracing::Instrument::instrument(client.token_within(deadline), span).await?;
            Ok(FetchedToken {
                token: data.token,
                lifetime,
            })
        })
    }

    /// The access token: the cached one until shortly before it expires, else a new one
    /// from `generate-token`. Concurrent callers share one request, which runs detached from
    /// them (a cancelled caller never abandons it) and is bounded by the refresh policy's
    /// load timeout. The lifetime is the one the server declares, measured on the local
    /// clock.
    pub async fn access_token(&self) -> Result<AccessToken, AdvanceError> {
        let deadline = self.inner.engine.deadline();
        deadline
            .within(self.inner.tokens.get(self.token_loader()))
            .await
    }

    /// Adds the access token (cached, or fetched now) to a caller's request as
    /// `X-ACCESS-TOKEN`, marked sensitive: ADVANCE's only per-request authentication step,
    /// for callers who send other ADVANCE APIs with their own HTTP stack.
    ///
    /// ```no_run
    /// # async fn run(client: sigil_advance_idv::AdvanceClient) -> Result<(), sigil_advance_idv::AdvanceError> {
    /// let mut request = http::Request::post("https://api.advance.ai/intl/openapi/face-identity/h5-idv/v1/get-result")
    ///     .body(br#"{"signatureId":"ed8b21c0c87ad617"}"#.to_vec())
    ///     .expect("a valid request");
    /// client.authorize(&mut request).await?;
    /// # Ok(()) }
    /// ```
    pub async fn authorize<B>(&self, request: &mut http::Request<B>) -> Result<(), AdvanceError> {
        let token = self.access_token().await?;
        request
            .headers_mut()
            .insert(ACCESS_TOKEN_HEADER, token_header(&token)?);
        Ok(())
    }

    /// When the cached token expires, if one is cached.
    pub fn cached_token_expiry(&self) -> Option<SystemTime> {
        self.inner.tokens.expires_at()
    }

    /// Drops `token` from the cache if it is still the cached one, so the next call fetches
    /// a new one (or joins the fetch in flight): for callers of [`authorize`](Self::authorize)
    /// whose request the server refused (`IAM_FAILED`). A token another caller already
    /// replaced is left alone.
    ///
    /// ```no_run
    /// # async fn run(client: sigil_advance_idv::AdvanceClient) -> Result<(), sigil_advance_idv::AdvanceError> {
    /// let token = client.access_token().await?;
    /// // ... the server answered IAM_FAILED to a request carrying `token`:
    /// client.invalidate_token(&token);
    /// # Ok(()) }
    /// ```
    pub fn invalidate_token(&self, token: &AccessToken) {
        self.inner.tokens.invalidate(token);
    }
}
