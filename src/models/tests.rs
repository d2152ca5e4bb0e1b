//! Tests of the yardstick cache shared by LRU and OPT.

use super::*;
use crate::trace::Flags;

/// A table of `sizes.len()` files named f0, f1, … with the given initial sizes.
pub(crate) fn table(sizes: &[Option<u64>]) -> FileTable {
    let mut t = FileTable::new();
    for (i, s) in sizes.iter().enumerate() {
        let id = t.intern(&format!("f{i}"));
        t.set_initial_size(id, *s, s.is_some());
    }
    t
}

pub(crate) fn ssd() -> DeviceSpec {
    "ssd".parse().unwrap()
}

/// Events spaced 1 ms apart, so every device request of one completes before the
/// next one starts.
pub(crate) struct Trace {
    pub(crate) events: Vec<Event>,
}

impl Trace {
    pub(crate) fn new() -> Self {
        Trace { events: Vec::new() }
    }

    pub(crate) fn push(&mut self, op: Op, file: FileId, off: Option<u64>, len: Option<u64>) {
        self.push_flags(op, file, off, len, Flags::NONE);
    }

    pub(crate) fn push_flags(
        &mut self,
        op: Op,
        file: FileId,
        off: Option<u64>,
        len: Option<u64>,
        flags: Flags,
    ) {
        self.events.push(Event {
            time_ns: 1_000_000 * (self.events.len() as u64 + 1),
            offset: off.unwrap_or(0),
            length: len.unwrap_or(0),
            file,
            pid: 1,
            op,
            flags,
            has_offset: off.is_some(),
            has_length: len.is_some(),
        });
    }

    /// A read of exactly page `p`.
    pub(crate) fn read(&mut self, file: FileId, p: u64) {
        self.push(Op::Read, file, Some(p * PAGE_SIZE), Some(PAGE_SIZE));
    }

    /// A write of exactly page `p`.
    pub(crate) fn write(&mut self, file: FileId, p: u64) {
        self.push(Op::Write, file, Some(p * PAGE_SIZE), Some(PAGE_SIZE));
    }
}

fn key(file: FileId, pindex: u64) -> PageKey {
    PageKey { file, pindex }
}

fn run(m: &mut impl Model, t: &Trace) -> RunStats {
    for e in &t.events {
        m.step(e);
    }
    m.finish()
}

/// Both models, on a fresh cache of `pages` pages, give the same answer for traces
/// where replacement never matters (or must not matter); returns (lru, opt) stats.
fn both(sizes: &[Option<u64>], pages: u64, t: &Trace) -> (RunStats, RunStats) {
    let files = table(sizes);
    let mut lru = Lru::new(&files, pages * PAGE_SIZE, ssd());
    let mut opt = Opt::new(&files, pages * PAGE_SIZE, ssd(), &t.events);
    (run(&mut lru, t), run(&mut opt, t))
}

#[test]
fn read_miss_costs_one_read_write_miss_none() {
    let mut t = Trace::new();
    t.read(0, 0); // miss: one demand read
    t.read(0, 0); // hit
    t.write(0, 1); // miss: no read
    t.write(0, 1); // hit
    t.push(Op::Read, 0, Some(100), Some(8000)); // pages 0 and 1: hits
    let (l, o) = both(&[Some(1 << 20)], 16, &t);
    for s in [&l, &o] {
        assert_eq!(s.counters.events, 5);
        assert_eq!(s.counters.page_misses, 2);
        assert_eq!(s.counters.page_hits, 4);
        assert_eq!(s.device.reads, 1);
        assert_eq!(s.device.sync_reads, 1);
        assert_eq!(s.device.read_bytes, PAGE_SIZE);
        assert_eq!(s.device.by_origin[Origin::Demand.index()][0], 1);
        assert_eq!(s.device.writes, 0);
        assert!(s.warnings.is_empty());
        // Only the missing read waited; every event has a latency sample.
        let r = s.latency.summary(Op::Read);
        assert_eq!(r.count, 3);
        assert!(r.max > 0);
        assert_eq!(s.latency.summary(Op::Write).count, 2);
        assert_eq!(s.latency.summary(Op::Write).max, 0);
        assert!(s.end_time_ns >= t.events[4].time_ns);
    }
}

#[test]
fn dirty_victim_costs_exactly_one_write() {
    let mut t = Trace::new();
    t.write(0, 0); // miss, dirty, no I/O
    t.read(0, 1); // miss: evicts dirty 0 (one async write) + one read
    t.read(0, 2); // miss: evicts clean 1, no write
    t.push(Op::FaultWrite, 0, Some(3 * PAGE_SIZE), Some(PAGE_SIZE)); // evicts clean 2
    t.push(Op::FaultRead, 0, Some(4 * PAGE_SIZE), Some(PAGE_SIZE)); // evicts dirty 3
    let (l, o) = both(&[Some(1 << 20)], 1, &t);
    for s in [&l, &o] {
        assert_eq!(s.counters.page_misses, 5);
        assert_eq!(s.counters.page_hits, 0);
        assert_eq!(s.device.writes, 2);
        assert_eq!(s.device.async_writes, 2);
        assert_eq!(s.device.write_bytes, 2 * PAGE_SIZE);
        assert_eq!(s.device.by_origin[Origin::PageoutLaunder.index()][2], 2);
        assert_eq!(s.device.reads, 3);
        // The laundering write is async: the fault that caused it waited for its
        // own read only, i.e. no longer than a plain read miss.
        assert!(s.end_time_ns >= t.events[4].time_ns);
    }
}

#[test]
fn truncate_drops_pages_from_ceil_without_writing() {
    let files = table(&[Some(0)]);
    let mut lru = Lru::new(&files, 64 * PAGE_SIZE, ssd());
    let mut t = Trace::new();
    for p in 0..5 {
        t.write(0, p);
    }
    t.push(Op::Truncate, 0, None, Some(2 * PAGE_SIZE + 1));
    for e in &t.events {
        lru.step(e);
    }
    assert_eq!(lru.resident(), 3);
    assert_eq!(lru.lookup(key(0, 2)), Some(true));
    assert_eq!(lru.lookup(key(0, 3)), None);
    assert_eq!(lru.lookup(key(0, 4)), None);
    // Exactly at a page boundary: page 2 goes too.
    lru.step(&Event {
        length: 2 * PAGE_SIZE,
        ..t.events[5]
    });
    assert_eq!(lru.resident(), 2);
    assert_eq!(lru.lookup(key(0, 2)), None);
    // An append now lands at the truncated size (page 2), as a fresh miss.
    let mut app = t.events[0];
    app.has_offset = false;
    app.length = 10;
    lru.step(&app);
    assert_eq!(lru.lookup(key(0, 2)), Some(true));
    let s = lru.finish();
    assert_eq!(s.counters.page_misses, 6);
    assert_eq!(s.device.writes, 0);
    assert_eq!(s.device.reads, 0);
    assert_eq!(lru.recency_order(), vec![key(0, 2), key(0, 1), key(0, 0)]);
}

#[test]
fn unlink_drops_every_page_of_the_file_only() {
    let mut t = Trace::new();
    for p in 0..4 {
        t.write(0, p);
        t.read(1, p);
    }
    t.push(Op::Unlink, 0, None, None);
    // The re-created file: every page is a fresh miss, the other file still hits.
    t.push(Op::Open, 0, None, Some(0));
    t.read(0, 0);
    t.read(1, 0);
    let (l, o) = both(&[Some(0), Some(1 << 20)], 64, &t);
    for s in [&l, &o] {
        assert_eq!(s.counters.page_misses, 9);
        assert_eq!(s.counters.page_hits, 1);
        assert_eq!(s.device.writes, 0);
        assert_eq!(s.device.reads, 5);
    }
    let files = table(&[Some(0), Some(1 << 20)]);
    let mut lru = Lru::new(&files, 64 * PAGE_SIZE, ssd());
    for e in &t.events[..9] {
        lru.step(e);
    }
    assert_eq!(lru.resident(), 4);
    assert!((0..4).all(|p| lru.lookup(key(0, p)).is_none()));
    assert!((0..4).all(|p| lru.lookup(key(1, p)) == Some(false)));
}

#[test]
fn appends_without_offset_extend_the_file() {
    let mut t = Trace::new();
    // File of 5000 bytes: appends of 4000 bytes cover 5000..9000 (pages 1, 2) and
    // 9000..13000 (pages 2, 3).
    t.push(Op::Write, 0, None, Some(4000));
    t.push(Op::Write, 0, None, Some(4000));
    let (l, o) = both(&[Some(5000)], 64, &t);
    for s in [&l, &o] {
        assert_eq!(s.counters.page_misses, 3);
        assert_eq!(s.counters.page_hits, 1);
    }
}

#[test]
fn fsync_writes_each_dirty_page_once_and_waits() {
    let mut t = Trace::new();
    t.write(0, 0);
    t.write(0, 1);
    t.read(0, 2);
    t.write(1, 0);
    t.push(Op::Fsync, 0, None, None); // pages 0, 1 of file 0
    t.push(Op::Fsync, 0, None, None); // nothing dirty left
    t.write(0, 1);
    t.push(Op::Fsync, 0, None, None); // page 1 again
    let (l, o) = both(&[Some(1 << 20), Some(1 << 20)], 64, &t);
    for s in [&l, &o] {
        assert_eq!(s.device.writes, 3);
        assert_eq!(s.device.sync_writes, 3);
        assert_eq!(s.device.by_origin[Origin::Fsync.index()][2], 3);
        let f = s.latency.summary(Op::Fsync);
        assert_eq!(f.count, 3);
        assert!(f.max > 0);
    }
    let files = table(&[Some(1 << 20), Some(1 << 20)]);
    let mut lru = Lru::new(&files, 64 * PAGE_SIZE, ssd());
    for e in &t.events {
        lru.step(e);
    }
    assert_eq!(lru.lookup(key(0, 0)), Some(false));
    assert_eq!(lru.lookup(key(0, 1)), Some(false));
    assert_eq!(lru.lookup(key(1, 0)), Some(true));
}

#[test]
fn msync_writes_its_range_sync_or_async() {
    let mut t = Trace::new();
    for p in 0..6 {
        t.push(Op::FaultWrite, 0, Some(p * PAGE_SIZE), Some(PAGE_SIZE));
    }
    // Bytes [4096, 8193): pages 1 and 2.
    t.push(Op::Msync, 0, Some(PAGE_SIZE), Some(PAGE_SIZE + 1));
    // Async, length 0 = to EOF from page 4: pages 4 and 5.
    t.push_flags(Op::Msync, 0, Some(4 * PAGE_SIZE), Some(0), Flags::ASYNC);
    let files = table(&[Some(1 << 20)]);
    let mut lru = Lru::new(&files, 64 * PAGE_SIZE, ssd());
    for e in &t.events {
        lru.step(e);
    }
    let dirty: Vec<u64> = (0..6)
        .filter(|&p| lru.lookup(key(0, p)) == Some(true))
        .collect();
    assert_eq!(dirty, vec![0, 3]);
    let s = lru.finish();
    assert_eq!(s.device.writes, 4);
    assert_eq!(s.device.sync_writes, 2);
    assert_eq!(s.device.async_writes, 2);
    assert_eq!(s.device.by_origin[Origin::Msync.index()][2], 4);
    let m = s.latency.summary(Op::Msync);
    assert_eq!(m.count, 2);
    // The sync one waited, the async one did not.
    assert!(m.max > 0);
    assert_eq!(m.p50, 0);
    // Async writes complete after the last event; the end time covers them.
    assert!(s.end_time_ns > t.events[7].time_ns);
}

#[test]
fn capacity_is_mem_over_page_size_at_least_one() {
    let files = table(&[Some(0)]);
    assert_eq!(Lru::new(&files, 0, ssd()).capacity(), 1);
    assert_eq!(Lru::new(&files, 4095, ssd()).capacity(), 1);
    assert_eq!(Lru::new(&files, 10 * PAGE_SIZE + 5, ssd()).capacity(), 10);
    assert_eq!(Opt::new(&files, 8 * PAGE_SIZE, ssd(), &[]).capacity(), 8);
}

/// The classic Belady sequence 1,2,3,4,1,2,5,1,2,3,4,5 (pages of one file, read):
///
/// LRU, 3 frames: 1 2 3 4(-1) 1(-2) 2(-3) 5(-4) 1h 2h 3(-5) 4(-1) 5(-2) = 10 misses.
/// LRU, 4 frames: 1 2 3 4, 1h 2h, 5(-3), 1h 2h, 3(-4) 4(-5) 5(-1)       =  8 misses.
/// OPT, 3 frames: 1 2 3, 4 evicts 3 (next uses 1@4 2@5 3@9), 1h 2h, 5 evicts 4
///   (1@7 2@8 4@10), 1h 2h, 3 evicts one of the never-again 1 and 2, 4 evicts
///   another never-again page, 5h                                        =  7 misses.
/// OPT, 4 frames: 1 2 3 4, 1h 2h, 5 evicts 4 (4@10 furthest), 1h 2h 3h, 4 evicts a
///   never-again page, 5h                                                =  6 misses.
#[test]
fn classic_belady_sequence() {
    let mut t = Trace::new();
    for p in [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5] {
        t.read(0, p);
    }
    for (frames, lru_misses, opt_misses) in [(3, 10, 7), (4, 8, 6)] {
        let (l, o) = both(&[Some(1 << 20)], frames, &t);
        assert_eq!(l.counters.page_misses, lru_misses, "lru {frames} frames");
        assert_eq!(o.counters.page_misses, opt_misses, "opt {frames} frames");
        assert_eq!(l.counters.page_hits, 12 - lru_misses);
        assert_eq!(o.counters.page_hits, 12 - opt_misses);
        assert_eq!(l.device.reads, lru_misses);
        assert_eq!(o.device.reads, opt_misses);
    }
}

/// The same sequence inside multi-page reads: references are made page by page, so
/// pages of one read can evict each other.
#[test]
fn references_within_one_event_are_sequential() {
    let mut t = Trace::new();
    // Pages 0..4 in one read with 2 frames: 4 misses; then pages 2, 3 hit.
    t.push(Op::Read, 0, Some(0), Some(4 * PAGE_SIZE));
    t.push(Op::Read, 0, Some(2 * PAGE_SIZE), Some(2 * PAGE_SIZE));
    let (l, o) = both(&[Some(1 << 20)], 2, &t);
    let mut one = Trace::new();
    one.read(0, 0);
    let (single, _) = both(&[Some(1 << 20)], 2, &one);
    let one_miss = single.latency.summary(Op::Read).max;
    assert!(one_miss > 0);
    for s in [&l, &o] {
        assert_eq!(s.counters.page_misses, 4);
        assert_eq!(s.counters.page_hits, 2);
        // Four synchronous reads one after another: the first event waited for all.
        assert!(s.latency.summary(Op::Read).max > one_miss);
    }
}

#[test]
fn opt_warns_when_replay_differs_from_first_pass() {
    let files = table(&[Some(1 << 20)]);
    let mut t = Trace::new();
    t.read(0, 0);
    let mut opt = Opt::new(&files, 4 * PAGE_SIZE, ssd(), &t.events);
    opt.step(&t.events[0]);
    opt.step(&t.events[0]);
    let s = opt.finish();
    assert_eq!(s.warnings.len(), 1);
    assert_eq!(s.counters.page_hits, 1);
}
