//! The signature benchmark cases shared by `cargo bench` (criterion, `benches/signatures.rs`)
//! and `sigil bench` (one-process side-by-side report).
//!
//! Every case is measured three ways:
//! * **sigil**: the `sigil-signing` signer as a user holds it (pre-keyed where the API allows);
//! * **reference**: the plain implementation of `sigil-reference` (String concatenation, a
//!   fresh HMAC per call, `hex`/`base64` into new Strings);
//! * **floor**: the same number of raw SHA-256 compressions the signature needs
//!   (`sha2::block_api::compress256` on ready-made blocks, HMAC's outer hash counted), the
//!   lower bound for any implementation on this machine;
//! * **encoded floor**: the floor's compressions followed by the scheme's own last steps in
//!   `sigil-signing` (AET: the inner digest into the outer block, its compression and the
//!   base64; ADVANCE and Avanan: the hex), the result folded as sigil's is. It is what the
//!   output format costs on top of the hashing with nothing built per message, so
//!   `sigil / encoded floor` is what the message layout costs.
#![cfg_attr(docsrs, feature(doc_cfg))]

/// Whole signed requests through the vendor clients (feature `requests`).
#[cfg(feature = "requests")]
pub mod requests;

use std::hint::black_box;
use std::time::{Duration, Instant};

use sha2::block_api::compress256;
use sigil_signing::aet::{AetBody, AetRequest, AetRequestPath, AetSigner, QueryPolicy};
use sigil_signing::avanan::AvananSigner;
use sigil_signing::{SecretKey, TimestampMillis, advance::AdvanceSigner, bench_internals};

/// One benchmarked signature at its typical size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// ADVANCE `generate-token`: 16-byte access key and secret, 13-digit timestamp.
    Advance,
    /// AET `GET v3/users`, no body.
    AetGet,
    /// AET `POST v3/users` with a 200-byte JSON body.
    AetPost200,
    /// AET `POST v3/uploads` with a 1 MiB body.
    AetBody1MiB,
    /// Avanan `/v1.0/auth`: UUID request id, microsecond date.
    AvananAuth,
    /// Avanan `/v1.0/event/query` request.
    AvananRequest,
}

impl Case {
    /// Every case, in report order.
    pub const ALL: [Case; 6] = [
        Case::Advance,
        Case::AetGet,
        Case::AetPost200,
        Case::AetBody1MiB,
        Case::AvananAuth,
        Case::AvananRequest,
    ];

    /// The name used in reports and criterion ids.
    pub const fn name(self) -> &'static str {
        match self {
            Case::Advance => "advance",
            Case::AetGet => "aet_get",
            Case::AetPost200 => "aet_post_200b",
            Case::AetBody1MiB => "aet_body_1mib",
            Case::AvananAuth => "avanan_auth",
            Case::AvananRequest => "avanan_request",
        }
    }
}

/// Which implementation a measurement is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `sigil-signing`.
    Sigil,
    /// `sigil-reference`.
    Reference,
    /// Raw SHA-256 compressions, independent from one call to the next (throughput).
    Floor,
    /// The same compressions, each call continuing the previous call's state (latency: what
    /// one signature whose blocks depend on each other cannot go below).
    FloorChained,
    /// The floor's compressions on ready-made blocks, then the signer's own output steps
    /// (HMAC outer hash and base64, or hex) and the same fold as sigil's.
    EncodedFloor,
}

impl Variant {
    /// Every variant, in the order they first run.
    pub const ALL: [Variant; 5] = [
        Variant::Sigil,
        Variant::Reference,
        Variant::Floor,
        Variant::FloorChained,
        Variant::EncodedFloor,
    ];

    /// Lower-case name.
    pub const fn name(self) -> &'static str {
        match self {
            Variant::Sigil => "sigil",
            Variant::Reference => "reference",
            Variant::Floor => "floor",
            Variant::FloorChained => "floor_chained",
            Variant::EncodedFloor => "encoded_floor",
        }
    }
}

/// Number of SHA-256 block compressions a message of `len` bytes needs (with padding).
pub const fn blocks_for(len: usize) -> usize {
    (len + 1 + 8).div_ceil(64)
}

/// Inputs shared by every run, built once.
pub struct Fixture {
    access_key: String,
    advance_secret: String,
    advance: AdvanceSigner,
    aet_secret: String,
    aet: AetSigner,
    avanan_secret: String,
    avanan: AvananSigner,
    timestamp: TimestampMillis,
    req_id: String,
    app_id: String,
    date: String,
    request_string: String,
    body_200: Vec<u8>,
    body_large: Vec<u8>,
    blocks: Vec<[u8; 64]>,
    /// `compressions(case)` for every case, in `Case::ALL` order, so the floor does not
    /// recompute it per call.
    floor_blocks: [usize; 6],
    chained_state: std::cell::Cell<[u32; 8]>,
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fixture(<benchmark inputs>)")
    }
}

/// A JSON body of exactly `len` bytes.
pub fn json_body(len: usize) -> Vec<u8> {
    let head = br#"{"name":"Ada Lovelace","email":"ada@example.com","note":""#;
    let tail = br#""}"#;
    let mut body = head.to_vec();
    body.resize(len.saturating_sub(tail.len()).max(head.len()), b'x');
    body.extend_from_slice(tail);
    body.truncate(len);
    body
}

impl Fixture {
    /// The typical inputs of every case; the large body is `large_body_len` bytes (1 MiB for
    /// [`Case::AetBody1MiB`]).
    pub fn new(large_body_len: usize) -> Self {
        let secret = |s: &str| SecretKey::new(s.as_bytes()).expect("non-empty benchmark secret");
        let access_key = "19f3bfc87cdb9c33".to_owned();
        let advance_secret = "440cc5dee302a30b".to_owned();
        let aet_secret = "f0e1d2c3b4a5968778695a4b3c2d1e0f".to_owned();
        let avanan_secret = "my_avanan_secret".to_owned();
        let large_blocks = blocks_for(large_body_len + 64) + 1;
        let mut fixture = Self {
            advance: AdvanceSigner::new(&access_key, &secret(&advance_secret)),
            aet: AetSigner::new(&secret(&aet_secret)),
            avanan: AvananSigner::new(&secret(&avanan_secret)),
            access_key,
            advance_secret,
            aet_secret,
            avanan_secret,
            timestamp: TimestampMillis::new(1_795_458_295_940).expect("13 digits"),
            req_id: "5b0fd3c0-8a3a-4f7e-9d61-0a8c4cf8c0f3".to_owned(),
            app_id: "US:myapp29".to_owned(),
            date: "2026-11-23T18:24:55.940446".to_owned(),
            request_string: "/v1.0/event/query".to_owned(),
            body_200: json_body(200),
            body_large: vec![b'a'; large_body_len],
            blocks: (0..large_blocks.max(8))
                .map(|i| std::array::from_fn(|j| (i * 31 + j) as u8))
                .collect(),
            floor_blocks: [0; 6],
            chained_state: std::cell::Cell::new(sigil_iv()),
        };
        fixture.floor_blocks = Case::ALL.map(|case| fixture.compressions(case));
        fixture
    }

    fn aet_body(&self, case: Case) -> Option<&[u8]> {
        match case {
            Case::AetPost200 => Some(&self.body_200),
            Case::AetBody1MiB => Some(&self.body_large),
            _ => None,
        }
    }

    fn aet_method_path(case: Case) -> (&'static str, &'static str) {
        match case {
            Case::AetGet => ("GET", "v3/users"),
            Case::AetPost200 => ("POST", "v3/users"),
            _ => ("POST", "v3/uploads"),
        }
    }

    /// How many compressions the signature of `case` needs (precomputed key states excluded).
    pub fn compressions(&self, case: Case) -> usize {
        match case {
            Case::Advance => blocks_for(self.access_key.len() + self.advance_secret.len() + 13),
            Case::AetGet | Case::AetPost200 | Case::AetBody1MiB => {
                let (method, path) = Self::aet_method_path(case);
                let message =
                    13 + method.len() + path.len() + self.aet_body(case).map_or(0, <[u8]>::len);
                // Inner hash after the precomputed ipad block, plus one outer block.
                blocks_for(64 + message) - 1 + 1
            }
            Case::AvananAuth | Case::AvananRequest => {
                let mut n = self.req_id.len()
                    + self.app_id.len()
                    + self.date.len()
                    + self.avanan_secret.len();
                if case == Case::AvananRequest {
                    n += self.request_string.len();
                }
                blocks_for(n.div_ceil(3) * 4)
            }
        }
    }

    /// One signature by `variant`; returns a byte of the result so nothing is optimised away.
    #[inline(always)]
    pub fn run(&self, case: Case, variant: Variant) -> u8 {
        match variant {
            Variant::Sigil => self.sigil(case),
            Variant::Reference => self.reference(case),
            Variant::Floor => self.floor(case),
            Variant::FloorChained => self.floor_chained(case),
            Variant::EncodedFloor => self.encoded_floor(case),
        }
    }

    /// One signature, folded to one byte that depends on every byte of it, so that the
    /// compiler cannot compute just part of the text (an inlined signer returning one byte
    /// otherwise encodes one character of 44 or 64).
    #[inline(always)]
    fn sigil(&self, case: Case) -> u8 {
        self.with_sigil_signature(case, fold)
    }

    /// Hands sigil's whole signature text for `case` to `f` (the timed path folds it; the
    /// agreement test compares it).
    #[inline(always)]
    fn with_sigil_signature<R>(&self, case: Case, f: impl FnOnce(&[u8]) -> R) -> R {
        let ts = black_box(self.timestamp);
        match case {
            Case::Advance => f(self.advance.sign(ts).as_bytes()),
            Case::AetGet | Case::AetPost200 | Case::AetBody1MiB => {
                let (method, path) = Self::aet_method_path(case);
                let body = self.aet_body(case).map_or(AetBody::None, AetBody::Bytes);
                let request = AetRequest {
                    timestamp: ts,
                    method,
                    path: AetRequestPath::new(path, QueryPolicy::Exclude),
                    body,
                };
                f(self.aet.sign(black_box(&request)).as_bytes())
            }
            Case::AvananAuth => f(self
                .avanan
                .sign_auth(&self.req_id, &self.app_id, &self.date)
                .as_bytes()),
            Case::AvananRequest => f(self
                .avanan
                .sign_request(&self.req_id, &self.app_id, &self.date, &self.request_string)
                .as_bytes()),
        }
    }

    #[inline(always)]
    fn reference(&self, case: Case) -> u8 {
        fold(self.reference_signature(case).as_bytes())
    }

    /// The plain reference's whole signature for `case`.
    #[inline(always)]
    fn reference_signature(&self, case: Case) -> String {
        let ts = black_box(self.timestamp).as_millis();
        match case {
            Case::Advance => {
                sigil_reference::advance_signature(&self.access_key, &self.advance_secret, ts)
            }
            Case::AetGet | Case::AetPost200 | Case::AetBody1MiB => {
                let (method, path) = Self::aet_method_path(case);
                sigil_reference::aet_signature(
                    self.aet_secret.as_bytes(),
                    ts,
                    method,
                    path,
                    self.aet_body(case),
                )
            }
            Case::AvananAuth => sigil_reference::avanan_signature(
                &self.req_id,
                &self.app_id,
                &self.date,
                None,
                &self.avanan_secret,
            ),
            Case::AvananRequest => sigil_reference::avanan_signature(
                &self.req_id,
                &self.app_id,
                &self.date,
                Some(&self.request_string),
                &self.avanan_secret,
            ),
        }
    }

    #[inline(always)]
    fn floor(&self, case: Case) -> u8 {
        let n = self.floor_blocks[case as usize];
        let mut state = black_box(sigil_iv());
        compress_as_floor(case, &mut state, &self.blocks[..n]);
        state[0] as u8
    }
}

impl Fixture {
    #[inline(always)]
    fn floor_chained(&self, case: Case) -> u8 {
        let n = self.floor_blocks[case as usize];
        let mut state = self.chained_state.get();
        for block in &self.blocks[..n] {
            compress256(&mut state, core::slice::from_ref(block));
        }
        self.chained_state.set(state);
        state[0] as u8
    }
}

impl Fixture {
    /// The floor's compressions, then the scheme's output steps from `sigil-signing`: the
    /// ready-made blocks stand for the message, so nothing is laid out per call.
    #[inline(always)]
    fn encoded_floor(&self, case: Case) -> u8 {
        let n = self.floor_blocks[case as usize];
        let mut state = black_box(sigil_iv());
        match case {
            Case::Advance | Case::AvananAuth | Case::AvananRequest => {
                compress_as_floor(case, &mut state, &self.blocks[..n]);
                fold(bench_internals::hex_signature(&state).as_bytes())
            }
            Case::AetGet | Case::AetPost200 | Case::AetBody1MiB => {
                // The inner hash's blocks (as the floor runs them), then HMAC's outer block.
                compress_as_floor(case, &mut state, &self.blocks[..n - 1]);
                let outer = black_box(sigil_iv());
                fold(bench_internals::hmac_outer_base64(&outer, &state).as_bytes())
            }
        }
    }
}

/// Compresses `blocks` into `state` as the floor does: for the 1 MiB case one call over all
/// of them (raw SHA-256 throughput), otherwise one call per block, each block hidden from the
/// optimiser.
#[inline(always)]
fn compress_as_floor(case: Case, state: &mut [u32; 8], blocks: &[[u8; 64]]) {
    if case == Case::AetBody1MiB {
        compress256(state, black_box(blocks));
    } else {
        for block in blocks {
            compress256(state, core::slice::from_ref(black_box(block)));
        }
    }
}

/// The XOR of all bytes of a signature text: one byte that needs every byte computed.
#[inline(always)]
fn fold(text: &[u8]) -> u8 {
    text.iter().fold(0, |acc, b| acc ^ b)
}

fn sigil_iv() -> [u32; 8] {
    [
        0x6a09_e667,
        0xbb67_ae85,
        0x3c6e_f372,
        0xa54f_f53a,
        0x510e_527f,
        0x9b05_688c,
        0x1f83_d9ab,
        0x5be0_cd19,
    ]
}

/// The median ns per call of each variant of one case, from one interleaved run.
#[derive(Debug, Clone, Copy)]
pub struct Measurement {
    /// The case.
    pub case: Case,
    /// ns per signature, `sigil-signing`.
    pub sigil_ns: f64,
    /// ns per signature, `sigil-reference`.
    pub reference_ns: f64,
    /// ns for the same number of raw compressions, independent calls (throughput).
    pub floor_ns: f64,
    /// ns for the same compressions chained call after call (latency).
    pub floor_chained_ns: f64,
    /// ns for the floor's compressions plus the scheme's output steps (see [`Variant`]).
    pub encoded_floor_ns: f64,
    /// How many compressions that is.
    pub compressions: usize,
}

/// How long one timed batch should take, and how many batches each variant gets.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Target duration of one batch.
    pub batch: Duration,
    /// Batches per variant (the median is reported).
    pub rounds: usize,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            batch: Duration::from_millis(5),
            rounds: 31,
        }
    }
}

/// Times `iters` calls of one (case, variant) pair. Each pair gets a loop of its own, with
/// the case and variant constant in it: a loop shared by all cases (dispatching inside) let a
/// change to one signer move the machine code, and the timing, of the others.
fn time_batch(fixture: &Fixture, case: Case, variant: Variant, iters: u64) -> Duration {
    macro_rules! per_case {
        ($variant:expr) => {
            match case {
                Case::Advance => time_loop(iters, || fixture.run(Case::Advance, $variant)),
                Case::AetGet => time_loop(iters, || fixture.run(Case::AetGet, $variant)),
                Case::AetPost200 => time_loop(iters, || fixture.run(Case::AetPost200, $variant)),
                Case::AetBody1MiB => time_loop(iters, || fixture.run(Case::AetBody1MiB, $variant)),
                Case::AvananAuth => time_loop(iters, || fixture.run(Case::AvananAuth, $variant)),
                Case::AvananRequest => {
                    time_loop(iters, || fixture.run(Case::AvananRequest, $variant))
                }
            }
        };
    }
    match variant {
        Variant::Sigil => per_case!(Variant::Sigil),
        Variant::Reference => per_case!(Variant::Reference),
        Variant::Floor => per_case!(Variant::Floor),
        Variant::FloorChained => per_case!(Variant::FloorChained),
        Variant::EncodedFloor => per_case!(Variant::EncodedFloor),
    }
}

#[inline(never)]
fn time_loop(iters: u64, mut one: impl FnMut() -> u8) -> Duration {
    let start = Instant::now();
    let mut acc = 0u8;
    for _ in 0..iters {
        acc ^= one();
    }
    black_box(acc);
    start.elapsed()
}

fn iterations_for(fixture: &Fixture, case: Case, variant: Variant, batch: Duration) -> u64 {
    let mut iters = 1u64;
    loop {
        let took = time_batch(fixture, case, variant, iters);
        if took >= batch / 4 || iters >= 1 << 30 {
            let per = took.as_secs_f64() / iters as f64;
            return ((batch.as_secs_f64() / per.max(1e-12)) as u64).clamp(1, 1 << 32);
        }
        iters *= 4;
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Measures every variant of `case`, taking turns batch by batch (rotating which goes
/// first) so that machine noise hits every variant alike.
pub fn measure(fixture: &Fixture, case: Case, plan: Plan) -> Measurement {
    let iters: Vec<u64> = Variant::ALL
        .iter()
        .map(|&v| iterations_for(fixture, case, v, plan.batch))
        .collect();
    let mut samples: [Vec<f64>; Variant::ALL.len()] = Default::default();
    for round in 0..plan.rounds.max(1) {
        for k in 0..Variant::ALL.len() {
            let i = (round + k) % Variant::ALL.len();
            let took = time_batch(fixture, case, Variant::ALL[i], iters[i]);
            samples[i].push(took.as_nanos() as f64 / iters[i] as f64);
        }
    }
    let [s, r, f, c, e] = &mut samples;
    Measurement {
        case,
        sigil_ns: median(s),
        reference_ns: median(r),
        floor_ns: median(f),
        floor_chained_ns: median(c),
        encoded_floor_ns: median(e),
        compressions: fixture.compressions(case),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_agree_on_the_signature_text() {
        // The sigil and reference variants must compute the same thing, or the comparison
        // is meaningless.
        let fx = Fixture::new(4096);
        for case in Case::ALL {
            // The whole signature, not a byte of it.
            let sigil = fx.with_sigil_signature(case, |text| text.to_vec());
            assert_eq!(
                sigil,
                fx.reference_signature(case).into_bytes(),
                "{}",
                case.name()
            );
            assert_eq!(fx.sigil(case), fx.reference(case), "{}", case.name());
        }
    }

    #[test]
    fn compression_counts_match_the_documented_floors() {
        let fx = Fixture::new(1 << 20);
        assert_eq!(fx.compressions(Case::Advance), 1);
        assert_eq!(fx.compressions(Case::AetGet), 2);
        assert_eq!(fx.compressions(Case::AvananAuth), 3);
        assert_eq!(fx.compressions(Case::AvananRequest), 3);
        assert_eq!(fx.compressions(Case::AetBody1MiB), (1 << 20) / 64 + 2);
        assert_eq!(json_body(200).len(), 200);
        assert!(serde_json_like(&json_body(200)));
    }

    fn serde_json_like(body: &[u8]) -> bool {
        body.starts_with(b"{") && body.ends_with(b"}")
    }
}

/// The README's Rust examples, run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
