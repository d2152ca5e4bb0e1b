//! The LRU and OPT yardsticks checked against independent oracles written here from the
//! issue text alone (no code shared with src/models): a page-reference generator, a
//! Mattson stack-distance LRU, and a brute-force Belady that looks ahead linearly.
//!
//! Real traces: traces/git.events.csv.zst and traces/pyio.events.csv.zst (falling back to
//! /work/shared/traces when the repository copy is missing).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use vpsim::device::DeviceSpec;
use vpsim::model::Model;
use vpsim::models::{Lru, Opt};
use vpsim::stats::RunStats;
use vpsim::trace::{Event, FileId, FileTable, Flags, Op, TraceReader, prescan};

const PAGE: u64 = 4096;

// ---------------------------------------------------------------------------------
// Loading

fn trace_path(name: &str) -> String {
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("traces")
        .join(name);
    let path = if local.exists() {
        local
    } else {
        PathBuf::from("/work/shared/traces").join(name)
    };
    path.to_string_lossy().into_owned()
}

fn load(name: &str) -> (FileTable, Vec<Event>) {
    let path = trace_path(name);
    let pre = prescan(&path).unwrap_or_else(|e| panic!("prescan {path}: {e}"));
    assert!(pre.bounded);
    let mut files = pre.files;
    let mut reader = TraceReader::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
    let mut events = Vec::new();
    while let Some(ev) = reader
        .next_event(&mut files)
        .unwrap_or_else(|e| panic!("read {path}: {e}"))
    {
        events.push(ev);
    }
    (files, events)
}

fn ssd() -> DeviceSpec {
    "ssd".parse().expect("ssd preset")
}

fn replay(model: &mut impl Model, events: &[Event]) -> RunStats {
    for ev in events {
        model.step(ev);
    }
    model.finish()
}

fn lru_stats(files: &FileTable, events: &[Event], pages: u64) -> RunStats {
    replay(&mut Lru::new(files, pages * PAGE, ssd()), events)
}

fn opt_stats(files: &FileTable, events: &[Event], pages: u64) -> RunStats {
    replay(&mut Opt::new(files, pages * PAGE, ssd(), events), events)
}

// ---------------------------------------------------------------------------------
// Oracle 1: the page-reference stream, straight from the issue text.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    /// A reference to (file, page); `true` for a store (write, fault_write).
    Ref(FileId, u64, bool),
    /// Pages `from..` of a file are gone (truncate, unlink).
    Drop(FileId, u64),
}

fn reference_stream(files: &FileTable, events: &[Event]) -> Vec<Item> {
    let mut size: HashMap<FileId, u64> = HashMap::new();
    let mut recreated: HashSet<FileId> = HashSet::new();
    let mut out = Vec::new();
    for ev in events {
        let f = ev.file;
        let cur = *size
            .entry(f)
            .or_insert_with(|| files.initial_size(f).unwrap_or(0));
        match ev.op {
            Op::Read | Op::Write => {
                let start = if ev.op == Op::Write && !ev.has_offset {
                    cur
                } else {
                    ev.offset
                };
                let end = start + ev.length;
                if ev.op == Op::Write && end > cur {
                    size.insert(f, end);
                }
                // [start, end) page by page; a zero-length transfer touches nothing.
                let mut p = start / PAGE;
                while ev.length > 0 && p * PAGE < end {
                    out.push(Item::Ref(f, p, ev.op == Op::Write));
                    p += 1;
                }
            }
            Op::FaultRead => out.push(Item::Ref(f, ev.offset / PAGE, false)),
            Op::FaultWrite => out.push(Item::Ref(f, ev.offset / PAGE, true)),
            Op::Truncate => {
                size.insert(f, ev.length);
                out.push(Item::Drop(f, ev.length.div_ceil(PAGE)));
            }
            Op::Unlink => {
                size.insert(f, 0);
                recreated.insert(f);
                out.push(Item::Drop(f, 0));
            }
            // Only a file re-created after an unlink takes its size from an open.
            Op::Open if ev.has_length && recreated.remove(&f) => {
                size.insert(f, ev.length);
            }
            _ => {}
        }
    }
    out
}

fn count_refs(items: &[Item]) -> u64 {
    items.iter().filter(|i| matches!(i, Item::Ref(..))).count() as u64
}

/// Pages ever referenced (a cache this big only takes compulsory misses).
fn footprint(items: &[Item]) -> u64 {
    let mut seen = HashSet::new();
    for i in items {
        if let Item::Ref(f, p, _) = i {
            seen.insert((*f, *p));
        }
    }
    seen.len() as u64
}

// ---------------------------------------------------------------------------------
// Oracle 2: Mattson's LRU stack. One pass gives, for every reference, its stack
// distance (1 = most recently used; None = not in the stack: cold, or dropped); LRU with
// C frames misses exactly the references with distance > C.
//
// Drops need care. Simply removing a dropped page from the stack is wrong: the pages
// below it move up, so a page a small cache already evicted would count as resident
// again. A dropped page leaves a hole instead: for a cache of C frames, the holes among
// the top C positions are its free frames. A reference moves its page to the top and
// shifts the entries above it down by one, but the shift stops at the first hole it
// meets (that cache had a free frame: nothing was evicted), and the hole is used up; if
// the page itself was below that hole, its old place becomes a hole.

struct StackDistances {
    /// (distance, is_store) per reference.
    refs: Vec<(Option<usize>, bool)>,
}

impl StackDistances {
    fn new(items: &[Item]) -> Self {
        // Most recent at the end (position 1 = last index), so hot pages are found
        // after a short scan. `None` is a hole.
        // `present` and `holes` only spare the scans (cold misses, no holes).
        let mut stack: Vec<Option<(FileId, u64)>> = Vec::new();
        let mut present: HashSet<(FileId, u64)> = HashSet::new();
        let mut holes = 0usize;
        let mut refs = Vec::new();
        for item in items {
            match *item {
                Item::Ref(f, p, store) => {
                    let at = if present.insert((f, p)) {
                        None
                    } else {
                        stack.iter().rposition(|&k| k == Some((f, p)))
                    };
                    let d = at.map(|i| stack.len() - i);
                    let above = at.map_or(0, |i| i + 1);
                    let hole = if holes == 0 {
                        None
                    } else {
                        stack[above..].iter().rposition(|k| k.is_none())
                    };
                    match hole {
                        Some(h) => {
                            stack.remove(above + h);
                            holes -= 1;
                            if let Some(i) = at {
                                stack[i] = None;
                                holes += 1;
                            }
                        }
                        None => {
                            if let Some(i) = at {
                                stack.remove(i);
                            }
                        }
                    }
                    stack.push(Some((f, p)));
                    refs.push((d, store));
                }
                Item::Drop(f, from) => {
                    for k in stack.iter_mut() {
                        if let Some((g, q)) = *k
                            && g == f
                            && q >= from
                        {
                            present.remove(&(g, q));
                            *k = None;
                            holes += 1;
                        }
                    }
                }
            }
        }
        StackDistances { refs }
    }

    fn is_miss(d: Option<usize>, frames: u64) -> bool {
        d.is_none_or(|d| d as u64 > frames)
    }

    fn misses(&self, frames: u64) -> u64 {
        self.refs
            .iter()
            .filter(|(d, _)| Self::is_miss(*d, frames))
            .count() as u64
    }

    /// Misses of loads: each costs exactly one device read.
    fn read_misses(&self, frames: u64) -> u64 {
        self.refs
            .iter()
            .filter(|(d, store)| !store && Self::is_miss(*d, frames))
            .count() as u64
    }
}

/// Check Lru against the stack for each size; returns (frames, misses) for the report.
fn check_lru(name: &str, files: &FileTable, events: &[Event], sizes: &[u64]) -> Vec<(u64, u64)> {
    let items = reference_stream(files, events);
    let stack = StackDistances::new(&items);
    let total = count_refs(&items);
    let mut out = Vec::new();
    for &frames in sizes {
        let s = lru_stats(files, events, frames);
        let want = stack.misses(frames);
        assert_eq!(
            s.counters.page_misses, want,
            "{name}: LRU misses at {frames} pages"
        );
        assert_eq!(
            s.counters.page_hits,
            total - want,
            "{name}: LRU hits at {frames} pages"
        );
        assert_eq!(s.counters.events, events.len() as u64, "{name}: events");
        assert_eq!(
            s.device.reads,
            stack.read_misses(frames),
            "{name}: one device read per load miss at {frames} pages"
        );
        assert_eq!(s.device.read_bytes, s.device.reads * PAGE);
        out.push((frames, want));
    }
    out
}

// ---------------------------------------------------------------------------------
// Oracle 3: brute-force Belady. At each eviction, scan the stream forward from the
// current reference, noting which resident pages are referenced again; the victim is a
// page that is not (before the trace ends or a drop removes it), else the one whose
// next reference comes last. Quadratic, so it runs on small traces.

fn brute_force_min(items: &[Item], frames: usize) -> u64 {
    let mut resident: Vec<(FileId, u64)> = Vec::new();
    let mut misses = 0;
    for (i, item) in items.iter().enumerate() {
        match *item {
            Item::Ref(f, p, _) => {
                if resident.contains(&(f, p)) {
                    continue;
                }
                misses += 1;
                if resident.len() == frames {
                    let victim = furthest(items, i, &resident);
                    resident.swap_remove(victim);
                }
                resident.push((f, p));
            }
            Item::Drop(f, from) => resident.retain(|&(g, q)| !(g == f && q >= from)),
        }
    }
    misses
}

/// Index in `resident` of the page referenced furthest after `now` (or never again).
fn furthest(items: &[Item], now: usize, resident: &[(FileId, u64)]) -> usize {
    let index: HashMap<(FileId, u64), usize> =
        resident.iter().enumerate().map(|(i, &k)| (k, i)).collect();
    let mut seen = vec![false; resident.len()];
    let mut unseen = resident.len();
    let mut last = 0;
    for item in &items[now + 1..] {
        match *item {
            Item::Ref(f, p, _) => {
                if let Some(&r) = index.get(&(f, p))
                    && !seen[r]
                {
                    seen[r] = true;
                    unseen -= 1;
                    last = r;
                    if unseen == 0 {
                        return last;
                    }
                }
            }
            Item::Drop(f, from) => {
                // A resident page dropped before its next reference is never used again.
                if let Some(r) = (0..resident.len())
                    .find(|&r| !seen[r] && resident[r].0 == f && resident[r].1 >= from)
                {
                    return r;
                }
            }
        }
    }
    seen.iter().position(|s| !s).unwrap_or(last)
}

// ---------------------------------------------------------------------------------
// A synthetic trace exercising everything the real ones lack: unaligned multi-page
// reads and writes, appends, truncates, unlink and re-creation, faults. ~200 pages,
// a hot set, seeded xorshift so it is the same on every run.

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn push(events: &mut Vec<Event>, op: Op, file: FileId, off: Option<u64>, len: Option<u64>) {
    events.push(Event {
        time_ns: 1000 * events.len() as u64,
        offset: off.unwrap_or(0),
        length: len.unwrap_or(0),
        file,
        pid: 1,
        op,
        flags: Flags::NONE,
        has_offset: off.is_some(),
        has_length: len.is_some(),
    });
}

fn synthetic(seed: u64, n: usize) -> (FileTable, Vec<Event>) {
    let mut files = FileTable::new();
    let big = files.intern("big"); // 120 pages, with a 20-page hot set
    let small = files.intern("small"); // 50 pages, unlinked and re-created now and then
    let log = files.intern("log"); // appended to, truncated back
    files.set_initial_size(big, Some(120 * PAGE), true);
    files.set_initial_size(small, Some(50 * PAGE), true);
    files.set_initial_size(log, Some(0), true);
    let mut rng = XorShift(seed);
    let mut events = Vec::with_capacity(n);
    while events.len() < n {
        let roll = rng.below(100);
        let (file, span) = if roll < 55 {
            (big, 20 * PAGE)
        } else if roll < 80 {
            (big, 120 * PAGE)
        } else {
            (small, 50 * PAGE)
        };
        let off = rng.below(span);
        let len = 1 + rng.below(3 * PAGE);
        match rng.below(100) {
            0..40 => push(&mut events, Op::Read, file, Some(off), Some(len)),
            40..60 => push(&mut events, Op::Write, file, Some(off), Some(len)),
            60..75 => push(&mut events, Op::FaultRead, file, Some(off), Some(PAGE)),
            75..85 => push(&mut events, Op::FaultWrite, file, Some(off), Some(PAGE)),
            85..93 => push(&mut events, Op::Write, log, None, Some(len)),
            93..96 => push(
                &mut events,
                Op::Read,
                log,
                Some(rng.below(8 * PAGE)),
                Some(len),
            ),
            96..98 => push(
                &mut events,
                Op::Truncate,
                log,
                None,
                Some(rng.below(4 * PAGE)),
            ),
            98 => {
                push(&mut events, Op::Unlink, small, None, None);
                push(&mut events, Op::Open, small, None, Some(0));
            }
            _ => push(&mut events, Op::Fsync, file, None, None),
        }
    }
    (files, events)
}

// ---------------------------------------------------------------------------------
// Tests

#[test]
fn stream_oracle_sees_what_the_synthetic_trace_contains() {
    // Guard against a vacuous oracle: drops, appends and stores are all there.
    let (files, events) = synthetic(0x9e37_79b9_7f4a_7c15, 4000);
    let items = reference_stream(&files, &events);
    let drops = items.iter().filter(|i| matches!(i, Item::Drop(..))).count();
    let stores = items
        .iter()
        .filter(|i| matches!(i, Item::Ref(_, _, true)))
        .count();
    assert!(drops > 50, "{drops} drops");
    assert!(stores > 1000, "{stores} stores");
    let fp = footprint(&items);
    assert!((150..=260).contains(&fp), "footprint {fp}");
}

#[test]
fn lru_matches_mattson_stack_on_synthetic_trace() {
    let (files, events) = synthetic(0x9e37_79b9_7f4a_7c15, 4000);
    let items = reference_stream(&files, &events);
    let fp = footprint(&items);
    let got = check_lru("synthetic", &files, &events, &[1, 7, 16, 64, 150, fp + 10]);
    eprintln!("synthetic LRU (pages, misses): {got:?}");
}

#[test]
fn opt_matches_brute_force_belady_on_synthetic_trace() {
    for seed in [0x9e37_79b9_7f4a_7c15, 12345] {
        let (files, events) = synthetic(seed, 3000);
        let items = reference_stream(&files, &events);
        for frames in [1, 8, 32, 100] {
            let want = brute_force_min(&items, frames);
            let s = opt_stats(&files, &events, frames as u64);
            assert_eq!(
                s.counters.page_misses, want,
                "seed {seed}: OPT at {frames} pages"
            );
            assert_eq!(s.counters.page_hits, count_refs(&items) - want);
            assert!(s.warnings.is_empty());
            let lru = lru_stats(&files, &events, frames as u64);
            assert!(want <= lru.counters.page_misses);
            eprintln!(
                "synthetic seed {seed}: {frames} pages: OPT {want}, LRU {}",
                lru.counters.page_misses
            );
        }
    }
}

#[test]
fn lru_matches_mattson_stack_on_git_trace() {
    let (files, events) = load("git.events.csv.zst");
    let items = reference_stream(&files, &events);
    let fp = footprint(&items);
    let got = check_lru("git", &files, &events, &[16, 256, 4096, fp + 100]);
    eprintln!("git LRU (pages, misses): {got:?}, footprint {fp}");
}

#[test]
fn lru_matches_mattson_stack_on_pyio_trace() {
    let (files, events) = load("pyio.events.csv.zst");
    let items = reference_stream(&files, &events);
    let fp = footprint(&items);
    let got = check_lru("pyio", &files, &events, &[16, 256, 4096, fp + 100]);
    eprintln!("pyio LRU (pages, misses): {got:?}, footprint {fp}");
}

#[test]
fn opt_matches_brute_force_belady_on_trace_windows() {
    // Windows of a few thousand references keep the quadratic oracle fast in debug
    // builds. pyio's windows skip the 64 MiB sequential write and reads at the start:
    // hot-set and random reads, then pwrites, mmap faults, msync, truncates and the
    // append log. The window's first events see the whole-trace initial sizes,
    // as the models do: both sides replay the same slice with the same table.
    let windows = [
        ("git.events.csv.zst", 0..1500),
        ("pyio.events.csv.zst", 3200..4200),
        ("pyio.events.csv.zst", 4700..6300),
    ];
    for (name, window) in windows {
        let (files, events) = load(name);
        let window = window.start..window.end.min(events.len());
        let events = &events[window.clone()];
        let items = reference_stream(&files, events);
        for frames in [4, 16, 64, 256] {
            let want = brute_force_min(&items, frames);
            let s = opt_stats(&files, events, frames as u64);
            assert_eq!(
                s.counters.page_misses, want,
                "{name}[{window:?}]: OPT at {frames}"
            );
            eprintln!(
                "{name}[{window:?}] ({} refs): {frames} pages: OPT {want}",
                count_refs(&items)
            );
        }
    }
}

#[test]
fn opt_never_misses_more_than_lru_on_real_traces() {
    for name in ["git.events.csv.zst", "pyio.events.csv.zst"] {
        let (files, events) = load(name);
        let items = reference_stream(&files, &events);
        let fp = footprint(&items);
        for frames in [16, 256, 4096, fp + 100] {
            let o = opt_stats(&files, &events, frames);
            let l = lru_stats(&files, &events, frames);
            assert!(o.warnings.is_empty());
            assert_eq!(o.counters.events, events.len() as u64);
            assert_eq!(
                o.counters.page_hits + o.counters.page_misses,
                count_refs(&items),
                "{name}: OPT references at {frames}"
            );
            assert!(
                o.counters.page_misses <= l.counters.page_misses,
                "{name}: OPT {} > LRU {} at {frames} pages",
                o.counters.page_misses,
                l.counters.page_misses
            );
            if frames > fp {
                // Nothing is ever evicted: both take exactly the compulsory misses.
                assert_eq!(o.counters.page_misses, l.counters.page_misses);
            }
            eprintln!(
                "{name}: {frames} pages: OPT {} LRU {}",
                o.counters.page_misses, l.counters.page_misses
            );
        }
    }
}
