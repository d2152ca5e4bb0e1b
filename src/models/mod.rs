//! Reference models (yardsticks): exact page-granular LRU and OPT caches.
//!
//! They answer "how good could any cache of this size be on this trace" (OPT) and "what
//! does the textbook policy do" (LRU), so the DragonFly model can be judged against
//! them key for key: every model fills the same [`RunStats`].
//!
//! Both models are one [`Cache`] (residency, dirty bits, device I/O, latency) driven by
//! a [`Replacement`] that only picks victims: that way the two cannot differ in anything
//! but the replacement decision.

pub mod linux;
pub mod lru;
pub mod opt;
pub mod pageref;

pub use lru::Lru;
pub use opt::Opt;
pub use pageref::PageRefs;

use crate::chunkmap::ChunkMap;
use crate::model::Model;

use crate::device::{Completion, Device, DeviceSpec, ReqId};
use crate::params::{Knobs, Params};
use crate::stats::{Counters, Dir, Latencies, Origin, RunStats};
use crate::trace::{Event, FileId, FileTable, Flags, Op};
use pageref::{EventRefs, PAGE_SIZE, PageKey, PageRef, RefKind, byte_range_pages};

/// Sentinel "no slot" for the intrusive lists.
const NIL: u32 = u32::MAX;

/// Disk address of a page: a fixed per-file base keeps files apart on the device (a
/// seek model sees distinct files as distant) and the mapping deterministic.
fn disk_offset(key: PageKey) -> u64 {
    (u64::from(key.file) << 40).wrapping_add(key.pindex.wrapping_mul(PAGE_SIZE))
}

/// The replacement decision, the only thing LRU and OPT differ in. Slots are dense
/// `u32` indexes (below the cache capacity) that implementations may use to index
/// their own per-page state.
pub(crate) trait Replacement: Send {
    /// A page was just made resident in `slot` by reference number `ref_index`.
    fn inserted(&mut self, slot: u32, key: PageKey, ref_index: u64);
    /// The resident page in `slot` was referenced again (reference number `ref_index`).
    fn touched(&mut self, slot: u32, key: PageKey, ref_index: u64);
    /// The page in `slot` left the cache (evicted or dropped).
    fn removed(&mut self, slot: u32, key: PageKey);
    /// The slot to evict; only called when at least one page is resident.
    fn victim(&mut self) -> u32;
}

/// Intrusive doubly-linked list links (slot indexes).
#[derive(Clone, Copy, Debug)]
struct Link {
    prev: u32,
    next: u32,
}

const UNLINKED: Link = Link {
    prev: NIL,
    next: NIL,
};

/// Which per-file list a link belongs to.
const RESIDENT: usize = 0;
const DIRTY: usize = 1;

#[derive(Clone, Copy, Debug)]
struct Slot {
    key: PageKey,
    dirty: bool,
    /// Links in the file's resident list and dirty list (index RESIDENT / DIRTY). The
    /// resident `next` doubles as the free-list link of an unused slot.
    links: [Link; 2],
}

/// A page cache with dirty bits in front of a simulated device; the common part of the
/// yardstick models. Per-file resident and dirty lists make truncate, unlink, fsync
/// and msync cost what they touch, not the whole cache.
pub(crate) struct Cache<R: Replacement> {
    pub(crate) policy: R,
    refs: PageRefs,
    capacity: usize,
    slots: Vec<Slot>,
    /// Head of the free-slot list (chained through `links[RESIDENT].next`).
    free: u32,
    resident: usize,
    /// Per file: page index → slot.
    map: Vec<ChunkMap>,
    /// Per file: heads of the resident and dirty lists.
    heads: Vec<[u32; 2]>,
    pub(crate) device: Device,
    done: Vec<Completion>,
    /// Reused scratch for write-back and drop batches (no per-event allocation).
    batch: Vec<(u64, u32)>,
    ids: Vec<ReqId>,
    counters: Counters,
    latency: Latencies,
    /// References made so far (the index of the next one).
    ref_index: u64,
    /// Latest event time or completion time seen.
    end_time: u64,
}

/// `hirunningspace` the yardsticks give the device (it only feeds disksort's write-burst
/// rule): what the DragonFly model derives for the same memory, so device behaviour is
/// the same across models; the kernel's 1 MiB floor (vfs_bio.c) for memory sizes the
/// DragonFly model does not accept (the yardsticks take any size).
fn yardstick_hirunningspace(mem_bytes: u64) -> u64 {
    Params::derive(mem_bytes, 0, Knobs::default()).map_or(1 << 20, |p| p.hirunningspace)
}

impl<R: Replacement> Cache<R> {
    pub(crate) fn new(files: &FileTable, mem_bytes: u64, device: DeviceSpec, policy: R) -> Self {
        let capacity = usize::try_from((mem_bytes / PAGE_SIZE).max(1))
            .unwrap_or(usize::MAX)
            .min(NIL as usize);
        // Preallocate only what a modest cache needs; bigger ones grow once, amortized.
        let pre = capacity.min(1 << 16);
        Cache {
            policy,
            refs: PageRefs::new(files),
            capacity,
            slots: Vec::with_capacity(pre),
            free: NIL,
            resident: 0,
            map: Vec::new(),
            heads: vec![[NIL; 2]; files.len()],
            device: Device::new(device, yardstick_hirunningspace(mem_bytes)),
            done: Vec::new(),
            batch: Vec::new(),
            ids: Vec::new(),
            counters: Counters::default(),
            latency: Latencies::new(),
            ref_index: 0,
            end_time: 0,
        }
    }

    /// Number of resident pages.
    pub(crate) fn resident(&self) -> usize {
        self.resident
    }

    /// Capacity in pages.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether `key` is resident, and dirty.
    pub(crate) fn lookup(&self, key: PageKey) -> Option<bool> {
        self.slot_of(key).map(|s| self.slots[s as usize].dirty)
    }

    fn slot_of(&self, key: PageKey) -> Option<u32> {
        self.map.get(key.file as usize)?.get(key.pindex)
    }

    /// The key held by a resident slot.
    pub(crate) fn key_of(&self, slot: u32) -> PageKey {
        self.slots[slot as usize].key
    }

    fn head_mut(&mut self, file: FileId) -> &mut [u32; 2] {
        let i = file as usize;
        if i >= self.heads.len() {
            // Only for files interned after construction: once per new file.
            self.heads.resize(i + 1, [NIL; 2]);
        }
        &mut self.heads[i]
    }

    fn head(&self, file: FileId) -> u32 {
        self.heads.get(file as usize).map_or(NIL, |h| h[RESIDENT])
    }

    fn dirty_head(&self, file: FileId) -> u32 {
        self.heads.get(file as usize).map_or(NIL, |h| h[DIRTY])
    }

    fn list_push(&mut self, list: usize, slot: u32) {
        let file = self.slots[slot as usize].key.file;
        let head = &mut self.head_mut(file)[list];
        let old = *head;
        *head = slot;
        self.slots[slot as usize].links[list] = Link {
            prev: NIL,
            next: old,
        };
        if old != NIL {
            self.slots[old as usize].links[list].prev = slot;
        }
    }

    fn list_remove(&mut self, list: usize, slot: u32) {
        let Link { prev, next } = self.slots[slot as usize].links[list];
        let file = self.slots[slot as usize].key.file;
        if prev != NIL {
            self.slots[prev as usize].links[list].next = next;
        } else {
            self.head_mut(file)[list] = next;
        }
        if next != NIL {
            self.slots[next as usize].links[list].prev = prev;
        }
        self.slots[slot as usize].links[list] = UNLINKED;
    }

    fn set_dirty(&mut self, slot: u32) {
        if !self.slots[slot as usize].dirty {
            self.slots[slot as usize].dirty = true;
            self.list_push(DIRTY, slot);
        }
    }

    fn set_clean(&mut self, slot: u32) {
        if self.slots[slot as usize].dirty {
            self.slots[slot as usize].dirty = false;
            self.list_remove(DIRTY, slot);
        }
    }

    /// Make `key` resident in a fresh slot (the caller made room).
    fn install(&mut self, key: PageKey) -> u32 {
        let slot = if self.free != NIL {
            let s = self.free;
            self.free = self.slots[s as usize].links[RESIDENT].next;
            self.slots[s as usize] = Slot {
                key,
                dirty: false,
                links: [UNLINKED; 2],
            };
            s
        } else {
            let s = self.slots.len() as u32;
            self.slots.push(Slot {
                key,
                dirty: false,
                links: [UNLINKED; 2],
            });
            s
        };
        let f = key.file as usize;
        if f >= self.map.len() {
            self.map.resize_with(f + 1, ChunkMap::default);
        }
        self.map[f].insert(key.pindex, slot);
        self.list_push(RESIDENT, slot);
        self.resident += 1;
        slot
    }

    /// Forget the page in `slot` without writing it.
    fn discard(&mut self, slot: u32) {
        let key = self.slots[slot as usize].key;
        self.set_clean(slot);
        self.list_remove(RESIDENT, slot);
        if let Some(m) = self.map.get_mut(key.file as usize) {
            m.remove(key.pindex);
        }
        self.policy.removed(slot, key);
        self.slots[slot as usize].links[RESIDENT].next = self.free;
        self.free = slot;
        self.resident -= 1;
    }

    fn absorb_done(&mut self) {
        for c in self.done.drain(..) {
            self.end_time = self.end_time.max(c.time);
        }
    }

    /// Submit one page write and return its request.
    fn write_page(&mut self, t: u64, key: PageKey, origin: Origin, sync: bool) -> ReqId {
        self.device
            .note_file(key.file, Some(key.pindex.wrapping_mul(PAGE_SIZE)));
        self.device.submit(
            t,
            Dir::Write,
            disk_offset(key),
            PAGE_SIZE,
            origin,
            sync,
            key.file,
        )
    }

    /// One reference at time `t`; returns when the op may continue.
    fn reference(&mut self, r: PageRef, t: u64) -> u64 {
        let index = self.ref_index;
        self.ref_index += 1;
        if let Some(slot) = self.slot_of(r.key) {
            self.counters.page_hits += 1;
            self.policy.touched(slot, r.key, index);
            if r.kind == RefKind::Write {
                self.set_dirty(slot);
            }
            return t;
        }
        self.counters.page_misses += 1;
        if self.resident >= self.capacity {
            let victim = self.policy.victim();
            let vkey = self.slots[victim as usize].key;
            if self.slots[victim as usize].dirty {
                // Laundering is asynchronous: the faulting op does not wait for it.
                self.write_page(t, vkey, Origin::PageoutLaunder, false);
            }
            self.discard(victim);
        }
        let slot = self.install(r.key);
        self.policy.inserted(slot, r.key, index);
        match r.kind {
            // A write miss overwrites the page: no read, just a dirty page.
            RefKind::Write => {
                self.set_dirty(slot);
                t
            }
            RefKind::Read => {
                self.device
                    .note_file(r.key.file, Some(r.key.pindex.wrapping_mul(PAGE_SIZE)));
                let id = self.device.submit(
                    t,
                    Dir::Read,
                    disk_offset(r.key),
                    PAGE_SIZE,
                    Origin::Demand,
                    true,
                    r.key.file,
                );
                let end = self.device.wait_for(id, &mut self.done);
                self.absorb_done();
                self.end_time = self.end_time.max(end);
                end
            }
        }
    }

    /// Drop pages `from..` of `file` without writing them (truncate, unlink).
    fn drop_pages(&mut self, file: FileId, from: u64) {
        let mut batch = std::mem::take(&mut self.batch);
        batch.clear();
        let mut s = self.head(file);
        while s != NIL {
            let slot = &self.slots[s as usize];
            if slot.key.pindex >= from {
                batch.push((slot.key.pindex, s));
            }
            s = slot.links[RESIDENT].next;
        }
        for &(_, s) in &batch {
            self.discard(s);
        }
        self.batch = batch;
    }

    /// Write back the dirty pages of `file` in `pages`, in page order, and mark them
    /// clean. With `wait`, the writes are synchronous and the op waits for all of them;
    /// returns the time the op continues.
    fn write_back(
        &mut self,
        file: FileId,
        pages: std::ops::Range<u64>,
        origin: Origin,
        wait: bool,
        t: u64,
    ) -> u64 {
        let mut batch = std::mem::take(&mut self.batch);
        batch.clear();
        let mut s = self.dirty_head(file);
        while s != NIL {
            let slot = &self.slots[s as usize];
            if pages.contains(&slot.key.pindex) {
                batch.push((slot.key.pindex, s));
            }
            s = slot.links[DIRTY].next;
        }
        // Page order: what a filesystem's write-back of a range does, and deterministic.
        batch.sort_unstable();
        // Submit everything first, then wait: the writes queue together, as fsync's
        // bawrite-then-wait does.
        let mut ids = std::mem::take(&mut self.ids);
        ids.clear();
        for &(_, s) in &batch {
            let key = self.slots[s as usize].key;
            self.set_clean(s);
            ids.push(self.write_page(t, key, origin, wait));
        }
        let mut end = t;
        if wait {
            for &id in &ids {
                end = end.max(self.device.wait_for(id, &mut self.done));
            }
        }
        self.absorb_done();
        self.ids = ids;
        self.end_time = self.end_time.max(end);
        self.batch = batch;
        end
    }

    pub(crate) fn step(&mut self, ev: &Event) {
        self.counters.events += 1;
        let start = ev.time_ns;
        self.end_time = self.end_time.max(start);
        self.device.advance(start, &mut self.done);
        self.absorb_done();
        let mut t = start;
        match self.refs.apply(ev) {
            refs @ EventRefs::Touch { .. } => {
                for r in refs.refs() {
                    t = self.reference(r, t);
                }
            }
            EventRefs::Drop { file, from } => self.drop_pages(file, from),
            EventRefs::Nothing => match ev.op {
                Op::Fsync => t = self.write_back(ev.file, 0..u64::MAX, Origin::Fsync, true, t),
                Op::Msync => {
                    let pages = if ev.length == 0 {
                        ev.offset / PAGE_SIZE..u64::MAX
                    } else {
                        byte_range_pages(ev.offset, ev.length)
                    };
                    let wait = !ev.flags.contains(Flags::ASYNC);
                    t = self.write_back(ev.file, pages, Origin::Msync, wait, t);
                }
                _ => {}
            },
        }
        self.latency.record(ev.op, t.saturating_sub(start));
    }

    pub(crate) fn finish(&mut self) -> RunStats {
        // Let write-back still in flight complete, so the end time covers it.
        while let Some(t) = self.device.next_completion_time() {
            self.device.advance(t, &mut self.done);
            self.absorb_done();
        }
        RunStats {
            counters: self.counters.clone(),
            device: self.device.stats().clone(),
            latency: self.latency.clone(),
            end_time_ns: self.end_time,
            warnings: Vec::new(),
        }
    }

    /// References made so far.
    pub(crate) fn references(&self) -> u64 {
        self.ref_index
    }
}

#[cfg(test)]
mod tests {
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
}
