//! File mappings (`vm_map_entry` of a vnode object) and their page tables (pmap):
//! per mapped page a PTE with writable, referenced (A) and modified (M) bits.
//!
//! The pmap bits matter because they are how mmap dirtiness and references reach the
//! VM: unmapping or write-protecting a page folds M into `dirty` and A into
//! `PG_REFERENCED` (§3), and pageout counts A bits when aging pages (§7.1).

use super::Simulator;
use super::page::{NIL, PAGE_SIZE, pg};
use rustc_hash::FxHashMap;

/// PTE bits.
pub mod pte {
    pub const WRITE: u8 = 1 << 0;
    /// Accessed (A).
    pub const REF: u8 = 1 << 1;
    /// Modified (M).
    pub const MOD: u8 = 1 << 2;
}

/// One file mapping of one process.
#[derive(Clone, Debug, Default)]
pub struct Mapping {
    pub pid: u32,
    pub vnode: u32,
    pub object: u32,
    /// First page index mapped.
    pub start: u64,
    /// One past the last page index mapped.
    pub end: u64,
    /// Shared mappings are writable; MAP_PRIVATE ones never write to the file.
    pub writable: bool,
    /// MADV_RANDOM: faults ask for no read-ahead.
    pub random: bool,
    /// MADV_SEQUENTIAL.
    pub sequential: bool,
    /// MAP_NOSYNC: the syncer skips pages dirtied through it.
    pub nosync: bool,
    /// Made for touches outside any explicit mapping.
    pub implicit: bool,
    pub live: bool,
    /// Number (`Counters::events`) of the `mmap` event that made the mapping; 0 for
    /// the implicit one. Pieces clipped from one mapping keep it: only they lie side
    /// by side in the address space, so only they merge back (`map_simplify`).
    pub mmap_event: u64,
    pub ptes: FxHashMap<u64, u8>,
}

impl Simulator {
    /// Create a mapping of pages `[start, end)` and link it to the object.
    pub(crate) fn map_insert(&mut self, m: Mapping) -> u32 {
        let object = m.object;
        let id = match self.free_maps.pop() {
            Some(id) => {
                self.maps[id as usize] = m;
                id
            }
            None => {
                self.maps.push(m);
                self.maps.len() as u32 - 1
            }
        };
        self.maps[id as usize].live = true;
        self.objects[object as usize].maps.push(id);
        id
    }

    /// Remove the PTEs of pages `[from, to)` of mapping `id`, folding M into `dirty` and
    /// A into `PG_REFERENCED` (pmap_remove).
    pub(crate) fn map_remove_range(&mut self, id: u32, from: u64, to: u64) {
        let object = self.maps[id as usize].object;
        let mut ptes = std::mem::take(&mut self.maps[id as usize].ptes);
        let span = to.saturating_sub(from);
        if span as usize >= ptes.len() {
            ptes.retain(|&pi, &mut bits| {
                if pi < from || pi >= to {
                    return true;
                }
                self.pte_fold(object, pi, bits, true);
                false
            });
        } else {
            for pi in from..to {
                if let Some(bits) = ptes.remove(&pi) {
                    self.pte_fold(object, pi, bits, true);
                }
            }
        }
        self.maps[id as usize].ptes = ptes;
    }

    /// Fold one PTE's bits into its page; with `remove` the page loses a mapping.
    fn pte_fold(&mut self, object: u32, pindex: u64, bits: u8, remove: bool) {
        let Some(m) = self.objects[object as usize].lookup(pindex) else {
            return;
        };
        if bits & pte::MOD != 0 {
            self.vm_page_dirty(m);
        }
        let p = &mut self.pages.pages[m as usize];
        if remove {
            if bits & pte::REF != 0 {
                p.flags |= pg::REFERENCED;
            }
            p.mapped = p.mapped.saturating_sub(1);
        }
    }

    /// Drop mapping `id` entirely (munmap of all of it, or process exit).
    pub(crate) fn map_destroy(&mut self, id: u32) {
        let (object, start, end) = {
            let mp = &self.maps[id as usize];
            (mp.object, mp.start, mp.end)
        };
        self.map_remove_range(id, start, end);
        self.maps[id as usize].live = false;
        let o = &mut self.objects[object as usize];
        o.maps.retain(|&x| x != id);
        self.free_maps.push(id);
    }

    /// `pmap_enter`: map page `m` (index `pindex`) in mapping `id`.
    pub(crate) fn pmap_enter(
        &mut self,
        id: u32,
        pindex: u64,
        m: u32,
        writable: bool,
        access: bool,
    ) {
        let mp = &mut self.maps[id as usize];
        let e = mp.ptes.entry(pindex).or_insert(0);
        let fresh = *e == 0;
        if writable {
            *e |= pte::WRITE;
        } else {
            *e &= !pte::WRITE;
        }
        if access {
            *e |= pte::REF;
        }
        // Keep a zero-bit entry distinguishable from "absent".
        if *e == 0 {
            *e = 0x80;
        }
        if fresh {
            self.pages.pages[m as usize].mapped += 1;
        }
    }

    /// The PTE bits of `pindex` in mapping `id`, if mapped.
    pub(crate) fn pte_get(&self, id: u32, pindex: u64) -> Option<u8> {
        self.maps[id as usize].ptes.get(&pindex).copied()
    }

    pub(crate) fn pte_set(&mut self, id: u32, pindex: u64, set: u8) {
        if let Some(e) = self.maps[id as usize].ptes.get_mut(&pindex) {
            *e |= set;
        }
    }

    /// `vm_page_protect(m, VM_PROT_NONE)`: unmap from every pmap.
    pub(crate) fn pmap_remove_all(&mut self, m: u32) {
        let (object, pindex) = {
            let p = &self.pages.pages[m as usize];
            (p.object, p.pindex)
        };
        if object == NIL {
            return;
        }
        for i in 0..self.objects[object as usize].maps.len() {
            let id = self.objects[object as usize].maps[i];
            if let Some(bits) = self.maps[id as usize].ptes.remove(&pindex) {
                self.pte_fold(object, pindex, bits, true);
            }
        }
    }

    /// `vm_page_protect(m, VM_PROT_READ)`: write-protect everywhere; M folds into
    /// `dirty` and the next store takes a write fault.
    pub(crate) fn pmap_write_protect(&mut self, m: u32) {
        let (object, pindex) = {
            let p = &self.pages.pages[m as usize];
            (p.object, p.pindex)
        };
        if object == NIL {
            return;
        }
        for i in 0..self.objects[object as usize].maps.len() {
            let id = self.objects[object as usize].maps[i];
            let bits = match self.maps[id as usize].ptes.get_mut(&pindex) {
                Some(e) => {
                    let b = *e;
                    *e &= !(pte::WRITE | pte::MOD);
                    if *e == 0 {
                        *e = 0x80;
                    }
                    b
                }
                None => continue,
            };
            if bits & pte::MOD != 0 {
                self.vm_page_dirty(m);
            }
        }
    }

    /// `pmap_ts_referenced`: how many mappings set A since last asked; clears them.
    pub(crate) fn pmap_ts_referenced(&mut self, m: u32) -> u32 {
        let (object, pindex) = {
            let p = &self.pages.pages[m as usize];
            (p.object, p.pindex)
        };
        let mut n = 0;
        for i in 0..self.objects[object as usize].maps.len() {
            let id = self.objects[object as usize].maps[i];
            if let Some(e) = self.maps[id as usize].ptes.get_mut(&pindex)
                && *e & pte::REF != 0
            {
                *e &= !pte::REF;
                if *e == 0 {
                    *e = 0x80;
                }
                n += 1;
            }
        }
        n
    }

    /// `pmap_is_modified`.
    pub(crate) fn pmap_is_modified(&self, m: u32) -> bool {
        let p = &self.pages.pages[m as usize];
        self.objects[p.object as usize].maps.iter().any(|&id| {
            self.maps[id as usize]
                .ptes
                .get(&p.pindex)
                .is_some_and(|b| b & pte::MOD != 0)
        })
    }

    /// The mapping a touch by `pid` of page `pindex` goes through: that process's
    /// mapping if it has one, else any live mapping of the object covering the page.
    pub(crate) fn find_mapping(&self, object: u32, pid: u32, pindex: u64) -> Option<u32> {
        let maps = &self.objects[object as usize].maps;
        let covers = |id: &&u32| {
            let mp = &self.maps[**id as usize];
            pindex >= mp.start && pindex < mp.end
        };
        maps.iter()
            .filter(covers)
            .find(|id| self.maps[**id as usize].pid == pid && !self.maps[**id as usize].implicit)
            .or_else(|| {
                maps.iter()
                    .filter(covers)
                    .find(|id| !self.maps[**id as usize].implicit)
            })
            .or_else(|| maps.iter().find(covers))
            .copied()
    }

    /// `vm_map_clip_start` / `vm_map_clip_end`: split mapping `id` at page `at`
    /// (`start < at < end`). `id` keeps `[start, at)`; the returned new mapping gets
    /// `[at, end)` with those pages' PTEs and, like the kernel's clipped entry, its own
    /// object (and vnode) reference.
    pub(crate) fn map_clip(&mut self, id: u32, at: u64) -> u32 {
        let ptes = std::mem::take(&mut self.maps[id as usize].ptes);
        let (lower, moved): (FxHashMap<u64, u8>, FxHashMap<u64, u8>) =
            ptes.into_iter().partition(|(pi, _)| *pi < at);
        let mut upper = self.maps[id as usize].clone();
        self.maps[id as usize].ptes = lower;
        self.maps[id as usize].end = at;
        upper.start = at;
        upper.ptes = moved;
        let (object, vn) = (upper.object, upper.vnode);
        let new = self.map_insert(upper);
        self.objects[object as usize].ref_count += 1;
        self.vnodes[vn as usize].refs += 1;
        new
    }

    /// Whether mapping `b` starts where `a` ends and may merge with it: pieces of one
    /// mmap with the same attributes (`vm_map_simplify_entry`'s test).
    fn map_mergeable(&self, a: u32, b: u32) -> bool {
        let (x, y) = (&self.maps[a as usize], &self.maps[b as usize]);
        a != b
            && x.live
            && y.live
            && !x.implicit
            && !y.implicit
            && x.end == y.start
            && x.pid == y.pid
            && x.object == y.object
            && x.mmap_event == y.mmap_event
            && x.writable == y.writable
            && x.random == y.random
            && x.sequential == y.sequential
            && x.nosync == y.nosync
    }

    /// `vm_map_simplify_entry`: merge mapping `id` with the piece just below and the
    /// piece just above it when they are mergeable; the merged-away pieces drop their
    /// references.
    pub(crate) fn map_simplify(&mut self, mut id: u32) {
        let object = self.maps[id as usize].object;
        let below = self.objects[object as usize]
            .maps
            .iter()
            .copied()
            .find(|&x| self.map_mergeable(x, id));
        if let Some(b) = below {
            self.map_merge(b, id);
            id = b;
        }
        let above = self.objects[object as usize]
            .maps
            .iter()
            .copied()
            .find(|&x| self.map_mergeable(id, x));
        if let Some(a) = above {
            self.map_merge(id, a);
        }
    }

    /// Fold mapping `b` (which starts where `a` ends) into `a`.
    fn map_merge(&mut self, a: u32, b: u32) {
        let ptes = std::mem::take(&mut self.maps[b as usize].ptes);
        let (end, object, vn) = {
            let mb = &self.maps[b as usize];
            (mb.end, mb.object, mb.vnode)
        };
        let ma = &mut self.maps[a as usize];
        ma.end = end;
        ma.ptes.extend(ptes);
        self.maps[b as usize].live = false;
        self.objects[object as usize].maps.retain(|&x| x != b);
        self.free_maps.push(b);
        // `a` still holds a reference to both, so neither count reaches 0 here.
        self.objects[object as usize].ref_count -= 1;
        self.vnodes[vn as usize].refs -= 1;
    }

    /// Page range of a byte range, rounded out to pages.
    pub(crate) fn page_range(offset: u64, length: u64) -> (u64, u64) {
        let start = offset / PAGE_SIZE;
        let end = offset.saturating_add(length).div_ceil(PAGE_SIZE);
        (start, end)
    }
}
