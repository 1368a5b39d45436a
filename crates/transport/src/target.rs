//! The one place where a client's request target is built: an [`Origin`] checked once at
//! build time, and a [`RequestTarget`] parsed once per request, in exactly the form the
//! transport puts on the wire. Clients sign [`RequestTarget::path_and_query`] and send
//! [`RequestTarget::uri`], so what is signed is what is sent.

use std::fmt;

use percent_encoding::percent_decode_str;

/// The longest path and query a client sends (16 KiB): servers commonly refuse longer
/// request lines, so a longer target is refused before anything is sent.
pub const MAX_TARGET_LEN: usize = 16 * 1024;

/// Why a base URL or a request target was refused. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The base URL is not `http(s)://host[:port]`.
    #[error("base URL \"{url}\": {reason}")]
    BaseUrl {
        /// The base URL, shortened.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The path does not start with `/`.
    #[error("the path \"{0}\" must start with '/'")]
    NotAbsolute(String),
    /// The target has a `#fragment`, which is never sent.
    #[error("the path \"{0}\" has a '#' fragment, which is never sent: percent-encode '#' as %23")]
    Fragment(String),
    /// The target holds a control character (tab, newline, …).
    #[error("the path \"{0}\" holds a control character: percent-encode it")]
    ControlCharacter(String),
    /// The target would not go on the wire as given (a `.`/`..` segment, a backslash, …).
    #[error(
        "the path \"{given}\" would be sent as \"{sent}\": remove '.'/'..' segments and backslashes, or percent-encode them"
    )]
    Normalised {
        /// What the caller gave, shortened.
        given: String,
        /// What the transport would send, shortened.
        sent: String,
    },
    /// The target is longer than [`MAX_TARGET_LEN`].
    #[error("the path and query are {0} bytes long; at most {MAX_TARGET_LEN} are sent")]
    TooLong(usize),
    /// The target would reach another host than the configured origin.
    #[error("the path \"{0}\" would leave the configured origin")]
    OtherOrigin(String),
    /// Not a valid URL after all.
    #[error("the path \"{given}\" is not a valid URL path: {reason}")]
    Invalid {
        /// What the caller gave, shortened.
        given: String,
        /// Why.
        reason: String,
    },
}

/// The error for a target the URL or URI parser refuses.
fn invalid(given: &str, reason: impl fmt::Display) -> TargetError {
    TargetError::Invalid {
        given: shown(given),
        reason: reason.to_string(),
    }
}

/// A caller's URL or target for an error message: user info (a password, say) and the query
/// (which may carry ids or tokens) are left out, and the rest is shortened.
///
/// ```text
/// http://user:secret@host:8080/a?token=x  ->  http://<user info hidden>@host:8080/a?<query hidden>
/// ```
fn shown(value: &str) -> String {
    let (before_query, query) = match value.split_once('?') {
        Some((before, _)) => (before, true),
        None => (value, false),
    };
    let (before_fragment, fragment) = match before_query.split_once('#') {
        Some((before, _)) => (before, true),
        None => (before_query, false),
    };
    let mut text = before_fragment.to_owned();
    // User info: up to the last '@' of the authority (after "//", before the next '/').
    let authority_start = text.find("//").map_or(0, |i| i + 2);
    let authority_end = text[authority_start..]
        .find('/')
        .map_or(text.len(), |i| authority_start + i);
    if let Some(at) = text[authority_start..authority_end].rfind('@') {
        text.replace_range(authority_start..authority_start + at, "<user info hidden>");
    }
    let mut shown = crate::excerpt(text.as_bytes(), 120);
    if query {
        shown.push_str("?<query hidden>");
    }
    if fragment {
        shown.push_str("#<fragment hidden>");
    }
    shown
}

/// The scheme, host and port a client talks to: no user info, path, query or fragment.
///
/// ```
/// use sigil_transport::Origin;
/// let origin = Origin::parse("http://127.0.0.1:8080/")?;
/// assert_eq!(origin.as_str(), "http://127.0.0.1:8080");
/// assert!(Origin::parse("127.0.0.1:8080").is_err());
/// assert!(Origin::parse("https://api.example/v3").is_err()); // a path belongs to each request
/// # Ok::<(), sigil_transport::TargetError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Origin {
    url: url::Url,
    text: String,
    /// The scheme and authority in `http`'s form, parsed once: each target's URI shares them.
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Origin({})", self.text)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Origin {
    /// Parses and checks a base URL: `http://` or `https://`, a host, an optional port, and
    /// nothing else (a trailing `/` is fine).
    pub fn parse(base_url: &str) -> Result<Self, TargetError> {
        let refuse = |reason: &str| TargetError::BaseUrl {
            url: shown(base_url),
            reason: reason.to_owned(),
        };
        let must = "it must start with http:// or https://";
        let url = url::Url::parse(base_url.trim()).map_err(|e| match e {
            url::ParseError::RelativeUrlWithoutBase => refuse(must),
            e => refuse(&e.to_string()),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refuse(must));
        }
        if url.host().is_none() {
            return Err(refuse("it has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("it must not carry a user name or password"));
        }
        if url.path() != "/" {
            return Err(refuse(
                "it has a path; give only scheme://host:port and put the path in each request",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(refuse("it must not have a query or a fragment"));
        }
        let text = url.origin().ascii_serialization();
        let parts = text
            .parse::<http::Uri>()
            .map_err(|e| refuse(&e.to_string()))?
            .into_parts();
        let (Some(scheme), Some(authority)) = (parts.scheme, parts.authority) else {
            return Err(refuse("it has no scheme or host"));
        };
        Ok(Self {
            url,
            text,
            scheme,
            authority,
        })
    }

    /// `scheme://host:port`, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The target for `path_and_query` on this origin, as it goes on the wire.
    ///
    /// Percent-encoding that the wire form needs is applied (`'` in a query becomes `%27`,
    /// a space `%20`, raw UTF-8 is percent-encoded); anything that would change *which*
    /// resource is addressed (`.`/`..` segments, backslashes, control characters, a
    /// fragment, another host) is refused.
    ///
    /// ```
    /// use sigil_transport::Origin;
    /// let origin = Origin::parse("https://api.example")?;
    /// let target = origin.target("/v3/users/O'Brien?name=O'Brien&x")?;
    /// assert_eq!(target.path_and_query(), "/v3/users/O'Brien?name=O%27Brien&x");
    /// assert_eq!(target.uri(), "https://api.example/v3/users/O'Brien?name=O%27Brien&x");
    /// assert!(origin.target("/v3/a/../b").is_err());
    /// assert!(origin.target("@evil.example/v3").is_err());
    /// # Ok::<(), sigil_transport::TargetError>(())
    /// ```
    pub fn target(&self, path_and_query: &str) -> Result<RequestTarget, TargetError> {
        if path_and_query.len() <= MAX_TARGET_LEN && wire_ready(path_and_query) {
            // Nothing any URL encoder would change: the target is sent as given, in one
            // copy; the scheme and authority are the origin's, shared.
            let mut parts = http::uri::Parts::default();
            parts.scheme = Some(self.scheme.clone());
            parts.authority = Some(self.authority.clone());
            parts.path_and_query = Some(
                http::uri::PathAndQuery::from_maybe_shared(bytes::Bytes::copy_from_slice(
                    path_and_query.as_bytes(),
                ))
                .map_err(|e| invalid(path_and_query, e))?,
            );
            let uri = http::Uri::from_parts(parts).map_err(|e| invalid(path_and_query, e))?;
            return Ok(RequestTarget {
                path_len: path_and_query.find('?').unwrap_or(path_and_query.len()),
                uri,
            });
        }
        self.parsed_target(path_and_query)
    }

    /// The general case: the target parsed as a URL, checked, and compared with what was
    /// given.
    fn parsed_target(&self, path_and_query: &str) -> Result<RequestTarget, TargetError> {
        if !path_and_query.starts_with('/') {
            return Err(TargetError::NotAbsolute(shown(path_and_query)));
        }
        if path_and_query.len() > MAX_TARGET_LEN {
            return Err(TargetError::TooLong(path_and_query.len()));
        }
        if path_and_query.contains('#') {
            return Err(TargetError::Fragment(shown(path_and_query)));
        }
        if path_and_query.chars().any(char::is_control) {
            return Err(TargetError::ControlCharacter(shown(path_and_query)));
        }
        let url = self
            .url
            .join(path_and_query)
            .map_err(|e| invalid(path_and_query, e))?;
        if url.origin() != self.url.origin() {
            return Err(TargetError::OtherOrigin(shown(path_and_query)));
        }
        let (given_path, given_query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let same_bytes = |a: &str, b: &str| percent_decode_str(a).eq(percent_decode_str(b));
        let same_query = match (given_query, url.query()) {
            (None, None) => true,
            (Some(given), Some(sent)) => same_bytes(given, sent),
            _ => false,
        };
        let wire = &url[url::Position::BeforePath..url::Position::AfterQuery];
        if !same_bytes(given_path, url.path()) || !same_query {
            return Err(TargetError::Normalised {
                given: shown(path_and_query),
                sent: shown(wire),
            });
        }
        let uri: http::Uri = url[..url::Position::AfterQuery]
            .parse()
            .map_err(|e: http::uri::InvalidUri| invalid(path_and_query, e))?;
        // What an HTTP stack that re-parses the URI (reqwest does) will send.
        let reparsed = url::Url::parse(&uri.to_string()).map_err(|e| invalid(path_and_query, e))?;
        let reparsed_wire = &reparsed[url::Position::BeforePath..url::Position::AfterQuery];
        let uri_wire = uri.path_and_query().map_or("/", |pq| pq.as_str());
        if reparsed_wire != wire || uri_wire != wire {
            return Err(TargetError::Normalised {
                given: shown(path_and_query),
                sent: shown(reparsed_wire),
            });
        }
        Ok(RequestTarget {
            path_len: url.path().len(),
            uri,
        })
    }
}

/// Bit of [`WIRE_CLASS`]: the byte goes on the wire unchanged in the path.
const IN_PATH: u8 = 1;
/// Bit of [`WIRE_CLASS`]: the byte goes on the wire unchanged in the query.
const IN_QUERY: u8 = 2;

/// Per byte, where it is sent as given: RFC 3986 unreserved characters, sub-delimiters, `:`,
/// `@` and `/` everywhere; `'` in the path only (some encoders escape it in the query); `?`
/// in the query only (the first one starts it). `%` is handled apart (it must start an escape).
const WIRE_CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            class[b] = IN_PATH | IN_QUERY;
        }
        b += 1;
    }
    let both = b"-._~!$&()*+,;=:@/";
    let mut i = 0;
    while i < both.len() {
        class[both[i] as usize] = IN_PATH | IN_QUERY;
        i += 1;
    }
    class[b'\'' as usize] = IN_PATH;
    class[b'?' as usize] = IN_QUERY;
    class
};

/// Whether `target` goes on the wire exactly as given: a path starting with one `/`, then only
/// characters that neither URL parsers nor percent-encoders change (RFC 3986 unreserved,
/// sub-delimiters, `:`, `@`, `/`, `?` in the query, well-formed `%XX` escapes; no `'` in the
/// query, which some encoders escape there), and no `.`/`..` segment.
///
/// One pass with a byte-class table: searching a list of allowed characters per byte was a
/// visible part of the `sigil bench` whole-request cases.
fn wire_ready(target: &str) -> bool {
    let bytes = target.as_bytes();
    if bytes.first() != Some(&b'/') || bytes.get(1) == Some(&b'/') {
        return false;
    }
    let mut allowed = IN_PATH;
    let mut segment_start = 1;
    let mut i = 1;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        if allowed == IN_PATH && (b == b'/' || b == b'?') {
            if is_dot_segment(bytes.get(segment_start..i).unwrap_or(&[])) {
                return false;
            }
            segment_start = i + 1;
            if b == b'?' {
                allowed = IN_QUERY;
            }
        } else if WIRE_CLASS[usize::from(b)] & allowed == 0 {
            return false;
        }
        i += 1;
    }
    allowed == IN_QUERY || !is_dot_segment(bytes.get(segment_start..).unwrap_or(&[]))
}

/// `.` or `..`, also with either dot written `%2e` / `%2E` (as URL parsers read them).
fn is_dot_segment(segment: &[u8]) -> bool {
    segment.len() <= 6
        && [".", "..", "%2e", ".%2e", "%2e.", "%2e%2e"]
            .iter()
            .any(|dots| segment.eq_ignore_ascii_case(dots.as_bytes()))
}

/// A request target in its wire form: the URI to send and the exact path and query to sign.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestTarget {
    uri: http::Uri,
    path_len: usize,
}

impl fmt::Debug for RequestTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The query may carry ids; show the path only.
        write!(f, "RequestTarget({}", self.path())?;
        if self.query().is_some() {
            f.write_str("?…")?;
        }
        f.write_str(")")
    }
}

impl RequestTarget {
    /// A caller's URI (as an `http::Request` carries it) in its wire form, by the rules of
    /// [`Origin::target`]: the path and query percent-encoded as an HTTP stack that re-parses
    /// the URI (reqwest does) sends them, and refused when that would address another
    /// resource. An absolute URI keeps its scheme and authority (which must be a plain
    /// origin: no user name or password); a bare path stays a bare path.
    ///
    /// Entry points that sign a caller's request put [`uri`](Self::uri) back on it and sign
    /// [`path_and_query`](Self::path_and_query), so the request carries exactly the signed
    /// bytes.
    ///
    /// ```
    /// use sigil_transport::RequestTarget;
    /// let uri: http::Uri = "https://api.example/v3/users/{id}?name=O'Brien".parse()?;
    /// let target = RequestTarget::from_uri(&uri)?;
    /// assert_eq!(target.uri(), "https://api.example/v3/users/%7Bid%7D?name=O%27Brien");
    /// let bare: http::Uri = "/v3/a/../b".parse()?;
    /// assert!(RequestTarget::from_uri(&bare).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_uri(uri: &http::Uri) -> Result<RequestTarget, TargetError> {
        let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
        match (uri.scheme_str(), uri.authority()) {
            (Some(scheme), Some(authority)) => {
                Origin::parse(&format!("{scheme}://{authority}"))?.target(path_and_query)
            }
            (None, None) => {
                // A bare path: the wire rules do not depend on the host, so any origin does.
                let placeholder = Origin::parse("http://localhost")?;
                let target = placeholder.target(path_and_query)?;
                let bare = http::Uri::from_maybe_shared(bytes::Bytes::copy_from_slice(
                    target.path_and_query().as_bytes(),
                ))
                .map_err(|e| invalid(path_and_query, e))?;
                Ok(RequestTarget {
                    path_len: target.path_len,
                    uri: bare,
                })
            }
            _ => Err(invalid(
                &uri.to_string(),
                "a URI with a scheme needs a host, and a host needs a scheme",
            )),
        }
    }

    /// The URI to send: absolute, except for a target made by
    /// [`from_uri`](Self::from_uri) from a bare path.
    pub fn uri(&self) -> &http::Uri {
        &self.uri
    }

    /// The URI to send, taken out of the target (no copy: for a request built once).
    pub fn into_uri(self) -> http::Uri {
        self.uri
    }

    /// The path and `?query` exactly as sent (percent-encoded).
    pub fn path_and_query(&self) -> &str {
        self.uri.path_and_query().map_or("/", |pq| pq.as_str())
    }

    /// The path exactly as sent.
    pub fn path(&self) -> &str {
        &self.path_and_query()[..self.path_len]
    }

    /// The query exactly as sent, without `?` (`Some("")` for a bare `?`).
    pub fn query(&self) -> Option<&str> {
        self.path_and_query()
            .get(self.path_len..)
            .and_then(|q| q.strip_prefix('?'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin::parse("http://127.0.0.1:8080").unwrap()
    }

    #[test]
    fn base_urls() {
        assert_eq!(origin().as_str(), "http://127.0.0.1:8080");
        assert_eq!(
            Origin::parse("HTTPS://API.Example:443/").unwrap().as_str(),
            "https://api.example"
        );
        for bad in [
            "",
            "ftp://x",
            "http://",
            "http://127.0.0.1:99999",
            "http://user:pw@host",
            "http://host/v1",
            "http://host/?q",
            "http://host/#f",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wire_forms() {
        let o = origin();
        let cases = [
            ("/v1.0/scopes", "/v1.0/scopes"),
            ("/v3/users/{id}", "/v3/users/%7Bid%7D"),
            ("/v3/users?name=O'Brien", "/v3/users?name=O%27Brien"),
            ("/v3/a b?c d", "/v3/a%20b?c%20d"),
            ("/v3/é?q=é", "/v3/%C3%A9?q=%C3%A9"),
            ("/v3/a%2Fb", "/v3/a%2Fb"),
            ("/v3/x?", "/v3/x?"),
            ("/v3/x?a=1&&b=2+3=4", "/v3/x?a=1&&b=2+3=4"),
        ];
        for (given, sent) in cases {
            let t = o.target(given).unwrap();
            assert_eq!(t.path_and_query(), sent, "{given}");
            assert_eq!(t.uri().to_string(), format!("http://127.0.0.1:8080{sent}"));
        }
        let t = o.target("/a/b?c=d").unwrap();
        assert_eq!((t.path(), t.query()), ("/a/b", Some("c=d")));
        assert_eq!(o.target("/a?").unwrap().query(), Some(""));
        assert_eq!(o.target("/a").unwrap().query(), None);
    }

    /// The rules of `wire_ready` written plainly (the form it had before its byte-class
    /// table), as the oracle the table form is checked against.
    fn wire_ready_by_rules(target: &str) -> bool {
        let bytes = target.as_bytes();
        if bytes.first() != Some(&b'/') || bytes.get(1) == Some(&b'/') {
            return false;
        }
        let path_end = target.find('?').unwrap_or(target.len());
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let in_query = i > path_end;
            let plain = b.is_ascii_alphanumeric()
                || b"-._~!$&()*+,;=:@/".contains(&b)
                || (b == b'\'' && !in_query)
                || (b == b'?' && i >= path_end);
            if b == b'%' {
                let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 3;
                continue;
            }
            if !plain {
                return false;
            }
            i += 1;
        }
        !target[..path_end]
            .split('/')
            .any(|segment| is_dot_segment(segment.as_bytes()))
    }

    #[test]
    fn the_byte_class_table_keeps_the_rules() {
        // Every string of up to four characters over an alphabet with every kind of byte the
        // rules treat apart, after a leading `/` (and after `//`, `/a/`), plus every byte.
        let alphabet = [
            "a", "Z", "0", ".", "/", "?", "'", "%", "2", "e", "E", "g", "#", " ", "~", "é",
        ];
        let mut cases = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = cases
                .iter()
                .flat_map(|c| alphabet.iter().map(move |a| format!("{c}{a}")))
                .collect();
            cases.extend(longer);
        }
        cases.sort();
        cases.dedup();
        for tail in &cases {
            for head in ["/", "//", "/a/", "/a?", ""] {
                let target = format!("{head}{tail}");
                assert_eq!(
                    wire_ready(&target),
                    wire_ready_by_rules(&target),
                    "{target:?}"
                );
            }
        }
        for b in 0..=255u8 {
            let target = format!("/x{}y?q{}r", char::from(b), char::from(b));
            assert_eq!(wire_ready(&target), wire_ready_by_rules(&target), "{b:#x}");
        }
    }

    #[test]
    fn the_fast_path_agrees_with_the_url_parser() {
        let o = origin();
        for target in [
            "/v1.0/scopes",
            "/v3/users?page=2&per_page=10",
            "/v3/users/O'Brien",
            "/v3/users?name=O'Brien",
            "/v3/a%2Fb?x=%20y",
            "/v3/x?",
            "/v3/x?a=1&&b=2+3=4",
            "/v3/x?a?b",
            "/v1.0/event/abc:def@ghi",
            "/v3/%2e/x",
            "/v3/a/..",
            "/v3/a%zz",
            "/v3/{id}",
            "//x",
            "/",
        ] {
            let fast = wire_ready(target).then(|| o.target(target));
            let slow = o.parsed_target(target);
            if let Some(fast) = fast {
                assert_eq!(fast, slow, "{target}");
                // Built from the origin's shared parts, the URI is still the text given.
                let uri = fast.unwrap().uri().to_string();
                assert_eq!(uri, format!("{}{target}", o.as_str()), "{target}");
            }
        }
        assert!(wire_ready("/v3/users?page=2"));
        assert!(!wire_ready("/v3/users?name=O'Brien"));
        assert!(!wire_ready("/v3/%2E%2e/x"));
        assert!(!wire_ready("/v3/a b"));
    }

    #[test]
    fn refusals() {
        let o = origin();
        for bad in [
            "v3/users",
            "@evil.example/v1.0/scopes",
            "//evil.example/v1.0/scopes",
            ".evil.example/v1.0/scopes",
            "/v1.0/a/../b",
            "/v1.0/./b",
            "/v1.0/%2e%2E/b",
            "/v1.0\\b",
            "/v1.0/b#frag",
            "/v1.0/b\tc",
            "/v1.0/b\n",
        ] {
            assert!(o.target(bad).is_err(), "{bad:?}");
        }
        let long = format!("/v3/x?q={}", "a".repeat(MAX_TARGET_LEN));
        assert_eq!(
            o.target(&long),
            Err(TargetError::TooLong(long.len())),
            "too long"
        );
    }
}

#[cfg(test)]
mod shown_tests {
    use super::*;

    #[test]
    fn messages_never_show_user_info_or_a_query() {
        for (given, expected) in [
            (
                "http://u:PASSWORD@api.example:8080/",
                "http://<user info hidden>@api.example:8080/",
            ),
            (
                "https://api.example/v3?token=SECRET",
                "https://api.example/v3?<query hidden>",
            ),
            ("/v3/users?ssn=SECRET", "/v3/users?<query hidden>"),
            ("@evil.example/v3", "<user info hidden>@evil.example/v3"),
            ("/v3/a#frag", "/v3/a#<fragment hidden>"),
            ("/v3/users", "/v3/users"),
        ] {
            assert_eq!(shown(given), expected, "{given}");
        }
        let err = Origin::parse("http://u:PASSWORD@api.example").unwrap_err();
        assert!(!err.to_string().contains("PASSWORD"), "{err}");
        let err = Origin::parse("http://api.example/?key=SECRET").unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
        let err = Origin::parse("http://api.example")
            .unwrap()
            .target("/v3/../x?key=SECRET")
            .unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }
}
