//! Read clustering (sys/kern/vfs_cluster.c): `cluster_readx` (B2), `cluster_rbuild`
//! (B3), and the plain `bread`/`breadn` used at EOF and on `noclusterr` mounts.
//!
//! This is the only place read-ahead happens in the snapshot: both read(2) and mmap
//! pageins come here, the latter with the maximum sequential hint.

use super::Simulator;
use super::buf::bf;
use crate::stats::{Dir, Origin};

impl Simulator {
    /// `VOP_BMAP` on vnode `vn`: disk offset and contiguous run (bytes) of `lblk`.
    pub(crate) fn vop_bmap(&mut self, vn: u32, lblk: u64) -> Option<(u64, u64)> {
        let bsize = self.p.knobs.f_iosize;
        let maxrun = (self.p.knobs.mnt_iosize_max / bsize).max(1);
        let v = &mut self.vnodes[vn as usize];
        if v.unbounded && v.extent_of(lblk).is_none() {
            // Size unknown (pipe input): the block exists where it is first read.
            v.allocate(lblk, 1, bsize, &mut self.disk);
        }
        self.vnodes[vn as usize].bmap(lblk, bsize, maxrun)
    }

    /// Start the read of locked buffer `b` (not `B_CACHE`): a hole is zero-filled by the
    /// strategy routine with no device I/O. Returns the request when one was issued.
    fn read_single(&mut self, b: u32, origin: Origin, sync: bool) -> Option<crate::device::ReqId> {
        let (vn, lblk) = {
            let bp = &self.bufs.bufs[b as usize];
            (bp.vnode, bp.lblkno)
        };
        match self.vop_bmap(vn, lblk) {
            Some((disk, _)) => {
                self.bufs.bufs[b as usize].disk = disk;
                Some(self.bio_issue(Dir::Read, &[b], disk, origin, sync))
            }
            None => {
                self.zero_fill_hole(b);
                None
            }
        }
    }

    /// A hole reads as zeros: pages become valid at once, the buffer `B_CACHE`.
    fn zero_fill_hole(&mut self, b: u32) {
        let bcount = self.bufs.bufs[b as usize].bcount as u64;
        let (np, pages) = {
            let bp = &self.bufs.bufs[b as usize];
            (bp.npages as usize, bp.pages)
        };
        for (i, &m) in pages[..np].iter().enumerate() {
            let len = (bcount - i as u64 * 4096).min(4096);
            let p = &mut self.pages.pages[m as usize];
            p.valid |= super::page::page_bits(0, len);
        }
        self.bufs.bufs[b as usize].flags |= bf::CACHE;
        self.c.hole_reads += 1;
    }

    /// `bread`: the block, read synchronously if not cached. Returns the locked buffer.
    pub(crate) fn bread(&mut self, vn: u32, lblk: u64, size: u64, origin: Origin) -> Option<u32> {
        let b = self.getblk(vn, lblk, size, false)?;
        if self.bufs.bufs[b as usize].flags & bf::CACHE == 0
            && let Some(req) = self.read_single(b, origin, true)
        {
            self.wait_req(req);
        }
        Some(b)
    }

    /// `breadn` with one block of read-ahead (noclusterr mounts, seqcount > 1).
    pub(crate) fn breadn(&mut self, vn: u32, lblk: u64, size: u64, origin: Origin) -> Option<u32> {
        let b = self.getblk(vn, lblk, size, false)?;
        let mut req = None;
        if self.bufs.bufs[b as usize].flags & bf::CACHE == 0 {
            req = self.read_single(b, origin, true);
        }
        let next = lblk + 1;
        let nsize = self.vnodes[vn as usize].blksize(next, self.p.knobs.f_iosize);
        if next * self.p.knobs.f_iosize < self.vnodes[vn as usize].v_filesize
            && let Some(rb) = self.getblk(vn, next, nsize, true)
        {
            if self.bufs.bufs[rb as usize].flags & bf::CACHE == 0 {
                self.mark_readahead(rb);
                if self.read_single(rb, Origin::Readahead, false).is_none() {
                    self.bqrelse(rb);
                }
            } else {
                self.bqrelse(rb);
            }
        }
        if let Some(r) = req {
            self.wait_req(r);
        }
        Some(b)
    }

    /// B2 `cluster_readx`: read block `lblk` (of a file of `filesize` bytes, blocks of
    /// `bsize`) with up to `maxreq` bytes of read-ahead. The requested block is read
    /// synchronously (as part of a cluster when the disk layout allows); read-ahead
    /// clusters are issued asynchronously and marked `B_RAM` so that reaching them
    /// triggers the next batch. Returns the locked, valid requested buffer.
    pub(crate) fn cluster_readx(
        &mut self,
        vn: u32,
        filesize: u64,
        lblk: u64,
        minreq: u64,
        maxreq: u64,
    ) -> Option<u32> {
        let bsize = self.p.knobs.f_iosize;
        let loff = lblk * bsize;
        let mut maxreq = maxreq.max(minreq);
        if maxreq > self.p.knobs.max_readahead {
            maxreq = self.p.knobs.max_readahead.min(16 << 20);
        }
        maxreq = maxreq.max(bsize);
        if loff + maxreq > filesize {
            maxreq = filesize.saturating_sub(loff);
        }
        let mut maxra = maxreq / bsize;
        let maxrbuild = (self.p.knobs.mnt_iosize_max / bsize).max(1);

        let reqbp = self.getblk(vn, lblk, bsize, false)?;
        let mut next = lblk;
        let mut sync_req = None;

        if self.bufs.bufs[reqbp as usize].flags & bf::CACHE != 0 {
            if maxra <= 1 || self.bufs.bufs[reqbp as usize].flags & bf::RAM == 0 {
                return Some(reqbp);
            }
            // Hit a read-ahead mark: find where the cached run ends.
            self.bufs.bufs[reqbp as usize].flags &= !bf::RAM;
            self.c.bram_hits += 1;
            let mut i = if self.bufs.lookup(vn, lblk + maxra - 2).is_some() {
                maxra - 1
            } else {
                1
            };
            while i < maxra && self.bufs.lookup(vn, lblk + i).is_some() {
                i += 1;
            }
            if i >= maxra {
                return Some(reqbp);
            }
            maxra -= i;
            next = lblk + i;
        } else {
            let mut nblks = maxra.min(maxrbuild);
            let mut built = false;
            if nblks > 1
                && let Some((disk, run)) = self.vop_bmap(vn, lblk)
            {
                nblks = nblks.min(run / bsize);
                if nblks > 1 {
                    let (req, len) =
                        self.cluster_rbuild(vn, filesize, lblk, disk, nblks, reqbp, true);
                    sync_req = Some(req);
                    next = lblk + len;
                    maxra = maxra.saturating_sub(len);
                    built = true;
                }
            }
            if !built {
                self.set_bram(reqbp);
                sync_req = self.read_single(reqbp, self.demand_origin, true);
                next = lblk + 1;
                maxra = maxra.saturating_sub(1);
            }
        }

        // Read-ahead loop: only buffers we can get without sleeping.
        while maxra > 0 {
            let Some(rbp) = self.getblk(vn, next, bsize, true) else {
                break;
            };
            if self.bufs.bufs[rbp as usize].flags & bf::CACHE != 0 {
                self.bqrelse(rbp);
                break;
            }
            let Some((disk, run)) = self.vop_bmap(vn, next) else {
                self.bufs.bufs[rbp as usize].flags |= bf::INVAL;
                self.brelse(rbp);
                break;
            };
            let nblks = maxra.min(maxrbuild).min(run / bsize).max(1);
            self.set_bram(rbp);
            let len = if nblks > 1 {
                let (_, len) = self.cluster_rbuild(vn, filesize, next, disk, nblks, rbp, false);
                len
            } else {
                self.bufs.bufs[rbp as usize].disk = disk;
                self.mark_readahead(rbp);
                self.bio_issue(Dir::Read, &[rbp], disk, Origin::Readahead, false);
                1
            };
            next += len;
            maxra = maxra.saturating_sub(len);
        }

        if let Some(req) = sync_req {
            self.wait_req(req);
        }
        Some(reqbp)
    }

    /// B3 `cluster_rbuild`: grow a read of `fbp` (block `lblk` at `disk`) over up to
    /// `run` following blocks that are absent from the cache, completely invalid and
    /// physically contiguous; one device read for all. `B_RAM` goes on the 2nd block and
    /// on block `run−1`. With `sync` the first buffer is the caller's (it waits);
    /// every other component completes asynchronously into the buffer cache.
    /// Returns the request and the number of blocks covered.
    #[allow(clippy::too_many_arguments)]
    fn cluster_rbuild(
        &mut self,
        vn: u32,
        filesize: u64,
        lblk: u64,
        disk: u64,
        run: u64,
        fbp: u32,
        sync: bool,
    ) -> (crate::device::ReqId, u64) {
        let bsize = self.p.knobs.f_iosize;
        let mut run = run;
        while run > 1 && (lblk + run) * bsize > filesize {
            run -= 1;
        }
        self.bufs.bufs[fbp as usize].disk = disk;
        let origin = if sync {
            self.demand_origin
        } else {
            Origin::Readahead
        };
        if !sync {
            self.mark_readahead(fbp);
        }
        if run <= 1 || self.bufs.cluster_pbufs_used >= self.p.cluster_pbufs {
            let req = self.bio_issue(Dir::Read, &[fbp], disk, origin, sync);
            return (req, 1);
        }
        let mut list = std::mem::take(&mut self.scratch_bufs);
        list.clear();
        list.push(fbp);
        for i in 1..run {
            let Some(tbp) = self.getblk(vn, lblk + i, bsize, true) else {
                break;
            };
            let bp = &self.bufs.bufs[tbp as usize];
            let any_valid = bp
                .page_list()
                .iter()
                .any(|&m| self.pages.pages[m as usize].valid != 0);
            if bp.flags & bf::CACHE != 0 || any_valid {
                self.bqrelse(tbp);
                break;
            }
            let want = disk + i * bsize;
            if bp.disk != u64::MAX && bp.disk != want {
                self.brelse(tbp);
                break;
            }
            if i == 1 || i == run - 1 {
                self.set_bram(tbp);
            }
            self.bufs.bufs[tbp as usize].disk = want;
            self.mark_readahead(tbp);
            list.push(tbp);
        }
        let n = list.len() as u64;
        let req = self.bio_issue(Dir::Read, &list, disk, origin, sync);
        // Only the first buffer has a waiter; the others complete into the cache.
        for &b in &list[1..] {
            self.bufs.bufs[b as usize].flags |= bf::ASYNC;
        }
        if sync {
            self.bufs.bufs[fbp as usize].flags &= !bf::ASYNC;
        }
        self.scratch_bufs = list;
        (req, n)
    }
}
