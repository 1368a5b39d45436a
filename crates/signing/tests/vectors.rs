//! The published vectors of the vendor documents and our own, kept as data files with their
//! intermediate strings (`tests/vectors/*.json`, made by `tests/vectors/generate.py` with
//! Python's standard library, independently of this crate).

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use serde::Deserialize;
use sigil_signing::aet::{AetBody, AetRequest, AetRequestPath, AetSigner, QueryPolicy};
use sigil_signing::avanan::{AvananRequest, AvananSigner};
use sigil_signing::{SecretKey, TimestampMillis, advance::AdvanceSigner};

#[derive(Deserialize)]
struct AdvanceCase {
    name: String,
    access_key: String,
    secret_key: String,
    timestamp: u64,
    pre_hash: String,
    signature: String,
}

#[derive(Deserialize)]
struct AetCase {
    name: String,
    secret_key: String,
    timestamp: u64,
    method: String,
    target: String,
    query: String,
    body: Option<String>,
    request_path: String,
    pre_hash: String,
    signature: String,
}

#[derive(Deserialize)]
struct AvananCase {
    name: String,
    req_id: String,
    app_id: String,
    date: String,
    request_string: Option<String>,
    secret_key: String,
    pre_hash: String,
    base64: String,
    signature: String,
}

fn load<T: for<'de> Deserialize<'de>>(json: &str) -> Vec<T> {
    serde_json::from_str(json).expect("vector file parses")
}

#[test]
fn advance_vectors() {
    let cases: Vec<AdvanceCase> = load(include_str!("vectors/advance.json"));
    assert!(cases.len() >= 2);
    for c in cases {
        assert_eq!(
            c.pre_hash,
            format!("{}{}{}", c.access_key, c.secret_key, c.timestamp),
            "{}",
            c.name
        );
        let signer = AdvanceSigner::new(
            &c.access_key,
            &SecretKey::new(c.secret_key.as_bytes()).unwrap(),
        );
        let ts = TimestampMillis::new(c.timestamp).unwrap();
        assert_eq!(signer.sign(ts).as_str(), c.signature, "{}", c.name);
        assert!(
            signer.verify(ts, c.signature.as_bytes()).is_ok(),
            "{}",
            c.name
        );
        assert!(
            signer
                .verify(ts, c.signature.to_uppercase().as_bytes())
                .is_ok(),
            "{}",
            c.name
        );
    }
}

#[test]
fn aet_vectors() {
    let cases: Vec<AetCase> = load(include_str!("vectors/aet.json"));
    for c in cases {
        let query = match c.query.as_str() {
            "include" => QueryPolicy::Include,
            _ => QueryPolicy::Exclude,
        };
        let path = AetRequestPath::new(&c.target, query);
        assert_eq!(path.as_str(), c.request_path, "{}", c.name);
        let body = match c.body.as_deref() {
            None => AetBody::None,
            Some("multipart") => AetBody::Multipart,
            Some(b) => AetBody::Bytes(b.as_bytes()),
        };
        let request = AetRequest {
            timestamp: TimestampMillis::new(c.timestamp).unwrap(),
            method: &c.method,
            path,
            body,
        };
        let body_text = match body {
            AetBody::Bytes(b) => std::str::from_utf8(b).unwrap(),
            _ => "",
        };
        assert_eq!(
            c.pre_hash,
            format!(
                "{}{}{}{}",
                c.timestamp,
                c.method.to_uppercase(),
                path.as_str(),
                body_text
            ),
            "{}",
            c.name
        );
        let signer = AetSigner::new(&SecretKey::new(c.secret_key.as_bytes()).unwrap());
        assert_eq!(signer.sign(&request).as_str(), c.signature, "{}", c.name);
        assert!(
            signer.verify(&request, c.signature.as_bytes()).is_ok(),
            "{}",
            c.name
        );
        // Base64 is case-sensitive: a case-changed signature is a different one.
        assert!(
            signer
                .verify(&request, c.signature.to_lowercase().as_bytes())
                .is_err(),
            "{}",
            c.name
        );
    }
}

#[test]
fn avanan_vectors() {
    use base64::Engine as _;
    let cases: Vec<AvananCase> = load(include_str!("vectors/avanan.json"));
    for c in cases {
        let rs = c.request_string.as_deref().unwrap_or("");
        assert_eq!(
            c.pre_hash,
            format!("{}{}{}{}{}", c.req_id, c.app_id, c.date, rs, c.secret_key),
            "{}",
            c.name
        );
        assert_eq!(
            c.base64,
            base64::engine::general_purpose::STANDARD.encode(&c.pre_hash),
            "{}",
            c.name
        );
        let signer = AvananSigner::new(&SecretKey::new(c.secret_key.as_bytes()).unwrap());
        let request = match c.request_string.as_deref() {
            None => AvananRequest::Auth,
            Some(request_string) => AvananRequest::Request { request_string },
        };
        let sig = signer.sign(&c.req_id, &c.app_id, &c.date, request);
        assert_eq!(sig.as_str(), c.signature, "{}", c.name);
        assert!(
            signer
                .verify(
                    &c.req_id,
                    &c.app_id,
                    &c.date,
                    request,
                    c.signature.as_bytes()
                )
                .is_ok()
        );
    }
}
