//! The DragonFly model: one file per kernel concept, kernel names kept.
//!
//! [`Simulator`] owns every piece of simulated state of ONE configuration and is
//! `Send`, so a sweep is many simulators over one shared event slice. It consumes
//! events in time order ([`Simulator::step`]) and reports [`stats::RunStats`].
//! Simulated time is the trace's `time_ns`; an op's latency is how far its own clock
//! moved while it waited for the device (or for memory and buffers).

pub mod buf;
pub mod cluster;
pub mod device;
pub mod fault;
pub mod ffs;
pub mod file;
pub mod map;
pub mod object;
pub mod page;
pub mod pageout;
pub mod params;
pub mod stats;
pub mod vnode;
pub mod vnode_pager;

use crate::models::Model;
use crate::trace::{Event, FileTable, Flags, Op};
use buf::BufCache;
use device::{Completion, Device, DeviceSpec, ReqId};
use file::OpenFile;
use map::Mapping;
use object::VmObject;
use page::{NIL, PAGE_SIZE, PageSet, pg};
use params::Params;
use rustc_hash::FxHashMap;
use stats::{Counters, Latencies, Origin, RunStats};
use vnode::{DiskAlloc, Vnode};
use vnode_pager::PagerResult;

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

/// Warnings collected during a replay, summarised once at the end.
#[derive(Clone, Debug, Default)]
struct Warnings {
    implicit_after_explicit: u64,
    io_without_open: u64,
    private_stores: u64,
    close_without_open: u64,
    munmap_unmapped: u64,
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
    files: FxHashMap<(u32, u32), OpenFile>,
    pub device: Device,
    done: Vec<Completion>,
    pub c: Counters,
    lat: Latencies,
    /// The current op's clock (ns): starts at the event's time, moves forward on waits.
    pub now: u64,
    last_time: u64,
    pub pageout: PageoutState,
    warnings: Warnings,
    /// Origin tags for writes issued by the current caller of ffs_write.
    pub(crate) write_origin_sync: Origin,
    pub(crate) write_origin_async: Origin,
    /// Origin tag of the synchronous read of the block a caller asked for.
    pub(crate) demand_origin: Origin,
    /// The vnode the current op holds locked (pageout skips it), or NIL.
    pub(crate) op_vnode: u32,
    /// Files whose name was unlinked: their next vnode is a new, empty file.
    unlinked_files: rustc_hash::FxHashSet<u32>,
    /// Vnodes that ever had an explicit mapping (for the implicit-mapping warning).
    had_explicit_map: Vec<bool>,
    check_invariants: bool,
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
        // The kernel and the --unavailable memory are wired for good.
        let reserved = total - params.free0;
        for _ in 0..reserved {
            if let Some(m) = pages.take_free() {
                pages.pages[m as usize].wire_count = 1;
                pages.wire_count += 1;
            }
        }
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
            device: Device::new(device, hirunning),
            done: Vec::new(),
            c: Counters::default(),
            lat: Latencies::new(),
            now: 0,
            last_time: 0,
            pageout: PageoutState::default(),
            warnings: Warnings::default(),
            write_origin_sync: Origin::IoSync,
            write_origin_async: Origin::Bawrite,
            demand_origin: Origin::Demand,
            had_explicit_map: Vec::new(),
            unlinked_files: Default::default(),
            op_vnode: NIL,
            check_invariants: cfg!(debug_assertions),
            scratch_bufs: Vec::new(),
            scratch_pages: Vec::new(),
            scratch_run: Vec::new(),
            scratch_rtvals: Vec::new(),
            p: params,
        }
    }

    /// Check the invariants (page conservation, buffer accounting) after every event
    /// (debug builds do it by default).
    pub fn set_check_invariants(&mut self, on: bool) {
        self.check_invariants = on;
    }

    /// Replay one event.
    pub fn step_event(&mut self, ev: &Event) {
        let t = ev.time_ns.max(self.last_time);
        self.last_time = t;
        self.now = t;
        self.c.events += 1;
        self.device.advance(t, &mut self.done);
        self.process_completions();
        self.pageout_if_wanted();
        self.now = t;
        // The op's vnode is locked for its duration (pageout cannot launder it).
        self.op_vnode = match self.file_vnode.get(ev.file as usize) {
            Some(&v) => v,
            None => NIL,
        };
        match ev.op {
            Op::Open => self.op_open(ev),
            Op::Close => self.op_close(ev),
            Op::Read => self.op_read(ev),
            Op::Write => self.op_write(ev),
            Op::Mmap => self.op_mmap(ev),
            Op::Munmap => self.op_munmap(ev),
            Op::FaultRead => self.op_fault(ev, false),
            Op::FaultWrite => self.op_fault(ev, true),
            Op::Truncate => self.op_truncate(ev),
            Op::Fsync => self.op_fsync(ev),
            Op::Msync => self.op_msync(ev),
            Op::Unlink => self.op_unlink(ev),
        }
        self.op_vnode = NIL;
        self.lat.record(ev.op, self.now - t);
        self.pageout_if_wanted();
        if self.check_invariants
            && let Err(e) = self.check()
        {
            panic!("invariant violated after event {}: {e}", self.c.events);
        }
    }

    /// Invariants: page conservation and buffer accounting.
    pub fn check(&self) -> Result<(), String> {
        self.pages.check_conservation()?;
        self.bufs.check_accounting()?;
        Ok(())
    }

    /// Wait for request `req` (the op's clock moves to its completion).
    pub(crate) fn wait_req(&mut self, req: ReqId) {
        let t = self.device.wait_for(req, &mut self.done);
        self.process_completions();
        if t > self.now {
            self.now = t;
        }
    }

    /// Wait for the next I/O completion anywhere; false if the device is idle.
    pub(crate) fn wait_any_io(&mut self) -> bool {
        let Some(t) = self.device.next_completion_time() else {
            return false;
        };
        self.device.advance(t, &mut self.done);
        self.process_completions();
        if t > self.now {
            self.now = t;
        }
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
            return cur;
        }
        // First sight uses the trace's initial size; a file re-created after unlink
        // starts with what its open says (else empty).
        let size = if self.unlinked_files.contains(&file) {
            Some(open_len.unwrap_or(0))
        } else {
            // A file the first pass never saw (trace from a pipe) has the size its
            // open declares, else it is unbounded.
            self.initial_sizes.get(fi).copied().unwrap_or(open_len)
        };
        let mut v = Vnode::new(file, size);
        let bsize = self.p.knobs.f_iosize;
        if let Some(s) = size {
            v.allocate(0, s.div_ceil(bsize), bsize, &mut self.disk);
        }
        self.vnodes.push(v);
        self.had_explicit_map.push(false);
        let vn = self.vnodes.len() as u32 - 1;
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
        let mut list = std::mem::take(&mut self.scratch_bufs);
        list.clear();
        list.extend(
            self.bufs
                .index
                .iter()
                .filter(|((v, _), _)| *v == vn)
                .map(|(_, b)| *b),
        );
        list.sort_unstable();
        for &b in &list {
            self.bwait(b);
            self.bufs.unqueue(b);
            self.bufs.bufs[b as usize].flags |= buf::bf::INVAL;
            self.vfs_vmio_release(b);
            self.bufs.insert_tail(buf::BufQueue::Empty, b);
        }
        self.scratch_bufs = list;
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
    }

    fn vnode_rele(&mut self, vn: u32) {
        let v = &mut self.vnodes[vn as usize];
        v.refs = v.refs.saturating_sub(1);
        if v.refs == 0 && v.unlinked {
            self.vnode_discard(vn);
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

    // ---- ops ----

    fn op_open(&mut self, ev: &Event) {
        let vn = self.vnode_for(ev.file, ev.length());
        self.vnodes[vn as usize].refs += 1;
        let of = self
            .files
            .entry((ev.pid, ev.file))
            .or_insert_with(|| OpenFile::new(ev.flags, vn));
        of.opens += 1;
        of.flags |= ev.flags;
        if of.opens == 1 || of.vnode != vn {
            // A fresh open file: f_seqcount starts at 1. (Reopening a name that now
            // refers to a new file starts over too.)
            let opens = of.opens;
            *of = OpenFile::new(ev.flags, vn);
            of.opens = opens;
        }
    }

    fn op_close(&mut self, ev: &Event) {
        let Some(of) = self.files.get_mut(&(ev.pid, ev.file)) else {
            self.warnings.close_without_open += 1;
            return;
        };
        if of.opens == 0 {
            // Opened implicitly by a read/write without an open: no reference held.
            self.files.remove(&(ev.pid, ev.file));
            self.warnings.close_without_open += 1;
            return;
        }
        of.opens -= 1;
        let vn = of.vnode;
        if of.opens == 0 {
            self.files.remove(&(ev.pid, ev.file));
        }
        self.vnode_rele(vn);
    }

    /// The open file of (pid, file); a read or write without an open gets one, as if
    /// opened just before (and a warning).
    fn open_file(&mut self, pid: u32, file: u32) -> (u32, &mut OpenFile) {
        let vn = match self.files.get(&(pid, file)) {
            // An implicit open holds no reference, so its vnode may have been
            // discarded after an unlink: follow the name to its current file.
            Some(of) if self.vnodes[of.vnode as usize].object != NIL => of.vnode,
            Some(_) => self.vnode_for(file, None),
            None => {
                self.warnings.io_without_open += 1;
                self.vnode_for(file, None)
            }
        };
        let of = self
            .files
            .entry((pid, file))
            .or_insert_with(|| OpenFile::new(Flags::NONE, vn));
        of.vnode = vn;
        (vn, of)
    }

    fn op_read(&mut self, ev: &Event) {
        let unit = self.p.knobs.seq_unit;
        let seqmax = self.p.knobs.io_seqmax;
        let (vn, of) = self.open_file(ev.pid, ev.file);
        let seqcount = of.sequential_heuristic(ev.offset, ev.length, unit, seqmax);
        let direct = of.flags.contains(Flags::DIRECT);
        of.f_nextoff = ev.offset.saturating_add(ev.length);
        self.touch_range(vn, ev.offset, ev.length);
        let io = ffs::IoFlags {
            direct,
            ..Default::default()
        };
        self.ffs_read(vn, ev.offset, ev.length, seqcount, io);
    }

    fn op_write(&mut self, ev: &Event) {
        let unit = self.p.knobs.seq_unit;
        let seqmax = self.p.knobs.io_seqmax;
        let (vn, _) = self.open_file(ev.pid, ev.file);
        let size = self.vnodes[vn as usize].v_filesize;
        let (_, of) = self.open_file(ev.pid, ev.file);
        let off = if !ev.has_offset || of.flags.contains(Flags::APPEND) {
            size
        } else {
            ev.offset
        };
        let seqcount = of.sequential_heuristic(off, ev.length, unit, seqmax);
        of.f_nextoff = off.saturating_add(ev.length);
        let io = ffs::IoFlags {
            sync: of.flags.contains(Flags::SYNC),
            direct: of.flags.contains(Flags::DIRECT),
            ..Default::default()
        };
        // Pages past EOF are touched too: the write creates them.
        let object = self.vnodes[vn as usize].object;
        let end = off.saturating_add(ev.length);
        if ev.length > 0 {
            for pi in off / PAGE_SIZE..=(end - 1) / PAGE_SIZE {
                let pstart = pi * PAGE_SIZE;
                let lo = off.max(pstart) - pstart;
                let hi = end.min(pstart.saturating_add(PAGE_SIZE)) - pstart;
                self.touch_page(object, pi, page::page_bits(lo, hi - lo));
            }
        }
        self.write_origin_sync = Origin::IoSync;
        self.write_origin_async = Origin::Bawrite;
        self.ffs_write(vn, off, ev.length, seqcount, io);
    }

    fn op_mmap(&mut self, ev: &Event) {
        let vn = self.vnode_for(ev.file, None);
        let Some(object) = self.vnode_pager_reference(vn) else {
            return;
        };
        let (start, end) = Self::page_range(ev.offset, ev.length);
        let m = Mapping {
            pid: ev.pid,
            vnode: vn,
            object,
            start,
            end,
            writable: !ev.flags.contains(Flags::PRIVATE),
            random: ev.flags.contains(Flags::RANDOM),
            sequential: ev.flags.contains(Flags::SEQUENTIAL),
            nosync: ev.flags.contains(Flags::NOSYNC),
            implicit: false,
            live: true,
            ptes: FxHashMap::default(),
        };
        let id = self.map_insert(m);
        self.vnodes[vn as usize].refs += 1;
        self.had_explicit_map[vn as usize] = true;
        // §6.1: small mappings (or objects) get their resident valid pages entered
        // read-only at once; no I/O.
        let resident = self.objects[object as usize].resident_page_count() as u64;
        if end - start <= 96 || resident <= 96 {
            let mut list = std::mem::take(&mut self.scratch_pages);
            list.clear();
            {
                let o = &self.objects[object as usize];
                if end - start <= resident {
                    list.extend((start..end).filter_map(|pi| o.lookup(pi)));
                } else {
                    list.extend(
                        o.resident
                            .iter()
                            .filter(|(pi, _)| **pi >= start && **pi < end)
                            .map(|(_, m)| *m),
                    );
                }
            }
            list.sort_unstable_by_key(|&m| self.pages.pages[m as usize].pindex);
            for &m in &list {
                let p = &self.pages.pages[m as usize];
                if p.valid != page::VM_PAGE_BITS_ALL || self.page_in_flight(m) {
                    continue;
                }
                if p.queue == page::Queue::Cache {
                    self.vm_page_deactivate(m);
                }
                let pi = self.pages.pages[m as usize].pindex;
                self.pmap_enter(id, pi, m, false, false);
            }
            self.scratch_pages = list;
        }
    }

    fn op_munmap(&mut self, ev: &Event) {
        let Some(&vn) = self.file_vnode.get(ev.file as usize) else {
            self.warnings.munmap_unmapped += 1;
            return;
        };
        if vn == NIL {
            self.warnings.munmap_unmapped += 1;
            return;
        }
        let object = self.vnodes[vn as usize].object;
        let (start, end) = Self::page_range(ev.offset, ev.length);
        let ids: Vec<u32> = self.objects[object as usize]
            .maps
            .iter()
            .copied()
            .filter(|&id| {
                let mp = &self.maps[id as usize];
                mp.pid == ev.pid && !mp.implicit && mp.start < end && start < mp.end
            })
            .collect();
        if ids.is_empty() {
            self.warnings.munmap_unmapped += 1;
        }
        for id in ids {
            let (ms, me) = (self.maps[id as usize].start, self.maps[id as usize].end);
            if start <= ms && end >= me {
                self.map_destroy(id);
                self.objects[object as usize].ref_count -= 1;
                self.vnode_rele(vn);
                if self.vnodes[vn as usize].object == NIL {
                    return;
                }
                continue;
            }
            self.map_remove_range(id, start.max(ms), end.min(me));
            if start <= ms {
                self.maps[id as usize].start = end;
            } else if end >= me {
                self.maps[id as usize].end = start;
            } else {
                // A hole in the middle splits the mapping; the new piece takes its own
                // object reference as vm_map_clip does.
                let mut tail = self.maps[id as usize].clone();
                tail.start = end;
                tail.ptes = std::mem::take(&mut self.maps[id as usize].ptes);
                let (keep, moved): (FxHashMap<u64, u8>, FxHashMap<u64, u8>) =
                    tail.ptes.drain().partition(|(pi, _)| *pi < start);
                tail.ptes = moved;
                self.maps[id as usize].ptes = keep;
                self.maps[id as usize].end = start;
                self.map_insert(tail);
                self.objects[object as usize].ref_count += 1;
                self.vnodes[vn as usize].refs += 1;
            }
        }
    }

    fn op_fault(&mut self, ev: &Event, write: bool) {
        let vn = self.vnode_for(ev.file, None);
        let object = self.vnodes[vn as usize].object;
        let pindex = ev.offset / PAGE_SIZE;
        let map = match self.find_mapping(object, ev.pid, pindex) {
            Some(id) => id,
            None => self.implicit_mapping(vn, object),
        };
        if self.maps[map as usize].implicit {
            self.c.implicit_mapping_touches += 1;
            if self.had_explicit_map[vn as usize] {
                self.warnings.implicit_after_explicit += 1;
            }
        }
        if write && !self.maps[map as usize].writable {
            self.warnings.private_stores += 1;
        }
        let size = self.vnodes[vn as usize].v_filesize;
        if ev.offset < size {
            self.touch_page(object, pindex, page::VM_PAGE_BITS_ALL);
        }
        self.vm_fault_touch(map, pindex, write);
    }

    /// The implicit shared mapping of a whole file, for touches no mapping covers.
    fn implicit_mapping(&mut self, vn: u32, object: u32) -> u32 {
        if let Some(&id) = self.objects[object as usize]
            .maps
            .iter()
            .find(|&&id| self.maps[id as usize].implicit)
        {
            return id;
        }
        self.objects[object as usize].ref_count += 1;
        self.vnodes[vn as usize].refs += 1;
        self.map_insert(Mapping {
            pid: u32::MAX,
            vnode: vn,
            object,
            start: 0,
            end: u64::MAX / PAGE_SIZE,
            writable: true,
            implicit: true,
            live: true,
            ..Mapping::default()
        })
    }

    /// Part-1 truncate: the seed's generic path (`vtruncbuf` + `vnode_pager_setsize`).
    fn op_truncate(&mut self, ev: &Event) {
        let vn = self.vnode_for(ev.file, None);
        let nsize = ev.length;
        let bsize = self.p.knobs.f_iosize;
        let first_gone = nsize.div_ceil(bsize);
        let old = self.vnodes[vn as usize].v_filesize;
        if nsize < old {
            let mut list = std::mem::take(&mut self.scratch_bufs);
            list.clear();
            list.extend(
                self.bufs
                    .index
                    .iter()
                    .filter(|((v, l), _)| *v == vn && *l >= first_gone)
                    .map(|(_, b)| *b),
            );
            list.sort_unstable();
            for &b in &list {
                self.bwait(b);
                self.bufs.unqueue(b);
                self.bufs.bufs[b as usize].flags |= buf::bf::INVAL;
                self.vfs_vmio_release(b);
                self.bufs.insert_tail(buf::BufQueue::Empty, b);
            }
            self.scratch_bufs = list;
            self.vnodes[vn as usize].free_from(first_gone);
        }
        self.vnode_pager_setsize(vn, nsize);
    }

    /// Part-1 fsync: write every dirty page of the file (clustered into runs of up to
    /// `vm_pageout_page_count`) and wait for all of the file's writes.
    fn op_fsync(&mut self, ev: &Event) {
        let vn = self.vnode_for(ev.file, None);
        let object = self.vnodes[vn as usize].object;
        self.clean_range(
            object,
            0,
            u64::MAX,
            vnode_pager::put::CLUSTER_OK,
            Origin::Fsync,
        );
        self.wait_vnode_writes(vn);
    }

    /// Part-1 msync: write the dirty pages of the range (SYNC unless MS_ASYNC);
    /// MS_INVALIDATE unmaps first and drops the clean pages afterwards.
    fn op_msync(&mut self, ev: &Event) {
        let vn = self.vnode_for(ev.file, None);
        let object = self.vnodes[vn as usize].object;
        let (start, mut end) = Self::page_range(ev.offset, ev.length);
        if ev.length == 0 {
            end = u64::MAX;
        }
        let inval = ev.flags.contains(Flags::INVALIDATE);
        let is_async = ev.flags.contains(Flags::ASYNC);
        if inval {
            let maps = self.objects[object as usize].maps.clone();
            for id in maps {
                self.map_remove_range(id, start, end.min(self.maps[id as usize].end));
            }
        }
        let writable = self.objects[object as usize]
            .maps
            .iter()
            .any(|&id| self.maps[id as usize].writable)
            || self.objects[object as usize].flags & object::obj::MIGHTBEDIRTY != 0;
        if writable {
            let flags = if !is_async || inval {
                vnode_pager::put::SYNC | if inval { vnode_pager::put::INVAL } else { 0 }
            } else {
                vnode_pager::put::CLUSTER_OK
            };
            self.clean_range(object, start, end, flags, Origin::Msync);
        }
        if inval {
            self.scratch_pages.clear();
            let o = &self.objects[object as usize];
            let mut list: Vec<u32> = o
                .resident
                .iter()
                .filter(|(pi, _)| **pi >= start && **pi < end)
                .map(|(_, m)| *m)
                .collect();
            list.sort_unstable_by_key(|&m| self.pages.pages[m as usize].pindex);
            for m in list {
                let p = &self.pages.pages[m as usize];
                if p.dirty == 0 && p.wire_count == 0 && p.busy == 0 && p.mapped == 0 {
                    self.vm_page_free(m);
                }
            }
        }
    }

    /// Write the dirty pages of `[start, end)` of `object` in runs of contiguous dirty
    /// pages of at most `vm_pageout_page_count`.
    fn clean_range(&mut self, object: u32, start: u64, end: u64, flags: u32, origin: Origin) {
        // Work from page indices, looking each page up when it is used: writing one
        // run can free or reuse pages collected earlier.
        let mut pis: Vec<u64> = self.objects[object as usize]
            .resident
            .keys()
            .copied()
            .filter(|pi| *pi >= start && *pi < end)
            .collect();
        pis.sort_unstable();
        let max = self.p.vm_pageout_page_count as usize;
        let mut run: Vec<u32> = Vec::with_capacity(max);
        let mut last_pi = 0u64;
        for pi in pis {
            let dirty_page = |s: &mut Simulator| -> Option<u32> {
                let m = s.objects[object as usize].lookup(pi)?;
                s.vm_page_test_dirty(m);
                let p = &s.pages.pages[m as usize];
                (p.dirty != 0 && p.valid != 0).then_some(m)
            };
            let m = dirty_page(self);
            let contiguous = !run.is_empty() && last_pi + 1 == pi;
            if (m.is_none() || !contiguous || run.len() >= max) && !run.is_empty() {
                self.vm_pageout_flush(&run, flags, origin);
                run.clear();
            }
            // Re-check after a flush: it may have freed or cleaned this page.
            if let Some(m) = dirty_page(self) {
                run.push(m);
                last_pi = pi;
            }
        }
        if !run.is_empty() {
            self.vm_pageout_flush(&run, flags, origin);
        }
    }

    /// Wait until every write of vnode `vn` in flight has completed.
    fn wait_vnode_writes(&mut self, vn: u32) {
        loop {
            let pending = self
                .bufs
                .bufs
                .iter()
                .find_map(|b| (b.vnode == vn && b.io.is_some()).then_some(b.io));
            match pending.flatten() {
                Some(req) => self.wait_req(req),
                None => break,
            }
        }
    }

    fn op_unlink(&mut self, ev: &Event) {
        // Whatever happens to the old vnode, the name now refers to a new file.
        self.unlinked_files.insert(ev.file);
        let vn = self
            .file_vnode
            .get(ev.file as usize)
            .copied()
            .unwrap_or(NIL);
        if vn == NIL {
            // Never seen: nothing cached to drop.
            return;
        }
        self.vnodes[vn as usize].unlinked = true;
        if self.vnodes[vn as usize].refs == 0 {
            self.vnode_discard(vn);
        }
    }

    /// Finish the replay: wait for I/O still in flight and return the statistics.
    pub fn finish_run(&mut self) -> RunStats {
        let end = self.last_time;
        loop {
            let before = self.now;
            if !self.wait_any_io() {
                break;
            }
            let _ = before;
        }
        let mut warnings = Vec::new();
        let w = &self.warnings;
        if w.implicit_after_explicit > 0 {
            warnings.push(format!(
                "{} touches of mapped files fell outside every live mmap and were replayed through an implicit mapping of the whole file",
                w.implicit_after_explicit
            ));
        }
        if w.io_without_open > 0 {
            warnings.push(format!(
                "{} reads/writes came from a pid that had not opened the file (treated as opened just before)",
                w.io_without_open
            ));
        }
        if w.private_stores > 0 {
            warnings.push(format!(
                "{} fault_write touches went through MAP_PRIVATE mappings (copy-on-write; replayed as loads of the file)",
                w.private_stores
            ));
        }
        if w.close_without_open > 0 {
            warnings.push(format!(
                "{} closes of files the pid had not opened (ignored)",
                w.close_without_open
            ));
        }
        if w.munmap_unmapped > 0 {
            warnings.push(format!(
                "{} munmaps matched no mapping of that pid (ignored)",
                w.munmap_unmapped
            ));
        }
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

impl Model for Simulator {
    fn step(&mut self, ev: &Event) {
        self.step_event(ev);
    }

    fn finish(&mut self) -> RunStats {
        self.finish_run()
    }
}
