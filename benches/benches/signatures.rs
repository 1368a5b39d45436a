//! `cargo bench`: every signature case at its typical size, with the plain reference
//! implementation and the raw-compression floor beside it, plus AET body-size scaling.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sigil_benches::{Case, Fixture, Variant};
use sigil_signing::aet::{AetBody, AetRequest, AetRequestPath, AetSigner, QueryPolicy};
use sigil_signing::{SecretKey, TimestampMillis};

fn cases(c: &mut Criterion) {
    let fixture = Fixture::new(1 << 20);
    for case in Case::ALL {
        let mut group = c.benchmark_group(case.name());
        if case == Case::AetBody1MiB {
            group.throughput(Throughput::Bytes(1 << 20));
            group.sample_size(20);
        } else {
            // One signature per iteration: criterion reports signatures per second.
            group.throughput(Throughput::Elements(1));
        }
        for variant in Variant::ALL {
            group.bench_function(variant.name(), |b| {
                b.iter(|| fixture.run(black_box(case), variant))
            });
        }
        group.finish();
    }
}

fn aet_body_scaling(c: &mut Criterion) {
    let signer =
        AetSigner::new(&SecretKey::new(b"f0e1d2c3b4a5968778695a4b3c2d1e0f").expect("secret"));
    let ts = TimestampMillis::new(1_795_458_295_940).expect("13 digits");
    let mut group = c.benchmark_group("aet_body_size");
    for size in [0usize, 64, 1024, 64 * 1024, 1 << 20] {
        let body = vec![b'a'; size];
        // An empty body has no throughput to speak of: none is reported for it (it comes
        // first, before any size sets one).
        if size > 0 {
            group.throughput(Throughput::Bytes(size as u64));
        }
        group.bench_with_input(BenchmarkId::from_parameter(size), &body, |b, body| {
            b.iter(|| {
                signer.sign(black_box(&AetRequest {
                    timestamp: ts,
                    method: "POST",
                    path: AetRequestPath::new("v3/uploads", QueryPolicy::Exclude),
                    body: AetBody::Bytes(body),
                }))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, cases, aet_body_scaling);
criterion_main!(benches);
