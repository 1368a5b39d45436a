//! HS256 JSON Web Tokens minted and checked by the emulator (ADVANCE access tokens, H5 page
//! tokens, Avanan access tokens).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Mints and checks tokens with one key.
pub(crate) struct Jwt {
    key: [u8; 32],
}

impl Jwt {
    pub(crate) fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length.
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!())
    }

    /// `header.claims.signature`.
    pub(crate) fn mint(&self, claims: &Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(claims.to_string());
        let mut mac = self.mac();
        mac.update(format!("{header}.{body}").as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{header}.{body}.{sig}")
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
        mac.update(format!("{header}.{body}").as_bytes());
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
