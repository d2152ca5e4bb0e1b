//! The syncer (sys/kern/vfs_sync.c, §7.3), `vfsync` (sys/kern/vfs_subr.c) in its lazy
//! and waiting forms, and the buf_daemon (sys/kern/vfs_bio.c, §7.2).
//!
//! The syncer wheel has 32 one-second slots; a vnode enters it `kern.filedelay`
//! seconds ahead when it gets its first dirty buffer. Here the wheel is a map from due
//! second to vnodes, which is the same schedule (every delay is < 32 s) but lets idle
//! stretches of the trace be skipped in one step.

use super::Simulator;
use super::buf::{BufQueue, bf};
use super::object::objpc;
use super::page::NIL;
use super::stats::Origin;
use std::collections::BTreeMap;

const SEC: u64 = 1_000_000_000;

/// Scheduling state of the three daemons and the timeline sampler.
#[derive(Clone, Debug)]
pub struct Daemons {
    /// Next buf_daemon wake-up (ns), `u64::MAX` while it sleeps until kicked.
    pub bufdaemon_next: u64,
    /// A dirty buffer pushed dirty space past the B10 midpoint.
    pub bufdaemon_kick: bool,
    /// Next syncer second to process.
    pub syncer_sec: u64,
    /// Due second → vnodes to visit.
    pub wheel: BTreeMap<u64, Vec<u32>>,
    /// Second at which the per-mount syncer vnode runs vfs_msync + VFS_SYNC.
    pub syncer_vnode_due: u64,
    /// Extra slots the syncer processes at once (pageout asks when vnodes were skipped).
    pub rushjob: u64,
    /// Next pageout wake-up (stats interval, or 100 ms after a pass that fell short).
    pub pageout_next: u64,
    /// Stats scans run in the current idle stretch (bounded: the queues converge).
    pub idle_stats_scans: u32,
    /// Next wake-up of the sync policy's own flusher.
    pub policy_next: u64,
    /// The event count at which the syncer vnode last made a pass that wrote nothing
    /// (the dirty pages left are `PG_NOSYNC`): until the next event, its visits are
    /// idle and skipped.
    pub msync_idle_at: Option<u64>,
}

impl Default for Daemons {
    fn default() -> Self {
        Daemons {
            bufdaemon_next: u64::MAX,
            bufdaemon_kick: false,
            syncer_sec: 1,
            wheel: BTreeMap::new(),
            syncer_vnode_due: 30,
            rushjob: 0,
            pageout_next: 5 * SEC,
            idle_stats_scans: 0,
            policy_next: u64::MAX,
            msync_idle_at: None,
        }
    }
}

impl Simulator {
    /// Put `vn` on the syncer wheel `delay` seconds ahead (if it is not on it yet).
    pub(crate) fn syncer_add(&mut self, vn: u32, delay: u64) {
        if self.vnodes[vn as usize].syncer_due.is_some() || !self.sync_kernel {
            return;
        }
        let due = (self.now / SEC).max(self.daemons.syncer_sec) + delay;
        self.vnodes[vn as usize].syncer_due = Some(due);
        self.daemons.wheel.entry(due).or_default().push(vn);
    }

    fn syncer_requeue(&mut self, vn: u32, due: u64) {
        self.vnodes[vn as usize].syncer_due = Some(due);
        self.daemons.wheel.entry(due).or_default().push(vn);
    }

    /// The earliest second a wheel slot is due (`u64::MAX`: the wheel is empty).
    fn syncer_wheel_first(&self) -> u64 {
        self.daemons
            .wheel
            .keys()
            .next()
            .copied()
            .unwrap_or(u64::MAX)
    }

    /// Time (ns) of the syncer's next piece of work, skipping idle seconds.
    pub(crate) fn syncer_next_time(&self) -> u64 {
        if !self.sync_kernel {
            return u64::MAX;
        }
        let wheel = self.syncer_wheel_first();
        wheel
            .min(self.daemons.syncer_vnode_due)
            .max(self.daemons.syncer_sec)
            .saturating_mul(SEC)
    }

    /// Process the syncer's work due at second `sec`.
    pub(crate) fn syncer_run(&mut self, sec: u64) {
        self.daemons.syncer_sec = sec + 1;
        let mut slots = 1 + self.daemons.rushjob;
        self.daemons.rushjob = 0;
        let mut s = sec;
        while slots > 0 {
            slots -= 1;
            let due: Vec<u64> = self.daemons.wheel.range(..=s).map(|(k, _)| *k).collect();
            for d in due {
                let list = self.daemons.wheel.remove(&d).unwrap_or_default();
                for vn in list {
                    if self.vnodes[vn as usize].syncer_due != Some(d) {
                        continue; // re-queued elsewhere meanwhile
                    }
                    self.vnodes[vn as usize].syncer_due = None;
                    self.c.syncer_vnodes += 1;
                    self.syncer_visit(vn, sec);
                }
            }
            s += 1;
        }
        if sec >= self.daemons.syncer_vnode_due {
            let writes = self.device.stats().writes;
            self.syncer_vnode_run();
            // A pass that wrote nothing (only MAP_NOSYNC pages are dirty) with the
            // device idle will write nothing again until an op changes something.
            if self.device.stats().writes == writes
                && self.bufs.dirtybufcount == 0
                && self.device.next_completion_time().is_none()
            {
                self.daemons.msync_idle_at = Some(self.c.events);
            }
            let step = self.p.knobs.syncdelay.max(1);
            // The syncer vnode comes back every syncdelay seconds; when nothing is
            // dirty the intervening visits do nothing and are skipped.
            let next = self.daemons.syncer_vnode_due + step;
            self.daemons.syncer_vnode_due = next.max(sec + 1);
        }
    }

    /// `VOP_FSYNC(MNT_LAZY)` on one vnode from the wheel: flush up to the lazy limit
    /// from where the last visit stopped; re-queue 1 s ahead when the limit was hit,
    /// `syncdelay` ahead if still dirty, else leave the wheel.
    fn syncer_visit(&mut self, vn: u32, sec: u64) {
        if self.vnodes[vn as usize].dirty_bufs == 0 {
            return;
        }
        let hit_limit = self.vfsync_lazy(vn, Origin::SyncerLazy);
        if hit_limit {
            self.syncer_requeue(vn, sec + 1);
        } else if self.vnodes[vn as usize].dirty_bufs > 0 {
            self.syncer_requeue(vn, sec + self.p.knobs.syncdelay.min(30));
        }
    }

    /// Lazy `vfsync`: from `v_lazyw` onward (wrapping), `vfs_bio_awrite` dirty buffers
    /// until `lazy_limit` bytes are issued. Returns whether the limit was reached.
    pub(crate) fn vfsync_lazy(&mut self, vn: u32, origin: Origin) -> bool {
        let bsize = self.p.knobs.f_iosize;
        let mut list = std::mem::take(&mut self.scratch_pages);
        self.vnode_dirty_bufs(vn, &mut list);
        let start = self.vnodes[vn as usize].v_lazyw / bsize;
        let split = list
            .iter()
            .position(|&b| self.bufs.bufs[b as usize].lblkno >= start)
            .unwrap_or(list.len());
        list.rotate_left(split);
        let mut issued = 0u64;
        let mut hit = false;
        for &b in &list {
            let bp = &self.bufs.bufs[b as usize];
            if bp.flags & bf::DELWRI == 0 || bp.queue != BufQueue::Dirty || bp.vnode != vn {
                continue; // flushed as part of an earlier cluster
            }
            let lblk = bp.lblkno;
            issued += self.vfs_bio_awrite(b, origin);
            self.waitrunningbufspace();
            if issued >= self.p.knobs.lazy_limit {
                self.vnodes[vn as usize].v_lazyw = (lblk + 1) * bsize;
                self.c.syncer_lazy_limit_hits += 1;
                hit = true;
                break;
            }
        }
        if !hit {
            self.vnodes[vn as usize].v_lazyw = 0;
        }
        self.scratch_pages = list;
        hit
    }

    /// The per-mount syncer vnode: `vfs_msync` (mmap-dirty pages of every VOBJDIRTY
    /// vnode become delayed buffers, `PG_NOSYNC` pages skipped), then `VFS_SYNC(LAZY)`
    /// (every vnode with dirty buffers gets the lazy flush).
    fn syncer_vnode_run(&mut self) {
        self.c.syncer_msync_runs += 1;
        let mut at = 0;
        while let Some(vn) = self.next_dirty_vnode(at) {
            at = vn + 1;
            let v = &self.vnodes[vn as usize];
            if !v.obj_dirty || v.object == NIL || vn == self.op_vnode {
                continue;
            }
            let object = v.object;
            self.write_origin_async = Origin::SyncerMsync;
            self.write_origin_sync = Origin::SyncerMsync;
            self.vm_object_page_clean(object, 0, 0, objpc::NOSYNC, Origin::SyncerMsync);
            self.write_origin_async = Origin::Bawrite;
            self.write_origin_sync = Origin::IoSync;
        }
        let mut at = 0;
        while let Some(vn) = self.next_dirty_vnode(at) {
            at = vn + 1;
            if self.vnodes[vn as usize].dirty_bufs > 0 {
                self.vfsync_lazy(vn, Origin::SyncerLazy);
            }
        }
    }

    /// The syncer is due at second `sec` (≤ `t`, the next event's time): skip the
    /// syncer vnode's visits that would find nothing to write, up to `t` or the first
    /// wheel slot, leaving the syncer as if each had run (they write nothing and change
    /// nothing an op could see, so results are those of running them). Returns whether
    /// nothing else is due at `sec` either.
    pub(crate) fn syncer_skip_idle(&mut self, sec: u64, t: u64) -> bool {
        let due = self.daemons.syncer_vnode_due;
        if sec < due
            || self.daemons.rushjob > 0
            || self.syncer_vnode_has_work()
            || !self.skip_idle_syncer
        {
            return false;
        }
        let step = self.p.knobs.syncdelay.max(1);
        let wheel = self.syncer_wheel_first();
        // A wheel slot must run at its own second: skip only the visits before it.
        let until = if wheel <= sec {
            sec
        } else {
            (t / SEC).min(wheel - 1).max(sec)
        };
        let n = (until - due) / step + 1;
        self.daemons.syncer_vnode_due = due + n * step;
        // Each visit would have run the syncer's second: the wheel's clock moves on.
        let last = due + (n - 1) * step;
        self.daemons.syncer_sec = self.daemons.syncer_sec.max(last + 1);
        wheel > sec
    }

    /// Whether the syncer vnode's next visit could write anything: dirty buffers, or
    /// dirty objects not already found to hold only `PG_NOSYNC` pages since the last
    /// event.
    pub(crate) fn syncer_vnode_has_work(&self) -> bool {
        self.bufs.dirtybufcount > 0
            || (self.obj_dirty_count > 0 && self.daemons.msync_idle_at != Some(self.c.events))
    }

    /// `waitrunningbufspace`: above 4/6 of hirunningspace, wait until ≤ 3/6.
    pub(crate) fn waitrunningbufspace(&mut self) {
        let hi = self.p.hirunningspace;
        if self.bufs.runningbufspace > hi * 4 / 6 {
            self.c.runningbufspace_waits += 1;
            while self.bufs.runningbufspace > hi * 3 / 6 {
                if !self.wait_any_io() {
                    break;
                }
            }
        }
    }

    /// Waiting `vfsync` (fsync, final sync): every dirty buffer of `vn` in offset order
    /// through `vfs_bio_awrite` (or `bawrite`), throttled by runningbufspace, then wait
    /// for all of the vnode's writes; up to 4 more passes, the last one synchronous.
    pub(crate) fn vfsync_wait(&mut self, vn: u32, origin: Origin) {
        let mut list = std::mem::take(&mut self.scratch_pages);
        for pass in 0..5 {
            self.vnode_dirty_bufs(vn, &mut list);
            if list.is_empty() {
                break;
            }
            for &b in &list {
                let bp = &self.bufs.bufs[b as usize];
                if bp.flags & bf::DELWRI == 0 || bp.queue != BufQueue::Dirty || bp.vnode != vn {
                    continue;
                }
                if pass == 4 {
                    self.bufs.unqueue(b);
                    self.bwrite(b, origin);
                } else if bp.flags & bf::CLUSTEROK != 0 {
                    self.vfs_bio_awrite(b, origin);
                } else {
                    self.bufs.unqueue(b);
                    self.bawrite(b, origin);
                }
                self.waitrunningbufspace();
            }
            self.wait_vnode_writes(vn);
        }
        self.scratch_pages = list;
    }

    /// Wait until every write of vnode `vn` in flight has completed.
    pub(crate) fn wait_vnode_writes(&mut self, vn: u32) {
        loop {
            let pending = self.bufs.ios.iter().find_map(|rec| {
                (rec.dir == Some(super::stats::Dir::Write)
                    && rec
                        .bufs
                        .iter()
                        .any(|&b| self.bufs.bufs[b as usize].vnode == vn))
                .then(|| {
                    rec.bufs
                        .first()
                        .and_then(|&b| self.bufs.bufs[b as usize].io)
                })
                .flatten()
            });
            match pending {
                Some(req) => self.wait_req(req),
                None => break,
            }
        }
    }

    /// One buf_daemon wake-up (§7.2): while dirty+running exceeds lodirtybufspace/2
    /// (or dirty buffers reach nbuf/2), flush the oldest dirty buffer with
    /// `vfs_bio_awrite`, tagged `B_AGE`. When runningbufspace reaches hirunningspace the
    /// daemon waits (its next wake-up is the next I/O completion), never the op.
    pub(crate) fn buf_daemon_run(&mut self) {
        self.daemons.bufdaemon_kick = false;
        self.c.bufdaemon_runs += 1;
        let hi = self.p.hirunningspace;
        if self.bufs.runningbufspace > hi * 4 / 6 {
            self.daemons.bufdaemon_next = self.device.next_completion_time().unwrap_or(u64::MAX);
            return;
        }
        let floor = self.p.lodirtybufspace / 2;
        while self.bufs.runningbufspace + self.bufs.dirtybufspace > floor
            || self.bufs.dirtybufcount >= self.p.nbuf / 2
        {
            let b = self.bufs.head(BufQueue::Dirty);
            if b == NIL {
                break;
            }
            self.bufs.bufs[b as usize].flags |= bf::AGE;
            self.vfs_bio_awrite(b, Origin::BufDaemon);
            if self.bufs.runningbufspace >= hi {
                self.daemons.bufdaemon_next =
                    self.device.next_completion_time().unwrap_or(u64::MAX);
                return;
            }
        }
        self.daemons.bufdaemon_next = u64::MAX;
    }

    /// Whether the buf_daemon has work at its next 1 s tick.
    pub(crate) fn bufdaemon_has_work(&self) -> bool {
        self.sync_kernel
            && self.bufs.dirtybufcount > 0
            && (self.bufs.runningbufspace + self.bufs.dirtybufspace > self.p.lodirtybufspace / 2
                || self.bufs.dirtybufcount >= self.p.nbuf / 2)
    }
}
