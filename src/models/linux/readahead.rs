//! File read-ahead as Linux 6.18 decides it: a port of `mm/readahead.c` into pure
//! functions over a [`FileRaState`] (the file's `struct file_ra_state`) and a read-only
//! [`CacheView`] of the file's page cache. A decision is a [`RaWindow`]; the caller (the
//! model core) allocates the absent pages of it, submits the I/O and sets `PG_readahead`.
//!
//! # Source
//!
//! `mm/readahead.c` of Linux 6.18 as 6.18.y stable carries it (the copy read here has the
//! line layout of v6.18.38: `page_cache_ra_unbounded` at line 210, `force_page_cache_ra`
//! at 339, `page_cache_sync_ra` at 554). That is after Jan Kara's 2024 rework (the old
//! `ondemand_readahead` split into `page_cache_sync_ra` / `page_cache_async_ra`,
//! `try_context_readahead` folded into the former), `ractl_max_pages`, Ryan Roberts's
//! `ra->order` in `struct file_ra_state` with the window-end alignment in
//! `page_cache_async_ra` (6.16) and Jan Kara's 2025 fallback fix in `page_cache_ra_order`
//! (`if (ra->size > index - start)`). The torvalds/linux snapshot was too large to fetch,
//! so there is no commit id: the file was read from an indexed copy and checked against
//! v6.18.38 excerpts and the December 2025 patches against it. From `mm/filemap.c` 6.18:
//! `page_cache_next_miss` with Chi Zhiling's fix bbcaee20e03e (6.17; no gap → `index +
//! max_scan`), `page_cache_prev_miss` as restored by the 2023 revert (no gap → the last
//! index looked at, running below 0 → `ULONG_MAX`). `bdi->io_pages` is set by
//! `blk_apply_bdi_limits` (block/blk-settings.c) to `max_sectors >> PAGE_SECTORS_SHIFT`,
//! i.e. `max_sectors_kb / 4` — not `ra_pages`; see [`CacheView::io_pages`].
//!
//! # What the read path passes (mm/filemap.c)
//!
//! `filemap_get_pages` calls `page_cache_sync_ra` when the page at `ki_pos` is absent, with
//! `index = ki_pos >> 12` and `req_count = last_index - index`, where `last_index =
//! DIV_ROUND_UP(ki_pos + count, 4096)` and `count` is what is left of the request (not
//! clipped to EOF). `filemap_readahead` calls `page_cache_async_ra` for a folio with
//! `PG_readahead` (always the last of a read batch), with that folio's index and
//! `req_count = last_index - folio->index`. `filemap_read` sets `prev_pos` to the byte
//! after the last one copied, once, when the whole read is done.
//!
//! # Left out
//!
//! `blk_cgroup_congested()` (taken as false); `IOCB_NOIO`/`IOCB_NOWAIT`; `RWF_DONTCACHE`
//! (`ractl->dropbehind`); folio allocation failure; `mapping_min_folio_order > 0` (block
//! size above page size); `readahead_expand` (no ext4 use); trace points; the 2 MiB
//! chunking of `force_page_cache_ra` (the chunks cover the same pages as one window).
//! Large folios (ext4 regular files have them since 6.16) are ported only where they
//! change the outcome: `ra->order` feeds the window-end alignment of
//! `page_cache_async_ra`, which is what turns the 128 KiB ramp 4, 8, 16, 32 into 4, 8, 4,
//! 8, 8, 16, 16, 32 (2,053 windows for 256 MiB, as the real kernel issues); the folio
//! layout of `page_cache_ra_order` decides where `PG_readahead` lands (the first page of
//! the folio holding the mark) and when a present page sends the rest of a window to the
//! order-0 fallback. Folio sizes are not returned: the caller keeps 4 KiB pages, so a
//! large marked folio fires here only when its first page is read (the kernel: any page
//! of it) — the same for sequential readers.

/// `PAGE_SHIFT`: page indexes are byte offsets `>> 12`.
const PAGE_SHIFT: u32 = 12;

/// `mapping_max_folio_order` of an ext4 regular file with 4 KiB blocks on x86-64:
/// `EXT4_MAX_PAGECACHE_ORDER` = min(`MAX_PAGECACHE_ORDER` (= `HPAGE_PMD_ORDER` 9 with
/// THP), 11 + blkbits − `PAGE_SHIFT` = 11). 0 would mean no large folios (data=journal,
/// verity, or a file system without them).
pub const EXT4_MAX_FOLIO_ORDER: u32 = 9;

/// `bdi->io_pages` for the usual `max_sectors_kb` of 1280 (`BLK_DEF_MAX_SECTORS_CAP`, 2560
/// sectors): the default of [`CacheView::io_pages`].
pub const DEFAULT_IO_PAGES: u64 = 320;

/// `struct file_ra_state`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileRaState {
    /// First page of the last window.
    pub start: u64,
    /// Pages in the last window.
    pub size: u64,
    /// Its last `async_size` pages are the asynchronous part; `PG_readahead` goes on the
    /// first of them, `start + size - async_size`.
    pub async_size: u64,
    /// Read-ahead limit of this open file, copied from `bdi->ra_pages` at open.
    pub ra_pages: u64,
    /// Fault-path miss counter (mm/filemap.c); this module neither reads nor writes it.
    pub mmap_miss: u32,
    /// `prev_pos` in bytes; None = the kernel's initial -1
    pub prev_pos: Option<u64>,
    /// `ra->order` (6.16+): folio order `page_cache_ra_order` last used; the sync path
    /// resets it, the async path adds 2 and aligns the window end with it.
    pub order: u32,
}

impl FileRaState {
    /// `file_ra_state_init`: `ra_pages` from the device, `prev_pos` = -1, all else 0.
    pub fn new(ra_pages: u64) -> Self {
        FileRaState {
            ra_pages,
            ..FileRaState::default()
        }
    }
}

/// What the read-ahead code may ask of the page cache.
pub trait CacheView {
    /// a folio covering `index` is in the page cache (uptodate or still under read)
    fn present(&self, index: u64) -> bool;

    /// `bdi->io_pages` = `max_sectors_kb / 4` (`blk_apply_bdi_limits`): an oversized read
    /// may widen the window up to it (`ractl_max_pages`), and forced read-ahead reads up to
    /// max(`io_pages`, `ra_pages`) (`force_page_cache_ra`). Override with the device's
    /// `max_sectors_kb / 4`; the default is the usual 1280 KiB.
    fn io_pages(&self) -> u64 {
        DEFAULT_IO_PAGES
    }

    /// `mapping_max_folio_order`: 0 = no large folios (`mapping_large_folio_support` is
    /// false, `page_cache_ra_order` goes straight to order-0 `do_page_cache_ra`). The
    /// default is ext4's on the validation machine.
    fn max_folio_order(&self) -> u32 {
        EXT4_MAX_FOLIO_ORDER
    }
}

/// One read-ahead decision: bring in pages [start, start + nr) (the caller skips pages already
/// present, submitting each run of absent pages as I/O, as page_cache_ra_unbounded/read_pages
/// do), and set PG_readahead on page `mark` if the caller allocates it. `mark` may name a page
/// that is already present (then nothing is marked); no window reaches past EOF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RaWindow {
    pub start: u64,
    pub nr: u64,
    pub mark: Option<u64>,
}

/// `get_init_ra_size`: the first window for a request of `size` pages — the request
/// rounded up to a power of two, ×4 while small (≤ max/32), ×2 while medium (≤ max/4),
/// else `max`. With max 32: 1–2 pages → 4, 3–4 → 8, 5–8 → 16, more → 32.
pub(crate) fn get_init_ra_size(size: u64, max: u64) -> u64 {
    let newsize = size.checked_next_power_of_two().unwrap_or(u64::MAX);
    if newsize <= max / 32 {
        newsize * 4
    } else if newsize <= max / 4 {
        newsize * 2
    } else {
        max
    }
}

/// `get_next_ra_size` (the kernel reads `ra->size`; here it is `cur`): ×4 below max/16,
/// ×2 up to max/2, then `max` — which is smaller than `cur` when an oversized read left a
/// window above `max`.
pub(crate) fn get_next_ra_size(cur: u64, max: u64) -> u64 {
    if cur < max / 16 {
        4 * cur
    } else if cur <= max / 2 {
        2 * cur
    } else {
        max
    }
}

/// `ractl_max_pages`: the window limit is `ra_pages`, but a request larger than that may
/// have up to `bdi->io_pages` (one maximal device request) when the device allows more.
fn ractl_max_pages(ra: &FileRaState, cache: &dyn CacheView, req_size: u64) -> u64 {
    let io_pages = cache.io_pages();
    let mut max_pages = ra.ra_pages;
    if req_size > max_pages && io_pages > max_pages {
        max_pages = req_size.min(io_pages);
    }
    max_pages
}

/// `page_cache_prev_miss(index, max_scan)` (mm/filemap.c): look at `index`, `index - 1`, …
/// (`max_scan` pages) and return the first absent one. Finding none it returns the last
/// index it looked at (a present page); running below 0 it returns `u64::MAX`.
fn page_cache_prev_miss(cache: &dyn CacheView, index: u64, max_scan: u64) -> u64 {
    let mut cur = index;
    for k in 0..max_scan {
        if k > 0 {
            match cur.checked_sub(1) {
                Some(c) => cur = c,
                None => return u64::MAX,
            }
        }
        if !cache.present(cur) {
            return cur;
        }
    }
    cur
}

/// `page_cache_next_miss(index, max_scan)` (mm/filemap.c, 6.17+): the first absent page
/// of `index..index + max_scan`, else `index + max_scan`; 0 on wrap-around.
fn page_cache_next_miss(cache: &dyn CacheView, index: u64, max_scan: u64) -> u64 {
    let mut cur = index;
    for k in 0..max_scan {
        if k > 0 {
            match cur.checked_add(1) {
                Some(c) => cur = c,
                None => return 0,
            }
        }
        if !cache.present(cur) {
            return cur;
        }
        if cur == 0 {
            return 0;
        }
    }
    index.wrapping_add(max_scan)
}

/// `page_cache_ra_unbounded`'s window: `nr_to_read` pages from `index`, the page
/// `lookahead_size` before the end marked — no mark when `lookahead_size` is 0 (the mark
/// would be one past the end) or exceeds the window (EOF clipped it away).
fn ra_unbounded(index: u64, nr_to_read: u64, lookahead_size: u64) -> Option<RaWindow> {
    if nr_to_read == 0 {
        return None;
    }
    let mark = if lookahead_size != 0 && lookahead_size <= nr_to_read {
        Some(index + nr_to_read - lookahead_size)
    } else {
        None
    };
    Some(RaWindow {
        start: index,
        nr: nr_to_read,
        mark,
    })
}

/// `do_page_cache_ra`: nothing for an empty file or a window starting past the page that
/// holds the last byte; otherwise the window is cut at that page. The mark counts back
/// from the cut end, so clipping moves it (a 4-page window with `async_size` 3 on a
/// 3-page file marks page 0).
pub(crate) fn do_page_cache_ra(
    isize: u64,
    index: u64,
    nr_to_read: u64,
    lookahead_size: u64,
) -> Option<RaWindow> {
    if isize == 0 {
        return None;
    }
    let end_index = (isize - 1) >> PAGE_SHIFT;
    if index > end_index {
        return None;
    }
    let nr = nr_to_read.min(end_index - index + 1);
    ra_unbounded(index, nr, lookahead_size)
}

/// `force_page_cache_ra` (FMODE_RANDOM, `ra_pages == 0`, also `POSIX_FADV_WILLNEED`):
/// exactly the pages asked for from `index`, at most max(`io_pages`, `ra_pages`), no
/// mark, and `ra` untouched.
pub fn force_page_cache_ra(
    ra: &FileRaState,
    cache: &dyn CacheView,
    isize: u64,
    index: u64,
    nr_to_read: u64,
) -> Option<RaWindow> {
    let max_pages = cache.io_pages().max(ra.ra_pages);
    do_page_cache_ra(isize, index, nr_to_read.min(max_pages), 0)
}

/// `page_cache_ra_order`: read the window `ra` describes (`ra.size` pages from `ra.start`,
/// mark `ra.async_size` from the end) and settle `ra.order`. Without large folios that is
/// `do_page_cache_ra` (EOF clipping moves the mark) and order 0. With them the order is
/// `ra.order` capped by the mapping and by log2 of the window; folios are laid out
/// naturally aligned up to the last page before EOF, and the one holding the mark gets
/// it. A folio that would cover a present page stops the layout there; the rest of the
/// window goes to `do_page_cache_ra` (which skips present pages and can only mark past
/// that point). Also what `do_sync_mmap_readahead`'s read-around calls after setting
/// `start`, `size`, `async_size` and `order = 0`.
pub fn page_cache_ra_order(
    ra: &mut FileRaState,
    cache: &dyn CacheView,
    isize: u64,
) -> Option<RaWindow> {
    let start = ra.start;
    let max_order = cache.max_folio_order();
    if max_order == 0 {
        ra.order = 0;
        return do_page_cache_ra(isize, start, ra.size, ra.async_size);
    }
    let mut new_order = max_order.min(ra.order);
    if ra.size > 0 {
        new_order = new_order.min(ra.size.ilog2());
    }
    ra.order = new_order;
    // An empty window reads nothing; an empty file never gets here (filemap_read stops
    // at EOF before asking for read-ahead).
    if isize == 0 || ra.size == 0 {
        return None;
    }
    let limit = ((isize - 1) >> PAGE_SHIFT).min(start.saturating_add(ra.size - 1));
    let mark = start.wrapping_add(ra.size).wrapping_sub(ra.async_size);
    let mut marked = None;
    let mut index = start;
    let mut blocked = false;
    while index <= limit {
        let mut order = new_order;
        if (index & ((1u64 << order) - 1)) != 0 {
            order = index.trailing_zeros();
        }
        while order > 0 && index + (1u64 << order) - 1 > limit {
            order -= 1;
        }
        let n = 1u64 << order;
        // filemap_add_folio fails with -EEXIST if any page of the range is present.
        if (index..index + n).any(|i| cache.present(i)) {
            blocked = true;
            break;
        }
        // ra_alloc_folio: round the mark down to the folio; mark it if that is this one.
        if (mark & !(n - 1)) == index {
            marked = Some(index);
        }
        index += n;
    }
    let done = index - start;
    let rest = if blocked && ra.size > done {
        do_page_cache_ra(isize, index, ra.size - done, ra.async_size)
    } else {
        None
    };
    match rest {
        Some(w) => Some(RaWindow {
            start,
            nr: w.start + w.nr - start,
            mark: marked.or(w.mark),
        }),
        None if done > 0 => Some(RaWindow {
            start,
            nr: done,
            mark: marked,
        }),
        None => None,
    }
}

/// Read path miss: `page_cache_sync_ra`. `isize` = file size in bytes; `random` = FMODE_RANDOM
/// (POSIX_FADV_RANDOM).
///
/// * FMODE_RANDOM, or `ra_pages == 0` (then with `req_count` 1): forced read of the
///   request, state untouched.
/// * Start of file, a request over the limit, or a sequential miss (`index` is the page
///   of `prev_pos` or the next one — `prev_pos` is the end of the previous read): a new
///   window at `index` of `get_init_ra_size(req_count)`, async part = what exceeds the
///   request (half the window if nothing does).
/// * Otherwise context read-ahead: count the cached pages just before `index`
///   (`page_cache_prev_miss`, at most the limit). No more than the request → a
///   standalone random read of exactly the request, state untouched. More → a window of
///   history + request (history doubled when cached back to page 0), `async_size` 1.
pub fn page_cache_sync_ra(
    ra: &mut FileRaState,
    cache: &dyn CacheView,
    isize: u64,
    index: u64,
    req_count: u64,
    random: bool,
) -> Option<RaWindow> {
    let mut req_count = req_count;
    let mut forced = random;
    if ra.ra_pages == 0 {
        req_count = 1;
        forced = true;
    }
    if forced {
        return force_page_cache_ra(ra, cache, isize, index, req_count);
    }
    let max_pages = ractl_max_pages(ra, cache, req_count);
    // `(unsigned long long)ra->prev_pos >> PAGE_SHIFT`, with -1 for "no read yet".
    let prev_index = ra.prev_pos.unwrap_or(u64::MAX) >> PAGE_SHIFT;
    if index == 0 || req_count > max_pages || index.wrapping_sub(prev_index) <= 1 {
        ra.start = index;
        ra.size = get_init_ra_size(req_count, max_pages);
        ra.async_size = if ra.size > req_count {
            ra.size - req_count
        } else {
            ra.size >> 1
        };
    } else {
        let miss = page_cache_prev_miss(cache, index - 1, max_pages);
        let mut contig_count = index.wrapping_sub(miss).wrapping_sub(1);
        if contig_count <= req_count {
            return do_page_cache_ra(isize, index, req_count, 0);
        }
        if miss == u64::MAX {
            contig_count = contig_count.saturating_mul(2);
        }
        ra.start = index;
        ra.size = contig_count.saturating_add(req_count).min(max_pages);
        ra.async_size = 1;
    }
    ra.order = 0;
    page_cache_ra_order(ra, cache, isize)
}

/// The read path reached a folio with PG_readahead set (folio covering [folio_index,
/// folio_index+folio_nr)); the caller clears the flag first.
///
/// Nothing when `ra_pages` is 0 (the kernel then leaves the flag set). If the folio is
/// where the last window put its mark, the next window follows it (`start += size`) and
/// ramps (`get_next_ra_size`, never shrinking). Otherwise (interleaved streams, a state
/// another reader moved) the old window is guessed from the cache: the first absent page
/// after the folio (`page_cache_next_miss`) starts the new window, sized by ramping
/// (gap + `req_count`); no gap within the limit → nothing. Then the order grows by 2 and
/// the window end is rounded down to 2^min(order, trailing zeros of the limit) pages if
/// that leaves something; all of it is asynchronous (the mark is its first page).
pub fn page_cache_async_ra(
    ra: &mut FileRaState,
    cache: &dyn CacheView,
    isize: u64,
    folio_index: u64,
    folio_nr: u64,
    req_count: u64,
) -> Option<RaWindow> {
    if ra.ra_pages == 0 {
        return None;
    }
    let max_pages = ractl_max_pages(ra, cache, req_count);
    let nr = folio_nr.max(1);
    let target = ra.start.wrapping_add(ra.size).wrapping_sub(ra.async_size);
    let expected = target - target % nr;
    if folio_index == expected {
        ra.start = ra.start.wrapping_add(ra.size);
        ra.size = ra.size.max(get_next_ra_size(ra.size, max_pages));
    } else {
        let start = page_cache_next_miss(cache, folio_index.wrapping_add(1), max_pages);
        if start == 0 || start.wrapping_sub(folio_index) > max_pages {
            return None;
        }
        ra.start = start;
        let old_async = (start - folio_index).saturating_add(req_count);
        ra.size = get_next_ra_size(old_async, max_pages);
    }
    ra.order = ra.order.saturating_add(2);
    let align = 1u64 << ra.order.min(max_pages.trailing_zeros());
    let end = ra.start.saturating_add(ra.size);
    let aligned_end = end & !(align - 1);
    if aligned_end > ra.start {
        ra.size -= end - aligned_end;
    }
    ra.async_size = ra.size;
    page_cache_ra_order(ra, cache, isize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const PAGE: u64 = 4096;
    /// A file large enough that EOF plays no part.
    const BIG: u64 = 1 << 40;

    /// Present pages and `PG_readahead` marks, with the device and mapping limits.
    struct Cache {
        pages: HashSet<u64>,
        marks: HashSet<u64>,
        io_pages: u64,
        max_order: u32,
    }

    impl Cache {
        fn new(io_pages: u64, max_order: u32) -> Self {
            Cache {
                pages: HashSet::new(),
                marks: HashSet::new(),
                io_pages,
                max_order,
            }
        }

        fn with(pages: impl IntoIterator<Item = u64>, io_pages: u64, max_order: u32) -> Self {
            let mut c = Cache::new(io_pages, max_order);
            c.pages.extend(pages);
            c
        }

        /// Allocate the absent pages of `w` (the mark only if its page is one of them);
        /// returns how many.
        fn apply(&mut self, w: RaWindow) -> u64 {
            let mut n = 0;
            for i in w.start..w.start + w.nr {
                if self.pages.insert(i) {
                    n += 1;
                    if w.mark == Some(i) {
                        self.marks.insert(i);
                    }
                }
            }
            n
        }
    }

    impl CacheView for Cache {
        fn present(&self, index: u64) -> bool {
            self.pages.contains(&index)
        }
        fn io_pages(&self) -> u64 {
            self.io_pages
        }
        fn max_folio_order(&self) -> u32 {
            self.max_order
        }
    }

    /// Windows that read something, as (first page, pages read).
    struct Run {
        windows: Vec<(u64, u64)>,
        sync_calls: u64,
        pages_read: u64,
    }

    impl Run {
        fn record(&mut self, c: &mut Cache, w: Option<RaWindow>) {
            if let Some(w) = w {
                let n = c.apply(w);
                if n > 0 {
                    self.windows.push((w.start, n));
                    self.pages_read += n;
                }
            }
        }
    }

    /// A cold `npages`-page file read 4 KiB per read(2) from 0 to EOF, as filemap_read
    /// drives read-ahead: a miss → `page_cache_sync_ra(index, 1)` (then the page alone
    /// if still absent); a marked page → clear, `page_cache_async_ra(index, 1, 1)`;
    /// `prev_pos` = end of the read.
    fn sequential(ra_pages: u64, max_order: u32, npages: u64) -> Run {
        let isize = npages * PAGE;
        let mut c = Cache::new(DEFAULT_IO_PAGES, max_order);
        let mut ra = FileRaState::new(ra_pages);
        let mut run = Run {
            windows: Vec::new(),
            sync_calls: 0,
            pages_read: 0,
        };
        for index in 0..npages {
            if !c.present(index) {
                run.sync_calls += 1;
                let w = page_cache_sync_ra(&mut ra, &c, isize, index, 1, false);
                run.record(&mut c, w);
                if c.pages.insert(index) {
                    run.pages_read += 1;
                }
            }
            if c.marks.remove(&index) {
                let w = page_cache_async_ra(&mut ra, &c, isize, index, 1, 1);
                run.record(&mut c, w);
            }
            ra.prev_pos = Some((index + 1) * PAGE);
        }
        run
    }

    #[test]
    fn init_and_next_sizes() {
        // max 32 (128 KiB): 1–2 pages → 4, 3–4 → 8, 5–8 → 16, 9+ → 32.
        let init: Vec<u64> = [1, 2, 3, 4, 5, 8, 9, 64]
            .iter()
            .map(|&s| get_init_ra_size(s, 32))
            .collect();
        assert_eq!(init, [4, 4, 8, 8, 16, 16, 32, 32]);
        // max 2048: 1 → 4 (1 ≤ 64), 32 → 128, 128 → 256 (≤ 512), 1024 → 2048.
        let init: Vec<u64> = [1, 32, 128, 1024]
            .iter()
            .map(|&s| get_init_ra_size(s, 2048))
            .collect();
        assert_eq!(init, [4, 128, 256, 2048]);
        // max 32: ×4 below 2, ×2 up to 16, then 32 (also down from 100).
        let next: Vec<u64> = [1, 4, 8, 16, 17, 32, 100]
            .iter()
            .map(|&s| get_next_ra_size(s, 32))
            .collect();
        assert_eq!(next, [4, 8, 16, 32, 32, 32, 32]);
        // max 2048: ×4 below 128, ×2 up to 1024, then 2048.
        let next: Vec<u64> = [4, 16, 60, 240, 1024, 2048]
            .iter()
            .map(|&s| get_next_ra_size(s, 2048))
            .collect();
        assert_eq!(next, [16, 64, 240, 480, 2048, 2048]);
    }

    #[test]
    fn cold_start_of_file_and_first_marker() {
        let mut c = Cache::new(DEFAULT_IO_PAGES, EXT4_MAX_FOLIO_ORDER);
        let mut ra = FileRaState::new(32);
        // index 0, 1 page: get_init_ra_size(1, 32) = 4, async 4 − 1 = 3 → mark 0+4−3 = 1.
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 0, 1, false);
        let first = RaWindow {
            start: 0,
            nr: 4,
            mark: Some(1),
        };
        assert_eq!(w, Some(first));
        assert_eq!((ra.start, ra.size, ra.async_size, ra.order), (0, 4, 3, 0));
        c.apply(first);
        ra.prev_pos = Some(PAGE);
        // Marker at 1 = expected: start 4, size max(4, get_next(4) = 8) = 8; order 2,
        // align 4, end 12 stays; all async, mark 4. Order-2 folios: order min(2, log2 8).
        let w = page_cache_async_ra(&mut ra, &c, BIG, 1, 1, 1);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 4,
                nr: 8,
                mark: Some(4),
            })
        );
        assert_eq!((ra.start, ra.size, ra.async_size, ra.order), (4, 8, 8, 2));
    }

    #[test]
    fn sequential_128k_large_folios_matches_kernel_2053() {
        // ext4 (large folios), read_ahead_kb 128, 256 MiB one page per read:
        // 4, 8, then async at 4: start 12 size 16, order 4 → align 16 → end 28 cut to 16
        // → 4 pages; then 8 (end 24 not cut), 8 (order 5, end 40 → 32), 16, 16 (end 80 →
        // 64), then 32 for ever (order capped at 5 by log2 32). 7 windows to page 64,
        // then 65472 / 32 = 2046 → 2053, the number of requests the real kernel issues.
        let run = sequential(32, EXT4_MAX_FOLIO_ORDER, 65536);
        assert_eq!(
            run.windows[..9],
            [
                (0, 4),
                (4, 8),
                (12, 4),
                (16, 8),
                (24, 8),
                (32, 16),
                (48, 16),
                (64, 32),
                (96, 32),
            ]
        );
        assert!(run.windows[7..].iter().all(|&(_, n)| n == 32));
        assert_eq!(run.windows.len(), 2053);
        assert_eq!((run.sync_calls, run.pages_read), (1, 65536));
    }

    #[test]
    fn sequential_128k_order0() {
        // Without large folios the order is 0 before each async step, align 4 never
        // cuts: 4, 8, 16, 32 … — 3 windows to page 28, 2047 of 32 to 65532, and one
        // clipped to the last 4 pages: 2051.
        let run = sequential(32, 0, 65536);
        assert_eq!(
            run.windows[..5],
            [(0, 4), (4, 8), (12, 16), (28, 32), (60, 32)]
        );
        assert_eq!(run.windows.len(), 2051);
        assert_eq!(run.windows.last(), Some(&(65532, 4)));
        assert_eq!((run.sync_calls, run.pages_read), (1, 65536));
    }

    #[test]
    fn sequential_8m_large_folios() {
        // read_ahead_kb 8192 (max 2048, trailing zeros 11), ext4:
        // 4; 16 (order 2); 64 → end 84 cut to 80 (align 16): 60; 240 (order 6, end 320
        // aligned); 480 → end 800 cut to 768 (align 256): 448; 896 → end 1664 cut to
        // 1024 (align 1024): 256; 512; 1024 → cut to 512 (align 2048); 1024; 2048 → cut
        // to 1024; then 2048 from page 4096: 10 + 30 = 40 windows.
        let run = sequential(2048, EXT4_MAX_FOLIO_ORDER, 65536);
        assert_eq!(
            run.windows[..11],
            [
                (0, 4),
                (4, 16),
                (20, 60),
                (80, 240),
                (320, 448),
                (768, 256),
                (1024, 512),
                (1536, 512),
                (2048, 1024),
                (3072, 1024),
                (4096, 2048),
            ]
        );
        assert!(run.windows[10..].iter().all(|&(_, n)| n == 2048));
        assert_eq!(run.windows.len(), 40);
        assert_eq!((run.sync_calls, run.pages_read), (1, 65536));
    }

    #[test]
    fn sequential_8m_order0() {
        // 4, 16, 64, 256, 512, 1024, 2048 (7 windows to page 3924), 30 of 2048 to 65364,
        // the last clipped to 172 pages: 38.
        let run = sequential(2048, 0, 65536);
        assert_eq!(
            run.windows[..8],
            [
                (0, 4),
                (4, 16),
                (20, 64),
                (84, 256),
                (340, 512),
                (852, 1024),
                (1876, 2048),
                (3924, 2048),
            ]
        );
        assert_eq!(run.windows.len(), 38);
        assert_eq!(run.windows.last(), Some(&(65364, 172)));
        assert_eq!((run.sync_calls, run.pages_read), (1, 65536));
    }

    #[test]
    fn random_pread_of_one_page_in_cold_file() {
        // Not page 0, no previous read (prev_pos -1), page 99 absent: prev_miss = 99,
        // history 0 ≤ 1 → do_page_cache_ra(1, 0): exactly the page, no mark, no state.
        let c = Cache::new(DEFAULT_IO_PAGES, EXT4_MAX_FOLIO_ORDER);
        let mut ra = FileRaState::new(32);
        let before = ra;
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 100, 1, false);
        let one = RaWindow {
            start: 100,
            nr: 1,
            mark: None,
        };
        assert_eq!(w, Some(one));
        assert_eq!(ra, before);
        // The same after an unrelated earlier read ending at byte 4096 (prev index 1).
        ra.prev_pos = Some(PAGE);
        let before = ra;
        assert_eq!(
            page_cache_sync_ra(&mut ra, &c, BIG, 100, 1, false),
            Some(one)
        );
        assert_eq!(ra, before);
    }

    #[test]
    fn sequential_miss_follows_prev_pos() {
        let c = Cache::new(DEFAULT_IO_PAGES, EXT4_MAX_FOLIO_ORDER);
        // Previous read ended at page 100's start (prev index 100): index − prev = 0.
        let mut ra = FileRaState::new(32);
        ra.prev_pos = Some(100 * PAGE);
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 100, 1, false);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 100,
                nr: 4,
                mark: Some(101),
            })
        );
        // Ended inside page 99 (prev index 99): difference 1, still sequential.
        let mut ra = FileRaState::new(32);
        ra.prev_pos = Some(99 * PAGE + 10);
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 100, 1, false);
        assert_eq!(w.map(|w| (w.start, w.nr)), Some((100, 4)));
        // Ended inside page 98: difference 2, a random read of one page.
        let mut ra = FileRaState::new(32);
        ra.prev_pos = Some(98 * PAGE + 4095);
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 100, 1, false);
        assert_eq!(w.map(|w| (w.start, w.nr, w.mark)), Some((100, 1, None)));
    }

    #[test]
    fn context_readahead_from_history() {
        let order = EXT4_MAX_FOLIO_ORDER;
        // 10 cached pages 90..99, 89 absent: history 100 − 89 − 1 = 10 > 1 → window
        // min(10 + 1, 32) = 11 at 100, async 1 → mark 110.
        let c = Cache::with(90..100, DEFAULT_IO_PAGES, order);
        let mut ra = FileRaState::new(32);
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 100, 1, false);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 100,
                nr: 11,
                mark: Some(110),
            })
        );
        assert_eq!(
            (ra.start, ra.size, ra.async_size, ra.order),
            (100, 11, 1, 0)
        );

        // Cached back to page 0 (0..9): the scan runs below 0 → miss = ULONG_MAX,
        // history 10 doubled to 20 → window 21 at 10, mark 30.
        let c = Cache::with(0..10, DEFAULT_IO_PAGES, order);
        let mut ra = FileRaState::new(32);
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 10, 1, false);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 10,
                nr: 21,
                mark: Some(30),
            })
        );

        // 40 cached pages: the scan stops after 32 at page 68 (present), history 31 →
        // window 32, mark 131.
        let c = Cache::with(60..100, DEFAULT_IO_PAGES, order);
        let mut ra = FileRaState::new(32);
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 100, 1, false);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 100,
                nr: 32,
                mark: Some(131),
            })
        );

        // Pages 0..31 at index 32: the scan ends exactly on page 0 (no wrap) → miss 0,
        // history 31, not doubled → 32 pages, mark 63.
        let c = Cache::with(0..32, DEFAULT_IO_PAGES, order);
        let mut ra = FileRaState::new(32);
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 32, 1, false);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 32,
                nr: 32,
                mark: Some(63),
            })
        );

        // History no longer than the request (3 pages, 4 asked): standalone read of 4.
        let c = Cache::with(97..100, DEFAULT_IO_PAGES, order);
        let mut ra = FileRaState::new(32);
        let before = ra;
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 100, 4, false);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 100,
                nr: 4,
                mark: None,
            })
        );
        assert_eq!(ra, before);
    }

    #[test]
    fn fmode_random_and_no_readahead() {
        let c = Cache::new(0, EXT4_MAX_FOLIO_ORDER);
        let mut ra = FileRaState::new(32);
        let before = ra;
        // FMODE_RANDOM: the request as is, no mark, state untouched.
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 100, 8, true);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 100,
                nr: 8,
                mark: None,
            })
        );
        assert_eq!(ra, before);
        // Capped at max(io_pages, ra_pages): 32 with io_pages 0, 100 with 320.
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 100, 100, true);
        assert_eq!(w.map(|w| w.nr), Some(32));
        let c = Cache::new(320, EXT4_MAX_FOLIO_ORDER);
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 100, 100, true);
        assert_eq!(w.map(|w| w.nr), Some(100));
        assert_eq!(ra, before);
        // ra_pages 0: forced, one page; the async path does nothing.
        let mut ra = FileRaState::new(0);
        let before = ra;
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 100, 8, false);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 100,
                nr: 1,
                mark: None,
            })
        );
        assert_eq!(page_cache_async_ra(&mut ra, &c, BIG, 100, 1, 8), None);
        assert_eq!(ra, before);
    }

    #[test]
    fn oversized_read() {
        // 64 pages at page 0, read_ahead_kb 128, io_pages 0 (not above ra_pages): max 32,
        // get_init_ra_size(64, 32) = 32, not above the request → async 32 / 2 = 16.
        let c = Cache::new(0, EXT4_MAX_FOLIO_ORDER);
        let mut ra = FileRaState::new(32);
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 0, 64, false);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 0,
                nr: 32,
                mark: Some(16),
            })
        );
        assert_eq!((ra.start, ra.size, ra.async_size), (0, 32, 16));
        // Same in mid-file with no sequential history: oversized counts as sequential.
        let mut ra = FileRaState::new(32);
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 1000, 64, false);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 1000,
                nr: 32,
                mark: Some(1016),
            })
        );
        // io_pages 320 (max_sectors_kb 1280): max = min(64, 320) = 64 → 64, mark 32.
        let c = Cache::new(320, EXT4_MAX_FOLIO_ORDER);
        let mut ra = FileRaState::new(32);
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 0, 64, false);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 0,
                nr: 64,
                mark: Some(32),
            })
        );
        // 1000 pages: max = min(1000, 320) = 320 → 320, async 160.
        let mut ra = FileRaState::new(32);
        let w = page_cache_sync_ra(&mut ra, &c, BIG, 0, 1000, false);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 0,
                nr: 320,
                mark: Some(160),
            })
        );
    }

    #[test]
    fn eof_clipping() {
        // 10000 bytes = pages 0..=2. Window 4 with async 3 at page 0.
        // Order 0 (do_page_cache_ra): cut to 3, mark counted from the cut end → page 0.
        let c = Cache::new(DEFAULT_IO_PAGES, 0);
        let mut ra = FileRaState::new(32);
        let w = page_cache_sync_ra(&mut ra, &c, 10_000, 0, 1, false);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 0,
                nr: 3,
                mark: Some(0),
            })
        );
        assert_eq!((ra.start, ra.size, ra.async_size), (0, 4, 3));
        // Large folios (page_cache_ra_order's layout): limit 2, mark stays at 0+4−3 = 1.
        let c = Cache::new(DEFAULT_IO_PAGES, EXT4_MAX_FOLIO_ORDER);
        let mut ra = FileRaState::new(32);
        let w = page_cache_sync_ra(&mut ra, &c, 10_000, 0, 1, false);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 0,
                nr: 3,
                mark: Some(1),
            })
        );
        // A window starting past EOF reads nothing: 4-page file, pages 0..3 in, marker
        // at 1 → next window at 4 (state still moves, as in the kernel).
        for order in [0, EXT4_MAX_FOLIO_ORDER] {
            let c = Cache::with(0..4, DEFAULT_IO_PAGES, order);
            let mut ra = FileRaState::new(32);
            ra.size = 4;
            ra.async_size = 3;
            assert_eq!(page_cache_async_ra(&mut ra, &c, 4 * PAGE, 1, 1, 1), None);
            assert_eq!((ra.start, ra.size), (4, 8));
            // A miss past EOF, too.
            let mut ra = FileRaState::new(32);
            assert_eq!(
                page_cache_sync_ra(&mut ra, &c, 4 * PAGE, 10, 1, false),
                None
            );
        }
        // One byte into the second page: 2 pages.
        let c = Cache::new(DEFAULT_IO_PAGES, 0);
        let mut ra = FileRaState::new(32);
        let w = page_cache_sync_ra(&mut ra, &c, PAGE + 1, 0, 1, false);
        assert_eq!(w.map(|w| (w.nr, w.mark)), Some((2, None)));
    }

    #[test]
    fn async_restart_from_cache_contents() {
        // Fresh state (another reader left the mark): expected = 0 ≠ 100, so the old
        // window is guessed: pages 100..115 cached, first gap 116 → size get_next(16 + 1)
        // = 32, order 0 + 2, align 4 keeps end 148; all async, mark 116.
        let c = Cache::with(100..116, DEFAULT_IO_PAGES, EXT4_MAX_FOLIO_ORDER);
        let mut ra = FileRaState::new(32);
        let w = page_cache_async_ra(&mut ra, &c, BIG, 100, 1, 1);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 116,
                nr: 32,
                mark: Some(116),
            })
        );
        assert_eq!(
            (ra.start, ra.size, ra.async_size, ra.order),
            (116, 32, 32, 2)
        );
        // No gap within 32 pages after the folio (next_miss → 101 + 32 = 133, 33 away):
        // nothing, state untouched.
        let c = Cache::with(100..141, DEFAULT_IO_PAGES, EXT4_MAX_FOLIO_ORDER);
        let mut ra = FileRaState::new(32);
        let before = ra;
        assert_eq!(page_cache_async_ra(&mut ra, &c, BIG, 100, 1, 1), None);
        assert_eq!(ra, before);
    }

    #[test]
    fn large_folio_layout_stopped_by_present_page() {
        // Window 64..96, all async, order 5: the one 32-page folio would cover present
        // page 80 → nothing laid out, order-0 fallback from 64 marks 64.
        let c = Cache::with([80], DEFAULT_IO_PAGES, EXT4_MAX_FOLIO_ORDER);
        let mut ra = FileRaState::new(32);
        (ra.start, ra.size, ra.async_size, ra.order) = (64, 32, 32, 5);
        let w = page_cache_ra_order(&mut ra, &c, BIG);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 64,
                nr: 32,
                mark: Some(64),
            })
        );
        // Order 4: folio 64..80 laid out and marked, 80..96 blocked; the fallback from 80
        // (16 pages, lookahead 32) marks nothing more.
        (ra.start, ra.size, ra.async_size, ra.order) = (64, 32, 32, 4);
        let w = page_cache_ra_order(&mut ra, &c, BIG);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 64,
                nr: 32,
                mark: Some(64),
            })
        );
        assert_eq!(ra.order, 4);
        // Mmap read-around (do_sync_mmap_readahead) at page 100, ra_pages 32: start 84,
        // size 32, async 8, order 0 → mark 84 + 32 − 8 = 108.
        let c = Cache::new(DEFAULT_IO_PAGES, EXT4_MAX_FOLIO_ORDER);
        (ra.start, ra.size, ra.async_size, ra.order) = (84, 32, 8, 0);
        let w = page_cache_ra_order(&mut ra, &c, BIG);
        assert_eq!(
            w,
            Some(RaWindow {
                start: 84,
                nr: 32,
                mark: Some(108),
            })
        );
    }

    #[test]
    fn miss_scans() {
        let c = Cache::with(5..10, DEFAULT_IO_PAGES, 0);
        // Backwards from 9: 9..5 present, 4 absent.
        assert_eq!(page_cache_prev_miss(&c, 9, 32), 4);
        // Only 3 looked at (9, 8, 7), all present: the last one looked at.
        assert_eq!(page_cache_prev_miss(&c, 9, 3), 7);
        // Forwards from 5: gap at 10; none within 3 → 5 + 3.
        assert_eq!(page_cache_next_miss(&c, 5, 32), 10);
        assert_eq!(page_cache_next_miss(&c, 5, 3), 8);
        // Running below page 0.
        let c = Cache::with(0..3, DEFAULT_IO_PAGES, 0);
        assert_eq!(page_cache_prev_miss(&c, 2, 32), u64::MAX);
        assert_eq!(page_cache_prev_miss(&c, 2, 3), 0);
    }
}
