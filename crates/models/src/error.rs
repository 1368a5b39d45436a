//! Why a value cannot be built: what the documents constrain, checked up front.

/// A request that breaks a documented constraint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A required field is empty (ADVANCE answers `PARAMETER_ERROR`, "Parameter should not be empty").
    #[error("`{field}` must not be empty")]
    Empty {
        /// The wire name of the field.
        field: &'static str,
    },
    /// `periodSecond` outside 60..=86400.
    #[error("periodSecond must be within 60..=86400 seconds, got {0}")]
    PeriodOutOfRange(u64),
    /// A timestamp that is not 13 digits of milliseconds.
    #[error("timestamp must be 13 digits of milliseconds, got {0}")]
    TimestampNot13Digits(u64),
    /// A signature that is not 64 hex characters.
    #[error("signature must be 64 hex characters")]
    SignatureFormat,
    /// A region that is not an ISO 3166-1 alpha-3 code (three upper-case letters).
    #[error("region must be an ISO 3166-1 alpha-3 code (three upper-case letters), got {0:?}")]
    Region(String),
    /// Not an absolute http(s) URL.
    #[error("`{field}` must be an absolute http(s) URL: {reason}")]
    Url {
        /// The wire name of the field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// Checks that `value` is not empty.
pub(crate) fn non_empty(field: &'static str, value: &str) -> Result<(), ModelError> {
    if value.trim().is_empty() {
        Err(ModelError::Empty { field })
    } else {
        Ok(())
    }
}

/// Checks that `value` is an absolute http or https URL with a host.
pub(crate) fn http_url(field: &'static str, value: &str) -> Result<url::Url, ModelError> {
    non_empty(field, value)?;
    let parsed = url::Url::parse(value).map_err(|e| ModelError::Url {
        field,
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ModelError::Url {
            field,
            reason: "the scheme must be http or https, with a host".into(),
        });
    }
    Ok(parsed)
}
