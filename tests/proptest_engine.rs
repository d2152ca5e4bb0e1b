//! Property tests of the engine: random traces (every op, sizes crossing page and block
//! boundaries, truncates inside dirty pages, mmaps overlapping writes and stores,
//! unlinks of mapped files, files grown by several MiB, a few files and pids, times
//! that stand still, jump by seconds and step back) replayed under random read-ahead,
//! clustering and sync policies, devices and memories of 4–64 MiB (so pageout and
//! laundering run), in a third of the cases with `kern.maxvnodes` of 1–3 (so vnlru
//! recycles vnodes between unlinks, mmaps and implicit opens), with the invariants checked after every event (page conservation,
//! buffer accounting, no data lost), plus:
//!
//! * no counter ever decreases from one event to the next (device totals included);
//! * each event adds exactly one latency sample to its op, and every latency summary is
//!   finite and ordered (p50 ≤ p90 ≤ p99 ≤ p99.9 ≤ max);
//! * the run finishes, with no invariant failure reported at the end, and with
//!   `--final-sync` nothing is left dirty (files unlinked while open included);
//! * replaying again through `run::run_loaded` (a third of the cases) gives the same
//!   counters and device totals: deterministic, and a `--timeline` only observes; and
//!   again with every syncer vnode visit run (idle ones are skipped by default): the
//!   same figures but for `syncer_msync_runs`;
//! * the LRU and OPT reference models on the same trace never hold more pages than they
//!   may, see the same references, and OPT never misses more than LRU.
//!
//! Traces are rendered as CSV and loaded through the real reader and first pass
//! (`run::load_trace`), so a failing case prints as a trace that can be pasted into a
//! regression test (`replay_csv` below) or into `vpsim replay`.
//!
//! Case count: `PROPTEST_CASES` (default 64 for each property; 1000 engine cases and
//! 3000 model cases were run once by hand). `VPSIM_PROPTEST_STATS=1` prints a line of
//! counters per engine case, to see what the generator reaches (pageout ran in about
//! half the cases, laundering in a sixth).

mod common;

use common::load_csv;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};
use vpsim::device::DeviceSpec;
use vpsim::engine::Simulator;
use vpsim::engine::buf::bf::DELWRI;
use vpsim::model::Model;
use vpsim::models::{Lru, Opt};
use vpsim::params::{Knobs, Params};
use vpsim::run::{LoadedTrace, RunConfig, run_loaded};
use vpsim::stats::Origin;
use vpsim::trace::Op;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const PAGE: u64 = 4096;
const BLOCK: u64 = 16384;
const MAX_EVENTS: usize = 200;

// ---------------------------------------------------------------------------------
// Trace generation

/// One generated trace row.
#[derive(Clone, Debug)]
struct Row {
    /// Time step from the previous row (negative: the trace steps back, which the
    /// reader clamps with a warning).
    dt: i64,
    pid: u32,
    file: u8,
    op: Op,
    off: Option<u64>,
    len: Option<u64>,
    flags: Vec<&'static str>,
}

impl Row {
    fn new(op: Op, pid: u32, file: u8, off: Option<u64>, len: Option<u64>) -> Row {
        Row {
            dt: 1000,
            pid,
            file,
            op,
            off,
            len,
            flags: Vec::new(),
        }
    }
}

/// Byte offsets near page and block boundaries, mostly in the first 512 KiB (so ops
/// of different rows overlap), sometimes anywhere in 4 MiB.
fn offset() -> impl Strategy<Value = u64> + Clone {
    let deltas = vec![0u64, 1, 511, 512, 4095, 4096, 4097, 8192, 12287, 16383];
    prop_oneof![
        6 => (0u64..32, prop::sample::select(deltas)).prop_map(|(b, d)| b * BLOCK + d),
        2 => 0u64..(512 * KIB),
        1 => 0u64..(4 * MIB),
    ]
}

/// Byte counts: 0, around a sector, page or block, or anything up to 192 KiB.
fn length() -> impl Strategy<Value = u64> + Clone {
    let edges = vec![
        0u64, 1, 511, 512, 4095, 4096, 4097, 16383, 16384, 16385, 65536, 131072,
    ];
    prop_oneof![
        3 => prop::sample::select(edges),
        2 => 1u64..(192 * KIB),
    ]
}

fn flags(words: &'static [&'static str]) -> impl Strategy<Value = Vec<&'static str>> + Clone {
    prop::sample::subsequence(words, 0..=2.min(words.len()))
}

/// Time steps: the same instant, nanoseconds, microseconds to milliseconds, seconds
/// (so the syncer, buf_daemon and sync policies wake up) and, rarely, a step back.
fn dt() -> impl Strategy<Value = i64> + Clone {
    prop_oneof![
        2 => Just(0i64),
        4 => 1i64..100_000,
        3 => 100_000i64..20_000_000,
        1 => 1_000_000_000i64..40_000_000_000,
        1 => -50_000i64..0,
    ]
}

/// One random row of any op.
fn any_row(nfiles: u8, npids: u32) -> impl Strategy<Value = Row> {
    let op = prop_oneof![
        4 => Just(Op::Read),
        4 => Just(Op::Write),
        3 => Just(Op::FaultRead),
        3 => Just(Op::FaultWrite),
        2 => Just(Op::Open),
        2 => Just(Op::Mmap),
        1 => Just(Op::Munmap),
        1 => Just(Op::Close),
        1 => Just(Op::Truncate),
        1 => Just(Op::Fsync),
        1 => Just(Op::Msync),
        1 => Just(Op::Unlink),
        1 => Just(Op::Fadvise),
        1 => Just(Op::Madvise),
    ];
    let advice = ["normal", "random", "sequential", "willneed", "dontneed"];
    (
        op,
        dt(),
        1..=npids,
        0..nfiles,
        offset(),
        length(),
        any::<bool>(),
        flags(&["sync", "direct", "append"]),
        flags(&["private", "random", "sequential", "nosync"]),
        flags(&["async", "invalidate"]),
        prop::sample::select(advice.to_vec()),
    )
        .prop_map(
            |(op, dt, pid, file, off, len, coin, open_fl, mmap_fl, msync_fl, advice)| {
                let (off, len, flags) = match op {
                    Op::Open => (None, coin.then_some(off), open_fl),
                    Op::Close | Op::Fsync | Op::Unlink => (None, None, vec![]),
                    Op::Truncate => (None, Some(off), vec![]),
                    // a write without offset appends
                    Op::Write => {
                        let append = coin && off % 5 == 0;
                        ((!append).then_some(off), Some(len), vec![])
                    }
                    Op::Read => (Some(off), Some(len), vec![]),
                    Op::Mmap => {
                        let aligned = if coin { off / PAGE * PAGE } else { off };
                        (Some(aligned), Some(len.max(1)), mmap_fl)
                    }
                    Op::Munmap => (Some(off / PAGE * PAGE), Some(len), vec![]),
                    Op::FaultRead | Op::FaultWrite => (Some(off), Some(PAGE), vec![]),
                    Op::Msync => (Some(off), Some(if coin { 0 } else { len }), msync_fl),
                    Op::Fadvise => {
                        let word = if coin { "noreuse" } else { advice };
                        let to_eof = off % 3 == 0;
                        (Some(off), Some(if to_eof { 0 } else { len }), vec![word])
                    }
                    Op::Madvise => (Some(off / PAGE * PAGE), Some(len), vec![advice]),
                };
                Row {
                    dt,
                    pid,
                    file,
                    op,
                    off,
                    len,
                    flags,
                }
            },
        )
}

/// A few rows that make a known-hard situation on one (pid, file).
fn motif(nfiles: u8, npids: u32) -> impl Strategy<Value = Vec<Row>> {
    (
        prop::sample::select(vec![0u8, 1, 2, 3, 3, 4, 5]),
        1..=npids,
        0..nfiles,
        offset(),
        length(),
        1u64..(3 * PAGE),
        any::<bool>(),
    )
        .prop_map(|(kind, pid, file, off, len, delta, coin)| {
            let r = |op, o, l| Row::new(op, pid, file, o, l);
            let len = len.max(1);
            match kind {
                // a write, then a truncate inside the dirty range (mid-page), then a
                // read and a write across the new EOF
                0 => vec![
                    r(Op::Open, None, None),
                    r(Op::Write, Some(off), Some(len)),
                    r(Op::Truncate, None, Some(off + (delta % len).max(1))),
                    r(Op::Read, Some(off), Some(len)),
                    r(Op::Write, Some(off + len / 2), Some(PAGE + 1)),
                    r(if coin { Op::Fsync } else { Op::Close }, None, None),
                ],
                // an mmap overlapping writes and stores, then msync and munmap
                1 => {
                    let base = off / PAGE * PAGE;
                    vec![
                        r(Op::Open, None, Some(base + 2 * len)),
                        r(Op::Mmap, Some(base), Some(len + PAGE)),
                        r(Op::Write, Some(off + delta), Some(len)),
                        r(Op::FaultWrite, Some(off + delta / 2), Some(PAGE)),
                        r(Op::FaultRead, Some(off + len), Some(PAGE)),
                        r(Op::Truncate, None, Some(off + delta)),
                        r(Op::FaultWrite, Some(off + delta + PAGE), Some(PAGE)),
                        r(Op::Msync, Some(base), Some(if coin { 0 } else { len })),
                        r(Op::Munmap, Some(base), Some(len + PAGE)),
                    ]
                }
                // unlink a file that is mapped and dirty, keep touching it, recreate it
                2 => vec![
                    r(Op::Open, None, Some(off + len)),
                    r(Op::Mmap, Some(0), Some(off + len)),
                    r(Op::FaultWrite, Some(off), Some(PAGE)),
                    r(Op::Write, Some(off / 2), Some(len)),
                    r(Op::Unlink, None, None),
                    r(Op::FaultRead, Some(off), Some(PAGE)),
                    r(Op::FaultWrite, Some(off / 2), Some(PAGE)),
                    r(Op::Munmap, Some(0), Some(off + len)),
                    r(Op::Close, None, None),
                    r(Op::Open, None, None),
                    r(Op::Read, Some(0), Some(len)),
                ],
                // several MiB written in large chunks (growing the file), then read
                // back: memory pressure (pageout, laundering, buffer flushes)
                3 => {
                    let chunk = (128 * KIB) << (delta % 3);
                    let n = 8 + (len % 17);
                    let base = off / BLOCK * BLOCK;
                    let mut v = vec![r(Op::Open, None, None)];
                    for i in 0..n {
                        v.push(r(Op::Write, Some(base + i * chunk), Some(chunk)));
                    }
                    for i in 0..n {
                        let at = if coin { i } else { n - 1 - i };
                        v.push(r(Op::Read, Some(base + at * chunk), Some(chunk)));
                    }
                    v
                }
                // madvise over part of a mapping (clipping its entry), touches inside
                // and beside the range, then normal advice over all of it (merging)
                5 => {
                    let base = off / PAGE * PAGE;
                    let word = ["random", "sequential", "normal"][(delta % 3) as usize];
                    vec![
                        r(Op::Open, None, Some(base + 2 * len)),
                        r(Op::Mmap, Some(base), Some(len + 2 * PAGE)),
                        Row {
                            flags: vec![word],
                            ..r(Op::Madvise, Some(base + PAGE), Some(len))
                        },
                        r(Op::FaultRead, Some(base + PAGE + delta % len), Some(PAGE)),
                        r(Op::FaultWrite, Some(base), Some(PAGE)),
                        r(Op::FaultWrite, Some(base + PAGE + len), Some(PAGE)),
                        Row {
                            flags: vec!["normal"],
                            ..r(Op::Madvise, Some(base), Some(len + 2 * PAGE))
                        },
                        r(Op::Msync, Some(base + PAGE), Some(0)),
                        r(Op::Munmap, Some(base), Some(len + 2 * PAGE)),
                    ]
                }
                // sequential reads then writes of one range (read-ahead, clustering)
                _ => {
                    let mut v = vec![r(Op::Open, None, Some(off + 8 * len))];
                    for i in 0..4 {
                        v.push(r(Op::Read, Some(off + i * len), Some(len)));
                    }
                    for i in 0..4 {
                        v.push(r(Op::Write, Some(off + i * len), Some(len)));
                    }
                    v
                }
            }
        })
}

/// A trace: random rows and motifs interleaved, at most `MAX_EVENTS` rows.
fn trace() -> impl Strategy<Value = Vec<Row>> {
    (1u8..=4, 1u32..=3)
        .prop_flat_map(|(nfiles, npids)| {
            prop::collection::vec(
                prop_oneof![
                    4 => any_row(nfiles, npids).prop_map(|r| vec![r]),
                    1 => motif(nfiles, npids),
                ],
                16..=90,
            )
        })
        .prop_map(|chunks| {
            let mut rows: Vec<Row> = chunks.into_iter().flatten().collect();
            rows.truncate(MAX_EVENTS);
            rows
        })
}

fn render(rows: &[Row]) -> String {
    let mut s = String::from("time_ns,pid,op,file,offset,length,flags\n");
    let mut t: i64 = 1_000_000;
    for r in rows {
        t = (t + r.dt).max(0);
        let opt = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
        s.push_str(&format!(
            "{t},{},{},f{},{},{},{}\n",
            r.pid,
            r.op.name(),
            r.file,
            opt(r.off),
            opt(r.len),
            r.flags.join("|")
        ));
    }
    s
}

// ---------------------------------------------------------------------------------
// Configurations

#[derive(Clone, Debug)]
struct Setup {
    mem: u64,
    unavailable: u64,
    readahead: String,
    cluster: String,
    sync: String,
    device: &'static str,
    final_sync: bool,
    timeline: bool,
    /// Replay again through `run::run_loaded` and compare.
    recheck: bool,
    /// `kern.maxvnodes` below the trace's file count, so vnlru recycles vnodes between
    /// (and under) unlinks, mmaps and implicit opens.
    maxvnodes: Option<u32>,
}

fn setup() -> impl Strategy<Value = Setup> {
    // mostly small, so that pageout runs
    let mems = vec![4, 4, 4, 5, 6, 8, 8, 12, 16, 24, 32, 64];
    let readahead = prop_oneof![
        Just("dragonfly".to_string()),
        Just("dragonfly:max_readahead=0".to_string()),
        Just("dragonfly:seqaccess=detect".to_string()),
        Just("none".to_string()),
        (1u64..=64).prop_map(|n| format!("fixed:pages={n}")),
        Just("linux".to_string()),
        (1u64..=64).prop_map(|n| format!("linux:max={n}")),
        Just("freebsd".to_string()),
    ];
    let cluster = prop_oneof![
        Just("dragonfly".to_string()),
        Just("dragonfly:launder=fixed".to_string()),
        Just("none".to_string()),
        Just("contiguous".to_string()),
        (1u64..=16).prop_map(|n| format!("contiguous:max={n}")),
    ];
    let sync = prop_oneof![
        Just("dragonfly".to_string()),
        Just("dragonfly:forced_sync=off".to_string()),
        Just("linux".to_string()),
        Just("linux:background=1,ratio=2,expire=1s,interval=100ms".to_string()),
        Just("periodic".to_string()),
        Just("periodic:interval=100ms".to_string()),
        Just("writethrough".to_string()),
    ];
    let base = (
        prop::sample::select(mems),
        0u64..3,
        readahead,
        cluster,
        sync,
        prop::sample::select(vec!["nvme", "ssd", "hdd"]),
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(mem_mib, unav, readahead, cluster, sync, device, final_sync, timeline, recheck)| {
                Setup {
                    mem: mem_mib * MIB,
                    // a quarter or an eighth of RAM wired away, where the model allows it
                    unavailable: if mem_mib >= 8 {
                        unav * mem_mib * MIB / 8
                    } else {
                        0
                    },
                    readahead,
                    cluster,
                    sync,
                    device,
                    final_sync,
                    timeline,
                    recheck,
                    maxvnodes: None,
                }
            },
        );
    (base, prop::option::weighted(0.3, 1u32..=3))
        .prop_map(|(setup, maxvnodes)| Setup { maxvnodes, ..setup })
}

fn run_config(s: &Setup) -> RunConfig {
    RunConfig {
        mem: s.mem,
        unavailable: s.unavailable,
        knobs: Knobs {
            maxvnodes: s.maxvnodes,
            // Reuse free vnodes at once, so the reuse path runs on these short traces.
            wantfreevnodes: if s.maxvnodes.is_some() { 0 } else { 25 },
            ..Knobs::default()
        },
        device: s.device.parse().unwrap(),
        check_invariants: true,
        final_sync: s.final_sync,
        readahead: s.readahead.clone(),
        cluster: s.cluster.clone(),
        sync: s.sync.clone(),
        ..RunConfig::default()
    }
}

// ---------------------------------------------------------------------------------
// The properties

/// Every counter of the simulator, device totals included, in a fixed order.
fn snapshot(sim: &Simulator) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = sim
        .c
        .entries()
        .into_iter()
        .map(|(_, n, x)| (n.to_string(), x))
        .collect();
    let d = sim.device.stats();
    for (n, x) in [
        ("device.reads", d.reads),
        ("device.read_bytes", d.read_bytes),
        ("device.writes", d.writes),
        ("device.write_bytes", d.write_bytes),
        ("device.sync_reads", d.sync_reads),
        ("device.async_reads", d.async_reads),
        ("device.sync_writes", d.sync_writes),
        ("device.async_writes", d.async_writes),
        ("device.busy_ns", d.busy_ns),
        ("device.max_queue_depth", d.max_queue_depth),
    ] {
        v.push((n.to_string(), x));
    }
    for (i, o) in d.by_origin.iter().enumerate() {
        for (j, x) in o.iter().enumerate() {
            v.push((format!("device.by_origin[{i}][{j}]"), *x));
        }
    }
    v
}

fn check_latency(op: Op, l: &vpsim::stats::LatencySummary) -> Result<(), TestCaseError> {
    prop_assert!(
        l.mean.is_finite() && l.mean >= 0.0,
        "{}: mean {}",
        op.name(),
        l.mean
    );
    prop_assert!(
        l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max,
        "{}: percentiles out of order {l:?}",
        op.name()
    );
    prop_assert!(
        l.count == 0 || l.mean <= l.max as f64 + 1.0,
        "{}: mean above max {l:?}",
        op.name()
    );
    Ok(())
}

/// Replay `trace` on the DragonFly model under `s`, checking the properties after every
/// event; returns the final statistics.
fn replay_checked(trace: &LoadedTrace, s: &Setup) -> Result<vpsim::stats::RunStats, TestCaseError> {
    let cfg = run_config(s);
    let (set, knobs) = cfg.policies().unwrap();
    let params = Params::derive(cfg.mem, cfg.unavailable, knobs).unwrap();
    let dev: DeviceSpec = cfg.device.clone();
    let mut sim = Simulator::new(params, dev, &trace.files);
    sim.set_policies(set);
    sim.set_check_invariants(true);
    sim.set_final_sync(s.final_sync);
    if s.timeline {
        sim.enable_timeline(100_000_000);
    }
    let mut before = snapshot(&sim);
    for (i, ev) in trace.events.iter().enumerate() {
        let count_before = sim.latency_summary(ev.op).count;
        sim.step_event(ev);
        let after = snapshot(&sim);
        for ((name, a), (_, b)) in before.iter().zip(&after) {
            prop_assert!(
                b >= a,
                "event {} ({:?}): counter {name} went down from {a} to {b}",
                i + 1,
                ev
            );
        }
        prop_assert_eq!(sim.c.events, i as u64 + 1);
        prop_assert_eq!(
            sim.latency_summary(ev.op).count,
            count_before + 1,
            "event {} did not record one {} latency",
            i + 1,
            ev.op.name()
        );
        before = after;
    }
    let last_time = trace.events.last().map_or(0, |e| e.time_ns);
    let stats = sim.finish_run();
    for (name, a) in &before {
        let b = snapshot(&sim)
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, x)| x);
        prop_assert!(b >= Some(*a), "finish: counter {name} went down");
    }
    prop_assert!(
        !stats.warnings.iter().any(|w| w.contains("invariant")),
        "{:?}",
        stats.warnings
    );
    prop_assert!(stats.end_time_ns >= last_time);
    prop_assert_eq!(stats.counters.events, trace.events.len() as u64);
    let mut total = 0;
    for op in Op::ALL {
        let l = stats.latency.summary(op);
        check_latency(op, &l)?;
        total += l.count;
    }
    prop_assert_eq!(total, trace.events.len() as u64);
    // Files unlinked while still open or mapped (for the statistics line below).
    let unlinked_live: Vec<(usize, u32)> = sim
        .vnodes
        .iter()
        .enumerate()
        .filter(|(_, v)| v.unlinked && v.object != u32::MAX)
        .map(|(i, v)| (i, v.refs))
        .collect();
    if std::env::var_os("VPSIM_PROPTEST_STATS").is_some() {
        let c = &stats.counters;
        eprintln!(
            "events {} mem {}M pdwakeups {} launder {} dfree {} sigbus {} major {} writes {} reads {} unlinked_live {} vnlru {} reuses {} {}/{}/{}",
            c.events,
            s.mem >> 20,
            c.v_pdwakeups,
            c.launder_runs,
            c.v_dfree,
            c.fault_sigbus,
            c.major_faults,
            stats.device.writes,
            stats.device.reads,
            unlinked_live.len(),
            c.vnlru_reclaims,
            c.vnode_reuses,
            s.readahead,
            s.cluster,
            s.sync
        );
    }
    // --final-sync leaves nothing dirty, files unlinked while still open included
    // (sync(2) writes them: the inode lives until the last close).
    if s.final_sync {
        for (m, p) in sim.pages.pages.iter().enumerate() {
            prop_assert!(
                p.object == u32::MAX || p.dirty == 0,
                "final sync left page {m} dirty: {p:?}"
            );
        }
        for (b, bp) in sim.bufs.bufs.iter().enumerate() {
            prop_assert!(bp.flags & DELWRI == 0, "final sync left buffer {b} dirty");
        }
        prop_assert_eq!(stats.counters.dirty_bytes_at_end, 0);
    }
    Ok(stats)
}

/// LRU and OPT with `pages` page frames on the same trace.
fn reference_models(trace: &LoadedTrace, pages: u64) -> Result<(), TestCaseError> {
    let dev: DeviceSpec = "ssd".parse().unwrap();
    let mut lru = Lru::new(&trace.files, pages * PAGE, dev.clone());
    let mut opt = Opt::new(&trace.files, pages * PAGE, dev, &trace.events);
    for (i, ev) in trace.events.iter().enumerate() {
        lru.step(ev);
        opt.step(ev);
        prop_assert!(
            lru.resident() <= lru.capacity(),
            "LRU over capacity at event {}",
            i + 1
        );
        prop_assert!(
            opt.resident() <= opt.capacity(),
            "OPT over capacity at event {}",
            i + 1
        );
    }
    let l = lru.finish();
    let o = opt.finish();
    for st in [&l, &o] {
        prop_assert_eq!(st.counters.events, trace.events.len() as u64);
        for op in Op::ALL {
            check_latency(op, &st.latency.summary(op))?;
        }
    }
    prop_assert_eq!(
        l.counters.page_hits + l.counters.page_misses,
        o.counters.page_hits + o.counters.page_misses,
        "LRU and OPT saw different references"
    );
    prop_assert!(
        o.counters.page_misses <= l.counters.page_misses,
        "OPT {} misses > LRU {} with {pages} pages",
        o.counters.page_misses,
        l.counters.page_misses
    );
    Ok(())
}

/// Every property of one DragonFly replay: `replay_checked`, and (when `s.recheck`)
/// the same result through `run::run_loaded`.
///
/// (The DragonFly and LRU models do NOT count the same page touches on every trace:
/// the reference models count reads and faults past EOF and writes failing with
/// EFBIG, as `models/pageref.rs` specifies, where the kernel model clips at EOF.)
fn engine_properties(trace: &LoadedTrace, s: &Setup) -> Result<(), TestCaseError> {
    let stats = replay_checked(trace, s)?;
    if s.recheck {
        // The normal path (run::run_loaded) replays the same way, deterministically,
        // and a --timeline only observes.
        let again = run_loaded(trace, &run_config(s)).unwrap();
        prop_assert_eq!(&again.stats.counters, &stats.counters);
        prop_assert_eq!(&again.stats.device, &stats.device);
        // Skipping the syncer vnode's idle visits changes nothing but their count.
        let every = replay_every_syncer_visit(trace, s);
        let mut c = every.counters.clone();
        prop_assert!(c.syncer_msync_runs >= stats.counters.syncer_msync_runs);
        c.syncer_msync_runs = stats.counters.syncer_msync_runs;
        prop_assert_eq!(&c, &stats.counters);
        prop_assert_eq!(&every.device, &stats.device);
    }
    Ok(())
}

/// `trace` under `s` with every syncer vnode visit run, idle ones included.
fn replay_every_syncer_visit(trace: &LoadedTrace, s: &Setup) -> vpsim::stats::RunStats {
    let cfg = run_config(s);
    let (set, knobs) = cfg.policies().unwrap();
    let params = Params::derive(cfg.mem, cfg.unavailable, knobs).unwrap();
    let mut sim = Simulator::new(params, cfg.device.clone(), &trace.files);
    sim.set_policies(set);
    sim.set_final_sync(s.final_sync);
    sim.set_skip_idle_syncer(false);
    for ev in &trace.events {
        sim.step_event(ev);
    }
    sim.finish_run()
}

fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        // regressions become named tests below, not files
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn engine_invariants_hold_on_random_traces(rows in trace(), s in setup()) {
        let csv = render(&rows);
        let trace = load_csv(&csv);
        engine_properties(&trace, &s)?;
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn reference_models_hold_on_random_traces(rows in trace(), pages in 4u64..=600) {
        let trace = load_csv(&render(&rows));
        reference_models(&trace, pages)?;
    }
}

// ---------------------------------------------------------------------------------
// Fixed cases (minimised failures and hand-made hard cases)

/// Replay a CSV trace with every property checked, under each listed setup.
fn replay_csv(csv: &str, setups: &[Setup]) {
    let trace = load_csv(csv);
    for s in setups {
        if let Err(e) = engine_properties(&trace, s) {
            panic!("{s:?}: {e}");
        }
    }
    if let Err(e) = reference_models(&trace, 8) {
        panic!("reference models: {e}");
    }
}

fn small(readahead: &str, cluster: &str, sync: &str) -> Setup {
    Setup {
        mem: 4 * MIB,
        unavailable: 0,
        readahead: readahead.into(),
        cluster: cluster.into(),
        sync: sync.into(),
        device: "ssd",
        final_sync: true,
        timeline: false,
        recheck: false,
        maxvnodes: None,
    }
}

/// Every policy family at 4 MiB on a trace that writes, maps, truncates inside dirty
/// pages and unlinks a mapped file while pageout is busy with a larger file.
#[test]
fn hard_trace_under_every_policy() {
    let mut csv = String::from("time_ns,pid,op,file,offset,length,flags\n");
    csv.push_str("0,1,open,big,,8388608,\n");
    let mut t = 1000;
    for i in 0..320u64 {
        csv.push_str(&format!("{t},1,read,big,{},16384,\n", i * 16384));
        t += 1000;
    }
    csv.push_str(&format!(
        "{t},2,open,m,,65536,\n\
         {},2,mmap,m,0,65536,\n\
         {},2,write,m,4000,9000,\n\
         {},2,fault_write,m,20480,4096,\n\
         {},2,truncate,m,,6000,\n\
         {},2,fault_read,m,8192,4096,\n\
         {},2,unlink,m,,,\n\
         {},2,fault_write,m,0,4096,\n\
         {},2,munmap,m,0,65536,\n\
         {},2,close,m,,,\n\
         {},2,open,m,,,\n\
         {},2,read,m,0,4096,\n",
        t + 1,
        t + 2,
        t + 3,
        t + 4,
        t + 5,
        t + 6,
        t + 7,
        t + 8,
        t + 9,
        t + 10,
        t + 11,
    ));
    let mut setups = Vec::new();
    for ra in ["dragonfly", "none", "fixed:pages=8", "linux", "freebsd"] {
        setups.push(small(ra, "dragonfly", "dragonfly"));
    }
    for cl in ["none", "contiguous"] {
        setups.push(small("dragonfly", cl, "dragonfly"));
    }
    for sy in ["linux", "periodic", "writethrough"] {
        setups.push(small("dragonfly", "dragonfly", sy));
    }
    replay_csv(&csv, &setups);
}

/// Replay `csv` on the DragonFly model with the invariants checked.
fn replay_once(csv: &str) -> vpsim::run::RunOutput {
    let trace = load_csv(csv);
    let cfg = RunConfig {
        check_invariants: true,
        ..RunConfig::default()
    };
    run_loaded(&trace, &cfg).unwrap()
}

/// Found by the property tests (comparing page touches with the LRU model): after
/// `unlink`, a touch through a mapping that still holds the unlinked file must reach
/// that file (trace-format.md: the pages are freed "once the last reference is gone"),
/// not a new, empty file of the same name. Faults, munmap and msync resolve through the
/// pid's mapping, fsync/truncate/mmap through its open file (src/engine/namei.rs).
#[test]
fn fault_through_a_mapping_of_an_unlinked_file() {
    let out = replay_once(
        "time_ns,pid,op,file,offset,length,flags\n\
         0,1,open,m,,65536,\n\
         1,1,mmap,m,0,65536,\n\
         2,1,fault_write,m,0,4096,\n\
         3,1,unlink,m,,,\n\
         4,1,fault_read,m,4096,4096,\n\
         5,1,munmap,m,0,65536,\n\
         6,1,close,m,,,\n",
    );
    let c = &out.stats.counters;
    // (the bug: fault_sigbus 1, implicit_mapping_touches 1, "1 munmaps matched no
    // mapping", dirty_bytes_at_end 20480)
    assert_eq!(c.fault_sigbus, 0, "the fault went to a new empty file");
    assert_eq!(c.implicit_mapping_touches, 0);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    // the last reference is gone: the dirty pages were freed without being written
    assert_eq!(c.dirty_bytes_at_end, 0);
    assert_eq!(out.stats.device.writes, 0);
}

/// Found by the property tests (`--final-sync` leaves nothing dirty): a file unlinked
/// while still open kept its dirty data through the final sync (`final_sync_all`
/// skipped unlinked vnodes). sync(2) writes it: the inode lives until the last close.
#[test]
fn final_sync_and_a_file_unlinked_while_open() {
    let trace = load_csv(
        "time_ns,pid,op,file,offset,length,flags\n\
         0,1,open,a,,0,\n\
         1,1,write,a,0,4096,\n\
         2,1,unlink,a,,,\n",
    );
    let cfg = RunConfig {
        check_invariants: true,
        final_sync: true,
        ..RunConfig::default()
    };
    let out = run_loaded(&trace, &cfg).unwrap();
    assert_eq!(out.stats.counters.dirty_bytes_at_end, 0);
    // the 4 KiB written (a fragment: the file is 4 KiB), by the final sync
    assert_eq!(out.stats.device.write_bytes, 4096);
    assert_eq!(
        out.stats.device.by_origin[Origin::FinalSync.index()][3],
        4096
    );
}
