//! `vm_fault` on file mappings (sys/vm/vm_fault.c, §6.4): the quick path (blind to
//! `PG_RAM`), the slow path with getpage, and prefault with its write-fault dirtying.
//!
//! A touch through a mapping that already maps the page with enough rights is no fault
//! at all (it only sets the A/M bits); otherwise the simulator decides between a minor
//! fault (page resident and valid) and a major one (pager called).

use super::Simulator;
use super::map::pte;
use super::page::{NIL, Queue, VM_PAGE_BITS_ALL, pg};
use super::vnode_pager::PagerResult;
use crate::params::SeqAccess;

/// Outcome of one fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultResult {
    /// Already mapped with enough rights: no fault.
    NoFault,
    Minor,
    Major,
    /// Past EOF: the process would get SIGBUS.
    Sigbus,
}

impl Simulator {
    /// A load (`write == false`) or store through mapping `map` to page `pindex`.
    pub(crate) fn vm_fault_touch(&mut self, map: u32, pindex: u64, write: bool) -> FaultResult {
        let writable_map = self.maps[map as usize].writable;
        let write = write && writable_map;
        if write {
            // The store changes the file's data (checked by the no-data-lost shadow).
            let vn = self.maps[map as usize].vnode;
            let r = self.vm_fault_touch_inner(map, pindex, write);
            if r != FaultResult::Sigbus {
                self.shadow_modified(vn, pindex);
            }
            return r;
        }
        self.vm_fault_touch_inner(map, pindex, write)
    }

    fn vm_fault_touch_inner(&mut self, map: u32, pindex: u64, write: bool) -> FaultResult {
        if let Some(bits) = self.pte_get(map, pindex)
            && (!write || bits & pte::WRITE != 0)
        {
            let set = if write { pte::REF | pte::MOD } else { pte::REF };
            self.pte_set(map, pindex, set);
            self.c.touches_no_fault += 1;
            return FaultResult::NoFault;
        }
        self.vm_fault(map, pindex, write)
    }

    fn vm_fault(&mut self, map: u32, pindex: u64, write: bool) -> FaultResult {
        let object = self.maps[map as usize].object;
        let writable_map = self.maps[map as usize].writable;
        // Userland never sees the object's resident pages past v_filesize (they exist
        // only to cover the buffer straddling EOF): the fault code tests the file size.
        // A page past EOF that is not resident goes to getpages, which fails it.
        let vn = self.maps[map as usize].vnode;
        if pindex.saturating_mul(super::page::PAGE_SIZE) >= self.vnodes[vn as usize].v_filesize
            && self.objects[object as usize].lookup(pindex).is_some()
        {
            self.c.fault_sigbus += 1;
            return FaultResult::Sigbus;
        }

        // Quick path: resident, not busy, fully valid. PG_RAM is not looked at.
        if self.p.knobs.vm_shared_fault
            && let Some(m) = self.objects[object as usize].lookup(pindex)
            && !self.page_in_flight(m)
            && self.pages.pages[m as usize].valid == VM_PAGE_BITS_ALL
        {
            self.fault_enter(map, m, pindex, write, writable_map);
            self.c.minor_faults += 1;
            self.vm_prefault(map, pindex, write, true);
            self.fault_marker(vn, pindex);
            return FaultResult::Minor;
        }

        let mut hard = false;
        let m = loop {
            match self.objects[object as usize].lookup(pindex) {
                Some(m) => {
                    if self.page_in_flight(m) {
                        self.c.v_intrans += 1;
                        self.wait_page(m);
                        continue;
                    }
                    if self.pages.pages[m as usize].queue == Queue::Cache
                        && self.vm_page_count_severe()
                    {
                        self.vm_page_activate(m);
                        self.c.fault_memory_waits += 1;
                        if !self.vm_wait() {
                            break m;
                        }
                        continue;
                    }
                    let p = &self.pages.pages[m as usize];
                    if p.valid != VM_PAGE_BITS_ALL || p.flags & pg::RAM != 0 {
                        self.pages.pages[m as usize].flags &= !pg::RAM;
                        match self.fault_getpage(map, object, m) {
                            PagerResult::Ok => {
                                hard = true;
                                match self.objects[object as usize].lookup(pindex) {
                                    Some(m) => break m,
                                    None => continue,
                                }
                            }
                            _ => return self.fault_sigbus(object, pindex),
                        }
                    }
                    break m;
                }
                None => {
                    if pindex >= self.objects[object as usize].size {
                        return self.fault_sigbus(object, pindex);
                    }
                    if self.vm_page_count_severe() {
                        self.c.fault_memory_waits += 1;
                        if self.vm_wait() {
                            continue;
                        }
                    }
                    let Some(m) = self.vm_page_alloc_wait(object, pindex, false) else {
                        return self.fault_sigbus(object, pindex);
                    };
                    match self.fault_getpage(map, object, m) {
                        PagerResult::Ok => {
                            hard = true;
                            match self.objects[object as usize].lookup(pindex) {
                                Some(m) => break m,
                                None => continue,
                            }
                        }
                        _ => return self.fault_sigbus(object, pindex),
                    }
                }
            }
        };
        self.fault_enter(map, m, pindex, write, writable_map);
        if hard {
            self.c.major_faults += 1;
        } else {
            self.c.minor_faults += 1;
        }
        self.vm_prefault(map, pindex, write, false);
        if hard {
            FaultResult::Major
        } else {
            self.fault_marker(vn, pindex);
            FaultResult::Minor
        }
    }

    /// getpage for the fault: `seqaccess` is the maximum for every mapping not marked
    /// MADV_RANDOM (unless the knob says never).
    fn fault_getpage(&mut self, map: u32, object: u32, m: u32) -> PagerResult {
        let seq = !self.maps[map as usize].random && self.p.knobs.seqaccess == SeqAccess::Max;
        self.vnode_pager_getpage(object, m, seq)
    }

    /// A failed fault: a page allocated for it is freed; the process gets SIGBUS.
    fn fault_sigbus(&mut self, object: u32, pindex: u64) -> FaultResult {
        if let Some(m) = self.objects[object as usize].lookup(pindex) {
            let p = &self.pages.pages[m as usize];
            if p.valid == 0 && p.wire_count == 0 && p.queue == Queue::None && p.busy == 0 {
                self.vm_page_free(m);
            }
        }
        self.c.fault_sigbus += 1;
        FaultResult::Sigbus
    }

    /// Steps 1/5: activate, dirty on a store, `PG_REFERENCED`, `pmap_enter` (writable
    /// whenever the mapping allows, even on a read fault).
    fn fault_enter(&mut self, map: u32, m: u32, pindex: u64, write: bool, writable_map: bool) {
        self.vm_page_activate(m);
        if writable_map {
            let o = self.pages.pages[m as usize].object;
            self.objects[o as usize].flags |=
                super::object::obj::WRITEABLE | super::object::obj::MIGHTBEDIRTY;
        }
        if write {
            self.vm_page_dirty(m);
            if self.maps[map as usize].nosync {
                self.pages.pages[m as usize].flags |= pg::NOSYNC;
            }
        }
        self.pages.pages[m as usize].flags |= pg::REFERENCED;
        self.pmap_enter(map, pindex, m, writable_map, true);
        if write {
            self.pte_set(map, pindex, pte::MOD);
        }
        self.c.v_vm_faults += 1;
    }

    /// Prefault (§6.4 step 6): probe +1, −1, +2, −2, … up to `vm.prefault_pages`
    /// addresses; a direction stops at the mapping's edge or at a page already mapped.
    /// The slow-path version stops everything at the first non-resident page, the
    /// quick one skips it. A write fault enters the neighbours writable and dirties them.
    fn vm_prefault(&mut self, map: u32, pindex: u64, write: bool, quick: bool) {
        let n = self.p.knobs.prefault_pages;
        if n == 0 {
            return;
        }
        let (start, end, object, writable_map) = {
            let mp = &self.maps[map as usize];
            (mp.start, mp.end, mp.object, mp.writable)
        };
        let dirty_neighbours = write && self.p.knobs.prefault_dirty && writable_map;
        let mut stop_fwd = false;
        let mut stop_back = false;
        for i in 0..n as u64 {
            let d = i / 2 + 1;
            let fwd = i % 2 == 0;
            if (fwd && stop_fwd) || (!fwd && stop_back) {
                if stop_fwd && stop_back {
                    break;
                }
                continue;
            }
            let pi = if fwd {
                pindex.checked_add(d).filter(|&x| x < end)
            } else {
                pindex.checked_sub(d).filter(|&x| x >= start)
            };
            let Some(pi) = pi else {
                if fwd {
                    stop_fwd = true
                } else {
                    stop_back = true
                }
                continue;
            };
            if self.pte_get(map, pi).is_some() {
                if fwd {
                    stop_fwd = true
                } else {
                    stop_back = true
                }
                continue;
            }
            let m = match self.objects[object as usize].lookup(pi) {
                Some(m) => m,
                None => {
                    if quick {
                        continue;
                    }
                    break;
                }
            };
            let p = &self.pages.pages[m as usize];
            if p.valid != VM_PAGE_BITS_ALL || self.page_in_flight(m) {
                if quick {
                    continue;
                }
                break;
            }
            if p.queue == Queue::Cache {
                self.vm_page_deactivate(m);
            }
            if dirty_neighbours {
                self.vm_page_dirty(m);
                self.c.prefault_dirtied += 1;
            }
            self.pmap_enter(map, pi, m, dirty_neighbours, false);
            if dirty_neighbours {
                self.pte_set(map, pi, pte::MOD);
            }
            self.c.v_vm_faults += 1;
            self.c.prefault_pages += 1;
        }
    }

    /// Whether a read into page `m` is in flight at the op's current time.
    pub(crate) fn page_in_flight(&self, m: u32) -> bool {
        let p = &self.pages.pages[m as usize];
        p.busy > 0 || p.io_done_at > self.now
    }

    /// Wait until page `m` has no I/O in flight (its buffer's request completes).
    pub(crate) fn wait_page(&mut self, m: u32) {
        let prev = std::mem::replace(&mut self.stall, super::Stall::Busy);
        let b = self.pages.pages[m as usize].buf;
        if self.pages.pages[m as usize].busy > 0 && b != NIL {
            if let Some(req) = self.bufs.bufs[b as usize].io {
                self.wait_req(req);
            }
        } else if self.pages.pages[m as usize].busy > 0 {
            // Busy without a buffer cannot happen in this model; be safe.
            self.pages.pages[m as usize].busy = 0;
        }
        let done = self.pages.pages[m as usize].io_done_at;
        self.advance_clock(done);
        self.stall = prev;
    }
}
