//! HS256 JSON Web Tokens minted and checked by the emulator (ADVANCE access tokens, H5 page
//! tokens, Avanan access tokens).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

/// The claims of an access token the emulator mints, serialized without building a JSON map;
/// the fields in alphabetical order, as a `serde_json::Value` object writes them.
#[derive(serde::Serialize)]
pub(crate) struct AccessClaims<'a> {
    /// Who the token is for: `advance`, `avanan`, the Infinity audience.
    pub(crate) aud: &'static str,
    /// Expiry, epoch seconds.
    pub(crate) exp: u64,
    /// Expiry, epoch milliseconds (ADVANCE's tokens only).
    #[serde(rename = "expMs", skip_serializing_if = "Option::is_none")]
    pub(crate) exp_ms: Option<u64>,
    /// Issued at, epoch seconds.
    pub(crate) iat: u64,
    /// Always `sigil-emulator`.
    pub(crate) iss: &'static str,
    /// A fresh id.
    pub(crate) jti: String,
    /// The account.
    pub(crate) sub: &'a str,
}

/// The header of every token: `{"alg":"HS256","typ":"JWT"}` in unpadded base64url.
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// Mints and checks tokens with one key.
pub(crate) struct Jwt {
    /// HMAC-SHA-256 with the key already absorbed; cloned per token.
    keyed: Hmac<Sha256>,
}

impl Jwt {
    pub(crate) fn new(key: [u8; 32]) -> Self {
        // HMAC accepts keys of any length.
        let keyed =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap_or_else(|_| unreachable!());
        Self { keyed }
    }

    fn mac(&self) -> Hmac<Sha256> {
        self.keyed.clone()
    }

    /// `header.claims.signature`, written into one string.
    pub(crate) fn mint(&self, claims: &impl serde::Serialize) -> String {
        let claims = serde_json::to_vec(claims).unwrap_or_default();
        let mut token = String::with_capacity(HEADER.len() + 2 + claims.len() * 4 / 3 + 3 + 43);
        token.push_str(HEADER);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&claims, &mut token);
        let mut mac = self.mac();
        mac.update(token.as_bytes());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(mac.finalize().into_bytes(), &mut token);
        token
    }

    /// The claims of a token this emulator minted (signature checked in constant time), with
    /// `aud` equal to `audience` and `exp` (seconds) after `now_s`.
    pub(crate) fn verify(&self, token: &str, audience: &str, now_s: u64) -> Option<Value> {
        let mut parts = token.split('.');
        let (header, body, sig) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        let mut mac = self.mac();
        mac.update(header.as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        mac.verify_slice(&sig).ok()?;
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
        let exp = claims.get("exp")?.as_u64()?;
        (claims.get("aud")?.as_str()? == audience && now_s < exp).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_header_claims_and_the_mac_of_both() {
        assert_eq!(
            HEADER,
            URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#)
        );
        let claims = serde_json::json!({"aud": "advance", "exp": 1_700_000_000u64, "sub": "k"});
        let token = Jwt::new([7; 32]).mint(&claims);
        let body = URL_SAFE_NO_PAD.encode(claims.to_string());
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&[7; 32]).unwrap();
        mac.update(format!("{HEADER}.{body}").as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        assert_eq!(token, format!("{HEADER}.{body}.{sig}"));
    }

    #[test]
    fn mint_verify_and_reject() {
        let jwt = Jwt::new([7; 32]);
        let token = jwt.mint(&serde_json::json!({"aud": "avanan", "sub": "US:app", "exp": 100}));
        assert_eq!(jwt.verify(&token, "avanan", 99).unwrap()["sub"], "US:app");
        assert!(jwt.verify(&token, "avanan", 100).is_none(), "expired");
        assert!(
            jwt.verify(&token, "advance", 99).is_none(),
            "other audience"
        );
        assert!(
            Jwt::new([8; 32]).verify(&token, "avanan", 99).is_none(),
            "other key"
        );
        let mut tampered = token.clone();
        tampered.insert(token.find('.').unwrap() + 2, 'x');
        assert!(jwt.verify(&tampered, "avanan", 99).is_none());
        assert!(jwt.verify("a.b", "avanan", 0).is_none());
    }
}
