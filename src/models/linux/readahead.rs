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
mod tests;
