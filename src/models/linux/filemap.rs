//! The page-fault side of file read-ahead, ported from Linux 6.18 (the 6.18.2 tree:
//! mm/filemap.c blob `024b71da5224`, which is upstream's file after "mm/filemap: Fix
//! logic around SIGBUS in filemap_map_pages()"; mm/memory.c for `do_fault_around`,
//! `should_fault_around`, `do_read_fault`, `fault_around_bytes`; include/linux/mm.h for
//! `VM_SEQ_READ`/`VM_RAND_READ`; mm/readahead.c for what `page_cache_ra_order` does with
//! an order-0 window). Sizes are in 4 KiB pages; `isize` is the file size in bytes.
//!
//! # What a fault does (6.18)
//!
//! A *read* fault on a page with no PTE (`do_read_fault`) first tries fault-around
//! ([`fault_around_range`], then [`filemap_map_page_rule`] per page and
//! [`filemap_map_pages_mmap_miss`]); if that mapped the faulting page the fault is over
//! (minor, `filemap_fault` is not called). Write faults (`do_cow_fault`,
//! `do_shared_fault`) never fault around. Otherwise `filemap_fault`:
//!
//! * index at or past EOF: `SIGBUS`, nothing else happens.
//! * page present (`filemap_get_folio` finds it): on the first attempt only
//!   (`!FAULT_FLAG_TRIED`) `do_async_mmap_readahead` runs — see [`filemap_fault_found`]:
//!   unless the VMA is `VM_RAND_READ` or `ra_pages` is 0 it lowers `mmap_miss` by one
//!   (not below 0, and not if the folio is locked), and if the folio has `PG_readahead`
//!   it starts `page_cache_async_ra(.., ra_pages)`, which clears the flag. A locked folio
//!   (under read) is waited for (the fault sleeps until the read ends) and the fault is
//!   retried. Not a major fault for `PGMAJFAULT`.
//! * page absent: major fault (`PGMAJFAULT`, `VM_FAULT_MAJOR`), `do_sync_mmap_readahead`
//!   ([`do_sync_mmap_readahead`]), then the page is taken from the cache or, if read-ahead
//!   did not bring it, created and read alone (`filemap_read_folio`); the fault waits for
//!   the read and is retried — and the retry runs fault-around again.
//!
//! `do_sync_mmap_readahead`, in 6.18's order: `VM_RAND_READ` → no read-ahead (just the
//! page); `ra_pages == 0` → just the page; `VM_SEQ_READ` → `page_cache_sync_ra(index,
//! ra_pages)` as read(2) would; otherwise `mmap_miss += 1` (only while below
//! `MMAP_LOTSAMISS * 10` = 1000), and if the new value is above [`MMAP_LOTSAMISS`] (100)
//! just the page; else read-around: `start = max(0, index - ra_pages / 2)`,
//! `size = ra_pages`, `async_size = ra_pages / 4`, `page_cache_ra_order` at `start`,
//! the mark (`PG_readahead`) at `start + size - async_size`. None of the no-read-ahead
//! branches touches `mmap_miss`.
//!
//! `filemap_map_pages` lowers `mmap_miss` by the number of pages it *could* map (they
//! passed the rule) whose folio is not `PG_workingset` — pages already mapped by a PTE
//! included — and never below 0. So after a read-around major fault the retry's
//! fault-around usually takes back more than the one miss it added: only refaulting
//! (`PG_workingset`) pages, write faults (no fault-around) or `fault_around_bytes = 4096`
//! let `mmap_miss` climb to [`MMAP_LOTSAMISS`].
//!
//! Accounting: `PGMAJFAULT` (/proc/vmstat) and `VM_FAULT_MAJOR` only for a page absent
//! in `filemap_fault`. The per-task count (`mm_account_fault`) also calls a fault major
//! when its final attempt carries `FAULT_FLAG_TRIED`; on x86-64 with per-VMA locks a wait
//! on a page under read is retried without it (minor), a major fault's retry with it.
//!
//! # Not modelled
//!
//! `VM_EXEC` (6.18 reads `[round_down(index, 2^exec_folio_order()), +ra_pages)` clamped
//! to the VMA, with no mark, and lets `VM_RAND_READ` through); `VM_HUGEPAGE` with THP
//! (reads one or two PMD folios before any other test, `mmap_miss` untouched); large
//! folios (the window here is `page_cache_ra_order`'s order-0 path, i.e. a mapping without
//! large-folio support: near EOF its mark is relative to the clipped window, where a
//! large-folio mapping would keep `start + size - async_size` if still inside the file);
//! `FMODE_RANDOM` (`POSIX_FADV_RANDOM`) in the `VM_SEQ_READ` call (passed as `false`);
//! hardware poison, userfaultfd, PTE markers and PMD mappings.

use super::readahead::{CacheView, FileRaState, RaWindow, page_cache_async_ra, page_cache_sync_ra};

/// Misses beyond which mmap read-around stops (`MMAP_LOTSAMISS`, mm/filemap.c).
pub const MMAP_LOTSAMISS: u32 = 100;
/// `do_sync_mmap_readahead` stops counting misses here (`MMAP_LOTSAMISS * 10`).
pub const MMAP_MISS_MAX: u32 = MMAP_LOTSAMISS * 10;
/// PTEs in one page table: fault-around never crosses a PMD (2 MiB) boundary.
pub const PTRS_PER_PTE: u64 = 512;
/// `fault_around_bytes` defaults to 64 KiB: 16 pages.
pub const DEFAULT_FAULT_AROUND_PAGES: u64 = 16;

const PAGE_SIZE: u64 = 4096;

/// madvise advice of the VMA: VM_RAND_READ, VM_SEQ_READ or neither.
///
/// `MADV_NORMAL` clears both flags, `MADV_SEQUENTIAL` sets `VM_SEQ_READ` and clears
/// `VM_RAND_READ`, `MADV_RANDOM` the reverse (mm/madvise.c), so at most one is set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VmAdvice {
    /// Neither flag (`MADV_NORMAL`): read-around, `mmap_miss` accounting.
    #[default]
    Normal,
    /// `VM_RAND_READ` (`MADV_RANDOM`): no read-ahead at all.
    Random,
    /// `VM_SEQ_READ` (`MADV_SEQUENTIAL`): `page_cache_sync_ra` as for read(2).
    Sequential,
}

/// The folio `filemap_fault` found in the cache for the faulting index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FoundFolio {
    /// First page of the folio.
    pub index: u64,
    /// Pages in the folio (1 in a 4 KiB-page model).
    pub nr: u64,
    /// `PG_locked`: a read is in flight (or another fault holds it).
    pub locked: bool,
    /// `PG_readahead`: the read-ahead mark.
    pub readahead: bool,
}

/// What `do_async_mmap_readahead` did for a found folio.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FoundOutcome {
    /// The asynchronous window to read, if `page_cache_async_ra` started one.
    pub window: Option<RaWindow>,
    /// `page_cache_async_ra` was called, which clears `PG_readahead` on the folio; the
    /// caller must clear it. False for `VM_RAND_READ` or `ra_pages == 0`: the mark stays.
    pub clear_readahead: bool,
}

/// What `filemap_map_pages` does with one candidate page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapPage {
    /// Map it (a PTE already there stays); it counts for `mmap_miss`.
    Map,
    /// Leave it to `filemap_fault`.
    Skip,
}

/// `page_cache_sync_ra` as super::readahead declares it (tests pass a stand-in).
type SyncRaFn = fn(&mut FileRaState, &dyn CacheView, u64, u64, u64, bool) -> Option<RaWindow>;
/// `page_cache_async_ra` as super::readahead declares it (tests pass a stand-in).
type AsyncRaFn = fn(&mut FileRaState, &dyn CacheView, u64, u64, u64, u64) -> Option<RaWindow>;

/// `do_sync_mmap_readahead`: the fault found no page at `index` (isize in bytes). Returns
/// the window to read (the caller reads absent pages of it, marks `mark`).
///
/// Always `Some` for an index inside the file: where the kernel does no read-ahead
/// (`VM_RAND_READ`, `ra_pages == 0`, `mmap_miss` above [`MMAP_LOTSAMISS`]) the window is
/// just the page (`{ start: index, nr: 1, mark: None }`), which `filemap_fault` then
/// creates and reads alone. `None` only for `index` at or past EOF (`filemap_fault`
/// returns `SIGBUS` before getting here; `ra` is untouched). The mark is set only on a
/// page the read brings in (`page_cache_ra_unbounded` does not mark a page already
/// cached). If the window does not cover `index` the caller still reads `index` alone.
pub fn do_sync_mmap_readahead(
    ra: &mut FileRaState,
    cache: &dyn CacheView,
    isize: u64,
    index: u64,
    advice: VmAdvice,
) -> Option<RaWindow> {
    sync_mmap_readahead(ra, cache, isize, index, advice, page_cache_sync_ra)
}

fn sync_mmap_readahead(
    ra: &mut FileRaState,
    cache: &dyn CacheView,
    isize: u64,
    index: u64,
    advice: VmAdvice,
    sync_ra: SyncRaFn,
) -> Option<RaWindow> {
    if index >= isize.div_ceil(PAGE_SIZE) {
        return None;
    }
    let just_the_page = RaWindow {
        start: index,
        nr: 1,
        mark: None,
    };
    // "If we don't want any read-ahead, don't bother" (VM_EXEC is not modelled).
    if advice == VmAdvice::Random || ra.ra_pages == 0 {
        return Some(just_the_page);
    }
    if advice == VmAdvice::Sequential {
        let req_count = ra.ra_pages;
        let window = sync_ra(ra, cache, isize, index, req_count, false);
        return Some(window.unwrap_or(just_the_page));
    }
    let mut mmap_miss = ra.mmap_miss;
    if mmap_miss < MMAP_MISS_MAX {
        mmap_miss += 1;
        ra.mmap_miss = mmap_miss;
    }
    // "Do we miss much more than hit in this file? If so, stop bothering."
    if mmap_miss > MMAP_LOTSAMISS {
        return Some(just_the_page);
    }
    // mmap read-around (order-0 folios: 6.16+ resets `ra->order` here).
    ra.order = 0;
    ra.start = index.saturating_sub(ra.ra_pages / 2);
    ra.size = ra.ra_pages;
    ra.async_size = ra.ra_pages / 4;
    let window = page_cache_ra_order0(ra.start, ra.size, ra.async_size, isize);
    Some(window.unwrap_or(just_the_page))
}

/// The window `page_cache_ra_order` reads for an order-0 request at `start` on a mapping
/// without large folios: `do_page_cache_ra` clips it to the page holding the last byte,
/// and `page_cache_ra_unbounded` marks the page `nr - async_size` into the clipped
/// window (no mark if `async_size` is 0 or larger than what is left).
fn page_cache_ra_order0(start: u64, size: u64, async_size: u64, isize: u64) -> Option<RaWindow> {
    if isize == 0 || size == 0 {
        return None;
    }
    let end_index = (isize - 1) / PAGE_SIZE;
    if start > end_index {
        return None;
    }
    let nr = size.min(end_index - start + 1);
    let mark = if (1..=nr).contains(&async_size) {
        Some(start + nr - async_size)
    } else {
        None
    };
    Some(RaWindow { start, nr, mark })
}

/// `do_async_mmap_readahead`: the fault found the folio [folio_index, +folio_nr) present
/// with PG_readahead (the caller clears the flag); also the mmap_miss decrement the
/// kernel does there.
///
/// This is [`filemap_fault_found`] for an unlocked folio carrying `PG_readahead`. The
/// flag is cleared (by `page_cache_async_ra`) only if `advice` is not `Random` and
/// `ra.ra_pages` is not 0; otherwise nothing at all happens. The kernel calls this for
/// *every* page `filemap_fault` finds, marked or not (see [`filemap_fault_found`]), and
/// compares the *faulting* index (not the folio's first) with the expected mark index;
/// with one-page folios they are the same.
pub fn do_async_mmap_readahead(
    ra: &mut FileRaState,
    cache: &dyn CacheView,
    isize: u64,
    folio_index: u64,
    folio_nr: u64,
    advice: VmAdvice,
) -> Option<RaWindow> {
    async_mmap_readahead(
        ra,
        cache,
        isize,
        folio_index,
        folio_nr,
        advice,
        page_cache_async_ra,
    )
}

fn async_mmap_readahead(
    ra: &mut FileRaState,
    cache: &dyn CacheView,
    isize: u64,
    folio_index: u64,
    folio_nr: u64,
    advice: VmAdvice,
    async_ra: AsyncRaFn,
) -> Option<RaWindow> {
    let folio = FoundFolio {
        index: folio_index,
        nr: folio_nr,
        locked: false,
        readahead: true,
    };
    fault_found(ra, cache, isize, folio, advice, async_ra).window
}

/// `filemap_fault` found `folio` in the cache on the first attempt of the fault (not on
/// the retry after waiting: `FAULT_FLAG_TRIED` skips this): `do_async_mmap_readahead`.
///
/// * `VM_RAND_READ` or `ra_pages == 0`: nothing (no `mmap_miss` change, the mark stays).
/// * folio not locked: `mmap_miss -= 1` unless already 0. A locked folio (a racing fault,
///   or its read still in flight) leaves `mmap_miss` alone.
/// * folio with `PG_readahead`: `page_cache_async_ra(folio, ra_pages)`, which clears the
///   flag ([`FoundOutcome::clear_readahead`]) and may return a window to read.
pub fn filemap_fault_found(
    ra: &mut FileRaState,
    cache: &dyn CacheView,
    isize: u64,
    folio: FoundFolio,
    advice: VmAdvice,
) -> FoundOutcome {
    fault_found(ra, cache, isize, folio, advice, page_cache_async_ra)
}

fn fault_found(
    ra: &mut FileRaState,
    cache: &dyn CacheView,
    isize: u64,
    folio: FoundFolio,
    advice: VmAdvice,
    async_ra: AsyncRaFn,
) -> FoundOutcome {
    if advice == VmAdvice::Random || ra.ra_pages == 0 {
        return FoundOutcome::default();
    }
    if !folio.locked {
        ra.mmap_miss = ra.mmap_miss.saturating_sub(1);
    }
    if !folio.readahead {
        return FoundOutcome::default();
    }
    let req_count = ra.ra_pages;
    FoundOutcome {
        window: async_ra(ra, cache, isize, folio.index, folio.nr, req_count),
        clear_readahead: true,
    }
}

/// The page range fault-around (`do_fault_around` → `filemap_map_pages`) may map for a
/// fault at `index` in a VMA mapping file pages [vma_first, vma_end), with
/// `fault_around_pages` (fault_around_bytes / 4096, default 16): [start, end), clipped to
/// the VMA, to the page-table (PMD, 512 pages) boundary, and to EOF.
///
/// The block is `fault_around_pages` pages aligned in the page table; if the VMA starts
/// inside it the block moves up to start at the VMA (it does not shrink), and is then cut
/// at the page table's end, the VMA's end and EOF. `fault_around_pages` is taken as the
/// debugfs setter leaves it: at least 1, rounded down to a power of two (above 512 the
/// kernel refuses it; here it is clamped). An empty range (`start == end`) means no
/// fault-around at all (`should_fault_around` is false for one page; also returned for an
/// `index` outside the VMA): go straight to `filemap_fault`.
///
/// The page-table position is assumed to be `index % 512`, i.e. virtual and file offsets
/// agree modulo 2 MiB, as `thp_get_unmapped_area` places ext4 mappings that cover an
/// aligned 2 MiB of the file; [`fault_around_range_pte`] takes it explicitly.
pub fn fault_around_range(
    index: u64,
    vma_first: u64,
    vma_end: u64,
    isize: u64,
    fault_around_pages: u64,
) -> (u64, u64) {
    fault_around_range_pte(
        index,
        vma_first,
        vma_end,
        isize,
        fault_around_pages,
        index % PTRS_PER_PTE,
    )
}

/// [`fault_around_range`] with the faulting address's slot in its page table given:
/// `pte_off = (vaddr >> 12) % 512` (`pte_index(vmf->address)`).
pub fn fault_around_range_pte(
    index: u64,
    vma_first: u64,
    vma_end: u64,
    isize: u64,
    fault_around_pages: u64,
    pte_off: u64,
) -> (u64, u64) {
    if !(vma_first..vma_end).contains(&index) {
        return (index, index);
    }
    let nr: u64 = 1 << fault_around_pages.clamp(1, PTRS_PER_PTE).ilog2();
    if nr <= 1 {
        return (index, index);
    }
    let pte_off = pte_off % PTRS_PER_PTE;
    let vma_off = index - vma_first;
    // First PTE: the aligned block's, or the VMA's first if that is later.
    let from = (pte_off & !(nr - 1)).max(pte_off - pte_off.min(vma_off));
    // One past the last PTE: the block's end, the page table's, the VMA's.
    let to = (from + nr)
        .min(PTRS_PER_PTE)
        .min(pte_off.saturating_add(vma_end - index));
    let start = index - (pte_off - from);
    // filemap_map_pages: `end_pgoff = min(end_pgoff, file_end)`; next_uptodate_folio
    // also skips any index at or past EOF.
    let end = (index + (to - pte_off))
        .min(isize.div_ceil(PAGE_SIZE))
        .max(start);
    (start, end)
}

/// What filemap_map_pages does with one candidate page (`next_uptodate_folio` in 6.18).
///
/// Mapped only if all hold: a folio is in the cache (not a shadow entry), it is not
/// locked (`PG_locked`: a read in flight, or another fault), it is uptodate, and it does
/// not carry `PG_readahead` (so the mark always reaches `filemap_fault` and starts the
/// next read-ahead). `PG_writeback` and `PG_dirty` do not matter: a page under write-back
/// is mapped. The kernel also skips a folio being freed, split, truncated or poisoned,
/// and any index at or past EOF ([`fault_around_range`] already cuts those). A page that
/// passes but already has a PTE is not mapped again, yet still counts for `mmap_miss`.
pub fn filemap_map_page_rule(
    present: bool,
    uptodate: bool,
    locked: bool,
    readahead_flag: bool,
) -> MapPage {
    if present && uptodate && !locked && !readahead_flag {
        MapPage::Map
    } else {
        MapPage::Skip
    }
}

/// Whether a page counts in `filemap_map_pages`'s `mmap_miss` decrement: it passed the
/// rule and its folio is not `PG_workingset` (recently evicted and refaulted, or
/// deactivated from the active list). Whether a PTE already maps it does not matter.
pub fn map_page_lowers_mmap_miss(rule: MapPage, workingset: bool) -> bool {
    rule == MapPage::Map && !workingset
}

/// The end of `filemap_map_pages`: `mmap_miss` drops by `mapped`, the number of pages in
/// the range for which [`map_page_lowers_mmap_miss`] holds (every page that passed
/// [`filemap_map_page_rule`], already-mapped ones included, minus `PG_workingset` ones),
/// and stops at 0. Call it once per fault-around, even if nothing was mapped.
pub fn filemap_map_pages_mmap_miss(ra: &mut FileRaState, mapped: u64) {
    // The result is at most the old value, so it fits.
    ra.mmap_miss = u64::from(ra.mmap_miss).saturating_sub(mapped) as u32;
}

#[cfg(test)]
mod tests;
