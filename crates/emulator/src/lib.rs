//! An offline emulator of the ADVANCE.AI, AET and Avanan APIs: a real HTTP server that checks
//! every request exactly as the vendor documents describe and answers with the documented
//! codes and messages.
//!
//! * **ADVANCE**: `generate-token` under every region's path prefix; H5 IDV `generate-url` and
//!   `get-result` under both known path prefixes; an H5 page where a tester picks the outcome.
//! * **AET**: every request under `/v2/`, `/v3/`, `/v4/` authenticated (bearer token, timestamp
//!   window, HMAC signature over the request as received), then a small in-memory resource set.
//! * **Avanan**: `/v1.0/auth`, then `x-av-token` and `x-av-sig` on every call; `/v1.0/scopes`
//!   and `/v1.0/event/query` with `scrollId` paging over seeded events.
//! * `GET /_emulator/metrics` counts requests per route and outcome.
//!
//! Signatures are checked with `sigil-reference`, the plain implementation, not with the
//! optimised signer the clients use, so the two keep each other honest.
//!
//! ```
//! use sigil_emulator::{Emulator, EmulatorConfig};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let emulator = Emulator::start_local(EmulatorConfig::default()).await?;
//! println!("listening on {}", emulator.base_url());
//! assert_eq!(emulator.metrics()["held"]["sessions"], 0);
//! emulator.shutdown().await
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod advance;
mod aet;
mod avanan;
mod config;
mod http;
mod jwt;
mod state;
mod sync;
mod vendor;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use advance::outcome::IdvOutcome;
pub use config::{
    AdvanceAccount, Credential, CredentialParseError, EmulatorConfig, EventCursors, Limits,
    SAMPLE_ADVANCE, SAMPLE_ADVANCE_DISABLED, SAMPLE_AET, SAMPLE_AVANAN, SAMPLE_AVANAN_INFINITY,
};
pub use http::faults::Faults;
pub use state::Metrics;
use state::State;

/// A running emulator. Dropping it without [`shutdown`](Self::shutdown) aborts the server.
pub struct Emulator {
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Binds `addr` (port 0 for an ephemeral port) and starts serving. On an address that
    /// is not loopback the `/_emulator/*` control routes require a bearer token: the
    /// configured one, or one made up here ([`control_token`](Self::control_token)).
    pub async fn start(addr: SocketAddr, mut config: EmulatorConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        if config.control_token.is_none() && !addr.ip().is_loopback() {
            let mut rng = fastrand::Rng::new();
            config.control_token = Some(format!("{:016x}{:016x}", rng.u64(..), rng.u64(..)));
        }
        let limits = config.limits.clone();
        let state = Arc::new(State::new(config, format!("http://{addr}")));
        // The handlers read their bodies through the limits `guard::handle` sets per route,
        // so axum's own default limit is off: set once around the router rather than per
        // route (a route layer would box every route a second time).
        let router = tower::Layer::layer(
            &axum::extract::DefaultBodyLimit::disable(),
            router(state.clone()),
        );
        let (shutdown, stop) = watch::channel(false);
        let guarded_state = state.clone();
        let handle =
            move |request| http::guard::handle(guarded_state.clone(), router.clone(), request);
        let task = tokio::spawn(http::server::serve(listener, handle, limits, stop));
        Ok(Self {
            addr,
            state,
            shutdown,
            task: Some(task),
        })
    }

    /// Starts on `127.0.0.1` with any free port: what tests, examples and local tools want.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// let emulator = sigil_emulator::Emulator::start_local(Default::default()).await?;
    /// println!("listening on {}", emulator.base_url());
    /// # emulator.shutdown().await }
    /// ```
    pub async fn start_local(config: EmulatorConfig) -> std::io::Result<Self> {
        Self::start(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    /// The bearer token the `/_emulator/*` control routes require, if any.
    pub fn control_token(&self) -> Option<&str> {
        self.state.control_token.as_deref()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests so far, per route and outcome.
    pub fn metrics(&self) -> Metrics {
        self.state.metrics()
    }

    /// Makes every IDV session opened for `user_id` complete at once with `outcome`.
    pub fn script_idv_outcome(&self, user_id: &str, outcome: IdvOutcome) {
        self.state.script_outcome(user_id, outcome);
    }

    /// Completes an open IDV session as if the user had picked `outcome` on the H5 page;
    /// `false` if there is no such session.
    pub fn complete_idv(&self, signature_id: &str, outcome: IdvOutcome) -> bool {
        self.state.complete_session(signature_id, outcome).is_some()
    }

    /// Stops accepting connections, lets requests in flight finish for at most
    /// [`Limits::shutdown_grace`], closes the connections still open, and returns.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        let _ = self.shutdown.send(true);
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }

    /// Serves until the server fails (for the `sigil emulator` command, which stops on
    /// Ctrl-C by dropping this future).
    pub async fn serve_forever(mut self) -> std::io::Result<()> {
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

fn router(state: Arc<State>) -> axum::Router {
    axum::Router::new()
        .merge(advance::routes())
        .merge(advance::h5::routes())
        .merge(aet::routes())
        .merge(avanan::routes())
        .route("/_emulator/metrics", axum::routing::get(metrics))
        .fallback(not_found)
        .with_state(state)
}

async fn metrics(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
) -> axum::Json<Metrics> {
    axum::Json(state.metrics())
}

async fn not_found(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    uri: axum::http::Uri,
) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    state.record("unknown", "404");
    (
        axum::http::StatusCode::NOT_FOUND,
        axum::Json(
            serde_json::json!({"error": "not_found", "message": format!("no route for {}", uri.path())}),
        ),
    )
}

/// The crate's README, whose examples compile (and, where they need no network, run) as doc
/// tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
