//! Emulator accounts and settings.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sigil_client_core::{Clock, SystemClock};

use crate::Faults;

/// An ADVANCE credential pair.
#[derive(Clone, PartialEq, Eq)]
pub struct AdvanceAccount {
    /// The accessKey.
    pub access_key: String,
    /// The secretKey.
    pub secret_key: String,
    /// A disabled account answers `ACCOUNT_DISABLED` once its signature checks out.
    pub disabled: bool,
}

impl fmt::Debug for AdvanceAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdvanceAccount")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("disabled", &self.disabled)
            .finish()
    }
}

/// An id and its secret: AET `TOKEN=SECRET`, Avanan `APP_ID=SECRET`, Avanan Infinity
/// `CLIENT_ID=ACCESS_KEY`, ADVANCE `ACCESS_KEY=SECRET_KEY`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The public part (token, app id, access key).
    pub id: String,
    /// The secret.
    pub secret: String,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credential({}=<redacted>)", self.id)
    }
}

/// A `ID=SECRET` argument without `=` or with an empty side.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected ID=SECRET (split at the first '=', both sides non-empty)")]
pub struct CredentialParseError;

impl std::str::FromStr for Credential {
    type Err = CredentialParseError;

    /// Splits at the first `=`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((id, secret)) if !id.is_empty() && !secret.is_empty() => Ok(Self {
                id: id.to_owned(),
                secret: secret.to_owned(),
            }),
            _ => Err(CredentialParseError),
        }
    }
}

/// How the emulator's Avanan `scrollId` cursors behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EventCursors {
    /// As the live service: one `scrollId` for a whole walk, the position kept by the
    /// server; `""` on the last page.
    #[default]
    Stable,
    /// A new `scrollId` for every page, carrying the position (the emulator's earlier form,
    /// kept so that clients are tested against both).
    Rotating,
}

impl std::str::FromStr for EventCursors {
    type Err = String;

    /// `stable` or `rotating`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "stable" => Ok(Self::Stable),
            "rotating" => Ok(Self::Rotating),
            _ => Err(format!(
                "{s:?} is not a cursor mode: use stable or rotating"
            )),
        }
    }
}

/// What the emulator knows and how strict it is.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// The emulator's clock (token expiry, timestamp windows).
    pub clock: Arc<dyn Clock>,
    /// ADVANCE accounts.
    pub advance_accounts: Vec<AdvanceAccount>,
    /// AET API tokens and their secrets.
    pub aet_accounts: Vec<Credential>,
    /// Avanan application ids and their secrets.
    pub avanan_accounts: Vec<Credential>,
    /// Avanan Infinity Portal accounts: client ids and their access keys
    /// (`POST /auth/external`, then `/app/hec-api/v1.0/…` with a bearer token).
    pub avanan_infinity_accounts: Vec<Credential>,
    /// IDV regions (ISO 3166-1 alpha-3) `generate-url` accepts; others get `REGION_WRONG`.
    pub idv_regions: Vec<String>,
    /// Accepted clock difference for ADVANCE timestamps, AET timestamps and Avanan dates
    /// (exactly this much is still accepted).
    pub time_window: Duration,
    /// Seed of the ids the emulator makes up (transaction ids, signature ids); `None`: random.
    pub seed: Option<u64>,
    /// How many Avanan security events are seeded.
    pub seeded_events: usize,
    /// Events per `/v1.0/event/query` page when the query sets no `pageSize` (default 10).
    pub page_size: usize,
    /// How `scrollId` cursors behave (default [`EventCursors::Stable`], as the live service).
    pub event_cursors: EventCursors,
    /// Faults to inject (default none).
    pub faults: Faults,
    /// Milliseconds added to the emulator's clock (negative: behind), as a server whose clock
    /// is off; the `Date` header follows it.
    pub clock_offset_ms: i64,
    /// Overrides the lifetime of ADVANCE and Avanan tokens (to force expiry under load).
    pub token_lifetime: Option<Duration>,
    /// Sizes, counts and timeouts that keep the emulator bounded.
    pub limits: Limits,
    /// The bearer token `/_emulator/*` control routes require. `None`: none on a loopback
    /// address; on any other address the emulator makes one up (see
    /// [`Emulator::control_token`](crate::Emulator::control_token)).
    pub control_token: Option<String>,
}

/// What keeps the emulator bounded, whatever its clients send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once (default 1,024). At the cap, a new connection closes the
    /// oldest one that has no request in flight (idle or half-open); when every one is busy,
    /// it waits in the listen backlog.
    pub max_connections: usize,
    /// Time to send a request's headers; also how long an idle keep-alive or half-open
    /// connection is kept (default 30 s).
    pub header_read_timeout: Duration,
    /// Time to send a request's whole body, however it trickles in (default 30 s).
    pub body_read_timeout: Duration,
    /// How long [`Emulator::shutdown`](crate::Emulator::shutdown) lets requests in flight
    /// finish before it closes the connections still open (default 5 s).
    pub shutdown_grace: Duration,
    /// Request line and headers, in bytes (default 16 KiB; hyper's floor is 8 KiB).
    pub max_header_bytes: usize,
    /// Header fields per request (default 64).
    pub max_headers: usize,
    /// A JSON request body, in bytes (default 64 KiB).
    pub max_json_body: usize,
    /// An AET upload (`POST /v{2,3,4}/documents`), in bytes (default 10 MiB).
    pub max_upload_body: usize,
    /// Open IDV sessions (default 10,000; the oldest is dropped to make room; a session
    /// expires after one hour).
    pub max_sessions: usize,
    /// Scripted IDV outcomes (default 10,000; the oldest is dropped to make room).
    pub max_scripts: usize,
    /// Stored AET objects, all collections together (default 10,000; more are refused with
    /// HTTP 507).
    pub max_objects: usize,
    /// The largest page of an AET collection listing (default 100).
    pub max_page_size: usize,
    /// The largest `pageSize` of an Avanan event query (default 1,000, the limit widely used
    /// integrations ask for); a larger one is refused with HTTP 400.
    pub max_event_page_size: usize,
    /// The bytes each kind of stored state may hold: open IDV sessions, scripted outcomes,
    /// Avanan event walks, AET objects (default 64 MiB each; the oldest sessions, scripts and
    /// walks are dropped to make room, a new AET object is refused with HTTP 507).
    pub max_state_bytes: usize,
    /// Avanan event walks kept at once in the stable cursor mode (default 1,000; the oldest
    /// is dropped to make room; a walk also ends 15 minutes after it started).
    pub max_event_walks: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
            max_header_bytes: 16 * 1024,
            max_headers: 64,
            max_json_body: 64 * 1024,
            max_upload_body: 10 * 1024 * 1024,
            max_sessions: 10_000,
            max_scripts: 10_000,
            max_objects: 10_000,
            max_page_size: 100,
            max_event_page_size: 1000,
            max_event_walks: 1000,
            max_state_bytes: 64 * 1024 * 1024,
        }
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("advance_accounts", &self.advance_accounts)
            .field("aet_accounts", &self.aet_accounts)
            .field("avanan_accounts", &self.avanan_accounts)
            .field("avanan_infinity_accounts", &self.avanan_infinity_accounts)
            .field("idv_regions", &self.idv_regions)
            .field("time_window", &self.time_window)
            .field("event_cursors", &self.event_cursors)
            .field("faults", &self.faults)
            .field("clock_offset_ms", &self.clock_offset_ms)
            .field("token_lifetime", &self.token_lifetime)
            .field("limits", &self.limits)
            .field(
                "control_token",
                &self.control_token.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

/// The documents' sample ADVANCE pair.
pub const SAMPLE_ADVANCE: (&str, &str) = ("sampleaccesskey", "samplesecretkey");
/// A disabled ADVANCE sample account, to see `ACCOUNT_DISABLED`.
pub const SAMPLE_ADVANCE_DISABLED: (&str, &str) = ("disabledaccesskey", "disabledsecretkey");
/// The AET sample pair (the document has none; this one is sigil's).
pub const SAMPLE_AET: (&str, &str) = ("aet-sample-token", "aet-sample-secret");
/// The Avanan sample pair (the secret per the errata).
pub const SAMPLE_AVANAN: (&str, &str) = ("US:myapp29", "my_avanan_secret");
/// The Avanan Infinity Portal sample pair, client id and access key (no document has one;
/// this one is sigil's, shaped like a portal key: 32 hex digits each).
pub const SAMPLE_AVANAN_INFINITY: (&str, &str) = (
    "5a1e6f0c2b3d4e8f9a0b1c2d3e4f5a6b",
    "f0e1d2c3b4a5968778695a4b3c2d1e0f",
);

impl Default for EmulatorConfig {
    /// The documents' sample credentials, the token document's own example pair, `IDN` only,
    /// a 300 s window, 25 seeded events in pages of 10.
    fn default() -> Self {
        let account = |(k, s): (&str, &str), disabled| AdvanceAccount {
            access_key: k.to_owned(),
            secret_key: s.to_owned(),
            disabled,
        };
        let credential = |(id, secret): (&str, &str)| Credential {
            id: id.to_owned(),
            secret: secret.to_owned(),
        };
        Self {
            clock: Arc::new(SystemClock),
            advance_accounts: vec![
                account(SAMPLE_ADVANCE, false),
                account(("19f3bfc87cdb9c33", "440cc5dee302a30b"), false),
                account(SAMPLE_ADVANCE_DISABLED, true),
            ],
            aet_accounts: vec![credential(SAMPLE_AET)],
            avanan_accounts: vec![credential(SAMPLE_AVANAN)],
            avanan_infinity_accounts: vec![credential(SAMPLE_AVANAN_INFINITY)],
            idv_regions: vec!["IDN".to_owned()],
            time_window: Duration::from_secs(300),
            seed: None,
            seeded_events: 25,
            page_size: 10,
            event_cursors: EventCursors::default(),
            faults: Faults::default(),
            clock_offset_ms: 0,
            token_lifetime: None,
            limits: Limits::default(),
            control_token: None,
        }
    }
}

impl EmulatorConfig {
    /// Uses `clock`.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}
