//! Sweep scaling: a 16-configuration sweep (4 memory sizes × 4 read-ahead policies)
//! over one in-memory trace, on a rayon pool of 1 worker and of 2 workers.
//!
//! `vpsim sweep` parses the trace once (`load_trace`) and runs every configuration
//! with `run_loaded` on a rayon pool of `--jobs` threads. The configurations share the
//! trace read-only and nothing else, so the sweep should scale with the workers; the
//! ratio of the two benches shows how well it does on this machine (memory bandwidth,
//! caches and other jobs share the cores).
//!
//! The trace is `zipf:alpha=1.0`, 150 000 4 KiB reads over 256 MiB (seed 7), generated
//! at the start into a temporary directory in the binary form. The grid: memory 32, 64,
//! 128 and 256 MiB; read-ahead `dragonfly`, `none`, `fixed:pages=16`, `linux`. One
//! iteration is the whole sweep; criterion's throughput is events replayed (16 × the
//! trace's events). Each iteration asserts that every configuration replayed every
//! event.
//!
//! Run: `cargo bench --bench sweep -- --warm-up-time 1 --measurement-time 3`.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use std::hint::black_box;
use std::time::Duration;
use vpsim::run::{LoadedTrace, ModelKind, RunConfig, run_loaded};

const MIB: u64 = 1 << 20;

const MEMS: [u64; 4] = [32 * MIB, 64 * MIB, 128 * MIB, 256 * MIB];
const READAHEAD: [&str; 4] = ["dragonfly", "none", "fixed:pages=16", "linux"];

/// The bench's trace (see `common::zipf_trace`).
fn trace() -> LoadedTrace {
    common::zipf_trace("sweep", 150_000, 256 * MIB)
}

fn grid() -> Vec<RunConfig> {
    let mut v = Vec::new();
    for mem in MEMS {
        for ra in READAHEAD {
            v.push(RunConfig {
                model: ModelKind::Dragonfly,
                mem,
                readahead: ra.into(),
                ..RunConfig::default()
            });
        }
    }
    v
}

/// The whole sweep on `pool`; asserts every configuration replayed every event.
fn sweep(pool: &rayon::ThreadPool, trace: &LoadedTrace, cfgs: &[RunConfig]) {
    let n = trace.events.len() as u64;
    let done: Vec<u64> = pool.install(|| {
        cfgs.par_iter()
            .map(|cfg| {
                let out = run_loaded(trace, cfg).expect("configuration runs");
                black_box(&out);
                out.stats.counters.events
            })
            .collect()
    });
    assert_eq!(done.len(), cfgs.len());
    assert!(
        done.iter().all(|&e| e == n),
        "every configuration replayed every event"
    );
}

fn benches(c: &mut Criterion) {
    let trace = trace();
    let cfgs = grid();
    assert_eq!(cfgs.len(), 16);
    let mut g = c.benchmark_group("sweep16");
    g.sample_size(10);
    g.throughput(Throughput::Elements(
        cfgs.len() as u64 * trace.events.len() as u64,
    ));
    for jobs in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build()
            .expect("pool");
        g.bench_function(format!("jobs{jobs}"), |b| {
            b.iter(|| sweep(&pool, &trace, &cfgs))
        });
    }
    g.finish();
}

criterion_group! {
    name = sweep_benches;
    // No criterion plots (see getpages.rs).
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .without_plots();
    targets = benches
}
criterion_main!(sweep_benches);
