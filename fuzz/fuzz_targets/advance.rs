//! ADVANCE signer and verifier: never panic; sign→verify holds; a changed or arbitrary
//! received value is rejected unless it is the signature.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_signing::{SecretKey, TimestampMillis, advance::AdvanceSigner};

fuzz_target!(|input: (&str, &[u8], u64, &[u8])| {
    let (access_key, secret, millis, received) = input;
    let (Ok(secret), Ok(ts)) = (SecretKey::new(secret), TimestampMillis::new(millis)) else {
        return;
    };
    let signer = AdvanceSigner::new(access_key, &secret);
    let sig = signer.sign(ts);
    assert!(signer.verify(ts, sig.as_bytes()).is_ok());
    let mut tampered = *sig.as_bytes();
    tampered[millis as usize % 64] ^= 0x01;
    assert!(signer.verify(ts, &tampered).is_err());
    let matches = received.eq_ignore_ascii_case(sig.as_bytes());
    assert_eq!(signer.verify(ts, received).is_ok(), matches);
});
