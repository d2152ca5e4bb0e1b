//! `struct buf` and the buffer cache core of sys/kern/vfs_bio.c: getblk (B1), getnewbuf
//! (B9), bqrelse/brelse (B7) and teardown (B8), plus I/O completion (§7.4).
//!
//! A VMIO buffer owns no data: its pages are the object's pages, wired while the buffer
//! holds them, so the buffer tier decides which pages pageout may touch at all.

use super::Simulator;
use super::page::{NIL, PAGE_SIZE, Queue, page_bits, pg};
use crate::chunkmap::ChunkMap;
use crate::device::ReqId;
use crate::stats::{Dir, Origin};

/// Buffer flags (the subset that changes I/O counts).
pub mod bf {
    /// Every byte of the buffer is valid.
    pub const CACHE: u32 = 1 << 0;
    /// Dirty (delayed write).
    pub const DELWRI: u32 = 1 << 1;
    /// Read-ahead mark: reaching it triggers more read-ahead.
    pub const RAM: u32 = 1 << 2;
    /// May be clustered with its neighbours on write.
    pub const CLUSTEROK: u32 = 1 << 3;
    /// Tear down on release (pager I/O).
    pub const RELBUF: u32 = 1 << 4;
    /// Do not cache after I/O.
    pub const NOCACHE: u32 = 1 << 5;
    /// Second-chance mark used by getnewbuf.
    pub const AGE: u32 = 1 << 6;
    /// Contents invalid.
    pub const INVAL: u32 = 1 << 7;
    /// O_DIRECT: free pages on teardown.
    pub const DIRECT: u32 = 1 << 8;
    /// Released by I/O completion rather than by a waiting caller.
    pub const ASYNC: u32 = 1 << 9;
}

/// Which buffer queue a header is on. `Locked` = held by I/O in flight or the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufQueue {
    Locked,
    Clean,
    Dirty,
    Empty,
}

/// Most pages a buffer can hold (64 KiB blocks).
pub const MAX_BUF_PAGES: usize = 16;

#[derive(Clone, Debug)]
pub struct Buf {
    pub vnode: u32,
    pub lblkno: u64,
    /// Bytes (fragment-sized at EOF).
    pub bcount: u32,
    pub flags: u32,
    pub act_count: u8,
    pub npages: u8,
    pub queue: BufQueue,
    /// Disk offset (`bio2.bio_offset`), `u64::MAX` until bmapped.
    pub disk: u64,
    pub pages: [u32; MAX_BUF_PAGES],
    pub next: u32,
    pub prev: u32,
    /// Request in flight, if any.
    pub io: Option<ReqId>,
    /// When the last I/O on it completed: a user arriving earlier must wait until then.
    pub io_done_at: u64,
}

impl Buf {
    fn empty() -> Buf {
        Buf {
            vnode: NIL,
            lblkno: 0,
            bcount: 0,
            flags: 0,
            act_count: 0,
            npages: 0,
            queue: BufQueue::Empty,
            disk: u64::MAX,
            pages: [NIL; MAX_BUF_PAGES],
            next: NIL,
            prev: NIL,
            io: None,
            io_done_at: 0,
        }
    }

    pub fn page_list(&self) -> &[u32] {
        &self.pages[..self.npages as usize]
    }
}

#[derive(Clone, Copy, Debug)]
struct BList {
    head: u32,
    tail: u32,
    len: u32,
}

/// One device request over one or more buffers (a cluster).
#[derive(Clone, Debug, Default)]
pub struct IoRec {
    pub bufs: Vec<u32>,
    pub dir: Option<Dir>,
    pub bytes: u64,
}

/// Buffer headers, the (vnode, lblkno) index, the queues and the space accounting.
#[derive(Clone, Debug)]
pub struct BufCache {
    pub bufs: Vec<Buf>,
    /// Per vnode: lblkno → buffer (`findblk`'s tree), indexed by vnode.
    pub index: Vec<ChunkMap>,
    lists: [BList; 3],
    pub bufspace: u64,
    pub dirtybufspace: u64,
    pub dirtybufcount: u64,
    pub runningbufspace: u64,
    /// Cluster I/Os in flight (each takes a cluster pbuf).
    pub cluster_pbufs_used: u64,
    pub ios: Vec<IoRec>,
    free_ios: Vec<u32>,
}

fn qi(q: BufQueue) -> usize {
    match q {
        BufQueue::Clean => 0,
        BufQueue::Dirty => 1,
        BufQueue::Empty => 2,
        BufQueue::Locked => usize::MAX,
    }
}

impl BufCache {
    pub fn new(nbuf: u64) -> BufCache {
        let n = nbuf as u32;
        let mut bc = BufCache {
            bufs: (0..n).map(|_| Buf::empty()).collect(),
            index: Vec::new(),
            lists: [BList {
                head: NIL,
                tail: NIL,
                len: 0,
            }; 3],
            bufspace: 0,
            dirtybufspace: 0,
            dirtybufcount: 0,
            runningbufspace: 0,
            cluster_pbufs_used: 0,
            ios: Vec::new(),
            free_ios: Vec::new(),
        };
        for i in 0..n {
            bc.bufs[i as usize].queue = BufQueue::Locked;
            bc.insert_tail(BufQueue::Empty, i);
        }
        bc
    }

    pub fn len(&self, q: BufQueue) -> u32 {
        self.lists[qi(q)].len
    }

    pub fn head(&self, q: BufQueue) -> u32 {
        self.lists[qi(q)].head
    }

    pub fn unqueue(&mut self, b: u32) {
        let q = self.bufs[b as usize].queue;
        if q == BufQueue::Locked {
            return;
        }
        let i = qi(q);
        let (prev, next) = (self.bufs[b as usize].prev, self.bufs[b as usize].next);
        if prev == NIL {
            self.lists[i].head = next;
        } else {
            self.bufs[prev as usize].next = next;
        }
        if next == NIL {
            self.lists[i].tail = prev;
        } else {
            self.bufs[next as usize].prev = prev;
        }
        self.lists[i].len -= 1;
        let bp = &mut self.bufs[b as usize];
        bp.queue = BufQueue::Locked;
        bp.next = NIL;
        bp.prev = NIL;
    }

    pub fn insert_tail(&mut self, q: BufQueue, b: u32) {
        debug_assert_eq!(self.bufs[b as usize].queue, BufQueue::Locked);
        let i = qi(q);
        let tail = self.lists[i].tail;
        {
            let bp = &mut self.bufs[b as usize];
            bp.queue = q;
            bp.prev = tail;
            bp.next = NIL;
        }
        if tail == NIL {
            self.lists[i].head = b;
        } else {
            self.bufs[tail as usize].next = b;
        }
        self.lists[i].tail = b;
        self.lists[i].len += 1;
    }

    pub fn lookup(&self, vnode: u32, lblkno: u64) -> Option<u32> {
        self.index.get(vnode as usize)?.get(lblkno)
    }

    /// A request record for `bufs`, reusing freed records (and their capacity).
    pub fn new_io(&mut self, dir: Dir, bufs: &[u32], bytes: u64) -> u32 {
        let id = match self.free_ios.pop() {
            Some(id) => id,
            None => {
                self.ios.push(IoRec::default());
                self.ios.len() as u32 - 1
            }
        };
        let rec = &mut self.ios[id as usize];
        rec.bufs.clear();
        rec.bufs.extend_from_slice(bufs);
        rec.dir = Some(dir);
        rec.bytes = bytes;
        id
    }

    pub fn free_io(&mut self, id: u32) {
        self.ios[id as usize].dir = None;
        self.free_ios.push(id);
    }

    /// runningbufspace equals the bytes of write requests in flight.
    pub fn check_running(&self) -> Result<(), String> {
        let running: u64 = self
            .ios
            .iter()
            .filter(|r| r.dir == Some(Dir::Write))
            .map(|r| r.bytes)
            .sum();
        if running != self.runningbufspace {
            return Err(format!(
                "runningbufspace {} != bytes of writes in flight {running}",
                self.runningbufspace
            ));
        }
        Ok(())
    }

    /// Buffer accounting invariant: bufspace and dirtybufspace equal the sums over
    /// buffers.
    pub fn check_accounting(&self) -> Result<(), String> {
        let mut space = 0u64;
        let mut dirty = 0u64;
        for b in &self.bufs {
            if b.vnode != NIL {
                space += b.bcount as u64;
                if b.flags & bf::DELWRI != 0 {
                    dirty += b.bcount as u64;
                }
            }
        }
        if space != self.bufspace {
            return Err(format!(
                "bufspace {} != sum over buffers {space}",
                self.bufspace
            ));
        }
        if dirty != self.dirtybufspace {
            return Err(format!(
                "dirtybufspace {} != sum over buffers {dirty}",
                self.dirtybufspace
            ));
        }
        self.check_running()
    }
}

impl Simulator {
    /// Wait (advancing the op's clock) until `b` has no I/O in flight and any I/O that
    /// was in flight at the op's time has completed. Returns whether it waited.
    pub(crate) fn bwait(&mut self, b: u32) -> bool {
        let prev = std::mem::replace(&mut self.stall, super::Stall::Busy);
        let mut waited = false;
        if let Some(req) = self.bufs.bufs[b as usize].io {
            self.wait_req(req);
            waited = true;
        }
        let done = self.bufs.bufs[b as usize].io_done_at;
        if done > self.now {
            self.advance_clock(done);
            waited = true;
        }
        self.stall = prev;
        waited
    }

    /// B1 `getblk`: find or build the buffer for (vnode, lblkno) of `size` bytes.
    /// With `nowait` it returns `None` instead of sleeping (read-ahead must not block).
    /// The buffer comes back locked (off every queue).
    pub(crate) fn getblk(&mut self, vn: u32, lblkno: u64, size: u64, nowait: bool) -> Option<u32> {
        while let Some(b) = self.bufs.lookup(vn, lblkno) {
            let busy = self.bufs.bufs[b as usize].io.is_some()
                || self.bufs.bufs[b as usize].io_done_at > self.now;
            if busy {
                if nowait {
                    return None;
                }
                self.c.getblk_waits += 1;
                self.bwait(b);
                // Completion may have released (even torn down) it: look again.
                continue;
            }
            self.bufs.unqueue(b);
            self.bufs.bufs[b as usize].flags &= !bf::AGE;
            self.c.getblk_hits += 1;
            if self.bufs.bufs[b as usize].bcount as u64 != size {
                // A fragment at EOF changing size: VMIO buffers are resized in place.
                self.allocbuf(b, size);
            }
            return Some(b);
        }
        let b = self.getnewbuf(size, nowait)?;
        if self.bufs.lookup(vn, lblkno).is_some() {
            // A flush run while we slept in getnewbuf built this block's buffer: use
            // that one and give the header back.
            self.bufs.insert_tail(BufQueue::Empty, b);
            return self.getblk(vn, lblkno, size, nowait);
        }
        let obj = self.vnode_object(vn);
        let bsize = self.p.knobs.f_iosize;
        let first = lblkno * bsize / PAGE_SIZE;
        let npages = size.div_ceil(PAGE_SIZE) as usize;
        {
            let bp = &mut self.bufs.bufs[b as usize];
            bp.vnode = vn;
            bp.lblkno = lblkno;
            bp.bcount = size as u32;
            bp.flags = bf::CACHE;
            bp.act_count = super::page::ACT_INIT;
            bp.disk = u64::MAX;
            bp.npages = 0;
            bp.io = None;
            bp.io_done_at = 0;
        }
        let idx = &mut self.bufs.index;
        if idx.len() <= vn as usize {
            idx.resize_with(vn as usize + 1, ChunkMap::default);
        }
        idx[vn as usize].insert(lblkno, b);
        self.bufs.bufspace += size;
        self.c.bufspace_peak = self.c.bufspace_peak.max(self.bufs.bufspace);
        let mut cache = true;
        for i in 0..npages {
            let pindex = first + i as u64;
            let m = match self.objects[obj as usize].lookup(pindex) {
                Some(m) => m,
                None => match self.vm_page_alloc_wait(obj, pindex, nowait) {
                    Some(m) => m,
                    None => {
                        // Read-ahead could not get memory: give the header back.
                        self.bufs.bufs[b as usize].flags |= bf::INVAL;
                        self.brelse(b);
                        return None;
                    }
                },
            };
            self.vm_page_wire(m);
            self.pages.pages[m as usize].buf = b;
            let bp = &mut self.bufs.bufs[b as usize];
            bp.pages[i] = m;
            bp.npages += 1;
            let base = 0;
            let len = (size - i as u64 * PAGE_SIZE).min(PAGE_SIZE);
            let need = page_bits(base, len);
            if self.pages.pages[m as usize].valid & need != need {
                cache = false;
            }
        }
        if cache {
            self.c.getblk_page_hits += 1;
        } else {
            self.bufs.bufs[b as usize].flags &= !bf::CACHE;
            self.c.getblk_misses += 1;
        }
        Some(b)
    }

    /// `allocbuf`: resize locked buffer `b` to `size` bytes in place (fragments at EOF
    /// grow or shrink). Bytes newly covered lie past the old EOF and read as zeros
    /// (valid); pages no longer covered are unwired.
    pub(crate) fn allocbuf(&mut self, b: u32, size: u64) {
        let (vn, lblkno, old, np, flags) = {
            let bp = &self.bufs.bufs[b as usize];
            (
                bp.vnode,
                bp.lblkno,
                bp.bcount as u64,
                bp.npages as usize,
                bp.flags,
            )
        };
        let want = size.div_ceil(PAGE_SIZE) as usize;
        let act = self.bufs.bufs[b as usize].act_count;
        for i in want..np {
            let m = self.bufs.bufs[b as usize].pages[i];
            self.bufs.bufs[b as usize].pages[i] = NIL;
            self.pages.pages[m as usize].buf = NIL;
            if self.vm_page_unwire(m, act >= self.p.knobs.vm_cycle_point) {
                self.pages.pages[m as usize].act_count = act;
            }
        }
        if want < np {
            self.bufs.bufs[b as usize].npages = want as u8;
        }
        let obj = self.vnode_object(vn);
        let first = lblkno * self.p.knobs.f_iosize / PAGE_SIZE;
        for i in np..want.min(MAX_BUF_PAGES) {
            let pindex = first + i as u64;
            let m = match self.objects[obj as usize].lookup(pindex) {
                Some(m) => m,
                None => match self.vm_page_alloc_wait(obj, pindex, false) {
                    Some(m) => m,
                    None => break,
                },
            };
            self.vm_page_wire(m);
            self.pages.pages[m as usize].buf = b;
            let bp = &mut self.bufs.bufs[b as usize];
            bp.pages[i] = m;
            bp.npages = i as u8 + 1;
        }
        // The grown part is past the old EOF: zeros.
        let bp = &self.bufs.bufs[b as usize];
        let (np2, pages) = (bp.npages as usize, bp.pages);
        for (i, &m) in pages[..np2].iter().enumerate() {
            let lo = (i as u64 * PAGE_SIZE).max(old.min(size));
            let hi = ((i as u64 + 1) * PAGE_SIZE).min(size);
            if size > old && lo < hi {
                self.pages.pages[m as usize].valid |= page_bits(lo - i as u64 * PAGE_SIZE, hi - lo);
            }
        }
        self.bufs.bufspace = self.bufs.bufspace + size - old;
        if flags & bf::DELWRI != 0 {
            self.bufs.dirtybufspace = self.bufs.dirtybufspace + size - old;
        }
        self.bufs.bufs[b as usize].bcount = size as u32;
        self.c.bufspace_peak = self.c.bufspace_peak.max(self.bufs.bufspace);
    }

    /// B9 `getnewbuf`: a header for `size` more bytes of buffer space. Prefers an empty
    /// header while bufspace is below lobufspace (and the new size fits under
    /// hibufspace), else recycles the head of CLEAN with one second chance (`B_AGE`).
    /// With nothing usable the caller sleeps until an I/O completes.
    fn getnewbuf(&mut self, size: u64, nowait: bool) -> Option<u32> {
        loop {
            let empty = self.bufs.head(BufQueue::Empty);
            let under_lo = self.bufs.bufspace < self.p.lobufspace;
            if empty != NIL && under_lo && self.bufs.bufspace + size < self.p.hibufspace {
                self.bufs.unqueue(empty);
                return Some(empty);
            }
            // Scan CLEAN from the head with one second chance.
            let mut scanned = 0;
            let limit = self.bufs.len(BufQueue::Clean) * 2;
            while scanned < limit {
                let b = self.bufs.head(BufQueue::Clean);
                if b == NIL {
                    break;
                }
                scanned += 1;
                if self.bufs.bufs[b as usize].flags & bf::AGE == 0 {
                    self.bufs.bufs[b as usize].flags |= bf::AGE;
                    self.bufs.unqueue(b);
                    self.bufs.insert_tail(BufQueue::Clean, b);
                    continue;
                }
                self.bufs.unqueue(b);
                self.c.getnewbuf_recycles += 1;
                self.vfs_vmio_release(b);
                self.bufs.insert_tail(BufQueue::Empty, b);
                let e = self.bufs.head(BufQueue::Empty);
                self.bufs.unqueue(e);
                return Some(e);
            }
            if empty != NIL && self.bufs.bufspace + size < self.p.hibufspace {
                self.bufs.unqueue(empty);
                return Some(empty);
            }
            if nowait {
                return None;
            }
            // Sleep until some I/O completes and releases a buffer.
            self.c.getnewbuf_waits += 1;
            // Sleeping for a buffer kicks the buf_daemon (dirty buffers are not
            // reusable until written).
            if self.bufs.len(BufQueue::Dirty) > 0 && !self.pageout.running {
                if self.sync_kernel {
                    self.buf_daemon_run();
                } else {
                    self.policy_flush(self.now);
                }
            }
            let prev = std::mem::replace(&mut self.stall, super::Stall::Getnewbuf);
            let mut progressed = self.wait_any_io();
            if !progressed && self.getnewbuf_flush() {
                progressed = self.wait_any_io();
            }
            self.stall = prev;
            if !progressed {
                // Nothing is dirty and nothing is in flight: every header or all the
                // space is held by locked buffers — the op's own (a cluster being
                // built). The kernel would sleep forever; hand out the empty header
                // over hibufspace instead (counted in getnewbuf_overcommits).
                if empty != NIL {
                    self.c.getnewbuf_overcommits += 1;
                    self.bufs.unqueue(empty);
                    return Some(empty);
                }
                self.no_progress(format!(
                    "no buffer header can be had for {size} bytes: all {} headers are locked and nothing is dirty or in flight",
                    self.p.nbuf
                ));
                return None;
            }
        }
    }

    /// A writer asleep in getnewbuf has woken the buf_daemon with `needsbuffer` set
    /// (`bd_speedup`, sys/kern/vfs_bio.c), and the daemon writes dirty buffers until
    /// the sleeper can go on, whatever the dirty thresholds and whatever sync policy
    /// runs the write-back: buffer space is only ever freed by writing. This writes the
    /// oldest dirty buffer (clustered with its dirty neighbours, `vfs_bio_awrite`),
    /// tagged `buf_daemon`. False when nothing is dirty.
    fn getnewbuf_flush(&mut self) -> bool {
        let b = self.bufs.head(BufQueue::Dirty);
        if b == NIL {
            return false;
        }
        self.c.getnewbuf_flushes += 1;
        self.bufs.bufs[b as usize].flags |= bf::AGE;
        self.vfs_bio_awrite(b, Origin::BufDaemon);
        true
    }

    /// B8 `vfs_vmio_release`: unwire the pages to inactive (or active when the buffer
    /// was released often: `b_act_count ≥ vm_cycle_point`) and free the header.
    pub(crate) fn vfs_vmio_release(&mut self, b: u32) {
        let (vn, lblkno, bcount, flags, act, npages) = {
            let bp = &self.bufs.bufs[b as usize];
            (
                bp.vnode,
                bp.lblkno,
                bp.bcount,
                bp.flags,
                bp.act_count,
                bp.npages,
            )
        };
        if vn == NIL {
            return;
        }
        self.c.buf_teardowns += 1;
        let severe = self.vm_page_count_severe();
        for i in 0..npages as usize {
            let m = self.bufs.bufs[b as usize].pages[i];
            // B_NOCACHE (and I/O errors) invalidate the sectors first; B_INVAL alone
            // only gives the header back (pages, dirty or not, stay as they are).
            if flags & bf::NOCACHE != 0 {
                self.pages.pages[m as usize].valid = 0;
                self.pages.set_dirty(m, 0);
            }
            self.pages.pages[m as usize].buf = NIL;
            let to_active = act >= self.p.knobs.vm_cycle_point;
            let last = self.vm_page_unwire(m, to_active);
            if !last {
                continue;
            }
            self.pages.pages[m as usize].act_count = act;
            let p = &self.pages.pages[m as usize];
            let freeable = p.busy == 0 && p.mapped == 0 && p.dirty == 0;
            if (p.valid == 0 || flags & bf::DIRECT != 0) && freeable {
                self.vm_page_free(m);
            } else if severe && p.dirty == 0 && p.busy == 0 {
                self.vm_page_cache(m);
            }
        }
        if flags & bf::DELWRI != 0 {
            self.bufs.dirtybufspace -= bcount as u64;
            self.bufs.dirtybufcount -= 1;
        }
        self.bufs.bufspace -= bcount as u64;
        if let Some(m) = self.bufs.index.get_mut(vn as usize) {
            m.remove(lblkno);
        }
        let bp = &mut self.bufs.bufs[b as usize];
        bp.vnode = NIL;
        bp.npages = 0;
        bp.flags = 0;
        bp.bcount = 0;
    }

    /// B7 `bqrelse`: keep the buffer cached (`b_act_count += 3`); under `severe` a clean
    /// buffer is torn down instead.
    pub(crate) fn bqrelse(&mut self, b: u32) {
        let bp = &mut self.bufs.bufs[b as usize];
        bp.act_count = (bp.act_count + super::page::ACT_ADVANCE).min(super::page::ACT_MAX);
        let dirty = bp.flags & bf::DELWRI != 0;
        if !dirty
            && (bp.flags & (bf::RELBUF | bf::INVAL | bf::NOCACHE) != 0
                || self.vm_page_count_severe())
        {
            self.vfs_vmio_release(b);
            self.bufs.insert_tail(BufQueue::Empty, b);
            return;
        }
        self.bufs.bufs[b as usize].flags &= !bf::ASYNC;
        let q = if dirty {
            BufQueue::Dirty
        } else {
            BufQueue::Clean
        };
        self.bufs.insert_tail(q, b);
    }

    /// B7 `brelse`: tear down with `B_RELBUF`/`B_INVAL`/`B_NOCACHE`/`B_DIRECT`, else as
    /// bqrelse.
    pub(crate) fn brelse(&mut self, b: u32) {
        let flags = self.bufs.bufs[b as usize].flags;
        if flags & bf::DELWRI == 0
            && flags & (bf::RELBUF | bf::INVAL | bf::NOCACHE | bf::DIRECT) != 0
        {
            self.vfs_vmio_release(b);
            self.bufs.insert_tail(BufQueue::Empty, b);
        } else {
            self.bqrelse(b);
        }
    }

    /// Issue one device request covering `bufs` (contiguous on disk from `disk`).
    /// Pages are soft-busied until completion; the buffers stay locked.
    pub(crate) fn bio_issue(
        &mut self,
        dir: Dir,
        bufs: &[u32],
        disk: u64,
        origin: Origin,
        sync: bool,
    ) -> ReqId {
        let bytes: u64 = bufs
            .iter()
            .map(|&b| self.bufs.bufs[b as usize].bcount as u64)
            .sum();
        if bufs.len() > 1 {
            self.bufs.cluster_pbufs_used += 1;
        }
        if dir == Dir::Write {
            self.bufs.runningbufspace += bytes;
            self.c.runningbufspace_peak =
                self.c.runningbufspace_peak.max(self.bufs.runningbufspace);
        }
        let io = self.bufs.new_io(dir, bufs, bytes);
        if self.device.logging()
            && let Some(&b0) = bufs.first()
        {
            let bp = &self.bufs.bufs[b0 as usize];
            let file = self.vnodes[bp.vnode as usize].file;
            let offset = bp.lblkno * self.p.knobs.f_iosize;
            self.device.note_file(file, Some(offset));
        }
        let req = self
            .device
            .submit(self.now, dir, disk, bytes, origin, sync, io);
        for &b in bufs {
            let (np, pages) = {
                let bp = &mut self.bufs.bufs[b as usize];
                bp.io = Some(req);
                if !sync {
                    bp.flags |= bf::ASYNC;
                }
                (bp.npages as usize, bp.pages)
            };
            for &m in &pages[..np] {
                self.pages.pages[m as usize].busy += 1;
            }
        }
        req
    }

    /// §7.4 I/O completion (`biodone`): reads make the transferred pages valid and clean
    /// and the buffer `B_CACHE`; async buffers are released here, sync ones by their
    /// waiter. Writes drop runningbufspace and release (or tear down) the buffer.
    pub(crate) fn biodone(&mut self, io: u32, time: u64) {
        let rec = std::mem::take(&mut self.bufs.ios[io as usize]);
        let dir = rec.dir.unwrap_or(Dir::Read);
        if rec.bufs.len() > 1 {
            self.bufs.cluster_pbufs_used = self.bufs.cluster_pbufs_used.saturating_sub(1);
        }
        if dir == Dir::Write {
            self.bufs.runningbufspace = self.bufs.runningbufspace.saturating_sub(rec.bytes);
        }
        for &b in &rec.bufs {
            let (np, pages, bcount, flags) = {
                let bp = &mut self.bufs.bufs[b as usize];
                bp.io = None;
                bp.io_done_at = time;
                (bp.npages as usize, bp.pages, bp.bcount as u64, bp.flags)
            };
            for (i, &m) in pages[..np].iter().enumerate() {
                let p = &mut self.pages.pages[m as usize];
                p.busy = p.busy.saturating_sub(1);
                p.io_done_at = time;
                if dir == Dir::Read {
                    let len = (bcount - i as u64 * PAGE_SIZE).min(PAGE_SIZE);
                    // Never overwrite valid (possibly dirty) data: bogus_page semantics.
                    let bits = page_bits(0, len) & !p.valid;
                    p.valid |= bits;
                    let d = p.dirty & !bits;
                    self.pages.set_dirty(m, d);
                }
            }
            if dir == Dir::Read {
                self.bufs.bufs[b as usize].flags |= bf::CACHE;
            }
            if flags & bf::ASYNC != 0 {
                self.brelse(b);
            }
        }
        let mut rec = rec;
        rec.dir = None;
        self.bufs.ios[io as usize] = rec;
        self.bufs.free_io(io);
    }

    /// Mark the pages of read-ahead buffer `b` (those not valid yet) as read-ahead, for
    /// the accuracy statistics.
    pub(crate) fn mark_readahead(&mut self, b: u32) {
        let (np, pages) = {
            let bp = &self.bufs.bufs[b as usize];
            (bp.npages as usize, bp.pages)
        };
        self.c.readahead_blocks += 1;
        for &m in &pages[..np] {
            let p = &mut self.pages.pages[m as usize];
            if p.valid == 0 && p.flags & pg::READAHEAD == 0 {
                p.flags |= pg::READAHEAD;
                self.c.readahead_pages += 1;
            }
        }
    }

    /// Set `B_RAM` on a buffer and `PG_RAM` on its first page.
    pub(crate) fn set_bram(&mut self, b: u32) {
        let bp = &mut self.bufs.bufs[b as usize];
        bp.flags |= bf::RAM;
        if bp.npages > 0 {
            let m = bp.pages[0];
            self.pages.pages[m as usize].flags |= pg::RAM;
        }
    }

    /// Destroy every buffer of `vn` at or past block `first` without writing it
    /// (truncate, unlink): in-flight I/O is waited for, dirty data is discarded.
    pub(crate) fn buf_discard_from(&mut self, vn: u32, first: u64) {
        let mut list = std::mem::take(&mut self.scratch_bufs);
        list.clear();
        list.extend(
            self.bufs
                .index
                .get(vn as usize)
                .into_iter()
                .flat_map(|m| m.iter())
                .filter(|(l, _)| *l >= first)
                .map(|(_, b)| b),
        );
        list.sort_unstable();
        for &b in &list {
            self.bwait(b);
            if self.bufs.bufs[b as usize].vnode != vn {
                continue; // released while we waited
            }
            self.bufs.unqueue(b);
            self.bundirty(b);
            self.bufs.bufs[b as usize].flags |= bf::INVAL | bf::NOCACHE;
            self.vfs_vmio_release(b);
            self.bufs.insert_tail(BufQueue::Empty, b);
        }
        self.scratch_bufs = list;
    }

    /// Queue a page is on, for tests and invariants.
    pub fn page_queue(&self, m: u32) -> Queue {
        self.pages.pages[m as usize].queue
    }
}
