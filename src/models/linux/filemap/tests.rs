//! Unit tests of the parent module.

use super::*;
use std::collections::HashSet;

/// A file of 2^40 bytes: EOF never matters.
const BIG: u64 = 1 << 40;
const BIG_PAGES: u64 = BIG / PAGE_SIZE;

struct Pages(HashSet<u64>);

impl CacheView for Pages {
    fn present(&self, index: u64) -> bool {
        self.0.contains(&index)
    }
}

fn empty() -> Pages {
    Pages(HashSet::new())
}

fn ra(ra_pages: u64) -> FileRaState {
    FileRaState {
        ra_pages,
        ..FileRaState::default()
    }
}

fn page(index: u64) -> RaWindow {
    RaWindow {
        start: index,
        nr: 1,
        mark: None,
    }
}

/// do_sync_mmap_readahead on a `VmAdvice::Normal` mapping (never calls sync RA).
fn read_around(ra: &mut FileRaState, isize: u64, index: u64) -> Option<RaWindow> {
    sync_mmap_readahead(ra, &empty(), isize, index, VmAdvice::Normal, no_sync_ra)
}

/// do_sync_mmap_readahead with a stand-in for `page_cache_sync_ra`.
fn sync_with(ra: &mut FileRaState, advice: VmAdvice, f: SyncRaFn) -> Option<RaWindow> {
    sync_mmap_readahead(ra, &empty(), BIG, 1000, advice, f)
}

/// Stand-in for `page_cache_sync_ra`: echoes its arguments in the window.
fn echo_sync_ra(
    ra: &mut FileRaState,
    _cache: &dyn CacheView,
    _isize: u64,
    index: u64,
    req_count: u64,
    random: bool,
) -> Option<RaWindow> {
    ra.start = index;
    ra.size = req_count;
    Some(RaWindow {
        start: index,
        nr: req_count,
        mark: Some(u64::from(random)),
    })
}

/// Stand-in for a `page_cache_sync_ra` that reads nothing.
fn none_sync_ra(
    _ra: &mut FileRaState,
    _cache: &dyn CacheView,
    _isize: u64,
    _index: u64,
    _req_count: u64,
    _random: bool,
) -> Option<RaWindow> {
    None
}

/// For paths that must not call `page_cache_sync_ra` at all.
fn no_sync_ra(
    _ra: &mut FileRaState,
    _cache: &dyn CacheView,
    _isize: u64,
    _index: u64,
    _req_count: u64,
    _random: bool,
) -> Option<RaWindow> {
    panic!("page_cache_sync_ra called")
}

/// Stand-in for `page_cache_async_ra`: echoes its arguments in the window.
fn echo_async_ra(
    _ra: &mut FileRaState,
    _cache: &dyn CacheView,
    _isize: u64,
    folio_index: u64,
    folio_nr: u64,
    req_count: u64,
) -> Option<RaWindow> {
    Some(RaWindow {
        start: folio_index,
        nr: req_count,
        mark: Some(folio_nr),
    })
}

/// filemap_fault finding the folio at 1008 (one page).
fn found(ra: &mut FileRaState, locked: bool, readahead: bool, advice: VmAdvice) -> FoundOutcome {
    let folio = FoundFolio {
        index: 1008,
        nr: 1,
        locked,
        readahead,
    };
    fault_found(ra, &empty(), BIG, folio, advice, echo_async_ra)
}

/// fault_around_range for a file that never ends.
fn fa(index: u64, vma_first: u64, vma_end: u64, pages: u64) -> (u64, u64) {
    fault_around_range(index, vma_first, vma_end, BIG, pages)
}

// do_sync_mmap_readahead, read-around: start = 1000 - 32/2 = 984, size 32,
// async_size 32/4 = 8; page_cache_ra_order → do_page_cache_ra(32, 8) →
// page_cache_ra_unbounded marks i = 32 - 8 = 24, page 984 + 24 = 1008.
#[test]
fn read_around_is_centred_on_the_fault() {
    let mut r = ra(32);
    let w = read_around(&mut r, BIG, 1000).unwrap();
    assert_eq!(
        w,
        RaWindow {
            start: 984,
            nr: 32,
            mark: Some(1008),
        }
    );
    assert_eq!((r.start, r.size, r.async_size), (984, 32, 8));
    assert_eq!(r.mmap_miss, 1);
}

// do_sync_mmap_readahead: max_t(long, 0, 5 - 16) = 0; the window keeps all 32 pages
// (0..32) and the mark 32 - 8 = 24 pages in.
#[test]
fn read_around_near_the_start_is_clipped_at_0() {
    let mut r = ra(32);
    let w = read_around(&mut r, BIG, 5).unwrap();
    assert_eq!(
        w,
        RaWindow {
            start: 0,
            nr: 32,
            mark: Some(24),
        }
    );
    assert_eq!((r.start, r.size, r.async_size), (0, 32, 8));
}

// do_page_cache_ra: a 1010-page file (last page 1009), window 984..1016 is cut to
// 1009 - 984 + 1 = 26 pages; page_cache_ra_unbounded marks 26 - 8 = 18 in: 1002.
// ra->size stays 32 (the async trigger expected at 984 + 32 - 8 = 1008).
#[test]
fn read_around_near_eof_is_clipped_and_the_mark_moves() {
    for isize in [1010 * PAGE_SIZE, 1009 * PAGE_SIZE + 1] {
        let mut r = ra(32);
        let w = read_around(&mut r, isize, 1000).unwrap();
        assert_eq!(
            w,
            RaWindow {
                start: 984,
                nr: 26,
                mark: Some(1002),
            }
        );
        assert_eq!((r.start, r.size, r.async_size), (984, 32, 8));
    }
}

// A 6-page file, fault at 5: window 0..6; lookahead 8 > 6 pages, so
// page_cache_ra_unbounded sets no mark.
#[test]
fn read_around_shorter_than_async_size_has_no_mark() {
    let mut r = ra(32);
    let w = read_around(&mut r, 6 * PAGE_SIZE, 5).unwrap();
    assert_eq!(
        w,
        RaWindow {
            start: 0,
            nr: 6,
            mark: None,
        }
    );
}

// filemap_fault returns SIGBUS before do_sync_mmap_readahead for index >= EOF.
#[test]
fn fault_past_eof_reads_nothing() {
    let mut r = ra(32);
    assert_eq!(read_around(&mut r, 1000 * PAGE_SIZE, 1000), None);
    assert_eq!(read_around(&mut r, 0, 0), None);
    assert_eq!(r, ra(32));
}

// do_sync_mmap_readahead: (vm_flags & (VM_RAND_READ | VM_EXEC)) == VM_RAND_READ →
// return; filemap_fault then creates and reads just the page. mmap_miss untouched.
#[test]
fn vm_rand_read_reads_just_the_page() {
    let mut r = ra(32);
    r.mmap_miss = 7;
    let w = sync_with(&mut r, VmAdvice::Random, no_sync_ra);
    assert_eq!(w, Some(page(1000)));
    assert_eq!(r.mmap_miss, 7);
    assert_eq!((r.start, r.size, r.async_size), (0, 0, 0));
}

// do_sync_mmap_readahead: !ra->ra_pages → return, before VM_SEQ_READ and mmap_miss.
#[test]
fn no_ra_pages_reads_just_the_page() {
    for advice in [VmAdvice::Normal, VmAdvice::Sequential] {
        let mut r = ra(0);
        let w = sync_with(&mut r, advice, no_sync_ra);
        assert_eq!(w, Some(page(1000)));
        assert_eq!(r.mmap_miss, 0);
    }
}

// do_sync_mmap_readahead: VM_SEQ_READ → page_cache_sync_ra(&ractl, ra->ra_pages) at
// the faulting index, not random (FMODE_RANDOM not modelled); mmap_miss untouched,
// even above MMAP_LOTSAMISS. If it reads nothing, filemap_fault reads the page.
#[test]
fn vm_seq_read_is_sync_readahead_with_ra_pages() {
    let mut r = ra(32);
    r.mmap_miss = 150;
    let w = sync_with(&mut r, VmAdvice::Sequential, echo_sync_ra);
    let want = RaWindow {
        start: 1000,
        nr: 32,
        mark: Some(0),
    };
    assert_eq!(w, Some(want));
    assert_eq!((r.start, r.size, r.mmap_miss), (1000, 32, 150));
    let w = sync_with(&mut r, VmAdvice::Sequential, none_sync_ra);
    assert_eq!(w, Some(page(1000)));
}

// do_sync_mmap_readahead: ++mmap_miss while below 1000; read-around while the new
// value is <= 100. Misses 1..=100 read around; the 101st (mmap_miss 101) reads just
// the page and leaves the window state alone; the count stops at 1000.
#[test]
fn mmap_miss_rises_to_lotsamiss_then_read_around_stops() {
    let mut r = ra(32);
    for n in 1..=100u32 {
        let index = 1000 + 64 * u64::from(n);
        let w = read_around(&mut r, BIG, index).unwrap();
        assert_eq!((w.start, w.nr), (index - 16, 32));
        assert_eq!(r.mmap_miss, n);
    }
    let before = r;
    let w = read_around(&mut r, BIG, 50_000).unwrap();
    assert_eq!(w, page(50_000));
    assert_eq!(r.mmap_miss, 101);
    assert_eq!((r.start, r.size), (before.start, before.size));
    r.mmap_miss = 999;
    read_around(&mut r, BIG, 60_000);
    assert_eq!(r.mmap_miss, MMAP_MISS_MAX);
    read_around(&mut r, BIG, 70_000);
    assert_eq!(r.mmap_miss, MMAP_MISS_MAX);
}

// filemap_map_pages: mmap_miss_saved - mmap_miss, or 0 if the count is larger.
// From 101, mapping 16 pages leaves 85; the next miss makes 86 <= 100: read-around.
#[test]
fn fault_around_lowers_mmap_miss_and_read_around_resumes() {
    let mut r = ra(32);
    r.mmap_miss = 101;
    filemap_map_pages_mmap_miss(&mut r, 16);
    assert_eq!(r.mmap_miss, 85);
    let w = read_around(&mut r, BIG, 1000).unwrap();
    assert_eq!((w.start, w.nr, r.mmap_miss), (984, 32, 86));
    filemap_map_pages_mmap_miss(&mut r, 0);
    assert_eq!(r.mmap_miss, 86);
    filemap_map_pages_mmap_miss(&mut r, 86);
    assert_eq!(r.mmap_miss, 0);
    r.mmap_miss = 3;
    filemap_map_pages_mmap_miss(&mut r, 512);
    assert_eq!(r.mmap_miss, 0);
    filemap_map_pages_mmap_miss(&mut r, u64::MAX);
    assert_eq!(r.mmap_miss, 0);
}

// A major fault at 1000 reads 984..1016 (mark 1008), mmap_miss 0 → 1. The retried
// fault runs do_fault_around again: 992..1008, all uptodate and unlocked, none
// marked: 16 pages count and mmap_miss goes back to 0. At 1010 the read-around is
// 994..1026 with the mark at 1018, inside fault-around's 1008..1024: 15 count.
#[test]
fn the_retry_after_a_major_fault_maps_the_read_around_pages() {
    for (index, miss_before, counted, miss_after) in [(1000, 0, 16, 0), (1010, 20, 15, 6)] {
        let mut r = ra(32);
        r.mmap_miss = miss_before;
        let w = read_around(&mut r, BIG, index).unwrap();
        let (s, e) = fa(index, 0, BIG_PAGES, DEFAULT_FAULT_AROUND_PAGES);
        let n = (s..e)
            .filter(|&k| {
                let read = (w.start..w.start + w.nr).contains(&k);
                let rule = filemap_map_page_rule(read, read, false, w.mark == Some(k));
                map_page_lowers_mmap_miss(rule, false)
            })
            .count() as u64;
        assert_eq!(n, counted);
        filemap_map_pages_mmap_miss(&mut r, n);
        assert_eq!(r.mmap_miss, miss_after);
    }
}

// do_async_mmap_readahead: an unlocked folio lowers mmap_miss (5 → 4); PG_readahead
// calls page_cache_async_ra(&ractl, folio, ra->ra_pages), which clears the flag.
#[test]
fn found_marked_folio_starts_async_readahead() {
    let want = RaWindow {
        start: 1008,
        nr: 32,
        mark: Some(1),
    };
    let mut r = ra(32);
    r.mmap_miss = 5;
    let out = found(&mut r, false, true, VmAdvice::Normal);
    assert_eq!(out.window, Some(want));
    assert!(out.clear_readahead);
    assert_eq!(r.mmap_miss, 4);
    r.mmap_miss = 5;
    let w = async_mmap_readahead(
        &mut r,
        &empty(),
        BIG,
        1008,
        1,
        VmAdvice::Sequential,
        echo_async_ra,
    );
    assert_eq!(w, Some(want));
    assert_eq!(r.mmap_miss, 4);
}

// do_async_mmap_readahead: a locked folio leaves mmap_miss alone but still starts
// the async read-ahead; an unmarked one only lowers mmap_miss; 0 stays 0.
#[test]
fn found_folio_mmap_miss_rules() {
    let mut r = ra(32);
    r.mmap_miss = 5;
    let out = found(&mut r, true, true, VmAdvice::Normal);
    assert!(out.clear_readahead && out.window.is_some());
    assert_eq!(r.mmap_miss, 5);
    let out = found(&mut r, false, false, VmAdvice::Normal);
    assert_eq!(out, FoundOutcome::default());
    assert_eq!(r.mmap_miss, 4);
    let out = found(&mut r, true, false, VmAdvice::Sequential);
    assert_eq!(out, FoundOutcome::default());
    assert_eq!(r.mmap_miss, 4);
    r.mmap_miss = 0;
    found(&mut r, false, false, VmAdvice::Normal);
    assert_eq!(r.mmap_miss, 0);
}

// do_async_mmap_readahead: VM_RAND_READ or !ra->ra_pages → return before anything:
// no mmap_miss change, no page_cache_async_ra, so PG_readahead is not cleared.
#[test]
fn found_folio_with_no_readahead_wanted_does_nothing() {
    for (ra_pages, advice) in [(32, VmAdvice::Random), (0, VmAdvice::Normal)] {
        let mut r = ra(ra_pages);
        r.mmap_miss = 5;
        let out = found(&mut r, false, true, advice);
        assert_eq!(out, FoundOutcome::default());
        assert_eq!(r.mmap_miss, 5);
    }
}

// next_uptodate_folio: skip if locked, !uptodate or PG_readahead; no entry → skip.
#[test]
fn map_page_rule() {
    use MapPage::{Map, Skip};
    assert_eq!(filemap_map_page_rule(true, true, false, false), Map);
    assert_eq!(filemap_map_page_rule(false, true, false, false), Skip);
    assert_eq!(filemap_map_page_rule(true, false, false, false), Skip);
    assert_eq!(filemap_map_page_rule(true, false, true, false), Skip);
    assert_eq!(filemap_map_page_rule(true, true, true, false), Skip);
    assert_eq!(filemap_map_page_rule(true, true, false, true), Skip);
    assert!(map_page_lowers_mmap_miss(Map, false));
    assert!(!map_page_lowers_mmap_miss(Map, true));
    assert!(!map_page_lowers_mmap_miss(Skip, false));
}

// do_fault_around with 16 pages: pte_off = 1000 % 512 = 488, from_pte =
// ALIGN_DOWN(488, 16) = 480, to_pte = 495: file pages 992..=1007.
#[test]
fn fault_around_is_the_aligned_block() {
    assert_eq!(fa(1000, 0, BIG_PAGES, 16), (992, 1008));
    // 24 pages' worth rounds down to 16, as fault_around_bytes_set does.
    assert_eq!(fa(1000, 0, BIG_PAGES, 24), (992, 1008));
    // 512 pages: the whole page table, 512..1024.
    assert_eq!(fa(1000, 0, BIG_PAGES, 512), (512, 1024));
    assert_eq!(fa(1000, 0, BIG_PAGES, 4096), (512, 1024));
}

// VMA of file pages 1021.. (PTE slot 509). Fault at 1023 (slot 511): from_pte =
// max(496, 511 - 2) = 509, to_pte = min3(525, 512, ..) - 1 = 511: 1021..1024, cut at
// the page table's end. Fault at 1024 (slot 0 of the next table): 1024..1040.
#[test]
fn fault_around_stops_at_the_page_table_boundary() {
    assert_eq!(fa(1023, 1021, BIG_PAGES, 16), (1021, 1024));
    assert_eq!(fa(1024, 1021, BIG_PAGES, 16), (1024, 1040));
    // Placement not 2 MiB-congruent: fault at 1000 in PTE slot 510, VMA from 990:
    // from_pte = max(496, 510 - 10) = 500, to_pte = min3(516, 512, ..) - 1 = 511.
    let r = fault_around_range_pte(1000, 990, BIG_PAGES, BIG, 16, 510);
    assert_eq!(r, (990, 1002));
}

// VMA start inside the block: from_pte = max(480, 488 - 5) = 483, to_pte = 498:
// 995..1011, the block moves up rather than shrinking. VMA end 1005: to_pte =
// min3(496, 512, 488 + 1005 - 1000) - 1 = 492: 992..1005.
#[test]
fn fault_around_stays_in_the_vma() {
    assert_eq!(fa(1000, 995, BIG_PAGES, 16), (995, 1011));
    assert_eq!(fa(1000, 0, 1005, 16), (992, 1005));
    assert_eq!(fa(1000, 1000, 1001, 16), (1000, 1001));
}

// filemap_map_pages: end_pgoff = min(end_pgoff, DIV_ROUND_UP(i_size) - 1): a file
// of 1003 pages and 100 bytes ends in page 1003, so 992..1004.
#[test]
fn fault_around_stops_at_eof() {
    let isize = 1003 * PAGE_SIZE + 100;
    let r = fault_around_range(1000, 0, BIG_PAGES, isize, 16);
    assert_eq!(r, (992, 1004));
}

// should_fault_around: fault_around_pages > 1; and nothing outside the VMA.
#[test]
fn no_fault_around() {
    assert_eq!(fa(1000, 0, BIG_PAGES, 1), (1000, 1000));
    assert_eq!(fa(1000, 0, BIG_PAGES, 0), (1000, 1000));
    assert_eq!(fa(1000, 1001, BIG_PAGES, 16), (1000, 1000));
    assert_eq!(fa(1000, 0, 1000, 16), (1000, 1000));
}
