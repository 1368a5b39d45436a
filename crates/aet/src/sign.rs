//! Signing any request for AET in place: the rules the client follows, for callers who have
//! their own HTTP stack.

use std::fmt;
use std::sync::Arc;

use http::{HeaderName, HeaderValue};
use sigil_client_core::{Clock, SystemClock, unix_millis};
use sigil_models::aet::headers;
use sigil_signing::aet::{AetBody, AetRequest, AetRequestPath, AetSigner, QueryPolicy};
use sigil_signing::{SecretKey, TimestampMillis};
use sigil_transport::RequestTarget;

use crate::AetError;

/// Adds AET's five headers to a request that is about to be sent: `timestamp` (now),
/// `authorization: Bearer <token>` and `signature` (both marked sensitive), and `accept` /
/// `content-type` unless set. The signature covers the path and query exactly as they go on
/// the wire (the URI is rewritten to its wire form first; signed without the leading slash;
/// the query per the [`QueryPolicy`]) and the body's exact bytes, or the empty string for a
/// `multipart/form-data` body, as the document requires.
///
/// ```
/// use sigil_aet::{AetRequestSigner, SecretKey};
///
/// let signer = AetRequestSigner::new("api-token", &SecretKey::new(b"secret")?)?;
/// let mut request = http::Request::post("https://sandbox.aet.dev/v3/users")
///     .body(br#"{"firstName":"Ada"}"#.to_vec())?;
/// signer.sign(&mut request)?;
/// assert!(request.headers()["signature"].is_sensitive());
/// assert_eq!(request.headers()["content-type"], "application/json");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg_attr(
    feature = "reqwest-middleware",
    doc = "\nWith the feature `reqwest-middleware` it is also middleware that adds AET auth to an \
           existing reqwest client; the whole program (`examples/aet_middleware.rs`, run in CI \
           against the emulator with the newest reqwest and reqwest-middleware):\n\n```no_run",
    doc = include_str!("../examples/aet_middleware.rs"),
    doc = "```"
)]
#[derive(Clone)]
pub struct AetRequestSigner {
    authorization: HeaderValue,
    signer: AetSigner,
    query: QueryPolicy,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for AetRequestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AetRequestSigner")
            .field("signer", &self.signer)
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

impl AetRequestSigner {
    /// A signer for the API `token` and `secret`, the system clock and
    /// [`QueryPolicy::Exclude`].
    pub fn new(token: &str, secret: &SecretKey) -> Result<Self, AetError> {
        if token.is_empty() {
            return Err(AetError::Config("the API token is empty".into()));
        }
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                AetError::Config("the API token holds characters a header cannot".into())
            })?;
        authorization.set_sensitive(true);
        Ok(Self {
            authorization,
            signer: AetSigner::new(secret),
            query: QueryPolicy::Exclude,
            clock: Arc::new(SystemClock),
        })
    }

    /// Whether the query string is signed.
    pub fn query_policy(mut self, query: QueryPolicy) -> Self {
        self.query = query;
        self
    }

    /// The clock the `timestamp` comes from.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Shares a clock already behind an `Arc`.
    pub(crate) fn with_shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Signs `request` in place; its body is signed as it is.
    ///
    /// The request's URI is first rewritten to its wire form (see
    /// [`RequestTarget::from_uri`](sigil_transport::RequestTarget::from_uri)): `{`, `"`, a
    /// space or `é` in the path, `'` in the query are percent-encoded as reqwest would send
    /// them, so the request carries exactly the bytes signed. A URI that would address
    /// another resource on the wire (`.`/`..` segments, a backslash, user info) is refused
    /// with [`AetError::Target`] and the request is left untouched.
    pub fn sign<B: AsRef<[u8]>>(&self, request: &mut http::Request<B>) -> Result<(), AetError> {
        let target = RequestTarget::from_uri(request.uri())?;
        let given = std::mem::replace(request.uri_mut(), target.into_uri());
        self.sign_wire_form(request).inspect_err(|_| {
            *request.uri_mut() = given;
        })
    }

    /// Signs a request whose URI is already in its wire form (the client's, built by
    /// `Origin::target`): the path and query are signed as the URI holds them.
    pub(crate) fn sign_wire_form<B: AsRef<[u8]>>(
        &self,
        request: &mut http::Request<B>,
    ) -> Result<(), AetError> {
        let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
        let headers = self.headers_for(
            request.method().as_str(),
            target,
            request.body().as_ref(),
            request.headers(),
        )?;
        headers.apply(request.headers_mut());
        Ok(())
    }

    /// Signs the head of a request whose body is `body` (for stacks that keep them apart,
    /// as `http::request::Parts` plus bytes); the URI is rewritten to its wire form first,
    /// as by [`sign`](Self::sign).
    pub fn sign_parts(
        &self,
        parts: &mut http::request::Parts,
        body: &[u8],
    ) -> Result<(), AetError> {
        let target = RequestTarget::from_uri(&parts.uri)?;
        let headers = self.headers_for(
            parts.method.as_str(),
            target.path_and_query(),
            body,
            &parts.headers,
        )?;
        parts.uri = target.into_uri();
        headers.apply(&mut parts.headers);
        Ok(())
    }

    /// The headers for one request: `target` is the path and query exactly as sent.
    pub(crate) fn headers_for(
        &self,
        method: &str,
        target: &str,
        body: &[u8],
        existing: &http::HeaderMap,
    ) -> Result<SignedHeaders, AetError> {
        let ms = unix_millis(self.clock.now());
        let timestamp = TimestampMillis::new(ms).map_err(|_| {
            AetError::Config(format!("the clock reads {ms} ms, not a 13-digit timestamp"))
        })?;
        let multipart = existing
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("multipart/form-data"));
        let signed_body = if multipart {
            AetBody::Multipart
        } else if body.is_empty() {
            AetBody::None
        } else {
            AetBody::Bytes(body)
        };
        let signature = self.signer.sign(&AetRequest {
            timestamp,
            method,
            path: AetRequestPath::new(target, self.query),
            body: signed_body,
        });
        let mut signature = HeaderValue::from_str(signature.as_str())
            .map_err(|e| AetError::InvalidRequest(e.to_string()))?;
        signature.set_sensitive(true);
        // The 13 digits from a stack buffer: one copy, where `From<u64>` allocates twice.
        let timestamp = HeaderValue::from_bytes(&timestamp.to_digits())
            .map_err(|e| AetError::InvalidRequest(e.to_string()))?;
        Ok(SignedHeaders {
            timestamp,
            authorization: self.authorization.clone(),
            signature,
        })
    }
}

/// The headers one signature puts on a request.
pub(crate) struct SignedHeaders {
    timestamp: HeaderValue,
    authorization: HeaderValue,
    signature: HeaderValue,
}

impl SignedHeaders {
    /// Sets them, plus `accept` and `content-type` (JSON) unless present.
    pub(crate) fn apply(self, headers: &mut http::HeaderMap) {
        // Names as `HeaderName`s from static text: a `&str` name that is not a standard
        // header would be copied to the heap on every insert.
        headers.insert(HeaderName::from_static(headers::TIMESTAMP), self.timestamp);
        headers.insert(headers::AUTHORIZATION, self.authorization);
        headers.insert(HeaderName::from_static(headers::SIGNATURE), self.signature);
        let json = HeaderValue::from_static("application/json");
        if !headers.contains_key(headers::ACCEPT) {
            headers.insert(headers::ACCEPT, json.clone());
        }
        if !headers.contains_key(headers::CONTENT_TYPE) {
            headers.insert(headers::CONTENT_TYPE, json);
        }
    }
}
