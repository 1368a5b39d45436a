//! The signatures written the way one would in an afternoon: `String` concatenation, a
//! fresh HMAC per call, `hex::encode` and `base64` into new `String`s.
//!
//! This is the yardstick the optimised `sigil-signing` is checked against (property tests)
//! and measured against (benchmarks). It follows the documents literally and shares no code
//! with `sigil-signing`.
#![cfg_attr(docsrs, feature(doc_cfg))]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// ADVANCE: `hex(sha256(accessKey + secretKey + timestamp))`.
pub fn advance_signature(access_key: &str, secret_key: &str, timestamp_ms: u64) -> String {
    let combined = format!("{access_key}{secret_key}{timestamp_ms}");
    hex::encode(Sha256::digest(combined.as_bytes()))
}

/// AET: `base64(hmac_sha256(secret, timestamp + METHOD + requestPath + body))`.
///
/// `request_path` is used as given (already without its leading slash); `body` `None` means
/// no body (and a multipart upload is signed as `Some(b"")`).
pub fn aet_signature(
    secret_key: &[u8],
    timestamp_ms: u64,
    method: &str,
    request_path: &str,
    body: Option<&[u8]>,
) -> String {
    let mut pre_hash =
        format!("{timestamp_ms}{}{request_path}", method.to_uppercase()).into_bytes();
    if let Some(body) = body {
        pre_hash.extend_from_slice(body);
    }
    // Any key length is valid for HMAC.
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret_key).expect("HMAC takes any key length");
    mac.update(&pre_hash);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Avanan: `hex(sha256(base64(reqId + appId + date + requestString + secret)))`;
/// `request_string` `None` is the `/auth` form.
pub fn avanan_signature(
    req_id: &str,
    app_id: &str,
    date: &str,
    request_string: Option<&str>,
    secret_key: &str,
) -> String {
    let combined = format!(
        "{req_id}{app_id}{date}{}{secret_key}",
        request_string.unwrap_or("")
    );
    let encoded = STANDARD.encode(combined.as_bytes());
    hex::encode(Sha256::digest(encoded.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_vectors() {
        assert_eq!(
            advance_signature("19f3bfc87cdb9c33", "440cc5dee302a30b", 1_665_683_270_207),
            "22e20a4519cad37ecd5abb5c666828b2cfb06764ec3734c5faa5132c5e369585"
        );
        assert_eq!(
            avanan_signature(
                "d290f1ee-6c54-4b01-90e6",
                "US:myapp29",
                "2021-04-10T00:00:00.000Z",
                None,
                "my_avanan_secret"
            ),
            "2462b23346ab0642b65d7d094aca5fb4c29fd96d0468deceae2704d258e81497"
        );
    }
}

/// The crate's README, whose examples compile (and, where they need no network, run) as doc
/// tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
