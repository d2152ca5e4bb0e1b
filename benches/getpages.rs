//! Per-call cost of the hot getpages paths, measured through the public API
//! (`Simulator::step_event`), one trace event per measured call.
//!
//! Every bench drives a simulator whose state it controls, so the measured event
//! always takes the path the bench is named after. Anything needed to
//! restore that state (unmapping, building a fresh simulator) runs outside the timed
//! region, and every sample asserts that the counters moved exactly as the path
//! implies, so a bench cannot silently measure something else.
//!
//! * `resident_fault_quick_path`: a `fault_read` of a page that is resident and valid
//!   but not mapped (vm_fault's quick path: one minor fault, no pager call).
//! * `buffer_hit_read`: a 4 KiB `read` inside a block that is `B_CACHE` without `B_RAM`.
//! * `cold_fault_max_readahead`: a major fault on a never-read page, default read-ahead
//!   (one synchronous 128 KiB cluster + ≈1.9 MiB asynchronous read-ahead, 127 blocks).
//! * `cold_fault_no_readahead`: the same with `vfs.max_readahead=0` (one 16 KiB block).
//!
//! See BENCHMARKS.md for results and how to run.

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};
use vpsim::device::DeviceSpec;
use vpsim::engine::Simulator;
use vpsim::engine::buf::bf;
use vpsim::engine::page::{PAGE_SIZE, VM_PAGE_BITS_ALL};
use vpsim::params::{Knobs, Params};
use vpsim::trace::{Event, FileTable, Flags, Op};

const KIB: u64 = 1024;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;
/// Filesystem block (default `f_iosize`).
const BLOCK: u64 = 16 * KIB;

fn ev(time_ns: u64, op: Op, offset: u64, length: u64) -> Event {
    Event {
        time_ns,
        offset,
        length,
        file: 0,
        pid: 1,
        op,
        flags: Flags::NONE,
        has_offset: true,
        has_length: true,
    }
}

/// A simulator replaying one file (file 0, pid 1) plus its own clock.
struct Rig {
    sim: Simulator,
    t: u64,
    size: u64,
}

impl Rig {
    fn new(mem: u64, size: u64, knobs: Knobs) -> Rig {
        let mut files = FileTable::new();
        let id = files.intern("f");
        files.set_initial_size(id, Some(size), true);
        let params = Params::derive(mem, 0, knobs).expect("params");
        let mut sim = Simulator::new(params, DeviceSpec::ssd(), &files);
        sim.set_check_invariants(false);
        Rig { sim, t: 0, size }
    }

    /// Replay one event `gap` ns after the previous one.
    #[inline(always)]
    fn step(&mut self, gap: u64, op: Op, offset: u64, length: u64) {
        self.t += gap;
        self.sim
            .step_event(black_box(&ev(self.t, op, offset, length)));
    }

    fn open_and_map(&mut self) {
        self.step(SEC, Op::Open, 0, self.size);
        self.step(SEC, Op::Mmap, 0, self.size);
    }

    /// munmap + mmap of the whole file: every page loses its PTE, nothing else changes
    /// (the file is large, so mmap enters no resident pages itself).
    fn remap(&mut self) {
        self.step(SEC, Op::Munmap, 0, self.size);
        self.step(SEC, Op::Mmap, 0, self.size);
    }

    /// The current VM object of the file (the newest vnode: one file per rig).
    fn object(&self) -> usize {
        self.sim.vnodes.last().expect("vnode").object as usize
    }
}

/// Counters a sample checks before and after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Snap {
    minor: u64,
    major: u64,
    no_fault: u64,
    v_intrans: u64,
    vnodein: u64,
    page_hits: u64,
    page_misses: u64,
    getblk_hits: u64,
    bram_hits: u64,
    recycles: u64,
    pdwakeups: u64,
    dev_reads: u64,
    dev_sync_reads: u64,
    dev_read_bytes: u64,
}

impl Snap {
    fn of(sim: &Simulator) -> Snap {
        let d = sim.device.stats();
        Snap {
            minor: sim.c.minor_faults,
            major: sim.c.major_faults,
            no_fault: sim.c.touches_no_fault,
            v_intrans: sim.c.v_intrans,
            vnodein: sim.c.v_vnodein,
            page_hits: sim.c.page_hits,
            page_misses: sim.c.page_misses,
            getblk_hits: sim.c.getblk_hits,
            bram_hits: sim.c.bram_hits,
            recycles: sim.c.getnewbuf_recycles,
            pdwakeups: sim.c.v_pdwakeups,
            dev_reads: d.reads,
            dev_sync_reads: d.sync_reads,
            dev_read_bytes: d.read_bytes,
        }
    }

    /// Field-wise `self - before`.
    fn since(self, b: Snap) -> Snap {
        Snap {
            minor: self.minor - b.minor,
            major: self.major - b.major,
            no_fault: self.no_fault - b.no_fault,
            v_intrans: self.v_intrans - b.v_intrans,
            vnodein: self.vnodein - b.vnodein,
            page_hits: self.page_hits - b.page_hits,
            page_misses: self.page_misses - b.page_misses,
            getblk_hits: self.getblk_hits - b.getblk_hits,
            bram_hits: self.bram_hits - b.bram_hits,
            recycles: self.recycles - b.recycles,
            pdwakeups: self.pdwakeups - b.pdwakeups,
            dev_reads: self.dev_reads - b.dev_reads,
            dev_sync_reads: self.dev_sync_reads - b.dev_sync_reads,
            dev_read_bytes: self.dev_read_bytes - b.dev_read_bytes,
        }
    }
}

/// 1. Minor faults through vm_fault's quick path.
///
/// 1 GiB of memory, a 64 MiB file mapped shared, `vm.prefault_pages=0` (so every
/// touch of a new page is its own fault). Warm-up: a cold scan faults every page in
/// (read-ahead keeps the device ahead), then munmap + mmap leaves every page resident,
/// fully valid, not busy and unmapped. Each measured call touches the next page
/// (ascending); when all 16 Ki pages are mapped again the mapping is re-created outside
/// the timed region.
fn resident_fault_quick_path(g: &mut BenchmarkGroup<WallTime>) {
    let size = 64 * MIB;
    let pages = size / PAGE_SIZE;
    let mut knobs = Knobs::default();
    knobs.set("vm.prefault_pages=0").unwrap();
    let mut r = Rig::new(GIB, size, knobs);
    assert!(
        r.sim.p.knobs.vm_shared_fault,
        "the quick path needs vm_shared_fault"
    );
    r.open_and_map();
    for p in 0..pages {
        r.step(MS, Op::FaultRead, p * PAGE_SIZE, 4 * KIB);
    }
    assert_eq!(
        r.sim.device.stats().read_bytes,
        size,
        "warm-up read the file"
    );
    r.remap();
    // The quick path's conditions, for every page the bench will touch.
    let o = r.object();
    for p in 0..pages {
        let m = r.sim.objects[o]
            .lookup(p)
            .expect("page resident after warm-up");
        let pg = &r.sim.pages.pages[m as usize];
        assert_eq!(pg.valid, VM_PAGE_BITS_ALL, "page {p} fully valid");
        assert!(
            pg.busy == 0 && pg.io_done_at <= r.t,
            "page {p} has no I/O in flight"
        );
        assert_eq!(pg.mapped, 0, "page {p} unmapped");
    }

    let mut next = 0u64;
    g.bench_function("resident_fault_quick_path", |b| {
        b.iter_custom(|iters| {
            let before = Snap::of(&r.sim);
            let mut timed = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                if next == pages {
                    r.remap();
                    next = 0;
                }
                let n = left.min(pages - next);
                let start = Instant::now();
                timed_quick_faults(&mut r, next, n);
                timed += start.elapsed();
                next += n;
                left -= n;
            }
            let d = Snap::of(&r.sim).since(before);
            assert_eq!(d.minor, iters, "one minor fault per call");
            assert_eq!(d.major, 0, "no pager call");
            assert_eq!(d.no_fault, 0, "every touched page was unmapped");
            assert_eq!(d.v_intrans, 0, "no page under I/O");
            assert_eq!(d.page_hits, iters, "every touched page resident and valid");
            assert_eq!(d.dev_reads, 0, "no device I/O");
            timed
        })
    });
}

/// 2. read(2) of 4 KiB hitting a cached block.
///
/// 1 GiB of memory (≈112 MiB of buffer space), a 64 MiB file read once sequentially,
/// which leaves every block `B_CACHE` with its `B_RAM` mark consumed. Each measured
/// call reads the next 4 KiB (sequentially): cluster_readx finds the buffer cached and
/// unmarked and returns it at once. The last block is left out (the reads wrap before
/// it): ffs reads the EOF block with plain `bread`, a different path, which also never
/// consumes the `B_RAM` mark read-ahead left on it.
fn buffer_hit_read(g: &mut BenchmarkGroup<WallTime>) {
    let size = 64 * MIB;
    let mut r = Rig::new(GIB, size, Knobs::default());
    r.step(SEC, Op::Open, 0, size);
    for off in (0..size).step_by(4 * KIB as usize) {
        r.step(MS, Op::Read, off, 4 * KIB);
    }
    r.t += 10 * SEC; // let the last read-ahead complete before the checks
    r.step(0, Op::Read, 0, 4 * KIB);
    assert_eq!(
        r.sim.device.stats().read_bytes,
        size,
        "warm-up read the file"
    );
    // The blocks the bench reads: all but the EOF block.
    let end = size - BLOCK;
    for lblk in 0..end / BLOCK {
        let b = r
            .sim
            .bufs
            .lookup(0, lblk)
            .expect("block cached after warm-up");
        let bp = &r.sim.bufs.bufs[b as usize];
        assert!(bp.flags & bf::CACHE != 0, "block {lblk} B_CACHE");
        assert!(bp.flags & bf::RAM == 0, "block {lblk} without B_RAM");
        assert!(bp.io.is_none(), "block {lblk} has no I/O in flight");
    }

    let mut off = 4 * KIB;
    g.bench_function("buffer_hit_read", |b| {
        b.iter_custom(|iters| {
            let before = Snap::of(&r.sim);
            let start = Instant::now();
            timed_hit_reads(&mut r, &mut off, end, iters);
            let timed = start.elapsed();
            let d = Snap::of(&r.sim).since(before);
            assert_eq!(d.getblk_hits, iters, "one buffer-cache hit per call");
            assert_eq!(d.page_hits, iters, "every page resident and valid");
            assert_eq!(d.page_misses, 0);
            assert_eq!(d.bram_hits, 0, "no read-ahead mark hit");
            assert_eq!(d.dev_reads, 0, "no device I/O");
            timed
        })
    });
}

const REGION: u64 = 2 * MIB;

/// 3./4. Major faults on never-read pages.
///
/// 4 GiB of memory, a file of `regions` × 2 MiB mapped shared (no MADV_RANDOM, so
/// getpages asks for the maximum read-ahead unless `vfs.max_readahead` says otherwise).
/// Each measured call faults the first page of the next 2 MiB region, 10 s (simulated)
/// after the previous event so the device is idle: the call pays for the synchronous
/// read and, since the previous call's asynchronous read-ahead completes at the start
/// of the next event, for one batch of completions (biodone). Each timed chunk ends
/// with one no-fault touch that absorbs the last call's completions. When the regions
/// run out a new simulator is built outside the timed region (dropping the old one
/// frees everything; unlinking and re-creating the file instead would leak, see
/// BENCHMARKS.md). A fresh simulator hands out never-used pages in slab order: the
/// best case for memory locality, which cold faults are sensitive to.
///
/// `regions` must keep every incarnation clear of buffer recycling and of pageout:
/// with full read-ahead 192 × 127 blocks ≈ 381 MiB stay below lobufspace (≈419 MiB at
/// 4 GiB); without read-ahead every buffer is torn down after use and 16 Ki faults
/// leave only 64 Ki pages resident.
fn cold_fault(
    g: &mut BenchmarkGroup<WallTime>,
    name: &str,
    knobs: Knobs,
    regions: u64,
    blocks_per_fault: u64,
) {
    let size = regions * REGION;
    let fresh = || {
        let mut r = Rig::new(4 * GIB, size, knobs.clone());
        r.open_and_map();
        r
    };
    let mut r = fresh();
    let mut region = 0u64;
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                if region == regions {
                    r = fresh();
                    region = 0;
                }
                let n = left.min(regions - region);
                let before = Snap::of(&r.sim);
                let start = Instant::now();
                timed_cold_faults(&mut r, region, n);
                timed += start.elapsed();
                let d = Snap::of(&r.sim).since(before);
                assert_eq!(d.major, n, "one major fault per call");
                assert_eq!(d.minor, 0);
                assert_eq!(d.no_fault, 1, "the trailing touch found its page mapped");
                assert_eq!(d.vnodein, n, "one pager call per call");
                assert_eq!(d.v_intrans, 0, "never waited for read-ahead");
                assert_eq!(d.dev_sync_reads, n, "one synchronous read per call");
                assert_eq!(
                    d.dev_read_bytes,
                    n * blocks_per_fault * BLOCK,
                    "read-ahead window"
                );
                assert_eq!(d.recycles, 0, "no buffer recycled");
                assert_eq!(d.pdwakeups, 0, "no pageout");
                region += n;
                left -= n;
            }
            timed
        })
    });
}

// The timed loops. Kept out of line so that callgrind can count exactly their
// instructions: `--toggle-collect='getpages::timed_*'` (see BENCHMARKS.md).

/// Fault pages `first..first + n` (resident, unmapped) in ascending order.
#[inline(never)]
fn timed_quick_faults(r: &mut Rig, first: u64, n: u64) {
    for p in first..first + n {
        r.step(1_000, Op::FaultRead, p * PAGE_SIZE, 4 * KIB);
    }
}

/// `n` sequential 4 KiB reads from `*off`, wrapping to 0 at `end`.
#[inline(never)]
fn timed_hit_reads(r: &mut Rig, off: &mut u64, end: u64, n: u64) {
    for _ in 0..n {
        r.step(1_000, Op::Read, *off, 4 * KIB);
        *off += 4 * KIB;
        if *off == end {
            *off = 0;
        }
    }
}

/// Fault the first page of regions `first..first + n`, 10 s apart, then absorb the
/// last fault's completions.
#[inline(never)]
fn timed_cold_faults(r: &mut Rig, first: u64, n: u64) {
    for k in first..first + n {
        r.step(10 * SEC, Op::FaultRead, k * REGION, 4 * KIB);
    }
    timed_absorb_completions(r, (first + n - 1) * REGION);
}

/// A touch of mapped page at `offset` (no fault) 10 s later: the previous fault's
/// read-ahead completes at its start.
#[inline(never)]
fn timed_absorb_completions(r: &mut Rig, offset: u64) {
    r.step(10 * SEC, Op::FaultRead, offset, 4 * KIB);
}

fn getpages(c: &mut Criterion) {
    let mut g = c.benchmark_group("getpages");
    resident_fault_quick_path(&mut g);
    buffer_hit_read(&mut g);
    cold_fault(
        &mut g,
        "cold_fault_max_readahead",
        Knobs::default(),
        192,
        127,
    );
    let mut no_ra = Knobs::default();
    no_ra.set("vfs.max_readahead=0").unwrap();
    cold_fault(&mut g, "cold_fault_no_readahead", no_ra, 16 * 1024, 1);
    g.finish();
}

criterion_group! {
    name = benches;
    // No criterion plots: its plotters backend would need fonts registered (vpsim's
    // plotters is built with the ab_glyph backend only), and the numbers are what we
    // record.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .without_plots();
    targets = getpages
}
criterion_main!(benches);
