//! What a user pays per request: building one signed request per vendor through the public
//! client API (target parsing, headers, signature, body handling), no network.
//!
//! Feature `requests` (used by `benches/requests.rs` and by `sigil bench`): off by default, so
//! that the signature benchmarks' code layout does not change with it (code placement alone
//! moves a short signature's time; see `docs/PERFORMANCE.md`).

use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use sigil_advance_idv::AdvanceClient;
use sigil_aet::AetClient;
use sigil_avanan::{AccessToken, AvananClient};
use sigil_signing::SecretKey;

/// A transport that answers every request with one HTTP 200 body (ADVANCE's token, once).
struct Answer(&'static str);

impl sigil_transport::HttpSend for Answer {
    fn send(&self, _request: sigil_transport::HttpRequest) -> sigil_transport::SendFuture<'_> {
        let body = Bytes::from_static(self.0.as_bytes());
        Box::pin(async move { Ok(http::Response::new(body)) })
    }
}

/// One request-building case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestCase {
    /// `AetClient::signed_request(POST, "/v3/users", 200-byte JSON)`.
    AetPost,
    /// `AvananClient::target` + `AvananClient::sign` of `POST /v1.0/event/query` with a token.
    AvananRequest,
    /// `AdvanceClient::authorize` of a `get-result` request, the token already cached (run to
    /// completion on a current-thread runtime; the runtime's own cost is measured apart).
    AdvanceAuthorize,
}

impl RequestCase {
    /// Every case, in report order.
    pub const ALL: [RequestCase; 3] = [
        RequestCase::AetPost,
        RequestCase::AvananRequest,
        RequestCase::AdvanceAuthorize,
    ];

    /// The name used in reports and criterion ids.
    pub const fn name(self) -> &'static str {
        match self {
            RequestCase::AetPost => "request_aet_post",
            RequestCase::AvananRequest => "request_avanan",
            RequestCase::AdvanceAuthorize => "request_advance_authorize",
        }
    }
}

/// Ready clients (no network: the ADVANCE token comes from a scripted answer).
pub struct RequestFixture {
    aet: AetClient,
    avanan: AvananClient,
    avanan_token: AccessToken,
    advance: AdvanceClient,
    runtime: tokio::runtime::Runtime,
    body: Bytes,
}

impl RequestFixture {
    /// Builds the clients and caches the ADVANCE token.
    pub fn new() -> Self {
        let key = |s: &[u8]| SecretKey::new(s).unwrap_or_else(|_| unreachable!("a valid key"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("a runtime: {e}"));
        let aet = AetClient::builder("aet-sample-token", key(b"aet-sample-secret"))
            .base_url("https://sandbox.aet.dev")
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let avanan = AvananClient::builder("US:myapp29", key(b"my_avanan_secret"))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let envelope = r#"{"code":"SUCCESS","message":"OK","data":{"token":"eyJhbGciOiJIUzUxMiJ9.e30.c2ln","expiredTime":4102444800000},"extra":null,"transactionId":"t","pricingStrategy":"FREE"}"#;
        let advance = AdvanceClient::builder("sampleaccesskey", key(b"samplesecretkey"))
            .transport(Answer(envelope))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        runtime
            .block_on(advance.access_token())
            .unwrap_or_else(|e| panic!("{e}"));
        Self {
            aet,
            avanan,
            avanan_token: AccessToken::new("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJVUzpteWFwcDI5In0.c2ln"),
            advance,
            runtime,
            body: Bytes::from(crate::json_body(200)),
        }
    }

    /// Builds one request; returns its header count so nothing is optimised away.
    pub fn build(&self, case: RequestCase) -> usize {
        match case {
            RequestCase::AetPost => self
                .aet
                .signed_request(
                    http::Method::POST,
                    black_box("/v3/users"),
                    Some(self.body.clone()),
                )
                .map_or(0, |r| r.headers().len()),
            RequestCase::AvananRequest => self
                .avanan
                .target(black_box("/v1.0/event/query"))
                .and_then(|target| {
                    self.avanan.sign(
                        http::Method::POST,
                        &target,
                        Some(&self.avanan_token),
                        self.body.clone(),
                    )
                })
                .map_or(0, |r| r.headers().len()),
            RequestCase::AdvanceAuthorize => {
                let mut request = http::Request::new(self.body.clone());
                *request.method_mut() = http::Method::POST;
                self.runtime
                    .block_on(self.advance.authorize(&mut request))
                    .map_or(0, |()| request.headers().len())
            }
        }
    }

    /// The cost of running an empty future on the fixture's runtime (part of
    /// `AdvanceAuthorize`, not of the client).
    pub fn runtime_overhead(&self) -> usize {
        self.runtime.block_on(async { black_box(1) })
    }
}

impl Default for RequestFixture {
    fn default() -> Self {
        Self::new()
    }
}

/// ns per request of `case` (median of `rounds` batches of about `batch` each).
pub fn measure_request(fixture: &RequestFixture, case: RequestCase, plan: crate::Plan) -> f64 {
    median_ns(plan, || fixture.build(case))
}

/// ns per empty `block_on`, to read `AdvanceAuthorize` net of it.
pub fn measure_runtime_overhead(fixture: &RequestFixture, plan: crate::Plan) -> f64 {
    median_ns(plan, || fixture.runtime_overhead())
}

fn median_ns(plan: crate::Plan, mut f: impl FnMut() -> usize) -> f64 {
    let mut per_iter = Vec::with_capacity(plan.rounds);
    for _ in 0..plan.rounds.max(1) {
        let mut n: u32 = 0;
        let started = Instant::now();
        while started.elapsed() < plan.batch || n == 0 {
            for _ in 0..64 {
                black_box(f());
            }
            n += 64;
        }
        per_iter.push(started.elapsed().as_nanos() as f64 / f64::from(n));
    }
    per_iter.sort_by(f64::total_cmp);
    per_iter[per_iter.len() / 2]
}

/// Allocations one call of `f` makes, read through `allocations_so_far` (the caller's
/// counting allocator).
pub fn allocations_of(allocations_so_far: &dyn Fn() -> usize, f: impl FnOnce() -> usize) -> usize {
    let before = allocations_so_far();
    black_box(f());
    allocations_so_far().saturating_sub(before)
}
