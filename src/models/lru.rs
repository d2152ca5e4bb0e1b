//! `--model lru`: an exact least-recently-used page cache.
//!
//! The recency order is an intrusive doubly-linked list over the cache's slot indexes,
//! so a hit, an insertion and an eviction are O(1) and allocate nothing once the slab
//! has grown to the cache size.

use super::pageref::PageKey;
use super::{Cache, Model, Replacement};
use crate::device::DeviceSpec;
use crate::stats::RunStats;
use crate::trace::{Event, FileTable};

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Link {
    /// Towards the most recently used end.
    newer: u32,
    /// Towards the least recently used end.
    older: u32,
}

/// Recency list: `newest` is the most recently referenced page, `oldest` the victim.
#[derive(Debug)]
pub(crate) struct Recency {
    links: Vec<Link>,
    newest: u32,
    oldest: u32,
}

impl Recency {
    fn new() -> Self {
        Recency {
            links: Vec::new(),
            newest: NIL,
            oldest: NIL,
        }
    }

    fn push_newest(&mut self, slot: u32) {
        let i = slot as usize;
        if i >= self.links.len() {
            // The slab grows one slot at a time up to the capacity, then never again.
            self.links.resize(
                i + 1,
                Link {
                    newer: NIL,
                    older: NIL,
                },
            );
        }
        self.links[i] = Link {
            newer: NIL,
            older: self.newest,
        };
        if self.newest != NIL {
            self.links[self.newest as usize].newer = slot;
        } else {
            self.oldest = slot;
        }
        self.newest = slot;
    }

    fn unlink(&mut self, slot: u32) {
        let Link { newer, older } = self.links[slot as usize];
        if newer != NIL {
            self.links[newer as usize].older = older;
        } else {
            self.newest = older;
        }
        if older != NIL {
            self.links[older as usize].newer = newer;
        } else {
            self.oldest = newer;
        }
    }
}

impl Replacement for Recency {
    fn inserted(&mut self, slot: u32, _key: PageKey, _ref_index: u64) {
        self.push_newest(slot);
    }

    fn touched(&mut self, slot: u32, _key: PageKey, _ref_index: u64) {
        if self.newest != slot {
            self.unlink(slot);
            self.push_newest(slot);
        }
    }

    fn removed(&mut self, slot: u32, _key: PageKey) {
        self.unlink(slot);
    }

    fn victim(&mut self) -> u32 {
        self.oldest
    }
}

/// Exact LRU over `mem / 4096` pages (at least one).
pub struct Lru {
    cache: Cache<Recency>,
}

impl Lru {
    /// A cache of `mem_bytes / 4096` pages (at least 1) in front of `device`; file
    /// sizes (for appends) start from `files`.
    pub fn new(files: &FileTable, mem_bytes: u64, device: DeviceSpec) -> Self {
        Lru {
            cache: Cache::new(files, mem_bytes, device, Recency::new()),
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

    /// Resident pages from most to least recently referenced (for tests and
    /// debugging; walks the whole list).
    pub fn recency_order(&self) -> Vec<PageKey> {
        let r = &self.cache.policy;
        let mut out = Vec::with_capacity(self.cache.resident());
        let mut s = r.newest;
        while s != NIL {
            out.push(self.cache.key_of(s));
            s = r.links[s as usize].older;
        }
        out
    }
}

impl Model for Lru {
    fn device_mut(&mut self) -> Option<&mut crate::device::Device> {
        Some(&mut self.cache.device)
    }

    fn step(&mut self, ev: &Event) {
        self.cache.step(ev);
    }

    fn finish(&mut self) -> RunStats {
        self.cache.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::tests::{Trace, ssd, table};

    fn k(pindex: u64) -> PageKey {
        PageKey { file: 0, pindex }
    }

    #[test]
    fn recency_order_follows_references() {
        let files = table(&[Some(1 << 20)]);
        let mut lru = Lru::new(&files, 3 * 4096, ssd());
        let mut t = Trace::new();
        for p in [1, 2, 3, 1, 4, 2] {
            t.read(0, p);
        }
        for (i, e) in t.events.iter().enumerate() {
            lru.step(e);
            assert!(lru.resident() <= 3, "after event {i}");
        }
        // 1 2 3 | 1 hit | 4 evicts 2 | 2 evicts 3.
        assert_eq!(lru.recency_order(), vec![k(2), k(4), k(1)]);
        let s = lru.finish();
        assert_eq!(s.counters.page_misses, 5);
        assert_eq!(s.counters.page_hits, 1);
    }
}
