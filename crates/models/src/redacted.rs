//! Values that must never be printed: access tokens and signatures.

use core::fmt;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

macro_rules! redacted_string {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// Wiped from memory on drop; `==` compares in constant time (for equal lengths).
        #[derive(Clone, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                bool::from(self.0.as_bytes().ct_eq(other.0.as_bytes()))
            }
        }

        impl Eq for $name {}

        impl Drop for $name {
            fn drop(&mut self) {
                self.0.zeroize();
            }
        }

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value itself, to put on the wire. Named so that every use stands out.
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// Whether the value is empty.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "(<redacted, {} chars>)"), self.0.len())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&$name> for String {
            fn from(value: &$name) -> Self {
                value.0.clone()
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }
    };
}

redacted_string!(
    /// A bearer credential (ADVANCE `X-ACCESS-TOKEN`, Avanan `x-av-token`, AET API token):
    /// `Debug` shows only its length.
    AccessToken
);

redacted_string!(
    /// A request signature. Replayable within the vendor's time window, so it is treated
    /// like a credential: `Debug` shows only its length.
    Signature
);

/// Writes `name { field: <redacted>, … }` for every field of `value` (serialised) that holds
/// something: personal data is never printed, but which fields are present still is.
pub(crate) fn debug_present_fields<T: Serialize>(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    value: &T,
) -> fmt::Result {
    let mut out = f.debug_struct(name);
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(value) {
        for (key, field) in &fields {
            if !field.is_null() {
                out.field(key, &format_args!("<redacted>"));
            }
        }
    }
    out.finish_non_exhaustive()
}

/// A URL for `Debug`: scheme, host and path; the query (which may carry a session token)
/// and fragment are left out.
pub(crate) struct UrlWithoutQuery<'a>(pub(crate) &'a str);

impl fmt::Debug for UrlWithoutQuery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cut = self.0.find(['?', '#']).unwrap_or(self.0.len());
        write!(f, "\"{}", &self.0[..cut])?;
        if cut < self.0.len() {
            f.write_str("?<redacted>")?;
        }
        f.write_str("\"")
    }
}
