//! Unit tests of the parent module.

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
