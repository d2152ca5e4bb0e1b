//! The `lru` reference model alone, in page references per second, for comparison with
//! other cache simulators (libCacheSim's `cachesim ... lru`, see
//! scripts/bench-compare.sh).
//!
//! Other simulators replay a stream of object ids already in memory or in a compact
//! binary file; to compare like with like, this bench leaves the trace reader out: the
//! trace is generated once (`zipf:alpha=1.0`, 2 000 000 4 KiB reads over a 1 GiB
//! file, seed 7), converted to the binary form, loaded into a `Vec<Event>`, and each
//! iteration steps a fresh `vpsim::models::Lru` over the whole vector and finishes it
//! (statistics included). Every event is one read of one 4 KiB page, so page
//! references = read events (asserted: hits + misses = references, every iteration).
//!
//! The LRU model is more than a list: it keeps dirty bits and per-file lists and
//! drives the simulated device for every miss (latency histogram included), so it
//! does more per reference than a miss-ratio-only simulator.
//!
//! Cache sizes: 64 MiB (6 % of the footprint) and 256 MiB (25 %).
//!
//! Run: `cargo bench --bench reference -- --warm-up-time 1 --measurement-time 3`.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use vpsim::device::DeviceSpec;
use vpsim::model::Model;
use vpsim::models::{Lru, PageRefs};
use vpsim::run::LoadedTrace;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// The bench's trace (see `common::zipf_trace`).
fn trace() -> LoadedTrace {
    common::zipf_trace("ref", 2_000_000, GIB)
}

fn benches(c: &mut Criterion) {
    let trace = trace();
    let mut pr = PageRefs::new(&trace.files);
    let refs: u64 = trace.events.iter().map(|e| pr.apply(e).len()).sum();
    assert_eq!(refs, 2_000_000, "one page reference per read");
    let mut g = c.benchmark_group("reference");
    g.sample_size(20);
    g.throughput(Throughput::Elements(refs));
    for (name, mem) in [("lru_zipf/64MiB", 64 * MIB), ("lru_zipf/256MiB", 256 * MIB)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut lru = Lru::new(&trace.files, mem, DeviceSpec::ssd());
                for ev in &trace.events {
                    lru.step(ev);
                }
                let st = lru.finish();
                assert_eq!(
                    st.counters.page_hits + st.counters.page_misses,
                    refs,
                    "every reference simulated"
                );
                black_box(st)
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = reference_benches;
    // No criterion plots (see getpages.rs).
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .without_plots();
    targets = benches
}
criterion_main!(reference_benches);
