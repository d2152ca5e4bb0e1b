//! `--model opt`: Belady's MIN, the fewest misses any demand-paging cache of this size
//! can have on the trace.
//!
//! A first pass over the events numbers every page reference and records, for each, the
//! number of the next reference to the same page. A truncate or unlink that drops the
//! page ends its life: the page will be removed then anyway, so a reference after the
//! drop is not a "next use" (it is a fresh miss). The replay then evicts the resident
//! page whose next use is furthest away, never-used-again pages first. Every missed page
//! is admitted (MIN allows no bypass), so the miss count is the classic optimum.

use super::pageref::{EventRefs, PageKey, PageRefs};
use super::{Cache, Model, Replacement};
use crate::device::DeviceSpec;
use crate::stats::RunStats;
use crate::trace::{Event, FileTable};
use std::collections::{BTreeMap, BTreeSet};

/// "Not referenced again before it is dropped or the trace ends".
pub const NEVER: u64 = u64::MAX;

/// For every reference of the stream `events` produce (in order), the index of the next
/// reference to the same page, or [`NEVER`]. A drop of the page in between cuts the link.
pub fn next_uses(files: &FileTable, events: &[Event]) -> Vec<u64> {
    let mut refs = PageRefs::new(files);
    // Last reference index per page still alive; ordered so a drop is a range.
    let mut last: BTreeMap<PageKey, u64> = BTreeMap::new();
    let mut next = Vec::new();
    let mut dead = Vec::new();
    for ev in events {
        match refs.apply(ev) {
            touch @ EventRefs::Touch { .. } => {
                for r in touch.refs() {
                    let i = next.len() as u64;
                    next.push(NEVER);
                    if let Some(j) = last.insert(r.key, i) {
                        next[j as usize] = i;
                    }
                }
            }
            EventRefs::Drop { file, from } => {
                let lo = PageKey { file, pindex: from };
                let hi = PageKey {
                    file,
                    pindex: u64::MAX,
                };
                dead.clear();
                dead.extend(last.range(lo..=hi).map(|(k, _)| *k));
                for k in &dead {
                    last.remove(k);
                }
            }
            EventRefs::Nothing => {}
        }
    }
    next
}

/// Resident pages ordered by next use; the last element is MIN's victim.
pub(crate) struct Belady {
    next_use: Vec<u64>,
    /// Per slot: the next use it is filed under in `order`.
    slot_next: Vec<u64>,
    /// (next use, key, slot). Keys make `NEVER` ties deterministic.
    order: BTreeSet<(u64, PageKey, u32)>,
}

impl Belady {
    fn file(&mut self, slot: u32, key: PageKey, ref_index: u64) {
        // Past the first pass's stream (a different replay, warned about in finish).
        let n = self
            .next_use
            .get(ref_index as usize)
            .copied()
            .unwrap_or(NEVER);
        let i = slot as usize;
        if i >= self.slot_next.len() {
            self.slot_next.resize(i + 1, NEVER);
        }
        self.slot_next[i] = n;
        self.order.insert((n, key, slot));
    }

    fn unfile(&mut self, slot: u32, key: PageKey) {
        self.order
            .remove(&(self.slot_next[slot as usize], key, slot));
    }
}

impl Replacement for Belady {
    fn inserted(&mut self, slot: u32, key: PageKey, ref_index: u64) {
        self.file(slot, key, ref_index);
    }

    fn touched(&mut self, slot: u32, key: PageKey, ref_index: u64) {
        self.unfile(slot, key);
        self.file(slot, key, ref_index);
    }

    fn removed(&mut self, slot: u32, key: PageKey) {
        self.unfile(slot, key);
    }

    fn victim(&mut self) -> u32 {
        // Only called with pages resident, so the set is not empty.
        self.order.last().map_or(0, |&(_, _, slot)| slot)
    }
}

/// Belady's MIN over `mem / 4096` pages (at least one).
pub struct Opt {
    cache: Cache<Belady>,
}

impl Opt {
    /// Runs the first pass over `events`, which must be exactly the events later given
    /// to [`Model::step`], in the same order (a mismatch is reported as a warning).
    pub fn new(files: &FileTable, mem_bytes: u64, device: DeviceSpec, events: &[Event]) -> Self {
        let policy = Belady {
            next_use: next_uses(files, events),
            slot_next: Vec::new(),
            order: BTreeSet::new(),
        };
        Opt {
            cache: Cache::new(files, mem_bytes, device, policy),
        }
    }

    /// Pages resident now.
    pub fn resident(&self) -> usize {
        self.cache.resident()
    }

    /// Capacity in pages.
    pub fn capacity(&self) -> usize {
        self.cache.capacity()
    }

    /// Whether `key` is resident (`Some(dirty)`) or not (`None`).
    pub fn lookup(&self, key: PageKey) -> Option<bool> {
        self.cache.lookup(key)
    }
}

impl Model for Opt {
    fn device_mut(&mut self) -> Option<&mut crate::device::Device> {
        Some(&mut self.cache.device)
    }

    fn step(&mut self, ev: &Event) {
        self.cache.step(ev);
    }

    fn finish(&mut self) -> RunStats {
        let mut stats = self.cache.finish();
        let planned = self.cache.policy.next_use.len() as u64;
        let made = self.cache.references();
        if made != planned {
            stats.warnings.push(format!(
                "opt: the replay made {made} page references but the first pass saw \
                 {planned}: the events replayed are not the ones OPT was built from, so \
                 its evictions are not optimal"
            ));
        }
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::tests::{Trace, ssd, table};
    use crate::trace::Op;

    #[test]
    fn next_use_links_references_and_drops_cut_them() {
        let files = table(&[Some(1 << 20), Some(1 << 20)]);
        let mut t = Trace::new();
        t.read(0, 0); // ref 0
        t.read(0, 1); // ref 1
        t.read(1, 0); // ref 2
        t.read(0, 0); // ref 3
        t.push(Op::Truncate, 0, None, Some(4096)); // drops page 1 of file 0
        t.read(0, 1); // ref 4: a fresh page, not ref 1's next use
        t.read(0, 0); // ref 5: page 0 survived the truncate
        t.push(Op::Unlink, 1, None, None);
        t.read(1, 0); // ref 6
        assert_eq!(
            next_uses(&files, &t.events),
            vec![3, NEVER, NEVER, 5, NEVER, NEVER, NEVER]
        );
    }

    /// A drop must end a page's life for MIN. Capacity 2; A = file 0 page 0,
    /// B = file 1 page 0, C = file 1 page 1. References: A B C, unlink file 0, A' B.
    /// At C, A's next reference (A') comes after A is dropped, so A is "never used
    /// again" and goes: A B C(-A), unlink (nothing resident), A'(-C, never again), B hit
    /// = 4 misses. Taking A' as A's next use would evict B instead: 5 misses.
    #[test]
    fn drops_end_page_lives_for_min() {
        let files = table(&[Some(1 << 20), Some(1 << 20)]);
        let mut t = Trace::new();
        t.read(0, 0);
        t.read(1, 0);
        t.read(1, 1);
        t.push(Op::Unlink, 0, None, None);
        t.read(0, 0);
        t.read(1, 0);
        let mut opt = Opt::new(&files, 2 * 4096, ssd(), &t.events);
        for e in &t.events {
            opt.step(e);
        }
        let s = opt.finish();
        assert_eq!(s.counters.page_misses, 4);
        assert_eq!(s.counters.page_hits, 1);
        assert!(s.warnings.is_empty());
    }

    /// Never-used-again pages go before any page with a future use, whatever the key.
    #[test]
    fn never_used_again_goes_first() {
        let files = table(&[Some(1 << 20)]);
        let mut t = Trace::new();
        // Capacity 3: 9 (never again), 1, 2 resident; 3 misses and must evict 9, so the
        // final 1 and 2 hit.
        for p in [9, 1, 2, 3, 1, 2] {
            t.read(0, p);
        }
        let mut opt = Opt::new(&files, 3 * 4096, ssd(), &t.events);
        for e in &t.events {
            opt.step(e);
        }
        assert_eq!(
            opt.lookup(crate::models::pageref::PageKey { file: 0, pindex: 9 }),
            None
        );
        assert_eq!(opt.resident(), 3);
        assert_eq!(opt.finish().counters.page_misses, 4);
    }
}
