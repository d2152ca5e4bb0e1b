//! The syncer worklist (pager-model.md §7.3) against figures worked out by hand from
//! DragonFly at 005cf293e4 (2011-12):
//!
//! * `reassignbuf` (sys/kern/vfs_subr.c): a buffer turning dirty puts a vnode that is
//!   not on the worklist at `vn_syncer_add(vp, filedelay)`; a buffer turning clean takes
//!   the vnode off (`vn_syncer_remove`) once its dirty tree is empty.
//! * `vn_syncer_add` (sys/kern/vfs_sync.c): slot `syncer_delayno + delay` (delay ≤ 30).
//! * `syncer_thread`: takes slot `syncer_delayno`, advances `syncer_delayno`, then
//!   `VOP_FSYNC(MNT_LAZY)`s each head; a vnode still at the head afterwards is re-added
//!   `syncdelay` ahead (of the advanced `syncer_delayno`).
//! * lazy `vfsync` (vfs_subr.c): scans `[v_lazyw, EOF)` only; at the lazy limit with
//!   dirty buffers left, `vn_syncer_add(vp, 1)`; below it, `v_lazyw = 0`.
//! * `sync_fsync`: the syncer vnode re-adds itself `syncdelay` ahead first.
//!
//! The syncer runs one slot per second, at whole seconds. Between passes,
//! `syncer_delayno` is the next second: at time `t` (s) the slot of second ⌊t⌋ has run,
//! so `vn_syncer_add(vp, d)` makes the vnode due at ⌊t⌋ + 1 + d. During the pass of
//! second `s` it is `s + 1`, so a re-add by `d` is due at `s + 1 + d`.

mod common;

use common::{engine_ev as ev, origin_writes as writes};
use vpsim::engine::Simulator;
use vpsim::stats::Origin;
use vpsim::trace::Op;

const K: u64 = 1024;
const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;
const BLK: u64 = 16 * K;

/// Files `f0`, `f1`, … of the given sizes, 1 GiB of RAM (the buf_daemon's floor and
/// the pageout daemon stay out of the way), an SSD.
fn sim(sizes: &[u64], sets: &[&str]) -> Simulator {
    common::engine_sim(sizes, 1 << 30, sets)
}

/// A full-block write of block `blk` of file 0 (always a jump for the sequential
/// heuristic here, so it is delayed: B11, §6.3).
fn write_block(s: &mut Simulator, t: u64, blk: u64) {
    s.step_event(&ev(t, Op::Write, 0, Some(blk * BLK), BLK));
}

/// An event that touches nothing of file 0 (an open of file 1), so the daemons run up
/// to `t`.
fn probe(s: &mut Simulator, t: u64) {
    s.step_event(&ev(t, Op::Open, 1, None, 4096));
}

fn vnode_of(s: &Simulator, file: u32) -> usize {
    s.vnodes.iter().position(|v| v.file == file).unwrap()
}

/// Issue 13, deviation 5. `kern.filedelay=5` (so the syncer vnode, first due at 30 s,
/// stays out of the way); f0 is 1 MiB, block 20 is indirect-mapped (a full overwrite
/// reads nothing).
///
/// * 2.5 s: block 20 dirtied. `syncer_delayno` = 3 ⇒ due 3 + 5 = 8.
/// * 3 s: fsync writes it (`bawrite` → `bundirty` → `reassignbuf`): the dirty tree is
///   empty, the vnode leaves the worklist.
/// * 4.5 s: block 20 dirtied again. The vnode is not on the worklist ⇒ re-added at
///   `syncer_delayno` 5 + 5 = 10.
/// * 10 s: the syncer's lazy flush writes it (one 16 KiB write) and, clean again, the
///   vnode leaves the worklist.
///
/// vpsim kept the vnode in its old slot: the rewrite went out at 7 s (its first due
/// second, which it also had one early: it took ⌊t⌋ + d instead of ⌊t⌋ + 1 + d while
/// the syncer was idle). Read without the removal but with the later delayno it would
/// still be 8 s; with the removal but the old delayno, 9 s — the probes at 7.5, 9.5 and
/// 10.5 s tell all of these apart.
#[test]
fn a_vnode_cleaned_by_fsync_leaves_the_wheel_and_reenters_filedelay_ahead() {
    let mut s = sim(&[1 << 20, 4096], &["kern.filedelay=5"]);
    s.step_event(&ev(0, Op::Open, 0, None, 1 << 20));
    write_block(&mut s, 2 * SEC + SEC / 2, 20);
    let vn = vnode_of(&s, 0);
    assert_eq!(s.bufs.dirtybufspace, BLK, "delayed");
    assert_eq!(s.vnodes[vn].syncer_due, Some(8));

    s.step_event(&ev(3 * SEC, Op::Fsync, 0, None, 0));
    assert_eq!(writes(s.device.stats(), Origin::Fsync), (1, BLK));
    assert_eq!(s.bufs.dirtybufspace, 0);
    assert_eq!(s.vnodes[vn].syncer_due, None, "clean: off the worklist");

    write_block(&mut s, 4 * SEC + SEC / 2, 20);
    assert_eq!(s.bufs.dirtybufspace, BLK, "delayed again");
    assert_eq!(s.device.stats().writes, 1);
    assert_eq!(s.vnodes[vn].syncer_due, Some(10));

    for t in [7, 9] {
        probe(&mut s, t * SEC + SEC / 2);
        assert_eq!(
            writes(s.device.stats(), Origin::SyncerLazy),
            (0, 0),
            "{t}.5 s"
        );
        assert_eq!(s.c.syncer_vnodes, 0, "{t}.5 s");
    }
    probe(&mut s, 10 * SEC + SEC / 2);
    assert_eq!(writes(s.device.stats(), Origin::SyncerLazy), (1, BLK));
    assert_eq!(s.c.syncer_vnodes, 1);
    assert_eq!(s.bufs.dirtybufspace, 0);
    assert_eq!(s.vnodes[vn].syncer_due, None);
    assert_eq!(s.device.stats().writes, 2);
    assert!(s.daemons.wheel.is_empty() && s.daemons.wheel_pos.is_empty());
    s.check().unwrap();
}

/// Lazy `vfsync` scans from `v_lazyw` to the end only, and `syncer_thread` re-adds a
/// vnode left dirty at the head `syncdelay` ahead. `kern.filedelay=5`,
/// `kern.syncdelay=5`, `lazy_limit=32K`; blocks 20, 22, 24 dirtied at 1–3 ms (each
/// alone: no dirty neighbour to cluster with).
///
/// * due 0 + 1 + 5 = 6. At 6 s (`syncer_delayno` 7): blocks 20 and 22 are written,
///   32 KiB = the limit, `v_lazyw` = block 22, block 24 still dirty ⇒ `vn_syncer_add(vp,
///   1)`: due 7 + 1 = 8.
/// * 7.5 s: block 20 dirtied again (the vnode is on the worklist: it keeps slot 8).
/// * At 8 s (`syncer_delayno` 9): the scan starts at block 22 (clean) and writes block
///   24; 16 KiB < the limit, `v_lazyw` = 0. Block 20, before the scan's start, is still
///   dirty, so the vnode is still at the head ⇒ re-added syncdelay ahead: 9 + 5 = 14.
/// * At 14 s the scan from 0 writes block 20 and the vnode leaves the worklist.
///
/// vpsim re-queued the vnode 1 s after the slot at the limit (7 s: block 24 written,
/// the vnode clean and off the wheel), so the rewritten block 20 was re-added at 8 + 5
/// = 13 s (8 being the second after the syncer's last pass): writes at 6, 7, 13 s. It also
/// wrapped the lazy scan round to the blocks before `v_lazyw`, and re-queued a vnode
/// left dirty `syncdelay`, not syncdelay + 1, after the slot.
#[test]
fn the_lazy_flush_does_not_wrap_and_a_still_dirty_vnode_comes_back_syncdelay_plus_one_later() {
    let mut s = sim(
        &[1 << 20, 4096],
        &["kern.filedelay=5", "kern.syncdelay=5", "lazy_limit=32K"],
    );
    s.step_event(&ev(0, Op::Open, 0, None, 1 << 20));
    for (i, blk) in [20, 22, 24].into_iter().enumerate() {
        write_block(&mut s, (i as u64 + 1) * MS, blk);
    }
    let vn = vnode_of(&s, 0);
    assert_eq!(s.bufs.dirtybufspace, 3 * BLK, "all delayed");
    assert_eq!(s.vnodes[vn].syncer_due, Some(6));

    probe(&mut s, 6 * SEC + SEC / 2);
    assert_eq!(writes(s.device.stats(), Origin::SyncerLazy), (2, 2 * BLK));
    assert_eq!(s.c.syncer_lazy_limit_hits, 1);
    assert_eq!(s.c.syncer_vnodes, 1);
    assert_eq!(s.vnodes[vn].v_lazyw, 22 * BLK);
    assert_eq!(s.vnodes[vn].syncer_due, Some(8));

    write_block(&mut s, 7 * SEC + SEC / 2, 20);
    assert_eq!(s.bufs.dirtybufspace, 2 * BLK);
    assert_eq!(s.vnodes[vn].syncer_due, Some(8), "on the worklist");

    probe(&mut s, 8 * SEC + SEC / 2);
    assert_eq!(writes(s.device.stats(), Origin::SyncerLazy), (3, 3 * BLK));
    assert_eq!(s.c.syncer_vnodes, 2);
    assert_eq!(s.bufs.dirtybufspace, BLK, "block 20 waits");
    assert_eq!(s.vnodes[vn].v_lazyw, 0);
    assert_eq!(s.vnodes[vn].syncer_due, Some(14));

    probe(&mut s, 13 * SEC + SEC / 2);
    assert_eq!(writes(s.device.stats(), Origin::SyncerLazy), (3, 3 * BLK));
    probe(&mut s, 14 * SEC + SEC / 2);
    assert_eq!(writes(s.device.stats(), Origin::SyncerLazy), (4, 4 * BLK));
    assert_eq!(s.c.syncer_vnodes, 3);
    assert_eq!(s.c.syncer_lazy_limit_hits, 1);
    assert_eq!(s.bufs.dirtybufspace, 0);
    assert_eq!(s.vnodes[vn].syncer_due, None);
    assert_eq!(s.device.stats().writes, 4, "nothing but the syncer wrote");
    s.check().unwrap();
}

/// The syncer vnode's `VFS_SYNC(MNT_LAZY)` reaches the same lazy `vfsync`, so its
/// `vn_syncer_add(vp, 1)` at the limit moves the vnode too. 2 MiB of f0 written as
/// 16 KiB pieces in non-sequential order at 1–128 ms (the set-up of
/// engine_write::syncer_flushes_lazily_one_mib_per_visit): everything is delayed (the
/// jump passes seqcount 0, so block 0's cluster is not pushed) and the vnode is due at
/// 0 + 1 + 30 = 31.
///
/// * 30 s, the syncer vnode (`syncer_delayno` 31): its lazy flush of f0 stops at the
///   1 MiB limit ⇒ f0 moves from slot 31 to 31 + 1 = 32.
/// * 31 s: slot 31 is empty — nothing is written.
/// * 32 s: f0's own visit writes the rest (< 1 MiB, no second limit hit) and f0 leaves
///   the worklist.
///
/// vpsim ignored the move and wrote the rest at 31 s.
#[test]
fn a_lazy_limit_hit_by_the_syncer_vnode_moves_the_vnode_two_seconds_on() {
    let mut s = sim(&[2 << 20, 4096], &[]);
    s.step_event(&ev(0, Op::Open, 0, None, 2 << 20));
    let mut t = 0;
    for i in 0..(2 << 20) / BLK {
        // Every other block first, then the rest: no two consecutive writes sequential.
        let blk = if i < 64 { i * 2 } else { (i - 64) * 2 + 1 };
        t += MS;
        write_block(&mut s, t, blk);
    }
    let vn = vnode_of(&s, 0);
    // B11 passes seqcount 0 at the first jump, so the cluster opened at block 0 is not
    // pushed: all 2 MiB delayed.
    assert_eq!(writes(s.device.stats(), Origin::ClusterPush), (0, 0));
    assert_eq!(s.bufs.dirtybufspace, 2 << 20, "all delayed");
    assert_eq!(s.vnodes[vn].syncer_due, Some(31));

    probe(&mut s, 30 * SEC + SEC / 2);
    let (_, b1) = writes(s.device.stats(), Origin::SyncerLazy);
    assert!(
        ((1 << 20)..(1 << 20) + 128 * K).contains(&b1),
        "the syncer vnode's flush stops at the 1 MiB limit: {b1}"
    );
    assert_eq!(s.c.syncer_lazy_limit_hits, 1);
    assert_eq!(s.c.syncer_vnodes, 0, "not f0's own visit");
    assert_eq!(s.vnodes[vn].syncer_due, Some(32));

    probe(&mut s, 31 * SEC + SEC / 2);
    let (_, b) = writes(s.device.stats(), Origin::SyncerLazy);
    assert_eq!(b, b1, "slot 31 is empty");
    assert_eq!(s.c.syncer_vnodes, 0);

    probe(&mut s, 32 * SEC + SEC / 2);
    let (_, b2) = writes(s.device.stats(), Origin::SyncerLazy);
    assert_eq!(b2, 2 << 20, "the rest at 32 s");
    assert_eq!(s.c.syncer_vnodes, 1);
    // The rest is exactly 1 MiB (eight 128 KiB clusters), so this flush reaches the
    // limit too (`vfsync_bp` returns -1 once lazycount >= lazylimit), but with the
    // dirty tree empty vfsync re-adds nothing.
    assert_eq!(s.c.syncer_lazy_limit_hits, 2);
    assert_eq!(s.bufs.dirtybufspace, 0);
    assert_eq!(s.vnodes[vn].syncer_due, None);
    s.check().unwrap();
}

/// The syncer vnode re-adds itself `syncdelay` ahead of the advanced
/// `syncer_delayno` (`sync_fsync`), so it runs every 31 s: 30, 61, 92, … Pages dirtied
/// through a mapping only set VOBJDIRTY (`vm_object_set_writeable_dirty`) and put
/// nothing on the worklist, so a page stored to at 31 s (after the first pass) waits
/// for the pass at 61 s, not 60 s.
#[test]
fn the_syncer_vnode_runs_every_syncdelay_plus_one_seconds() {
    let mut s = sim(&[1 << 20, 4096], &["vm.prefault_pages=0"]);
    s.step_event(&ev(0, Op::Open, 0, None, 1 << 20));
    s.step_event(&ev(1, Op::Mmap, 0, Some(0), 1 << 20));
    s.step_event(&ev(31 * SEC, Op::FaultWrite, 0, Some(0), 4096));
    let vn = vnode_of(&s, 0);
    assert_eq!(s.dirty_page_count(), 1);
    assert_eq!(s.vnodes[vn].syncer_due, None, "VOBJDIRTY alone: no slot");

    probe(&mut s, 60 * SEC + SEC / 2);
    assert_eq!(s.device.stats().writes, 0, "no pass between 31 and 61 s");
    assert_eq!(s.dirty_page_count(), 1);

    probe(&mut s, 61 * SEC + SEC / 2);
    assert!(s.device.stats().writes > 0, "written by the 61 s pass");
    assert_eq!(s.dirty_page_count(), 0);
    assert_eq!(s.bufs.dirtybufspace, 0);
    s.check().unwrap();
}
