//! Vnode recycling: `allocvnode`/`allocfreevnode`/`vnode_terminate` of
//! sys/kern/vfs_lock.c and `vnlru_proc`/`vlrureclaim`/`vmightfree` of
//! sys/kern/vfs_mount.c (DragonFly 2.10–3.0; the 2011 code, read at the v2.10.1 tag).
//!
//! The kernel keeps about `desiredvnodes` vnodes. A file's vnode (and its VM object,
//! pages and buffers) outlives its last close; once too many exist, the `vnlru` thread
//! `vgone`s unused ones with few resident pages, files opened fewer times first, and
//! their cached data is gone: the next use reads the file in again. This bounds the
//! simulator's memory by the simulated kernel's own limit, not by the files a trace
//! ever touched. What survives a reclaim is the inode: size and block map, parked here
//! until the file is used again (`ffs_vget` reading the inode back is metadata I/O,
//! which this model leaves out, pager-model.md §10).
//!
//! Modelled as the kernel does it:
//! - `vnode_terminate`: on the last close, a vnode with no buffers (`v_auxrefs`, held
//!   by `bgetvp`) and no resident pages goes on the free list (`VFREE`, `__vfree`);
//!   any later use takes it off (`vget` → `__vbusy`).
//! - `allocvnode`: while `numvnodes − freevnodes > desiredvnodes` the caller wakes
//!   vnlru (and sleeps until it has freed some); with at least `debug.wantfreevnodes` (25) free and `numvnodes ≥ desiredvnodes`
//!   it reuses the free list's first vnode (reclaimed ones at the head, `vgone`ing an
//!   unreclaimed one first), else allocates.
//! - `vnlru_proc` wakes every second (and at once for a waiting allocvnode); while
//!   `numvnodes − freevnodes > desiredvnodes·9/10` it runs `vlrureclaim` passes 0..4
//!   until one reclaims something. A pass walks the next `nvnodelistsize/10 + 1`
//!   vnodes of the mount from the syncer marker on (new vnodes join behind it, so the
//!   walk is in allocation order, round and round) and reclaims those `vmightfree`
//!   accepts: unreferenced, fewer than `v_page_count·(vnlru_nowhere + 2) /
//!   desiredvnodes` resident pages, and `VAGE` at least 3 − pass. After ten fruitless
//!   rounds it sleeps 3 s. Before that, with more than `desiredvnodes` vnodes and over
//!   a fifth of them free, `freesomevnodes` frees `numvnodes − desiredvnodes` (within
//!   5..=freevnodes/100) of the free ones outright.
//!
//! Where it differs: vnlru runs in the allocating op's place, checked at each
//! allocation (the only thing that raises the count it watches), and the op never
//! waits for it: over the limit it runs at once unless its last round found nothing,
//! and then the allocation goes ahead (the kernel's caller would sleep until vnlru
//! freed a vnode). `vtrytomakegoneable` writes a dirty candidate's buffers and pages
//! (`vinvalbuf(V_SAVE)`) and waits, then reclaims it; here the writes are started
//! (origin `vnlru`) and a later pass reclaims the vnode once they are done, so an op
//! never waits for vnlru. A vnode with I/O in flight or on the syncer's worklist is
//! passed over until it is neither. Recycling never loses data (the shadow checks
//! it). The `vdrop` path (a cached vnode's last buffer going) does not move vnodes to
//! the free list; the free list's rover and middle sections only sort vnodes with
//! pages or swap, which a free vnode here never has.

use super::Simulator;
use super::extents::ExtentMap;
use super::page::NIL;
use crate::stats::Origin;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// What a reclaimed file keeps: its on-disk inode.
#[derive(Clone, Debug)]
struct Inode {
    size: u64,
    unbounded: bool,
    extents: ExtentMap,
}

/// The vnode table's bookkeeping.
#[derive(Clone, Debug, Default)]
pub struct VnodeCache {
    /// `desiredvnodes`.
    pub desired: u32,
    /// `numvnodes`: vnodes allocated (in use, cached or free).
    pub numvnodes: u32,
    /// `freevnodes`: vnodes on the free list (reclaimed or `VFREE`).
    pub freevnodes: u32,
    /// The free list's head: reclaimed vnodes, last reclaimed first.
    reclaimed: Vec<u32>,
    /// The rest of the free list, oldest first: (vnode, its `fgen` when freed).
    free: VecDeque<(u32, u32)>,
    /// The mount's vnode list from the syncer marker on: (vnode, `vgen`).
    mntlist: VecDeque<(u32, u32)>,
    /// `mnt_nvnodelistsize`: vnodes of the mount not reclaimed.
    nvnodelistsize: u32,
    /// Slots of vnodes `freesomevnodes` freed, for the next allocation.
    dead: Vec<u32>,
    /// `vnlru_nowhere`: fruitless vnlru rounds in a row.
    nowhere: u32,
    /// When the vnlru thread next wakes by itself.
    next_wakeup: u64,
    /// Inodes of reclaimed files, by file.
    parked: FxHashMap<u32, Inode>,
}

impl VnodeCache {
    pub fn new(desired: u32) -> VnodeCache {
        VnodeCache {
            desired: desired.max(1),
            ..VnodeCache::default()
        }
    }

    /// Vnodes not on the free list.
    fn in_use(&self) -> u32 {
        self.numvnodes - self.freevnodes
    }
}

impl Simulator {
    /// `allocvnode`: let vnlru run if it is due or the caller must wait for it, then
    /// reuse a free vnode if there are enough, else allocate one. Returns the slot to
    /// reuse, or None to append a new one.
    pub(crate) fn allocvnode(&mut self) -> Option<u32> {
        let c = &self.vcache;
        let busy = c.in_use() as u64;
        // A waiting allocvnode wakes vnlru at once, unless its last round found
        // nothing to reclaim: then it sleeps until its own wakeup (the caller would
        // wait for it; here it goes on), so a table of busy vnodes costs no scan per
        // allocation.
        let due = self.now >= c.next_wakeup;
        if busy * 10 > c.desired as u64 * 9 && due
            || busy > c.desired as u64 && (due || c.nowhere == 0)
        {
            self.vnlru_proc();
        }
        let c = &self.vcache;
        let want = self.p.knobs.wantfreevnodes;
        let slot = if c.freevnodes >= want && c.numvnodes >= c.desired {
            self.allocfreevnode()
        } else {
            None
        };
        let slot = match slot {
            Some(s) => {
                self.c.vnode_reuses += 1;
                Some(s)
            }
            None => {
                self.vcache.numvnodes += 1;
                self.vcache.dead.pop()
            }
        };
        self.c.vnodes_peak = self.c.vnodes_peak.max(self.vcache.numvnodes as u64);
        slot
    }

    /// A new identity in slot `vn` (just allocated or reused): on the mount's list.
    pub(crate) fn insmntque(&mut self, vn: u32) {
        let v = &mut self.vnodes[vn as usize];
        v.vgen = v.vgen.wrapping_add(1);
        let g = v.vgen;
        self.vcache.mntlist.push_back((vn, g));
        self.vcache.nvnodelistsize += 1;
    }

    /// The inode of `file` if it was reclaimed: (size, unbounded, block map).
    pub(crate) fn parked_inode(&mut self, file: u32) -> Option<(u64, bool, ExtentMap)> {
        if self.vcache.parked.is_empty() {
            return None;
        }
        let i = self.vcache.parked.remove(&file)?;
        Some((i.size, i.unbounded, i.extents))
    }

    /// `allocfreevnode`: the free list's first vnode, vgone'd if it was not yet.
    fn allocfreevnode(&mut self) -> Option<u32> {
        if self.vcache.reclaimed.is_empty() {
            let vn = loop {
                let (vn, g) = self.vcache.free.pop_front()?;
                let v = &self.vnodes[vn as usize];
                if v.free && v.fgen == g {
                    break vn;
                }
            };
            self.vnodes[vn as usize].free = false;
            self.vcache.freevnodes -= 1;
            self.vgone(vn);
        }
        let vn = self.vcache.reclaimed.pop()?;
        self.vcache.freevnodes -= 1;
        Some(vn)
    }

    /// `vnode_terminate` on the last reference going: a vnode with no buffers and no
    /// resident pages goes on the free list.
    pub(crate) fn vnode_terminate(&mut self, vn: u32) {
        let v = &self.vnodes[vn as usize];
        if v.free || v.reclaimed || v.unlinked || v.object == NIL {
            return;
        }
        let idle = self.objects[v.object as usize].resident.is_empty()
            && self
                .bufs
                .index
                .get(vn as usize)
                .is_none_or(|m| m.is_empty());
        if idle {
            let v = &mut self.vnodes[vn as usize];
            v.free = true;
            v.fgen = v.fgen.wrapping_add(1);
            let g = v.fgen;
            self.vcache.free.push_back((vn, g));
            self.vcache.freevnodes += 1;
        }
    }

    /// `vget` of a vnode on the free list: it leaves the list (`__vbusy`).
    #[cold]
    pub(crate) fn vnode_reactivate(&mut self, vn: u32) {
        self.vnodes[vn as usize].free = false;
        self.vcache.freevnodes -= 1;
    }

    /// An unlinked vnode's last reference went and it was destroyed: reclaimed, at the
    /// head of the free list (`vrecycle` from `ufs_inactive`).
    pub(crate) fn vnode_discarded(&mut self, vn: u32, object: u32) {
        let v = &mut self.vnodes[vn as usize];
        if v.free {
            v.free = false;
            self.vcache.freevnodes -= 1;
        }
        v.reclaimed = true;
        v.spare_object = object;
        self.vcache.reclaimed.push(vn);
        self.vcache.freevnodes += 1;
        self.vcache.nvnodelistsize -= 1;
    }

    /// `vnlru_proc`, one wakeup: free surplus free vnodes, then reclaim while most
    /// vnodes are in use.
    fn vnlru_proc(&mut self) {
        self.vcache.next_wakeup = self.now.saturating_add(super::SEC);
        let c = &self.vcache;
        if c.numvnodes > c.desired && c.freevnodes as u64 * 10 > c.desired as u64 * 2 {
            let n = (c.numvnodes - c.desired).min(c.freevnodes / 100).max(5);
            self.freesomevnodes(n);
        }
        while self.vcache.in_use() as u64 * 10 > self.vcache.desired as u64 * 9 {
            let mut done = 0;
            let mut pass = 0;
            while done == 0 && pass < 4 {
                done = self.vlrureclaim(pass);
                pass += 1;
            }
            if done > 0 {
                self.vcache.nowhere = 0;
                continue;
            }
            let c = &mut self.vcache;
            c.nowhere += 1;
            if c.nowhere == 1000 {
                c.nowhere = 900;
            }
            if c.nowhere.is_multiple_of(10) {
                c.next_wakeup = self.now.saturating_add(3 * super::SEC);
                break;
            }
        }
    }

    /// `freesomevnodes`: free up to `n` vnodes of the free list outright.
    fn freesomevnodes(&mut self, n: u32) {
        for _ in 0..n {
            let Some(vn) = self.allocfreevnode() else {
                break;
            };
            self.vcache.numvnodes -= 1;
            self.vcache.dead.push(vn);
        }
    }

    /// `vlrureclaim` on the one mount: returns the vnodes reclaimed.
    fn vlrureclaim(&mut self, pass: u32) -> u32 {
        let c = &self.vcache;
        let trigger = self.p.page_count as u64 * (c.nowhere as u64 + 2) / c.desired.max(1) as u64;
        let mut count = c.nvnodelistsize / 10 + 1;
        let mut done = 0;
        let mut seen = self.vcache.mntlist.len();
        while count > 0 && seen > 0 {
            seen -= 1;
            let Some((vn, g)) = self.vcache.mntlist.pop_front() else {
                break;
            };
            let v = &self.vnodes[vn as usize];
            if v.reclaimed || v.vgen != g {
                continue; // left the mount since
            }
            count -= 1;
            if !self.vmightfree(vn, trigger, pass) {
                self.vcache.mntlist.push_back((vn, g));
            } else if self.goneable(vn) {
                if self.vnodes[vn as usize].free {
                    self.vnodes[vn as usize].free = false;
                    self.vcache.freevnodes -= 1;
                }
                self.vgone(vn);
                done += 1;
            } else {
                // `vinvalbuf(V_SAVE)`: write what is dirty. The kernel waits and
                // reclaims the vnode at once; here the writes start and a later pass
                // takes the vnode once they are done (the op does not wait for vnlru).
                let v = &self.vnodes[vn as usize];
                if v.obj_dirty || v.dirty_bufs > 0 {
                    self.flush_vnode_async(vn, Origin::Vnlru);
                }
                self.vcache.mntlist.push_back((vn, g));
            }
        }
        done
    }

    /// `vmightfree`: unreferenced, fewer than `trigger` resident pages, and aged
    /// enough for this pass.
    fn vmightfree(&self, vn: u32, trigger: u64, pass: u32) -> bool {
        let v = &self.vnodes[vn as usize];
        if v.refs > 0 || v.unlinked || v.object == NIL || vn == self.op_vnode {
            return false;
        }
        if self.objects[v.object as usize].resident.len() as u64 >= trigger {
            return false;
        }
        u32::from(v.vage) + pass >= 3
    }

    /// What `vtrytomakegoneable` would do without writing: nothing dirty, nothing on
    /// the syncer's worklist, no I/O in flight.
    fn goneable(&self, vn: u32) -> bool {
        let v = &self.vnodes[vn as usize];
        if v.obj_dirty
            || v.dirty_bufs > 0
            || v.syncer_due.is_some()
            || (!self.sync_kernel && v.dirtied_at.is_some())
        {
            return false;
        }
        let bufs_idle = self.bufs.index.get(vn as usize).is_none_or(|m| {
            m.iter().all(|(_, b)| {
                let b = &self.bufs.bufs[b as usize];
                b.queue != super::buf::BufQueue::Locked && b.io.is_none()
            })
        });
        bufs_idle
            && self.objects[v.object as usize]
                .resident
                .iter()
                .all(|(_, m)| self.pages.pages[m as usize].dirty == 0 && !self.page_in_flight(m))
    }

    /// `vgone`: drop the vnode's (clean) buffers and pages, terminate its object, park
    /// its inode, and put it at the head of the free list.
    pub(crate) fn vgone(&mut self, vn: u32) {
        let object = self.vnodes[vn as usize].object;
        let file = self.vnodes[vn as usize].file;
        self.buf_discard_from(vn, 0);
        self.shadow_reclaim(vn);
        if self.vnodes[vn as usize].on_dirty_list {
            self.vnodes[vn as usize].on_dirty_list = false;
            self.dirty_vnodes.remove(&vn);
        }
        let v = &mut self.vnodes[vn as usize];
        let inode = Inode {
            size: v.v_filesize,
            unbounded: v.unbounded,
            extents: std::mem::take(&mut v.extents),
        };
        self.vcache.parked.insert(file, inode);
        self.vm_object_page_remove(object, 0, u64::MAX);
        self.vnode_pager_dealloc(object);
        if self.file_vnode.get(file as usize) == Some(&vn) {
            self.file_vnode[file as usize] = NIL;
        }
        self.c.vnlru_reclaims += 1;
        self.vnode_discarded(vn, object);
    }
}
