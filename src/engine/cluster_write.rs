//! Write clustering (sys/kern/vfs_cluster.c, sys/kern/vfs_bio.c): `cluster_write`
//! (B4) for full blocks written by write(2) and putpages, `cluster_wbuild` (B5) that
//! gathers dirty contiguous buffers into one device write, `vfs.write_behind`, and
//! `vfs_bio_awrite` (B6) used by the daemons and fsync.

use super::Simulator;
use super::buf::{BufQueue, bf};
use super::vnode::NOOFFSET;
use crate::stats::Origin;

impl Simulator {
    /// Whether `b` may join a write cluster built from `disk` at position `i`.
    fn clusterable(&self, b: u32, bsize: u64, disk: u64) -> bool {
        let bp = &self.bufs.bufs[b as usize];
        bp.flags & bf::DELWRI != 0
            && bp.flags & bf::CLUSTEROK != 0
            && bp.queue == BufQueue::Dirty
            && bp.io.is_none()
            && bp.bcount as u64 == bsize
            && bp.disk == disk
            && bp
                .page_list()
                .iter()
                .all(|&m| self.pages.pages[m as usize].busy == 0)
    }

    /// Wait for a free cluster pbuf (at most `nswbuf/2` cluster I/Os in flight).
    fn getpbuf_cluster(&mut self) {
        while self.bufs.cluster_pbufs_used >= self.p.cluster_pbufs {
            self.c.cluster_pbuf_waits += 1;
            if !self.wait_any_io() {
                break;
            }
        }
    }

    /// B5 `cluster_wbuild(vp, bsize, start, bytes)`: walk the range; each dirty,
    /// unlocked buffer starts a run of following dirty, `B_CLUSTEROK`, same-size,
    /// physically contiguous buffers (≤ `mnt_iosize_max`) written as one request. A
    /// buffer that cannot cluster, or the last one of the range, goes alone.
    pub(crate) fn cluster_wbuild(
        &mut self,
        vn: u32,
        start: u64,
        bytes: u64,
        origin: Origin,
        maxbytes: u64,
    ) {
        let bsize = self.p.knobs.f_iosize;
        let maxblocks = (maxbytes / bsize).max(1);
        let mut lblk = start / bsize;
        let mut left = bytes / bsize;
        let mut list = std::mem::take(&mut self.scratch_bufs);
        while left > 0 {
            let b = match self.bufs.lookup(vn, lblk) {
                Some(b)
                    if self.bufs.bufs[b as usize].flags & bf::DELWRI != 0
                        && self.bufs.bufs[b as usize].queue == BufQueue::Dirty =>
                {
                    b
                }
                _ => {
                    lblk += 1;
                    left -= 1;
                    continue;
                }
            };
            let alone = {
                let bp = &self.bufs.bufs[b as usize];
                bp.flags & bf::CLUSTEROK == 0 || bp.bcount as u64 != bsize || left == 1
            };
            if self.bufs.bufs[b as usize].disk == u64::MAX
                && let Some((d, _)) = self.vop_bmap(vn, lblk)
            {
                self.bufs.bufs[b as usize].disk = d;
            }
            if alone {
                self.bufs.unqueue(b);
                self.bawrite(b, origin);
                lblk += 1;
                left -= 1;
                continue;
            }
            self.getpbuf_cluster();
            list.clear();
            list.push(b);
            let disk0 = self.bufs.bufs[b as usize].disk;
            let mut i = 1;
            while i < left && i < maxblocks {
                let Some(nb) = self.bufs.lookup(vn, lblk + i) else {
                    break;
                };
                if self.bufs.bufs[nb as usize].disk == u64::MAX
                    && let Some((d, _)) = self.vop_bmap(vn, lblk + i)
                {
                    self.bufs.bufs[nb as usize].disk = d;
                }
                if !self.clusterable(nb, bsize, disk0 + i * bsize) {
                    break;
                }
                list.push(nb);
                i += 1;
            }
            for &x in &list {
                self.bufs.unqueue(x);
            }
            self.bwrite_cluster(&list, origin);
            lblk += i;
            left -= i;
        }
        self.scratch_bufs = list;
    }

    /// `cluster_wbuild_wb`: honour `vfs.write_behind` (0 never push, 1 push the cluster,
    /// 2 push the cluster one cluster-length behind).
    fn cluster_wbuild_wb(&mut self, vn: u32, start: u64, bytes: u64) {
        match self.p.knobs.write_behind {
            0 => {}
            1 => self.cluster_wbuild(
                vn,
                start,
                bytes,
                Origin::ClusterPush,
                self.p.knobs.mnt_iosize_max,
            ),
            _ => {
                if start >= bytes {
                    let max = self.p.knobs.mnt_iosize_max;
                    self.cluster_wbuild(vn, start - bytes, bytes, Origin::ClusterPush, max);
                }
            }
        }
    }

    /// B4 `cluster_write(bp, filesize, blksize, seqcount)` (sys/kern/vfs_cluster.c) for a
    /// full block just written: delay it while a physically contiguous cluster grows,
    /// push the cluster when it is full (or when a non-sequential write ends it), bawrite
    /// when clustering is impossible or memory is severe. Consumes the locked buffer `b`.
    ///
    /// When the kernel asks `VOP_BMAP`, and what `v_clen` becomes (DragonFly at
    /// 005cf293e4, 2011-12): never on the contiguous path, and never to learn whether
    /// the block continues the cluster — a buffer with no disk address yet simply counts
    /// as not contiguous. Only while considering a new cluster, and only for a block
    /// that is not the file's last (`loffset + blksize != filesize`) *and* whose buffer
    /// still has no disk address (`b_bio2.bio_offset == NOOFFSET`): then `maxclen` is
    /// the bmap's contiguous run (bytes, the block itself included; ufs_bmaparray caps
    /// it at `mnt_iosize_max`) and a hole means `bawrite` now. In every other case
    /// `maxclen` stays `vmaxiosize(vp)` (`mnt_iosize_max`). Then `v_clen = maxclen −
    /// blksize` (0 when not larger). `ffs_balloc` leaves the disk address in every data
    /// buffer `ffs_write` passes here, so a cluster opened by write(2) may always grow
    /// to the full I/O size even when the file or the extent ends sooner: the shorter
    /// run is not pushed here when its last block is written, but later by fsync, the
    /// syncer or the buf_daemon (`vfs_bio_awrite`), or by the next non-contiguous write.
    pub(crate) fn cluster_write(&mut self, b: u32, filesize: u64, seqcount: u32) {
        let bsize = self.p.knobs.f_iosize;
        let (vn, lblk) = {
            let bp = &self.bufs.bufs[b as usize];
            (bp.vnode, bp.lblkno)
        };
        let loff = lblk * bsize;
        // The buffer's disk address as the caller left it (NOOFFSET if unknown): the
        // kernel does not bmap here, and records this value in `v_lasta` at the end.
        let mut disk = self.bufs.bufs[b as usize].disk;
        if loff == 0 {
            let v = &mut self.vnodes[vn as usize];
            v.v_lasta = 0;
            v.v_clen = 0;
            v.v_cstart = 0;
            v.v_lastw = 0;
        }
        let (v_clen, v_lastw, v_lasta, v_cstart) = {
            let v = &self.vnodes[vn as usize];
            (v.v_clen, v.v_lastw, v.v_lasta, v.v_cstart)
        };
        let logical_next = loff == v_lastw + bsize;
        // NOOFFSET + blksize wraps exactly as the kernel's `-1 + blksize` does.
        let contiguous = logical_next && disk != NOOFFSET && disk == v_lasta.wrapping_add(bsize);
        let last_block = loff + bsize == filesize;
        if v_clen == 0 || !contiguous {
            if v_clen != 0 {
                // A cluster was open and this write does not continue it.
                let cursize = v_lastw.saturating_sub(v_cstart) + bsize;
                if !last_block || !logical_next || v_clen <= cursize {
                    if seqcount > 0 {
                        self.cluster_wbuild_wb(vn, v_cstart, cursize);
                    }
                } else if self.reallocblks(vn, v_cstart, lblk) {
                    // VOP_REALLOCBLKS made the run contiguous: keep building.
                    self.bdwrite(b);
                    let d = self.bufs.bufs[b as usize].disk;
                    let v = &mut self.vnodes[vn as usize];
                    v.v_lastw = loff;
                    v.v_lasta = d;
                    return;
                } else if seqcount > 1 {
                    self.cluster_wbuild_wb(vn, v_cstart, cursize);
                }
            }
            // Consider beginning a cluster: as large as the I/O size allows, unless this
            // is a non-last block whose disk address is unknown, which bmap then sizes.
            let mut maxclen = self.p.knobs.mnt_iosize_max;
            if !last_block && disk == NOOFFSET {
                match self.vop_bmap(vn, lblk) {
                    Some((d, run)) => {
                        self.bufs.bufs[b as usize].disk = d;
                        disk = d;
                        maxclen = run;
                    }
                    None => {
                        // A hole (or bmap failure): write it now, no cluster.
                        self.bawrite(b, Origin::Bawrite);
                        let v = &mut self.vnodes[vn as usize];
                        v.v_clen = 0;
                        v.v_lasta = disk;
                        v.v_cstart = loff + bsize;
                        v.v_lastw = loff;
                        return;
                    }
                }
            }
            // `maxclen - blksize` when larger than a block, else 0.
            let clen = maxclen.saturating_sub(bsize);
            self.vnodes[vn as usize].v_clen = clen;
            if clen == 0 {
                // The I/O cannot be contiguous: write it now.
                self.vnodes[vn as usize].v_cstart = loff + bsize;
                self.bawrite(b, Origin::Bawrite);
            } else {
                // Wait for the rest of the cluster.
                self.vnodes[vn as usize].v_cstart = loff;
                self.bdwrite(b);
            }
        } else if loff == v_cstart + v_clen {
            // The cluster is full: push it if the writer is sequential.
            self.bdwrite(b);
            if seqcount > 1 {
                self.cluster_wbuild_wb(vn, v_cstart, v_clen + bsize);
            }
            let v = &mut self.vnodes[vn as usize];
            v.v_clen = 0;
            v.v_cstart = loff + bsize;
        } else if self.vm_page_count_severe() {
            self.bawrite(b, Origin::Bawrite);
        } else {
            self.bdwrite(b);
        }
        let v = &mut self.vnodes[vn as usize];
        v.v_lastw = loff;
        v.v_lasta = disk;
    }

    /// `VOP_REALLOCBLKS` (ffs_reallocblks): move the blocks of the open cluster
    /// `[cstart, lblk]` to one contiguous run at the allocation cursor. Succeeds when
    /// every block of the range has a buffer (as the kernel's collectbufs requires).
    fn reallocblks(&mut self, vn: u32, cstart: u64, lblk: u64) -> bool {
        let bsize = self.p.knobs.f_iosize;
        let first = cstart / bsize;
        if (first..=lblk).any(|l| self.bufs.lookup(vn, l).is_none()) {
            return false;
        }
        let n = lblk - first + 1;
        let v = &mut self.vnodes[vn as usize];
        v.free_from_range(first, n);
        v.allocate(first, n, bsize, &mut self.disk);
        for l in first..=lblk {
            let d = self.vnodes[vn as usize].bmap(l, bsize, 1).map(|(d, _)| d);
            if let (Some(b), Some(d)) = (self.bufs.lookup(vn, l), d) {
                self.bufs.bufs[b as usize].disk = d;
            }
        }
        self.c.reallocblks += 1;
        true
    }

    /// B6 `vfs_bio_awrite(bp)`: flush one dirty buffer, clustering it with dirty,
    /// unlocked, `B_CLUSTEROK`, same-size, physically contiguous neighbours found
    /// forward and backward (≤ `MAXPHYS`). Returns the bytes issued.
    pub(crate) fn vfs_bio_awrite(&mut self, b: u32, origin: Origin) -> u64 {
        let bsize = self.p.knobs.f_iosize;
        let (vn, lblk, flags, bcount) = {
            let bp = &self.bufs.bufs[b as usize];
            (bp.vnode, bp.lblkno, bp.flags, bp.bcount as u64)
        };
        if self.bufs.bufs[b as usize].disk == u64::MAX
            && let Some((d, _)) = self.vop_bmap(vn, lblk)
        {
            self.bufs.bufs[b as usize].disk = d;
        }
        let disk = self.bufs.bufs[b as usize].disk;
        let merge = self.pol.cluster.merge(&self.p.knobs);
        if flags & bf::CLUSTEROK != 0
            && bcount == bsize
            && disk != u64::MAX
            && merge.max_bytes > bsize
        {
            let maxcl = merge.max_bytes / bsize;
            let mut fwd = 1;
            while fwd < maxcl {
                match self.bufs.lookup(vn, lblk + fwd) {
                    Some(nb) if self.clusterable(nb, bsize, disk + fwd * bsize) => fwd += 1,
                    _ => break,
                }
            }
            let mut back = 0;
            while merge.backward && back + fwd < maxcl && lblk > back {
                let l = lblk - back - 1;
                match self.bufs.lookup(vn, l) {
                    Some(nb)
                        if disk >= (back + 1) * bsize
                            && self.clusterable(nb, bsize, disk - (back + 1) * bsize) =>
                    {
                        back += 1
                    }
                    _ => break,
                }
            }
            let n = back + fwd;
            if n > 1 {
                self.cluster_wbuild(
                    vn,
                    (lblk - back) * bsize,
                    n * bsize,
                    origin,
                    merge.max_bytes,
                );
                return n * bsize;
            }
        }
        self.bufs.unqueue(b);
        self.bawrite(b, origin);
        bcount
    }
}
