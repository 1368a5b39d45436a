//! The Avanan client: what it holds, and the calls (any signed request, JSON helpers,
//! `/v1.0/scopes`). Building it, its token and its signing are in their own modules.

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sigil_client_core::{Answer, Engine, TokenSource};
use sigil_models::AccessToken;
use sigil_models::avanan::infinity::API_PREFIX;
use sigil_models::avanan::{Response, ResponseEnvelope, Scope};
use sigil_signing::SecretKey;
use sigil_signing::avanan::AvananSigner;
use sigil_transport::{EXCERPT_CHARS, HttpResponse, RequestTarget, excerpt};

use crate::{AvananError, DateFormat};

pub(crate) const AUTH_PATH: &str = "/v1.0/auth";

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) engine: Engine,
    pub(crate) credentials: Credentials,
    pub(crate) date_format: DateFormat,
    pub(crate) tokens: TokenSource<AccessToken, AvananError>,
}

/// The way in, checked and ready to use.
pub(crate) enum Credentials {
    /// `x-av-sig` signed requests, the token from `GET /v1.0/auth`.
    Signed {
        auth_target: RequestTarget,
        app_id: String,
        /// `x-av-app-id`, checked once (cloning it copies no bytes).
        app_id_header: http::HeaderValue,
        signer: AvananSigner,
    },
    /// Infinity Portal: the token from `POST /auth/external`, calls under the API prefix.
    Infinity {
        auth_target: RequestTarget,
        client_id: String,
        access_key: SecretKey,
        scopes: Option<http::HeaderValue>,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Signed { app_id, .. } => write!(f, "Signed({app_id}, <redacted>)"),
            Credentials::Infinity { client_id, .. } => {
                write!(f, "Infinity({client_id}, <redacted>)")
            }
        }
    }
}

/// An Avanan client. Cheap to clone; clones share the token cache.
#[derive(Clone, Debug)]
pub struct AvananClient {
    pub(crate) inner: Arc<Inner>,
}

impl AvananClient {
    /// The target of `path_and_query` on the configured origin, in its wire form; refused
    /// before anything is sent (or any token fetched) when it is not a path on that origin.
    /// Callers give the same `/v1.0/…` paths in both modes: in the Infinity mode the API
    /// prefix `/app/hec-api` is put in front (a path that already starts with it is kept).
    pub fn target(&self, path_and_query: &str) -> Result<RequestTarget, AvananError> {
        Ok(self.inner.engine.target(&self.api_path(path_and_query))?)
    }

    /// `path_and_query` as it goes on the wire in this client's mode.
    pub(crate) fn api_path<'p>(&self, path_and_query: &'p str) -> std::borrow::Cow<'p, str> {
        let prefixed = path_and_query
            .strip_prefix(API_PREFIX)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']));
        match self.inner.credentials {
            Credentials::Infinity { .. } if !prefixed && path_and_query.starts_with('/') => {
                std::borrow::Cow::Owned(format!("{API_PREFIX}{path_and_query}"))
            }
            _ => std::borrow::Cow::Borrowed(path_and_query),
        }
    }

    /// Whether this client uses Check Point Infinity Portal credentials.
    pub fn is_infinity(&self) -> bool {
        matches!(self.inner.credentials, Credentials::Infinity { .. })
    }

    pub(crate) fn check(response: &HttpResponse) -> Result<(), AvananError> {
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let envelope = Self::envelope_of(response);
        let short = |t: &str| excerpt(t.as_bytes(), EXCERPT_CHARS);
        if status == http::StatusCode::UNAUTHORIZED || status == http::StatusCode::FORBIDDEN {
            return Err(AvananError::Unauthorized {
                status: status.as_u16(),
                text: envelope
                    .and_then(|e| e.response_text)
                    .map(|t| short(&t))
                    .or_else(|| {
                        Some(excerpt(response.body(), EXCERPT_CHARS)).filter(|t| !t.is_empty())
                    }),
            });
        }
        Err(AvananError::Api {
            status: status.as_u16(),
            envelope: envelope.map(|mut e| {
                e.response_text = e.response_text.map(|t| short(&t));
                e.additional_text = e.additional_text.map(|t| short(&t));
                Box::new(e)
            }),
            raw: excerpt(response.body(), EXCERPT_CHARS),
        })
    }

    /// Sends a signed request to `path_and_query` (e.g. `/v1.0/search/entity/abc?x=1`) with
    /// an optional JSON body, and returns the whole response. The target is checked before
    /// any token is fetched; every attempt is signed afresh; on HTTP 401 the token is
    /// refreshed once and the request re-signed and re-sent. The whole call, token wait
    /// included, is bounded by the operation timeout.
    pub async fn send(
        &self,
        method: http::Method,
        path_and_query: &str,
        json_body: Option<&serde_json::Value>,
    ) -> Result<HttpResponse, AvananError> {
        self.send_serialized(method, path_and_query, json_body)
            .await
    }

    /// The target checked (before any token), `body` serialised as JSON (or nothing), sent.
    pub(crate) async fn send_serialized<B: Serialize + ?Sized>(
        &self,
        method: http::Method,
        path_and_query: &str,
        body: Option<&B>,
    ) -> Result<HttpResponse, AvananError> {
        let target = self.target(path_and_query)?;
        let body =
            match body {
                Some(b) => Bytes::from(serde_json::to_vec(b).map_err(|e| {
                    AvananError::InvalidRequest(format!("serialising the body: {e}"))
                })?),
                None => Bytes::new(),
            };
        self.send_to(method, &target, body).await
    }

    /// Like [`send`](Self::send), for a target already checked and a body already encoded.
    pub async fn send_to(
        &self,
        method: http::Method,
        target: &RequestTarget,
        body: Bytes,
    ) -> Result<HttpResponse, AvananError> {
        let span = tracing::debug_span!("sigil.avanan", method = %method, path = %target.path());
        let engine = &self.inner.engine;
        engine
            .operation(span, |deadline| {
                self.inner
                    .tokens
                    .authenticated(self.token_loader(), move |token: AccessToken| {
                        let (method, body) = (method.clone(), body.clone());
                        async move {
                            let sent = engine
                                .send(deadline, || {
                                    self.sign(method.clone(), target, Some(&token), body.clone())
                                })
                                .await;
                            match sent {
                                Ok(r) if r.status() == http::StatusCode::UNAUTHORIZED => {
                                    Answer::TokenRefused(Self::check(&r).map(|()| r))
                                }
                                Ok(r) => Answer::Done(Self::check(&r).map(|()| r)),
                                Err(e) => Answer::Done(Err(e)),
                            }
                        }
                    })
            })
            .await
    }

    /// Sends `body` serialised as JSON (or nothing) and decodes the Avanan envelope with
    /// records of type `T`; otherwise like [`send`](Self::send).
    pub async fn request<B: Serialize, T: DeserializeOwned>(
        &self,
        method: http::Method,
        path_and_query: &str,
        body: Option<&B>,
    ) -> Result<Response<T>, AvananError> {
        let response = self.send_serialized(method, path_and_query, body).await?;
        Self::decode(response.body())
    }

    /// The Avanan envelope with records of type `T`, from a 2xx answer's body.
    pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<Response<T>, AvananError> {
        serde_json::from_slice(body)
            .map_err(|e| AvananError::Decode(excerpt(e.to_string().as_bytes(), EXCERPT_CHARS)))
    }

    /// `GET path_and_query`, decoding the envelope with records of type `T`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
    ) -> Result<Response<T>, AvananError> {
        self.request::<(), T>(http::Method::GET, path_and_query, None)
            .await
    }

    /// `GET /v1.0/scopes`: the scopes (`farm:customer`) the application may access.
    pub async fn scopes(&self) -> Result<Vec<Scope>, AvananError> {
        Ok(self.get::<Scope>("/v1.0/scopes").await?.response_data)
    }

    /// The envelope of a response, for callers of [`send`](Self::send).
    pub fn envelope_of(response: &HttpResponse) -> Option<ResponseEnvelope> {
        serde_json::from_slice::<Response<serde_json::Value>>(response.body())
            .ok()
            .map(|r| r.response_envelope)
    }
}
