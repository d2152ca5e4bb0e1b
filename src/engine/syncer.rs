//! The syncer (sys/kern/vfs_sync.c, §7.3), `vfsync` (sys/kern/vfs_subr.c) in its lazy
//! and waiting forms, and the buf_daemon (sys/kern/vfs_bio.c, §7.2).
//!
//! The syncer worklist follows DragonFly at 005cf293e4 (2011-12):
//!
//! * `reassignbuf` (vfs_subr.c), called by `bdirty`: a vnode that gets a dirty buffer
//!   while not on the worklist (`VONWORKLST` clear) is put on it with
//!   `vn_syncer_add(vp, filedelay)`.
//! * `reassignbuf`, called by `bundirty` (a write is issued, a buffer gathered into a
//!   cluster or discarded): once the vnode's dirty-buffer tree is empty,
//!   `vn_syncer_remove` takes it off the worklist. Dirtied again later, it goes back
//!   `filedelay` ahead of the syncer's slot at that time, not to its old slot.
//! * `vn_syncer_add` (vfs_sync.c) unlinks the vnode from any slot, clamps the delay to
//!   `SYNCER_MAXDELAY - 2` = 30 and inserts it at the head of slot `syncer_delayno +
//!   delay`.
//! * `syncer_thread` takes slot `syncer_delayno`, advances `syncer_delayno` *before*
//!   processing it, then `VOP_FSYNC(MNT_LAZY)`s the slot's head until it is empty; a
//!   vnode still at the head afterwards (neither cleaned nor moved) is re-added
//!   `syncdelay` ahead — of the advanced `syncer_delayno`, so syncdelay + 1 s after the
//!   slot just run.
//! * Lazy `vfsync` that stops at the 1 MiB limit with dirty buffers left re-adds the
//!   vnode 1 ahead (2 s after the slot just run), also when reached through the syncer
//!   vnode's `VFS_SYNC`.
//! * `sync_fsync` (the syncer vnode) first re-adds itself `syncdelay` ahead, so it
//!   runs every syncdelay + 1 s.
//! * `VOBJDIRTY` (`vm_object_set_writeable_dirty`, vm_object.c) only flags the vnode:
//!   mmap-dirty pages put nothing on the worklist in this snapshot; the syncer vnode's
//!   `vfs_msync` finds them.
//!
//! Here the wheel is a map from (due second, insertion rank) to vnodes. The kernel's
//! 32 slots are processed one per second, so "slot `syncer_delayno + d`" is the second
//! `syncer_delayno + d`, where `syncer_delayno` is the second after the last one the
//! syncer reached; seconds instead of slots let idle stretches be skipped in one step.

use super::Simulator;
use super::buf::{BufQueue, bf};
use super::object::objpc;
use super::page::NIL;
use crate::stats::Origin;
use std::collections::{BTreeMap, HashMap};

const SEC: u64 = 1_000_000_000;

/// `SYNCER_MAXDELAY - 2`: `vn_syncer_add` clamps every delay to this.
const MAX_DELAY: u64 = 30;

/// Scheduling state of the three daemons and the timeline sampler.
#[derive(Clone, Debug)]
pub struct Daemons {
    /// Next buf_daemon wake-up (ns), `u64::MAX` while it sleeps until kicked.
    pub bufdaemon_next: u64,
    /// A dirty buffer pushed dirty space past the B10 midpoint.
    pub bufdaemon_kick: bool,
    /// Next syncer second to process.
    pub syncer_sec: u64,
    /// The worklist (`syncer_workitem_pending`): (due second, insertion rank) → vnode.
    /// Ranks count down, so within a second the vnode queued last comes first: the
    /// kernel inserts at the head of a slot's list and the syncer takes the head.
    pub wheel: BTreeMap<(u64, u64), u32>,
    /// The wheel key of every vnode on the worklist (`VONWORKLST`).
    pub wheel_pos: HashMap<u32, (u64, u64)>,
    /// Rank of the next insertion (counts down).
    pub wheel_rank: u64,
    /// Second at which the per-mount syncer vnode runs vfs_msync + VFS_SYNC.
    pub syncer_vnode_due: u64,
    /// The syncer vnode's rank in its slot (`u64::MAX`: queued at mount, before any
    /// vnode).
    pub syncer_vnode_rank: u64,
    /// While the syncer runs a slot: the kernel's `syncer_delayno`, already advanced
    /// past it (the slot's second + 1). `None` between passes.
    pub pass_delayno: Option<u64>,
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
            wheel_pos: HashMap::new(),
            wheel_rank: u64::MAX - 1,
            syncer_vnode_due: 30,
            syncer_vnode_rank: u64::MAX,
            pass_delayno: None,
            rushjob: 0,
            pageout_next: 5 * SEC,
            idle_stats_scans: 0,
            policy_next: u64::MAX,
            msync_idle_at: None,
        }
    }
}

impl Simulator {
    /// The kernel's `syncer_delayno` as a second: during a pass, the second after the
    /// slot being run; otherwise the second after the current one (the syncer thread
    /// runs every second whether or not its slots hold anything, so by time `now` it
    /// has run the slot of `now`'s second; a daemon or op at exactly `k` s comes after
    /// the syncer's second `k`).
    fn syncer_delayno(&self) -> u64 {
        self.daemons.pass_delayno.unwrap_or(self.now / SEC + 1)
    }

    /// A fresh insertion rank: later insertions sort first within a slot.
    fn syncer_next_rank(&mut self) -> u64 {
        let r = self.daemons.wheel_rank;
        self.daemons.wheel_rank = r.saturating_sub(1);
        r
    }

    /// `vn_syncer_add`: take `vn` off its slot if it is on one, and put it at the head
    /// of slot `syncer_delayno + delay` (delay clamped to 30).
    fn vn_syncer_add(&mut self, vn: u32, delay: u64) {
        self.syncer_unlink(vn);
        let due = self.syncer_delayno() + delay.min(MAX_DELAY);
        let key = (due, self.syncer_next_rank());
        self.daemons.wheel.insert(key, vn);
        self.daemons.wheel_pos.insert(vn, key);
        self.vnodes[vn as usize].syncer_due = Some(due);
    }

    /// Unlink `vn` from its slot, if it is on one (clear `VONWORKLST`).
    fn syncer_unlink(&mut self, vn: u32) {
        self.vnodes[vn as usize].syncer_due = None;
        if let Some(key) = self.daemons.wheel_pos.remove(&vn) {
            self.daemons.wheel.remove(&key);
        }
    }

    /// `reassignbuf` for a buffer that became dirty (`bdirty`): a vnode not on the
    /// worklist goes on it `delay` (`kern.filedelay`) seconds ahead of the syncer's
    /// current slot. A vnode already on it keeps its slot.
    pub(crate) fn syncer_add(&mut self, vn: u32, delay: u64) {
        if self.vnodes[vn as usize].syncer_due.is_some() || !self.sync_kernel {
            return;
        }
        self.vn_syncer_add(vn, delay);
    }

    /// `reassignbuf` for a buffer that became clean (`bundirty`), i.e.
    /// `vn_syncer_remove`: once `vn` has no dirty buffer left it leaves the worklist.
    pub(crate) fn syncer_remove(&mut self, vn: u32) {
        if self.vnodes[vn as usize].dirty_bufs == 0 {
            self.syncer_unlink(vn);
        }
    }

    /// The earliest second a wheel slot is due (`u64::MAX`: the wheel is empty).
    fn syncer_wheel_first(&self) -> u64 {
        self.daemons.wheel.keys().next().map_or(u64::MAX, |k| k.0)
    }

    /// The syncer vnode's period: `sync_fsync` re-adds it `syncdelay` (≤ 30) ahead of
    /// the already advanced `syncer_delayno`, i.e. syncdelay + 1 s after its slot.
    fn syncer_vnode_period(&self) -> u64 {
        self.p.knobs.syncdelay.min(MAX_DELAY) + 1
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

    /// Process the syncer's work due at second `sec` (`syncer_thread`, one loop per
    /// slot; `rushjob` runs further slots at once). Each slot's vnodes are taken head
    /// first — latest queued first — and the syncer vnode, due at `sec`, runs at its
    /// place among them.
    pub(crate) fn syncer_run(&mut self, sec: u64) {
        self.daemons.syncer_sec = sec + 1;
        let slots = 1 + self.daemons.rushjob;
        self.daemons.rushjob = 0;
        let mut vnode_due = sec >= self.daemons.syncer_vnode_due;
        for s in sec..sec.saturating_add(slots) {
            self.daemons.pass_delayno = Some(s + 1);
            loop {
                let head = self
                    .daemons
                    .wheel
                    .first_key_value()
                    .map(|(&k, &vn)| (k, vn))
                    .filter(|&((d, _), _)| d <= s);
                if vnode_due {
                    // The syncer vnode goes before the vnodes queued in its slot before
                    // it was (re)queued, after those queued since.
                    let first = match head {
                        Some(((d, rank), _)) => d == s && self.daemons.syncer_vnode_rank < rank,
                        None => true,
                    };
                    if first {
                        vnode_due = false;
                        self.syncer_vnode_visit(sec);
                        continue;
                    }
                }
                let Some((key, vn)) = head else { break };
                if self.daemons.wheel_pos.get(&vn) != Some(&key) {
                    self.daemons.wheel.remove(&key); // cannot happen; never loop on it
                    continue;
                }
                self.c.syncer_vnodes += 1;
                self.syncer_visit(vn, key);
            }
        }
        self.daemons.pass_delayno = None;
    }

    /// The syncer vnode's visit (`sync_fsync`): re-queue itself syncdelay ahead, then
    /// `vfs_msync` + `VFS_SYNC(MNT_LAZY)`.
    fn syncer_vnode_visit(&mut self, sec: u64) {
        self.daemons.syncer_vnode_rank = self.syncer_next_rank();
        self.daemons.syncer_vnode_due = sec + self.syncer_vnode_period();
        let writes = self.device.stats().writes;
        self.syncer_vnode_run();
        // A pass that wrote nothing (only MAP_NOSYNC pages are dirty) with the device
        // idle will write nothing again until an op changes something.
        if self.device.stats().writes == writes
            && self.bufs.dirtybufcount == 0
            && self.device.next_completion_time().is_none()
        {
            self.daemons.msync_idle_at = Some(self.c.events);
        }
    }

    /// One vnode from the head of the slot (`syncer_thread`): `VOP_FSYNC(MNT_LAZY)`,
    /// i.e. the lazy flush, which takes the vnode off the worklist if it leaves no
    /// dirty buffer (`reassignbuf`) or moves it 1 ahead at the lazy limit. A vnode still
    /// at the head after that is re-added `syncdelay` ahead.
    fn syncer_visit(&mut self, vn: u32, key: (u64, u64)) {
        if self.vnodes[vn as usize].dirty_bufs > 0 {
            self.vfsync_lazy(vn, Origin::SyncerLazy);
        }
        if self.daemons.wheel_pos.get(&vn) == Some(&key) {
            if self.vnodes[vn as usize].dirty_bufs > 0 {
                self.vn_syncer_add(vn, self.p.knobs.syncdelay);
            } else {
                // A clean vnode is never on the worklist; should one be, drop it.
                self.syncer_unlink(vn);
            }
        }
    }

    /// Lazy `vfsync` (`MNT_LAZY`): `vfs_bio_awrite` the dirty buffers at or past
    /// `v_lazyw` in offset order (a range scan: the ones before it wait, there is no
    /// wrap) until `lazy_limit` bytes are issued, `v_lazyw` following the buffer being
    /// flushed. At the limit with dirty buffers left the vnode is re-added 1 ahead
    /// (`vn_syncer_add(vp, 1)`); a scan that ends below the limit resets `v_lazyw` to
    /// 0. Returns whether the limit was reached.
    pub(crate) fn vfsync_lazy(&mut self, vn: u32, origin: Origin) -> bool {
        let bsize = self.p.knobs.f_iosize;
        let mut list = std::mem::take(&mut self.scratch_pages);
        self.vnode_dirty_bufs(vn, &mut list);
        // Buffers whose offset is below v_lazyw are out of the scan's range.
        let start = self.vnodes[vn as usize].v_lazyw.div_ceil(bsize);
        let mut issued = 0u64;
        let mut hit = false;
        for &b in &list {
            let bp = &self.bufs.bufs[b as usize];
            if bp.lblkno < start
                || bp.flags & bf::DELWRI == 0
                || bp.queue != BufQueue::Dirty
                || bp.vnode != vn
            {
                continue; // before the range, or flushed as part of an earlier cluster
            }
            let lblk = bp.lblkno;
            self.vnodes[vn as usize].v_lazyw = lblk * bsize;
            issued += self.vfs_bio_awrite(b, origin);
            self.waitrunningbufspace();
            if issued >= self.p.knobs.lazy_limit {
                self.c.syncer_lazy_limit_hits += 1;
                hit = true;
                break;
            }
        }
        self.scratch_pages = list;
        if !hit {
            self.vnodes[vn as usize].v_lazyw = 0;
        } else if self.vnodes[vn as usize].dirty_bufs > 0 {
            self.vn_syncer_add(vn, 1);
        }
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
        let step = self.syncer_vnode_period();
        let wheel = self.syncer_wheel_first();
        // A wheel slot must run at its own second: skip only the visits before it.
        let until = if wheel <= sec {
            sec
        } else {
            (t / SEC).min(wheel - 1).max(sec)
        };
        let n = (until - due) / step + 1;
        self.daemons.syncer_vnode_due = due + n * step;
        // Each visit re-queues the syncer vnode: after every vnode queued so far.
        self.daemons.syncer_vnode_rank = self.syncer_next_rank();
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
                (rec.dir == Some(crate::stats::Dir::Write)
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
