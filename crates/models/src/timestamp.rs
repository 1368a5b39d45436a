//! Millisecond timestamps as the vendors send them: a JSON number, or a string of digits.

use core::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Milliseconds since the Unix epoch. Accepts a JSON number or a string of digits;
/// serialises as a number (as the documents' samples do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimestampMs(pub u64);

impl TimestampMs {
    /// The millisecond count.
    pub const fn as_millis(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TimestampMs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for TimestampMs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

struct NumberOrString;

impl Visitor<'_> for NumberOrString {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a millisecond timestamp as a non-negative integer or a string of digits")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        if v.fract() == 0.0 && (0.0..1.8e19).contains(&v) {
            Ok(v as u64)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        let trimmed = v.trim();
        if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::invalid_value(de::Unexpected::Str(v), &self));
        }
        trimmed
            .parse()
            .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

impl<'de> Deserialize<'de> for TimestampMs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(NumberOrString)
            .map(TimestampMs)
    }
}

/// `Option<u64>` fields the vendors send as a number, a string of digits or `null`.
pub(crate) mod number_or_string_opt {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_u32(*v),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        let v: Option<TimestampMs> = Option::deserialize(d)?;
        v.map(|v| u32::try_from(v.0).map_err(|_| de::Error::custom("value out of range")))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_and_string_forms() {
        let a: TimestampMs = serde_json::from_str("1665683270207").unwrap();
        let b: TimestampMs = serde_json::from_str("\"1665683270207\"").unwrap();
        assert_eq!(a, b);
        assert_eq!(serde_json::to_string(&b).unwrap(), "1665683270207");
        assert!(serde_json::from_str::<TimestampMs>("\"12a\"").is_err());
        assert!(serde_json::from_str::<TimestampMs>("-5").is_err());
        assert!(serde_json::from_str::<TimestampMs>("1.5").is_err());
    }
}
