//! Avanan `POST /v1.0/event/query`: the request body checked, every documented filter
//! honoured, and paging as the live service pages: `pageSize` honoured, records oldest
//! first, `recordsNumber` the total that matches, and (in the stable cursor mode) one
//! `scrollId` for a whole walk, the position kept here.

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use crate::EventCursors;
use crate::bounded::Weight;
use crate::state::{SeededEvent, State};

/// How long a walk of the stable cursor mode lives after it started (15 minutes).
pub(crate) const EVENT_WALK_LIFETIME_MS: u64 = 15 * 60 * 1000;

/// One walk of the stable cursor mode: whose it is, what it asked, where it stands.
#[derive(Debug, Clone)]
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

/// Answers one event query for the account whose scope is `scope`; `Err` is the reason for
/// an HTTP 400.
pub(crate) fn query(state: &State, body: &[u8], scope: &str) -> Result<EventPage, String> {
    let filter = EventFilter::parse(body)?;
    let page_size = match filter.page_size {
        None => state.config.page_size.max(1),
        Some(n) if n >= 1 && n <= state.config.limits.max_event_page_size => n,
        Some(_) => {
            return Err(format!(
                "pageSize must be between 1 and {}",
                state.config.limits.max_event_page_size
            ));
        }
    };
    let matching = |filter: &EventFilter| -> Vec<&SeededEvent> {
        state
            .events
            .iter()
            .filter(|e| filter.matches(e, scope))
            .collect()
    };
    match state.config.event_cursors {
        EventCursors::Rotating => {
            let offset = match filter.scroll_id.as_deref() {
                None => 0,
                Some(cursor) => state
                    .decode_cursor(cursor)
                    .ok_or_else(|| "invalid scrollId".to_owned())?,
            };
            let all = matching(&filter);
            let records: Vec<Value> = all
                .iter()
                .skip(offset)
                .take(page_size)
                .map(|e| e.record.clone())
                .collect();
            let next = offset + records.len();
            let scroll_id = if next < all.len() {
                state.encode_cursor(next)
            } else {
                String::new()
            };
            Ok(EventPage {
                records,
                total: all.len(),
                scroll_id,
            })
        }
        EventCursors::Stable => {
            let mut walks = state.live_walks();
            let (walk_id, walk) = match filter.scroll_id.clone() {
                Some(id) => {
                    let walk = walks
                        .get(&id)
                        .filter(|w| w.scope == scope && !w.finished)
                        .cloned()
                        .ok_or_else(|| "invalid or expired scrollId".to_owned())?;
                    (id, walk)
                }
                None => (
                    format!("{}{}", state.hex_id(), state.hex_id()),
                    EventWalk {
                        scope: scope.to_owned(),
                        filter,
                        next: 0,
                        finished: false,
                        created_ms: state.now_ms(),
                    },
                ),
            };
            let all = matching(&walk.filter);
            let records: Vec<Value> = all
                .iter()
                .skip(walk.next)
                .take(page_size)
                .map(|e| e.record.clone())
                .collect();
            let next = walk.next + records.len();
            let more = next < all.len();
            let known = walks.get(&walk_id).is_some();
            if known {
                if let Some(kept) = walks.get_mut(&walk_id) {
                    kept.next = next;
                    kept.finished = !more;
                }
                walks.reweigh(&walk_id);
            } else if more {
                walks.insert(walk_id.clone(), EventWalk { next, ..walk });
            }
            Ok(EventPage {
                records,
                total: all.len(),
                scroll_id: if more { walk_id } else { String::new() },
            })
        }
    }
}

/// A parsed `requestData`.
#[derive(Debug, Default, Clone)]
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
