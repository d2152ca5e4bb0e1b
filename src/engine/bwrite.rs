//! The write side of sys/kern/vfs_bio.c: `bdirty`/`bundirty` and the dirty accounting
//! (B7), the three ways out — `bdwrite` (delay), `bawrite` (async), `bwrite` (sync) —
//! and the dirty-space thresholds of B10.
//!
//! `bdwrite` moves dirtiness from the pages to the buffer: the pages become valid and
//! clean and only `B_DELWRI` remembers the data must still reach the disk. That split
//! (page dirtiness vs buffer dirtiness) is what makes the daemons' behaviour differ.

use super::Simulator;
use super::buf::{BufQueue, bf};
use super::page::{NIL, PAGE_SIZE, page_bits};
use crate::device::ReqId;
use crate::stats::{Dir, Origin};

impl Simulator {
    /// `bdirty`: mark `b` delayed-write, account it, put its vnode on the syncer wheel
    /// if it is not on it (`reassignbuf`: `kern.filedelay` ahead of the syncer's slot —
    /// a vnode cleaned since its last visit starts over), and heat up the buf_daemon
    /// (B10).
    pub(crate) fn bdirty(&mut self, b: u32) {
        let bp = &mut self.bufs.bufs[b as usize];
        if bp.flags & bf::DELWRI != 0 {
            return;
        }
        bp.flags |= bf::DELWRI;
        let (vn, bcount) = (bp.vnode, bp.bcount as u64);
        self.bufs.dirtybufspace += bcount;
        self.bufs.dirtybufcount += 1;
        self.c.dirtybufspace_peak = self.c.dirtybufspace_peak.max(self.bufs.dirtybufspace);
        let v = &mut self.vnodes[vn as usize];
        v.dirty_bufs += 1;
        if v.dirtied_at.is_none() {
            v.dirtied_at = Some(self.now);
        }
        if v.dirty_bufs == 1 {
            self.vnode_dirtied(vn);
        }
        // reassignbuf: only a vnode that is not on the worklist is (re)queued.
        self.syncer_add(vn, self.p.knobs.filedelay);
        if self.sync_kernel {
            self.bd_heatup();
        }
    }

    /// `bundirty`: the buffer's data is on its way to the disk (or discarded). Its
    /// vnode leaves the syncer wheel when this was its last dirty buffer
    /// (`reassignbuf` → `vn_syncer_remove`).
    pub(crate) fn bundirty(&mut self, b: u32) {
        let bp = &mut self.bufs.bufs[b as usize];
        if bp.flags & bf::DELWRI == 0 {
            return;
        }
        bp.flags &= !bf::DELWRI;
        let (vn, bcount) = (bp.vnode, bp.bcount as u64);
        self.bufs.dirtybufspace -= bcount;
        self.bufs.dirtybufcount -= 1;
        let v = &mut self.vnodes[vn as usize];
        v.dirty_bufs = v.dirty_bufs.saturating_sub(1);
        if v.dirty_bufs == 0 && v.syncer_due.is_some() {
            self.syncer_remove(vn);
        }
    }

    /// Make the pages of `b` valid and clean over the buffer's bytes
    /// (`vfs_clean_pages`): the buffer now carries the data.
    fn buf_clean_pages(&mut self, b: u32) {
        let bp = &self.bufs.bufs[b as usize];
        let bcount = bp.bcount as u64;
        let (np, pages) = (bp.npages as usize, bp.pages);
        for (i, &m) in pages[..np].iter().enumerate() {
            let len = (bcount - i as u64 * PAGE_SIZE).min(PAGE_SIZE);
            let bits = page_bits(0, len);
            let p = &mut self.pages.pages[m as usize];
            p.valid |= bits;
            let d = p.dirty & !bits;
            self.pages.set_dirty(m, d);
        }
    }

    /// B7 `bdwrite`: delayed write. The buffer goes to the DIRTY queue tail.
    pub(crate) fn bdwrite(&mut self, b: u32) {
        self.bdirty(b);
        self.bufs.bufs[b as usize].flags |= bf::CACHE;
        self.buf_clean_pages(b);
        self.bqrelse(b);
    }

    /// Start writing `b` (locked, off-queue) as one device request.
    fn bwrite_start(&mut self, b: u32, origin: Origin, sync: bool) -> Option<ReqId> {
        self.bundirty(b);
        let (vn, lblk, disk) = {
            let bp = &self.bufs.bufs[b as usize];
            (bp.vnode, bp.lblkno, bp.disk)
        };
        let disk = if disk != u64::MAX {
            disk
        } else {
            match self.vop_bmap(vn, lblk) {
                Some((d, _)) => d,
                None => {
                    // A dirty buffer always has a block (balloc ran); be safe anyway.
                    let bsize = self.p.knobs.f_iosize;
                    self.vnodes[vn as usize].allocate(lblk, 1, bsize, &mut self.disk);
                    self.vop_bmap(vn, lblk).map_or(0, |(d, _)| d)
                }
            }
        };
        self.bufs.bufs[b as usize].disk = disk;
        self.buf_clean_pages(b);
        self.shadow_written(b);
        Some(self.bio_issue(Dir::Write, &[b], disk, origin, sync))
    }

    /// B7 `bawrite`: asynchronous write; completion releases the buffer (tearing it
    /// down with `B_RELBUF`).
    pub(crate) fn bawrite(&mut self, b: u32, origin: Origin) {
        if self.bwrite_start(b, origin, false).is_none() {
            self.brelse(b);
        }
    }

    /// B7 `bwrite`: synchronous write; the caller waits for the device.
    pub(crate) fn bwrite(&mut self, b: u32, origin: Origin) {
        match self.bwrite_start(b, origin, true) {
            Some(req) => {
                self.wait_req(req);
                self.brelse(b);
            }
            None => self.brelse(b),
        }
    }

    /// Write a list of locked, physically contiguous buffers as ONE device request
    /// (a cluster write, B5); each component is marked clean when gathered.
    pub(crate) fn bwrite_cluster(&mut self, list: &[u32], origin: Origin) {
        if list.len() == 1 {
            self.bawrite(list[0], origin);
            return;
        }
        for &b in list {
            self.bundirty(b);
            self.buf_clean_pages(b);
            self.shadow_written(b);
        }
        let disk = self.bufs.bufs[list[0] as usize].disk;
        self.bio_issue(Dir::Write, list, disk, origin, false);
    }

    // ---- B10 thresholds ----

    /// `buf_dirty_count_severe`: writers stop delaying and bawrite at once.
    pub(crate) fn buf_dirty_count_severe(&self) -> bool {
        self.bufs.runningbufspace + self.bufs.dirtybufspace >= self.p.hidirtybufspace
            || self.bufs.dirtybufcount >= self.p.nbuf / 2
    }

    /// `bd_heatup`: above the midpoint between lodirty and hidirty, kick the buf_daemon
    /// if there is at least lodirtybufspace of dirty data.
    fn bd_heatup(&mut self) {
        let lo = self.p.lodirtybufspace;
        let mid1 = lo + (self.p.hidirtybufspace.saturating_sub(lo)) / 2;
        let total = self.bufs.runningbufspace + self.bufs.dirtybufspace;
        if (total >= mid1 || self.bufs.dirtybufcount >= self.p.nbuf / 2)
            && self.bufs.dirtybufspace >= lo
        {
            self.daemons.bufdaemon_kick = true;
        }
    }

    /// The dirty buffers of vnode `vn` in logical-offset order (the vnode's dirty tree).
    pub(crate) fn vnode_dirty_bufs(&self, vn: u32, out: &mut Vec<u32>) {
        out.clear();
        if self.vnodes[vn as usize].dirty_bufs == 0 {
            return;
        }
        let mut d = self.bufs.head(BufQueue::Dirty);
        while d != NIL {
            let bp = &self.bufs.bufs[d as usize];
            if bp.vnode == vn {
                out.push(d);
            }
            d = bp.next;
        }
        out.sort_unstable_by_key(|&b| self.bufs.bufs[b as usize].lblkno);
    }
}
