//! The engine side of the read-ahead plug-ins: what the policy is told about an
//! access (`RaCtx`), and how its plans are carried out — explicit windows read as
//! physically contiguous clusters (synchronous up to the needed block, asynchronous
//! beyond), and markers that call the policy back when a read or fault reaches them.
//! DragonFly's own plan (`cluster_readx`) lives in `cluster.rs`.

use super::Simulator;
use super::buf::bf;
use super::page::{NIL, PAGE_SIZE, VM_PAGE_BITS_ALL, page_bits, pg};
use crate::device::ReqId;
use crate::policies::readahead::{RaCtx, RaPlan};
use crate::stats::{Dir, Origin};

impl Simulator {
    /// Whether block `lblk` of `vn` is in memory and valid (no I/O needed).
    pub(crate) fn block_cached(&self, vn: u32, lblk: u64) -> bool {
        if let Some(b) = self.bufs.lookup(vn, lblk) {
            let bp = &self.bufs.bufs[b as usize];
            return bp.flags & bf::CACHE != 0 && bp.io.is_none();
        }
        let object = self.vnodes[vn as usize].object;
        if object == NIL {
            return false;
        }
        let bsize = self.p.knobs.f_iosize;
        let size = self.vnodes[vn as usize].blksize(lblk, bsize);
        let first = lblk * bsize / PAGE_SIZE;
        (0..size.div_ceil(PAGE_SIZE)).all(|i| {
            let len = (size - i * PAGE_SIZE).min(PAGE_SIZE);
            let need = page_bits(0, len);
            self.objects[object as usize]
                .lookup(first + i)
                .is_some_and(|m| {
                    self.pages.pages[m as usize].valid & need == need && !self.page_in_flight(m)
                })
        })
    }

    /// The policy's view of an access to block `lblk` of `vn`.
    pub(crate) fn ra_ctx(&self, vn: u32, lblk: u64, seqcount: u32, cached: bool) -> RaCtx {
        let bsize = self.p.knobs.f_iosize;
        let r = self.ra_req;
        let mut history = 0;
        if !cached && self.ra_history {
            while history < 64 && lblk > history && self.block_cached(vn, lblk - history - 1) {
                history += 1;
            }
        }
        RaCtx {
            file: self.vnodes[vn as usize].file,
            pid: r.pid,
            map: r.map,
            advice: r.advice,
            lblk,
            bsize,
            filesize: self.vnodes[vn as usize].v_filesize,
            offset: r.offset.max(lblk * bsize).min(lblk * bsize + bsize - 1),
            len: r.len,
            cached,
            seqcount,
            history_blocks: history,
            seq_unit: self.p.knobs.seq_unit,
            io_seqmax: self.p.knobs.io_seqmax,
            fault_seqaccess: self.p.knobs.seqaccess == crate::params::SeqAccess::Max,
        }
    }

    /// If block `lblk` carries the policy's marker, clear it and run the policy's
    /// asynchronous read-ahead.
    pub(crate) fn fire_marker(&mut self, vn: u32, lblk: u64) {
        if self.markers_live == 0 {
            return;
        }
        let object = self.vnodes[vn as usize].object;
        if object == NIL {
            return;
        }
        let bsize = self.p.knobs.f_iosize;
        let Some(m) = self.objects[object as usize].lookup(lblk * bsize / PAGE_SIZE) else {
            return;
        };
        if self.pages.pages[m as usize].flags & pg::MARK == 0 {
            return;
        }
        self.pages.pages[m as usize].flags &= !pg::MARK;
        self.markers_live = self.markers_live.saturating_sub(1);
        self.c.ra_marker_hits += 1;
        let ctx = self.ra_ctx(vn, lblk, 0, true);
        if let RaPlan::Window {
            start, end, mark, ..
        } = self.pol.readahead.on_marker(&ctx)
        {
            self.read_window(vn, None, start, start, end, mark);
        }
    }

    /// Read the blocks of `[start, end)` that are not in memory: physically
    /// contiguous runs of up to `mnt_iosize_max` become one device read each,
    /// synchronous for blocks below `sync_end`, asynchronous beyond; block `mark`
    /// gets the policy's marker. Returns the needed block's buffer (locked, valid).
    pub(crate) fn read_window(
        &mut self,
        vn: u32,
        need: Option<u64>,
        start: u64,
        sync_end: u64,
        end: u64,
        mark: Option<u64>,
    ) -> Option<u32> {
        let bsize = self.p.knobs.f_iosize;
        let maxrun = (self.p.knobs.mnt_iosize_max / bsize).max(1) as usize;
        let filesize = self.vnodes[vn as usize].v_filesize;
        let end = end.min(filesize.div_ceil(bsize).max(1));
        let mut waits: Vec<ReqId> = Vec::new();
        let mut run: Vec<u32> = Vec::new();
        let mut run_sync = false;
        let mut need_buf = None;
        let mut blk = start;
        while blk < end {
            let is_need = need == Some(blk);
            let size = self.vnodes[vn as usize].blksize(blk, bsize);
            let b = match self.getblk(vn, blk, size, !is_need) {
                Some(b) => b,
                None => {
                    self.flush_read_run(&mut run, run_sync, &mut waits, need_buf);
                    blk += 1;
                    continue;
                }
            };
            if is_need {
                need_buf = Some(b);
            }
            if Some(blk) == mark {
                let m = self.bufs.bufs[b as usize].pages[0];
                if self.pages.pages[m as usize].flags & pg::MARK == 0 {
                    self.pages.pages[m as usize].flags |= pg::MARK;
                    self.markers_live += 1;
                }
            }
            if self.bufs.bufs[b as usize].flags & bf::CACHE != 0 {
                self.flush_read_run(&mut run, run_sync, &mut waits, need_buf);
                if !is_need {
                    self.bqrelse(b);
                }
                blk += 1;
                continue;
            }
            let Some((disk, _)) = self.vop_bmap(vn, blk) else {
                // A hole reads as zeros, no I/O.
                self.flush_read_run(&mut run, run_sync, &mut waits, need_buf);
                let np = self.bufs.bufs[b as usize].npages as usize;
                for i in 0..np {
                    let m = self.bufs.bufs[b as usize].pages[i];
                    let len = (size - i as u64 * PAGE_SIZE).min(PAGE_SIZE);
                    self.pages.pages[m as usize].valid |= page_bits(0, len);
                }
                self.bufs.bufs[b as usize].flags |= bf::CACHE;
                self.c.hole_reads += 1;
                if !is_need {
                    self.bqrelse(b);
                }
                blk += 1;
                continue;
            };
            self.bufs.bufs[b as usize].disk = disk;
            let sync = blk < sync_end || is_need;
            let joins = run.last().is_some_and(|&l| {
                let lb = &self.bufs.bufs[l as usize];
                lb.disk + lb.bcount as u64 == disk && lb.bcount as u64 == bsize
            }) && run.len() < maxrun
                && run_sync == sync
                && size == bsize;
            if !joins {
                self.flush_read_run(&mut run, run_sync, &mut waits, need_buf);
            }
            if !is_need {
                self.mark_readahead(b);
            }
            run_sync = sync;
            run.push(b);
            blk += 1;
        }
        self.flush_read_run(&mut run, run_sync, &mut waits, need_buf);
        for req in waits {
            self.wait_req(req);
        }
        if need_buf.is_none()
            && let Some(n) = need
        {
            let size = self.vnodes[vn as usize].blksize(n, bsize);
            return self.bread(vn, n, size, self.demand_origin);
        }
        need_buf
    }

    /// Issue the pending run of a window read. Every buffer but the caller's
    /// (`keep`) is released by its completion.
    fn flush_read_run(
        &mut self,
        run: &mut Vec<u32>,
        sync: bool,
        waits: &mut Vec<ReqId>,
        keep: Option<u32>,
    ) {
        if run.is_empty() {
            return;
        }
        let disk = self.bufs.bufs[run[0] as usize].disk;
        let origin = if sync {
            self.demand_origin
        } else {
            Origin::Readahead
        };
        let req = self.bio_issue(Dir::Read, run, disk, origin, sync);
        if sync {
            waits.push(req);
        }
        for &b in run.iter() {
            if Some(b) == keep {
                self.bufs.bufs[b as usize].flags &= !bf::ASYNC;
            } else {
                self.bufs.bufs[b as usize].flags |= bf::ASYNC;
            }
        }
        run.clear();
    }

    /// A fault reached a resident page: fire a marker on its block, if any.
    pub(crate) fn fault_marker(&mut self, vn: u32, pindex: u64) {
        if self.markers_live == 0 {
            return;
        }
        let object = self.vnodes[vn as usize].object;
        if let Some(m) = self.objects[object as usize].lookup(pindex)
            && self.pages.pages[m as usize].valid == VM_PAGE_BITS_ALL
        {
            let lblk = pindex * PAGE_SIZE / self.p.knobs.f_iosize;
            self.fire_marker(vn, lblk);
        }
    }
}
