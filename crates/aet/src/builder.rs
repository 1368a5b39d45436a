//! Building an [`AetClient`]: the options every sigil client shares, plus the API token,
//! secret, environment and query policy.

use std::sync::Arc;

use sigil_client_core::ClientOptions;
use sigil_models::AccessToken;
use sigil_models::aet::Environment;
use sigil_signing::SecretKey;
use sigil_signing::aet::QueryPolicy;

use crate::client::{AetClient, Inner};
use crate::error::AetError;
use crate::sign::AetRequestSigner;

/// Builds an [`AetClient`].
#[derive(Debug)]
pub struct AetClientBuilder {
    token: AccessToken,
    secret: SecretKey,
    environment: Environment,
    query: QueryPolicy,
    options: ClientOptions,
}

impl AetClientBuilder {
    sigil_client_core::client_builder_methods!(; ids = boundaries, "Where multipart boundaries come from (default random UUIDs).");
    /// Sandbox or Live (default Sandbox: AET requires it first); a
    /// [`base_url`](Self::base_url) takes precedence.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Whether the query string is signed (default [`QueryPolicy::Exclude`], as AET's own
    /// clients do).
    pub fn query_policy(mut self, query: QueryPolicy) -> Self {
        self.query = query;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<AetClient, AetError> {
        let engine = self.options.build(self.environment.base_url(), None)?;
        let signer = AetRequestSigner::new(self.token.expose(), &self.secret)?
            .query_policy(self.query)
            .with_shared_clock(engine.clock().clone());
        Ok(AetClient {
            inner: Arc::new(Inner { engine, signer }),
        })
    }
}

impl AetClient {
    /// Starts a builder with the API token and the secret key.
    pub fn builder(token: impl Into<String>, secret: SecretKey) -> AetClientBuilder {
        AetClientBuilder {
            token: AccessToken::new(token.into()),
            secret,
            environment: Environment::Sandbox,
            query: QueryPolicy::Exclude,
            options: ClientOptions::default(),
        }
    }
}
