//! Write-back of the Linux personality (mm/page-writeback.c, fs/fs-writeback.c):
//! dirty pages stay in memory until the background threshold is crossed
//! (`wb_start_background_writeback`), until they are older than `dirty_expire`
//! (`wb_check_old_data_flush`, every `dirty_writeback` interval), until fsync/msync,
//! or until reclaim needs their frames; a writer past the dirty limit is throttled
//! (`balance_dirty_pages`) until write-back brings the dirty count back down. An
//! inode's write-back walks its dirty pages in index order and hands each contiguous
//! run to the block layer (`write_cache_pages` → ext4's extent mapping → bios).
//! There are no write-time cluster pushes.

use super::Linux;
use super::pagecache::pf;
use crate::stats::{Dir, Origin};

/// Page index standing for an inode's on-disk inode block (no page of the cache has it).
const INODE_BLOCK: u64 = 1 << 27;

impl Linux {
    /// Pages that may hold dirty data (`global_dirtyable_memory`: the cache).
    fn dirtyable(&self) -> u64 {
        self.pc.capacity
    }

    /// `domain_dirty_limits`: (background threshold, dirty limit) in pages.
    pub(crate) fn dirty_limits(&self) -> (u64, u64) {
        let d = self.dirtyable();
        let thresh = d * self.p.dirty_ratio / 100;
        let bg = (d * self.p.dirty_background_ratio / 100).min(thresh / 2 * 2);
        (bg.min(thresh), thresh.max(1))
    }

    /// Write back the dirty pages of `inode` in `[from, to)`: contiguous runs become
    /// requests of up to `max_sectors_kb`. Pages mapped writable are write-protected
    /// (`folio_clear_dirty_for_io`), so the next store faults and dirties them again.
    /// Write-back goes by folio (`write_cache_pages` takes every folio the range
    /// touches, whole), so the range widens to the folios at its ends.
    /// Returns the number of pages written.
    pub(crate) fn write_inode(&mut self, inode: u32, origin: Origin, from: u64, to: u64) -> u64 {
        let from = match self.pc.lookup(inode, from) {
            Some(p) => self.pc.folio(p).0,
            None => from,
        };
        let to = match to.checked_sub(1).and_then(|l| self.pc.lookup(inode, l)) {
            Some(p) => {
                let (f, n) = self.pc.folio(p);
                to.max(f + n)
            }
            None => to,
        };
        let Some(set) = self.pc.dirty_of(inode) else {
            return 0;
        };
        let idx: Vec<u64> = set.range(from..to).copied().collect();
        if idx.is_empty() {
            return 0;
        }
        let sync = matches!(origin, Origin::Fsync | Origin::Msync | Origin::FinalSync);
        let mut written = 0;
        let mut i = 0;
        while i < idx.len() {
            let mut j = i + 1;
            while j < idx.len() && idx[j] == idx[j - 1] + 1 {
                j += 1;
            }
            // `write_cache_pages`: a dirty page still under write-back from an earlier
            // pass is waited for by data-integrity write-back (fsync) and skipped —
            // left dirty — by background write-back; skipping splits the run.
            let mut k = idx[i];
            let end = idx[i] + (j - i) as u64;
            while k < end {
                let mut run = k;
                while run < end {
                    let Some(p) = self.pc.lookup(inode, run) else {
                        break;
                    };
                    if self.pc.flags(p) & pf::WRITEBACK != 0 {
                        if !sync {
                            break;
                        }
                        self.wait_page(p);
                    }
                    self.pc.set_clean(p);
                    run += 1;
                }
                if run > k {
                    self.write_protect(inode, k, run);
                    let mut breaks = std::mem::take(&mut self.breaks);
                    self.inodes[inode as usize]
                        .blocks
                        .bio_breaks(k, run, &mut breaks);
                    self.submit_run(
                        Dir::Write,
                        inode,
                        k,
                        run - k,
                        &breaks,
                        None,
                        origin,
                        origin,
                        sync,
                    );
                    self.breaks = breaks;
                    // Write-back allocated the delayed blocks it wrote.
                    self.inodes[inode as usize].blocks.allocate(k, run);
                    written += run - k;
                    k = run;
                } else {
                    k += 1;
                }
            }
            i = j;
        }
        if self.pc.dirty_of(inode).is_none() {
            self.inodes[inode as usize].dirtied_when = None;
        }
        written
    }

    /// Clear the write bit of every PTE of `inode`'s pages in `[first, end)`.
    fn write_protect(&mut self, inode: u32, first: u64, end: u64) {
        for v in self.vmas.iter_mut().filter(|v| v.inode == inode) {
            for k in first.max(v.first)..end.min(v.end) {
                if let Some(w) = v.ptes.get_mut(&k) {
                    *w = false;
                }
            }
        }
    }

    /// The oldest dirty inode (by `dirtied_when`, then number).
    fn oldest_dirty(&self) -> Option<u32> {
        (0..self.inodes.len() as u32)
            .filter_map(|i| self.inodes[i as usize].dirtied_when.map(|t| (t, i)))
            .min()
            .map(|(_, i)| i)
    }

    /// Write back the oldest dirty inode whole (reclaim waking the flusher).
    pub(crate) fn writeback_oldest(&mut self, origin: Origin) -> u64 {
        match self.oldest_dirty() {
            Some(i) => self.write_inode(i, origin, 0, u64::MAX),
            None => 0,
        }
    }

    /// Background write-back: oldest inodes first until below the background
    /// threshold.
    fn wb_background(&mut self) {
        let (bg, _) = self.dirty_limits();
        while self.pc.nr_dirty > bg {
            if self.writeback_oldest(Origin::Writeback) == 0 {
                break;
            }
        }
    }

    /// The periodic wake-up at `at` (`wb_workfn` → `wb_check_old_data_flush`): inodes
    /// dirtied more than `dirty_expire` ago are written whole; then background
    /// write-back if above the threshold.
    pub(crate) fn wb_periodic(&mut self, at: u64) {
        if self.pc.nr_dirty == 0 {
            return;
        }
        self.c.writeback_runs += 1;
        let cut = at.saturating_sub(self.p.dirty_expire_ns);
        let expired: Vec<u32> = (0..self.inodes.len() as u32)
            .filter(|&i| {
                self.inodes[i as usize]
                    .dirtied_when
                    .is_some_and(|t| t <= cut)
            })
            .collect();
        for i in expired {
            self.write_inode(i, Origin::Writeback, 0, u64::MAX);
        }
        self.wb_background();
    }

    /// A page of `inode` was just dirtied: note the inode's age, start background
    /// write-back past the background threshold, and throttle the writer past the
    /// dirty limit until write-back brings the count down (`balance_dirty_pages`).
    pub(crate) fn dirtied(&mut self, inode: u32) {
        let ino = &mut self.inodes[inode as usize];
        if ino.dirtied_when.is_none() {
            ino.dirtied_when = Some(self.now);
        }
        ino.meta_dirty = true;
        let (bg, thresh) = self.dirty_limits();
        if self.pc.nr_dirty > bg {
            self.wb_background();
        }
        let start = self.now;
        while self.pc.nr_dirty + self.pc.nr_writeback > thresh {
            if self.pc.nr_dirty > 0 && self.pc.nr_writeback == 0 {
                self.writeback_oldest(Origin::Writeback);
            }
            if !self.wait_any() {
                break;
            }
        }
        self.c.stall_throttle_ns += self.now - start;
    }

    /// fsync: write the file's dirty pages and wait for every page of it under
    /// write-back; then the inode itself (ext4 without a journal:
    /// `ext4_fsync_nojournal` → `sync_inode_metadata`), one 4 KiB metadata write, if
    /// it changed.
    pub(crate) fn fsync_inode(&mut self, inode: u32, from: u64, to: u64, origin: Origin) {
        self.write_inode(inode, origin, from, to);
        let mut list = std::mem::take(&mut self.scratch);
        self.pc.pages_from(inode, from, &mut list);
        for &p in &list {
            if self.pc.pages[p as usize].index >= to {
                break;
            }
            if self.pc.flags(p) & pf::WRITEBACK != 0 {
                self.wait_page(p);
            }
        }
        self.scratch = list;
        if origin == Origin::Fsync && std::mem::take(&mut self.inodes[inode as usize].meta_dirty) {
            // The inode table block: far from the data (its own disk address).
            let io = self.submit(Dir::Write, inode, INODE_BLOCK, 1, Origin::Metadata, true);
            self.wait_req(self.ios[io as usize].req);
        }
    }
}
