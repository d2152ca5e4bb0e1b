//! The system calls of the Linux personality: open/close, read(2) (`filemap_read`),
//! write(2) (`generic_perform_write` with ext4's `write_begin`), mmap/munmap and page
//! faults (`do_read_fault`/`do_shared_fault` → fault-around and `filemap_fault`),
//! truncate, fsync, msync and unlink.

use super::filemap::{self, MapPage, VmAdvice};
use super::pagecache::{NIL, pf};
use super::readahead::{self, CacheView, FileRaState, RaWindow};
use super::{Linux, PAGE_SIZE, Vma};

/// ext4 maps with large folios up to PMD size (order 9) since 6.16.
const MAX_FOLIO_ORDER: u32 = 9;
use crate::stats::{Dir, Origin};
use crate::trace::{Event, Flags};

/// The page cache of one inode, as the read-ahead code sees it.
pub(crate) struct InodeView<'a> {
    pub(crate) m: &'a Linux,
    pub(crate) inode: u32,
}

impl CacheView for InodeView<'_> {
    fn present(&self, index: u64) -> bool {
        self.m.pc.lookup(self.inode, index).is_some()
    }

    /// `bdi->io_pages`: max_sectors_kb in pages (`blk_apply_bdi_limits`).
    fn io_pages(&self) -> u64 {
        self.m.p.max_request_pages()
    }

    /// ext4 maps with large folios (up to order 9, PMD size) since 6.16.
    fn max_folio_order(&self) -> u32 {
        self.m.max_folio_order()
    }
}

impl Linux {
    /// Largest folio order of the page cache (`large_folios`).
    pub(crate) fn max_folio_order(&self) -> u32 {
        if self.p.large_folios {
            MAX_FOLIO_ORDER
        } else {
            0
        }
    }

    pub(crate) fn ra_pages_state(&self) -> FileRaState {
        FileRaState::new(self.p.ra_pages())
    }

    /// The open file of (pid, file): its inode and read-ahead state, opened on the fly
    /// for a pid that never opened it (as the other models do).
    pub(crate) fn open_file(&mut self, pid: u32, file: u32) -> (u32, FileRaState) {
        let ino = self.inode_for(pid, file);
        let fresh = self.ra_pages_state();
        let e = self.files.entry((pid, ino)).or_insert((fresh, 0, false));
        (ino, e.0)
    }

    pub(crate) fn save_ra(&mut self, pid: u32, ino: u32, ra: FileRaState) {
        if let Some(e) = self.files.get_mut(&(pid, ino)) {
            e.0 = ra;
        }
    }

    pub(crate) fn op_open(&mut self, ev: &Event) {
        let len = ev.has_length.then_some(ev.length);
        let ino = self.inode_of(ev.file, len);
        let fresh = self.ra_pages_state();
        let e = self.files.entry((ev.pid, ino)).or_insert((fresh, 0, false));
        e.1 += 1;
        self.inodes[ino as usize].refs += 1;
    }

    pub(crate) fn op_close(&mut self, ev: &Event) {
        let ino = self.inode_for(ev.pid, ev.file);
        match self.files.get_mut(&(ev.pid, ino)) {
            Some(e) if e.1 > 0 => {
                e.1 -= 1;
                if e.1 == 0 {
                    self.files.remove(&(ev.pid, ino));
                }
                self.inode_put(ino);
            }
            // Never opened (only used through reads, writes or a mapping): nothing to
            // close, as the DragonFly model says too.
            _ => self.warn.close_without_open += 1,
        }
    }

    /// Drop a reference; the last one of an unlinked inode discards its pages, dirty
    /// ones included, without a write (`evict` → `truncate_inode_pages_final`).
    fn inode_put(&mut self, ino: u32) {
        let i = &mut self.inodes[ino as usize];
        i.refs = i.refs.saturating_sub(1);
        if i.refs == 0 && i.unlinked {
            self.drop_pages(ino, 0);
            self.inodes[ino as usize].dirtied_when = None;
        }
    }

    /// Remove pages `from..` of `ino` (waiting for I/O on them first).
    pub(crate) fn drop_pages(&mut self, ino: u32, from: u64) {
        let mut list = std::mem::take(&mut self.scratch);
        self.pc.pages_from(ino, from, &mut list);
        for &p in &list {
            if self.pc.pages[p as usize].io != NIL {
                self.wait_page(p);
            }
            self.pc.remove(p);
        }
        self.scratch = list;
        for v in self.vmas.iter_mut().filter(|v| v.inode == ino) {
            v.ptes.retain(|&k, _| k < from);
        }
    }

    /// Bring in the pages of `w` that are absent (`page_cache_ra_order` /
    /// `page_cache_ra_unbounded`): each run of absent pages is one batch for the block
    /// layer, laid out in naturally aligned folios of up to `order` (smaller where the
    /// alignment or the run's end demands); the folio holding the window's mark gets
    /// `PG_readahead`. The request holding `need` is the caller's synchronous read.
    pub(crate) fn read_window(&mut self, ino: u32, w: RaWindow, need: Option<u64>, order: u32) {
        let size = self.inodes[ino as usize].size;
        let last = size.div_ceil(PAGE_SIZE);
        let end = (w.start + w.nr).min(last);
        let mut i = w.start;
        while i < end {
            if self.pc.lookup(ino, i).is_some() {
                i += 1;
                continue;
            }
            let mut e = i + 1;
            while e < end && self.pc.lookup(ino, e).is_none() {
                e += 1;
            }
            let mut k = i;
            while k < e {
                let mut o = order.min(self.max_folio_order());
                while o > 0 && (!k.is_multiple_of(1 << o) || k + (1 << o) > e) {
                    o -= 1;
                }
                let n = 1u64 << o;
                let marked = w.mark.is_some_and(|m| m >= k && m < k + n);
                for j in k..k + n {
                    self.make_room();
                    let mut flags = 0;
                    if Some(j) != need {
                        flags |= pf::RA_UNUSED;
                        self.c.readahead_pages += 1;
                    }
                    if marked {
                        flags |= pf::READAHEAD;
                    }
                    let p = self.pc.insert(ino, j, flags);
                    self.pc.pages[p as usize].order = o as u8;
                }
                k += n;
            }
            self.submit_run(
                Dir::Read,
                ino,
                i,
                e - i,
                &[],
                need,
                Origin::Demand,
                Origin::Readahead,
                false,
            );
            i = e;
        }
    }

    /// Read the synchronous window `w` for the missing page `index`; when there is no
    /// window, or it did not bring the page in, read that page alone.
    fn read_needed(&mut self, ino: u32, w: Option<RaWindow>, index: u64, order: u32) {
        let alone = RaWindow {
            start: index,
            nr: 1,
            mark: None,
        };
        self.read_window(ino, w.unwrap_or(alone), Some(index), order);
        if self.pc.lookup(ino, index).is_none() {
            self.read_window(ino, alone, Some(index), 0);
        }
    }

    /// Clear `PG_readahead` on the folio of page `p` (the flag is the folio's).
    fn clear_mark(&mut self, ino: u32, p: u32) {
        let (f, n) = self.pc.folio(p);
        for k in f..f + n {
            if let Some(q) = self.pc.lookup(ino, k) {
                self.pc.clear(q, pf::READAHEAD);
            }
        }
    }

    /// Dirty every page of the folio of page `p` (a store through a mapping:
    /// `block_page_mkwrite` dirties the whole folio).
    fn dirty_folio(&mut self, ino: u32, p: u32) {
        let (f, n) = self.pc.folio(p);
        for k in f..f + n {
            if let Some(q) = self.pc.lookup(ino, k) {
                self.pc.set_dirty(q);
            }
        }
    }

    /// A page is used: count a hit or miss and read-ahead use.
    fn use_page(&mut self, p: u32, hit: bool) {
        if hit {
            self.c.page_hits += 1;
        } else {
            self.c.page_misses += 1;
        }
        if self.pc.flags(p) & pf::RA_UNUSED != 0 {
            self.pc.clear(p, pf::RA_UNUSED);
            self.c.readahead_pages_used += 1;
        }
    }

    /// `filemap_read` (mm/filemap.c): page by page, a missing page starts synchronous
    /// read-ahead (`page_cache_sync_ra` with the pages left in the request), a page
    /// carrying `PG_readahead` starts the next asynchronous window
    /// (`page_cache_async_ra`), a page still under read is waited for — never read
    /// again. `prev_pos` becomes the end of the read.
    pub(crate) fn op_read(&mut self, ev: &Event) {
        let (ino, mut ra) = self.open_file(ev.pid, ev.file);
        let size = self.inodes[ino as usize].size;
        let end = ev.offset.saturating_add(ev.length).min(size);
        if end <= ev.offset {
            return;
        }
        let first = ev.offset / PAGE_SIZE;
        let last = end.div_ceil(PAGE_SIZE);
        // The kernel sizes requests by the read as asked, not as clipped at EOF.
        let last_asked = ev.offset.saturating_add(ev.length).div_ceil(PAGE_SIZE);
        let prev_page = ra.prev_pos.map(|b| b / PAGE_SIZE);
        for index in first..last {
            let req_count = last_asked - index;
            let mut hit = true;
            if self.pc.lookup(ino, index).is_none() {
                hit = false;
                let random = self.files.get(&(ev.pid, ino)).is_some_and(|f| f.2);
                let w = {
                    let view = InodeView {
                        m: self,
                        inode: ino,
                    };
                    readahead::page_cache_sync_ra(&mut ra, &view, size, index, req_count, random)
                };
                self.read_needed(ino, w, index, ra.order);
            }
            let Some(p) = self.pc.lookup(ino, index) else {
                continue;
            };
            // `filemap_readahead`: only with read-ahead on and the folio not under
            // write-back; otherwise the mark stays.
            let f = self.pc.flags(p);
            if f & pf::READAHEAD != 0 && ra.ra_pages != 0 && f & pf::WRITEBACK == 0 {
                self.clear_mark(ino, p);
                self.c.ra_marker_hits += 1;
                let (fi, fnr) = self.pc.folio(p);
                let w = {
                    let view = InodeView {
                        m: self,
                        inode: ino,
                    };
                    readahead::page_cache_async_ra(&mut ra, &view, size, fi, fnr, req_count)
                };
                if let Some(w) = w {
                    self.read_window(ino, w, None, ra.order);
                }
            }
            if self.pc.flags(p) & pf::UPTODATE == 0 {
                hit = false;
                self.c.v_intrans += 1;
                self.wait_page(p);
            }
            self.use_page(p, hit);
            // Reading on within the page the previous read ended in does not count as
            // a second access (filemap_read's `pos_same_folio` test).
            if prev_page != Some(index) {
                self.pc.mark_accessed(p);
            }
        }
        ra.prev_pos = Some(end);
        self.save_ra(ev.pid, ino, ra);
    }

    /// write(2) through ext4's `write_begin`: a page the write covers whole, or whose
    /// unwritten part lies past EOF, needs no read; a partial write to a page that is
    /// not in memory reads that one page first (`ext4_block_write_begin`, no
    /// read-ahead). A missing page is created in the folio `write_begin` asks for
    /// ([`Linux::write_folio_order`]). The file grows, pages are dirtied, then
    /// `balance_dirty_pages`.
    pub(crate) fn op_write(&mut self, ev: &Event) {
        let (ino, _) = self.open_file(ev.pid, ev.file);
        let size = self.inodes[ino as usize].size;
        let off = if !ev.has_offset || ev.flags.contains(Flags::APPEND) {
            size
        } else {
            ev.offset
        };
        let end = off.saturating_add(ev.length);
        if end <= off {
            return;
        }
        // Pages below this index were created by this write (in its new folios): they
        // are misses, and only the first of each folio can be partly written.
        let mut created_to = 0;
        for index in off / PAGE_SIZE..end.div_ceil(PAGE_SIZE) {
            let ps = index * PAGE_SIZE;
            let lo = off.max(ps);
            let hi = end.min(ps + PAGE_SIZE);
            let whole = lo == ps && (hi == ps + PAGE_SIZE || hi >= size);
            let beyond = ps >= size || (lo == ps && hi >= size);
            let p = match self.pc.lookup(ino, index) {
                Some(p) if index < created_to => {
                    self.c.page_misses += 1;
                    p
                }
                Some(p) => {
                    self.c.page_hits += 1;
                    if self.pc.flags(p) & pf::UPTODATE == 0 && !(whole || beyond) {
                        self.c.v_intrans += 1;
                        self.wait_page(p);
                    }
                    p
                }
                None => {
                    self.c.page_misses += 1;
                    let order = self.write_folio_order(ino, index, lo, end);
                    let n = 1u64 << order;
                    for k in index..index + n {
                        self.make_room();
                        let q = self.pc.insert(ino, k, 0);
                        self.pc.pages[q as usize].order = order as u8;
                    }
                    created_to = index + n;
                    let Some(p) = self.pc.lookup(ino, index) else {
                        continue;
                    };
                    if !(whole || beyond) {
                        self.c.read_before_write += 1;
                        self.submit_run(
                            Dir::Read,
                            ino,
                            index,
                            1,
                            &[],
                            Some(index),
                            Origin::ReadBeforeWrite,
                            Origin::ReadBeforeWrite,
                            true,
                        );
                        self.wait_page(p);
                    }
                    p
                }
            };
            // A page under write-back is changed without waiting: `folio_wait_stable`
            // waits only on devices that need stable pages, which the model's do not.
            self.pc.set(p, pf::UPTODATE);
            self.pc.mark_accessed(p);
            self.pc.set_dirty(p);
            if end > self.inodes[ino as usize].size {
                self.inodes[ino as usize].size = hi.max(self.inodes[ino as usize].size);
            }
            self.dirtied(ino);
        }
    }

    /// Order of the folio `write_begin` creates at `index` for the write's bytes
    /// `[pos, end)` (`pos` within page `index`): `generic_perform_write` hands down at
    /// most up to the next max-folio boundary, ext4's `write_begin` asks
    /// `__filemap_get_folio` for `fgf_set_order(len)` = ⌊log2 len⌋ − 12 (order 0 for a
    /// page or less), which caps it at the mapping's largest order, lowers it to the
    /// index's alignment (`__ffs(index)`), and retries one order lower while
    /// `filemap_add_folio` finds a cached page in the range (`-EEXIST`). So a 4 KiB
    /// write makes single pages and an aligned 1 MiB write one 1 MiB folio.
    pub(crate) fn write_folio_order(&self, ino: u32, index: u64, pos: u64, end: u64) -> u32 {
        let max = self.max_folio_order();
        if max == 0 {
            return 0;
        }
        let chunk = PAGE_SIZE << max;
        let bytes = (chunk - pos % chunk).min(end - pos);
        let mut order = bytes.ilog2().saturating_sub(PAGE_SIZE.ilog2()).min(max);
        if index != 0 {
            order = order.min(index.trailing_zeros());
        }
        while order > 0
            && (index + 1..index + (1u64 << order)).any(|k| self.pc.lookup(ino, k).is_some())
        {
            order -= 1;
        }
        order
    }

    pub(crate) fn op_mmap(&mut self, ev: &Event) {
        let ino = self.inode_for(ev.pid, ev.file);
        let first = ev.offset / PAGE_SIZE;
        let end = ev.offset.saturating_add(ev.length).div_ceil(PAGE_SIZE);
        let advice = if ev.flags.contains(Flags::RANDOM) {
            VmAdvice::Random
        } else if ev.flags.contains(Flags::SEQUENTIAL) {
            VmAdvice::Sequential
        } else {
            VmAdvice::Normal
        };
        self.vmas.push(Vma {
            pid: ev.pid,
            inode: ino,
            first,
            end,
            shared: !ev.flags.contains(Flags::PRIVATE),
            advice,
            ptes: Default::default(),
        });
        self.inodes[ino as usize].refs += 1;
        // A mapping reads ahead through the struct file it was made from.
        let fresh = self.ra_pages_state();
        self.files.entry((ev.pid, ino)).or_insert((fresh, 0, false));
    }

    pub(crate) fn op_munmap(&mut self, ev: &Event) {
        let ino = self.inode_for(ev.pid, ev.file);
        let first = ev.offset / PAGE_SIZE;
        if let Some(i) = self
            .vmas
            .iter()
            .position(|v| v.pid == ev.pid && v.inode == ino && v.first == first)
        {
            // Mappings are looked up by scanning: an unmapped one goes at once, so
            // the scan stays as short as the live mappings.
            self.vmas.swap_remove(i);
            self.inode_put(ino);
        } else {
            self.warn.munmap_unmapped += 1;
        }
    }

    /// The live mapping of `pid` holding page `index` of `ino`, else an implicit
    /// mapping of the whole file (a trace that never recorded the mmap).
    fn vma_for(&mut self, pid: u32, ino: u32, index: u64) -> usize {
        if let Some(i) = self
            .vmas
            .iter()
            .position(|v| v.pid == pid && v.inode == ino && v.first <= index && index < v.end)
        {
            return i;
        }
        self.c.implicit_mapping_touches += 1;
        self.vmas.push(Vma {
            pid,
            inode: ino,
            first: 0,
            end: u64::MAX / PAGE_SIZE,
            shared: true,
            advice: VmAdvice::Normal,
            ptes: Default::default(),
        });
        self.inodes[ino as usize].refs += 1;
        let fresh = self.ra_pages_state();
        self.files.entry((pid, ino)).or_insert((fresh, 0, false));
        self.vmas.len() - 1
    }

    /// A load or store through a mapping. A page with a PTE (writable, for a store) is
    /// no fault; a store to a read-only PTE is a write-protect fault (minor). Otherwise
    /// a read fault first tries fault-around (`do_fault_around` → `filemap_map_pages`),
    /// then `filemap_fault`: a page in the cache is a minor fault (`filemap_fault_found`:
    /// `mmap_miss` and `PG_readahead`), a missing one a major fault (`PGMAJFAULT`) with
    /// `do_sync_mmap_readahead`; a fault that waited for its page's read returns
    /// `VM_FAULT_RETRY` and the retry runs fault-around again, mapping the neighbours
    /// whose read has completed. Stores do not wait for write-back (no stable-pages
    /// device).
    pub(crate) fn op_fault(&mut self, ev: &Event, write: bool) {
        let ino = self.inode_for(ev.pid, ev.file);
        let index = ev.offset / PAGE_SIZE;
        let size = self.inodes[ino as usize].size;
        if index >= size.div_ceil(PAGE_SIZE) {
            self.c.fault_sigbus += 1;
            return;
        }
        let vi = self.vma_for(ev.pid, ino, index);
        let store = write && self.vmas[vi].shared;
        if write && !store {
            // MAP_PRIVATE: copy-on-write, the file is never written.
            self.warn.private_stores += 1;
        }
        if let Some(&w) = self.vmas[vi].ptes.get(&index) {
            if let Some(p) = self.pc.lookup(ino, index) {
                self.pc.set(p, pf::REFERENCED);
            }
            if !store || w {
                self.c.touches_no_fault += 1;
                return;
            }
            // Write-protect fault on a shared mapping: page_mkwrite, dirty.
            self.c.v_vm_faults += 1;
            self.c.minor_faults += 1;
            if let Some(p) = self.pc.lookup(ino, index) {
                self.dirty_folio(ino, p);
                self.vmas[vi].ptes.insert(index, true);
                self.dirtied(ino);
            }
            return;
        }
        self.c.v_vm_faults += 1;
        let (_, mut ra) = self.open_file(ev.pid, ev.file);
        let advice = self.vmas[vi].advice;
        // Read faults only (`do_read_fault`); a store to a shared mapping goes to
        // `do_shared_fault` without fault-around.
        let around = !write && self.fault_around(vi, ino, index, size, &mut ra);
        if around {
            self.c.minor_faults += 1;
            self.c.page_hits += 1;
            self.save_ra(ev.pid, ino, ra);
            return;
        }
        let hit;
        let mut retried = false;
        match self.pc.lookup(ino, index) {
            Some(p) => {
                self.c.minor_faults += 1;
                let f = self.pc.flags(p);
                hit = f & pf::UPTODATE != 0;
                let out = {
                    let view = InodeView {
                        m: self,
                        inode: ino,
                    };
                    let (fi, fnr) = self.pc.folio(p);
                    let folio = filemap::FoundFolio {
                        index: fi,
                        nr: fnr,
                        locked: f & pf::LOCKED != 0,
                        readahead: f & pf::READAHEAD != 0,
                    };
                    filemap::filemap_fault_found(&mut ra, &view, size, folio, advice)
                };
                if out.clear_readahead {
                    self.clear_mark(ino, p);
                    self.c.ra_marker_hits += 1;
                }
                if let Some(w) = out.window {
                    self.read_window(ino, w, None, ra.order);
                }
            }
            None => {
                self.c.major_faults += 1;
                hit = false;
                retried = true;
                let w = {
                    let view = InodeView {
                        m: self,
                        inode: ino,
                    };
                    filemap::do_sync_mmap_readahead(&mut ra, &view, size, index, advice)
                };
                self.read_needed(ino, w, index, ra.order);
            }
        }
        let Some(p) = self.pc.lookup(ino, index) else {
            self.save_ra(ev.pid, ino, ra);
            return;
        };
        if self.pc.flags(p) & pf::UPTODATE == 0 {
            self.c.v_intrans += 1;
            self.wait_page(p);
            retried = true;
        }
        if retried && !write {
            // VM_FAULT_RETRY: the second attempt maps what is ready around it.
            self.fault_around(vi, ino, index, size, &mut ra);
        }
        self.save_ra(ev.pid, ino, ra);
        self.use_page(p, hit);
        self.pc.set(p, pf::REFERENCED);
        if store {
            self.dirty_folio(ino, p);
            self.dirtied(ino);
        }
        // `finish_fault` maps the whole folio when it lies in the VMA (and below EOF).
        let (fi, fnr) = self.pc.folio(p);
        let (vf, ve) = (self.vmas[vi].first, self.vmas[vi].end);
        let eof = size.div_ceil(PAGE_SIZE);
        if fi >= vf && fi + fnr <= ve && fi + fnr <= eof {
            for k in fi..fi + fnr {
                if k != index && self.pc.lookup(ino, k).is_some() {
                    self.vmas[vi].ptes.insert(k, store);
                }
            }
        }
        self.vmas[vi].ptes.insert(index, store);
    }

    /// `do_fault_around` → `filemap_map_pages`: map the pages around `index` that are
    /// in the cache, uptodate, unlocked and not read-ahead marks; `mmap_miss` drops by
    /// every page that passed (already mapped ones included: PG_workingset is not
    /// modelled). Returns whether the faulting page itself got mapped.
    fn fault_around(
        &mut self,
        vi: usize,
        ino: u32,
        index: u64,
        size: u64,
        ra: &mut FileRaState,
    ) -> bool {
        let pages = self.p.fault_around_pages();
        if pages <= 1 {
            return false;
        }
        let (vf, ve) = (self.vmas[vi].first, self.vmas[vi].end);
        let (s, e) = filemap::fault_around_range(index, vf, ve, size, pages);
        let mut passed = 0;
        for k in s..e {
            let Some(p) = self.pc.lookup(ino, k) else {
                continue;
            };
            let f = self.pc.flags(p);
            let rule = filemap::filemap_map_page_rule(
                true,
                f & pf::UPTODATE != 0,
                f & pf::LOCKED != 0,
                f & pf::READAHEAD != 0,
            );
            if rule != MapPage::Map {
                continue;
            }
            passed += 1;
            if let std::collections::hash_map::Entry::Vacant(e) = self.vmas[vi].ptes.entry(k) {
                e.insert(false);
                self.pc.set(p, pf::REFERENCED);
                if k != index {
                    self.c.prefault_pages += 1;
                }
                self.use_page_quiet(p);
            }
        }
        filemap::filemap_map_pages_mmap_miss(ra, passed);
        self.vmas[vi].ptes.contains_key(&index)
    }

    /// A page mapped by fault-around: read-ahead use, no hit/miss count of its own.
    fn use_page_quiet(&mut self, p: u32) {
        if self.pc.flags(p) & pf::RA_UNUSED != 0 {
            self.pc.clear(p, pf::RA_UNUSED);
            self.c.readahead_pages_used += 1;
        }
    }

    /// truncate: shrinking drops the pages past the new EOF (dirty ones unwritten);
    /// growing only changes the size.
    pub(crate) fn op_truncate(&mut self, ev: &Event) {
        let ino = self.inode_for(ev.pid, ev.file);
        let len = ev.length;
        if len < self.inodes[ino as usize].size {
            self.drop_pages(ino, len.div_ceil(PAGE_SIZE));
            self.inodes[ino as usize]
                .blocks
                .free_from(len.div_ceil(PAGE_SIZE));
        }
        self.inodes[ino as usize].size = len;
        self.inodes[ino as usize].meta_dirty = true;
    }

    pub(crate) fn op_fsync(&mut self, ev: &Event) {
        let ino = self.inode_for(ev.pid, ev.file);
        self.fsync_inode(ino, 0, u64::MAX, Origin::Fsync);
    }

    /// msync: MS_SYNC writes the range's dirty pages and waits; MS_ASYNC does nothing
    /// (a no-op since 2.6.19); length 0 is an empty range (`sys_msync` returns at once).
    pub(crate) fn op_msync(&mut self, ev: &Event) {
        if ev.length == 0 || ev.flags.contains(Flags::ASYNC) {
            return;
        }
        let ino = self.inode_for(ev.pid, ev.file);
        let first = ev.offset / PAGE_SIZE;
        let end = ev.offset.saturating_add(ev.length).div_ceil(PAGE_SIZE);
        self.fsync_inode(ino, first, end, Origin::Msync);
    }

    /// unlink: the name goes; the inode and its pages live while open or mapped, and
    /// go without a write at the last reference.
    pub(crate) fn op_unlink(&mut self, ev: &Event) {
        let ino = self.inode_for(ev.pid, ev.file);
        self.inodes[ino as usize].unlinked = true;
        self.forget_name(ev.file);
        if self.inodes[ino as usize].refs == 0 {
            self.drop_pages(ino, 0);
            self.inodes[ino as usize].dirtied_when = None;
        }
    }
}
