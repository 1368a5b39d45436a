//! The AET client.

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sigil_client_core::Engine;
use sigil_models::aet::{ErrorBody, headers};
use sigil_transport::{EXCERPT_CHARS, HttpRequest, HttpResponse, RequestTarget, excerpt};

use crate::{AetError, AetRequestSigner, Multipart};

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) engine: Engine,
    pub(crate) signer: AetRequestSigner,
}

/// An AET client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AetClient {
    pub(crate) inner: Arc<Inner>,
}

/// An error body fit for an error message: `error` and `message` cut to a short excerpt, the
/// other fields kept only when the whole body was small.
fn shortened(mut parsed: ErrorBody, body_len: usize) -> ErrorBody {
    let short = |t: String| excerpt(t.as_bytes(), EXCERPT_CHARS);
    parsed.error = parsed.error.map(short);
    parsed.message = parsed.message.map(short);
    if body_len > 2 * EXCERPT_CHARS {
        parsed.other.clear();
    }
    parsed
}

/// What a request carries, and so what is signed as its body.
enum Payload {
    /// No body: nothing is signed.
    None,
    /// A JSON body: its exact bytes are signed.
    Json(Bytes),
    /// A multipart body: signed as the empty string.
    Multipart { content_type: String, body: Bytes },
}

impl AetClient {
    /// The target of `path` (e.g. `/v3/users?page=2`) on the configured origin, in its wire
    /// form; refused before anything is sent when it is not a path on that origin.
    pub fn target(&self, path: &str) -> Result<RequestTarget, AetError> {
        Ok(self.inner.engine.target(path)?)
    }

    /// Signs one attempt: a fresh timestamp, the path and query exactly as sent (the query
    /// per the [`QueryPolicy`]), the body's exact bytes (the empty string for multipart).
    fn sign(
        &self,
        method: &http::Method,
        uri: http::Uri,
        payload: &Payload,
    ) -> Result<HttpRequest, AetError> {
        let (multipart_type, body) = match payload {
            Payload::None => (None, Bytes::new()),
            Payload::Json(bytes) => (None, bytes.clone()),
            Payload::Multipart { content_type, body } => (Some(content_type), body.clone()),
        };
        let mut request = http::Request::new(body);
        *request.method_mut() = method.clone();
        *request.uri_mut() = uri;
        // Room for the five headers at once, rather than growing the map step by step.
        request.headers_mut().reserve(8);
        // JSON is the signer's default content type; a multipart body brings its own, which
        // also makes the signer sign the empty body.
        if let Some(content_type) = multipart_type {
            let value = http::HeaderValue::from_str(content_type)
                .map_err(|e| AetError::InvalidRequest(e.to_string()))?;
            request.headers_mut().insert(headers::CONTENT_TYPE, value);
        }
        // The URI comes from `Origin::target`: already the wire form.
        self.inner.signer.sign_wire_form(&mut request)?;
        Ok(request)
    }

    /// A signed request for `method` and `path` (e.g. `/v3/users?page=2`) with an optional
    /// JSON body given as its exact bytes: the five documented headers, ready to send with any
    /// transport. Its timestamp is now: send it at once, and sign again to retry.
    pub fn signed_request(
        &self,
        method: http::Method,
        path: &str,
        json_body: Option<Bytes>,
    ) -> Result<HttpRequest, AetError> {
        let target = self.target(path)?;
        self.sign(
            &method,
            target.into_uri(),
            &json_body.map_or(Payload::None, Payload::Json),
        )
    }

    /// Sends `method path` with an optional JSON body (its exact bytes) and returns the
    /// response if its status is 2xx. Every attempt is signed afresh; the whole call is
    /// bounded by the operation timeout.
    pub async fn send(
        &self,
        method: http::Method,
        path: &str,
        json_body: Option<Bytes>,
    ) -> Result<HttpResponse, AetError> {
        let target = self.target(path)?;
        self.execute(
            method,
            &target,
            json_body.map_or(Payload::None, Payload::Json),
        )
        .await
    }

    async fn execute(
        &self,
        method: http::Method,
        target: &RequestTarget,
        payload: Payload,
    ) -> Result<HttpResponse, AetError> {
        let engine = &self.inner.engine;
        let span = tracing::debug_span!("sigil.aet", method = %method, path = %target.path());
        let response = engine
            .operation(span, |deadline| {
                engine.send(deadline, || {
                    self.sign(&method, target.uri().clone(), &payload)
                })
            })
            .await?;
        if response.status().is_success() {
            return Ok(response);
        }
        let body = response.body();
        Err(AetError::Api {
            status: response.status().as_u16(),
            body: serde_json::from_slice::<ErrorBody>(body)
                .ok()
                .map(|parsed| shortened(parsed, body.len())),
            raw: excerpt(body, EXCERPT_CHARS),
        })
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: http::Method,
        path: &str,
        payload: Payload,
    ) -> Result<T, AetError> {
        let target = self.target(path)?;
        let response = self.execute(method, &target, payload).await?;
        let body: &[u8] = if response.body().is_empty() {
            b"null"
        } else {
            response.body()
        };
        serde_json::from_slice(body)
            .map_err(|e| AetError::Decode(excerpt(e.to_string().as_bytes(), EXCERPT_CHARS)))
    }

    fn encode<B: Serialize>(body: &B) -> Result<Payload, AetError> {
        serde_json::to_vec(body)
            .map(|v| Payload::Json(Bytes::from(v)))
            .map_err(|e| AetError::InvalidRequest(format!("serialising the body: {e}")))
    }

    /// `GET path`, decoding the JSON answer.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, AetError> {
        self.json(http::Method::GET, path, Payload::None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, AetError> {
        self.json(http::Method::POST, path, Self::encode(body)?)
            .await
    }

    /// `PUT path` with a JSON body.
    pub async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, AetError> {
        self.json(http::Method::PUT, path, Self::encode(body)?)
            .await
    }

    /// `DELETE path`; an empty answer decodes as JSON `null`.
    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, AetError> {
        self.json(http::Method::DELETE, path, Payload::None).await
    }

    /// `POST path` with a multipart form, signed with the empty body.
    pub async fn upload<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &Multipart,
    ) -> Result<T, AetError> {
        let boundary = format!("sigil-{}", self.inner.engine.next_id());
        let (content_type, body) = form.encode(&boundary)?;
        self.json(
            http::Method::POST,
            path,
            Payload::Multipart { content_type, body },
        )
        .await
    }
}
