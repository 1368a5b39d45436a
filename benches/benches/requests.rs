//! `cargo bench --bench requests`: building one signed request per vendor through the public
//! client API (no network), and how many heap allocations each takes.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sigil_benches::requests::{RequestCase, RequestFixture, allocations_of};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

fn allocations_so_far() -> usize {
    GLOBAL.stats().allocations + GLOBAL.stats().reallocations
}

fn requests(c: &mut Criterion) {
    let fixture = RequestFixture::new();
    let mut group = c.benchmark_group("requests");
    for case in RequestCase::ALL {
        // Warm up once (lazy statics, thread-locals), then count one build.
        fixture.build(case);
        let count = allocations_of(&allocations_so_far, || fixture.build(case));
        println!("{}: {count} allocations per request", case.name());
        group.bench_function(case.name(), |b| b.iter(|| fixture.build(black_box(case))));
    }
    group.bench_function("runtime_block_on_overhead", |b| {
        b.iter(|| fixture.runtime_overhead())
    });
    group.finish();
}

criterion_group!(benches, requests);
criterion_main!(benches);
