//! Avanan signer and verifier: never panic; sign→verify holds for both forms; anything but
//! the signature is rejected.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_signing::SecretKey;
use sigil_signing::avanan::{AvananRequest, AvananSigner};

fuzz_target!(|input: (&str, &str, &str, Option<&str>, &[u8], &[u8])| {
    let (req_id, app_id, date, request_string, secret, received) = input;
    let Ok(secret) = SecretKey::new(secret) else {
        return;
    };
    let request = request_string.map_or(AvananRequest::Auth, |request_string| AvananRequest::Request { request_string });
    let signer = AvananSigner::new(&secret);
    let sig = signer.sign(req_id, app_id, date, request);
    assert!(signer.verify(req_id, app_id, date, request, sig.as_bytes()).is_ok());
    let matches = received.eq_ignore_ascii_case(sig.as_bytes());
    assert_eq!(signer.verify(req_id, app_id, date, request, received).is_ok(), matches);
});
