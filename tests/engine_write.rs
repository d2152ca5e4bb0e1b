//! The write side of the DragonFly model (pager-model.md §6.3, §6.5–§6.8, §7) against
//! hand-worked expectations.

mod common;

use common::{engine_ev as ev, engine_sim as sim, origin_writes as writes};
use vpsim::engine::Simulator;
use vpsim::stats::Origin;
use vpsim::trace::{Flags, Op};

const K: u64 = 1024;
const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

/// §6.3: sequential 4 KiB appends. Each block's 4th write completes it and goes to
/// cluster_write; the cluster opened at block 0 grows to mnt_iosize_max (8 blocks) and
/// is pushed when full because the writer is sequential: one 128 KiB async write per
/// 8 blocks, nothing else.
#[test]
fn sequential_appends_write_one_128k_cluster_per_8_blocks() {
    let mut s = sim(&[0], 1 << 30, &[]);
    s.step_event(&ev(0, Op::Open, 0, None, 0));
    let mut t = 0;
    for _ in 0..256 {
        t += MS;
        s.step_event(&ev(t, Op::Write, 0, None, 4 * K)); // no offset: append
    }
    let d = s.device.stats().clone();
    assert_eq!(writes(&d, Origin::ClusterPush), (8, 1 << 20));
    assert_eq!((d.writes, d.async_writes, d.reads), (8, 8, 0));
    assert_eq!(s.c.dirtybufspace_peak, 128 * K);
    s.check().unwrap();
}

/// Appends that never fill the cluster stay delayed; the buf_daemon leaves them alone
/// below lodirtybufspace/2 and the syncer writes them ~30 s after the first dirty
/// buffer, 1 MiB per visit, the next MiB two seconds later.
#[test]
fn syncer_flushes_lazily_one_mib_per_visit() {
    // 2 MiB written as 48 KiB random-order pieces: full blocks but never a sequential
    // cluster push (seqcount stays low).
    let mut s = sim(&[2 << 20], 1 << 30, &[]);
    s.step_event(&ev(0, Op::Open, 0, None, 2 << 20));
    let mut t = 0;
    for i in 0..(2 << 20) / (16 * K) {
        // Every other block first, then the rest: no two consecutive writes sequential.
        let blk = if i < 64 { i * 2 } else { (i - 64) * 2 + 1 };
        t += MS;
        s.step_event(&ev(t, Op::Write, 0, Some(blk * 16 * K), 16 * K));
    }
    // The cluster opened by the write at offset 0 is not pushed when the next write
    // jumps: B11 passes seqcount 0 down for a jump, and cluster_write pushes the old
    // cluster only for a writer with seqcount > 0. Everything is delayed.
    assert_eq!(writes(s.device.stats(), Origin::ClusterPush), (0, 0));
    assert_eq!(s.bufs.dirtybufspace, 2 << 20, "all delayed");
    // At second 30 the syncer vnode's VFS_SYNC gives every dirty vnode its lazy flush
    // (the vnode itself, dirtied in second 0, is due on the wheel at second 31).
    s.step_event(&ev(30 * SEC + SEC / 2, Op::Close, 0, None, 0));
    let (_, b1) = writes(s.device.stats(), Origin::SyncerLazy);
    assert!(
        ((1 << 20)..(1 << 20) + 128 * K).contains(&b1),
        "first visit stops at the 1 MiB limit: {b1}"
    );
    assert_eq!(s.c.syncer_lazy_limit_hits, 1);
    // Stopping at the limit moves the vnode `vn_syncer_add(vp, 1)` past the slot being
    // run, and the syncer has already advanced past it: second 32, not 31.
    s.step_event(&ev(31 * SEC + SEC / 2, Op::Open, 0, None, 2 << 20));
    assert_eq!(writes(s.device.stats(), Origin::SyncerLazy).1, b1);
    s.step_event(&ev(32 * SEC + SEC / 2, Op::Close, 0, None, 0));
    let (_, b2) = writes(s.device.stats(), Origin::SyncerLazy);
    assert_eq!(b2, 2 << 20, "the rest two seconds later");
    assert_eq!(s.bufs.dirtybufspace, 0);
    s.check().unwrap();
}

/// A trace with a year-long gap costs no work proportional to the gap, and the
/// daemons do what they would have done in it.
#[test]
fn long_gaps_are_skipped() {
    let mut s = sim(&[1 << 20], 1 << 30, &[]);
    s.step_event(&ev(0, Op::Open, 0, None, 1 << 20));
    s.step_event(&ev(MS, Op::Write, 0, Some(0), 16 * K));
    let year = 365 * 24 * 3600 * SEC;
    let start = std::time::Instant::now();
    s.step_event(&ev(year, Op::Read, 0, Some(0), 4 * K));
    s.step_event(&ev(2 * year, Op::Read, 0, Some(4096), 4 * K));
    assert!(start.elapsed().as_secs() < 5, "gap skipping is O(1)");
    assert_eq!(s.bufs.dirtybufspace, 0);
    assert_eq!(writes(s.device.stats(), Origin::SyncerLazy), (1, 16 * K));
    s.check().unwrap();
}

/// Above lodirtybufspace/2 the buf_daemon flushes the oldest dirty buffers within a
/// second, clustered.
#[test]
fn buf_daemon_flushes_above_its_floor() {
    // 64 MiB of RAM: lodirtybufspace/2 is a few MiB.
    let mut s = sim(&[32 << 20], 64 << 20, &[]);
    let floor = s.p.lodirtybufspace / 2;
    s.step_event(&ev(0, Op::Open, 0, None, 32 << 20));
    let mut t = 0;
    let mut written = 0;
    // Random-ish full-block writes (no cluster pushes) until past the floor.
    let mut blk = 0u64;
    while written < floor + (1 << 20) {
        t += MS;
        blk = (blk + 37) % 2048;
        s.step_event(&ev(t, Op::Write, 0, Some(blk * 16 * K), 16 * K));
        written += 16 * K;
    }
    s.step_event(&ev(t + 2 * SEC, Op::Close, 0, None, 0));
    // 64 MiB: nbuf = 50 + min((65536 − 4096)/64, 1024) = 1010, hibufspace =
    // 1010 × 16 KiB − 640 KiB = 15,892,480, lodirty = hibufspace/4 = 3,973,120, floor
    // = 1,986,560, hirunningspace = max(hibufspace/16, 1 MiB) = 1 MiB. The loop ran
    // to floor + 1 MiB rounded up to whole blocks: 186 blocks (3,047,424 bytes), all
    // delayed (every write jumps: seqcount 0, no push), 37 blocks apart so no two
    // are neighbours. At 1 s the buf_daemon writes the oldest one by one (a write
    // moves bytes from dirty to running, so dirty + running stays 186 blocks) until
    // 64 are running (hirunningspace). It wakes at each completion but goes back to
    // sleep while running > 2/3 of hirunningspace (42.7 blocks): it writes again
    // after the 22nd completion (42 running; 164 blocks > the 121.25-block floor),
    // refilling to 64 (86 issued), and after the 44th (142 blocks: 108 issued); after
    // the 66th, 120 blocks ≤ floor and it stops. 108 writes of 16 KiB; 78 blocks
    // stay dirty.
    assert_eq!(floor, 1_986_560);
    assert_eq!(written, 186 * 16 * K);
    assert_eq!(
        writes(s.device.stats(), Origin::BufDaemon),
        (108, 108 * 16 * K)
    );
    assert_eq!(s.bufs.dirtybufspace, 78 * 16 * K);
    assert_eq!(s.bufs.runningbufspace, 0);
    assert_eq!(s.device.stats().writes, 108, "nothing else wrote");
    s.check().unwrap();
}

fn mapped_dirty(sets: &[&str], size: u64, pages: &[u64]) -> Simulator {
    let mut all = vec!["vm.prefault_pages=0"];
    all.extend_from_slice(sets);
    let mut s = sim(&[size], 1 << 30, &all);
    s.step_event(&ev(0, Op::Open, 0, None, size));
    s.step_event(&ev(1, Op::Mmap, 0, Some(0), size.div_ceil(4096) * 4096));
    // All within the first 30 s, before the syncer vnode's vfs_msync would clean them.
    let mut t = 1;
    for &p in pages {
        t += 100 * MS;
        s.step_event(&ev(t, Op::FaultWrite, 0, Some(p * 4096), 4096));
    }
    s
}

fn msync(s: &mut Simulator, t: u64, off: u64, len: u64, flags: Flags) {
    let mut e = ev(t, Op::Msync, 0, Some(off), len);
    e.flags = flags;
    s.step_event(&e);
}

/// §6.7: msync(MS_SYNC) of the whole mapping of a block-multiple file writes one
/// synchronous 16 KiB write per dirty block — PUT_SYNC means IO_SYNC, no clustering.
#[test]
fn msync_sync_writes_one_sync_write_per_block() {
    // Dirty pages in blocks 0, 1, 2 (contiguous) and 5.
    let mut s = mapped_dirty(&[], 1 << 20, &[0, 5, 9, 21]);
    msync(&mut s, 10 * SEC, 0, 1 << 20, Flags::NONE);
    let d = s.device.stats();
    assert_eq!(writes(d, Origin::Msync), (4, 64 * K));
    assert_eq!(d.sync_writes, 4);
    assert_eq!(s.dirty_page_count(), 0);
    s.check().unwrap();
}

/// The PG_CLEANCHK caveat: a partial-range msync with no earlier whole-object clean
/// writes nothing; with `msync_needs_cleanchk=0` it writes the range's dirty blocks.
#[test]
fn partial_msync_needs_cleanchk() {
    let mut s = mapped_dirty(&[], 1 << 20, &[0, 5]);
    msync(&mut s, 10 * SEC, 0, 64 * K, Flags::NONE);
    assert_eq!(
        writes(s.device.stats(), Origin::Msync),
        (0, 0),
        "caveat reproduced"
    );
    assert_eq!(s.dirty_page_count(), 2);
    // After a whole-object clean, pages re-dirtied keep no PG_CLEANCHK either... but a
    // whole msync works.
    msync(&mut s, 11 * SEC, 0, 1 << 20, Flags::NONE);
    assert_eq!(writes(s.device.stats(), Origin::Msync), (2, 32 * K));

    let mut s = mapped_dirty(&["msync_needs_cleanchk=0"], 1 << 20, &[0, 5]);
    msync(&mut s, 10 * SEC, 0, 64 * K, Flags::NONE);
    assert_eq!(
        writes(s.device.stats(), Origin::Msync),
        (2, 32 * K),
        "knob off"
    );
    s.check().unwrap();
}

/// A file whose size is not a block multiple has a block-rounded object but a
/// page-rounded mapping: msync of the whole mapping is not a whole-object clean, so it
/// writes nothing under the caveat.
#[test]
fn msync_of_a_non_block_multiple_file_hits_the_caveat() {
    let size = 100_000;
    let mut s = mapped_dirty(&[], size, &[0, 10]);
    msync(&mut s, 10 * SEC, 0, size.div_ceil(4096) * 4096, Flags::NONE);
    assert_eq!(writes(s.device.stats(), Origin::Msync), (0, 0));
    // fsync is a whole-object clean with CLUSTER_OK: delayed buffers, then written.
    s.step_event(&ev(11 * SEC, Op::Fsync, 0, None, 0));
    assert_eq!(writes(s.device.stats(), Origin::Fsync).0, 2);
    assert_eq!(s.dirty_page_count(), 0);
    s.check().unwrap();
}

/// MS_ASYNC: delayed/clustered buffers, nothing waited for.
#[test]
fn msync_async_delays() {
    let mut s = mapped_dirty(&[], 1 << 20, &[0, 5]);
    msync(&mut s, 10 * SEC, 0, 1 << 20, Flags::ASYNC);
    assert_eq!(s.device.stats().sync_writes, 0);
    assert_eq!(s.dirty_page_count(), 0, "pages handed to buffers");
    assert_eq!(s.bufs.dirtybufspace, 32 * K, "two delayed blocks");
    s.check().unwrap();
}

/// §6.6: fsync after random partial writes. Each partial write of an uncached block
/// reads it first; fsync then writes every dirty block exactly once, clustering the
/// physically contiguous ones: blocks {3,4,5}, {10}, {20,21} ⇒ 3 writes.
#[test]
fn fsync_after_random_writes_clusters_contiguous_blocks() {
    let mut s = sim(&[1 << 20], 1 << 30, &[]);
    s.step_event(&ev(0, Op::Open, 0, None, 1 << 20));
    let mut t = 0;
    for blk in [20u64, 4, 10, 3, 21, 5] {
        t += SEC;
        s.step_event(&ev(t, Op::Write, 0, Some(blk * 16 * K + 100), 4 * K));
    }
    // Every write jumps, so B11 passes seqcount 0 down each time: blocks 4, 10, 3, 5
    // are direct blocks that ffs_balloc `bread`s whole; 20 and 21 are partial writes
    // of indirect-mapped blocks read by `bread` too (cluster_read only when seqcount
    // > 0). Six single-block 16 KiB reads, no read-ahead.
    assert_eq!(s.c.read_before_write, 6);
    let rbw = s.device.stats().by_origin[Origin::ReadBeforeWrite.index()];
    assert_eq!((rbw[0], rbw[1]), (6, 6 * 16 * K));
    assert_eq!(s.device.stats().reads, 6, "nothing read ahead");
    assert_eq!(s.device.stats().writes, 0, "all delayed");
    s.step_event(&ev(t + SEC, Op::Fsync, 0, None, 0));
    assert_eq!(writes(s.device.stats(), Origin::Fsync), (3, 6 * 16 * K));
    assert_eq!(s.bufs.dirtybufspace, 0);
    assert!(s.latency_summary(Op::Fsync).max > 0, "fsync waits");
    s.check().unwrap();
}

/// §6.5 UFS path: shrinking into the middle of a block reads the straddling block,
/// zeroes past EOF and writes the new (fragment) tail asynchronously; growing rewrites
/// the old partial last block and writes the new last block; between is a hole.
#[test]
fn ufs_truncate_reads_zeroes_and_rewrites_the_straddling_block() {
    let mut s = sim(&[40_000], 1 << 30, &[]);
    s.step_event(&ev(0, Op::Open, 0, None, 40_000));
    s.step_event(&ev(SEC, Op::Truncate, 0, None, 20_000));
    let d = s.device.stats().clone();
    // Block 1 (bytes 16384..) straddles 20000: read (not cached), rewritten as a
    // 4 KiB fragment (20000 − 16384 = 3616 → one 2 KiB-fragment-rounded 4 KiB).
    assert_eq!(d.by_origin[Origin::Truncate.index()][0], 1);
    assert_eq!(writes(&d, Origin::Truncate), (1, 4 * K));
    assert_eq!(s.vnodes[0].v_filesize, 20_000);
    // Grow to 1 MiB: the old last block is rewritten (delayed) as a full block and the
    // new last block (63) is allocated and written.
    s.step_event(&ev(2 * SEC, Op::Truncate, 0, None, 1 << 20));
    let d = s.device.stats().clone();
    assert_eq!(writes(&d, Origin::Truncate), (2, 4 * K + 16 * K));
    assert_eq!(
        s.bufs.dirtybufspace,
        16 * K,
        "old last block rewritten, delayed"
    );
    // The middle is a hole: reading it costs no device I/O.
    let reads = d.reads;
    s.step_event(&ev(3 * SEC, Op::Read, 0, Some(30 * 16 * K), 16 * K));
    assert_eq!(s.device.stats().reads, reads);
    assert!(s.c.hole_reads > 0);
    s.check().unwrap();
}

/// The generic (seed) path does no I/O at all.
#[test]
fn generic_truncate_does_no_io() {
    let mut s = sim(&[40_000], 1 << 30, &["truncate=generic"]);
    s.step_event(&ev(0, Op::Open, 0, None, 40_000));
    s.step_event(&ev(SEC, Op::Truncate, 0, None, 20_000));
    s.step_event(&ev(2 * SEC, Op::Truncate, 0, None, 1 << 20));
    let d = s.device.stats();
    assert_eq!((d.reads, d.writes), (0, 0));
    assert_eq!(s.vnodes[0].v_filesize, 1 << 20);
    s.check().unwrap();
}

/// Memory pressure launders dirty mapped pages: every launder run is at most
/// vm_pageout_page_count pages and, with the snapshot's broken forward scan, never
/// extends above the page the scan found; repairing the forward scan lets runs grow
/// upward.
#[test]
fn launder_runs_are_backward_only_unless_repaired() {
    fn run(sets: &[&str]) -> Vec<vpsim::engine::pageout::LaunderRun> {
        // Dirty a mapping twice the size of memory, within the syncer's first 30 s.
        let size: u64 = 32 << 20;
        let mut all = vec!["vm.prefault_pages=0"];
        all.extend_from_slice(sets);
        let mut s = sim(&[size], 16 << 20, &all);
        s.launder_log = Some(Vec::new());
        s.step_event(&ev(0, Op::Open, 0, None, size));
        s.step_event(&ev(1, Op::Mmap, 0, Some(0), size));
        let mut t = 1;
        for p in 0..size / 4096 {
            t += 2 * MS;
            s.step_event(&ev(t, Op::FaultWrite, 0, Some(p * 4096), 4096));
        }
        s.check().unwrap();
        s.launder_log.take().unwrap_or_default()
    }
    let broken = run(&[]);
    assert!(!broken.is_empty(), "pressure launders");
    for r in &broken {
        assert!(r.pages <= 16, "{r:?}");
        assert_eq!(
            r.first + r.pages as u64 - 1,
            r.trigger,
            "backward only: {r:?}"
        );
    }
    assert!(broken.iter().any(|r| r.pages > 1));
    let fixed = run(&["launder_forward=1"]);
    assert!(fixed.iter().all(|r| r.pages <= 16));
    assert!(
        fixed
            .iter()
            .any(|r| r.first + (r.pages as u64) - 1 > r.trigger),
        "repaired forward scan extends runs upward"
    );
}

/// The seed's forced sync: putpages below v_pageout_free_min is synchronous, and with
/// the knob off it is not.
#[test]
fn pageout_below_free_min_forces_sync_putpages() {
    fn run(sets: &[&str]) -> (u64, u64) {
        let size: u64 = 8 << 20;
        let mut all = vec!["vm.prefault_pages=0"];
        all.extend_from_slice(sets);
        // Little memory and a generous forced-sync threshold (x4) to reach it.
        let mut s = sim(&[size, 64 << 20], 8 << 20, &all);
        s.step_event(&ev(0, Op::Open, 0, None, size));
        s.step_event(&ev(1, Op::Mmap, 0, Some(0), size));
        let mut t = 1;
        for p in 0..size / 4096 {
            t += 100_000;
            s.step_event(&ev(t, Op::FaultWrite, 0, Some(p * 4096), 4096));
        }
        s.check().unwrap();
        (
            s.c.putpages_forced_sync,
            s.device.stats().by_origin[Origin::ForcedSync.index()][2],
        )
    }
    let (forced, writes) = run(&["forced_sync=x4"]);
    assert!(forced > 0 && writes > 0, "forced {forced}, writes {writes}");
    let (forced, writes) = run(&["forced_sync=off"]);
    assert_eq!((forced, writes), (0, 0));
}

/// `--final-sync` writes everything still dirty and tags it final_sync.
#[test]
fn final_sync_flushes_everything() {
    let mut s = mapped_dirty(&[], 1 << 20, &[0, 100]);
    s.step_event(&ev(20 * SEC, Op::Write, 0, Some(500 * K), 4 * K));
    s.set_final_sync(true);
    let st = s.finish_run();
    let (n, b) = writes(&st.device, Origin::FinalSync);
    assert_eq!((n, b), (3, 48 * K));
    assert_eq!(st.counters.dirty_bytes_at_end, 0);
    let mut s = mapped_dirty(&[], 1 << 20, &[0, 100]);
    let st = s.finish_run();
    assert_eq!(st.counters.dirty_bytes_at_end, 2 * 4096);
}

/// B11 (`sequential_heuristic`, sys/kern/vfs_vnops.c): a non-sequential call passes
/// seqcount 0 down. Full-block writes to blocks 20, 21, 22, 40, 23 of a fresh fd:
/// 20 jumps (0 passed, f_seqcount 1 → 0), 21 and 22 follow (1, then 2), 40 jumps (0,
/// f_seqcount → 1), 23 jumps (0, → 0). cluster_write with seqcount 0 at block 40
/// pushes nothing, so blocks 20–23 stay one delayed run and fsync writes it as one
/// 64 KiB cluster plus block 40 alone: 2 writes. (Passing 1 at the jump to 40, as
/// vpsim did, pushed 20–22 as a 48 KiB cluster there: 3 writes in all.)
#[test]
fn a_jump_passes_seqcount_zero_so_the_cluster_waits_for_fsync() {
    let mut s = sim(&[1 << 20], 1 << 30, &[]);
    s.step_event(&ev(0, Op::Open, 0, None, 1 << 20));
    let mut t = 0;
    for blk in [20u64, 21, 22, 40, 23] {
        t += MS;
        s.step_event(&ev(t, Op::Write, 0, Some(blk * 16 * K), 16 * K));
    }
    assert_eq!(s.device.stats().writes, 0, "nothing written before fsync");
    s.step_event(&ev(t + MS, Op::Fsync, 0, None, 0));
    let d = s.device.stats();
    assert_eq!(writes(d, Origin::Fsync), (2, 80 * K));
    assert_eq!(d.writes, 2);
    s.check().unwrap();
}

/// `ffs_balloc` (sys/vfs/ufs/ffs_balloc.c) on a direct block (lbn < NDADDR = 12)
/// wholly below the file size: `bread` of the whole block, with no read-ahead,
/// whatever the write covers. A 4 KiB write at offset 0 of a cold 1 MiB file reads
/// 16 KiB (not a 32 KiB cluster: a fresh fd's seqcount 2 does not matter here); a
/// full-block overwrite of block 3 reads its 16 KiB too; a full-block overwrite of
/// indirect-mapped block 20 reads nothing (no B_CLRBUF).
#[test]
fn direct_blocks_are_read_whole_before_any_write() {
    let mut s = sim(&[1 << 20], 1 << 30, &[]);
    s.step_event(&ev(0, Op::Open, 0, None, 1 << 20));
    s.step_event(&ev(MS, Op::Write, 0, Some(0), 4 * K));
    let rbw = |s: &Simulator| {
        let x = s.device.stats().by_origin[Origin::ReadBeforeWrite.index()];
        (x[0], x[1])
    };
    assert_eq!(rbw(&s), (1, 16 * K), "4 KiB at 0: one 16 KiB bread");
    s.step_event(&ev(2 * MS, Op::Write, 0, Some(3 * 16 * K), 16 * K));
    assert_eq!(
        rbw(&s),
        (2, 32 * K),
        "full overwrite of direct block 3 reads it"
    );
    s.step_event(&ev(3 * MS, Op::Write, 0, Some(20 * 16 * K), 16 * K));
    assert_eq!(
        rbw(&s),
        (2, 32 * K),
        "full overwrite of block 20 reads nothing"
    );
    assert_eq!(s.device.stats().reads, 2);
    // A block already cached costs nothing: block 0 again.
    s.step_event(&ev(4 * MS, Op::Write, 0, Some(8 * K), 4 * K));
    assert_eq!(s.device.stats().reads, 2);
    s.check().unwrap();
}

/// msync with length 0 (`sys_msync`, sys/vm/vm_mmap.c) syncs the map entry holding
/// the address, not the object to EOF. A 100,000-byte file mapped whole (25 pages;
/// the object is block-rounded to 7 blocks = 28 pages), one store: the range [0, 25)
/// is not whole-object, the PG_CLEANCHK caveat applies and nothing is written.
#[test]
fn msync_length_zero_syncs_the_map_entry() {
    let size = 100_000;
    let mut s = mapped_dirty(&[], size, &[3]);
    msync(&mut s, 10 * SEC, 0, 0, Flags::NONE);
    assert_eq!(writes(s.device.stats(), Origin::Msync), (0, 0));
    assert_eq!(s.dirty_page_count(), 1);
    // A 1 MiB file mapped whole: the entry is the whole object; both dirty blocks
    // (pages 3 and 9 lie in blocks 0 and 2) go out as one sync write each.
    let mut s = mapped_dirty(&[], 1 << 20, &[3, 9]);
    msync(&mut s, 10 * SEC, 20 * 4096, 0, Flags::NONE);
    assert_eq!(writes(s.device.stats(), Origin::Msync), (2, 32 * K));
    s.check().unwrap();
}

/// The map entry, not the file: a mapping of the first 64 KiB of a 1 MiB file, stores
/// to pages 0 and 5, msync(addr, 0) cleans pages [0, 16) — not whole-object, so under
/// the caveat nothing is written; with `msync_needs_cleanchk=0` the two blocks are.
#[test]
fn msync_length_zero_of_a_partial_mapping_is_a_range_clean() {
    let run = |sets: &[&str]| {
        let mut all = vec!["vm.prefault_pages=0"];
        all.extend_from_slice(sets);
        let mut s = sim(&[1 << 20], 1 << 30, &all);
        s.step_event(&ev(0, Op::Open, 0, None, 1 << 20));
        s.step_event(&ev(1, Op::Mmap, 0, Some(0), 64 * K));
        s.step_event(&ev(MS, Op::FaultWrite, 0, Some(0), 4096));
        s.step_event(&ev(2 * MS, Op::FaultWrite, 0, Some(5 * 4096), 4096));
        msync(&mut s, 10 * SEC, 4096, 0, Flags::NONE);
        s.check().unwrap();
        writes(s.device.stats(), Origin::Msync)
    };
    assert_eq!(run(&[]), (0, 0));
    assert_eq!(run(&["msync_needs_cleanchk=0"]), (2, 32 * K));
}
