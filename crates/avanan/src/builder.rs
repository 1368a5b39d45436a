//! Building an [`AvananClient`]: the options every sigil client shares, plus the application
//! id, secret, region and date format.

use std::sync::Arc;

use sigil_client_core::ClientOptions;
use sigil_models::avanan::Region;
use sigil_signing::SecretKey;
use sigil_signing::avanan::AvananSigner;

use crate::client::{AUTH_PATH, AvananClient, Inner};
use crate::{AvananError, DateFormat};

/// Builds an [`AvananClient`].
#[derive(Debug)]
pub struct AvananClientBuilder {
    app_id: String,
    secret: SecretKey,
    region: Region,
    date_format: DateFormat,
    options: ClientOptions,
}

impl AvananClient {
    /// Starts a builder with the application id (e.g. `US:myapp29`) and secret key.
    pub fn builder(app_id: impl Into<String>, secret: SecretKey) -> AvananClientBuilder {
        AvananClientBuilder {
            app_id: app_id.into(),
            secret,
            region: Region::Us,
            date_format: DateFormat::Micros,
            options: ClientOptions::default(),
        }
    }
}

impl AvananClientBuilder {
    sigil_client_core::client_builder_methods!(tokens; ids = request_ids, "Where `x-av-req-id` values come from (default random UUID v4).");

    /// The region (default US); a [`base_url`](Self::base_url) takes precedence.
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// The `x-av-date` format (default [`DateFormat::Micros`]).
    pub fn date_format(mut self, format: DateFormat) -> Self {
        self.date_format = format;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<AvananClient, AvananError> {
        let engine = self.options.build(&self.region.origin(), None)?;
        if self.app_id.trim().is_empty() {
            return Err(AvananError::Config("the application id is empty".into()));
        }
        let app_id_header = http::HeaderValue::from_str(&self.app_id).map_err(|_| {
            AvananError::Config("the application id is not a valid header value".into())
        })?;
        Ok(AvananClient {
            inner: Arc::new(Inner {
                auth_target: engine.target(AUTH_PATH)?,
                tokens: engine.token_source(),
                engine,
                app_id: self.app_id,
                app_id_header,
                signer: AvananSigner::new(&self.secret),
                date_format: self.date_format,
            }),
        })
    }
}
