//! The engine side of the sync-threshold plug-ins: the dirty-memory picture a policy
//! decides on, the writer throttle, and the flusher that carries out a policy's
//! `SyncAction`s (when the policy replaces DragonFly's buf_daemon and syncer).

use super::Simulator;
use super::page::{NIL, PAGE_SIZE, Queue};
use super::vnode_pager::put;
use crate::policies::sync::{DirtyState, SyncAction};
use crate::stats::Origin;

impl Simulator {
    /// Dirty bytes (pages and buffers), write bytes in flight, and the memory that
    /// could hold file data.
    pub(crate) fn dirty_state(&self) -> DirtyState {
        let pages = self.pages.free_count() as u64
            + self.pages.cache_count() as u64
            + self.pages.len(Queue::Inactive) as u64
            + self.pages.len(Queue::Active) as u64;
        DirtyState {
            dirty: self.pages.dirty_count() as u64 * PAGE_SIZE + self.bufs.dirtybufspace,
            running: self.bufs.runningbufspace,
            dirtyable: pages * PAGE_SIZE,
        }
    }

    /// After an op dirtied data: the sync policy may pause the writer and start its
    /// flusher.
    pub(crate) fn sync_throttle(&mut self) {
        if self.sync_kernel {
            return;
        }
        let st = self.dirty_state();
        let (pause, kick) = self.pol.sync.throttle(&st);
        if kick {
            // The write is done: its vnode is no longer held, the flusher may take it.
            let held = std::mem::replace(&mut self.op_vnode, super::page::NIL);
            self.policy_flush(self.now);
            self.op_vnode = held;
        }
        if pause > 0 {
            let prev = std::mem::replace(&mut self.stall, super::Stall::Throttle);
            self.advance_clock(self.now.saturating_add(pause));
            self.stall = prev;
        }
    }

    /// Run the policy's flusher at `now`.
    pub(crate) fn policy_flush(&mut self, now: u64) {
        // The flusher's own buffer waits must not start another flush.
        if self.flushing {
            return;
        }
        self.flushing = true;
        self.policy_flush_inner(now);
        self.flushing = false;
    }

    fn policy_flush_inner(&mut self, now: u64) {
        self.c.writeback_runs += 1;
        let st = self.dirty_state();
        let mut actions = Vec::new();
        self.pol.sync.on_wakeup(now, &st, &mut actions);
        for a in actions {
            match a {
                SyncAction::FlushAll => {
                    let mut at = 0;
                    while let Some(vn) = self.next_dirty_vnode(at) {
                        at = vn + 1;
                        self.flush_vnode_async(vn, Origin::Writeback);
                    }
                }
                SyncAction::FlushOlderThan(age) => {
                    let cut = now.saturating_sub(age);
                    let mut at = 0;
                    while let Some(vn) = self.next_dirty_vnode(at) {
                        at = vn + 1;
                        if self.vnodes[vn as usize]
                            .dirtied_at
                            .is_some_and(|t| t <= cut)
                        {
                            self.flush_vnode_async(vn, Origin::Writeback);
                        }
                    }
                }
                SyncAction::FlushUntilBelow(bytes) => {
                    let mut order: Vec<(u64, u32)> = Vec::new();
                    let mut at = 0;
                    while let Some(vn) = self.next_dirty_vnode(at) {
                        at = vn + 1;
                        if let Some(t) = self.vnodes[vn as usize].dirtied_at {
                            order.push((t, vn));
                        }
                    }
                    order.sort_unstable();
                    for (_, vn) in order {
                        if self.dirty_state().dirty <= bytes {
                            break;
                        }
                        self.flush_vnode_async(vn, Origin::Writeback);
                    }
                }
            }
        }
    }

    /// Write back one vnode: its mmap-dirty pages into buffers, then every dirty
    /// buffer, asynchronously, tagged `origin` (a sync policy's flusher, vnlru).
    pub(crate) fn flush_vnode_async(&mut self, vn: u32, origin: Origin) {
        let v = &self.vnodes[vn as usize];
        // A file unlinked while still open is written too, as a flusher would: its
        // inode lives until the last reference goes.
        if v.object == NIL {
            return;
        }
        let object = v.object;
        self.write_origin_async = origin;
        self.write_origin_sync = origin;
        // The vnode an op holds: its dirty buffers (unlocked, on the DIRTY queue) can
        // be written, but its pages are not cleaned under the op.
        if self.vnodes[vn as usize].obj_dirty && vn != self.op_vnode {
            self.vm_object_page_clean(object, 0, 0, 0, origin);
        }
        let mut list = std::mem::take(&mut self.scratch_pages);
        self.vnode_dirty_bufs(vn, &mut list);
        for &b in &list {
            let bp = &self.bufs.bufs[b as usize];
            if bp.flags & super::buf::bf::DELWRI == 0
                || bp.queue != super::buf::BufQueue::Dirty
                || bp.vnode != vn
            {
                continue;
            }
            self.vfs_bio_awrite(b, origin);
        }
        self.scratch_pages = list;
        self.write_origin_async = Origin::Bawrite;
        self.write_origin_sync = Origin::IoSync;
        let v = &mut self.vnodes[vn as usize];
        if v.dirty_bufs == 0 && !v.obj_dirty {
            v.dirtied_at = None;
        }
    }

    /// `writethrough`: the pages a store (and its prefault) dirtied around `pindex`
    /// go to the device at once, synchronously.
    pub(crate) fn writethrough_pages(&mut self, vn: u32, pindex: u64) {
        let object = self.vnodes[vn as usize].object;
        if object == NIL {
            return;
        }
        let reach = self.p.knobs.prefault_pages as u64 / 2 + 1;
        let mut run = Vec::new();
        for pi in pindex.saturating_sub(reach)..=pindex + reach {
            let Some(m) = self.objects[object as usize].lookup(pi) else {
                continue;
            };
            self.vm_page_test_dirty(m);
            if self.pages.pages[m as usize].dirty != 0 {
                if run
                    .last()
                    .is_some_and(|&l: &u32| self.pages.pages[l as usize].pindex + 1 != pi)
                {
                    self.vm_pageout_flush(&run, put::SYNC, Origin::IoSync);
                    run.clear();
                }
                run.push(m);
            }
        }
        if !run.is_empty() {
            self.vm_pageout_flush(&run, put::SYNC, Origin::IoSync);
        }
    }
}
