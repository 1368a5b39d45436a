//! What building one signed request costs in heap allocations (the whole-request benchmark
//! reports the same figure; this keeps it from growing unnoticed).

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

use sigil_avanan::{AccessToken, AvananClient, Bytes, SecretKey};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The counter is process-wide, so this file runs without the libtest harness
/// (`harness = false`): the only thread is this one.
fn main() {
    a_signed_request_takes_eight_allocations();
    println!("allocations: a_signed_request_takes_eight_allocations: ok");
}

fn a_signed_request_takes_eight_allocations() {
    let client = AvananClient::builder("US:myapp29", SecretKey::new(b"my_avanan_secret").unwrap())
        .build()
        .unwrap();
    let token = AccessToken::new("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJVUzpteWFwcDI5In0.c2ln");
    let body = Bytes::from(br#"{"requestData":{}}"#.to_vec());
    let build = || {
        let target = client.target("/v1.0/event/query").unwrap();
        client
            .sign(http::Method::POST, &target, Some(&token), body.clone())
            .unwrap()
    };
    drop(build());
    let region = Region::new(GLOBAL);
    let request = build();
    let change = region.change();
    // The path (one copy, then shared with the request), the header map (indices and
    // entries), the request id, date, token and signature values.
    assert!(
        change.allocations + change.reallocations <= 8,
        "{} allocations, {} reallocations",
        change.allocations,
        change.reallocations
    );
    let headers = request.headers();
    for name in [
        "x-av-req-id",
        "x-av-token",
        "x-av-app-id",
        "x-av-date",
        "x-av-sig",
    ] {
        assert!(headers.contains_key(name), "{name}");
    }
    assert!(headers["x-av-sig"].is_sensitive() && headers["x-av-token"].is_sensitive());
    assert_eq!(headers["x-av-req-id"].len(), 36);
}
