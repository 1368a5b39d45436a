//! AET auth for an existing reqwest client, as `reqwest-middleware` middleware (feature
//! `reqwest-middleware`).
//!
//! Signs every request that goes through the client, with the same rules as
//! [`AetClient`](crate::AetClient): the path and query as reqwest sends them, the body's exact
//! bytes (streamed bodies cannot be signed and are refused).
//!
//! The example is on [`AetRequestSigner`].

use crate::AetRequestSigner;

sigil_client_core::reqwest_signing_middleware!(
    AetRequestSigner,
    sign = AetRequestSigner::sign_reqwest,
    refused = AetRequestSigner::never_refused,
);

impl AetRequestSigner {
    /// Signs a reqwest request as it will be sent: its URL is already the wire form.
    async fn sign_reqwest(&self, request: &mut reqwest::Request) -> Result<(), crate::AetError> {
        let url = request.url();
        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let body: &[u8] = match request.body() {
            None => &[],
            Some(body) => body.as_bytes().ok_or_else(|| {
                crate::AetError::InvalidRequest(
                    "a streamed body cannot be signed: give the body as bytes".into(),
                )
            })?,
        };
        let headers =
            self.headers_for(request.method().as_str(), &target, body, request.headers())?;
        headers.apply(request.headers_mut());
        Ok(())
    }

    /// AET has no token to refresh: an answer is never a refused token.
    fn never_refused(&self, _response: &reqwest::Response, _token: &()) -> bool {
        false
    }
}
