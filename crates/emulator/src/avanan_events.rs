//! Avanan `POST /v1.0/event/query`: the request body checked, every documented filter
//! honoured.

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use crate::state::SeededEvent;

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
}

/// An ISO 8601 date as clients send it: `…Z`, `…+00:00` (or another offset), or no zone
/// (UTC), with or without fractional seconds.
pub(crate) fn parse_iso(text: &str) -> Option<SystemTime> {
    let text = text.trim();
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
        ] {
            assert!(EventFilter::parse(bad).is_err(), "{bad:?}");
        }
        let ok =
            EventFilter::parse(br#"{"requestData": {"endDate": null, "severities": [4, "5"]}}"#)
                .unwrap();
        assert_eq!(ok.severities, Some(vec!["4".into(), "5".into()]));
    }
}
