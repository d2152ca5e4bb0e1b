//! B4 `cluster_write` (sys/kern/vfs_cluster.c, DragonFly at 005cf293e4): when it asks
//! `VOP_BMAP` and what `v_clen` becomes, against hand-worked figures.
//!
//! The kernel rule: a new cluster is considered when `v_clen == 0` or the block does
//! not continue the last one (logically and on disk). `maxclen` starts as
//! `vmaxiosize(vp)` = `mnt_iosize_max` (128 KiB); only for a block that is not the
//! file's last *and* whose buffer has no disk address yet (`bio_offset == NOOFFSET`)
//! does `VOP_BMAP` replace it with the contiguous run. Then `v_clen = maxclen −
//! blksize`. `ffs_balloc` gives every data buffer of `ffs_write` its disk address, so a
//! cluster opened by write(2) is always sized 112 KiB past its first block (8 blocks of
//! 16 KiB) — whatever the extent or the file has left — and is pushed from here only
//! when a write lands exactly on `v_cstart + v_clen` (or a jump ends it).

mod common;

use common::{engine_ev as ev, engine_sim as sim, origin_writes as writes};
use vpsim::engine::Simulator;
use vpsim::stats::Origin;
use vpsim::trace::Op;

const K: u64 = 1024;
const MS: u64 = 1_000_000;
/// f_iosize: 16 KiB blocks; mnt_iosize_max is 128 KiB (8 blocks).
const BLK: u64 = 16 * K;

/// Full-block overwrites, one write(2) each, 1 ms apart from `t`, of blocks
/// `first..end` of file 0. Returns the time of the last.
fn overwrite_blocks(s: &mut Simulator, mut t: u64, first: u64, end: u64) -> u64 {
    for blk in first..end {
        t += MS;
        s.step_event(&ev(t, Op::Write, 0, Some(blk * BLK), BLK));
    }
    t
}

/// An 18-block (288 KiB) file, one extent, cold. Full-block overwrites of blocks
/// 12..=17 (indirect-mapped, so no read-before-write), one write(2) each on a fresh
/// fd: B11 passes seqcount 0 for block 12 (a jump from f_nextoff 0), then 1, 2, 3, 4, 5.
///
/// Kernel: block 12 opens a cluster (v_clen was 0). It is not the last block
/// (192 + 16 KiB ≠ 288 KiB) but its disk address is known, so no VOP_BMAP:
/// v_clen = 128 − 16 = 112 KiB, v_cstart = 192 KiB, bdwrite. Blocks 13..=17 continue
/// it on disk and none is at v_cstart + v_clen = 304 KiB (block 19, past EOF): all
/// bdwrite. Nothing is written at write time; fsync's vfs_bio_awrite then gathers the
/// six dirty contiguous blocks into one 96 KiB write.
///
/// (Old vpsim bmapped block 12 because it is not the last: the run to the end of the
/// extent is 6 blocks, so v_clen was 80 KiB and block 17 (272 KiB = 192 + 80) "filled"
/// the cluster; with seqcount 5 it pushed one 96 KiB ClusterPush write at write time
/// and fsync wrote nothing.)
#[test]
fn known_disk_address_sizes_the_cluster_to_mnt_iosize_max_near_eof() {
    let mut s = sim(&[18 * BLK], 1 << 30, &[]);
    s.step_event(&ev(0, Op::Open, 0, None, 18 * BLK));
    s.step_event(&ev(MS, Op::Write, 0, Some(12 * BLK), BLK));
    assert_eq!(
        s.vnodes[0].v_clen,
        112 * K,
        "no bmap: v_clen = mnt_iosize_max − blksize, not the 6-block run − blksize"
    );
    assert_eq!(s.vnodes[0].v_cstart, 12 * BLK);
    let t = overwrite_blocks(&mut s, MS, 13, 18);
    {
        let d = s.device.stats();
        assert_eq!(
            writes(d, Origin::ClusterPush),
            (0, 0),
            "nothing pushed at write time"
        );
        assert_eq!((d.writes, d.reads), (0, 0));
    }
    assert_eq!(s.bufs.dirtybufspace, 6 * BLK, "blocks 12..=17 delayed");
    assert_eq!(s.vnodes[0].v_clen, 112 * K, "the cluster is still open");
    assert_eq!(s.vnodes[0].v_lastw, 17 * BLK);
    s.step_event(&ev(t + MS, Op::Fsync, 0, None, 0));
    let d = s.device.stats();
    assert_eq!(
        writes(d, Origin::Fsync),
        (1, 96 * K),
        "one 6-block cluster at fsync"
    );
    assert_eq!(writes(d, Origin::ClusterPush), (0, 0));
    assert_eq!(d.writes, 1);
    assert_eq!(s.bufs.dirtybufspace, 0);
    s.check().unwrap();
}

/// A 22-block (352 KiB) file, one extent; full-block overwrites of blocks 12..=21,
/// seqcount 0 for block 12, then 1, 2, …, 9 for block 21.
///
/// Kernel: block 12 opens a 112 KiB cluster (no bmap, as above); blocks 13..=18 are
/// delayed; block 19 lands on v_cstart + v_clen = 304 KiB, so it is delayed and, with
/// seqcount 7 > 1, blocks 12..=19 are pushed as one 128 KiB write; v_clen = 0,
/// v_cstart = 320 KiB. Block 20 opens a new cluster: not the last block (336 ≠
/// 352 KiB), disk address known, no bmap, v_clen = 112 KiB again; block 21 is in its
/// middle (432 KiB is past EOF): delayed. fsync writes blocks 20–21 as one 32 KiB
/// cluster (block 19 is clean, so the backward scan stops there).
///
/// (Old vpsim bmapped block 20: a 2-block run to the end of the extent, v_clen 16 KiB,
/// so block 21 "filled" it and was pushed at write time with seqcount 9: ClusterPush
/// 2 writes / 160 KiB and nothing left for fsync.)
#[test]
fn the_tail_of_a_sequential_overwrite_waits_for_fsync() {
    let mut s = sim(&[22 * BLK], 1 << 30, &[]);
    s.step_event(&ev(0, Op::Open, 0, None, 22 * BLK));
    let t = overwrite_blocks(&mut s, 0, 12, 22);
    {
        let d = s.device.stats();
        assert_eq!(
            writes(d, Origin::ClusterPush),
            (1, 128 * K),
            "blocks 12..=19 pushed when block 19 fills the cluster; 20..=21 stay delayed"
        );
        assert_eq!((d.writes, d.reads), (1, 0));
    }
    assert_eq!(s.bufs.dirtybufspace, 2 * BLK);
    assert_eq!(
        (s.vnodes[0].v_cstart, s.vnodes[0].v_clen),
        (20 * BLK, 112 * K),
        "block 20 opened a full-size cluster"
    );
    s.step_event(&ev(t + MS, Op::Fsync, 0, None, 0));
    let d = s.device.stats();
    assert_eq!(writes(d, Origin::Fsync), (1, 32 * K));
    assert_eq!(writes(d, Origin::ClusterPush), (1, 128 * K));
    assert_eq!(d.writes, 2);
    assert_eq!(s.bufs.dirtybufspace, 0);
    s.check().unwrap();
}
