//! Page state changes and the pageout daemon (sys/vm/vm_page.c, sys/vm/vm_pageout.c):
//! allocation from free/cache (§3), activate/deactivate/cache/free/wire, and the
//! inactive, active and cache scans of §7.1 with launder clustering.

use super::Simulator;
use super::object::obj;
use super::page::{ACT_DECLINE, ACT_INIT, ACT_MAX, NIL, Queue, VM_PAGE_BITS_ALL, pg};

/// One launder cluster (for tests and analysis: `Simulator::record_launder_runs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaunderRun {
    /// First page index of the run.
    pub first: u64,
    pub pages: u32,
    /// The inactive page the scan found dirty.
    pub trigger: u64,
}

/// Outcome of a pageout pass, for the caller's "did memory get better" test.
#[derive(Clone, Copy, Debug, Default)]
pub struct PassResult {
    pub freed_or_cached: u32,
    pub laundered: u32,
}

impl Simulator {
    // ---- §2.1 predicates (sys/vm/vm_page2.h) ----

    fn fc(&self) -> u32 {
        self.pages.free_count() + self.pages.cache_count()
    }

    /// `vm_page_count_severe`.
    pub(crate) fn vm_page_count_severe(&self) -> bool {
        self.fc() < self.p.v_free_severe || self.pages.free_count() < self.p.v_free_reserved
    }

    /// `vm_paging_needed`.
    pub(crate) fn vm_paging_needed(&self) -> bool {
        self.fc() < self.p.v_free_min + self.p.v_cache_min
            || self.pages.free_count() < self.p.v_free_min
    }

    /// `vm_paging_target`: pages still to free or cache (may be negative).
    pub(crate) fn vm_paging_target(&self) -> i64 {
        (self.p.v_free_target as i64 + self.p.v_cache_min as i64) - self.fc() as i64
    }

    // ---- page state changes (§3) ----

    /// `vm_page_alloc(VM_ALLOC_NORMAL)`: a free page while F > v_free_reserved, else the
    /// head of the cache queue (that cached file page is lost), else none (deficit).
    /// The page comes back off-queue, invalid, inserted in `obj` at `pindex`.
    pub(crate) fn vm_page_alloc(&mut self, object: u32, pindex: u64) -> Option<u32> {
        // The pageout daemon is a system thread: its own I/O setup may dig deeper.
        let floor = if self.pageout.running {
            self.p.v_interrupt_free_min
        } else {
            self.p.v_free_reserved
        };
        let m = if self.pages.free_count() > floor {
            self.pages.take_free()
        } else {
            None
        };
        let m = match m {
            Some(m) => Some(m),
            None => {
                let c = self.pages.head(Queue::Cache);
                if c != NIL {
                    self.c.alloc_cache_reclaims += 1;
                    self.vm_page_free(c);
                    self.pages.take_free()
                } else {
                    None
                }
            }
        };
        let Some(m) = m else {
            self.pageout.deficit += 1;
            self.c.alloc_failures += 1;
            self.pagedaemon_wakeup();
            return None;
        };
        self.page_insert(m, object, pindex);
        self.pagedaemon_wakeup();
        Some(m)
    }

    /// Allocate, sleeping for memory (`vm_wait`) as the kernel does, unless `nowait`.
    pub(crate) fn vm_page_alloc_wait(
        &mut self,
        object: u32,
        pindex: u64,
        nowait: bool,
    ) -> Option<u32> {
        for _ in 0..64 {
            if let Some(m) = self.vm_page_alloc(object, pindex) {
                return Some(m);
            }
            if nowait || !self.vm_wait() {
                break;
            }
        }
        // Nothing will ever free a page (everything wired by buffers with no I/O in
        // flight): take one from the reserve rather than deadlock the replay.
        if nowait {
            return None;
        }
        self.c.alloc_reserve_overrides += 1;
        let Some(m) = self.pages.take_free() else {
            self.no_progress(format!(
                "no page can be had for page {pindex} of a file: memory is exhausted by wired and busy pages and nothing can free one"
            ));
            return None;
        };
        self.page_insert(m, object, pindex);
        Some(m)
    }

    /// A fresh page (off-queue, invalid, clean) enters `object` at `pindex`.
    fn page_insert(&mut self, m: u32, object: u32, pindex: u64) {
        let p = &mut self.pages.pages[m as usize];
        p.object = object;
        p.pindex = pindex;
        p.valid = 0;
        p.flags = 0;
        p.act_count = 0;
        p.busy = 0;
        p.mapped = 0;
        p.wire_count = 0;
        p.buf = NIL;
        p.io_done_at = 0;
        // A page from the free queue is clean; keep the dirty count right regardless.
        self.pages.set_dirty(m, 0);
        let o = &mut self.objects[object as usize];
        o.resident.insert(pindex, m);
        o.generation = o.generation.wrapping_add(1);
    }

    /// `vm_wait`: sleep until the pageout daemon makes progress. Runs a pageout pass
    /// now; if that freed nothing, waits for the next I/O completion (laundering or
    /// read-ahead finishing releases pages). Returns false if nothing can change.
    pub(crate) fn vm_wait(&mut self) -> bool {
        let prev = std::mem::replace(&mut self.stall, super::Stall::Memory);
        let r = self.vm_wait_inner();
        self.stall = prev;
        r
    }

    fn vm_wait_inner(&mut self) -> bool {
        if self.pageout.running {
            // The daemon never sleeps on itself: wait for I/O instead.
            return self.wait_any_io();
        }
        let r = self.vm_pageout_scan();
        if r.freed_or_cached > 0
            && self.pages.free_count() + self.pages.cache_count() > self.p.v_free_reserved
        {
            return true;
        }
        self.wait_any_io() || r.freed_or_cached > 0
    }

    /// `pagedaemon_wakeup`: wake the daemon iff paging is needed.
    pub(crate) fn pagedaemon_wakeup(&mut self) {
        if self.vm_paging_needed() {
            self.pageout.wanted = true;
        }
    }

    /// `vm_page_free`: the page leaves its object (data lost) for the free queue.
    pub(crate) fn vm_page_free(&mut self, m: u32) {
        if self.pages.pages[m as usize].mapped > 0 {
            self.pmap_remove_all(m);
        }
        self.pages.unqueue(m);
        let (object, pindex, flags) = {
            let p = &self.pages.pages[m as usize];
            (p.object, p.pindex, p.flags)
        };
        if flags & pg::READAHEAD != 0 {
            self.c.readahead_pages_evicted_unused += 1;
        }
        if object != NIL {
            let o = &mut self.objects[object as usize];
            o.resident.remove(pindex);
            o.generation = o.generation.wrapping_add(1);
        }
        self.pages.set_dirty(m, 0);
        let p = &mut self.pages.pages[m as usize];
        p.object = NIL;
        p.valid = 0;
        p.flags = 0;
        p.buf = NIL;
        self.pages.insert_tail(Queue::Free, m);
    }

    /// `vm_page_activate`: to the active tail, `act_count ≥ ACT_INIT`. No queue change
    /// for wired pages.
    pub(crate) fn vm_page_activate(&mut self, m: u32) {
        let p = &self.pages.pages[m as usize];
        if p.wire_count > 0 {
            return;
        }
        if p.queue == Queue::Cache {
            self.c.v_reactivated += 1;
        }
        if p.queue != Queue::Active {
            self.pages.requeue(Queue::Active, m);
        }
        let p = &mut self.pages.pages[m as usize];
        p.act_count = p.act_count.max(ACT_INIT);
    }

    /// `vm_page_deactivate`: to the inactive tail; forget the extra-lap mark.
    pub(crate) fn vm_page_deactivate(&mut self, m: u32) {
        if self.pages.pages[m as usize].wire_count > 0 {
            return;
        }
        self.pages.requeue(Queue::Inactive, m);
        self.pages.pages[m as usize].flags &= !pg::WINATCFLS;
    }

    /// `vm_page_cache`: unmap; dirty after all ⇒ deactivate, else to the cache queue.
    pub(crate) fn vm_page_cache(&mut self, m: u32) {
        if self.pages.pages[m as usize].mapped > 0 {
            self.pmap_remove_all(m);
        }
        let p = &self.pages.pages[m as usize];
        if p.dirty != 0 {
            self.vm_page_deactivate(m);
            return;
        }
        if p.wire_count > 0 || p.busy > 0 {
            return;
        }
        self.pages.requeue(Queue::Cache, m);
        self.c.pages_cached += 1;
    }

    pub(crate) fn vm_page_wire(&mut self, m: u32) {
        if self.pages.pages[m as usize].wire_count == 0 {
            self.pages.unqueue(m);
            self.pages.wire_count += 1;
        }
        self.pages.pages[m as usize].wire_count += 1;
    }

    /// `vm_page_unwire(m, activate)`; returns whether this was the last wiring.
    pub(crate) fn vm_page_unwire(&mut self, m: u32, activate: bool) -> bool {
        let p = &mut self.pages.pages[m as usize];
        if p.wire_count == 0 {
            return false;
        }
        p.wire_count -= 1;
        if p.wire_count > 0 {
            return false;
        }
        self.pages.wire_count -= 1;
        let q = if activate {
            Queue::Active
        } else {
            Queue::Inactive
        };
        self.pages.insert_tail(q, m);
        if q == Queue::Inactive {
            self.pages.pages[m as usize].flags &= !pg::WINATCFLS;
        }
        true
    }

    /// `vm_page_dirty`: all sectors dirty; the object and vnode may now be dirty.
    pub(crate) fn vm_page_dirty(&mut self, m: u32) {
        self.pages.set_dirty(m, VM_PAGE_BITS_ALL);
        let o = self.pages.pages[m as usize].object;
        if o != NIL {
            let ob = &mut self.objects[o as usize];
            ob.flags |= obj::WRITEABLE | obj::MIGHTBEDIRTY;
            let vn = ob.vnode;
            let v = &self.vnodes[vn as usize];
            if !v.obj_dirty || !v.on_dirty_list || v.dirtied_at.is_none() {
                self.vnode_pages_dirtied(vn);
            }
        }
    }

    /// The first dirty page of a clean vnode: `VOBJDIRTY`, the dirty list, the age.
    /// Out of line: the store path stays small.
    #[cold]
    #[inline(never)]
    fn vnode_pages_dirtied(&mut self, vn: u32) {
        self.set_obj_dirty(vn, true);
        self.vnode_dirtied(vn);
        let v = &mut self.vnodes[vn as usize];
        if v.dirtied_at.is_none() {
            v.dirtied_at = Some(self.now);
        }
    }

    /// `vm_page_test_dirty`: fold the pmap modified bit into `dirty`.
    pub(crate) fn vm_page_test_dirty(&mut self, m: u32) {
        if self.pages.pages[m as usize].mapped > 0 && self.pmap_is_modified(m) {
            self.vm_page_dirty(m);
        }
    }

    // ---- §7.1 the pageout daemon ----

    /// Run the daemon if an allocation woke it. Called between events and from vm_wait.
    pub(crate) fn pageout_if_wanted(&mut self) {
        if self.pageout.wanted {
            self.pageout.wanted = false;
            self.vm_pageout_scan();
        }
    }

    /// One pass of `vm_pageout_scan`: inactive scan (cache clean pages, launder dirty
    /// ones), active scan (age and deactivate), cache scan (free toward the target).
    pub(crate) fn vm_pageout_scan(&mut self) -> PassResult {
        if self.pageout.running {
            return PassResult::default();
        }
        self.pageout.running = true;
        let r = self.vm_pageout_pass();
        self.pageout.running = false;
        r
    }

    fn vm_pageout_pass(&mut self) -> PassResult {
        self.c.v_pdwakeups += 1;
        let skipped0 = self.c.vnodes_skipped;
        let mut res = PassResult::default();
        let pass = self.pageout.pass;
        let mut avail_shortage = self.vm_paging_target() + self.pageout.deficit as i64;
        self.pageout.deficit = 0;

        if avail_shortage > 0 {
            // One global queue stands for 256 colour queues: quota 256·PQAVERAGE(s).
            let s = avail_shortage as u64;
            let quota = 256 * (s.div_ceil(256) + 1);
            let mut maxlaunder: u32 = if pass == 0 {
                self.p.knobs.max_launder
            } else {
                10000
            };
            let mut progress: u64 = 0;
            let mut scan = self.pages.len(Queue::Inactive);
            let mut m = self.pages.head(Queue::Inactive);
            while m != NIL && scan > 0 && progress < quota {
                scan -= 1;
                let next = self.pages.pages[m as usize].next;
                self.c.v_pdpages += 1;
                let outcome = self.pageout_inactive_page(m, pass, &mut maxlaunder);
                progress += outcome as u64;
                m = next;
                // A page moved to the tail or laundered may have changed `next`'s queue.
                if m != NIL && self.pages.pages[m as usize].queue != Queue::Inactive {
                    m = self.pages.head(Queue::Inactive);
                }
            }
            res.freed_or_cached = progress as u32;
            avail_shortage -= progress as i64;
        }

        // Active scan.
        let mut inactive_shortage =
            self.p.v_inactive_target as i64 - self.pages.len(Queue::Inactive) as i64;
        if avail_shortage > 0 {
            inactive_shortage += (2 * avail_shortage).min(self.p.v_inactive_target as i64 / 10);
        }
        let mut delta: i64 = 0;
        let mut scan = self.pages.len(Queue::Active);
        let mut m = self.pages.head(Queue::Active);
        while m != NIL && scan > 0 && (avail_shortage - delta > 0 || inactive_shortage > 0) {
            scan -= 1;
            let next = self.pages.pages[m as usize].next;
            let p = &self.pages.pages[m as usize];
            if p.busy > 0 {
                m = next;
                continue;
            }
            let o = p.object;
            let refc = self.objects[o as usize].ref_count;
            let mut n: u32 = 0;
            if refc != 0 {
                if self.pages.pages[m as usize].flags & pg::REFERENCED != 0 {
                    n += 1;
                }
                n += self.pmap_ts_referenced(m);
                if n > 0 {
                    let p = &mut self.pages.pages[m as usize];
                    p.act_count = (p.act_count as u32 + 3 + n).min(ACT_MAX as u32) as u8;
                }
            }
            self.pages.pages[m as usize].flags &= !pg::REFERENCED;
            if n > 0 && refc != 0 {
                self.pages.requeue(Queue::Active, m);
            } else {
                let p = &mut self.pages.pages[m as usize];
                p.act_count = p.act_count.saturating_sub(ACT_DECLINE);
                let algo = self.p.knobs.pageout_algorithm;
                if algo || refc == 0 || (p.act_count as u32) < pass + 1 {
                    inactive_shortage -= 1;
                    if avail_shortage - delta > 0 || refc == 0 {
                        if self.pages.pages[m as usize].mapped > 0 {
                            self.pmap_remove_all(m);
                        }
                        if self.pages.pages[m as usize].dirty == 0 && avail_shortage - delta > 0 {
                            self.vm_page_cache(m);
                        } else {
                            self.vm_page_deactivate(m);
                            self.c.pages_deactivated += 1;
                        }
                    } else {
                        self.vm_page_deactivate(m);
                        self.c.pages_deactivated += 1;
                    }
                    delta += 1;
                } else {
                    self.pages.requeue(Queue::Active, m);
                }
            }
            m = next;
            if m != NIL && self.pages.pages[m as usize].queue != Queue::Active {
                m = self.pages.head(Queue::Active);
            }
        }
        avail_shortage -= delta;

        // Cache scan: free cache pages toward (free_min + free_target)/2.
        let goal = (self.p.v_free_min + self.p.v_free_target) / 2;
        while self.pages.free_count() < goal {
            let c = self.pages.head(Queue::Cache);
            if c == NIL {
                break;
            }
            self.vm_page_free(c);
            self.c.v_dfree += 1;
            res.freed_or_cached += 1;
        }

        // Cache scan could not free enough and vnodes were skipped: speed up the syncer.
        if self.vm_paging_target() > 0
            && self.c.vnodes_skipped > skipped0
            && self.vm_page_count_min(0)
        {
            self.daemons.rushjob = (self.daemons.rushjob + 1).min(self.p.knobs.syncdelay / 2);
            self.c.rushjobs += 1;
        }
        if avail_shortage > 0 {
            // Sleep 100 ms and go again.
            self.pageout.pass += 1;
            self.daemons.pageout_next = self.now.saturating_add(100_000_000);
        } else {
            self.pageout.pass = 0;
        }
        res
    }

    /// `vm_page_count_min(d)`.
    pub(crate) fn vm_page_count_min(&self, d: u32) -> bool {
        self.fc() < self.p.v_free_min + d || self.pages.free_count() < self.p.v_free_reserved
    }

    /// Whether the idle stats scan has anything to do (§7.1.4).
    pub(crate) fn stats_scan_wanted(&self) -> bool {
        let have = self.pages.free_count() as i64
            + self.pages.len(Queue::Inactive) as i64
            + self.pages.cache_count() as i64;
        let want =
            self.p.v_inactive_target as i64 + self.p.v_cache_max as i64 + self.p.v_free_min as i64;
        want - have > 0 && self.pages.len(Queue::Active) > 0
    }

    /// The idle stats scan (§7.1.4) on the one active queue: a quarter of the queue plus
    /// a share proportional to `v_free_target`. Referenced pages gain `3 + n`, pages at
    /// `act_count` 0 are unmapped and deactivated, the others decline by one.
    pub(crate) fn vm_pageout_page_stats(&mut self) {
        self.c.stats_scans += 1;
        let len = self.pages.len(Queue::Active) as u64;
        let n = len / 4 + len * self.p.v_free_target as u64 / self.p.page_count.max(1) as u64 + 1;
        let mut scan = n.min(len);
        let mut m = self.pages.head(Queue::Active);
        while m != NIL && scan > 0 {
            scan -= 1;
            let next = self.pages.pages[m as usize].next;
            if self.pages.pages[m as usize].busy > 0 {
                m = next;
                continue;
            }
            let o = self.pages.pages[m as usize].object;
            let refc = self.objects[o as usize].ref_count;
            let mut refs = 0;
            if self.pages.pages[m as usize].flags & pg::REFERENCED != 0 {
                self.pages.pages[m as usize].flags &= !pg::REFERENCED;
                refs += 1;
            }
            if self.pages.pages[m as usize].mapped > 0 {
                refs += self.pmap_ts_referenced(m);
            }
            if refs > 0 && refc != 0 {
                let p = &mut self.pages.pages[m as usize];
                p.act_count = (p.act_count as u32 + 3 + refs).min(ACT_MAX as u32) as u8;
                self.pages.requeue(Queue::Active, m);
            } else if self.pages.pages[m as usize].act_count == 0 {
                if self.pages.pages[m as usize].mapped > 0 {
                    self.pmap_remove_all(m);
                }
                self.vm_page_deactivate(m);
                self.c.pages_deactivated += 1;
            } else {
                let p = &mut self.pages.pages[m as usize];
                p.act_count -= ACT_DECLINE;
                self.pages.requeue(Queue::Active, m);
            }
            m = next;
            if m != NIL && self.pages.pages[m as usize].queue != Queue::Active {
                m = self.pages.head(Queue::Active);
            }
        }
    }

    /// The inactive-scan step for one page; returns 1 when it counts toward the quota.
    fn pageout_inactive_page(&mut self, m: u32, pass: u32, maxlaunder: &mut u32) -> u32 {
        let p = &self.pages.pages[m as usize];
        if p.busy > 0 || p.wire_count > 0 {
            return 0;
        }
        let o = p.object;
        let refc = self.objects[o as usize].ref_count;
        if refc == 0 {
            self.pages.pages[m as usize].flags &= !pg::REFERENCED;
            if self.pages.pages[m as usize].mapped > 0 {
                self.pmap_ts_referenced(m);
            }
        } else {
            let referenced = self.pages.pages[m as usize].flags & pg::REFERENCED != 0;
            let n = if self.pages.pages[m as usize].mapped > 0 {
                self.pmap_ts_referenced(m)
            } else {
                0
            };
            if referenced || n > 0 {
                self.pages.pages[m as usize].flags &= !pg::REFERENCED;
                self.vm_page_activate(m);
                let add = if referenced { n + 4 } else { n + 3 };
                let p = &mut self.pages.pages[m as usize];
                p.act_count = (p.act_count as u32 + add).min(255) as u8;
                return 0;
            }
        }
        if self.pages.pages[m as usize].dirty == 0 {
            self.vm_page_test_dirty(m);
        }
        let p = &mut self.pages.pages[m as usize];
        if p.dirty != 0 {
            p.dirty = VM_PAGE_BITS_ALL;
        }
        if p.valid == 0 {
            self.vm_page_free(m);
            self.c.v_dfree += 1;
            return 1;
        }
        if p.dirty == 0 {
            self.vm_page_cache(m);
            return 1;
        }
        if self.p.knobs.dirty_lap && p.flags & pg::WINATCFLS == 0 && pass == 0 {
            p.flags |= pg::WINATCFLS;
            self.pages.requeue(Queue::Inactive, m);
            return 0;
        }
        if *maxlaunder > 0 {
            if self.objects[o as usize].flags & obj::DEAD != 0 {
                self.pages.requeue(Queue::Inactive, m);
                return 0;
            }
            // vget(LK_NOWAIT) fails on a vnode an op is using: skip it.
            if self.objects[o as usize].vnode == self.op_vnode {
                self.c.vnodes_skipped += 1;
                return 0;
            }
            let written = self.vm_pageout_clean(m);
            if written > 0 {
                *maxlaunder -= 1;
                return 1;
            }
        }
        0
    }

    /// Whether `p` may join a launder cluster (§7.1 step 3).
    fn launder_candidate(&mut self, p: u32) -> bool {
        let pg_ = &self.pages.pages[p as usize];
        if pg_.queue == Queue::Cache || pg_.busy > 0 {
            return false;
        }
        self.vm_page_test_dirty(p);
        let pg_ = &self.pages.pages[p as usize];
        pg_.dirty & pg_.valid != 0 && pg_.queue == Queue::Inactive && pg_.wire_count == 0
    }

    /// `vm_pageout_clean`: launder `m` with up to `vm_pageout_page_count` dirty inactive
    /// neighbours. The backward scan runs first and stops after an aligned page; the
    /// forward scan never adds a page in this snapshot (busy-try bug, 2011–2016), so the
    /// backward scan resumes past the alignment. Returns the pages handed to putpages.
    pub(crate) fn vm_pageout_clean(&mut self, m: u32) -> u32 {
        let (object, pindex) = {
            let p = &self.pages.pages[m as usize];
            (p.object, p.pindex)
        };
        let (run_max, forward) = self.pol.cluster.launder(&self.p.knobs);
        let max = run_max.unwrap_or(self.p.vm_pageout_page_count) as u64;
        let mut base = pindex;
        let mut count: u64 = 1;
        let mut ib: u64 = 1;
        let mut is: u64 = 1;
        loop {
            // Backward scan.
            while ib > 0 && count < max {
                if ib > pindex {
                    ib = 0;
                    break;
                }
                let Some(p) = self.objects[object as usize].lookup(pindex - ib) else {
                    ib = 0;
                    break;
                };
                if !self.launder_candidate(p) {
                    ib = 0;
                    break;
                }
                base = pindex - ib;
                count += 1;
                ib += 1;
                if (pindex - (ib - 1)).is_multiple_of(max) {
                    break;
                }
            }
            // Forward scan: in the snapshot it busies the candidate and then rejects
            // it for being busy, so it never adds a page (knob launder_forward=1
            // repairs it).
            if forward {
                let size = self.objects[object as usize].size;
                while count < max && pindex + is < size {
                    let Some(p) = self.objects[object as usize].lookup(pindex + is) else {
                        break;
                    };
                    if !self.launder_candidate(p) {
                        break;
                    }
                    count += 1;
                    is += 1;
                }
            }
            if ib > 0 && count < max {
                continue;
            }
            break;
        }
        self.scratch_run.clear();
        for i in base..base + count {
            if let Some(p) = self.objects[object as usize].lookup(i) {
                self.scratch_run.push(p);
            }
        }
        self.c.launder_runs += 1;
        self.c.launder_pages += count;
        if let Some(log) = self.launder_log.as_mut() {
            log.push(LaunderRun {
                first: base,
                pages: count as u32,
                trigger: pindex,
            });
        }
        let run = std::mem::take(&mut self.scratch_run);
        self.vm_pageout_flush(&run, 0, crate::stats::Origin::PageoutLaunder);
        self.scratch_run = run;
        count as u32
    }

    /// Pages currently dirty anywhere (page bits or pmap M bits), for tests.
    pub fn dirty_page_count(&self) -> usize {
        self.pages
            .pages
            .iter()
            .filter(|p| p.object != NIL && p.dirty != 0)
            .count()
    }
}
