//! The system calls of a trace: open/close, read/write, mmap/munmap, faults, truncate,
//! fsync, msync, unlink, fadvise and madvise, each mapped onto the kernel paths of
//! pager-model.md §6.

use super::Simulator;
use super::ffs;
use super::file::OpenFile;
use super::map::Mapping;
use super::object::{self, objpc};
use super::page::{self, NIL, PAGE_SIZE};
use crate::params::TruncatePath;
use crate::stats::Origin;
use crate::trace::{Advice, Event, Flags};
use rustc_hash::FxHashMap;

impl Simulator {
    pub(crate) fn op_open(&mut self, ev: &Event) {
        let vn = self.vnode_for(ev.file, ev.length());
        let v = &mut self.vnodes[vn as usize];
        v.refs += 1;
        // VOP_OPEN ages the vnode one step (vfs_vopops.c): files opened often are
        // recycled last.
        v.vage = v.vage.saturating_sub(1);
        if let Some(&old) = self.files.get(&(ev.pid, ev.file)) {
            let o = &self.open_files[old as usize];
            if o.opens > 0 && o.vnode != vn {
                // The pid still has the name's older file open (unlinked since, so
                // kept alive by that open): this is a second open file. Closes undo
                // the newest open first.
                let mut of = OpenFile::new(ev.flags, vn);
                of.opens = 1;
                of.older = old;
                let i = self.alloc_open_file(of);
                self.files.insert((ev.pid, ev.file), i);
                return;
            }
        }
        let i = self.open_file_slot(ev.pid, ev.file, ev.flags, vn);
        let of = &mut self.open_files[i];
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

    /// The slot of (pid, file), created with `OpenFile::new(flags, vn)` if absent.
    fn open_file_slot(&mut self, pid: u32, file: u32, flags: Flags, vn: u32) -> usize {
        if let Some(&i) = self.files.get(&(pid, file)) {
            return i as usize;
        }
        let i = self.alloc_open_file(OpenFile::new(flags, vn));
        self.files.insert((pid, file), i);
        i as usize
    }

    /// A slot in `open_files` holding `of`.
    fn alloc_open_file(&mut self, of: OpenFile) -> u32 {
        match self.free_open_files.pop() {
            Some(i) => {
                self.open_files[i as usize] = of;
                i
            }
            None => {
                self.open_files.push(of);
                (self.open_files.len() - 1) as u32
            }
        }
    }

    /// Forget (pid, file)'s open file; an older one it hid becomes current again.
    fn drop_open_file(&mut self, pid: u32, file: u32) {
        if let Some(i) = self.files.remove(&(pid, file)) {
            let older = self.open_files[i as usize].older;
            if older != NIL {
                self.files.insert((pid, file), older);
            }
            self.free_open_files.push(i);
        }
    }

    pub(crate) fn op_close(&mut self, ev: &Event) {
        let Some(&i) = self.files.get(&(ev.pid, ev.file)) else {
            self.warnings.close_without_open += 1;
            return;
        };
        let of = &mut self.open_files[i as usize];
        if of.opens == 0 {
            // Opened implicitly by a read/write without an open: no reference held.
            self.drop_open_file(ev.pid, ev.file);
            self.warnings.close_without_open += 1;
            return;
        }
        of.opens -= 1;
        let vn = of.vnode;
        if of.opens == 0 {
            self.drop_open_file(ev.pid, ev.file);
        }
        self.vnode_rele(vn);
    }

    /// The open file of (pid, file); a read or write without an open gets one, as if
    /// opened just before (and a warning).
    fn open_file(&mut self, pid: u32, file: u32) -> (u32, &mut OpenFile) {
        let slot = self.files.get(&(pid, file)).copied();
        let live = slot.and_then(|i| {
            let vn = self.open_files[i as usize].vnode;
            // An implicit open holds no reference, so its vnode may have been
            // discarded after an unlink, or recycled by vnlru (and perhaps reused for
            // another file): follow the name to its current file.
            let v = &self.vnodes[vn as usize];
            (v.object != NIL && v.file == file).then_some((i as usize, vn))
        });
        let (i, vn) = match live {
            Some((i, vn)) => {
                if self.vnodes[vn as usize].free {
                    self.vnode_reactivate(vn);
                }
                (i, vn)
            }
            None => {
                if slot.is_none() {
                    self.warnings.io_without_open += 1;
                }
                let vn = self.vnode_for(file, None);
                (self.open_file_slot(pid, file, Flags::NONE, vn), vn)
            }
        };
        self.op_vnode = vn;
        let of = &mut self.open_files[i];
        of.vnode = vn;
        (vn, of)
    }

    /// The vnode an fd-based op (fsync, ftruncate, mmap) reaches: the pid's open
    /// file's, when that is a file unlinked since; else the name's.
    fn vnode_by_fd(&mut self, pid: u32, file: u32) -> u32 {
        match self.orphan_by_fd(pid, file) {
            Some(vn) => {
                self.op_vnode = vn;
                vn
            }
            None => self.vnode_for(file, None),
        }
    }

    pub(crate) fn op_read(&mut self, ev: &Event) {
        let unit = self.p.knobs.seq_unit;
        let seqmax = self.p.knobs.io_seqmax;
        let (vn, of) = self.open_file(ev.pid, ev.file);
        let seqcount = of.sequential_heuristic(ev.offset, ev.length, unit, seqmax);
        let direct = of.flags.contains(Flags::DIRECT);
        of.f_nextoff = ev.offset.saturating_add(ev.length);
        self.touch_range(vn, ev.offset, ev.length);
        self.ra_req = super::RaReq {
            pid: ev.pid,
            map: None,
            advice: crate::policies::readahead::Advice::Normal,
            offset: ev.offset,
            len: ev.length,
        };
        let io = ffs::IoFlags {
            direct,
            ..Default::default()
        };
        self.ffs_read(vn, ev.offset, ev.length, seqcount, io);
    }

    pub(crate) fn op_write(&mut self, ev: &Event) {
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
        if off.saturating_add(ev.length) > super::vnode::MAX_FILE_SIZE {
            // ffs_write: EFBIG before anything is done.
            self.warnings.efbig += 1;
            return;
        }
        let (_, of) = self.open_file(ev.pid, ev.file);
        let seqcount = of.sequential_heuristic(off, ev.length, unit, seqmax);
        of.f_nextoff = off.saturating_add(ev.length);
        let writethrough = self.pol.sync.writethrough();
        let (_, of) = self.open_file(ev.pid, ev.file);
        let io = ffs::IoFlags {
            sync: of.flags.contains(Flags::SYNC) || writethrough,
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
        self.shadow_accepted(vn, off, end);
        self.ffs_write(vn, off, ev.length, seqcount, io);
        self.sync_throttle();
    }

    pub(crate) fn op_mmap(&mut self, ev: &Event) {
        let vn = self.vnode_by_fd(ev.pid, ev.file);
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
            mmap_event: self.c.events,
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
                            .filter(|(pi, _)| *pi >= start && *pi < end)
                            .map(|(_, m)| m),
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

    /// The vnode the pid's mapping of `[start, end)` of `ev.file` reaches: an unlinked
    /// one it still maps, else the name's current vnode (NIL if the file was never
    /// seen).
    fn mapped_vnode(&self, ev: &Event, start: u64, end: u64) -> u32 {
        match self.orphan_by_map(ev.pid, ev.file, start, end, false) {
            Some(vn) => vn,
            None => self
                .file_vnode
                .get(ev.file as usize)
                .copied()
                .unwrap_or(NIL),
        }
    }

    pub(crate) fn op_munmap(&mut self, ev: &Event) {
        let (start, end) = Self::page_range(ev.offset, ev.length);
        let vn = self.mapped_vnode(ev, start, end);
        if vn == NIL {
            self.warnings.munmap_unmapped += 1;
            return;
        }
        self.op_vnode = vn;
        let object = self.vnodes[vn as usize].object;
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

    pub(crate) fn op_fault(&mut self, ev: &Event, write: bool) {
        let pindex = ev.offset / PAGE_SIZE;
        let vn = match self.orphan_by_map(ev.pid, ev.file, pindex, pindex + 1, true) {
            Some(vn) => {
                self.op_vnode = vn;
                vn
            }
            None => self.vnode_for(ev.file, None),
        };
        let object = self.vnodes[vn as usize].object;
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
        let mp = &self.maps[map as usize];
        self.ra_req = super::RaReq {
            pid: ev.pid,
            map: Some(map),
            advice: if mp.random {
                crate::policies::readahead::Advice::Random
            } else if mp.sequential {
                crate::policies::readahead::Advice::Sequential
            } else {
                crate::policies::readahead::Advice::Normal
            },
            offset: pindex * PAGE_SIZE,
            len: PAGE_SIZE,
        };
        let r = self.vm_fault_touch(map, pindex, write);
        if write && self.maps[map as usize].writable && r != super::fault::FaultResult::Sigbus {
            if self.pol.sync.writethrough() {
                self.writethrough_pages(vn, pindex);
            } else {
                self.sync_throttle();
            }
        }
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

    /// truncate: the UFS path (`ffs_truncate`, default) or the seed's generic
    /// `vnode_pager_setsize` path (`--set truncate=generic`), §6.5.
    pub(crate) fn op_truncate(&mut self, ev: &Event) {
        if ev.length > super::vnode::MAX_FILE_SIZE {
            // ffs_truncate: EFBIG.
            self.warnings.efbig += 1;
            return;
        }
        let vn = self.vnode_by_fd(ev.pid, ev.file);
        match self.p.knobs.truncate {
            TruncatePath::Generic => self.truncate_generic(vn, ev.length),
            TruncatePath::Ufs => self.ffs_truncate(vn, ev.length),
        }
    }

    /// `vtruncbuf`: destroy the buffers wholly past `nsize` rounded up to a block
    /// (dirty ones discarded, in-flight ones waited for), and free their blocks.
    pub(crate) fn vtruncbuf(&mut self, vn: u32, nsize: u64) {
        let bsize = self.p.knobs.f_iosize;
        let first_gone = nsize.div_ceil(bsize);
        self.buf_discard_from(vn, first_gone);
        self.vnodes[vn as usize].free_from(first_gone);
    }

    /// The generic path: `vtruncbuf` + the seed's `vnode_pager_setsize`.
    fn truncate_generic(&mut self, vn: u32, nsize: u64) {
        let old = self.vnodes[vn as usize].v_filesize;
        if nsize < old {
            self.vtruncbuf(vn, nsize);
            self.shadow_drop(vn, nsize.div_ceil(PAGE_SIZE));
        }
        self.vnode_pager_setsize(vn, nsize);
    }

    /// fsync (§6.6): clean the object's dirty pages into delayed/clustered buffers
    /// (`vm_object_page_clean`, flags 0), then `vfsync(MNT_WAIT)`: every dirty buffer
    /// in offset order through `vfs_bio_awrite`, and wait for all of them.
    pub(crate) fn op_fsync(&mut self, ev: &Event) {
        let vn = self.vnode_by_fd(ev.pid, ev.file);
        let object = self.vnodes[vn as usize].object;
        self.write_origin_async = Origin::Fsync;
        self.write_origin_sync = Origin::Fsync;
        self.vm_object_page_clean(object, 0, 0, 0, Origin::Fsync);
        self.vfsync_wait(vn, Origin::Fsync);
        self.write_origin_async = Origin::Bawrite;
        self.write_origin_sync = Origin::IoSync;
    }

    /// msync (§6.7): MS_INVALIDATE unmaps first; only writable mappings are cleaned,
    /// with OBJPC_SYNC for MS_SYNC/MS_INVALIDATE (one synchronous write per block) or
    /// delayed/clustered buffers for MS_ASYNC; MS_INVALIDATE then drops the range's
    /// clean, unwired pages.
    pub(crate) fn op_msync(&mut self, ev: &Event) {
        let (mut start, mut end) = Self::page_range(ev.offset, ev.length);
        let to = if ev.length == 0 { u64::MAX } else { end };
        let vn = match self.orphan_by_map(ev.pid, ev.file, start, to, true) {
            Some(vn) => {
                self.op_vnode = vn;
                vn
            }
            None => self.vnode_for(ev.file, None),
        };
        let object = self.vnodes[vn as usize].object;
        if ev.length == 0 {
            // `sys_msync` (sys/vm/vm_mmap.c, "XXX Gak!"): length 0 syncs the whole map
            // entry holding the address — the mapping's page range, not the object to
            // EOF — so it is a whole-object clean only when the mapping covers the
            // (block-rounded) object. With no such mapping of the pid (a trace that
            // never recorded the mmap: only an implicit one), to EOF, as trace-format.md
            // says.
            let entry = self.objects[object as usize]
                .maps
                .iter()
                .map(|&id| &self.maps[id as usize])
                .find(|mp| {
                    mp.live
                        && !mp.implicit
                        && mp.pid == ev.pid
                        && mp.start <= start
                        && start < mp.end
                })
                .map(|mp| (mp.start, mp.end));
            (start, end) = match entry {
                Some(r) => r,
                None => (start, self.objects[object as usize].size),
            };
        }
        let inval = ev.flags.contains(Flags::INVALIDATE);
        let is_async = ev.flags.contains(Flags::ASYNC);
        // The caller's mappings of the range (any process's when it has none).
        let mut maps: Vec<u32> = self.objects[object as usize]
            .maps
            .iter()
            .copied()
            .filter(|&id| {
                let mp = &self.maps[id as usize];
                mp.pid == ev.pid && mp.start < end && start < mp.end
            })
            .collect();
        if maps.is_empty() {
            maps = self.objects[object as usize]
                .maps
                .iter()
                .copied()
                .filter(|&id| {
                    let mp = &self.maps[id as usize];
                    mp.start < end && start < mp.end
                })
                .collect();
        }
        if inval {
            for &id in &maps {
                let (ms, me) = (self.maps[id as usize].start, self.maps[id as usize].end);
                self.map_remove_range(id, start.max(ms), end.min(me));
            }
        }
        let writable = maps.iter().any(|&id| self.maps[id as usize].writable)
            && self.objects[object as usize].flags & object::obj::NOMSYNC == 0;
        if writable {
            let flags = if !is_async || inval {
                objpc::SYNC | if inval { objpc::INVAL } else { 0 }
            } else {
                0
            };
            self.write_origin_async = Origin::Msync;
            self.write_origin_sync = Origin::Msync;
            self.vm_object_page_clean(object, start, end, flags, Origin::Msync);
            self.write_origin_async = Origin::Bawrite;
            self.write_origin_sync = Origin::IoSync;
        }
        if inval {
            let mut list: Vec<u32> = self.objects[object as usize]
                .resident
                .iter()
                .filter(|(pi, _)| *pi >= start && *pi < end)
                .map(|(_, m)| m)
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

    /// posix_fadvise: DragonFly at `005cf293e4` has no such system call, so the advice
    /// changes nothing; it is counted (`fadvise_ignored`).
    pub(crate) fn op_fadvise(&mut self, _ev: &Event) {
        self.c.fadvise_ignored += 1;
    }

    /// madvise (`vm_map_madvise`, sys/vm/vm_map.c). `normal`, `random` and
    /// `sequential` are map-entry behaviour: the pid's mappings of the range are
    /// clipped at its edges (`vm_map_clip_start`/`_end`), the pieces inside get the
    /// advice (the `random`/`sequential` of an mmap's flags; `normal` clears both), and
    /// each is merged back with an equal neighbour of the same mmap
    /// (`vm_map_simplify_entry`). `willneed` and `dontneed` act on the object's
    /// resident pages instead (`vm_object_madvise`): counted and ignored
    /// (`madvise_ignored`).
    pub(crate) fn op_madvise(&mut self, ev: &Event) {
        let (random, sequential) = match ev.flags.advice() {
            Some(Advice::Normal) => (false, false),
            Some(Advice::Random) => (true, false),
            Some(Advice::Sequential) => (false, true),
            _ => {
                self.c.madvise_ignored += 1;
                return;
            }
        };
        let (start, end) = Self::page_range(ev.offset, ev.length);
        if start >= end {
            // A zero length: the kernel does nothing.
            return;
        }
        let vn = self.mapped_vnode(ev, start, end);
        let object = if vn == NIL {
            NIL
        } else {
            self.vnodes[vn as usize].object
        };
        if object == NIL {
            self.warnings.madvise_unmapped += 1;
            return;
        }
        self.op_vnode = vn;
        let ids: Vec<u32> = self.objects[object as usize]
            .maps
            .iter()
            .copied()
            .filter(|&id| {
                let mp = &self.maps[id as usize];
                mp.pid == ev.pid && mp.live && !mp.implicit && mp.start < end && start < mp.end
            })
            .collect();
        if ids.is_empty() {
            self.warnings.madvise_unmapped += 1;
            return;
        }
        let mut entries = Vec::with_capacity(ids.len() + 2);
        for id in ids {
            let mp = &self.maps[id as usize];
            if mp.random == random && mp.sequential == sequential {
                // Clipped, set to what it had and merged back it would not change,
                // but it may still merge with a neighbour that does.
                entries.push(id);
                continue;
            }
            let (ms, me) = (mp.start, mp.end);
            let mut piece = id;
            if ms < start {
                piece = self.map_clip(piece, start);
            }
            if me > end {
                self.map_clip(piece, end);
            }
            let mp = &mut self.maps[piece as usize];
            mp.random = random;
            mp.sequential = sequential;
            entries.push(piece);
        }
        // `vm_map_simplify_entry` on every entry of the range, in address order.
        entries.sort_unstable_by_key(|&id| self.maps[id as usize].start);
        for id in entries {
            if self.maps[id as usize].live {
                self.map_simplify(id);
            }
        }
    }

    pub(crate) fn op_unlink(&mut self, ev: &Event) {
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
        } else {
            self.orphan_add(ev.file, vn);
        }
    }
}
