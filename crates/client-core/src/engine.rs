//! The client engine the three vendor clients run on: the options every builder shares, the
//! origin, clock, ids and dispatcher of a built client, and the authenticated call (token
//! from the cache, each attempt built and signed afresh, one retry with a fresh token when
//! the server refuses it).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sigil_transport::{
    Clock, Deadline, Dispatcher, HttpRequest, HttpResponse, Origin, RequestTarget, RetryClassifier,
    SystemClock, TransportSettings,
};
pub use sigil_transport::{HttpSend, RetryPolicy, TargetError, Timeouts, TransportError};

use crate::{FetchedToken, IdSource, RandomIds, RefreshPolicy, TokenCache, TokenLoadError};

/// What every vendor client's builder sets: the base URL, the clock, where ids come from, the
/// transport with its timeouts, retries and size limit, and when tokens are refreshed. Vendor
/// builders hold one and add only what is about their vendor (a region, a query policy).
#[derive(Clone)]
pub struct ClientOptions {
    base_url: Option<String>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    transport: TransportSettings,
    refresh: RefreshPolicy,
}

impl Default for ClientOptions {
    /// The vendor's own host, the system clock, random UUIDs, reqwest (when the feature is
    /// on) with the default timeouts, retries and size limit, the default refresh policy.
    fn default() -> Self {
        Self {
            base_url: None,
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
            transport: TransportSettings::default(),
            refresh: RefreshPolicy::default(),
        }
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("base_url", &self.base_url)
            .field("transport", &self.transport)
            .field("refresh", &self.refresh)
            .finish_non_exhaustive()
    }
}

impl ClientOptions {
    /// A custom origin (scheme, host and port) instead of the vendor's host.
    pub fn set_base_url(&mut self, url: String) {
        self.base_url = Some(url);
    }

    /// The clock signatures, token expiry and `Retry-After` dates are read from.
    pub fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        self.clock = clock;
    }

    /// Where request ids (or multipart boundaries) come from.
    pub fn set_ids(&mut self, ids: Arc<dyn IdSource>) {
        self.ids = ids;
    }

    /// The caller's transport instead of reqwest.
    pub fn set_transport(&mut self, transport: Arc<dyn HttpSend>) {
        self.transport.set_transport(transport);
    }

    /// Time limits that hold for any transport.
    pub fn set_timeouts(&mut self, timeouts: Timeouts) {
        self.transport.set_timeouts(timeouts);
    }

    /// The largest response body accepted.
    pub fn set_max_response_bytes(&mut self, limit: usize) {
        self.transport.set_max_response_bytes(limit);
    }

    /// Retries (`None` disables them).
    pub fn set_retry(&mut self, policy: Option<RetryPolicy>) {
        self.transport.set_retry(policy);
    }

    /// When cached tokens are refreshed and how long a token request may take.
    pub fn set_refresh(&mut self, policy: RefreshPolicy) {
        self.refresh = policy;
    }

    /// The engine these options describe: the base URL (or `default_origin`) checked, the
    /// dispatcher built with the vendor's `classifier` and reading the same clock as the rest.
    pub fn build(
        self,
        default_origin: &str,
        classifier: Option<Arc<dyn RetryClassifier>>,
    ) -> Result<Engine, ClientError> {
        let origin = Origin::parse(self.base_url.as_deref().unwrap_or(default_origin))?;
        let dispatcher = self
            .transport
            .build(classifier)?
            .with_clock(self.clock.clone());
        Ok(Engine {
            dispatcher,
            origin,
            clock: self.clock,
            ids: self.ids,
            refresh: self.refresh,
        })
    }
}

/// The builder methods every vendor client shares, written once: `base_url`, `clock`,
/// `transport`, `timeouts`, `max_response_bytes` and `retry` (and `refresh` with `tokens`;
/// with `; ids = NAME, "doc"`, a setter of that name for where ids come from). Expands inside
/// an `impl` block of a builder with a `options: ClientOptions` field.
#[macro_export]
macro_rules! client_builder_methods {
    ($($arm:ident)? ; ids = $ids:ident, $doc:literal) => {
        $crate::client_builder_methods!($($arm)?);

        #[doc = $doc]
        pub fn $ids(mut self, ids: impl $crate::IdSource + 'static) -> Self {
            self.options.set_ids(::std::sync::Arc::new(ids));
            self
        }
    };
    (tokens) => {
        $crate::client_builder_methods!();

        /// When cached tokens are refreshed (default 60 s before expiry, with jitter) and how
        /// long a token request may take (default 15 s).
        pub fn refresh(mut self, policy: $crate::RefreshPolicy) -> Self {
            self.options.set_refresh(policy);
            self
        }
    };
    () => {
        /// A custom origin (scheme, host and port only), e.g. the emulator's
        /// `http://127.0.0.1:PORT`, instead of the vendor's host. A base URL with a path,
        /// query or user info is refused by `build`: the signed paths start at the host.
        pub fn base_url(mut self, url: impl Into<String>) -> Self {
            self.options.set_base_url(url.into());
            self
        }

        /// The clock timestamps, dates, token expiry and `Retry-After` dates come from
        /// (default the system clock).
        pub fn clock(mut self, clock: impl $crate::Clock + 'static) -> Self {
            self.options.set_clock(::std::sync::Arc::new(clock));
            self
        }

        /// The transport (default `ReqwestTransport` with the configured timeouts).
        pub fn transport(mut self, transport: impl $crate::engine::HttpSend + 'static) -> Self {
            self.options.set_transport(::std::sync::Arc::new(transport));
            self
        }

        /// Time limits of every call, whatever the transport (default `Timeouts::default`:
        /// 5 s connect, 10 s per attempt, 30 s per call, token wait included).
        pub fn timeouts(mut self, timeouts: $crate::engine::Timeouts) -> Self {
            self.options.set_timeouts(timeouts);
            self
        }

        /// The largest response body accepted (default 16 MiB).
        pub fn max_response_bytes(mut self, limit: usize) -> Self {
            self.options.set_max_response_bytes(limit);
            self
        }

        /// Retries of transient failures (default `RetryPolicy::default`; `None` disables).
        /// A call that creates something is repeated only when the server did not get or
        /// did not process it.
        pub fn retry(mut self, policy: Option<$crate::engine::RetryPolicy>) -> Self {
            self.options.set_retry(policy);
            self
        }
    };
}

/// Implements `reqwest_middleware::Middleware` for a vendor's signing type, written once: each
/// request is signed (`sign`: an `async fn(&Self, &mut reqwest::Request) -> Result<Token, E>`)
/// and sent; when `refused` (`fn(&Self, &reqwest::Response, &Token) -> bool`, which also drops
/// the refused token) says the server refused the token, the request is signed again and sent
/// once more, if its body can be cloned. Expands in a crate that depends on `async-trait`,
/// `reqwest`, `reqwest-middleware` and `http`.
#[macro_export]
macro_rules! reqwest_signing_middleware {
    ($ty:ty, sign = $sign:path, refused = $refused:path $(,)?) => {
        #[async_trait::async_trait]
        impl reqwest_middleware::Middleware for $ty {
            async fn handle(
                &self,
                mut request: reqwest::Request,
                extensions: &mut http::Extensions,
                next: reqwest_middleware::Next<'_>,
            ) -> reqwest_middleware::Result<reqwest::Response> {
                let again = request.try_clone();
                let token = $sign(self, &mut request)
                    .await
                    .map_err(reqwest_middleware::Error::middleware)?;
                let response = next.clone().run(request, extensions).await?;
                match again {
                    Some(mut again) if $refused(self, &response, &token) => {
                        $sign(self, &mut again)
                            .await
                            .map_err(reqwest_middleware::Error::middleware)?;
                        next.run(again, extensions).await
                    }
                    _ => Ok(response),
                }
            }
        }
    };
}

/// Why a call failed for a reason no vendor owns. Each vendor error converts from it into its
/// own variants of the same names (see [`vendor_error!`](crate::vendor_error)).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No HTTP response.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The base URL or the request target was refused (nothing was sent).
    #[error(transparent)]
    Target(#[from] TargetError),
    /// No token could be had within the load timeout.
    #[error(transparent)]
    TokenLoad(#[from] TokenLoadError),
    /// A 2xx answer that is not the documented shape.
    #[error("unexpected response: {0}")]
    Decode(String),
    /// The client is misconfigured.
    #[error("configuration: {0}")]
    Config(String),
}

/// Declares a vendor error enum: the vendor's own variants as written, then the ones every
/// vendor shares (`Transport`, `Target`, `TokenLoad`, `Decode`, `Config`), and the conversion
/// from [`ClientError`] into them. The enum derives `thiserror::Error` (the calling crate
/// depends on `thiserror`), is `#[non_exhaustive]`, and its `Debug` is its message (do not
/// derive `Debug`). The vendor variants end with a comma.
#[macro_export]
macro_rules! vendor_error {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $($variants:tt)* }
    ) => {
        $(#[$meta])*
        #[derive(thiserror::Error)]
        #[non_exhaustive]
        $vis enum $name {
            $($variants)*
            /// No HTTP response.
            #[error(transparent)]
            Transport(#[from] $crate::engine::TransportError),
            /// The base URL or the request target was refused (nothing was sent).
            #[error(transparent)]
            Target(#[from] $crate::engine::TargetError),
            /// No token could be had within the load timeout.
            #[error(transparent)]
            TokenLoad(#[from] $crate::TokenLoadError),
            /// A 2xx answer that is not the documented shape.
            #[error("unexpected response: {0}")]
            Decode(String),
            /// The client is misconfigured.
            #[error("configuration: {0}")]
            Config(String),
        }

        /// The message, as `Display` writes it: what `?` in `main` prints, without a second
        /// round of escaping of the server's already excerpted text.
        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl ::core::convert::From<$crate::ClientError> for $name {
            fn from(error: $crate::ClientError) -> Self {
                match error {
                    $crate::ClientError::Transport(e) => Self::Transport(e),
                    $crate::ClientError::Target(e) => Self::Target(e),
                    $crate::ClientError::TokenLoad(e) => Self::TokenLoad(e),
                    $crate::ClientError::Decode(e) => Self::Decode(e),
                    $crate::ClientError::Config(e) => Self::Config(e),
                    // A kind added later reads as a configuration problem until the vendor
                    // error learns it.
                    other => Self::Config(other.to_string()),
                }
            }
        }
    };
}

/// A built client's shared machinery: where it sends, the clock and ids it uses, and the
/// dispatcher that sends each attempt.
pub struct Engine {
    dispatcher: Dispatcher,
    origin: Origin,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    refresh: RefreshPolicy,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("origin", &self.origin)
            .field("dispatcher", &self.dispatcher)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// The origin every request goes to.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The target of `path_and_query` on the origin, in its wire form.
    pub fn target(&self, path_and_query: &str) -> Result<RequestTarget, TargetError> {
        self.origin.target(path_and_query)
    }

    /// Now, by the client's clock.
    pub fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// The client's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// A fresh id (a request id, a multipart boundary).
    pub fn next_id(&self) -> String {
        self.ids.next_id()
    }

    /// A deadline one operation timeout from now.
    pub fn deadline(&self) -> Deadline {
        self.dispatcher.deadline()
    }

    /// Sends the request `build` makes (afresh for every attempt) within `deadline`.
    pub async fn send<E, F>(&self, deadline: Deadline, build: F) -> Result<HttpResponse, E>
    where
        F: FnMut() -> Result<HttpRequest, E>,
        E: From<TransportError>,
    {
        self.dispatcher.send(deadline, build).await
    }

    /// Runs one client operation: `work` gets the operation's deadline and runs in `span`;
    /// the whole of it, token wait included, ends at that deadline.
    pub async fn operation<T, E, W, Fut>(&self, span: tracing::Span, work: W) -> Result<T, E>
    where
        E: From<TransportError>,
        W: FnOnce(Deadline) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let deadline = self.deadline();
        deadline
            .within(tracing::Instrument::instrument(work(deadline), span))
            .await
    }

    /// A token cache on this client's clock and refresh policy.
    pub fn token_source<T, E>(&self) -> TokenSource<T, E>
    where
        T: Clone + PartialEq + Send + Sync + 'static,
        E: Clone + From<TokenLoadError> + Send + Sync + 'static,
    {
        TokenSource {
            load_timeout: self.refresh.load_timeout,
            cache: TokenCache::new(self.refresh.clone(), self.clock.clone()),
        }
    }
}

/// A token fetch as the cache runs it: boxed, sendable, owning all it needs.
pub type TokenLoad<T, E> =
    std::pin::Pin<Box<dyn Future<Output = Result<FetchedToken<T>, E>> + Send>>;

/// A token loader for [`TokenSource`]: each load runs `fetch` on its own clone of `client`
/// (a fetch outlives any one caller, so it may not borrow one) with the load's deadline.
pub fn detached_loader<C, T, E, F, Fut>(
    client: C,
    fetch: F,
) -> impl Fn(Deadline) -> TokenLoad<T, E> + use<C, T, E, F, Fut>
where
    C: Clone + Send + 'static,
    F: Fn(C, Deadline) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<FetchedToken<T>, E>> + Send + 'static,
{
    move |deadline| Box::pin(fetch.clone()(client.clone(), deadline))
}

/// What one authenticated attempt came to.
#[derive(Debug)]
pub enum Answer<R, E> {
    /// The answer stands, success or failure.
    Done(Result<R, E>),
    /// The server refused the token (Avanan HTTP 401, ADVANCE `IAM_FAILED`); the outcome
    /// given is the call's if the token was already refreshed once.
    TokenRefused(Result<R, E>),
}

/// A client's access token: cached, fetched single-flight by a detached task within the load
/// timeout, and the authenticated call that uses it.
pub struct TokenSource<T, E> {
    cache: TokenCache<T, E>,
    load_timeout: Duration,
}

impl<T, E> fmt::Debug for TokenSource<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("cache", &self.cache)
            .field("load_timeout", &self.load_timeout)
            .finish()
    }
}

impl<T, E> TokenSource<T, E>
where
    T: Clone + PartialEq + Send + Sync + 'static,
    E: Clone + From<TokenLoadError> + Send + Sync + 'static,
{
    /// The cached token, or one `load` fetches (given the load's own deadline, and run
    /// detached from the caller: see [`TokenCache`]).
    pub async fn get<L, Fut>(&self, load: L) -> Result<T, E>
    where
        L: FnOnce(Deadline) -> Fut,
        Fut: Future<Output = Result<FetchedToken<T>, E>> + Send + 'static,
    {
        let timeout = self.load_timeout;
        self.cache.get(move || load(Deadline::after(timeout))).await
    }

    /// Drops `token` if it is still the cached one (the server refused it).
    pub fn invalidate(&self, token: &T) {
        self.cache.invalidate(token);
    }

    /// When the cached token expires, if one is cached.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.cache.expires_at()
    }

    /// The authenticated call, written once for every vendor: the token (cached, or fetched
    /// by `load`), then `attempt` with it; when the server refuses the token, it is dropped
    /// and the call made once more with a fresh one.
    pub async fn authenticated<L, LFut, A, AFut, R>(&self, load: L, mut attempt: A) -> Result<R, E>
    where
        L: Fn(Deadline) -> LFut,
        LFut: Future<Output = Result<FetchedToken<T>, E>> + Send + 'static,
        A: FnMut(T) -> AFut,
        AFut: Future<Output = Answer<R, E>>,
    {
        let mut refreshed = false;
        loop {
            let token = self.get(&load).await?;
            match attempt(token.clone()).await {
                Answer::TokenRefused(_) if !refreshed => {
                    tracing::debug!(target: "sigil::token", "token refused: refreshing it once");
                    self.invalidate(&token);
                    refreshed = true;
                }
                Answer::TokenRefused(outcome) | Answer::Done(outcome) => return outcome,
            }
        }
    }
}
