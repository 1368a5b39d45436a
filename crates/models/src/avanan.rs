//! Avanan (Check Point HEC): the response envelope, scopes and the event query.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// The request headers of every Avanan call.
pub mod headers {
    /// Fresh UUID per request.
    pub const REQ_ID: &str = "x-av-req-id";
    /// The access token (empty, or absent, on `/auth`).
    pub const TOKEN: &str = "x-av-token";
    /// The application id, e.g. `US:myapp29`.
    pub const APP_ID: &str = "x-av-app-id";
    /// The date, signed exactly as sent.
    pub const DATE: &str = "x-av-date";
    /// The signature.
    pub const SIG: &str = "x-av-sig";
    /// Infinity Portal mode: the comma-separated scopes a multi-tenant key acts for.
    pub const SCOPES: &str = "scopes";
}

/// The seven regions (base `https://<host>/v1.0/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Region {
    /// United States.
    Us,
    /// Europe.
    Eu,
    /// Australia.
    Au,
    /// Canada.
    Ca,
    /// United Kingdom.
    Uk,
    /// India.
    In,
    /// United Arab Emirates.
    Uae,
}

impl Region {
    /// All seven.
    pub const ALL: [Region; 7] = [
        Region::Us,
        Region::Eu,
        Region::Au,
        Region::Ca,
        Region::Uk,
        Region::In,
        Region::Uae,
    ];

    /// The short id used on the command line.
    pub const fn id(self) -> &'static str {
        match self {
            Region::Us => "US",
            Region::Eu => "EU",
            Region::Au => "AU",
            Region::Ca => "CA",
            Region::Uk => "UK",
            Region::In => "IN",
            Region::Uae => "UAE",
        }
    }

    /// Looks a region up by its short id (case-insensitive).
    pub fn from_id(id: &str) -> Option<Region> {
        Region::ALL
            .into_iter()
            .find(|r| r.id().eq_ignore_ascii_case(id))
    }

    /// The API host.
    pub const fn host(self) -> &'static str {
        match self {
            Region::Us => "smart-api-production-1-us.avanan.net",
            Region::Eu => "smart-api-production-1-eu.avanan.net",
            Region::Au => "smart-api-production-5-ap.avanan.net",
            Region::Ca => "smart-api-production-1-ca.avanan.net",
            Region::Uk => "smart-api-production-1-euw2.avanan.net",
            Region::In => "smart-api-production-1-aps1.avanan.net",
            Region::Uae => "smart-api-production-1-mec1.avanan.net",
        }
    }

    /// The origin, `https://<host>`.
    pub fn origin(self) -> String {
        format!("https://{}", self.host())
    }

    /// The region's Check Point Infinity Portal gateway (the second way into the same API;
    /// see [`infinity`]).
    pub const fn infinity_host(self) -> &'static str {
        match self {
            Region::Us => "cloudinfra-gw-us.portal.checkpoint.com",
            Region::Eu => "cloudinfra-gw.portal.checkpoint.com",
            Region::Au => "cloudinfra-gw.ap.portal.checkpoint.com",
            Region::Ca => "cloudinfra-gw.ca.portal.checkpoint.com",
            Region::Uk => "cloudinfra-gw.uk.portal.checkpoint.com",
            Region::In => "cloudinfra-gw.in.portal.checkpoint.com",
            Region::Uae => "cloudinfra-gw.me.portal.checkpoint.com",
        }
    }

    /// The Infinity gateway's origin, `https://<gateway>`.
    pub fn infinity_origin(self) -> String {
        format!("https://{}", self.infinity_host())
    }
}

/// Check Point Infinity Portal mode: a client id and an access key exchanged at
/// `POST /auth/external` for a bearer token; the API under [`API_PREFIX`](infinity::API_PREFIX)
/// with `Authorization: Bearer`, nothing signed.
pub mod infinity {
    use core::fmt;

    use serde::{Deserialize, Serialize};

    /// The token route on the gateway.
    pub const AUTH_PATH: &str = "/auth/external";
    /// What goes before the `/v1.0/…` path of every call on the gateway.
    pub const API_PREFIX: &str = "/app/hec-api";

    /// Whether `host` is a Check Point Infinity gateway, anchored as careful integrations
    /// check it: the host ends in `.portal.checkpoint.com` and its first label starts with
    /// `cloudinfra`. Case-insensitive; a trailing dot and a port are ignored. Never a substring
    /// test: `cloudinfra.evil.example` and `cloudinfra-gw.portal.checkpoint.com.evil.example`
    /// are not gateways.
    ///
    /// ```
    /// use sigil_models::avanan::infinity::is_gateway_host;
    /// assert!(is_gateway_host("cloudinfra-gw-us.portal.checkpoint.com"));
    /// assert!(is_gateway_host("CloudInfra-GW.ap.portal.checkpoint.com:443"));
    /// assert!(!is_gateway_host("cloudinfra.evil.example"));
    /// assert!(!is_gateway_host("evil-cloudinfra.portal.checkpoint.com"));
    /// assert!(!is_gateway_host("smart-api-production-1-us.avanan.net"));
    /// ```
    pub fn is_gateway_host(host: &str) -> bool {
        const SUFFIX: &str = ".portal.checkpoint.com";
        let host = match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        };
        let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        let Some(rest) = host.strip_suffix(SUFFIX) else {
            return false;
        };
        let first = rest.split('.').next().unwrap_or("");
        first.starts_with("cloudinfra")
            && rest.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    }

    /// The body of `POST /auth/external`. Its `Debug` hides the access key.
    #[derive(Clone, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ExternalAuthRequest<'a> {
        /// The client id.
        pub client_id: &'a str,
        /// The access key (a secret).
        pub access_key: &'a str,
    }

    impl fmt::Debug for ExternalAuthRequest<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("ExternalAuthRequest")
                .field("client_id", &self.client_id)
                .field("access_key", &"<redacted>")
                .finish()
        }
    }

    /// The answer of `POST /auth/external`: `success` and, on success, `data`.
    #[derive(Clone, Deserialize)]
    pub struct ExternalAuthResponse {
        /// Whether the exchange succeeded (`false` is a failure whatever the status).
        #[serde(default)]
        pub success: bool,
        /// The token and its lifetime.
        #[serde(default)]
        pub data: Option<ExternalAuthData>,
        /// A message, on failure.
        #[serde(default)]
        pub message: Option<String>,
    }

    /// `data` of a successful `POST /auth/external`. Its `Debug` hides the token.
    #[derive(Clone, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ExternalAuthData {
        /// The bearer token.
        #[serde(default)]
        pub token: Option<String>,
        /// Its lifetime in seconds, as the server declares it.
        #[serde(default)]
        pub expires_in: Option<serde_json::Value>,
    }

    impl fmt::Debug for ExternalAuthResponse {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("ExternalAuthResponse")
                .field("success", &self.success)
                .field("data", &self.data)
                .field("message", &self.message)
                .finish()
        }
    }

    impl fmt::Debug for ExternalAuthData {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("ExternalAuthData")
                .field("token", &self.token.as_ref().map(|_| "<redacted>"))
                .field("expires_in", &self.expires_in)
                .finish()
        }
    }
}

/// `responseEnvelope` of every Avanan response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseEnvelope {
    /// The request id (echoes `x-av-req-id`).
    #[serde(default)]
    pub request_id: Option<String>,
    /// HTTP-like status, e.g. 200.
    #[serde(default)]
    pub response_code: Option<i64>,
    /// Status text.
    #[serde(default)]
    pub response_text: Option<String>,
    /// More text.
    #[serde(default)]
    pub additional_text: Option<String>,
    /// The number of records the query matches in all (the live service reports the total
    /// available, not the length of this page).
    #[serde(default)]
    pub records_number: Option<i64>,
    /// Cursor of the next page; empty or absent when there is no more.
    #[serde(default)]
    pub scroll_id: Option<String>,
}

impl ResponseEnvelope {
    /// The cursor of the next page, if there is one (an empty `scrollId` means none).
    pub fn next_scroll_id(&self) -> Option<&str> {
        self.scroll_id.as_deref().filter(|s| !s.is_empty())
    }
}

/// An Avanan response: the envelope and the records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Response<T> {
    /// The envelope.
    pub response_envelope: ResponseEnvelope,
    /// The records of this page.
    #[serde(default = "Vec::new")]
    pub response_data: Vec<T>,
}

/// A scope, `"farm:customer"` on the wire (e.g. `"mt-rnd-ng-1:test"`).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scope(String);

impl Scope {
    /// Wraps the wire text (any text is accepted, to stay forward compatible).
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// Builds `farm:customer`.
    pub fn from_parts(farm: &str, customer: &str) -> Result<Self, ModelError> {
        crate::error::non_empty("farm", farm)?;
        crate::error::non_empty("customer", customer)?;
        Ok(Self(format!("{farm}:{customer}")))
    }

    /// The farm part (before the first `:`), if the text has that form.
    pub fn farm(&self) -> Option<&str> {
        self.0.split_once(':').map(|(f, _)| f)
    }

    /// The customer part (after the first `:`), if the text has that form.
    pub fn customer(&self) -> Option<&str> {
        self.0.split_once(':').map(|(_, c)| c)
    }

    /// The wire text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scope({})", self.0)
    }
}

/// `GET /v1.0/scopes`.
pub type ScopesResponse = Response<Scope>;

/// The body of `POST /v1.0/event/query`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventQueryRequest {
    /// The query.
    pub request_data: EventQuery,
}

/// The query of `/v1.0/event/query`; unset fields are omitted.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventQuery {
    /// Scopes to search (`farm:customer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<Scope>>,
    /// Earliest event time (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// Latest event time (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// Event types, e.g. `phishing`, `malware`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<String>>,
    /// Event states, e.g. `new`, `remediated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_states: Option<Vec<String>>,
    /// SaaS applications, e.g. `office365_emails`, `google_mail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saas: Option<Vec<String>>,
    /// Severities, as the service writes them (`"1"` … `"5"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severities: Option<Vec<String>>,
    /// Specific events by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ids: Option<Vec<String>>,
    /// Confidence indicator to match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_indicator: Option<String>,
    /// Text the description must contain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Cursor of the page to fetch (from the previous `scrollId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scroll_id: Option<String>,
    /// Records per page. The live service honours it, and a page with fewer records than
    /// asked is the last of a walk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// Any other field a newer service or client uses, sent and kept verbatim.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// One security event; fields beyond the id are kept as generic JSON (the documents do
/// not define them). Events describe people's mail (senders, subjects): `Debug` shows the
/// id and the field names only.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The event id.
    pub event_id: String,
    /// Everything else, verbatim.
    #[serde(flatten)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl Event {
    fn text(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(serde_json::Value::as_str)
    }

    /// `eventCreated`, as the service writes it (`2023-06-30T15:14:58.463039+00:00`).
    pub fn event_created(&self) -> Option<&str> {
        self.text("eventCreated")
    }

    /// `severity`, a string on the wire (`"4"`).
    pub fn severity(&self) -> Option<&str> {
        self.text("severity")
    }

    /// `saas`, e.g. `office365_emails`.
    pub fn saas(&self) -> Option<&str> {
        self.text("saas")
    }

    /// `type`, e.g. `phishing`.
    pub fn event_type(&self) -> Option<&str> {
        self.text("type")
    }

    /// `state`.
    pub fn state(&self) -> Option<&str> {
        self.text("state")
    }

    /// `customerId`: the customer part of the scope.
    pub fn customer_id(&self) -> Option<&str> {
        self.text("customerId")
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("event_id", &self.event_id)
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// `POST /v1.0/event/query`.
pub type EventQueryResponse = Response<Event>;
