//! Whole-replay throughput: how many trace events, and how many page references, the
//! DragonFly model replays per second, end to end (`vpsim::run::run_trace`, what
//! `vpsim replay` does: open, prescan, read, simulate, collect the statistics).
//!
//! Per-call benches (getpages, putpages) time one path; a real replay is a mix of
//! them plus the trace reader. This bench measures the mix on four generated
//! workloads at two memory sizes:
//!
//! * `seqread` (64 KiB sequential reads), `zipf` (`zipf:alpha=1.0`, 4 KiB random
//!   reads), `db` (8 KiB random reads and overwrites with a group fsync every 100 page
//!   writes and a sorted checkpoint every 10 000 requests: the read/write workload
//!   with fsync), `mmap_random` (`mmap-random`: page touches of a shared mapping, 30 %
//!   stores);
//! * each over a 256 MiB footprint, with `mem = 1 GiB` (`fits`: the footprint fits;
//!   asserted: pageout never runs) and `mem = 128 MiB` (`exceeds`; asserted: pageout
//!   runs);
//! * each from the CSV form and from the binary form (`.vpt`), separately, so the
//!   reader's share is visible.
//!
//! Groups: `replay_events` (criterion throughput = events of the trace, all rows
//! including open/close/fsync) and `replay_refs` (throughput = page references, as
//! `vpsim::models::PageRefs` counts them: every 4 KiB page a read or write covers, one
//! per fault). Both groups time the same replays; they differ only in the unit.
//! `read_trace` times the readers alone (no model), in bytes of trace per second.
//!
//! The traces are generated once, at the start, into a temporary directory (removed at
//! the end), with `vpsim::workloads` (seed 7): the same as
//! `vpsim gen SPEC --events N --size 256M --seed 7`.
//!
//! Run: `cargo bench --bench replay -- --warm-up-time 1 --measurement-time 3`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;
use vpsim::models::PageRefs;
use vpsim::run::{ModelKind, RunConfig, load_trace, run_trace};
use vpsim::trace::{FileTable, TraceSource, convert};
use vpsim::workloads::{GenOptions, generate_to_vec, plan};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// Footprint of every workload.
const FOOTPRINT: u64 = 256 * MIB;

/// (bench name, workload spec, data events). The event counts keep one replay between
/// ≈ 0.05 and ≈ 0.7 s on a 2-vCPU EPYC.
const WORKLOADS: [(&str, &str, u64); 4] = [
    ("seqread", "seqread", 100_000),
    ("zipf", "zipf:alpha=1.0", 1_000_000),
    ("db", "db", 1_000_000),
    ("mmap_random", "mmap-random", 100_000),
];

/// (name, simulated memory): the 256 MiB footprint fits / exceeds it.
const MEMS: [(&str, u64); 2] = [("fits", GIB), ("exceeds", 128 * MIB)];

/// One generated workload, in both forms.
struct Trace {
    name: &'static str,
    csv: String,
    vpt: String,
    csv_bytes: u64,
    vpt_bytes: u64,
    /// All events (rows), as a replay counts them.
    events: u64,
    /// Page references (`PageRefs`).
    refs: u64,
}

/// The generated traces; the directory goes when this is dropped.
struct Traces {
    dir: PathBuf,
    list: Vec<Trace>,
}

impl Drop for Traces {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn generate_traces() -> Traces {
    let dir = std::env::temp_dir().join(format!("vpsim-bench-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut traces = Traces {
        dir: dir.clone(),
        list: Vec::new(),
    };
    for (name, spec, events) in WORKLOADS {
        let opts = GenOptions {
            seed: 7,
            events,
            size: FOOTPRINT,
            ..GenOptions::default()
        };
        let p = plan(spec, &opts).expect("workload");
        let csv = dir
            .join(format!("{name}.csv"))
            .to_string_lossy()
            .into_owned();
        let vpt = dir
            .join(format!("{name}.vpt"))
            .to_string_lossy()
            .into_owned();
        std::fs::write(&csv, generate_to_vec(&p).expect("generate")).expect("write csv");
        let n = convert(&csv, &vpt, &mut |_| {}).expect("convert");
        let loaded = load_trace(&vpt).expect("load");
        assert_eq!(loaded.events.len() as u64, n);
        let mut pr = PageRefs::new(&loaded.files);
        let refs = loaded.events.iter().map(|e| pr.apply(e).len()).sum();
        let size = |p: &str| std::fs::metadata(p).expect("trace").len();
        eprintln!(
            "replay bench: {name} ({spec}): {n} events, {refs} page references, \
             CSV {} bytes, binary {} bytes",
            size(&csv),
            size(&vpt)
        );
        traces.list.push(Trace {
            name,
            csv_bytes: size(&csv),
            vpt_bytes: size(&vpt),
            csv,
            vpt,
            events: n,
            refs,
        });
    }
    traces
}

fn config(mem: u64) -> RunConfig {
    RunConfig {
        model: ModelKind::Dragonfly,
        mem,
        ..RunConfig::default()
    }
}

/// One whole replay; asserts it replayed every event. Returns the pageout passes.
fn replay(path: &str, mem: u64, events: u64) -> u64 {
    let out = run_trace(path, &config(mem), &mut |_| {}).expect("replay");
    assert_eq!(out.events, events, "every event replayed");
    assert_eq!(out.stats.counters.events, events, "every event simulated");
    black_box(&out);
    out.stats.counters.v_pdwakeups
}

/// Replay every (workload, memory, form), with `unit` choosing the throughput.
fn replay_group(c: &mut Criterion, traces: &Traces, group: &str, refs: bool) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    for t in &traces.list {
        for (mem_name, mem) in MEMS {
            g.throughput(Throughput::Elements(if refs { t.refs } else { t.events }));
            for (form, path) in [("csv", &t.csv), ("binary", &t.vpt)] {
                g.bench_function(format!("{}/{mem_name}/{form}", t.name), |b| {
                    b.iter(|| replay(path, mem, t.events))
                });
            }
        }
    }
    g.finish();
}

/// Read every event of `path` with no model; returns the count.
fn read_only(path: &str) -> u64 {
    let mut src = TraceSource::open(path).expect("open");
    let mut files = FileTable::new();
    let mut n = 0u64;
    while let Some(ev) = src.next_event(&mut files).expect("event") {
        black_box(&ev);
        n += 1;
    }
    n
}

fn benches(c: &mut Criterion) {
    let traces = generate_traces();
    // The memory names mean what they say (checked once, from the binary form).
    for t in &traces.list {
        let fits = replay(&t.vpt, MEMS[0].1, t.events);
        assert_eq!(
            fits, 0,
            "{}: the footprint fits, pageout never runs",
            t.name
        );
        let exceeds = replay(&t.vpt, MEMS[1].1, t.events);
        assert!(exceeds > 0, "{}: the footprint exceeds memory", t.name);
    }
    replay_group(c, &traces, "replay_events", false);
    replay_group(c, &traces, "replay_refs", true);

    let mut g = c.benchmark_group("read_trace");
    g.sample_size(10);
    for t in &traces.list {
        for (form, path, bytes) in [
            ("csv", &t.csv, t.csv_bytes),
            ("binary", &t.vpt, t.vpt_bytes),
        ] {
            g.throughput(Throughput::Bytes(bytes));
            g.bench_function(format!("{}/{form}", t.name), |b| {
                b.iter(|| assert_eq!(read_only(path), t.events, "every event read"))
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = replay_benches;
    // No criterion plots (see getpages.rs).
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .without_plots();
    targets = benches
}
criterion_main!(replay_benches);
