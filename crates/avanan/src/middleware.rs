//! Avanan auth for an existing reqwest client, as `reqwest-middleware` middleware (feature
//! `reqwest-middleware`).

use sigil_models::AccessToken;

use crate::{AvananClient, AvananError};

/// Adds the access token and the five signed headers to every request that goes through the
/// client, with the same rules as [`AvananClient`]: the token from its cache, the signature
/// over the path and query as reqwest sends them, a fresh id and date per request; on HTTP 401
/// the token is refreshed once and the request re-signed and re-sent (when its body can be
/// cloned).
///
/// The whole program (`examples/avanan_middleware.rs`, run in CI against the emulator with the
/// newest reqwest and reqwest-middleware):
///
/// ```no_run
#[doc = include_str!("../examples/avanan_middleware.rs")]
/// ```
#[derive(Debug, Clone)]
pub struct AvananAuth {
    client: AvananClient,
}

impl AvananAuth {
    /// Middleware signing with `client`'s credentials and token cache.
    pub fn new(client: AvananClient) -> Self {
        Self { client }
    }

    /// Signs `request` with the cached (or a fresh) access token; returns the token used.
    async fn sign(&self, request: &mut reqwest::Request) -> Result<AccessToken, AvananError> {
        let token = self.client.access_token().await?;
        let uri: http::Uri = request
            .url()
            .as_str()
            .parse()
            .map_err(|e: http::uri::InvalidUri| AvananError::InvalidRequest(e.to_string()))?;
        // reqwest's URL is already the wire form: the target is the same bytes.
        let target = self.client.wire_target_of(&uri)?;
        if target.path_and_query() != uri.path_and_query().map_or("/", |pq| pq.as_str()) {
            // The Infinity mode puts the API prefix in front of a `/v1.0/…` path.
            *request.url_mut() = reqwest::Url::parse(&target.uri().to_string())
                .map_err(|e| AvananError::InvalidRequest(e.to_string()))?;
        }
        self.client
            .sign_headers(request.headers_mut(), target.path_and_query(), Some(&token))?;
        Ok(token)
    }
}

sigil_client_core::reqwest_signing_middleware!(
    AvananAuth,
    sign = AvananAuth::sign,
    refused = AvananAuth::refused,
);

impl AvananAuth {
    /// HTTP 401: the token was refused; it is dropped from the cache.
    fn refused(&self, response: &reqwest::Response, token: &AccessToken) -> bool {
        let refused = response.status() == reqwest::StatusCode::UNAUTHORIZED;
        if refused {
            self.client.invalidate_token(token);
        }
        refused
    }
}
