//! AET signer and verifier: never panic; sign→verify holds; streaming equals one-shot;
//! anything but the exact signature is rejected.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_signing::aet::{AetBody, AetRequest, AetRequestPath, AetSigner, QueryPolicy};
use sigil_signing::{SecretKey, TimestampMillis};

fuzz_target!(|input: (&[u8], u64, &str, &str, Option<&[u8]>, bool, u8, &[u8])| {
    let (secret, millis, method, target, body, include_query, cut, received) = input;
    let (Ok(secret), Ok(ts)) = (SecretKey::new(secret), TimestampMillis::new(millis)) else {
        return;
    };
    let query = if include_query { QueryPolicy::Include } else { QueryPolicy::Exclude };
    let path = AetRequestPath::new(target, query);
    let request = AetRequest { timestamp: ts, method, path, body: body.map_or(AetBody::None, AetBody::Bytes) };
    let signer = AetSigner::new(&secret);
    let sig = signer.sign(&request);
    assert!(signer.verify(&request, sig.as_bytes()).is_ok());
    assert_eq!(signer.verify(&request, received).is_ok(), received == sig.as_bytes());

    let body = body.unwrap_or_default();
    let split = usize::from(cut).min(body.len());
    let mut streaming = signer.start(ts, method, path);
    streaming.update(&body[..split]);
    streaming.update(&body[split..]);
    assert_eq!(streaming.finish(), sig);
});
