//! Micro-benchmarks of the write-back side of the vnode pager: the cost of one call
//! that writes dirty pages through `vnode_pager_putpages`, through the public API
//! (`Simulator::step_event`). Per call, like `getpages`: a replay's cost is the sum of
//! its per-event costs, and a write-heavy trace spends its time in these two calls.
//!
//! * `launder_16_pages`: one pageout pass that launders one dirty run of 16 pages
//!   (`vm_pageout_clean` → `vm_pageout_flush` → `vnode_pager_putpages` → `ffs_write`
//!   of 64 KiB, asynchronous: without `CLUSTER_OK` that is one `bawrite` per 16 KiB
//!   block, 4 device writes), plus the completions of the previous call's writes.
//! * `launder_16_pages_32_per_pass`: the same run, timed per run, in passes that each
//!   launder 32 runs (`vm.max_launder`): the pass and the trigger event amortized.
//! * `msync_sync_1mib`: `msync(MS_SYNC)` of a 1 MiB mapping whose 256 pages are all
//!   dirty (16 putpages runs of 16 pages, 64 synchronous 16 KiB writes).
//!
//! Every sample asserts that the counters moved exactly as the path implies (launder
//! runs, pager calls, pages out, device writes by origin, no reads, no buffer
//! recycling), so a bench cannot silently measure some other path after an engine
//! change. The set-up (dirtying the pages, staging the run, rebuilding a simulator)
//! runs outside the timed region.
//!
//! See BENCHMARKS.md for how to run:
//! `cargo bench --bench putpages -- --warm-up-time 1 --measurement-time 3`.

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};
use vpsim::device::DeviceSpec;
use vpsim::engine::Simulator;
use vpsim::engine::page::{PAGE_SIZE, Queue, VM_PAGE_BITS_ALL, pg};
use vpsim::params::{Knobs, Params};
use vpsim::stats::Origin;
use vpsim::trace::{Event, FileTable, Flags, Op};

const KIB: u64 = 1024;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const US: u64 = 1_000;
const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;
/// Filesystem block (default `f_iosize`).
const BLOCK: u64 = 16 * KIB;
/// Pages in one launder run (`vm_pageout_page_count` at these memory sizes).
const RUN: u64 = 16;

/// A simulator replaying a few files (pid 1) plus its own clock.
struct Rig {
    sim: Simulator,
    t: u64,
}

impl Rig {
    fn new(mem: u64, sizes: &[u64], knobs: Knobs) -> Rig {
        let mut files = FileTable::new();
        for (i, &s) in sizes.iter().enumerate() {
            let id = files.intern(&format!("f{i}"));
            files.set_initial_size(id, Some(s), true);
        }
        let params = Params::derive(mem, 0, knobs).expect("params");
        let mut sim = Simulator::new(params, DeviceSpec::ssd(), &files);
        sim.set_check_invariants(false);
        Rig { sim, t: 0 }
    }

    /// Replay one event `gap` ns after the previous one.
    #[inline(always)]
    fn step(&mut self, gap: u64, op: Op, file: u32, offset: u64, length: u64, flags: Flags) {
        self.t += gap;
        let ev = Event {
            time_ns: self.t,
            offset,
            length,
            file,
            pid: 1,
            op,
            flags,
            has_offset: true,
            has_length: true,
        };
        self.sim.step_event(black_box(&ev));
    }
}

/// Counters a sample checks before and after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Snap {
    launder_runs: u64,
    launder_pages: u64,
    vnodeout: u64,
    vnodepgsout: u64,
    putpages_pageout: u64,
    putpages_msync: u64,
    putpages_async: u64,
    putpages_sync: u64,
    forced_sync: u64,
    pdwakeups: u64,
    recycles: u64,
    dev_reads: u64,
    dev_writes: u64,
    dev_write_bytes: u64,
    dev_sync_writes: u64,
    launder_writes: u64,
    launder_write_bytes: u64,
    msync_writes: u64,
    msync_write_bytes: u64,
}

impl Snap {
    fn of(sim: &Simulator) -> Snap {
        let d = sim.device.stats();
        let by = |o: Origin| d.by_origin[o.index()];
        Snap {
            launder_runs: sim.c.launder_runs,
            launder_pages: sim.c.launder_pages,
            vnodeout: sim.c.v_vnodeout,
            vnodepgsout: sim.c.v_vnodepgsout,
            putpages_pageout: sim.c.putpages_pageout,
            putpages_msync: sim.c.putpages_msync,
            putpages_async: sim.c.putpages_async,
            putpages_sync: sim.c.putpages_sync,
            forced_sync: sim.c.putpages_forced_sync,
            pdwakeups: sim.c.v_pdwakeups,
            recycles: sim.c.getnewbuf_recycles,
            dev_reads: d.reads,
            dev_writes: d.writes,
            dev_write_bytes: d.write_bytes,
            dev_sync_writes: d.sync_writes,
            launder_writes: by(Origin::PageoutLaunder)[2],
            launder_write_bytes: by(Origin::PageoutLaunder)[3],
            msync_writes: by(Origin::Msync)[2],
            msync_write_bytes: by(Origin::Msync)[3],
        }
    }

    /// Field-wise `self - before`.
    fn since(self, b: Snap) -> Snap {
        Snap {
            launder_runs: self.launder_runs - b.launder_runs,
            launder_pages: self.launder_pages - b.launder_pages,
            vnodeout: self.vnodeout - b.vnodeout,
            vnodepgsout: self.vnodepgsout - b.vnodepgsout,
            putpages_pageout: self.putpages_pageout - b.putpages_pageout,
            putpages_msync: self.putpages_msync - b.putpages_msync,
            putpages_async: self.putpages_async - b.putpages_async,
            putpages_sync: self.putpages_sync - b.putpages_sync,
            forced_sync: self.forced_sync - b.forced_sync,
            pdwakeups: self.pdwakeups - b.pdwakeups,
            recycles: self.recycles - b.recycles,
            dev_reads: self.dev_reads - b.dev_reads,
            dev_writes: self.dev_writes - b.dev_writes,
            dev_write_bytes: self.dev_write_bytes - b.dev_write_bytes,
            dev_sync_writes: self.dev_sync_writes - b.dev_sync_writes,
            launder_writes: self.launder_writes - b.launder_writes,
            launder_write_bytes: self.launder_write_bytes - b.launder_write_bytes,
            msync_writes: self.msync_writes - b.msync_writes,
            msync_write_bytes: self.msync_write_bytes - b.msync_write_bytes,
        }
    }
}

// ---- 1. Laundering one run of 16 dirty pages ----

/// The dirty file (file 0): 64 MiB, i.e. 1 Ki runs of 16 pages.
const LAUNDER_FILE: u64 = 64 * MIB;
/// The file the trigger event reads (file 1).
const TRIGGER_FILE: u64 = MIB;

/// A simulator holding `LAUNDER_FILE / 64 KiB` dirty runs ready to launder.
///
/// 4 GiB of memory, `vfs.max_readahead=0` (so the faults of the set-up leave no page
/// wired in a read-ahead buffer) and `pageout_dirty_lap=0` (a dirty page is laundered
/// the first time the scan finds it, not after an extra lap of the inactive queue).
/// Set-up: file 0 is mapped shared, every page is dirtied by a `fault_write`, then the
/// mapping is removed, which folds the modified bits into the pages. Every page is now
/// dirty, valid, unmapped and unwired. The pages are then taken off the page queues
/// (parked), so the pageout scans never see them until a call stages them.
///
/// File 1 is read in the set-up: its buffers keep its pages wired, off the queues, so each call's
/// trigger (a 4 KiB `read` of it) is a buffer-cache hit and the active and inactive
/// queues hold only what a call stages.
struct LaunderRig {
    r: Rig,
    object: usize,
    next_run: u64,
    runs: u64,
}

impl LaunderRig {
    fn new() -> LaunderRig {
        let mut knobs = Knobs::default();
        knobs.set("vfs.max_readahead=0").unwrap();
        knobs.set("pageout_dirty_lap=0").unwrap();
        let mut r = Rig::new(4 * GIB, &[LAUNDER_FILE, TRIGGER_FILE], knobs);
        let pages = LAUNDER_FILE / PAGE_SIZE;
        r.step(MS, Op::Open, 0, 0, LAUNDER_FILE, Flags::NONE);
        let object = r.sim.vnodes.last().expect("vnode").object as usize;
        r.step(MS, Op::Mmap, 0, 0, LAUNDER_FILE, Flags::NONE);
        // All within the first 30 s, before the syncer vnode's vfs_msync would clean
        // them (the whole incarnation, calls included, stays below 30 s).
        for p in 0..pages {
            r.step(
                100 * US,
                Op::FaultWrite,
                0,
                p * PAGE_SIZE,
                PAGE_SIZE,
                Flags::NONE,
            );
        }
        r.step(MS, Op::Munmap, 0, 0, LAUNDER_FILE, Flags::NONE);
        r.step(MS, Op::Open, 1, 0, TRIGGER_FILE, Flags::NONE);
        r.step(MS, Op::Read, 1, 0, 4 * KIB, Flags::NONE);
        r.step(MS, Op::Read, 1, 0, 4 * KIB, Flags::NONE);
        // Park every page of file 0, checking the launder conditions on the way.
        for p in 0..pages {
            let m = r.sim.objects[object].lookup(p).expect("page resident");
            let pg_ = &r.sim.pages.pages[m as usize];
            assert_eq!(pg_.dirty, VM_PAGE_BITS_ALL, "page {p} dirty");
            assert_eq!(pg_.valid, VM_PAGE_BITS_ALL, "page {p} valid");
            assert_eq!(pg_.mapped, 0, "page {p} unmapped");
            assert_eq!(pg_.wire_count, 0, "page {p} not in a buffer");
            assert_eq!(pg_.busy, 0, "page {p} not busy");
            r.sim.pages.unqueue(m);
        }
        assert_eq!(r.sim.pages.len(Queue::Inactive), 0, "nothing else to scan");
        assert_eq!(r.sim.pages.len(Queue::Active), 0, "nothing else to scan");
        assert_eq!(r.sim.p.vm_pageout_page_count as u64, RUN);
        LaunderRig {
            r,
            object,
            next_run: 0,
            runs: pages / RUN,
        }
    }

    /// Stage the next `k` runs and ask for one pageout pass short of exactly one page.
    /// Each run's pages go on the inactive queue with its top page first (the page the
    /// scan finds; the backward scan gathers the 15 below it, an aligned run). The
    /// deficit makes `vm_paging_target() + deficit == 1`: the inactive scan then runs
    /// until its quota (512 pages of progress) or `vm.max_launder` (32 runs) stops it, so
    /// it launders all `k ≤ 32` runs and finds nothing else; the shortage is met, so the
    /// pass is not rerun 100 ms later. Both fields are the daemon's public state; this
    /// is what an allocation below the paging threshold would set.
    fn stage(&mut self, k: u64) {
        for run in self.next_run..self.next_run + k {
            let base = run * RUN;
            let o = &self.r.sim.objects[self.object];
            let pages: Vec<u32> = (base..base + RUN)
                .map(|p| o.lookup(p).expect("page resident"))
                .collect();
            let q = &mut self.r.sim.pages;
            q.insert_tail(Queue::Inactive, pages[RUN as usize - 1]);
            for &m in &pages[..RUN as usize - 1] {
                q.insert_tail(Queue::Inactive, m);
            }
            for &m in &pages {
                q.pages[m as usize].flags &= !(pg::REFERENCED | pg::WINATCFLS);
            }
        }
        let sim = &mut self.r.sim;
        let fc = u64::from(sim.pages.free_count() + sim.pages.cache_count());
        let target = u64::from(sim.p.v_free_target + sim.p.v_cache_min);
        sim.pageout.deficit = u32::try_from((fc + 1).saturating_sub(target)).unwrap();
        sim.pageout.wanted = true;
    }
}

/// 1. Pageout passes laundering runs of 16 dirty pages, `per_pass` runs per pass.
///
/// Each call is one event, a 4 KiB buffer-cache hit on file 1, 1 ms after the previous
/// one, with one pageout pass staged (see [`LaunderRig::stage`]). `step_event` runs the
/// pass before the op: the inactive scan finds a run's top page dirty, and
/// `vm_pageout_clean` gathers the 15 below it and hands the 16 pages to putpages
/// (flags 0: asynchronous, no `CLUSTER_OK`), which writes 64 KiB through `ffs_write`;
/// then the next run, up to `per_pass`. The call also completes the previous call's
/// writes (biodone). When the runs of a simulator are used up (1 Ki runs), a new one is
/// built outside the timed region.
///
/// With `per_pass == 1` a call is one pass and one run: what one launder run costs, the
/// pass and the trigger event included. With `per_pass == 32` (`vm.max_launder`, the
/// most a first pass launders) criterion's "iteration" is still one run, but a call
/// does 32 of them, so the pass, the trigger event and the two clock reads per call
/// are shared by 32 runs.
fn launder(g: &mut BenchmarkGroup<WallTime>, name: &str, per_pass: u64) {
    let mut rig = LaunderRig::new();
    assert!(per_pass <= u64::from(rig.r.sim.p.knobs.max_launder));
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                if rig.next_run == rig.runs {
                    rig = LaunderRig::new();
                }
                let n = left.min(rig.runs - rig.next_run);
                let before = Snap::of(&rig.r.sim);
                let dirty0 = rig.r.sim.pages.dirty_count();
                let mut passes = 0;
                let mut staged = 0;
                while staged < n {
                    let k = per_pass.min(n - staged);
                    rig.stage(k);
                    let start = Instant::now();
                    timed_trigger(&mut rig.r);
                    timed += start.elapsed();
                    rig.next_run += k;
                    staged += k;
                    passes += 1;
                }
                let d = Snap::of(&rig.r.sim).since(before);
                assert_eq!(d.pdwakeups, passes, "one pageout pass per call");
                assert_eq!(d.launder_runs, n, "one launder run per iteration");
                assert_eq!(d.launder_pages, RUN * n, "16 pages per run");
                assert_eq!(d.vnodeout, n, "one putpages per run");
                assert_eq!(d.vnodepgsout, RUN * n, "16 pages out per run");
                assert_eq!(d.putpages_pageout, n);
                assert_eq!(d.putpages_async, n, "asynchronous putpages");
                assert_eq!(d.forced_sync, 0);
                assert_eq!(
                    d.launder_writes,
                    RUN * PAGE_SIZE / BLOCK * n,
                    "one bawrite per 16 KiB block (IO_ASYNC, no CLUSTER_OK)"
                );
                assert_eq!(d.launder_write_bytes, RUN * PAGE_SIZE * n, "64 KiB per run");
                assert_eq!(d.dev_write_bytes, RUN * PAGE_SIZE * n, "no other write");
                assert_eq!(d.dev_sync_writes, 0);
                assert_eq!(d.dev_reads, 0, "no device read");
                assert_eq!(d.recycles, 0, "no buffer recycled");
                assert_eq!(
                    dirty0 - rig.r.sim.pages.dirty_count(),
                    (RUN * n) as u32,
                    "16 pages cleaned per run"
                );
                assert_eq!(
                    rig.r.sim.pages.len(Queue::Inactive),
                    0,
                    "all staged runs done"
                );
                assert!(rig.r.t < 30 * SEC, "before the syncer vnode's first visit");
                left -= n;
            }
            timed
        })
    });
}

/// The trigger: a 4 KiB read of file 1 (a buffer hit), 1 ms after the previous event.
#[inline(never)]
fn timed_trigger(r: &mut Rig) {
    r.step(MS, Op::Read, 1, 0, 4 * KIB, Flags::NONE);
}

// ---- 2. msync(MS_SYNC) of a dirty 1 MiB range ----

/// The mapped file: 1 MiB = 256 pages = 64 blocks.
const MSYNC_FILE: u64 = MIB;

/// A simulator with file 0 (1 MiB) open and mapped shared; 1 GiB of memory,
/// `vm.prefault_pages=0`.
fn msync_rig() -> Rig {
    let mut knobs = Knobs::default();
    knobs.set("vm.prefault_pages=0").unwrap();
    let mut r = Rig::new(GIB, &[MSYNC_FILE], knobs);
    r.step(MS, Op::Open, 0, 0, MSYNC_FILE, Flags::NONE);
    r.step(MS, Op::Mmap, 0, 0, MSYNC_FILE, Flags::NONE);
    r
}

/// Dirty every page of the mapping (store faults: the pages are write-protected by
/// the previous msync, or not yet mapped).
fn dirty_all(r: &mut Rig) {
    for p in 0..MSYNC_FILE / PAGE_SIZE {
        r.step(
            10 * US,
            Op::FaultWrite,
            0,
            p * PAGE_SIZE,
            PAGE_SIZE,
            Flags::NONE,
        );
    }
}

/// 2. `msync(MS_SYNC)` of the whole 1 MiB mapping, all 256 pages dirty.
///
/// The whole-object clean (`vm_object_page_clean`) gathers 16 runs of 16 pages; each
/// goes to putpages with `PUT_SYNC`, which means `IO_SYNC`: one synchronous 16 KiB
/// write per block, no clustering (64 writes per call; the simulated clock waits for
/// each, which costs no wall-clock time). A whole-object msync is used because a
/// partial-range one writes nothing under the `PG_CLEANCHK` caveat (see
/// tests/engine_write.rs). Before each call (untimed) all 256 pages are dirtied again.
/// A new simulator is built before the syncer vnode's first visit (30 s simulated),
/// which would clean the pages behind the bench's back.
fn msync_sync_1mib(g: &mut BenchmarkGroup<WallTime>) {
    let pages = MSYNC_FILE / PAGE_SIZE;
    let blocks = MSYNC_FILE / BLOCK;
    let mut r = msync_rig();
    g.bench_function("msync_sync_1mib", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                if r.t > 20 * SEC {
                    r = msync_rig();
                }
                dirty_all(&mut r);
                assert_eq!(r.sim.dirty_page_count() as u64, pages, "all pages dirty");
                let before = Snap::of(&r.sim);
                let start = Instant::now();
                timed_msync(&mut r);
                timed += start.elapsed();
                let d = Snap::of(&r.sim).since(before);
                assert_eq!(r.sim.dirty_page_count(), 0, "msync cleaned every page");
                assert_eq!(d.vnodeout, pages / RUN, "one putpages per 16-page run");
                assert_eq!(d.vnodepgsout, pages, "every page out");
                assert_eq!(d.putpages_msync, pages / RUN);
                assert_eq!(d.putpages_sync, pages / RUN, "PUT_SYNC");
                assert_eq!(d.msync_writes, blocks, "one write per block");
                assert_eq!(d.msync_write_bytes, MSYNC_FILE);
                assert_eq!(d.dev_writes, blocks, "no other write");
                assert_eq!(d.dev_sync_writes, blocks, "all synchronous");
                assert_eq!(d.dev_reads, 0, "no device read");
                assert_eq!(d.launder_runs, 0, "no pageout");
                done += 1;
            }
            timed
        })
    });
}

/// One msync(MS_SYNC) of the whole mapping, 1 ms after the previous event.
#[inline(never)]
fn timed_msync(r: &mut Rig) {
    r.step(MS, Op::Msync, 0, 0, MSYNC_FILE, Flags::NONE);
}

fn putpages(c: &mut Criterion) {
    let mut g = c.benchmark_group("putpages");
    launder(&mut g, "launder_16_pages", 1);
    launder(&mut g, "launder_16_pages_32_per_pass", 32);
    msync_sync_1mib(&mut g);
    g.finish();
}

criterion_group! {
    name = benches;
    // No criterion plots (see getpages.rs).
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .without_plots();
    targets = putpages
}
criterion_main!(benches);
