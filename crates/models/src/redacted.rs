//! Values that must never be printed: access tokens and signatures.

use core::fmt;

use serde::{Deserialize, Serialize};

macro_rules! redacted_string {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

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
