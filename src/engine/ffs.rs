//! The UFS read and write paths (sys/vfs/ufs: `ffs_read`, `ffs_blkatoff_ra` B12,
//! `ffs_write` §6.3) as the pager and the syscalls reach them.
//!
//! Writes allocate missing blocks (no read needed), read partial blocks that exist on
//! disk but are not cached (read-before-write, with read-ahead), copy, and dispose of
//! each block by the rules of §6.3 (delayed, clustered, async or sync).

use super::Simulator;
use super::buf::bf;
use super::page::{NIL, PAGE_SIZE, page_bits};
use crate::policies::cluster::FullBlock;
use crate::policies::readahead::RaPlan;
use crate::stats::Origin;

/// What the caller of ffs_read/ffs_write wants done with the buffers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoFlags {
    /// IO_VMIO: pager I/O, the buffer is torn down after use (B_RELBUF).
    pub vmio: bool,
    /// O_DIRECT.
    pub direct: bool,
    /// IO_SYNC.
    pub sync: bool,
    /// IO_ASYNC.
    pub async_: bool,
    /// UIO_NOCOPY: the data is already in the pages (pager I/O).
    pub nocopy: bool,
}

impl Simulator {
    /// B12 `ffs_blkatoff_ra`: the buffer for block `lblk`, read with the read-ahead
    /// `seqcount` asks for (the last block of the file is read alone).
    pub(crate) fn ffs_blkatoff_ra(
        &mut self,
        vn: u32,
        lblk: u64,
        seqcount: u32,
        origin: Origin,
    ) -> Option<u32> {
        let bsize = self.p.knobs.f_iosize;
        let filesize = self.vnodes[vn as usize].v_filesize;
        let size = self.vnodes[vn as usize].blksize(lblk, bsize);
        self.fire_marker(vn, lblk);
        // Only for policies that look (`ReadAhead::uses_cached`); `false` otherwise
        // keeps `ra_ctx` from counting a history nobody reads.
        let cached = self.ra_cached && self.block_cached(vn, lblk);
        let ctx = self.ra_ctx(vn, lblk, seqcount, cached);
        match self.pol.readahead.on_access(&ctx) {
            RaPlan::Cluster { maxreq } => {
                if (lblk + 1).saturating_mul(bsize) >= filesize {
                    self.bread(vn, lblk, size, origin)
                } else if self.p.knobs.noclusterr {
                    if maxreq > bsize {
                        self.breadn(vn, lblk, size, origin)
                    } else {
                        self.bread(vn, lblk, size, origin)
                    }
                } else {
                    self.cluster_readx(vn, filesize, lblk, bsize, maxreq)
                }
            }
            RaPlan::Window {
                start,
                sync_end,
                end,
                mark,
            } => {
                let b = self.read_window(vn, Some(lblk), start, sync_end, end, mark);
                match b {
                    Some(b) => Some(b),
                    None => self.bread(vn, lblk, size, origin),
                }
            }
            RaPlan::Nothing => self.bread(vn, lblk, size, origin),
        }
    }

    /// `ffs_read` of `[off, off+len)` clipped to EOF. Returns the bytes read.
    pub(crate) fn ffs_read(
        &mut self,
        vn: u32,
        off: u64,
        len: u64,
        seqcount: u32,
        io: IoFlags,
    ) -> u64 {
        let bsize = self.p.knobs.f_iosize;
        let filesize = self.vnodes[vn as usize].v_filesize;
        let end = off.saturating_add(len).min(filesize);
        let mut pos = off;
        while pos < end {
            let lblk = pos / bsize;
            let xfer = (bsize - pos % bsize).min(end - pos);
            let Some(b) = self.ffs_blkatoff_ra(vn, lblk, seqcount, Origin::Demand) else {
                break;
            };
            if io.vmio {
                self.bufs.bufs[b as usize].flags |= bf::RELBUF;
            } else if io.direct {
                self.bufs.bufs[b as usize].flags |= bf::DIRECT;
            }
            self.brelse(b);
            pos += xfer;
        }
        end.saturating_sub(off)
    }

    /// `ffs_write` of `[off, off+len)` (offset already resolved for O_APPEND). Grows
    /// the file, allocates missing blocks (no read needed), reads partial blocks that
    /// exist on disk but are not cached (read-before-write, with read-ahead), fills the
    /// pages and writes the block out. Returns false when a block could not be
    /// written (no buffer or memory could be had).
    pub(crate) fn ffs_write(
        &mut self,
        vn: u32,
        off: u64,
        len: u64,
        seqcount: u32,
        io: IoFlags,
    ) -> bool {
        let bsize = self.p.knobs.f_iosize;
        let end = off.saturating_add(len);
        let mut pos = off;
        while pos < end {
            #[cfg(test)]
            if self.inject_lost_write {
                // Test hook: behave as the write path did before getnewbuf learnt to
                // wait (give up, bytes unaccounted), to prove the invariant sees it.
                return false;
            }
            let lblk = pos / bsize;
            let blkoff = pos % bsize;
            let xfer = (bsize - blkoff).min(end - pos);
            if pos + xfer > self.vnodes[vn as usize].v_filesize && !io.nocopy {
                // Growth goes through the filesystem's setsize: UFS keeps the object
                // block-rounded (nvnode_pager_setsize), the generic path page-rounded.
                match self.p.knobs.truncate {
                    crate::params::TruncatePath::Ufs => self.nvnode_pager_setsize(vn, pos + xfer),
                    crate::params::TruncatePath::Generic => {
                        self.vnode_pager_setsize(vn, pos + xfer)
                    }
                }
            }
            let size = self.vnodes[vn as usize].blksize(lblk, bsize);
            let existed = self.vop_bmap(vn, lblk).is_some();
            if !existed {
                let v = &mut self.vnodes[vn as usize];
                v.allocate(lblk, 1, bsize, &mut self.disk);
            }
            let Some(b) = self.getblk(vn, lblk, size, false) else {
                return false;
            };
            // ffs_balloc leaves the block's disk address in the buffer.
            if self.bufs.bufs[b as usize].disk == u64::MAX
                && let Some((d, _)) = self.vop_bmap(vn, lblk)
            {
                self.bufs.bufs[b as usize].disk = d;
            }
            let cached = self.bufs.bufs[b as usize].flags & bf::CACHE != 0;
            let partial = xfer < size || io.nocopy;
            // `ffs_balloc` (sys/vfs/ufs/ffs_balloc.c): an existing direct block
            // (lbn < NDADDR) is `bread` in full whatever the write covers — a full-block
            // overwrite included — and without read-ahead; the EOF fragment too (read
            // as it is, or by ffs_realloccg when it grows). Only indirect-mapped blocks
            // look at B_CLRBUF (partial writes) and read ahead with cluster_read.
            let direct_blk = lblk < super::vnode::NDADDR;
            if !cached && existed && (partial || direct_blk) && !self.buf_fully_valid(b) {
                // Read-before-write, as bread/cluster_read would.
                self.c.read_before_write += 1;
                self.brelse_keep(b);
                let filesize = self.vnodes[vn as usize].v_filesize;
                let nb = if !direct_blk
                    && seqcount > 0
                    && (lblk + 1) * bsize < filesize
                    && !self.p.knobs.noclusterr
                {
                    let maxreq = (seqcount.min(127) as u64) * self.p.knobs.seq_unit;
                    self.cluster_readx_origin(vn, filesize, lblk, bsize, maxreq)
                } else {
                    self.bread(vn, lblk, size, Origin::ReadBeforeWrite)
                };
                let Some(nb) = nb else { return false };
                self.write_fill_and_dispose(nb, pos, xfer, io, seqcount);
            } else {
                if !existed {
                    // Newly allocated: the invalid parts are zeroed, no read.
                    self.buf_zero_invalid(b);
                }
                self.write_fill_and_dispose(b, pos, xfer, io, seqcount);
            }
            pos += xfer;
        }
        true
    }

    /// Read-before-write through cluster_readx, tagging the synchronous read.
    fn cluster_readx_origin(
        &mut self,
        vn: u32,
        filesize: u64,
        lblk: u64,
        bsize: u64,
        maxreq: u64,
    ) -> Option<u32> {
        self.demand_origin = Origin::ReadBeforeWrite;
        let r = self.cluster_readx(vn, filesize, lblk, bsize, maxreq);
        self.demand_origin = Origin::Demand;
        r
    }

    fn buf_fully_valid(&self, b: u32) -> bool {
        let bp = &self.bufs.bufs[b as usize];
        let bcount = bp.bcount as u64;
        bp.page_list().iter().enumerate().all(|(i, &m)| {
            let len = (bcount - i as u64 * PAGE_SIZE).min(PAGE_SIZE);
            let need = page_bits(0, len);
            self.pages.pages[m as usize].valid & need == need
        })
    }

    fn buf_zero_invalid(&mut self, b: u32) {
        let bp = &self.bufs.bufs[b as usize];
        let bcount = bp.bcount as u64;
        let (np, pages) = (bp.npages as usize, bp.pages);
        for (i, &m) in pages[..np].iter().enumerate() {
            let len = (bcount - i as u64 * PAGE_SIZE).min(PAGE_SIZE);
            self.pages.pages[m as usize].valid |= page_bits(0, len);
        }
        self.bufs.bufs[b as usize].flags |= bf::CACHE;
    }

    /// Release a buffer we built only to learn it needs reading: keep it cached.
    fn brelse_keep(&mut self, b: u32) {
        self.bqrelse(b);
    }

    /// Copy into the block (pages become valid for the written bytes; for pager I/O
    /// the data is already in the pages) and dispose of it as §6.3 step 5 says:
    /// IO_SYNC ⇒ `bwrite`; memory or dirty space severe, or IO_ASYNC ⇒ `bawrite`; a
    /// write reaching the end of the block ⇒ `cluster_write` (`bawrite` on noclusterw
    /// mounts); O_DIRECT ⇒ `bawrite`; otherwise `bdwrite`. All set `B_CLUSTEROK`.
    #[allow(clippy::too_many_arguments)]
    fn write_fill_and_dispose(&mut self, b: u32, pos: u64, xfer: u64, io: IoFlags, seqcount: u32) {
        let bsize = self.p.knobs.f_iosize;
        let (vn, lblk, np, pages) = {
            let bp = &self.bufs.bufs[b as usize];
            (bp.vnode, bp.lblkno, bp.npages as usize, bp.pages)
        };
        let blk_start = lblk * bsize;
        if !io.nocopy {
            for (i, &m) in pages[..np].iter().enumerate() {
                let pstart = blk_start + i as u64 * PAGE_SIZE;
                let lo = pos.max(pstart);
                let hi = (pos + xfer).min(pstart + PAGE_SIZE);
                if lo < hi {
                    // (The no-data-lost shadow saw these bytes when write(2) accepted
                    // them: `shadow_accepted` in op_write.)
                    let p = &mut self.pages.pages[m as usize];
                    p.valid |= page_bits(lo - pstart, hi - lo);
                }
            }
        }
        {
            let bp = &mut self.bufs.bufs[b as usize];
            bp.flags |= bf::CLUSTEROK;
            if io.vmio {
                bp.flags |= bf::RELBUF;
            }
        }
        let blkoff = pos - blk_start;
        if io.sync {
            self.bwrite(b, self.write_origin_sync);
        } else if self.vm_page_count_severe()
            || (self.sync_kernel && self.buf_dirty_count_severe())
            || io.async_
        {
            self.bawrite(b, self.write_origin_async);
        } else if blkoff + xfer == bsize {
            // A full block: the clustering policy decides.
            match self.pol.cluster.on_full_block() {
                FullBlock::Cluster if !self.p.knobs.noclusterw => {
                    let filesize = self.vnodes[vn as usize].v_filesize;
                    self.cluster_write(b, filesize, seqcount);
                }
                FullBlock::Delay => self.bdwrite(b),
                _ => self.bawrite(b, self.write_origin_async),
            }
        } else if io.direct {
            self.bawrite(b, self.write_origin_async);
        } else {
            self.bdwrite(b);
        }
    }

    /// `ffs_truncate` (§6.5, UFS path). Shrink: destroy the buffers past the block
    /// holding the new EOF, block-rounded object size, then for a cut inside a block
    /// read the straddling block, zero past EOF and write the new (fragment) tail
    /// asynchronously. Grow: zero and rewrite the old partial last block, allocate the
    /// block holding the new last byte and write it; everything between is a hole.
    /// (The synchronous inode write is metadata, not modelled.)
    pub(crate) fn ffs_truncate(&mut self, vn: u32, length: u64) {
        let bsize = self.p.knobs.f_iosize;
        let old = self.vnodes[vn as usize].v_filesize;
        if length == old {
            return;
        }
        self.write_origin_async = Origin::Truncate;
        self.write_origin_sync = Origin::Truncate;
        if length < old {
            self.vtruncbuf(vn, length);
            self.shadow_drop(vn, length.div_ceil(PAGE_SIZE));
            self.nvnode_pager_setsize(vn, length);
            if !length.is_multiple_of(bsize) {
                let lblk = length / bsize;
                if self.vop_bmap(vn, lblk).is_some() {
                    let size = self.vnodes[vn as usize].blksize(lblk, bsize);
                    if let Some(b) = self.bread(vn, lblk, size, Origin::Truncate) {
                        self.bawrite(b, Origin::Truncate);
                    }
                }
            }
        } else {
            if old > 0 && !old.is_multiple_of(bsize) {
                let lblk = old / bsize;
                if self.vop_bmap(vn, lblk).is_some() {
                    let size = self.vnodes[vn as usize].blksize(lblk, bsize);
                    if let Some(b) = self.bread(vn, lblk, size, Origin::Truncate) {
                        self.nvnode_pager_setsize(vn, length);
                        let nsize = self.vnodes[vn as usize].blksize(lblk, bsize);
                        if nsize != size {
                            self.allocbuf(b, nsize);
                        }
                        self.bdwrite(b);
                    }
                }
            }
            self.nvnode_pager_setsize(vn, length);
            let last = (length - 1) / bsize;
            if self.vop_bmap(vn, last).is_none() {
                self.vnodes[vn as usize].allocate(last, 1, bsize, &mut self.disk);
                let size = self.vnodes[vn as usize].blksize(last, bsize);
                if let Some(b) = self.getblk(vn, last, size, false) {
                    self.buf_zero_invalid(b);
                    self.bawrite(b, Origin::Truncate);
                }
            }
        }
        self.write_origin_async = Origin::Bawrite;
        self.write_origin_sync = Origin::IoSync;
    }

    /// `nvnode_pager_setsize` (sys/kern/vfs_vm.c): like the seed's setsize, but the
    /// object covers the whole buffer straddling EOF; pages past EOF inside that buffer
    /// are only unmapped, pages past the buffer are removed.
    pub(crate) fn nvnode_pager_setsize(&mut self, vn: u32, nsize: u64) {
        let object = self.vnodes[vn as usize].object;
        if object == NIL {
            return;
        }
        let bsize = self.p.knobs.f_iosize;
        let old = self.vnodes[vn as usize].v_filesize;
        let nobjsize = nsize.div_ceil(bsize) * bsize / PAGE_SIZE;
        let oobjsize = self.objects[object as usize].size;
        self.objects[object as usize].size = nobjsize;
        self.vnodes[vn as usize].v_filesize = nsize;
        if old != super::vnode::NOOFFSET && nsize < old {
            if nobjsize < oobjsize {
                self.vm_object_page_remove(object, nobjsize, oobjsize);
            }
            for pi in nsize.div_ceil(PAGE_SIZE)..nobjsize {
                if let Some(m) = self.objects[object as usize].lookup(pi) {
                    self.pmap_remove_all(m);
                }
            }
            if !nsize.is_multiple_of(PAGE_SIZE)
                && let Some(m) = self.objects[object as usize].lookup(nsize / PAGE_SIZE)
            {
                self.pmap_remove_all(m);
                let base = nsize % PAGE_SIZE;
                let mut d = self.pages.pages[m as usize].dirty;
                super::vnode_pager::vm_page_clear_dirty_beg_nonincl(&mut d, base, PAGE_SIZE - base);
                self.pages.set_dirty(
                    m,
                    if d != 0 {
                        super::page::VM_PAGE_BITS_ALL
                    } else {
                        0
                    },
                );
            }
        }
    }
}
