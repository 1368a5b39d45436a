//! What the emulator remembers: tokens, IDV sessions, AET resources, events, metrics.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::UNIX_EPOCH;

use axum::http::HeaderValue;

use crate::sync::lock;

use serde_json::Value;
use sigil_client_core::unix_millis;

use crate::advance::outcome::IdvOutcome;
use crate::avanan::events::EventStore;
use crate::config::EmulatorConfig;
use crate::http::bounded::{BoundedMap, Weight};
use crate::jwt::Jwt;

/// Requests per route and outcome, e.g. `{"advance.generate-token": {"SUCCESS": 1}}`.
pub type Metrics = BTreeMap<String, BTreeMap<String, u64>>;

/// One H5 IDV session.
#[derive(Debug, Clone)]
pub(crate) struct IdvSession {
    pub(crate) return_url: String,
    pub(crate) fail_return_url: String,
    pub(crate) outcome: Option<IdvOutcome>,
    /// When it was opened (emulator clock, epoch milliseconds).
    pub(crate) created_ms: u64,
}

impl Weight for IdvSession {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.return_url.len()
            + self.fail_return_url.len()
            + self.outcome.as_ref().map_or(0, Weight::weight)
    }
}

impl Weight for IdvOutcome {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>()
            + match self {
                IdvOutcome::Forgery(label) => label.as_str().len(),
                _ => 0,
            }
    }
}

/// How long an IDV session (and its H5 page) lives: one hour, as the document says.
pub(crate) const SESSION_LIFETIME_MS: u64 = 3_600_000;

pub(crate) struct State {
    pub(crate) config: EmulatorConfig,
    pub(crate) base_url: String,
    pub(crate) jwt: Jwt,
    rng: Mutex<fastrand::Rng>,
    sessions: Mutex<BoundedMap<IdvSession>>,
    scripts: Mutex<BoundedMap<IdvOutcome>>,
    /// Stored AET objects, all collections together: how many, and their JSON bytes.
    aet_objects: Mutex<(usize, usize)>,
    /// AET collections: name → id → object.
    pub(crate) aet: Mutex<BTreeMap<String, BTreeMap<String, Value>>>,
    /// Avanan's seeded events and the walks over them.
    pub(crate) avanan_events: EventStore,
    metrics: Mutex<Metrics>,
    pub(crate) control_token: Option<String>,
    pub(crate) fault_rng: Mutex<fastrand::Rng>,
    /// Whether any fault is configured (else no request draws from `fault_rng`).
    pub(crate) faults_active: bool,
    /// The last `Date` value made and the clock second it is of.
    http_date: Mutex<Option<(u64, HeaderValue)>>,
}

impl State {
    pub(crate) fn new(mut config: EmulatorConfig, base_url: String) -> Self {
        if config.clock_offset_ms != 0 {
            config.clock = std::sync::Arc::new(sigil_client_core::OffsetClock::shared(
                config.clock.clone(),
                config.clock_offset_ms,
            ));
        }
        let mut rng = config
            .seed
            .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        let key: [u8; 32] = std::array::from_fn(|_| rng.u8(..));
        let avanan_events = EventStore::new(&mut rng, &config);
        let fault_seed = config.faults.seed;
        let faults_active = config.faults.is_active();
        let control_token = config.control_token.clone();
        let limits = config.limits.clone();
        Self {
            config,
            base_url,
            jwt: Jwt::new(key),
            rng: Mutex::new(rng),
            sessions: Mutex::new(BoundedMap::new(limits.max_sessions, limits.max_state_bytes)),
            scripts: Mutex::new(BoundedMap::new(limits.max_scripts, limits.max_state_bytes)),
            aet_objects: Mutex::new((0, 0)),
            aet: Mutex::new(BTreeMap::new()),
            avanan_events,
            metrics: Mutex::new(BTreeMap::new()),
            fault_rng: Mutex::new(fastrand::Rng::with_seed(fault_seed)),
            control_token,
            http_date: Mutex::new(None),
            faults_active,
        }
    }

    /// `Date` for an answer: the emulator clock's time in the HTTP form, made once per clock
    /// second and shared by the answers within it.
    pub(crate) fn http_date(&self) -> Option<HeaderValue> {
        let now = self.config.clock.now();
        let second = now.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs());
        let mut cached = lock(&self.http_date);
        if let (Some(second), Some((made_at, value))) = (second, cached.as_ref())
            && *made_at == second
        {
            return Some(value.clone());
        }
        let value = HeaderValue::from_str(&httpdate::fmt_http_date(now)).ok()?;
        if let Some(second) = second {
            *cached = Some((second, value.clone()));
        }
        Some(value)
    }

    /// 16 lower-case hex digits, like ADVANCE's transaction and signature ids.
    pub(crate) fn hex_id(&self) -> String {
        format!("{:016x}", lock(&self.rng).u64(..))
    }

    pub(crate) fn now_ms(&self) -> u64 {
        unix_millis(self.config.clock.now())
    }

    /// Counts one request of `route` with `outcome` (the names are copied only the first
    /// time they are seen).
    pub(crate) fn record(&self, route: &str, outcome: &str) {
        let mut metrics = lock(&self.metrics);
        if !metrics.contains_key(route) {
            metrics.insert(route.to_owned(), BTreeMap::new());
        }
        let Some(outcomes) = metrics.get_mut(route) else {
            return;
        };
        match outcomes.get_mut(outcome) {
            Some(count) => *count += 1,
            None => {
                outcomes.insert(outcome.to_owned(), 1);
            }
        }
    }

    /// The counters, plus what is held now under `held`: how many sessions, scripts, AET
    /// objects and event walks, and the bytes each holds (`*_bytes`).
    pub(crate) fn metrics(&self) -> Metrics {
        let mut metrics = lock(&self.metrics).clone();
        let held = self.held();
        metrics.insert(
            "held".into(),
            held.into_iter()
                .map(|(k, v)| (k.to_owned(), v as u64))
                .collect(),
        );
        metrics
    }

    pub(crate) fn script_outcome(&self, user_id: &str, outcome: IdvOutcome) {
        lock(&self.scripts).insert(user_id.to_owned(), outcome);
    }

    pub(crate) fn scripted_outcome(&self, user_id: &str) -> Option<IdvOutcome> {
        lock(&self.scripts).get(user_id).cloned()
    }

    /// The open sessions, with those older than an hour dropped.
    fn live_sessions(&self) -> MutexGuard<'_, BoundedMap<IdvSession>> {
        let now = self.now_ms();
        let mut sessions = lock(&self.sessions);
        sessions.expire(|s| now.saturating_sub(s.created_ms) >= SESSION_LIFETIME_MS);
        sessions
    }

    /// Opens a session (the oldest is dropped when the cap is reached).
    pub(crate) fn open_session(&self, signature_id: String, session: IdvSession) {
        self.live_sessions().insert(signature_id, session);
    }

    /// An open, unexpired session.
    pub(crate) fn session(&self, signature_id: &str) -> Option<IdvSession> {
        self.live_sessions().get(signature_id).cloned()
    }

    /// Records the outcome of an open session; the session, or `None` if unknown or expired.
    pub(crate) fn complete_session(
        &self,
        signature_id: &str,
        outcome: IdvOutcome,
    ) -> Option<IdvSession> {
        let mut sessions = self.live_sessions();
        let session = sessions.get_mut(signature_id)?;
        session.outcome = Some(outcome);
        let session = session.clone();
        sessions.reweigh(signature_id);
        Some(session)
    }

    /// How many sessions, scripts, AET objects and event walks are held, and their bytes.
    fn held(&self) -> [(&'static str, usize); 8] {
        let (sessions, session_bytes) = {
            let s = self.live_sessions();
            (s.len(), s.bytes())
        };
        let (scripts, script_bytes) = {
            let s = lock(&self.scripts);
            (s.len(), s.bytes())
        };
        let (walks, walk_bytes) = self.avanan_events.walks_held(self.now_ms());
        let (objects, object_bytes) = *lock(&self.aet_objects);
        [
            ("sessions", sessions),
            ("sessions_bytes", session_bytes),
            ("scripts", scripts),
            ("scripts_bytes", script_bytes),
            ("aet_objects", objects),
            ("aet_objects_bytes", object_bytes),
            ("event_walks", walks),
            ("event_walks_bytes", walk_bytes),
        ]
    }

    /// Reserves room for one more AET object of `bytes` (its JSON); `false` when the object
    /// cap or the byte cap is reached.
    pub(crate) fn reserve_object(&self, bytes: usize) -> bool {
        let limits = &self.config.limits;
        let mut held = lock(&self.aet_objects);
        let fits =
            held.0 < limits.max_objects && held.1.saturating_add(bytes) <= limits.max_state_bytes;
        if fits {
            *held = (held.0 + 1, held.1 + bytes);
        }
        fits
    }

    /// Counts an AET object changed from `old` to `new` bytes; `false` (nothing counted)
    /// when the byte cap would be passed.
    pub(crate) fn resize_object(&self, old: usize, new: usize) -> bool {
        let mut held = lock(&self.aet_objects);
        let total = held.1.saturating_sub(old).saturating_add(new);
        let fits = total <= self.config.limits.max_state_bytes;
        if fits {
            held.1 = total;
        }
        fits
    }

    /// Gives back the room of a deleted AET object of `bytes`.
    pub(crate) fn release_object(&self, bytes: usize) {
        let mut held = lock(&self.aet_objects);
        *held = (held.0.saturating_sub(1), held.1.saturating_sub(bytes));
    }

    /// Whether `|now - millis|` is within the configured window (the bound itself included).
    pub(crate) fn within_window(&self, millis: u64) -> bool {
        self.now_ms().abs_diff(millis)
            <= u64::try_from(self.config.time_window.as_millis()).unwrap_or(u64::MAX)
    }
}

/// Constant-time equality of two byte strings (lengths are public).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
