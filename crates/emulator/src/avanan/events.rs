//! Avanan `POST /v1.0/event/query`: the request body checked, every documented filter
//! honoured, and paging as the live service pages: `pageSize` honoured, records oldest
//! first, `recordsNumber` the total that matches, and (in the stable cursor mode) one
//! `scrollId` for a whole walk, the position kept here.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value, json};

use crate::EventCursors;
use crate::config::EmulatorConfig;
use crate::http::bounded::{BoundedMap, Weight};
use crate::sync::lock;

/// How long a walk of the stable cursor mode lives after it started (15 minutes).
pub(crate) const EVENT_WALK_LIFETIME_MS: u64 = 15 * 60 * 1000;

/// One walk of the stable cursor mode: whose it is, what it asked, where it stands.
#[derive(Debug)]
pub(crate) struct EventWalk {
    scope: String,
    filter: EventFilter,
    next: usize,
    finished: bool,
    pub(crate) created_ms: u64,
}

impl Weight for EventWalk {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + self.scope.len() + self.filter.weight()
    }
}

/// Avanan's seeded events and the walks over them (stable cursor mode).
pub(crate) struct EventStore {
    /// Seeded events, oldest first.
    events: Vec<SeededEvent>,
    /// Keys the rotating `scrollId` cursors.
    cursor_key: u64,
    /// Event walks of the stable cursor mode, by `scrollId`.
    walks: Mutex<BoundedMap<EventWalk>>,
}

impl EventStore {
    /// `config.seeded_events` events ending now, and room for the walks.
    pub(crate) fn new(rng: &mut fastrand::Rng, config: &EmulatorConfig) -> Self {
        let events = seed_events(rng, config.seeded_events, config.clock.now());
        let limits = &config.limits;
        Self {
            events,
            cursor_key: rng.u64(..),
            walks: Mutex::new(BoundedMap::new(
                limits.max_event_walks,
                limits.max_state_bytes,
            )),
        }
    }

    /// The record of the event `id`.
    pub(crate) fn find(&self, id: &str) -> Option<&Value> {
        self.events
            .iter()
            .find(|e| e.record["eventId"] == id)
            .map(|e| &e.record)
    }

    /// How many walks are held at `now_ms`, and their bytes.
    pub(crate) fn walks_held(&self, now_ms: u64) -> (usize, usize) {
        let walks = self.live_walks(now_ms);
        (walks.len(), walks.bytes())
    }

    /// The walks of the stable cursor mode, with those past their lifetime dropped.
    fn live_walks(&self, now_ms: u64) -> MutexGuard<'_, BoundedMap<EventWalk>> {
        let mut walks = lock(&self.walks);
        walks.expire(|w| now_ms.saturating_sub(w.created_ms) >= EVENT_WALK_LIFETIME_MS);
        walks
    }

    /// The page of the events `filter` matches for `scope` that starts at `from`: its
    /// records, how many match in all, and where the next page starts.
    fn page(
        &self,
        filter: &EventFilter,
        scope: &str,
        from: usize,
        size: usize,
    ) -> (Vec<Value>, usize, usize) {
        let all: Vec<&SeededEvent> = self
            .events
            .iter()
            .filter(|e| filter.matches(e, scope))
            .collect();
        let records: Vec<Value> = all
            .iter()
            .skip(from)
            .take(size)
            .map(|e| e.record.clone())
            .collect();
        let next = from + records.len();
        (records, all.len(), next)
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
}

/// A page of an event query.
#[derive(Debug)]
pub(crate) struct EventPage {
    /// The records, oldest first.
    pub(crate) records: Vec<Value>,
    /// How many records match the query in all.
    pub(crate) total: usize,
    /// The cursor of the next page; empty when there is no more.
    pub(crate) scroll_id: String,
}

impl EventStore {
    /// Answers one event query for the account whose scope is `scope` at `now_ms`; `Err` is the
    /// reason for an HTTP 400. `new_id` makes a walk's `scrollId`.
    pub(crate) fn query(
        &self,
        config: &EmulatorConfig,
        now_ms: u64,
        mut new_id: impl FnMut() -> String,
        body: &[u8],
        scope: &str,
    ) -> Result<EventPage, String> {
        let filter = EventFilter::parse(body)?;
        let page_size = match filter.page_size {
            None => config.page_size.max(1),
            Some(n) if n >= 1 && n <= config.limits.max_event_page_size => n,
            Some(_) => {
                return Err(format!(
                    "pageSize must be between 1 and {}",
                    config.limits.max_event_page_size
                ));
            }
        };
        match config.event_cursors {
            EventCursors::Rotating => {
                let offset = match filter.scroll_id.as_deref() {
                    None => 0,
                    Some(cursor) => self
                        .decode_cursor(cursor)
                        .ok_or_else(|| "invalid scrollId".to_owned())?,
                };
                let (records, total, next) = self.page(&filter, scope, offset, page_size);
                let scroll_id = if next < total {
                    self.encode_cursor(next)
                } else {
                    String::new()
                };
                Ok(EventPage {
                    records,
                    total,
                    scroll_id,
                })
            }
            EventCursors::Stable => {
                let mut walks = self.live_walks(now_ms);
                match filter.scroll_id.clone() {
                    // A walk under way: its own query, from where it stands.
                    Some(id) => {
                        let walk = walks
                            .get(&id)
                            .filter(|w| w.scope == scope && !w.finished)
                            .ok_or_else(|| "invalid or expired scrollId".to_owned())?;
                        let (records, total, next) =
                            self.page(&walk.filter, scope, walk.next, page_size);
                        let more = next < total;
                        // Only `next` and `finished` change: the walk's weight stays as
                        // counted.
                        if let Some(walk) = walks.get_mut(&id) {
                            walk.next = next;
                            walk.finished = !more;
                        }
                        Ok(EventPage {
                            records,
                            total,
                            scroll_id: if more { id } else { String::new() },
                        })
                    }
                    // A new walk, kept only when there is more than this page.
                    None => {
                        let (records, total, next) = self.page(&filter, scope, 0, page_size);
                        let scroll_id = if next < total {
                            let id = new_id();
                            walks.insert(
                                id.clone(),
                                EventWalk {
                                    scope: scope.to_owned(),
                                    filter,
                                    next,
                                    finished: false,
                                    created_ms: now_ms,
                                },
                            );
                            id
                        } else {
                            String::new()
                        };
                        Ok(EventPage {
                            records,
                            total,
                            scroll_id,
                        })
                    }
                }
            }
        }
    }
}

/// A parsed `requestData`.
#[derive(Debug, Default)]
pub(crate) struct EventFilter {
    start: Option<SystemTime>,
    end: Option<SystemTime>,
    saas: Option<Vec<String>>,
    types: Option<Vec<String>>,
    states: Option<Vec<String>>,
    severities: Option<Vec<String>>,
    ids: Option<Vec<String>>,
    scopes: Option<Vec<String>>,
    confidence: Option<String>,
    description: Option<String>,
    pub(crate) scroll_id: Option<String>,
    page_size: Option<usize>,
}

impl Weight for EventFilter {
    fn weight(&self) -> usize {
        let list = |l: &Option<Vec<String>>| {
            l.as_ref()
                .map_or(0, |l| l.iter().map(|s| s.len() + 24).sum::<usize>())
        };
        let text = |t: &Option<String>| t.as_ref().map_or(0, String::len);
        list(&self.saas)
            + list(&self.types)
            + list(&self.states)
            + list(&self.severities)
            + list(&self.ids)
            + list(&self.scopes)
            + text(&self.confidence)
            + text(&self.description)
            + text(&self.scroll_id)
    }
}

/// An ISO 8601 date as clients send it: `…Z`, `…+00:00` (or another offset), or no zone
/// (UTC), with or without fractional seconds; or a date alone (`2026-12-01`, midnight UTC).
pub(crate) fn parse_iso(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let is_date_only = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if is_date_only {
        return humantime::parse_rfc3339_weak(&format!("{text}T00:00:00")).ok();
    }
    let (local, offset_s) = if let Some(t) = text.strip_suffix('Z') {
        (t, 0i64)
    } else if text.len() > 6
        && text.is_char_boundary(text.len() - 6)
        && matches!(&text[text.len() - 6..text.len() - 5], "+" | "-")
        && &text[text.len() - 3..text.len() - 2] == ":"
    {
        let (t, zone) = text.split_at(text.len() - 6);
        let hours: i64 = zone[1..3].parse().ok()?;
        let minutes: i64 = zone[4..6].parse().ok()?;
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        (t, sign * (hours * 3600 + minutes * 60))
    } else {
        (text, 0)
    };
    let t = humantime::parse_rfc3339_weak(local).ok()?;
    let shift = Duration::from_secs(offset_s.unsigned_abs());
    if offset_s >= 0 {
        t.checked_sub(shift)
    } else {
        t.checked_add(shift)
    }
}

fn strings(data: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, String> {
    match data.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(format!("{key} must be a list of strings")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(format!("{key} must be a list of strings")),
    }
}

fn text(data: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match data.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{key} must be a string")),
    }
}

fn date(data: &Map<String, Value>, key: &str) -> Result<Option<SystemTime>, String> {
    text(data, key)?
        .map(|t| parse_iso(&t).ok_or_else(|| format!("{key} is not an ISO 8601 date")))
        .transpose()
}

impl EventFilter {
    /// Parses the body `{"requestData": {...}}`; `Err` says what is wrong with it.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, String> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|_| "the body must be JSON: {\"requestData\": {...}}".to_owned())?;
        let Some(data) = value.get("requestData").and_then(Value::as_object) else {
            return Err("the body must be {\"requestData\": {...}}".into());
        };
        Ok(Self {
            start: date(data, "startDate")?,
            end: date(data, "endDate")?,
            saas: strings(data, "saas")?,
            types: strings(data, "eventTypes")?,
            states: strings(data, "eventStates")?,
            severities: strings(data, "severities")?,
            ids: strings(data, "eventIds")?,
            scopes: strings(data, "scopes")?,
            confidence: text(data, "confidenceIndicator")?,
            description: text(data, "description")?,
            scroll_id: text(data, "scrollId")?.filter(|s| !s.is_empty()),
            page_size: match data.get("pageSize") {
                None | Some(Value::Null) => None,
                Some(Value::Number(n)) => Some(
                    n.as_u64()
                        .and_then(|n| usize::try_from(n).ok())
                        .ok_or_else(|| "pageSize must be a positive integer".to_owned())?,
                ),
                Some(_) => return Err("pageSize must be a positive integer".into()),
            },
        })
    }

    /// Whether `event` (answered to an account whose scope is `scope`) matches.
    pub(crate) fn matches(&self, event: &SeededEvent, scope: &str) -> bool {
        let field = |key: &str| event.record[key].as_str().unwrap_or("");
        let any = |list: &Option<Vec<String>>, value: &str| {
            list.as_ref().is_none_or(|l| l.iter().any(|x| x == value))
        };
        self.start.is_none_or(|s| event.created >= s)
            && self.end.is_none_or(|e| event.created <= e)
            && any(&self.saas, field("saas"))
            && any(&self.types, field("type"))
            && any(&self.states, field("state"))
            && any(&self.severities, field("severity"))
            && any(&self.ids, field("eventId"))
            && any(&self.scopes, scope)
            && self
                .confidence
                .as_ref()
                .is_none_or(|c| c == field("confidenceIndicator"))
            && self.description.as_ref().is_none_or(|d| {
                field("description")
                    .to_lowercase()
                    .contains(&d.to_lowercase())
            })
    }
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

/// SplitMix64's finaliser: a cheap keyed check on cursors (not a security boundary).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_form_clients_send() {
        let t = parse_iso("2023-06-30T15:14:58.463039+00:00").unwrap();
        assert_eq!(parse_iso("2023-06-30T15:14:58.463039Z"), Some(t));
        assert_eq!(parse_iso("2023-06-30T15:14:58.463039"), Some(t));
        assert_eq!(parse_iso("2023-06-30T17:14:58.463039+02:00"), Some(t));
        assert_eq!(parse_iso("2023-06-30T13:14:58.463039-02:00"), Some(t));
        assert_eq!(parse_iso("yesterday"), None);
        let midnight = parse_iso("2026-12-01T00:00:00Z").unwrap();
        assert_eq!(parse_iso("2026-12-01"), Some(midnight));
        assert_eq!(parse_iso("2026-1-011"), None);
        assert_eq!(parse_iso("é+00:00"), None);
    }

    #[test]
    fn malformed_bodies_are_refused() {
        for bad in [
            &b""[..],
            b"not json",
            b"[]",
            b"{}",
            br#"{"requestData": []}"#,
            br#"{"requestData": {"saas": "office365_emails"}}"#,
            br#"{"requestData": {"startDate": "soon"}}"#,
            br#"{"requestData": {"severities": [{}]}}"#,
            br#"{"requestData": {"pageSize": "10"}}"#,
            br#"{"requestData": {"pageSize": -1}}"#,
            br#"{"requestData": {"pageSize": 1.5}}"#,
        ] {
            assert!(EventFilter::parse(bad).is_err(), "{bad:?}");
        }
        let ok =
            EventFilter::parse(br#"{"requestData": {"endDate": null, "severities": [4, "5"]}}"#)
                .unwrap();
        assert_eq!(ok.severities, Some(vec!["4".into(), "5".into()]));
    }
}
