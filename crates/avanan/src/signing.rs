//! Signing: the five Avanan headers over the request string as it goes on the wire, for the
//! client's own requests and a caller's (`authorize`).

use bytes::Bytes;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use sigil_models::AccessToken;
use sigil_models::avanan::headers;
use sigil_signing::avanan::AvananRequest;
use sigil_transport::{HttpRequest, Origin, RequestTarget, excerpt};

use crate::AvananError;
use crate::client::{AvananClient, Credentials};

/// Characters escaped in one path segment: controls, space, and everything RFC 3986 does not
/// allow unescaped in a segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Percent-encodes one path segment (an id with spaces or slashes, say), so that the request
/// string signed is exactly the path sent.
///
/// ```
/// assert_eq!(sigil_avanan::encode_path_segment("id with/slash"), "id%20with%2Fslash");
/// ```
pub fn encode_path_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

impl AvananClient {
    /// A signed request: fresh `x-av-req-id`, `x-av-date` now, `x-av-sig` over the request
    /// string exactly as it goes on the wire (`None` token: the `/auth` form, `x-av-token`
    /// sent empty). Token and signature headers are marked sensitive.
    pub fn sign(
        &self,
        method: http::Method,
        target: &RequestTarget,
        token: Option<&AccessToken>,
        body: Bytes,
    ) -> Result<HttpRequest, AvananError> {
        let mut request = http::Request::new(body);
        *request.method_mut() = method;
        *request.uri_mut() = target.uri().clone();
        // Room for the seven headers at once, rather than growing the map step by step.
        request.headers_mut().reserve(8);
        if !request.body().is_empty() {
            request.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
        }
        self.sign_headers(request.headers_mut(), target.path_and_query(), token)?;
        Ok(request)
    }

    /// Puts the five Avanan headers on `headers` for a request whose path and query go on the
    /// wire as `request_string` (`None` token: the `/auth` form, `x-av-token` empty), plus
    /// `accept` unless set; in the Infinity mode, `x-av-req-id`, `Authorization: Bearer` and
    /// the configured `scopes` instead. Token and signature are marked sensitive.
    pub(crate) fn sign_headers(
        &self,
        headers: &mut http::HeaderMap,
        request_string: &str,
        token: Option<&AccessToken>,
    ) -> Result<(), AvananError> {
        let invalid =
            || AvananError::InvalidRequest("a header value holds invalid characters".into());
        let value = |text: &str| http::HeaderValue::from_str(text).map_err(|_| invalid());
        let sensitive = |text: &str| {
            value(text).map(|mut v| {
                v.set_sensitive(true);
                v
            })
        };
        // The request id is signed as the header value holds it (what is sent is what is
        // signed); the id's text moves into its header without a copy.
        let req_id = http::HeaderValue::from_maybe_shared(Bytes::from(self.inner.engine.next_id()))
            .map_err(|_| invalid())?;
        if !headers.contains_key(http::header::ACCEPT) {
            headers.insert(
                http::header::ACCEPT,
                http::HeaderValue::from_static("application/json"),
            );
        }
        // Names as `HeaderName`s from static text: a `&str` name that is not a standard
        // header would be copied to the heap on every insert.
        let name = http::HeaderName::from_static;
        let (app_id, app_id_header, signer) = match &self.inner.credentials {
            Credentials::Signed {
                app_id,
                app_id_header,
                signer,
                ..
            } => (app_id, app_id_header, signer),
            Credentials::Infinity { scopes, .. } => {
                // Infinity Portal: a bearer token and a fresh request id; nothing is signed.
                headers.insert(name(headers::REQ_ID), req_id);
                if let Some(token) = token {
                    let bearer = format!("Bearer {}", token.expose());
                    headers.insert(http::header::AUTHORIZATION, sensitive(&bearer)?);
                }
                if let Some(scopes) = scopes {
                    headers.insert(name(headers::SCOPES), scopes.clone());
                }
                return Ok(());
            }
        };
        let date = self
            .inner
            .date_format
            .header_value(self.inner.engine.now())?;
        let signed_form = match token {
            None => AvananRequest::Auth,
            Some(_) => AvananRequest::Request { request_string },
        };
        let signature = signer.sign(
            req_id.to_str().map_err(|_| invalid())?,
            app_id,
            date.to_str().map_err(|_| invalid())?,
            signed_form,
        );
        headers.insert(name(headers::REQ_ID), req_id);
        headers.insert(
            name(headers::TOKEN),
            sensitive(token.map_or("", AccessToken::expose))?,
        );
        headers.insert(name(headers::APP_ID), app_id_header.clone());
        headers.insert(name(headers::DATE), date);
        headers.insert(name(headers::SIG), sensitive(signature.as_str())?);
        Ok(())
    }

    /// Signs a caller's request in place, for callers with their own HTTP stack: the cached
    /// access token (fetched if needed) and the five headers. The request's URI is first
    /// rewritten to its wire form (see [`RequestTarget::from_uri`]): `{`, `"`, a space or
    /// `é` in the path, `'` in the query are percent-encoded as reqwest would send them, and
    /// the signature covers exactly those bytes. The URI must be on the configured origin (or
    /// be a bare path); a URI that would address another resource on the wire is refused with
    /// [`AvananError::Target`] before any token is fetched, and the request is left
    /// untouched.
    ///
    /// ```no_run
    /// # async fn run(client: sigil_avanan::AvananClient) -> Result<(), sigil_avanan::AvananError> {
    /// let mut request = http::Request::get("https://smart-api-production-1-us.avanan.net/v1.0/scopes")
    ///     .body(Vec::<u8>::new())
    ///     .expect("a valid request");
    /// client.authorize(&mut request).await?;
    /// // send `request` with any HTTP stack
    /// # Ok(()) }
    /// ```
    pub async fn authorize<B>(&self, request: &mut http::Request<B>) -> Result<(), AvananError> {
        let target = self.wire_target_of(request.uri())?;
        let token = self.access_token().await?;
        self.sign_headers(request.headers_mut(), target.path_and_query(), Some(&token))?;
        *request.uri_mut() = target.into_uri();
        Ok(())
    }

    /// A caller's URI in its wire form, checked to be on the configured origin (a bare path
    /// is taken as on it).
    pub(crate) fn wire_target_of(&self, uri: &http::Uri) -> Result<RequestTarget, AvananError> {
        let Some((scheme, authority)) = uri.scheme_str().zip(uri.authority()) else {
            // A bare path (anything else half absolute is refused there), under the API
            // prefix in the Infinity mode.
            if self.is_infinity() {
                let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
                let prefixed: http::Uri =
                    self.api_path(path_and_query)
                        .parse()
                        .map_err(|e: http::uri::InvalidUri| {
                            AvananError::InvalidRequest(e.to_string())
                        })?;
                return Ok(RequestTarget::from_uri(&prefixed)?);
            }
            return Ok(RequestTarget::from_uri(uri)?);
        };
        let origin = Origin::parse(&format!("{scheme}://{authority}"))?;
        if origin != *self.inner.engine.origin() {
            return Err(AvananError::Target(
                sigil_transport::TargetError::OtherOrigin(excerpt(origin.as_str().as_bytes(), 120)),
            ));
        }
        // The configured origin, already parsed: only the path and query are left to check.
        let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
        self.target(path_and_query)
    }
}
