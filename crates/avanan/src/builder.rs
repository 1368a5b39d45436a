//! Building an [`AvananClient`]: the options every sigil client shares, plus the way in
//! ([`AuthMode`]), region and date format.

use std::fmt;
use std::sync::Arc;

use sigil_client_core::ClientOptions;
use sigil_models::avanan::Region;
use sigil_models::avanan::infinity::{self, is_gateway_host};
use sigil_signing::SecretKey;
use sigil_signing::avanan::AvananSigner;
use sigil_transport::Origin;

use crate::client::{AUTH_PATH, AvananClient, Credentials, Inner};
use crate::{AvananError, DateFormat};

/// How the client gets into the API: the two kinds of credentials Check Point issues for it.
#[derive(Clone)]
#[non_exhaustive]
pub enum AuthMode {
    /// The vendor document's scheme: an application id (`US:myapp29`) and its secret; a token
    /// from the signed `GET /v1.0/auth`, every call signed with `x-av-sig`, on the region's
    /// `smart-api-…avanan.net` host.
    Signed {
        /// The application id.
        app_id: String,
        /// The secret key.
        secret: SecretKey,
    },
    /// Check Point Infinity Portal API keys: a client id and an access key exchanged at
    /// `POST /auth/external` for a bearer token; calls under `/app/hec-api/v1.0/…` with
    /// `Authorization: Bearer`, nothing signed, on the region's `cloudinfra-gw…` gateway.
    Infinity {
        /// The client id.
        client_id: String,
        /// The access key (a secret: redacted, wiped on drop).
        access_key: SecretKey,
    },
}

impl AuthMode {
    /// The mode a base URL's host calls for, with `id` and `secret` as that mode's
    /// credentials: [`Infinity`](Self::Infinity) when the host is an Infinity gateway
    /// (anchored: it ends in `.portal.checkpoint.com` and its first label starts with
    /// `cloudinfra`, see [`is_gateway_host`]), else [`Signed`](Self::Signed). A look-alike
    /// such as `cloudinfra.evil.example` is not a gateway.
    ///
    /// ```
    /// use sigil_avanan::{AuthMode, SecretKey};
    /// let key = SecretKey::new(b"key")?;
    /// let mode = AuthMode::for_base_url("https://cloudinfra-gw-us.portal.checkpoint.com", "cid", key.clone())?;
    /// assert!(matches!(mode, AuthMode::Infinity { .. }));
    /// let mode = AuthMode::for_base_url("https://cloudinfra.evil.example", "cid", key)?;
    /// assert!(matches!(mode, AuthMode::Signed { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_base_url(
        base_url: &str,
        id: impl Into<String>,
        secret: SecretKey,
    ) -> Result<AuthMode, AvananError> {
        let origin = Origin::parse(base_url)?;
        let host = origin
            .as_str()
            .split_once("://")
            .map_or("", |(_, authority)| authority);
        Ok(if is_gateway_host(host) {
            AuthMode::Infinity {
                client_id: id.into(),
                access_key: secret,
            }
        } else {
            AuthMode::Signed {
                app_id: id.into(),
                secret,
            }
        })
    }

    /// The public id: the application id or the client id.
    pub fn id(&self) -> &str {
        match self {
            AuthMode::Signed { app_id, .. } => app_id,
            AuthMode::Infinity { client_id, .. } => client_id,
        }
    }
}

impl fmt::Debug for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthMode::Signed { app_id, .. } => f
                .debug_struct("Signed")
                .field("app_id", app_id)
                .field("secret", &"<redacted>")
                .finish(),
            AuthMode::Infinity { client_id, .. } => f
                .debug_struct("Infinity")
                .field("client_id", client_id)
                .field("access_key", &"<redacted>")
                .finish(),
        }
    }
}

/// Builds an [`AvananClient`].
#[derive(Debug)]
pub struct AvananClientBuilder {
    mode: AuthMode,
    region: Region,
    date_format: DateFormat,
    scopes: Option<String>,
    options: ClientOptions,
}

impl AvananClient {
    /// Starts a builder for the signed scheme with the application id (e.g. `US:myapp29`)
    /// and secret key.
    pub fn builder(app_id: impl Into<String>, secret: SecretKey) -> AvananClientBuilder {
        Self::builder_for(AuthMode::Signed {
            app_id: app_id.into(),
            secret,
        })
    }

    /// Starts a builder for Check Point Infinity Portal API keys: a client id and an access
    /// key. The region picks the Infinity gateway (default US).
    ///
    /// ```
    /// use sigil_avanan::{AvananClient, Region, SecretKey};
    /// let client = AvananClient::infinity_builder("my-client-id", SecretKey::new(b"my-access-key")?)
    ///     .region(Region::Eu)
    ///     .build()?;
    /// assert_eq!(client.target("/v1.0/scopes")?.uri().to_string(),
    ///            "https://cloudinfra-gw.portal.checkpoint.com/app/hec-api/v1.0/scopes");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn infinity_builder(
        client_id: impl Into<String>,
        access_key: SecretKey,
    ) -> AvananClientBuilder {
        Self::builder_for(AuthMode::Infinity {
            client_id: client_id.into(),
            access_key,
        })
    }

    /// Starts a builder for the given way in.
    pub fn builder_for(mode: AuthMode) -> AvananClientBuilder {
        AvananClientBuilder {
            mode,
            region: Region::Us,
            date_format: DateFormat::Micros,
            scopes: None,
            options: ClientOptions::default(),
        }
    }
}

impl AvananClientBuilder {
    sigil_client_core::client_builder_methods!(tokens; ids = request_ids, "Where `x-av-req-id` values come from (default random UUID v4).");

    /// The region (default US): its `smart-api` host in the signed mode, its Infinity gateway
    /// in the Infinity mode; a [`base_url`](Self::base_url) takes precedence.
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// The `x-av-date` format of the signed mode (default [`DateFormat::Micros`]).
    pub fn date_format(mut self, format: DateFormat) -> Self {
        self.date_format = format;
        self
    }

    /// Infinity mode: the `scopes` header sent with every call (comma-separated, e.g.
    /// `farm1:customer1,farm2:customer2`), for keys that act for several tenants. Ignored in
    /// the signed mode.
    pub fn scopes(mut self, scopes: impl Into<String>) -> Self {
        self.scopes = Some(scopes.into());
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<AvananClient, AvananError> {
        let default_origin = match self.mode {
            AuthMode::Signed { .. } => self.region.origin(),
            AuthMode::Infinity { .. } => self.region.infinity_origin(),
        };
        let engine = self.options.build(&default_origin, None)?;
        let credentials = match self.mode {
            AuthMode::Signed { app_id, secret } => {
                if app_id.trim().is_empty() {
                    return Err(AvananError::Config("the application id is empty".into()));
                }
                let app_id_header = http::HeaderValue::from_str(&app_id).map_err(|_| {
                    AvananError::Config("the application id is not a valid header value".into())
                })?;
                Credentials::Signed {
                    auth_target: engine.target(AUTH_PATH)?,
                    app_id,
                    app_id_header,
                    signer: AvananSigner::new(&secret),
                }
            }
            AuthMode::Infinity {
                client_id,
                access_key,
            } => {
                if client_id.trim().is_empty() {
                    return Err(AvananError::Config("the client id is empty".into()));
                }
                let access_key_text = std::str::from_utf8(access_key.expose_secret())
                    .map_err(|_| AvananError::Config("the access key is not UTF-8 text".into()))?;
                if access_key_text.trim().is_empty() {
                    return Err(AvananError::Config("the access key is empty".into()));
                }
                let scopes = match self.scopes {
                    None => None,
                    Some(scopes) => Some(http::HeaderValue::from_str(&scopes).map_err(|_| {
                        AvananError::Config("the scopes are not a valid header value".into())
                    })?),
                };
                Credentials::Infinity {
                    auth_target: engine.target(infinity::AUTH_PATH)?,
                    client_id,
                    access_key,
                    scopes,
                }
            }
        };
        Ok(AvananClient {
            inner: Arc::new(Inner {
                tokens: engine.token_source(),
                engine,
                credentials,
                date_format: self.date_format,
            }),
        })
    }
}
