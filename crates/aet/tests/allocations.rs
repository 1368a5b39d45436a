//! What building one signed request costs in heap allocations (the whole-request benchmark
//! reports the same figure; this keeps it from growing unnoticed).

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

use sigil_aet::{AetClient, Bytes, SecretKey};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The counter is process-wide, so this file runs without the libtest harness
/// (`harness = false`): the only thread is this one.
fn main() {
    a_signed_request_takes_five_allocations();
    println!("allocations: a_signed_request_takes_five_allocations: ok");
}

fn a_signed_request_takes_five_allocations() {
    let client = AetClient::builder(
        "aet-sample-token",
        SecretKey::new(b"aet-sample-secret").unwrap(),
    )
    .base_url("https://sandbox.aet.dev")
    .build()
    .unwrap();
    let body = Bytes::from(br#"{"name":"Ada"}"#.to_vec());
    let build = || {
        client
            .signed_request(http::Method::POST, "/v3/users?page=2", Some(body.clone()))
            .unwrap()
    };
    drop(build()); // the first clone of a shared buffer promotes it once
    let region = Region::new(GLOBAL);
    let request = build();
    let change = region.change();
    // The path and query (one copy), the header map (indices and entries), the signature and
    // timestamp values.
    assert!(
        change.allocations + change.reallocations <= 5,
        "{} allocations, {} reallocations",
        change.allocations,
        change.reallocations
    );
    assert_eq!(request.uri(), "https://sandbox.aet.dev/v3/users?page=2");
    for name in [
        "timestamp",
        "signature",
        "authorization",
        "content-type",
        "accept",
    ] {
        assert!(request.headers().contains_key(name), "{name}");
    }
    assert!(request.headers()["signature"].is_sensitive());
}
