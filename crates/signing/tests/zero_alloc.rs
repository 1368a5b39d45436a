//! Signing and verifying perform no heap allocation: a counting global allocator proves it.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

use sigil_signing::aet::{AetBody, AetRequest, AetRequestPath, AetSigner, QueryPolicy};
use sigil_signing::avanan::AvananSigner;
use sigil_signing::{SecretKey, TimestampMillis, advance::AdvanceSigner};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Allocations made while `f` runs. The counter is process-wide, so this file runs without
/// the libtest harness (`harness = false`): the only thread is this one.
fn allocations_during(f: impl FnOnce()) -> usize {
    let region = Region::new(GLOBAL);
    f();
    let change = region.change();
    change.allocations + change.reallocations
}

fn main() {
    signing_and_verifying_allocate_nothing();
    println!("zero_alloc: signing and verifying allocate nothing: ok");
}

fn signing_and_verifying_allocate_nothing() {
    // The counter works: a Vec is seen.
    assert!(allocations_during(|| drop(std::hint::black_box(vec![1u8; 10]))) >= 1);

    let ts = TimestampMillis::new(1_700_000_000_000).unwrap();
    let secret = SecretKey::new(b"samplesecretkey").unwrap();
    let body = vec![b'x'; 1 << 20];
    let n = allocations_during(|| {
        let advance = AdvanceSigner::new("sampleaccesskey", &secret);
        let sig = advance.sign(ts);
        assert!(advance.verify(ts, sig.as_bytes()).is_ok());

        let aet = AetSigner::new(&secret);
        for body in [AetBody::None, AetBody::Bytes(&body), AetBody::Multipart] {
            let request = AetRequest {
                timestamp: ts,
                method: "post",
                path: AetRequestPath::new("/v3/users?x=1", QueryPolicy::Exclude),
                body,
            };
            let sig = aet.sign(&request);
            assert!(aet.verify(&request, sig.as_bytes()).is_ok());
        }
        let mut streaming = aet.start(
            ts,
            "POST",
            AetRequestPath::new("v3/uploads", QueryPolicy::Include),
        );
        for chunk in body.chunks(4096) {
            streaming.update(chunk);
        }
        std::hint::black_box(streaming.finish());

        let avanan = AvananSigner::new(&secret);
        let sig = avanan.sign_auth(
            "d290f1ee-6c54-4b01-90e6",
            "US:myapp29",
            "2026-11-23T18:24:55.940446",
        );
        std::hint::black_box(sig);
        let sig = avanan.sign_request(
            "d290f1ee-6c54-4b01-90e6",
            "US:myapp29",
            "2026-11-23T18:24:55.940446",
            "/v1.0/event/query?scrollId=x",
        );
        std::hint::black_box(sig);
    });
    assert_eq!(n, 0, "heap allocations while signing");
}
