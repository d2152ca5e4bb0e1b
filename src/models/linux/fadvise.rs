//! Advice: `posix_fadvise` (mm/fadvise.c `generic_fadvise`) on an open file and
//! `madvise` (mm/madvise.c) on a mapping.
//!
//! fadvise: NORMAL restores the device's read-ahead size and clears FMODE_RANDOM;
//! RANDOM sets FMODE_RANDOM (a miss reads just what was asked); SEQUENTIAL doubles the
//! file's read-ahead size; WILLNEED reads the range now (`force_page_cache_readahead`,
//! asynchronously); DONTNEED starts write-back of the range's dirty pages and drops
//! its clean, unmapped, idle pages (`invalidate_mapping_pages`); NOREUSE changes
//! nothing modelled. madvise: RANDOM/SEQUENTIAL/NORMAL set the mapping's
//! VM_RAND_READ/VM_SEQ_READ (on every mapping of the pid overlapping the range — the
//! kernel would split the VMA at the range's edges; not modelled); WILLNEED on a file
//! mapping is fadvise WILLNEED of that range (`madvise_willneed` → `vfs_fadvise`);
//! DONTNEED zaps the range's page-table entries (the pages stay in the cache).

use super::filemap::VmAdvice;
use super::ops::InodeView;
use super::pagecache::pf;
use super::readahead::{self, RaWindow};
use super::{Linux, PAGE_SIZE};
use crate::stats::Origin;
use crate::trace::{Advice, Event};

impl Linux {
    /// Pages `[first, end)` of the range `offset`/`len` (0 = to EOF) of `ino`.
    fn advice_range(&self, ino: u32, offset: u64, len: u64) -> (u64, u64) {
        let size = self.inodes[ino as usize].size;
        let end = if len == 0 {
            size
        } else {
            offset.saturating_add(len)
        };
        (offset / PAGE_SIZE, end.div_ceil(PAGE_SIZE))
    }

    /// `force_page_cache_readahead` of pages `[first, end)`, asynchronously.
    fn willneed(&mut self, pid: u32, ino: u32, first: u64, end: u64) {
        let ra = match self.files.get(&(pid, ino)) {
            Some(f) => f.0,
            None => self.ra_pages_state(),
        };
        let size = self.inodes[ino as usize].size;
        let mut index = first;
        while index < end {
            let w = {
                let view = InodeView {
                    m: self,
                    inode: ino,
                };
                readahead::force_page_cache_ra(&ra, &view, size, index, end - index)
            };
            let Some(w) = w else {
                break;
            };
            self.read_window(ino, RaWindow { mark: None, ..w }, None, 0);
            index = w.start + w.nr.max(1);
        }
    }

    pub(crate) fn op_fadvise(&mut self, ev: &Event) {
        let Some(advice) = ev.flags.advice() else {
            return;
        };
        let (ino, _) = self.open_file(ev.pid, ev.file);
        let (first, end) = self.advice_range(ino, ev.offset, ev.length);
        let bdi = self.p.ra_pages();
        let fresh = self.ra_pages_state();
        let f = self.files.entry((ev.pid, ino)).or_insert((fresh, 0, false));
        match advice {
            Advice::Normal => {
                f.0.ra_pages = bdi;
                f.2 = false;
            }
            Advice::Random => f.2 = true,
            Advice::Sequential => {
                f.0.ra_pages = bdi * 2;
                f.2 = false;
            }
            Advice::NoReuse => {}
            Advice::WillNeed => self.willneed(ev.pid, ino, first, end),
            Advice::DontNeed => {
                // `__filemap_fdatawrite_range(WB_SYNC_NONE)`, then drop what is clean.
                self.write_inode(ino, Origin::Writeback, first, end);
                let mut list = std::mem::take(&mut self.scratch);
                self.pc.pages_from(ino, first, &mut list);
                for &p in &list {
                    let pg = self.pc.pages[p as usize];
                    if pg.index >= end {
                        break;
                    }
                    let mapped = self
                        .vmas
                        .iter()
                        .any(|v| v.inode == ino && v.ptes.contains_key(&pg.index));
                    let busy = pf::DIRTY | pf::WRITEBACK | pf::LOCKED;
                    if !mapped && pg.flags & busy == 0 {
                        self.pc.remove(p);
                    }
                }
                self.scratch = list;
            }
        }
    }

    pub(crate) fn op_madvise(&mut self, ev: &Event) {
        let Some(advice) = ev.flags.advice() else {
            return;
        };
        let ino = self.inode_for(ev.pid, ev.file);
        let (first, end) = (
            ev.offset / PAGE_SIZE,
            ev.offset.saturating_add(ev.length).div_ceil(PAGE_SIZE),
        );
        let hit: Vec<usize> = (0..self.vmas.len())
            .filter(|&i| {
                let v = &self.vmas[i];
                v.pid == ev.pid && v.inode == ino && v.first < end && first < v.end
            })
            .collect();
        for i in hit {
            match advice {
                Advice::Normal => self.vmas[i].advice = VmAdvice::Normal,
                Advice::Random => self.vmas[i].advice = VmAdvice::Random,
                Advice::Sequential => self.vmas[i].advice = VmAdvice::Sequential,
                Advice::WillNeed => {
                    let (a, b) = (first.max(self.vmas[i].first), end.min(self.vmas[i].end));
                    self.willneed(ev.pid, ino, a, b);
                }
                Advice::DontNeed => self.vmas[i].ptes.retain(|&k, _| k < first || k >= end),
                Advice::NoReuse => {}
            }
        }
    }
}
