//! The Linux personality (`--profile linux`): a page-granular page cache as Linux 6.x
//! runs it on ext4 — no buffer cache, 4 KiB pages, read-ahead by mm/readahead.c,
//! page faults by mm/filemap.c (read-around, fault-around), write-back by
//! mm/page-writeback.c and fs/fs-writeback.c, and a block layer that builds requests
//! of up to `max_sectors_kb` — over the same simulated device as the other models.
//!
//! One kernel concept per file: [`readahead`] (file read-ahead), [`filemap`] (the fault
//! side), [`pagecache`] (pages, LRU lists, dirty sets), [`writeback`] (thresholds,
//! flusher), [`blk`] (bios into requests), [`params`] (the sysfs/procfs settings).

pub mod blk;
pub mod extents;
pub mod fadvise;
pub mod filemap;
pub mod ops;
pub mod pagecache;
pub mod params;
pub mod readahead;
pub mod writeback;

pub use params::LinuxParams;

use crate::device::{Completion, Device, DeviceSpec, ReqId};
use crate::stats::{Counters, Dir, Latencies, Origin, RunStats};
use crate::trace::{Event, FileTable};
use pagecache::{NIL, PageCache, pf};
use readahead::FileRaState;
use rustc_hash::FxHashMap;

pub const PAGE_SIZE: u64 = 4096;

/// An inode: what a file name leads to until it is unlinked.
#[derive(Clone, Debug)]
pub(crate) struct Inode {
    /// The trace's file (name) it was created under.
    pub file: u32,
    pub size: u64,
    /// The name is gone; the data goes with the last open or mapping.
    pub unlinked: bool,
    /// Opens plus live mappings.
    pub refs: u32,
    /// `inode->dirtied_when`: when it went from clean to dirty (write-back age).
    pub dirtied_when: Option<u64>,
    /// Metadata changed since the last fsync (size or mtime: `I_DIRTY_*`).
    pub meta_dirty: bool,
    /// Which pages have disk blocks (the rest of the dirty data is delayed
    /// allocation).
    pub blocks: extents::BlockMap,
}

/// A mapping (`struct vm_area_struct`) of file pages `[first, end)`.
#[derive(Clone, Debug)]
pub(crate) struct Vma {
    pub pid: u32,
    pub inode: u32,
    pub first: u64,
    pub end: u64,
    pub shared: bool,
    pub advice: filemap::VmAdvice,
    /// Pages with a PTE: index → writable.
    pub ptes: FxHashMap<u64, bool>,
}

/// One bio in flight: the pages it carries. Bios merged into one request are chained
/// from the request's first bio (`next`), as `rq->bio` chains them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Io {
    pub dir: Dir,
    pub req: ReqId,
    pub inode: u32,
    pub first: u64,
    pub n: u64,
    pub next: u32,
}

/// The Linux model of one configuration.
pub struct Linux {
    pub(crate) p: LinuxParams,
    pub(crate) pc: PageCache,
    pub(crate) inodes: Vec<Inode>,
    /// FileId → current inode (NIL until first seen or after unlink).
    file_inode: Vec<u32>,
    initial_sizes: Vec<Option<u64>>,
    /// (pid, inode) → the open file's read-ahead state, open count and FMODE_RANDOM.
    pub(crate) files: FxHashMap<(u32, u32), (FileRaState, u32, bool)>,
    pub(crate) vmas: Vec<Vma>,
    pub(crate) ios: Vec<Io>,
    free_ios: Vec<u32>,
    pub(crate) device: Device,
    done: Vec<Completion>,
    pub(crate) c: Counters,
    lat: Latencies,
    /// The current op's clock.
    pub(crate) now: u64,
    last_time: u64,
    /// Next periodic write-back wake-up.
    pub(crate) next_wb: u64,
    final_sync: bool,
    pub(crate) scratch: Vec<u32>,
    /// Bio breaks of the write-back run being submitted (reused).
    pub(crate) breaks: Vec<u64>,
    /// Trace oddities, reported once at the end.
    pub(crate) warn: crate::model::ReplayWarnings,
}

impl Linux {
    /// A Linux page cache in `mem` bytes of RAM (`unavailable` of it not for the
    /// cache) in front of `device`.
    pub fn new(
        p: LinuxParams,
        mem: u64,
        unavailable: u64,
        device: DeviceSpec,
        files: &FileTable,
    ) -> Linux {
        // The page cache may use what the kernel leaves free: RAM less the kernel's own
        // share (taken as 3 %, as the DragonFly model does) and the unavailable part.
        let pages = mem.saturating_sub(unavailable) / PAGE_SIZE;
        let capacity = pages - pages * 3 / 100;
        let next_wb = if p.dirty_writeback_ns == 0 {
            u64::MAX
        } else {
            p.dirty_writeback_ns
        };
        Linux {
            pc: PageCache::new(capacity),
            inodes: Vec::new(),
            file_inode: Vec::new(),
            initial_sizes: (0..files.len() as u32)
                .map(|id| files.initial_size(id))
                .collect(),
            files: FxHashMap::default(),
            vmas: Vec::new(),
            ios: Vec::new(),
            free_ios: Vec::new(),
            device: Device::new(device, super::yardstick_hirunningspace(mem)),
            done: Vec::new(),
            c: Counters::default(),
            lat: Latencies::new(),
            now: 0,
            last_time: 0,
            next_wb,
            final_sync: false,
            scratch: Vec::new(),
            breaks: Vec::new(),
            warn: crate::model::ReplayWarnings::default(),
            p,
        }
    }

    /// `--final-sync`: write everything dirty at the end (origin final_sync).
    pub fn set_final_sync(&mut self, on: bool) {
        self.final_sync = on;
    }

    /// The current inode of `file`, created on first sight (or after unlink) with the
    /// trace's initial size, else `open_len`, else 0.
    pub(crate) fn inode_of(&mut self, file: u32, open_len: Option<u64>) -> u32 {
        let f = file as usize;
        if f >= self.file_inode.len() {
            self.file_inode.resize(f + 1, NIL);
        }
        let cur = self.file_inode[f];
        if cur != NIL {
            return cur;
        }
        // First sight: the trace's initial size (else what the open says); a name seen
        // again after unlink is a new, empty file unless its open says otherwise.
        let size = match self.initial_sizes.get_mut(f).and_then(Option::take) {
            Some(s) => s,
            None => open_len.unwrap_or(0),
        };
        self.inodes.push(Inode {
            file,
            size,
            unlinked: false,
            refs: 0,
            dirtied_when: None,
            meta_dirty: false,
            blocks: extents::BlockMap::with_blocks(size.div_ceil(PAGE_SIZE)),
        });
        let ino = self.inodes.len() as u32 - 1;
        self.file_inode[f] = ino;
        ino
    }

    /// The inode `pid` reaches through `file`: one it holds open or mapped (an
    /// unlinked one included: the name is gone, not the open file), else the name's
    /// current inode.
    pub(crate) fn inode_for(&mut self, pid: u32, file: u32) -> u32 {
        let cur = self.file_inode.get(file as usize).copied().unwrap_or(NIL);
        if cur != NIL && self.files.contains_key(&(pid, cur)) {
            return cur;
        }
        let held = |i: u32| {
            self.files.contains_key(&(pid, i))
                || self.vmas.iter().any(|v| v.pid == pid && v.inode == i)
        };
        if let Some(i) = (0..self.inodes.len() as u32).rev().find(|&i| {
            self.inodes[i as usize].file == file && self.inodes[i as usize].unlinked && held(i)
        }) {
            return i;
        }
        self.inode_of(file, None)
    }

    pub(crate) fn forget_name(&mut self, file: u32) {
        if let Some(x) = self.file_inode.get_mut(file as usize) {
            *x = NIL;
        }
    }

    /// Disk byte address of page `index` of `inode`: each inode's blocks lie contiguous
    /// from its own base (ext4's extents for a file written in one go).
    pub(crate) fn disk_addr(inode: u32, index: u64) -> u64 {
        (u64::from(inode) << 40).wrapping_add(index.wrapping_mul(PAGE_SIZE))
    }

    /// Hand the bio of pages `[first, first+n)` of `inode` to the block layer: merged
    /// into a queued request it adjoins ([`Device::try_merge`]), else a new request.
    pub(crate) fn submit(
        &mut self,
        dir: Dir,
        inode: u32,
        first: u64,
        n: u64,
        origin: Origin,
        sync: bool,
    ) -> u32 {
        let io = match self.free_ios.pop() {
            Some(i) => i,
            None => {
                self.ios.push(Io {
                    dir,
                    req: ReqId(0),
                    inode,
                    first,
                    n,
                    next: NIL,
                });
                self.ios.len() as u32 - 1
            }
        };
        let addr = Self::disk_addr(inode, first);
        let bytes = n * PAGE_SIZE;
        if self.device.logging() {
            let file = self.inodes[inode as usize].file;
            let offset = (origin != Origin::Metadata).then(|| first * PAGE_SIZE);
            self.device.note_file(file, offset);
        }
        let max = self.p.max_request_pages() * PAGE_SIZE;
        let (req, next) = match self.device.try_merge(self.now, dir, addr, bytes, max) {
            Some((req, head)) => {
                // Chained behind the request's first bio; completed with it.
                let next = self.ios[head as usize].next;
                self.ios[head as usize].next = io;
                (req, next)
            }
            None => (
                self.device
                    .submit(self.now, dir, addr, bytes, origin, sync, io),
                NIL,
            ),
        };
        self.ios[io as usize] = Io {
            dir,
            req,
            inode,
            first,
            n,
            next,
        };
        io
    }

    /// Apply completions: reads make their pages uptodate and unlock them, writes end
    /// their pages' write-back.
    pub(crate) fn process_completions(&mut self) {
        while !self.done.is_empty() {
            let batch = std::mem::take(&mut self.done);
            for c in &batch {
                let mut tag = c.tag;
                while tag != NIL {
                    let io = self.ios[tag as usize];
                    self.complete_io(tag, io);
                    self.free_ios.push(tag);
                    tag = io.next;
                }
            }
            let mut batch = batch;
            batch.clear();
            if self.done.is_empty() {
                self.done = batch;
            }
        }
    }

    /// One bio done: reads make their pages uptodate and unlock them, writes end their
    /// pages' write-back.
    fn complete_io(&mut self, tag: u32, io: Io) {
        for i in io.first..io.first + io.n {
            let Some(p) = self.pc.lookup(io.inode, i) else {
                continue;
            };
            if self.pc.pages[p as usize].io != tag {
                continue;
            }
            self.pc.pages[p as usize].io = NIL;
            match io.dir {
                Dir::Read => {
                    self.pc.clear(p, pf::LOCKED);
                    self.pc.set(p, pf::UPTODATE);
                }
                Dir::Write => {
                    self.pc.clear(p, pf::WRITEBACK);
                    self.pc.nr_writeback -= 1;
                }
            }
        }
    }

    /// Wait until page `p`'s I/O (read or write-back) is done.
    pub(crate) fn wait_page(&mut self, p: u32) {
        let io = self.pc.pages[p as usize].io;
        if io == NIL {
            return;
        }
        self.wait_req(self.ios[io as usize].req);
    }

    /// Wait for request `req`.
    pub(crate) fn wait_req(&mut self, req: ReqId) {
        let t = self.device.wait_for(req, &mut self.done);
        self.process_completions();
        self.now = self.now.max(t);
    }

    /// Wait for the next completion anywhere; false if the device is idle.
    pub(crate) fn wait_any(&mut self) -> bool {
        let Some(t) = self.device.next_completion_time() else {
            return false;
        };
        self.device.advance(t, &mut self.done);
        self.process_completions();
        self.now = self.now.max(t);
        true
    }

    /// A free page frame for a new page: reclaim from the inactive tail when the cache
    /// is full; with only dirty or busy pages left, start write-back and wait for I/O.
    pub(crate) fn make_room(&mut self) {
        let mut tries = 0;
        while self.pc.len() >= self.pc.capacity {
            if let Some(v) = self.pc.reclaim_candidate() {
                if self.pc.flags(v) & pf::RA_UNUSED != 0 {
                    self.c.readahead_pages_evicted_unused += 1;
                }
                self.pc.remove(v);
                self.c.v_dfree += 1;
                continue;
            }
            tries += 1;
            if self.pc.nr_dirty > 0 {
                self.writeback_oldest(Origin::PageoutLaunder);
            }
            if !self.wait_any() || tries > 1_000_000 {
                // Nothing will ever free a frame: go over rather than stall forever
                // (counted; only a cache smaller than one op's pages gets here).
                self.c.alloc_reserve_overrides += 1;
                return;
            }
        }
    }

    /// Let the periodic write-back run for every wake-up due up to `t`.
    fn run_daemons_until(&mut self, t: u64) {
        while self.next_wb <= t {
            let at = self.next_wb;
            self.now = self.now.max(at);
            self.device.advance(self.now, &mut self.done);
            self.process_completions();
            self.wb_periodic(at);
            self.next_wb = if self.pc.nr_dirty == 0 {
                // Idle: the next wake-up that can find work is after `t`.
                (t / self.p.dirty_writeback_ns + 1).saturating_mul(self.p.dirty_writeback_ns)
            } else {
                at.saturating_add(self.p.dirty_writeback_ns)
            };
        }
    }

    /// Replay one event.
    pub fn step_event(&mut self, ev: &Event) {
        let t = ev.time_ns.max(self.last_time);
        self.run_daemons_until(t);
        self.last_time = t;
        self.now = t;
        self.c.events += 1;
        self.device.advance(t, &mut self.done);
        self.process_completions();
        crate::model::dispatch_op!(self, ev);
        self.lat.record(ev.op, self.now - t);
    }

    /// Dirty bytes left (pages).
    fn dirty_bytes(&self) -> u64 {
        self.pc.nr_dirty * PAGE_SIZE
    }

    pub fn finish_run(&mut self) -> RunStats {
        let end = self.last_time;
        self.run_daemons_until(end);
        if self.final_sync {
            self.now = self.now.max(end);
            for ino in 0..self.inodes.len() as u32 {
                self.write_inode(ino, Origin::FinalSync, 0, u64::MAX);
            }
        }
        while self.wait_any() {}
        self.c.dirty_bytes_at_end = self.dirty_bytes();
        RunStats {
            counters: self.c.clone(),
            device: self.device.stats().clone(),
            latency: self.lat.clone(),
            end_time_ns: end.max(self.now),
            warnings: self.warn.messages(),
        }
    }
}

impl super::Model for Linux {
    fn device_mut(&mut self) -> Option<&mut Device> {
        Some(&mut self.device)
    }

    fn step(&mut self, ev: &Event) {
        self.step_event(ev);
    }

    fn finish(&mut self) -> RunStats {
        self.finish_run()
    }
}
