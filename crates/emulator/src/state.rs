//! What the emulator remembers: tokens, IDV sessions, AET resources, events, metrics.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};
use sigil_client_core::unix_millis;

use crate::avanan_events::{EVENT_WALK_LIFETIME_MS, EventWalk};
use crate::bounded::{BoundedMap, Weight};
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

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

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
    /// Seeded events, oldest first.
    pub(crate) events: Vec<SeededEvent>,
    /// Keys the rotating `scrollId` cursors.
    cursor_key: u64,
    /// Event walks of the stable cursor mode, by `scrollId`.
    walks: Mutex<BoundedMap<EventWalk>>,
    metrics: Mutex<Metrics>,
    pub(crate) faults: crate::Faults,
    pub(crate) control_token: Option<String>,
    pub(crate) fault_rng: Mutex<fastrand::Rng>,
}

/// One seeded Avanan security event: its creation time (for date filters) and its record,
/// without `customerId` (filled in per account when answered).
pub(crate) struct SeededEvent {
    pub(crate) created: std::time::SystemTime,
    pub(crate) record: Value,
}

/// The SaaS names the recorded answers show.
const EVENT_SAAS: [&str; 2] = ["office365_emails", "google_mail"];
const EVENT_TYPES: [&str; 5] = ["phishing", "malware", "spam", "dlp", "anomaly"];
const EVENT_STATES: [&str; 3] = ["new", "remediated", "dismissed"];
const EVENT_CONFIDENCE: [&str; 3] = ["malicious", "suspicious", "clean"];

/// `2023-06-30T15:14:58.463039+00:00`: microseconds and `+00:00`, as the live service writes
/// `eventCreated`.
pub(crate) fn avanan_time(t: std::time::SystemTime) -> String {
    let text = humantime::format_rfc3339_micros(t).to_string();
    format!("{}+00:00", text.trim_end_matches('Z'))
}

/// Seeded events spread over days, oldest first (the order the live service answers in),
/// with varied SaaS, types, states, severities and confidence, in the shape and field types
/// of the recorded live answers (`data` a string, `additionalData` and
/// `availableEventActions` null).
fn seed_events(
    rng: &mut fastrand::Rng,
    count: usize,
    now: std::time::SystemTime,
) -> Vec<SeededEvent> {
    let mut hex32 = || format!("{:016x}{:016x}", rng.u64(..), rng.u64(..));
    (0..count)
        .map(|i| {
            // 7 h 13 min and a few microseconds apart: several days for the default 25; the
            // last one is the newest.
            let age = std::time::Duration::from_micros(
                ((count - 1 - i) as u64).saturating_mul(26_000_000_000 + 463_039),
            );
            let created = now.checked_sub(age).unwrap_or(std::time::UNIX_EPOCH);
            let kind = EVENT_TYPES[i % EVENT_TYPES.len()];
            let saas = EVENT_SAAS[i % EVENT_SAAS.len()];
            let record = json!({
                "eventId": hex32(),
                "saas": saas,
                "entityId": hex32(),
                "state": EVENT_STATES[i % EVENT_STATES.len()],
                "type": kind,
                "confidenceIndicator": EVENT_CONFIDENCE[(i / 2) % EVENT_CONFIDENCE.len()],
                "eventCreated": avanan_time(created),
                "severity": (((i + i / 5) % 5) + 1).to_string(),
                "description": format!("Seeded {kind} event {} on {saas}", i + 1),
                "data": format!("A {kind} event was detected in {saas} (seeded event {})", i + 1),
                "additionalData": null,
                "availableEventActions": null,
                "actions": [],
            });
            SeededEvent { created, record }
        })
        .collect()
}

impl State {
    pub(crate) fn new(mut config: EmulatorConfig, base_url: String) -> Self {
        if config.clock_offset_ms != 0 {
            config.clock = std::sync::Arc::new(crate::config::OffsetClock {
                inner: config.clock.clone(),
                offset_ms: config.clock_offset_ms,
            });
        }
        let mut rng = config
            .seed
            .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        let key: [u8; 32] = std::array::from_fn(|_| rng.u8(..));
        let events = seed_events(&mut rng, config.seeded_events, config.clock.now());
        let cursor_key = rng.u64(..);
        let faults = config.faults.clone();
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
            events,
            cursor_key,
            walks: Mutex::new(BoundedMap::new(
                limits.max_event_walks,
                limits.max_state_bytes,
            )),
            metrics: Mutex::new(BTreeMap::new()),
            fault_rng: Mutex::new(fastrand::Rng::with_seed(faults.seed)),
            control_token,
            faults,
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
        let (walks, walk_bytes) = {
            let w = self.live_walks();
            (w.len(), w.bytes())
        };
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

    /// The walks of the stable cursor mode, with those past their lifetime dropped.
    pub(crate) fn live_walks(&self) -> MutexGuard<'_, BoundedMap<EventWalk>> {
        let now = self.now_ms();
        let mut walks = lock(&self.walks);
        walks.expire(|w| now.saturating_sub(w.created_ms) >= EVENT_WALK_LIFETIME_MS);
        walks
    }

    /// An opaque 32-hex `scrollId` for `offset`, as the live service's cursors look.
    pub(crate) fn encode_cursor(&self, offset: usize) -> String {
        let offset = offset as u64;
        format!("{offset:016x}{:016x}", mix(offset ^ self.cursor_key))
    }

    /// The offset of a cursor this emulator made.
    pub(crate) fn decode_cursor(&self, cursor: &str) -> Option<usize> {
        if cursor.len() != 32 || !cursor.is_ascii() {
            return None;
        }
        let offset = u64::from_str_radix(&cursor[..16], 16).ok()?;
        let check = u64::from_str_radix(&cursor[16..], 16).ok()?;
        (check == mix(offset ^ self.cursor_key))
            .then(|| usize::try_from(offset).ok())
            .flatten()
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

/// SplitMix64's finaliser: a cheap keyed check on cursors (not a security boundary).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
