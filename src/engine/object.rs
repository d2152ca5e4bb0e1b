//! `struct vm_object` (sys/vm/vm_object.h): the file's resident pages by index.
//!
//! Each object maps pindex → page slot with an Fx hash map (one probe per lookup, no
//! pointer chasing); pages themselves live in the global slab (`page.rs`).

use crate::chunkmap::ChunkMap;

/// Object flags (the subset that changes behaviour).
pub mod obj {
    /// Being terminated: faults fail, pageout requeues its dirty pages.
    pub const DEAD: u8 = 1 << 0;
    /// A page may have been dirtied through a writable mapping.
    pub const WRITEABLE: u8 = 1 << 1;
    /// Cleaning is a no-op without this.
    pub const MIGHTBEDIRTY: u8 = 1 << 2;
    /// The mount does not want msync (MNTK_NOMSYNC).
    pub const NOMSYNC: u8 = 1 << 3;
}

/// A vnode-backed VM object.
#[derive(Clone, Debug, Default)]
pub struct VmObject {
    /// The vnode this object pages for (`object->handle`).
    pub vnode: u32,
    /// Size in pages. vnode_pager_alloc rounds to the block straddling EOF, the seed's
    /// vnode_pager_setsize to the page (pager-model.md §6.5).
    pub size: u64,
    /// Mappings (and text references) only: a file used by read(2) alone has 0, which
    /// makes pageout ignore its references.
    pub ref_count: u32,
    pub flags: u8,
    /// Bumped whenever a page is added or removed (vm_object_page_clean reruns on it).
    pub generation: u32,
    pub resident: ChunkMap,
    /// Live mappings of this object (indices into the simulator's mapping slab).
    pub maps: Vec<u32>,
}

impl VmObject {
    #[inline]
    pub fn lookup(&self, pindex: u64) -> Option<u32> {
        self.resident.get(pindex)
    }

    pub fn resident_page_count(&self) -> usize {
        self.resident.len()
    }
}

/// `vm_object_page_clean` flags (sys/vm/vm_object.h).
pub mod objpc {
    /// Wait for the writes (same bit as VM_PAGER_PUT_SYNC).
    pub const SYNC: u32 = 0x1;
    /// Invalidate the written pages (VM_PAGER_PUT_INVAL).
    pub const INVAL: u32 = 0x2;
    /// Skip PG_NOSYNC pages (syncer's vfs_msync).
    pub const NOSYNC: u32 = 0x4;
}

use super::Simulator;
use super::page::{NIL, Queue, pg};
use super::vnode_pager::put;
use crate::stats::Origin;

impl Simulator {
    /// `vm_object_page_clean(obj, start, end, flags)` (§6.8): write the object's dirty
    /// pages of `[start, end)` (`end == 0`: to the end) through putpages in runs of up
    /// to `vm_pageout_page_count`. A whole-object call first marks every page
    /// `PG_CLEANCHK` and write-protects it (pass 1); pass 2 takes only `PG_CLEANCHK`
    /// pages (unless the `msync_needs_cleanchk` knob is off) — so a partial range
    /// cleans only what an earlier whole-object pass left marked.
    pub(crate) fn vm_object_page_clean(
        &mut self,
        object: u32,
        start: u64,
        end: u64,
        flags: u32,
        origin: Origin,
    ) {
        if self.objects[object as usize].flags & obj::MIGHTBEDIRTY == 0 {
            return;
        }
        let size = self.objects[object as usize].size;
        let end = if end == 0 { size } else { end };
        let whole = start == 0 && end >= size;
        let pagerflags = if flags & (objpc::SYNC | objpc::INVAL) != 0 {
            (if flags & objpc::SYNC != 0 {
                put::SYNC
            } else {
                0
            }) | (if flags & objpc::INVAL != 0 {
                put::INVAL
            } else {
                0
            })
        } else {
            put::CLUSTER_OK
        };
        let mut pis: Vec<u64> = self.objects[object as usize]
            .resident
            .iter()
            .map(|(pi, _)| pi)
            .filter(|pi| *pi >= start && *pi < end)
            .collect();
        pis.sort_unstable();
        if whole {
            // Pass 1: mark and write-protect everything.
            let mut failed = false;
            for &pi in &pis {
                let Some(m) = self.objects[object as usize].lookup(pi) else {
                    continue;
                };
                self.pages.pages[m as usize].flags |= pg::CLEANCHK;
                self.pmap_write_protect(m);
                let p = &self.pages.pages[m as usize];
                if flags & objpc::NOSYNC != 0 && p.flags & pg::NOSYNC != 0 && p.dirty != 0 {
                    failed = true;
                }
            }
            if !failed {
                self.objects[object as usize].flags &= !(obj::WRITEABLE | obj::MIGHTBEDIRTY);
                let vn = self.objects[object as usize].vnode;
                self.set_obj_dirty(vn, false);
            }
        }
        // Pass 2, repeated while the object changes underneath.
        let need_cleanchk = self.p.knobs.msync_needs_cleanchk;
        let max = self.p.vm_pageout_page_count as u64;
        for _round in 0..4 {
            let gen0 = self.objects[object as usize].generation;
            let mut i = 0;
            while i < pis.len() {
                let pi = pis[i];
                i += 1;
                let Some(m) = self.objects[object as usize].lookup(pi) else {
                    continue;
                };
                let p = &self.pages.pages[m as usize];
                if need_cleanchk && p.flags & pg::CLEANCHK == 0 {
                    continue;
                }
                if p.valid == 0 || p.queue == Queue::Cache {
                    continue;
                }
                self.vm_page_test_dirty(m);
                let p = &self.pages.pages[m as usize];
                if p.dirty == 0 {
                    self.pages.pages[m as usize].flags &= !pg::CLEANCHK;
                    continue;
                }
                if flags & objpc::NOSYNC != 0 && p.flags & pg::NOSYNC != 0 {
                    continue;
                }
                // Collect a run: forward, then backward, ≤ vm_pageout_page_count.
                let mut fwd = 0;
                while fwd + 1 < max && self.clean_candidate(object, pi + fwd + 1, need_cleanchk) {
                    fwd += 1;
                }
                let mut back = 0;
                while back + fwd + 1 < max
                    && pi > back
                    && self.clean_candidate(object, pi - back - 1, need_cleanchk)
                {
                    back += 1;
                }
                let mut run = std::mem::take(&mut self.scratch_run);
                run.clear();
                for x in pi - back..=pi + fwd {
                    if let Some(mm) = self.objects[object as usize].lookup(x) {
                        self.pages.pages[mm as usize].flags &= !pg::CLEANCHK;
                        run.push(mm);
                    }
                }
                self.vm_pageout_flush(&run, pagerflags, origin);
                for &mm in &run {
                    let p = &mut self.pages.pages[mm as usize];
                    if p.object == object && p.dirty != 0 {
                        p.flags |= pg::CLEANCHK;
                    }
                }
                if flags & objpc::INVAL != 0 {
                    for &mm in &run {
                        let p = &self.pages.pages[mm as usize];
                        if p.object == object && p.dirty == 0 && p.wire_count == 0 && p.busy == 0 {
                            self.vm_page_free(mm);
                        }
                    }
                }
                self.scratch_run = run;
                // Skip the pages the run covered.
                while i < pis.len() && pis[i] <= pi + fwd {
                    i += 1;
                }
            }
            if self.objects[object as usize].generation == gen0 {
                break;
            }
        }
    }

    /// Whether page `pi` may join a page-clean run (§6.8 step 3).
    fn clean_candidate(&mut self, object: u32, pi: u64, need_cleanchk: bool) -> bool {
        let Some(m) = self.objects[object as usize].lookup(pi) else {
            return false;
        };
        let p = &self.pages.pages[m as usize];
        if p.busy > 0 || p.queue == Queue::Cache || (need_cleanchk && p.flags & pg::CLEANCHK == 0) {
            return false;
        }
        self.vm_page_test_dirty(m);
        let p = &self.pages.pages[m as usize];
        p.dirty != 0 && p.object != NIL
    }
}
