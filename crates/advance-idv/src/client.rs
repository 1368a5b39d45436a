//! The ADVANCE client: what it holds, the envelope POST every call makes, and the H5 IDV
//! endpoints. Building it and its token are in their own modules.

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sigil_client_core::{Answer, Engine, TokenSource};
use sigil_models::AccessToken;
use sigil_models::advance::{ACCESS_TOKEN_HEADER, Envelope, PeriodSeconds, ResponseCode};
use sigil_models::idv::{GenerateUrlData, GenerateUrlRequest, GetResultRequest, IdvResultData};
use sigil_signing::advance::AdvanceSigner;
use sigil_transport::{
    Deadline, EXCERPT_CHARS, HttpRequest, HttpResponse, RequestTarget, RetrySafe, excerpt,
};

use crate::error::{AdvanceError, VendorFailure};

/// Whether a call may be sent again after the server may have acted on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call {
    /// Token requests and reads (`generate-token`, `get-result`).
    Repeatable,
    /// Opens something on the server (`generate-url` opens a priced session).
    Creates,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) engine: Engine,
    pub(crate) token_target: RequestTarget,
    pub(crate) generate_url_target: RequestTarget,
    pub(crate) get_result_target: RequestTarget,
    pub(crate) access_key: String,
    pub(crate) signer: AdvanceSigner,
    pub(crate) period: Option<PeriodSeconds>,
    pub(crate) tokens: TokenSource<AccessToken, AdvanceError>,
    /// Server time minus local time, learnt from a `Timestamp error`.
    pub(crate) clock_offset_ms: AtomicI64,
    pub(crate) timestamp_retry: bool,
    pub(crate) max_clock_offset_ms: i64,
}

/// An ADVANCE.AI client: token authentication and H5 ID verification. Cheap to clone (one
/// `Arc`); clones share the token cache.
///
/// ```
/// use sigil_advance_idv::{AdvanceClient, CountryCode, GenerateUrlRequest, Region, SecretKey};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # // This example runs in the tests against the built-in emulator.
/// # let emulator = sigil_emulator::Emulator::start_local(Default::default()).await?;
/// # let base_url = emulator.base_url();
/// let client = AdvanceClient::builder("sampleaccesskey", SecretKey::new(b"samplesecretkey")?)
///     .region(Region::Indonesia)
///     .base_url(&base_url) // the emulator's `http://127.0.0.1:PORT`; omit for the region's host
///     .build()?;
/// let request = GenerateUrlRequest::new(
///     "https://shop.example/done",
///     "https://shop.example/failed",
///     &CountryCode::new("IDN")?,
///     Some("user-42".into()),
/// )?;
/// let session = client.generate_url(&request).await?; // fetches and caches a token first
/// println!("send the user to {}", session.url);
/// let result = client.get_result(&session.signature_id).await?;
/// println!("{:?}", result.idv_code);
/// # emulator.shutdown().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AdvanceClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) fn failure_of<T>(envelope: &Envelope<T>) -> VendorFailure {
    let short = |t: &String| excerpt(t.as_bytes(), EXCERPT_CHARS);
    VendorFailure {
        message: envelope.message.as_ref().map(short),
        transaction_id: envelope.transaction_id.as_ref().map(short),
    }
}

/// `X-ACCESS-TOKEN`'s value, marked sensitive.
pub(crate) fn token_header(token: &AccessToken) -> Result<http::HeaderValue, AdvanceError> {
    let mut value = http::HeaderValue::from_str(token.expose())
        .map_err(|_| AdvanceError::Decode("the access token is not a header value".into()))?;
    value.set_sensitive(true);
    Ok(value)
}

impl AdvanceClient {
    /// One POST with retries, the request (and so any signature in its body) built afresh
    /// for every attempt by `body`. A [`Call::Creates`] is sent again only when the server
    /// provably did not get it or did not process it.
    pub(crate) async fn post<T: DeserializeOwned>(
        &self,
        deadline: Deadline,
        target: &RequestTarget,
        token: Option<&AccessToken>,
        call: Call,
        mut body: impl FnMut() -> Result<Vec<u8>, AdvanceError>,
    ) -> Result<(Envelope<T>, HttpResponse), AdvanceError> {
        let token = token.map(token_header).transpose()?;
        let build = || -> Result<HttpRequest, AdvanceError> {
            let mut request = http::Request::new(Bytes::from(body()?));
            *request.method_mut() = http::Method::POST;
            *request.uri_mut() = target.uri().clone();
            let headers = request.headers_mut();
            let json = http::HeaderValue::from_static("application/json");
            headers.insert(http::header::CONTENT_TYPE, json.clone());
            headers.insert(http::header::ACCEPT, json);
            if let Some(token) = &token {
                headers.insert(ACCESS_TOKEN_HEADER, token.clone());
            }
            // A token request mints another token and get-result only reads: both may be
            // repeated. generate-url opens a session (and is priced): it may not.
            if call == Call::Repeatable {
                request.extensions_mut().insert(RetrySafe);
            }
            Ok(request)
        };
        let response = self.inner.engine.send(deadline, build).await?;
        let envelope = match serde_json::from_slice::<Envelope<T>>(response.body()) {
            Ok(envelope) => envelope,
            Err(e) if response.status() == http::StatusCode::OK => {
                return Err(AdvanceError::Decode(excerpt(
                    e.to_string().as_bytes(),
                    EXCERPT_CHARS,
                )));
            }
            Err(_) => {
                return Err(AdvanceError::Http {
                    status: response.status().as_u16(),
                    body: excerpt(response.body(), EXCERPT_CHARS),
                });
            }
        };
        Ok((envelope, response))
    }

    /// Calls a token-authenticated endpoint within one operation deadline (token wait
    /// included); on `IAM_FAILED` the token is refreshed once and the call made again.
    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        target: &RequestTarget,
        kind: Call,
        body: &B,
    ) -> Result<T, AdvanceError> {
        let json = serde_json::to_vec(body).map_err(|e| AdvanceError::Decode(e.to_string()))?;
        let span = tracing::debug_span!("sigil.advance", path = %target.path());
        self.inner
            .engine
            .operation(span, |deadline| {
                self.inner
                    .tokens
                    .authenticated(self.token_loader(), move |token: AccessToken| {
                        let json = json.clone();
                        async move {
                            let posted =
                                self.post::<T>(deadline, target, Some(&token), kind, || {
                                    Ok(json.clone())
                                })
                                .await;
                            match posted {
                                Ok((envelope, _)) if envelope.is_success() => {
                                    Answer::Done(envelope.data.ok_or_else(|| {
                                        AdvanceError::Decode("SUCCESS without data".into())
                                    }))
                                }
                                Ok((envelope, _)) => {
                                    let error = AdvanceError::from_code(
                                        envelope.code.clone(),
                                        failure_of(&envelope),
                                    );
                                    if envelope.code == ResponseCode::IamFailed {
                                        Answer::TokenRefused(Err(error))
                                    } else {
                                        Answer::Done(Err(error))
                                    }
                                }
                                Err(e) => Answer::Done(Err(e)),
                            }
                        }
                    })
            })
            .await
    }

    /// H5 IDV `generate-url`: a verification page for one user. It opens a session on the
    /// server, so it is never sent twice once the server may have acted on it: it is
    /// repeated only after a refused connection, HTTP 429 or `SERVICE_BUSY` (and once after
    /// `IAM_FAILED`, with a fresh token); a timeout, a dropped connection or a 5xx is final.
    pub async fn generate_url(
        &self,
        request: &GenerateUrlRequest,
    ) -> Result<GenerateUrlData, AdvanceError> {
        self.call(&self.inner.generate_url_target, Call::Creates, request)
            .await
    }

    /// H5 IDV `get-result`: the outcome of a verification session.
    pub async fn get_result(&self, signature_id: &str) -> Result<IdvResultData, AdvanceError> {
        self.call(
            &self.inner.get_result_target,
            Call::Repeatable,
            &GetResultRequest::new(signature_id)?,
        )
        .await
    }
}
