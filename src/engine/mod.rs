//! The DragonFly model: one file per kernel concept, kernel names kept.
//!
//! [`Simulator`] owns every piece of simulated state of ONE configuration and is
//! `Send`, so a sweep is many simulators over one shared event slice. It consumes
//! events in time order ([`Simulator::step`]) and reports [`stats::RunStats`].
//! Simulated time is the trace's `time_ns`; an op's latency is how far its own clock
//! moved while it waited for the device (or for memory and buffers).

pub mod buf;
pub mod builder;
pub mod bwrite;
pub mod cluster;
pub mod cluster_write;
pub mod dirtylist;
pub mod extents;
pub mod fault;
pub mod ffs;
pub mod file;
pub mod map;
pub mod namei;
pub mod object;
pub mod page;
pub mod pageout;
pub mod readahead;
pub mod shadow;
pub mod syncer;
pub mod syscalls;
pub mod timeline;
pub mod vnlru;
pub mod vnode;
pub mod vnode_pager;
pub mod writeback;

use crate::device::{Completion, Device, DeviceSpec, ReqId};
use crate::model::Model;
use crate::params::Params;
use crate::stats::{Counters, Latencies, Origin, RunStats};
use crate::trace::{Event, FileTable, Op};
use buf::BufCache;
pub use builder::SimBuilder;
use file::OpenFile;
use map::Mapping;
use object::VmObject;
use page::{NIL, PAGE_SIZE, PageSet, pg};
use rustc_hash::FxHashMap;
use vnode::{DiskAlloc, Vnode};
use vnode_pager::PagerResult;

const SEC: u64 = 1_000_000_000;

/// Pageout daemon state (§2.1).
#[derive(Clone, Debug, Default)]
pub struct PageoutState {
    /// Allocation failures since the last pass (`vm_pageout_deficit`).
    pub deficit: u32,
    pub pass: u32,
    /// An allocation found paging needed: run a pass before the next event.
    pub wanted: bool,
    /// A pass is in progress (the daemon's own allocations must not recurse into it).
    pub running: bool,
}

/// The origin of the read in progress, as the read-ahead policy sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RaReq {
    pub pid: u32,
    pub map: Option<u32>,
    pub advice: crate::policies::readahead::Advice,
    pub offset: u64,
    pub len: u64,
}

impl Default for RaReq {
    fn default() -> Self {
        RaReq {
            pid: 0,
            map: None,
            advice: crate::policies::readahead::Advice::Normal,
            offset: 0,
            len: 0,
        }
    }
}

/// What an op is waiting for, to split its latency into stalls (§9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stall {
    SyncIo,
    Busy,
    Memory,
    Getnewbuf,
    Throttle,
    /// A daemon's own wait: no op is charged.
    Daemon,
}

/// The DragonFly BSD VM + buffer cache + vnode pager, replaying one trace.
pub struct Simulator {
    pub p: Params,
    pub pages: PageSet,
    pub objects: Vec<VmObject>,
    pub vnodes: Vec<Vnode>,
    /// FileId → its current vnode (NIL until first seen; a new vnode after unlink).
    file_vnode: Vec<u32>,
    /// FileId → size at first sight (trace-format.md "File sizes"); None = unbounded.
    initial_sizes: Vec<Option<u64>>,
    pub disk: DiskAlloc,
    pub bufs: BufCache,
    pub maps: Vec<Mapping>,
    free_maps: Vec<u32>,
    /// (pid, file) → index in `open_files` (indexes, so a lookup is one hash probe
    /// and the entry can be used while `self` is borrowed elsewhere).
    files: FxHashMap<(u32, u32), u32>,
    open_files: Vec<OpenFile>,
    free_open_files: Vec<u32>,
    pub device: Device,
    done: Vec<Completion>,
    pub c: Counters,
    lat: Latencies,
    /// The current op's clock (ns): starts at the event's time, moves forward on waits.
    pub now: u64,
    last_time: u64,
    pub pageout: PageoutState,
    warnings: crate::model::ReplayWarnings,
    /// Origin tags for writes issued by the current caller of ffs_write.
    pub(crate) write_origin_sync: Origin,
    pub(crate) write_origin_async: Origin,
    /// Origin tag of the synchronous read of the block a caller asked for.
    pub(crate) demand_origin: Origin,
    /// What the op is waiting for right now.
    pub(crate) stall: Stall,
    /// Daemon schedules (buf_daemon, syncer, pageout timers).
    pub daemons: syncer::Daemons,
    /// The read-ahead, clustering and sync policies.
    pub(crate) pol: crate::policies::PolicySet,
    /// Who is asking for the current read (for the read-ahead policy).
    pub(crate) ra_req: RaReq,
    /// A sync policy's flusher is running (no nested flushes).
    pub(crate) flushing: bool,
    /// Policy markers set and not yet fired (0 ⇒ faults skip the marker check).
    pub(crate) markers_live: u64,
    /// The read-ahead policy reads `RaCtx::history_blocks` (see `uses_history`).
    pub(crate) ra_history: bool,
    /// The read-ahead policy reads [`RaCtx::cached`](crate::policies::readahead::RaCtx)
    /// (or its history, which starts from it): else the engine does not look it up.
    pub(crate) ra_cached: bool,
    /// The sync policy keeps the kernel's own mechanisms (syncer, buf_daemon,
    /// thresholds); cached because every event asks.
    pub(crate) sync_kernel: bool,
    /// Launder runs, when recorded.
    pub launder_log: Option<Vec<pageout::LaunderRun>>,
    /// Sync everything at the end (`--final-sync`).
    final_sync: bool,
    /// `--timeline` sampler.
    pub timeline: Option<timeline::Timeline>,
    /// The "no data lost" shadow (kept when invariants are checked).
    pub shadow: shadow::Shadow,
    /// The vnode the current op holds locked (pageout skips it), or NIL.
    pub(crate) op_vnode: u32,
    /// Files whose name was unlinked: their next vnode is a new, empty file.
    unlinked_files: rustc_hash::FxHashSet<u32>,
    /// File → its unlinked vnodes still open or mapped, oldest first (`namei`).
    orphans: FxHashMap<u32, Vec<u32>>,
    /// Vnodes that may hold dirty data, in vnode order (`dirtylist`).
    dirty_vnodes: std::collections::BTreeSet<u32>,
    /// Vnodes with `obj_dirty` set.
    obj_dirty_count: u32,
    /// `numvnodes`, the free list and vnlru's state (`vnlru`).
    pub(crate) vcache: vnlru::VnodeCache,
    /// Vnodes that ever had an explicit mapping (for the implicit-mapping warning).
    had_explicit_map: Vec<bool>,
    check_invariants: bool,
    /// Skip the syncer vnode's idle visits (`syncer_skip_idle`); off only to check
    /// that skipping changes no result.
    skip_idle_syncer: bool,
    /// Test hook: `ffs_write` gives up at once, as it did when getnewbuf failed.
    #[cfg(test)]
    pub(crate) inject_lost_write: bool,
    /// Why the op in progress cannot complete (set deep in the engine, turned into
    /// `stuck` when the op returns).
    no_progress: Option<String>,
    /// The replay stopped: the event that could make no progress, and why. Later
    /// events are ignored; the runner reports it as an error.
    stuck: Option<crate::stats::Stuck>,
    scratch_bufs: Vec<u32>,
    scratch_pages: Vec<u32>,
    scratch_run: Vec<u32>,
    scratch_rtvals: Vec<PagerResult>,
}

impl Simulator {
    /// A simulator for `params` on `device`, for a trace whose files are `files`.
    pub fn new(params: Params, device: DeviceSpec, files: &FileTable) -> Simulator {
        let total = params.page_count;
        let mut pages = PageSet::new(total);
        // The kernel and the --unavailable memory are wired for good (counted, never
        // materialised: the slab follows the working set, not --mem).
        pages.wire_reserved(total - params.free0);
        let hirunning = params.hirunningspace;
        let nbuf = params.nbuf;
        let initial_sizes = (0..files.len() as u32)
            .map(|id| files.initial_size(id))
            .collect();
        Simulator {
            pages,
            objects: Vec::new(),
            vnodes: Vec::new(),
            file_vnode: Vec::new(),
            initial_sizes,
            disk: DiskAlloc::default(),
            bufs: BufCache::new(nbuf),
            maps: Vec::new(),
            free_maps: Vec::new(),
            files: FxHashMap::default(),
            open_files: Vec::new(),
            free_open_files: Vec::new(),
            device: Device::new(device, hirunning),
            done: Vec::new(),
            c: Counters::default(),
            lat: Latencies::new(),
            now: 0,
            last_time: 0,
            pageout: PageoutState::default(),
            warnings: crate::model::ReplayWarnings::default(),
            write_origin_sync: Origin::IoSync,
            write_origin_async: Origin::Bawrite,
            demand_origin: Origin::Demand,
            had_explicit_map: Vec::new(),
            vcache: vnlru::VnodeCache::new(params.desiredvnodes),
            dirty_vnodes: Default::default(),
            obj_dirty_count: 0,
            unlinked_files: Default::default(),
            orphans: FxHashMap::default(),
            op_vnode: NIL,
            daemons: syncer::Daemons::default(),
            stall: Stall::SyncIo,
            shadow: shadow::Shadow::new(cfg!(debug_assertions)),
            timeline: None,
            final_sync: false,
            launder_log: None,
            pol: crate::policies::PolicySet::dragonfly(),
            ra_req: RaReq::default(),
            markers_live: 0,
            ra_history: false,
            ra_cached: true,
            sync_kernel: true,
            flushing: false,
            check_invariants: cfg!(debug_assertions),
            skip_idle_syncer: true,
            #[cfg(test)]
            inject_lost_write: false,
            no_progress: None,
            stuck: None,
            scratch_bufs: Vec::new(),
            scratch_pages: Vec::new(),
            scratch_run: Vec::new(),
            scratch_rtvals: Vec::new(),
            p: params,
        }
    }

    /// Plug in the read-ahead, clustering and sync policies (the knobs their keys set
    /// must already be in the simulator's parameters).
    pub fn set_policies(&mut self, set: crate::policies::PolicySet) {
        self.pol = set;
        self.ra_history = self.pol.readahead.uses_history();
        self.ra_cached = self.ra_history || self.pol.readahead.uses_cached();
        self.sync_kernel = self.pol.sync.kernel_mechanisms();
        self.daemons.policy_next = self.pol.sync.next_wakeup(0).unwrap_or(u64::MAX);
    }

    /// Check the invariants (page conservation, buffer accounting) after every event
    /// (debug builds do it by default).
    pub fn set_check_invariants(&mut self, on: bool) {
        self.check_invariants = on;
        self.shadow.enabled = on;
    }

    /// Run every visit of the syncer vnode, idle ones included (`on == false`), instead
    /// of skipping the ones that would find nothing to write. The results are the same
    /// but for `syncer_msync_runs` (the property tests check it); only slower.
    pub fn set_skip_idle_syncer(&mut self, on: bool) {
        self.skip_idle_syncer = on;
    }

    /// Replay one event: first let the daemons run up to its time, then the op.
    /// After an event that could make no progress ([`Simulator::stuck`]) nothing more
    /// is replayed.
    pub fn step_event(&mut self, ev: &Event) {
        if self.stuck.is_some() {
            return;
        }
        let t = ev.time_ns.max(self.last_time);
        self.run_daemons_until(t);
        self.last_time = t;
        self.now = t;
        self.c.events += 1;
        self.daemons.idle_stats_scans = 0;
        if let Some(tl) = self.timeline.as_mut() {
            tl.active = true;
        }
        self.device.advance(t, &mut self.done);
        self.process_completions();
        self.pageout_if_wanted();
        self.now = t;
        // The op's vnode is locked for its duration (pageout cannot launder it).
        self.op_vnode = match self.file_vnode.get(ev.file as usize) {
            Some(&v) => v,
            None => NIL,
        };
        let clamped;
        let ev = if ev.offset.saturating_add(ev.length) > vnode::MAX_FILE_SIZE {
            clamped = clamp_past_max_file_size(ev);
            &clamped
        } else {
            ev
        };
        crate::model::dispatch_op!(self, ev);
        self.op_vnode = NIL;
        if let Some(reason) = self.no_progress.take() {
            self.stuck = Some(crate::stats::Stuck {
                event: self.c.events,
                ev: *ev,
                reason,
            });
            return;
        }
        self.lat.record(ev.op, self.now - t);
        // Daemons woken by the op run as soon as it is done.
        if self.daemons.bufdaemon_kick {
            self.buf_daemon_run();
        }
        self.pageout_if_wanted();
        if self.daemons.bufdaemon_next == u64::MAX && self.bufdaemon_has_work() {
            self.daemons.bufdaemon_next = (t / SEC + 1).saturating_mul(SEC);
        }
        if self.check_invariants {
            let every = if self.shadow.len() <= 4096 { 1 } else { 64 };
            let r = if self.c.events.is_multiple_of(every) {
                self.check()
            } else {
                self.check_cheap()
            };
            if let Err(e) = r {
                panic!("invariant violated after event {}: {e}", self.c.events);
            }
        }
    }

    /// Run the daemons (pageout timers, buf_daemon, syncer) and the timeline sampler
    /// for every wake-up due up to `t`, in time order. Idle stretches are skipped: a
    /// daemon with nothing to do jumps straight past `t`.
    fn run_daemons_until(&mut self, t: u64) {
        // Deadlines saturate at u64::MAX, which therefore means "never": even at the
        // last representable instant a daemon rescheduling itself must land past `t`.
        let t = t.min(u64::MAX - 1);
        loop {
            let po = self.daemons.pageout_next;
            let bd = self.daemons.bufdaemon_next;
            let sy = self.syncer_next_time();
            let tl = self.timeline.as_ref().map_or(u64::MAX, |x| x.next_ns);
            let pf = self.daemons.policy_next;
            let next = po.min(bd).min(sy).min(tl).min(pf);
            if next > t {
                break;
            }
            if next > self.now {
                self.now = next;
            }
            let at = self.now;
            self.stall = Stall::Daemon;
            self.device.advance(at, &mut self.done);
            self.process_completions();
            if next == tl {
                self.timeline_sample(next, t);
            } else if next == pf {
                if self.anything_dirty() {
                    self.policy_flush(next);
                }
                // Idle: the next wake-up that can find work is after `t`.
                let from = if self.anything_dirty() {
                    next
                } else {
                    t.max(next)
                };
                self.daemons.policy_next = self.pol.sync.next_wakeup(from).unwrap_or(u64::MAX);
            } else if next == po {
                self.pageout_timer(t);
            } else if next == bd {
                self.buf_daemon_run();
            } else {
                let sec = next / SEC;
                if self.syncer_skip_idle(sec, t) {
                    continue;
                }
                self.syncer_run(sec);
            }
        }
        self.stall = Stall::SyncIo;
    }

    /// The pageout daemon's timer: rerun a pass that fell short (100 ms later), else the
    /// idle stats scan every `vm_pageout_stats_interval`; nothing to do ⇒ sleep past `t`.
    fn pageout_timer(&mut self, t: u64) {
        let iv = self.p.knobs.stats_interval.max(1) * SEC;
        if self.pageout.pass > 0 || self.vm_paging_needed() {
            self.vm_pageout_scan();
            if self.pageout.pass > 0 {
                return; // rescheduled 100 ms ahead by the pass
            }
        } else if self.stats_scan_wanted() && self.daemons.idle_stats_scans < 300 {
            self.daemons.idle_stats_scans += 1;
            self.vm_pageout_page_stats();
            self.daemons.pageout_next = (self.now / iv + 1).saturating_mul(iv);
            return;
        }
        // Idle until after the next event.
        self.daemons.pageout_next = (t.max(self.now) / iv + 1).saturating_mul(iv);
    }

    /// The op in progress cannot complete: nothing can ever free what it waits for.
    /// The first reason is kept; the replay stops after this event.
    pub(crate) fn no_progress(&mut self, reason: String) {
        if self.no_progress.is_none() && self.stuck.is_none() {
            self.no_progress = Some(reason);
        }
    }

    /// The event the replay stopped at because it could make no progress, if any.
    pub fn stuck(&self) -> Option<&crate::stats::Stuck> {
        self.stuck.as_ref()
    }

    /// Latency percentiles of `op` so far.
    pub fn latency_summary(&self, op: Op) -> crate::stats::LatencySummary {
        self.lat.summary(op)
    }

    /// Invariants: page conservation, buffer accounting (bufspace, dirtybufspace,
    /// runningbufspace) and no data lost.
    pub fn check(&self) -> Result<(), String> {
        self.pages.check_conservation()?;
        self.bufs.check_accounting()?;
        self.shadow_check()?;
        Ok(())
    }

    /// The O(1) part of the invariants, for the events between full checks.
    fn check_cheap(&self) -> Result<(), String> {
        self.bufs.check_running()
    }

    /// Wait for request `req` (the op's clock moves to its completion).
    pub(crate) fn wait_req(&mut self, req: ReqId) {
        let t = self.device.wait_for(req, &mut self.done);
        self.process_completions();
        self.advance_clock(t);
    }

    /// Move the op's clock to `t` (if later), charging the wait to the current stall
    /// kind.
    pub(crate) fn advance_clock(&mut self, t: u64) {
        if t <= self.now {
            return;
        }
        let d = t - self.now;
        match self.stall {
            Stall::SyncIo => self.c.stall_sync_io_ns += d,
            Stall::Busy => self.c.stall_busy_ns += d,
            Stall::Memory => self.c.stall_memory_ns += d,
            Stall::Getnewbuf => self.c.stall_getnewbuf_ns += d,
            Stall::Throttle => self.c.stall_throttle_ns += d,
            Stall::Daemon => {}
        }
        self.now = t;
    }

    /// Wait for the next I/O completion anywhere; false if the device is idle.
    pub(crate) fn wait_any_io(&mut self) -> bool {
        let Some(t) = self.device.next_completion_time() else {
            return false;
        };
        self.device.advance(t, &mut self.done);
        self.process_completions();
        self.advance_clock(t);
        true
    }

    fn process_completions(&mut self) {
        while !self.done.is_empty() {
            let batch = std::mem::take(&mut self.done);
            for c in &batch {
                self.biodone(c.tag, c.time);
            }
            let mut batch = batch;
            batch.clear();
            if self.done.is_empty() {
                self.done = batch;
            }
        }
    }

    // ---- vnodes and objects ----

    /// The current vnode of `file`, created (with its blocks on disk and its VM
    /// object) on first sight.
    fn vnode_for(&mut self, file: u32, open_len: Option<u64>) -> u32 {
        let fi = file as usize;
        if fi >= self.file_vnode.len() {
            self.file_vnode.resize(fi + 1, NIL);
        }
        let cur = self.file_vnode[fi];
        if cur != NIL && !self.vnodes[cur as usize].unlinked {
            if self.vnodes[cur as usize].free {
                self.vnode_reactivate(cur);
            }
            return cur;
        }
        let bsize = self.p.knobs.f_iosize;
        let parked = self.parked_inode(file);
        let slot = self.allocvnode();
        let v = match parked {
            // A file vnlru reclaimed: its inode is read back as it was.
            Some((size, unbounded, extents)) => {
                let mut v = Vnode::new(file, Some(size));
                v.unbounded = unbounded;
                v.extents = extents;
                v
            }
            None => {
                // First sight uses the trace's initial size; a file re-created after
                // unlink starts with what its open says (else empty).
                let size = if self.unlinked_files.contains(&file) {
                    Some(open_len.unwrap_or(0))
                } else {
                    // A file the first pass never saw (trace from a pipe) has the size
                    // its open declares, else it is unbounded.
                    self.initial_sizes.get(fi).copied().unwrap_or(open_len)
                }
                .map(|s| s.min(vnode::MAX_FILE_SIZE));
                let mut v = Vnode::new(file, size);
                if let Some(s) = size {
                    v.allocate(0, s.div_ceil(bsize), bsize, &mut self.disk);
                }
                v
            }
        };
        let vn = match slot {
            Some(s) => {
                let old = &self.vnodes[s as usize];
                let (vgen, fgen, spare) = (old.vgen, old.fgen, old.spare_object);
                self.vnodes[s as usize] = Vnode {
                    vgen,
                    fgen,
                    spare_object: spare,
                    ..v
                };
                self.had_explicit_map[s as usize] = false;
                s
            }
            None => {
                self.vnodes.push(v);
                self.had_explicit_map.push(false);
                self.vnodes.len() as u32 - 1
            }
        };
        self.insmntque(vn);
        self.file_vnode[fi] = vn;
        let len = self.vnodes[vn as usize].v_filesize;
        self.vnode_pager_alloc(vn, len, bsize);
        // vinitvmio drops the allocation reference: read/write users hold none.
        let o = self.vnodes[vn as usize].object;
        self.objects[o as usize].ref_count = 0;
        vn
    }

    /// The object of vnode `vn` (always present while the vnode is live).
    pub(crate) fn vnode_object(&self, vn: u32) -> u32 {
        self.vnodes[vn as usize].object
    }

    /// Drop every page and buffer of an unlinked, unreferenced vnode without writing.
    fn vnode_discard(&mut self, vn: u32) {
        let object = self.vnodes[vn as usize].object;
        let file = self.vnodes[vn as usize].file;
        // Buffers first: in-flight ones are waited for, dirty ones discarded.
        self.buf_discard_from(vn, 0);
        self.shadow_drop(vn, 0);
        self.set_obj_dirty(vn, false);
        if object != NIL {
            let maps = self.objects[object as usize].maps.clone();
            for id in maps {
                self.map_destroy(id);
            }
            self.vm_object_page_remove(object, 0, u64::MAX);
            self.vnode_pager_dealloc(object);
        }
        if (file as usize) < self.file_vnode.len() && self.file_vnode[file as usize] == vn {
            self.file_vnode[file as usize] = NIL;
        }
        self.orphan_remove(file, vn);
        if object != NIL {
            self.vnode_discarded(vn, object);
        }
    }

    fn vnode_rele(&mut self, vn: u32) {
        let v = &mut self.vnodes[vn as usize];
        v.refs = v.refs.saturating_sub(1);
        if v.refs == 0 {
            if v.unlinked {
                self.vnode_discard(vn);
            } else {
                self.vnode_terminate(vn);
            }
        }
    }

    /// Count page touches of `[off, off+len)` (clipped to EOF) before an op changes
    /// anything: a hit is a page resident and valid for the touched bytes whose I/O is
    /// not in flight.
    fn touch_range(&mut self, vn: u32, off: u64, len: u64) {
        let size = self.vnodes[vn as usize].v_filesize;
        let end = off.saturating_add(len).min(size);
        if end <= off {
            return;
        }
        let object = self.vnodes[vn as usize].object;
        let mut pi = off / PAGE_SIZE;
        let last = (end - 1) / PAGE_SIZE;
        while pi <= last {
            let pstart = pi * PAGE_SIZE;
            let lo = off.max(pstart) - pstart;
            let hi = end.min(pstart.saturating_add(PAGE_SIZE)) - pstart;
            self.touch_page(object, pi, page::page_bits(lo, hi - lo));
            pi += 1;
        }
    }

    fn touch_page(&mut self, object: u32, pindex: u64, need: u8) {
        let hit = match self.objects[object as usize].lookup(pindex) {
            Some(m) => {
                let hit =
                    self.pages.pages[m as usize].valid & need == need && !self.page_in_flight(m);
                let p = &mut self.pages.pages[m as usize];
                if p.flags & pg::READAHEAD != 0 {
                    p.flags &= !pg::READAHEAD;
                    self.c.readahead_pages_used += 1;
                }
                hit
            }
            None => false,
        };
        if hit {
            self.c.page_hits += 1;
        } else {
            self.c.page_misses += 1;
        }
    }

    /// `--final-sync`: at the end of the trace, flush everything as sync(2) would:
    /// every dirty page through `vm_object_page_clean` and every dirty buffer through
    /// `vfsync`, all tagged `final_sync`, so bytes written compare across policies.
    pub fn set_final_sync(&mut self, on: bool) {
        self.final_sync = on;
    }

    fn final_sync_all(&mut self) {
        self.stall = Stall::Daemon;
        self.write_origin_async = Origin::FinalSync;
        self.write_origin_sync = Origin::FinalSync;
        for vn in 0..self.vnodes.len() as u32 {
            let v = &self.vnodes[vn as usize];
            // A file unlinked while still open is synced too: its inode lives on.
            if v.object == NIL {
                continue;
            }
            let object = v.object;
            self.vm_object_page_clean(object, 0, 0, 0, Origin::FinalSync);
            self.vfsync_wait(vn, Origin::FinalSync);
        }
        self.write_origin_async = Origin::Bawrite;
        self.write_origin_sync = Origin::IoSync;
    }

    /// Bytes still dirty: dirty pages (or pmap M bits) and dirty buffers.
    fn dirty_bytes(&self) -> u64 {
        let pages = (0..self.pages.pages.len() as u32)
            .filter(|&m| {
                let p = &self.pages.pages[m as usize];
                p.object != NIL && (p.dirty != 0 || (p.mapped > 0 && self.pmap_is_modified(m)))
            })
            .count() as u64;
        pages * PAGE_SIZE + self.bufs.dirtybufspace
    }

    /// Finish the replay: let the daemons run to the end of the trace, optionally
    /// sync everything, wait for I/O in flight and return the statistics.
    pub fn finish_run(&mut self) -> RunStats {
        let end = self.last_time;
        self.run_daemons_until(end);
        if self.final_sync {
            self.now = self.now.max(end);
            self.final_sync_all();
        }
        while self.wait_any_io() {}
        if self.final_sync
            && self.check_invariants
            && let Err(e) = self.shadow_check_all_written()
        {
            panic!("invariant violated at the end of the replay: {e}");
        }
        self.c.dirty_bytes_at_end = self.dirty_bytes();
        if let Some(tl) = self.timeline.as_mut() {
            tl.active = true;
        }
        let at = self.now.max(end);
        self.timeline_sample(at, at);
        let mut warnings = self.warnings.messages();
        if let Err(e) = self.check() {
            warnings.push(format!("invariant check failed at end of replay: {e}"));
        }
        RunStats {
            counters: self.c.clone(),
            device: self.device.stats().clone(),
            latency: self.lat.clone(),
            end_time_ns: end.max(self.now),
            warnings,
        }
    }
}

/// `ev` with its byte positions past [`vnode::MAX_FILE_SIZE`] (past every EOF, since
/// no file is larger) moved to the page just past it, where they mean the same: reads
/// there are short, faults SIGBUS, mappings and msyncs cover no data (an mmap and a
/// munmap or fault of the same range still match). Page and block arithmetic then never
/// nears u64::MAX. Writes and truncates keep their values: they fail with EFBIG in
/// `op_write` / `op_truncate`; an open's length is clamped in `vnode_for`.
fn clamp_past_max_file_size(ev: &Event) -> Event {
    let mut e = *ev;
    match ev.op {
        Op::Read | Op::Mmap | Op::Munmap | Op::Msync | Op::Fadvise | Op::Madvise => {
            let end = ev
                .offset
                .saturating_add(ev.length)
                .min(vnode::MAX_FILE_SIZE + PAGE_SIZE);
            e.offset = ev.offset.min(vnode::MAX_FILE_SIZE);
            // msync's and fadvise's 0 means "to EOF" and stays so
            if ev.length > 0 {
                e.length = end - e.offset;
            }
        }
        Op::FaultRead | Op::FaultWrite => e.offset = ev.offset.min(vnode::MAX_FILE_SIZE),
        _ => {}
    }
    e
}

impl Model for Simulator {
    fn device_mut(&mut self) -> Option<&mut Device> {
        Some(&mut self.device)
    }

    fn step(&mut self, ev: &Event) {
        self.step_event(ev);
    }

    fn finish(&mut self) -> RunStats {
        self.finish_run()
    }

    fn take_timeline(&mut self) -> Vec<crate::stats::TimelineRow> {
        self.timeline.take().map(|t| t.rows).unwrap_or_default()
    }

    fn stuck(&self) -> Option<&crate::stats::Stuck> {
        Simulator::stuck(self)
    }
}

/// A test event of file 0 by pid 1 with both offset and length (unit tests of the
/// engine's files share it).
#[cfg(test)]
pub(crate) fn test_event(t: u64, op: Op, off: u64, len: u64) -> Event {
    Event {
        time_ns: t,
        offset: off,
        length: len,
        file: 0,
        pid: 1,
        op,
        flags: crate::trace::Flags::NONE,
        has_offset: true,
        has_length: true,
    }
}

#[cfg(test)]
mod tests;
