//! AET auth for an existing reqwest client, as `reqwest-middleware` middleware (feature
//! `reqwest-middleware`).

use crate::AetRequestSigner;

/// Signs every request that goes through the client, with the same rules as
/// [`AetClient`](crate::AetClient): the path and query as reqwest sends them, the body's exact
/// bytes (streamed bodies cannot be signed and are refused).
///
/// ```no_run
/// use sigil_aet::{AetRequestSigner, SecretKey};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let signer = AetRequestSigner::new("api-token", &SecretKey::new(b"secret")?)?;
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(signer)
///     .build();
/// let users = client.get("https://sandbox.aet.dev/v3/users").send().await?;
/// # let _ = users; Ok(()) }
/// ```
#[async_trait::async_trait]
impl reqwest_middleware::Middleware for AetRequestSigner {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let url = request.url();
        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let body: &[u8] = match request.body() {
            None => &[],
            Some(body) => body.as_bytes().ok_or_else(|| {
                reqwest_middleware::Error::middleware(crate::AetError::InvalidRequest(
                    "a streamed body cannot be signed: give the body as bytes".into(),
                ))
            })?,
        };
        let headers = self
            .headers_for(request.method().as_str(), &target, body, request.headers())
            .map_err(reqwest_middleware::Error::middleware)?;
        headers.apply(request.headers_mut());
        next.run(request, extensions).await
    }
}
