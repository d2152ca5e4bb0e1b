//! The UFS read and write paths (sys/vfs/ufs: `ffs_read`, `ffs_blkatoff_ra` B12,
//! `ffs_write` §6.3) as the pager and the syscalls reach them.
//!
//! Part-1 write path: block allocation, read-before-write and the copy are modelled;
//! disposal is always an immediate write (`bwrite` for IO_SYNC, otherwise `bawrite`),
//! so no dirty buffers are kept yet. Delayed writes, clustering and the flush daemons
//! arrive with the write side of the model.

use super::Simulator;
use super::buf::bf;
use super::page::{PAGE_SIZE, page_bits};
use super::stats::{Dir, Origin};

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
        if (lblk + 1).saturating_mul(bsize) >= filesize {
            self.bread(vn, lblk, size, origin)
        } else if self.p.knobs.noclusterr {
            if seqcount > 1 {
                self.breadn(vn, lblk, size, origin)
            } else {
                self.bread(vn, lblk, size, origin)
            }
        } else {
            let maxreq = seqcount as u64 * self.p.knobs.seq_unit;
            self.cluster_readx(vn, filesize, lblk, bsize, maxreq)
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
    /// pages and writes the block out.
    pub(crate) fn ffs_write(&mut self, vn: u32, off: u64, len: u64, seqcount: u32, io: IoFlags) {
        let bsize = self.p.knobs.f_iosize;
        let end = off.saturating_add(len);
        let mut pos = off;
        while pos < end {
            let lblk = pos / bsize;
            let blkoff = pos % bsize;
            let xfer = (bsize - blkoff).min(end - pos);
            if pos + xfer > self.vnodes[vn as usize].v_filesize && !io.nocopy {
                self.vnode_pager_setsize(vn, pos + xfer);
            }
            let size = self.vnodes[vn as usize].blksize(lblk, bsize);
            let existed = self.vop_bmap(vn, lblk).is_some();
            if !existed {
                let v = &mut self.vnodes[vn as usize];
                v.allocate(lblk, 1, bsize, &mut self.disk);
            }
            let Some(b) = self.getblk(vn, lblk, size, false) else {
                break;
            };
            let cached = self.bufs.bufs[b as usize].flags & bf::CACHE != 0;
            let partial = xfer < size || io.nocopy;
            if !cached && existed && partial && !self.buf_fully_valid(b) {
                // Read-before-write (with read-ahead), as cluster_read/bread would.
                self.c.read_before_write += 1;
                self.brelse_keep(b);
                let filesize = self.vnodes[vn as usize].v_filesize;
                let nb =
                    if seqcount > 0 && (lblk + 1) * bsize < filesize && !self.p.knobs.noclusterr {
                        let maxreq = (seqcount.min(127) as u64) * self.p.knobs.seq_unit;
                        self.cluster_readx_origin(vn, filesize, lblk, bsize, maxreq)
                    } else {
                        self.bread(vn, lblk, size, Origin::ReadBeforeWrite)
                    };
                let Some(nb) = nb else { break };
                self.write_fill_and_dispose(nb, pos, xfer, io);
            } else {
                if !existed {
                    // Newly allocated: the invalid parts are zeroed, no read.
                    self.buf_zero_invalid(b);
                }
                self.write_fill_and_dispose(b, pos, xfer, io);
            }
            pos += xfer;
        }
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

    /// Copy into the block (pages become valid for the written bytes) and write it:
    /// `bwrite` for IO_SYNC, `bawrite` otherwise (part-1 disposal).
    fn write_fill_and_dispose(&mut self, b: u32, pos: u64, xfer: u64, io: IoFlags) {
        let bsize = self.p.knobs.f_iosize;
        let (lblk, np, pages) = {
            let bp = &self.bufs.bufs[b as usize];
            (bp.lblkno, bp.npages as usize, bp.pages)
        };
        let blk_start = lblk * bsize;
        for (i, &m) in pages[..np].iter().enumerate() {
            let pstart = blk_start + i as u64 * PAGE_SIZE;
            let lo = pos.max(pstart);
            let hi = (pos + xfer).min(pstart + PAGE_SIZE);
            if lo < hi {
                let p = &mut self.pages.pages[m as usize];
                p.valid |= page_bits(lo - pstart, hi - lo);
            }
            // The block is written now: every page of it is clean afterwards.
            self.pages.pages[m as usize].dirty = 0;
        }
        if io.vmio {
            self.bufs.bufs[b as usize].flags |= bf::RELBUF;
        }
        self.bufs.bufs[b as usize].flags |= bf::CLUSTEROK;
        let (origin, sync) = if io.sync {
            (self.write_origin_sync, true)
        } else {
            (self.write_origin_async, false)
        };
        let disk = {
            let vn = self.bufs.bufs[b as usize].vnode;
            match self.vop_bmap(vn, lblk) {
                Some((d, _)) => d,
                None => return self.brelse(b),
            }
        };
        self.bufs.bufs[b as usize].disk = disk;
        let req = self.bio_issue(Dir::Write, &[b], disk, origin, sync);
        if sync {
            self.wait_req(req);
            self.brelse(b);
        }
    }
}
