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
mod tests;
