//! A request as a handler reads it: method, URI, headers and the whole body, taken apart
//! without copying the headers.

use axum::body::Bytes;
use axum::extract::{FromRequest, OriginalUri, Request};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse as _, Response};

/// A request as a handler reads it: its headers moved out of the request rather than copied
/// (axum's `HeaderMap` extractor clones them), its body read whole. An extractor: a handler
/// takes it as its last argument.
pub(crate) struct Received {
    pub(crate) method: Method,
    /// The URI as the client sent it (before any nesting stripped a prefix).
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Received {
    type Rejection = Response;

    /// Reads `request`; a body over its limit or past its deadline is refused as axum's
    /// `Bytes` extractor refuses it (413, 400), which the guard puts in the vendor's shape.
    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let headers = std::mem::take(&mut parts.headers);
        let method = parts.method.clone();
        let uri = match parts.extensions.get::<OriginalUri>() {
            Some(OriginalUri(uri)) => uri.clone(),
            None => parts.uri.clone(),
        };
        // The parts go back with the body: their extensions carry the body-limit setting.
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|rejection| rejection.into_response())?;
        Ok(Self {
            method,
            uri,
            headers,
            body,
        })
    }
}
