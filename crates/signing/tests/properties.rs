//! Property tests: every signer against the plain reference implementation
//! (`sigil-reference`) on arbitrary input, sign→verify round trips, and tamper → invalid.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use proptest::prelude::*;
use sigil_signing::aet::{AetBody, AetRequest, AetRequestPath, AetSigner, QueryPolicy};
use sigil_signing::avanan::{AvananRequest, AvananSigner};
use sigil_signing::{SecretKey, TimestampMillis, advance::AdvanceSigner};

fn timestamp() -> impl Strategy<Value = u64> {
    TimestampMillis::MIN..=TimestampMillis::MAX
}

/// Any string, including empty and non-ASCII ones.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), ".{0,200}", "[ -~]{0,150}"]
}

fn secret() -> impl Strategy<Value = String> {
    prop_oneof![".{1,40}", "[a-zA-Z0-9]{1,130}"]
}

/// Changes one byte of `sig` at `index` to another printable character.
fn tamper(sig: &str, index: usize, with: u8) -> Vec<u8> {
    let mut bytes = sig.as_bytes().to_vec();
    let i = index % bytes.len();
    let mut replacement = b'!' + (with % 90);
    if replacement.eq_ignore_ascii_case(&bytes[i]) {
        replacement = if bytes[i] == b'0' { b'1' } else { b'0' };
    }
    bytes[i] = replacement;
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn advance_matches_reference(ak in text(), sk in secret(), ts in timestamp(), at in any::<usize>(), with in any::<u8>()) {
        let signer = AdvanceSigner::new(&ak, &SecretKey::new(sk.as_bytes()).unwrap());
        let ts = TimestampMillis::new(ts).unwrap();
        let sig = signer.sign(ts);
        prop_assert_eq!(sig.as_str(), sigil_reference::advance_signature(&ak, &sk, ts.as_millis()));
        prop_assert!(signer.verify(ts, sig.as_bytes()).is_ok());
        prop_assert!(signer.verify(ts, &tamper(sig.as_str(), at, with)).is_err());
        prop_assert!(signer.verify(ts, &sig.as_bytes()[..63]).is_err());
    }

    #[test]
    fn aet_matches_reference(
        sk in secret(), ts in timestamp(), method in "[a-zA-Z]{1,10}", target in text(),
        body in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..600)),
        include_query in any::<bool>(), multipart in any::<bool>(),
        at in any::<usize>(), with in any::<u8>(),
    ) {
        let query = if include_query { QueryPolicy::Include } else { QueryPolicy::Exclude };
        let path = AetRequestPath::new(&target, query);
        let body = match (&body, multipart) {
            (_, true) => AetBody::Multipart,
            (None, false) => AetBody::None,
            (Some(b), false) => AetBody::Bytes(b),
        };
        let request = AetRequest { timestamp: TimestampMillis::new(ts).unwrap(), method: &method, path, body };
        let signer = AetSigner::new(&SecretKey::new(sk.as_bytes()).unwrap());
        let sig = signer.sign(&request);
        let reference_body = match body { AetBody::Bytes(b) => Some(b), AetBody::Multipart => Some(&b""[..]), AetBody::None => None };
        prop_assert_eq!(sig.as_str(), sigil_reference::aet_signature(sk.as_bytes(), ts, &method, path.as_str(), reference_body));
        prop_assert!(signer.verify(&request, sig.as_bytes()).is_ok());
        prop_assert!(signer.verify(&request, &tamper(sig.as_str(), at, with)).is_err());
    }

    #[test]
    fn aet_chunked_body_matches_one_shot(
        sk in secret(), ts in timestamp(),
        body in proptest::collection::vec(any::<u8>(), 0..2000),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let signer = AetSigner::new(&SecretKey::new(sk.as_bytes()).unwrap());
        let ts = TimestampMillis::new(ts).unwrap();
        let path = AetRequestPath::new("/v3/uploads", QueryPolicy::Exclude);
        let one_shot = signer.sign(&AetRequest { timestamp: ts, method: "POST", path, body: AetBody::Bytes(&body) });
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (body.len() + 1)).collect();
        cuts.sort_unstable();
        let mut streaming = signer.start(ts, "POST", path);
        let mut from = 0;
        for cut in cuts.into_iter().chain([body.len()]) {
            streaming.update(&body[from..cut]);
            from = cut;
        }
        prop_assert_eq!(streaming.finish(), one_shot);
    }

    #[test]
    fn avanan_matches_reference(
        req_id in text(), app_id in text(), date in text(), sk in secret(),
        request_string in proptest::option::of(text()), at in any::<usize>(), with in any::<u8>(),
    ) {
        let signer = AvananSigner::new(&SecretKey::new(sk.as_bytes()).unwrap());
        let request = match request_string.as_deref() {
            None => AvananRequest::Auth,
            Some(request_string) => AvananRequest::Request { request_string },
        };
        let sig = signer.sign(&req_id, &app_id, &date, request);
        prop_assert_eq!(sig.as_str(), sigil_reference::avanan_signature(&req_id, &app_id, &date, request_string.as_deref(), &sk));
        prop_assert!(signer.verify(&req_id, &app_id, &date, request, sig.as_bytes()).is_ok());
        prop_assert!(signer.verify(&req_id, &app_id, &date, request, &tamper(sig.as_str(), at, with)).is_err());
    }

    #[test]
    fn verify_never_panics_on_garbage(received in proptest::collection::vec(any::<u8>(), 0..100)) {
        let key = SecretKey::new(b"k").unwrap();
        let ts = TimestampMillis::new(1_700_000_000_000).unwrap();
        let _ = sigil_signing::advance::verify("a", &key, ts, &received);
        let request = AetRequest { timestamp: ts, method: "GET", path: AetRequestPath::new("/v3/x", QueryPolicy::Exclude), body: AetBody::None };
        let _ = sigil_signing::aet::verify(&key, &request, &received);
        let _ = sigil_signing::avanan::verify(&key, "r", "a", "d", AvananRequest::Auth, &received);
    }
}
