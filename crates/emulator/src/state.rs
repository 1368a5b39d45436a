//! What the emulator remembers: tokens, IDV sessions, AET resources, events, metrics.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};
use sigil_client_core::unix_millis;

use crate::config::EmulatorConfig;
use crate::jwt::Jwt;
use crate::outcome::IdvOutcome;

/// Requests per route and outcome, e.g. `{"advance.generate-token": {"SUCCESS": 1}}`.
pub type Metrics = BTreeMap<String, BTreeMap<String, u64>>;

/// One H5 IDV session.
#[derive(Debug, Clone)]
pub(crate) struct IdvSession {
    pub(crate) return_url: String,
    pub(crate) fail_return_url: String,
    pub(crate) outcome: Option<IdvOutcome>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) struct State {
    pub(crate) config: EmulatorConfig,
    pub(crate) base_url: String,
    pub(crate) jwt: Jwt,
    rng: Mutex<fastrand::Rng>,
    pub(crate) sessions: Mutex<HashMap<String, IdvSession>>,
    scripts: Mutex<HashMap<String, IdvOutcome>>,
    /// AET collections: name → id → object.
    pub(crate) aet: Mutex<BTreeMap<String, BTreeMap<String, Value>>>,
    pub(crate) events: Vec<Value>,
    metrics: Mutex<Metrics>,
}

const EVENT_TYPES: [&str; 5] = ["phishing", "malware", "spam", "dlp", "anomaly"];
const EVENT_STATES: [&str; 3] = ["new", "remediated", "dismissed"];

impl State {
    pub(crate) fn new(config: EmulatorConfig, base_url: String) -> Self {
        let mut rng = config
            .seed
            .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        let key: [u8; 32] = std::array::from_fn(|_| rng.u8(..));
        let start = unix_millis(config.clock.now()) / 1000;
        let events = (0..config.seeded_events)
            .map(|i| {
                json!({
                    "eventId": format!("evt-{:04}", i + 1),
                    "type": EVENT_TYPES[i % EVENT_TYPES.len()],
                    "state": EVENT_STATES[i % EVENT_STATES.len()],
                    "severity": (i % 5) + 1,
                    "customerId": "test",
                    "created": humantime::format_rfc3339_seconds(
                        std::time::UNIX_EPOCH + std::time::Duration::from_secs(start.saturating_sub(3600 * i as u64))
                    ).to_string(),
                    "description": format!("Seeded {} event {}", EVENT_TYPES[i % EVENT_TYPES.len()], i + 1),
                })
            })
            .collect();
        Self {
            config,
            base_url,
            jwt: Jwt::new(key),
            rng: Mutex::new(rng),
            sessions: Mutex::new(HashMap::new()),
            scripts: Mutex::new(HashMap::new()),
            aet: Mutex::new(BTreeMap::new()),
            events,
            metrics: Mutex::new(BTreeMap::new()),
        }
    }

    /// 16 lower-case hex digits, like ADVANCE's transaction and signature ids.
    pub(crate) fn hex_id(&self) -> String {
        format!("{:016x}", lock(&self.rng).u64(..))
    }

    pub(crate) fn now_ms(&self) -> u64 {
        unix_millis(self.config.clock.now())
    }

    pub(crate) fn record(&self, route: &str, outcome: &str) {
        *lock(&self.metrics)
            .entry(route.to_owned())
            .or_default()
            .entry(outcome.to_owned())
            .or_default() += 1;
    }

    pub(crate) fn metrics(&self) -> Metrics {
        lock(&self.metrics).clone()
    }

    pub(crate) fn script_outcome(&self, user_id: &str, outcome: IdvOutcome) {
        lock(&self.scripts).insert(user_id.to_owned(), outcome);
    }

    pub(crate) fn scripted_outcome(&self, user_id: &str) -> Option<IdvOutcome> {
        lock(&self.scripts).get(user_id).cloned()
    }

    /// Records the outcome of an open session; the session, or `None` if unknown.
    pub(crate) fn complete_session(
        &self,
        signature_id: &str,
        outcome: IdvOutcome,
    ) -> Option<IdvSession> {
        let mut sessions = lock(&self.sessions);
        let session = sessions.get_mut(signature_id)?;
        session.outcome = Some(outcome);
        Some(session.clone())
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
