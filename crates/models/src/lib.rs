//! Serde types for every request and response the ADVANCE.AI, AET and Avanan documents
//! define.
//!
//! * Field names are exactly as on the wire; nullable fields are `Option`.
//! * Codes and labels are open enums: every documented value is a variant, anything else
//!   parses into `Unknown(String)` and serialises back unchanged, so a vendor adding a code
//!   never breaks a parser.
//! * Constructors check what the documents constrain and return [`ModelError`].
//! * Tokens and signatures are [`AccessToken`]/[`Signature`]: never shown by `Debug`.
//!
//! ```
//! use sigil_models::advance::{GenerateTokenResponse, ResponseCode};
//! let json = r#"{"code":"BRAND_NEW_CODE","message":"?","data":null,"extra":null,
//!                "transactionId":"t1","pricingStrategy":"FREE"}"#;
//! let parsed: GenerateTokenResponse = serde_json::from_str(json)?;
//! assert_eq!(parsed.code, ResponseCode::Unknown("BRAND_NEW_CODE".into()));
//! assert_eq!(serde_json::to_value(&parsed)?, serde_json::from_str::<serde_json::Value>(json)?);
//! # Ok::<(), serde_json::Error>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod advance;
pub mod aet;
pub mod avanan;
mod error;
pub mod idv;
mod open_enum;
mod redacted;
mod timestamp;

pub use error::ModelError;
pub use redacted::{AccessToken, Signature};
pub use timestamp::TimestampMs;

/// The crate's README, whose examples compile (and, where they need no network, run) as doc
/// tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
