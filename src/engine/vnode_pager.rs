//! The seed, ported: sys/vm/vnode_pager.c at DragonFly 005cf293e4 (rev 1.43).
//!
//! Every function keeps its kernel name. What the C code does with tokens, VOLOCK
//! sleeps and busy hacks exists to survive SMP races; a sequential replay has none, so
//! those parts reduce to comments. Everything that moves a counter, a page or an I/O is
//! here: block-rounded object size at alloc, EOF error and clipping in getpages, the
//! zero-fill of a partial EOF page, EOF clipping with `VM_PAGER_BAD` in putpages, the
//! forced sync below `v_pageout_free_min`, and the flag → ioflag mapping.

use super::Simulator;
use super::ffs::IoFlags;
use super::object::{VmObject, obj};
use super::page::{NIL, PAGE_SIZE, VM_PAGE_BITS_ALL, pg};
use super::vnode::NOOFFSET;
use crate::params::ForcedSync;
use crate::stats::Origin;

/// Pager result codes (sys/vm/vm_pager.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PagerResult {
    Ok,
    Bad,
    Error,
    Again,
}

/// Pager put flags (sys/vm/vm_pager.h).
pub mod put {
    /// The caller wants the data on disk before return (same bit as OBJPC_SYNC).
    pub const SYNC: u32 = 0x1;
    /// Also drop the cached copy.
    pub const INVAL: u32 = 0x2;
    /// The collector may take pages without PG_CLEANCHK.
    pub const IGNORE_CLEANCHK: u32 = 0x4;
    /// Let the filesystem delay and cluster the writes.
    pub const CLUSTER_OK: u32 = 0x8;
}

impl Simulator {
    /// `vnode_pager_alloc`: the object covers the whole buffer straddling EOF (a
    /// 10000-byte file with 16 KiB blocks gets 4 pages); userland never sees the extra
    /// pages because faults test `v_filesize`. An existing object just gains a reference.
    pub(crate) fn vnode_pager_alloc(&mut self, vn: u32, length: u64, blksize: u64) -> u32 {
        let boff = length % blksize;
        let loffset = if boff != 0 {
            length.saturating_add(blksize - boff)
        } else {
            length
        };
        let lsize = loffset.div_ceil(PAGE_SIZE);
        let existing = self.vnodes[vn as usize].object;
        if existing != NIL && self.objects[existing as usize].flags & obj::DEAD == 0 {
            // Size mismatches are only warnings in the kernel.
            self.objects[existing as usize].ref_count += 1;
            return existing;
        }
        let o = VmObject {
            vnode: vn,
            size: lsize,
            ..VmObject::default()
        };
        // A reused vnode slot reuses its last file's dead object slot too.
        let spare = std::mem::replace(&mut self.vnodes[vn as usize].spare_object, NIL);
        let id = if spare != NIL {
            self.objects[spare as usize] = o;
            spare
        } else {
            self.objects.push(o);
            self.objects.len() as u32 - 1
        };
        let v = &mut self.vnodes[vn as usize];
        v.object = id;
        v.v_filesize = length;
        id
    }

    /// `vnode_pager_reference`: a mapping takes an object reference (`ref_count++`),
    /// which is what makes pageout honour the pages' reference bits.
    pub(crate) fn vnode_pager_reference(&mut self, vn: u32) -> Option<u32> {
        let o = self.vnodes[vn as usize].object;
        if o == NIL || self.objects[o as usize].flags & obj::DEAD != 0 {
            return None;
        }
        self.objects[o as usize].ref_count += 1;
        Some(o)
    }

    /// `vnode_pager_dealloc`: the object becomes dead and the vnode forgets it;
    /// `v_filesize = NOOFFSET`.
    pub(crate) fn vnode_pager_dealloc(&mut self, object: u32) {
        let vn = self.objects[object as usize].vnode;
        let o = &mut self.objects[object as usize];
        o.flags |= obj::DEAD;
        // A dead object keeps no memory: its maps may have grown large.
        o.resident = Default::default();
        o.maps = Vec::new();
        let v = &mut self.vnodes[vn as usize];
        v.object = NIL;
        v.v_filesize = NOOFFSET;
    }

    /// `vnode_pager_haspage`: FALSE past EOF or for a hole, TRUE otherwise. Consulted
    /// only by object collapse in this snapshot, so it moves no counters.
    pub fn vnode_pager_haspage(&mut self, object: u32, pindex: u64) -> bool {
        let vn = self.objects[object as usize].vnode;
        if self.objects[object as usize].flags & obj::DEAD != 0 {
            return false;
        }
        let loffset = pindex.saturating_mul(PAGE_SIZE);
        let size = self.vnodes[vn as usize].v_filesize;
        if size == NOOFFSET || loffset >= size {
            return false;
        }
        let bsize = self.p.knobs.f_iosize;
        self.vop_bmap(vn, loffset / bsize).is_some()
    }

    /// `vnode_pager_setsize` (the generic path of §6.5): page-rounded object size;
    /// on shrink, pages past the new end are removed (dirty data discarded, wired ones
    /// invalidated), and a partial last page is unmapped with its dirty bits cleared from
    /// the first whole sector past EOF (the sector holding EOF stays dirty; any dirt left
    /// makes the whole page dirty). Valid bits are never cleared here.
    pub(crate) fn vnode_pager_setsize(&mut self, vn: u32, nsize: u64) {
        let object = self.vnodes[vn as usize].object;
        if object == NIL {
            return;
        }
        let old = self.vnodes[vn as usize].v_filesize;
        if nsize == old {
            return;
        }
        let nobjsize = nsize.div_ceil(PAGE_SIZE);
        let oobjsize = self.objects[object as usize].size;
        self.objects[object as usize].size = nobjsize;
        if old != NOOFFSET && nsize < old {
            self.vnodes[vn as usize].v_filesize = nsize;
            if nobjsize < oobjsize {
                self.vm_object_page_remove(object, nobjsize, oobjsize);
            }
            if !nsize.is_multiple_of(PAGE_SIZE)
                && let Some(m) = self.objects[object as usize].lookup(nsize / PAGE_SIZE)
            {
                self.wait_page(m);
                if self.pages.pages[m as usize].valid != 0 {
                    let base = nsize % PAGE_SIZE;
                    self.pmap_remove_all(m);
                    let mut d = self.pages.pages[m as usize].dirty;
                    vm_page_clear_dirty_beg_nonincl(&mut d, base, PAGE_SIZE - base);
                    // Any dirt left makes the whole page dirty (EOF rule).
                    self.pages
                        .set_dirty(m, if d != 0 { VM_PAGE_BITS_ALL } else { 0 });
                }
            }
        } else {
            self.vnodes[vn as usize].v_filesize = nsize;
        }
    }

    /// `vm_object_page_remove(object, start, end, clean_only = FALSE)`: unmap and free
    /// pages in `[start, end)`; pages wired by a buffer are unmapped and invalidated.
    pub(crate) fn vm_object_page_remove(&mut self, object: u32, start: u64, end: u64) {
        let mut victims = std::mem::take(&mut self.scratch_pages);
        victims.clear();
        let o = &self.objects[object as usize];
        if (end - start) as usize > o.resident.len() {
            victims.extend(
                o.resident
                    .iter()
                    .filter(|(pi, _)| *pi >= start && *pi < end)
                    .map(|(_, m)| m),
            );
            victims.sort_unstable_by_key(|&m| self.pages.pages[m as usize].pindex);
        } else {
            victims.extend((start..end).filter_map(|pi| o.lookup(pi)));
        }
        for &m in &victims {
            self.wait_page(m);
            if self.pages.pages[m as usize].mapped > 0 {
                self.pmap_remove_all(m);
            }
            if self.pages.pages[m as usize].wire_count > 0 {
                self.pages.pages[m as usize].valid = 0;
                self.pages.set_dirty(m, 0);
            } else {
                self.vm_page_free(m);
            }
        }
        self.scratch_pages = victims;
    }

    /// `vnode_pager_freepage`: a page busied for getpages that is not wanted after all;
    /// wired or busy ⇒ activate, otherwise free.
    pub(crate) fn vnode_pager_freepage(&mut self, m: u32) {
        let p = &self.pages.pages[m as usize];
        if p.busy > 0 || p.wire_count > 0 {
            self.vm_page_activate(m);
        } else {
            self.vm_page_free(m);
        }
    }

    /// `vnode_pager_getpage`: single-page `VOP_GETPAGES` with the `seqaccess` hint.
    pub(crate) fn vnode_pager_getpage(
        &mut self,
        object: u32,
        m: u32,
        seqaccess: bool,
    ) -> PagerResult {
        let vn = self.objects[object as usize].vnode;
        let one = [m];
        self.vnode_pager_generic_getpages(vn, &one, PAGE_SIZE, 0, seqaccess)
    }

    /// `vnode_pager_generic_getpages`: read the pages through `VOP_READ(UIO_NOCOPY)`,
    /// i.e. through the buffer cache with read-ahead (maximal when `seqaccess`). Pages
    /// at or past EOF are an error; the request is clipped to EOF and a partially valid
    /// requested page is zero-extended. `v_vnodein`/`v_vnodepgsin` count pager calls,
    /// whether or not the device is touched.
    pub(crate) fn vnode_pager_generic_getpages(
        &mut self,
        vn: u32,
        mpp: &[u32],
        bytecount: u64,
        reqpage: usize,
        seqaccess: bool,
    ) -> PagerResult {
        let bytecount = bytecount.div_ceil(PAGE_SIZE) * PAGE_SIZE;
        let mut count = (bytecount / PAGE_SIZE) as usize;
        let filesize = self.vnodes[vn as usize].v_filesize;
        let foff = self.pages.pages[mpp[0] as usize].pindex * PAGE_SIZE;
        if filesize == NOOFFSET || foff >= filesize {
            for (i, &m) in mpp.iter().enumerate().take(count) {
                if i != reqpage {
                    self.vnode_pager_freepage(m);
                }
            }
            self.c.getpages_errors += 1;
            return PagerResult::Error;
        }
        let mut bytes = bytecount;
        if foff + bytecount > filesize {
            bytes = filesize - foff;
            let i = bytes.div_ceil(PAGE_SIZE) as usize;
            while count > i {
                count -= 1;
                if count != reqpage {
                    self.vnode_pager_freepage(mpp[count]);
                }
            }
        }
        // vm_page_io_start/wakeup around VOP_READ only avoid buffer-cache deadlocks
        // between threads; a sequential replay has no other thread to deadlock with.
        self.c.v_vnodein += 1;
        self.c.v_vnodepgsin += count as u64;
        let seq = if seqaccess { self.p.knobs.io_seqmax } else { 0 };
        let io = IoFlags {
            vmio: true,
            nocopy: true,
            ..IoFlags::default()
        };
        self.ffs_read(vn, foff, bytes, seq, io);
        let mut error = false;
        for (i, &mt) in mpp.iter().enumerate().take(count) {
            let p = &self.pages.pages[mt as usize];
            if i != reqpage {
                if p.valid != 0 {
                    if p.flags & pg::REFERENCED != 0 {
                        self.vm_page_activate(mt);
                    } else {
                        self.vm_page_deactivate(mt);
                    }
                } else {
                    self.vnode_pager_freepage(mt);
                }
            } else if p.valid == 0 {
                error = true;
            } else if p.valid != VM_PAGE_BITS_ALL {
                // vm_page_zero_invalid(m, TRUE): UFS zero-fills the tail past EOF.
                self.pages.pages[mt as usize].valid = VM_PAGE_BITS_ALL;
            }
        }
        if error {
            PagerResult::Error
        } else {
            PagerResult::Ok
        }
    }

    /// `vnode_pager_putpages`: force synchronous operation when free+cache is below
    /// `v_pageout_free_min` (I/O setup may need memory the system does not have), then
    /// `VOP_PUTPAGES`.
    pub(crate) fn vnode_pager_putpages(
        &mut self,
        object: u32,
        m: &[u32],
        flags: u32,
        rtvals: &mut [PagerResult],
    ) {
        let mut flags = flags;
        let threshold = match self.p.knobs.forced_sync {
            _ if !self.sync_kernel => 0,
            ForcedSync::Off => 0,
            ForcedSync::X1 => self.p.v_pageout_free_min,
            ForcedSync::X4 => 4 * self.p.v_pageout_free_min,
        };
        if self.pages.free_count() + self.pages.cache_count() < threshold {
            if flags & put::SYNC == 0 {
                self.c.putpages_forced_sync += 1;
                self.write_origin_sync = Origin::ForcedSync;
            }
            flags |= put::SYNC;
        }
        if flags & (put::SYNC | put::INVAL) != 0 {
            self.c.putpages_sync += 1;
        } else if flags & put::CLUSTER_OK != 0 {
            self.c.putpages_cluster_ok += 1;
        } else {
            self.c.putpages_async += 1;
        }
        match self.write_origin_async {
            Origin::PageoutLaunder => self.c.putpages_pageout += 1,
            Origin::Fsync => self.c.putpages_fsync += 1,
            Origin::Msync => self.c.putpages_msync += 1,
            Origin::SyncerMsync => self.c.putpages_syncer_msync += 1,
            _ => {}
        }
        let vn = self.objects[object as usize].vnode;
        self.vnode_pager_generic_putpages(vn, m, flags, rtvals);
    }

    /// `vnode_pager_generic_putpages`: write the pages through `VOP_WRITE(UIO_NOCOPY)`.
    /// The run is clipped at EOF (pages wholly past it are `VM_PAGER_BAD`); SYNC/INVAL
    /// ⇒ IO_SYNC, no CLUSTER_OK ⇒ IO_ASYNC (one bawrite per block), else the filesystem
    /// may delay and cluster. `v_vnodeout`/`v_vnodepgsout` count even a failed call;
    /// on success the written pages are undirtied, the EOF page included, so it is not
    /// rewritten forever.
    pub(crate) fn vnode_pager_generic_putpages(
        &mut self,
        vn: u32,
        m: &[u32],
        flags: u32,
        rtvals: &mut [PagerResult],
    ) -> PagerResult {
        let count = m.len();
        for r in rtvals.iter_mut().take(count) {
            *r = PagerResult::Again;
        }
        if count == 0 {
            return PagerResult::Again;
        }
        let mut maxsize = count as u64 * PAGE_SIZE;
        let mut ncount = count;
        let poffset = self.pages.pages[m[0] as usize].pindex * PAGE_SIZE;
        let filesize = self.vnodes[vn as usize].v_filesize;
        if filesize == NOOFFSET || poffset + maxsize > filesize {
            if filesize != NOOFFSET && poffset < filesize {
                maxsize = filesize - poffset;
                ncount = maxsize.div_ceil(PAGE_SIZE) as usize;
            } else {
                maxsize = 0;
                ncount = 0;
            }
            for r in rtvals.iter_mut().take(count).skip(ncount) {
                *r = PagerResult::Bad;
            }
            self.c.pager_bad_pages += (count - ncount) as u64;
        }
        let io = IoFlags {
            vmio: true,
            nocopy: true,
            sync: flags & (put::SYNC | put::INVAL) != 0,
            async_: flags & (put::SYNC | put::INVAL) == 0 && flags & put::CLUSTER_OK == 0,
            ..IoFlags::default()
        };
        let ok = maxsize == 0 || self.ffs_write(vn, poffset, maxsize, self.p.knobs.io_seqmax, io);
        self.c.v_vnodeout += 1;
        self.c.v_vnodepgsout += ncount as u64;
        if !ok {
            // An I/O error: the pages stay dirty (AGAIN) and will be retried.
            self.c.putpages_errors += 1;
            return rtvals[0];
        }
        for i in 0..ncount {
            rtvals[i] = PagerResult::Ok;
            self.pages.set_dirty(m[i], 0);
        }
        rtvals[0]
    }

    /// `vnode_pager_lock`: the vnode at the bottom of the object's chain (file objects
    /// have no backing chain), or none for a dead object.
    pub fn vnode_pager_lock(&self, object: u32) -> Option<u32> {
        let o = &self.objects[object as usize];
        (o.flags & obj::DEAD == 0).then_some(o.vnode)
    }

    /// `vm_pageout_flush`: write-protect the run (M bits fold into `dirty`), put it,
    /// then undirty `BAD` pages (changes past EOF are dropped); under `severe` the
    /// finished pages are deactivated.
    pub(crate) fn vm_pageout_flush(&mut self, run: &[u32], flags: u32, origin: Origin) {
        if run.is_empty() {
            return;
        }
        for &m in run {
            self.pmap_write_protect(m);
        }
        let object = self.pages.pages[run[0] as usize].object;
        self.write_origin_sync = origin;
        self.write_origin_async = origin;
        let mut rtvals = std::mem::take(&mut self.scratch_rtvals);
        rtvals.clear();
        rtvals.resize(run.len(), PagerResult::Again);
        self.vnode_pager_putpages(object, run, flags, &mut rtvals);
        let severe = self.vm_page_count_severe();
        for (i, &m) in run.iter().enumerate() {
            if rtvals[i] == PagerResult::Bad {
                self.pages.set_dirty(m, 0);
            }
            if severe && self.pages.pages[m as usize].object != NIL {
                self.vm_page_deactivate(m);
            }
        }
        self.scratch_rtvals = rtvals;
        self.write_origin_sync = Origin::IoSync;
        self.write_origin_async = Origin::Bawrite;
    }
}

/// `vm_page_clear_dirty_beg_nonincl`: round `base` up to a sector and clear the dirty
/// bits from there to `base+size`, so the sector holding a truncation point keeps its
/// dirty bit.
pub fn vm_page_clear_dirty_beg_nonincl(dirty: &mut u8, base: u64, size: u64) {
    let end = base + size;
    let first = base.div_ceil(512);
    let last = end / 512; // exclusive, in sectors
    for s in first..last.min(8) {
        *dirty &= !(1u8 << s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_event as ev;
    use crate::trace::Op;

    const SEC: u64 = 1_000_000_000;

    fn sim(size: u64) -> Simulator {
        let b = crate::engine::SimBuilder::new(&[size]).mem(256 << 20);
        b.check_invariants(false).build()
    }

    /// Open, map and store to `pages` (each a second apart, so reads complete).
    fn dirty(s: &mut Simulator, size: u64, pages: &[u64]) {
        s.step_event(&ev(0, Op::Open, 0, size));
        s.step_event(&ev(1, Op::Mmap, 0, size.div_ceil(4096) * 4096));
        for (i, &p) in pages.iter().enumerate() {
            s.step_event(&ev((i as u64 + 1) * SEC, Op::FaultWrite, p * 4096, 4096));
        }
    }

    fn page(s: &Simulator, pindex: u64) -> u32 {
        s.objects[s.vnodes[0].object as usize]
            .lookup(pindex)
            .unwrap()
    }

    #[test]
    fn alloc_rounds_to_the_block_straddling_eof() {
        let mut s = sim(10000);
        s.step_event(&ev(0, Op::Open, 0, 10000));
        let o = s.vnodes[0].object;
        // 10000 bytes, 16 KiB blocks: the object covers the whole first block.
        assert_eq!(s.objects[o as usize].size, 4);
        assert_eq!(s.vnodes[0].v_filesize, 10000);
        assert_eq!(
            s.objects[o as usize].ref_count, 0,
            "vinitvmio drops the alloc ref"
        );
        // A second alloc of a live object just adds a reference.
        assert_eq!(s.vnode_pager_alloc(0, 10000, 16384), o);
        assert_eq!(s.objects[o as usize].ref_count, 1);
        assert_eq!(s.vnode_pager_reference(0), Some(o));
        assert_eq!(s.objects[o as usize].ref_count, 2);
        // setsize rounds to the page instead.
        s.vnode_pager_setsize(0, 20000);
        assert_eq!(s.objects[o as usize].size, 5);
        assert_eq!(s.vnodes[0].v_filesize, 20000);
    }

    #[test]
    fn haspage_past_eof_and_holes() {
        let mut s = sim(40000);
        s.step_event(&ev(0, Op::Open, 0, 40000));
        let o = s.vnodes[0].object;
        assert!(s.vnode_pager_haspage(o, 0));
        assert!(s.vnode_pager_haspage(o, 9));
        assert!(!s.vnode_pager_haspage(o, 10), "offset 40960 is past EOF");
        // Growing by truncate leaves holes: inside the file, yet no page on disk.
        s.step_event(&ev(SEC, Op::Truncate, 0, 200_000));
        assert!(!s.vnode_pager_haspage(o, 20));
        assert!(s.vnode_pager_haspage(o, 2));
        assert_eq!(s.vnode_pager_lock(o), Some(0));
        s.vnode_pager_dealloc(o);
        assert_eq!(s.vnodes[0].v_filesize, NOOFFSET);
        assert!(!s.vnode_pager_haspage(o, 0));
        assert_eq!(s.vnode_pager_lock(o), None);
    }

    #[test]
    fn getpages_at_and_past_eof() {
        let mut s = sim(10000);
        s.step_event(&ev(0, Op::Open, 0, 10000));
        let o = s.vnodes[0].object;
        // Page 3 exists in the block-rounded object but starts past EOF: error, no counters.
        let m = s.vm_page_alloc(o, 3).unwrap();
        assert_eq!(s.vnode_pager_getpage(o, m, true), PagerResult::Error);
        assert_eq!((s.c.v_vnodein, s.c.v_vnodepgsin), (0, 0));
        assert_eq!(s.device.stats().reads, 0);
        // Page 2 holds EOF (bytes 8192..10000): read, then its tail is zero-filled.
        let m = s.vm_page_alloc(o, 2).unwrap();
        assert_eq!(s.vnode_pager_getpage(o, m, false), PagerResult::Ok);
        assert_eq!((s.c.v_vnodein, s.c.v_vnodepgsin), (1, 1));
        assert_eq!(s.pages.pages[m as usize].valid, VM_PAGE_BITS_ALL);
        // One fragment-sized read of the only (last) block: bread, no read-ahead.
        assert_eq!(s.device.stats().reads, 1);
        assert_eq!(s.device.stats().read_bytes, 10240);
        // A second getpage of a resident page still counts a pager call, not a read.
        assert_eq!(s.vnode_pager_getpage(o, m, false), PagerResult::Ok);
        assert_eq!(s.c.v_vnodein, 2);
        assert_eq!(s.device.stats().reads, 1);
    }

    #[test]
    fn setsize_shrink_inside_a_page_with_dirty_sectors_on_both_sides() {
        let size = 5 * 4096;
        let mut s = sim(size);
        dirty(&mut s, size, &[2, 4]);
        let m2 = page(&s, 2);
        let m4 = page(&s, 4);
        assert!(s.pages.pages[m2 as usize].mapped > 0);
        // Cut at 8192 + 1000: sector 1 of page 2 holds the cut (dirty on both sides).
        s.vnode_pager_setsize(0, 8192 + 1000);
        let o = s.vnodes[0].object;
        assert_eq!(s.objects[o as usize].size, 3);
        assert_eq!(s.vnodes[0].v_filesize, 9192);
        // Page 4 is past the end: freed even though dirty (no I/O).
        assert!(s.objects[o as usize].lookup(4).is_none());
        assert_ne!(s.pages.pages[m4 as usize].object, o);
        // Page 2: unmapped, dirt before the cut remains ⇒ whole page dirty again,
        // valid bits untouched.
        let p = &s.pages.pages[m2 as usize];
        assert_eq!(p.mapped, 0);
        assert_eq!(p.dirty, VM_PAGE_BITS_ALL);
        assert_eq!(p.valid, VM_PAGE_BITS_ALL);
        assert_eq!(s.device.stats().writes, 0);
    }

    #[test]
    fn setsize_shrink_clears_dirt_only_past_the_cut() {
        let size = 3 * 4096;
        let mut s = sim(size);
        dirty(&mut s, size, &[2]);
        let m = page(&s, 2);
        // Fold the M bit, then keep only sectors 4..7 dirty.
        s.pmap_remove_all(m);
        s.pages.set_dirty(m, 0xf0);
        s.vnode_pager_setsize(0, 8192 + 1024);
        assert_eq!(s.pages.pages[m as usize].dirty, 0, "all dirt was past EOF");
        // A cut inside sector 4 keeps that sector (and so the whole page) dirty.
        let mut s = sim(size);
        dirty(&mut s, size, &[2]);
        let m = page(&s, 2);
        s.pmap_remove_all(m);
        s.pages.set_dirty(m, 0xf0);
        s.vnode_pager_setsize(0, 8192 + 2100);
        assert_eq!(s.pages.pages[m as usize].dirty, VM_PAGE_BITS_ALL);
    }

    #[test]
    fn putpages_run_crossing_eof() {
        let size = 10000;
        let mut s = sim(size);
        dirty(&mut s, size, &[0, 1, 2]);
        let o = s.vnodes[0].object;
        // Object pages 0..4 (block-rounded); run 1..4 crosses EOF at 10000.
        let run: Vec<u32> = (1..4)
            .map(|pi| match s.objects[o as usize].lookup(pi) {
                Some(m) => m,
                None => s.vm_page_alloc(o, pi).unwrap(),
            })
            .collect();
        for &m in &run {
            s.pmap_remove_all(m);
            s.pages.set_dirty(m, VM_PAGE_BITS_ALL);
        }
        let mut rtvals = vec![PagerResult::Again; 3];
        s.vnode_pager_putpages(o, &run, put::SYNC, &mut rtvals);
        // maxsize = 10000 − 4096 = 5904 ⇒ ncount 2; page 3 is BAD.
        assert_eq!(
            rtvals,
            vec![PagerResult::Ok, PagerResult::Ok, PagerResult::Bad]
        );
        assert_eq!((s.c.v_vnodeout, s.c.v_vnodepgsout), (1, 2));
        assert_eq!(s.c.pager_bad_pages, 1);
        // Written pages are clean, the EOF page included; the BAD page is left to the
        // caller (vm_pageout_flush undirties it).
        assert_eq!(s.pages.pages[run[0] as usize].dirty, 0);
        assert_eq!(s.pages.pages[run[1] as usize].dirty, 0);
        assert_eq!(s.pages.pages[run[2] as usize].dirty, VM_PAGE_BITS_ALL);
        // One synchronous write of the 10 KiB fragment block.
        let d = s.device.stats();
        assert_eq!((d.writes, d.sync_writes, d.write_bytes), (1, 1, 10240));
        // A run that starts past EOF writes nothing but still counts the call.
        let m3 = run[2];
        let mut rt = vec![PagerResult::Again];
        s.vnode_pager_putpages(o, &[m3], 0, &mut rt);
        assert_eq!(rt, vec![PagerResult::Bad]);
        assert_eq!((s.c.v_vnodeout, s.c.v_vnodepgsout), (2, 2));
        assert_eq!(s.device.stats().writes, 1);
        // Through vm_pageout_flush the BAD page is undirtied.
        s.vm_pageout_flush(&[m3], 0, Origin::PageoutLaunder);
        assert_eq!(s.pages.pages[m3 as usize].dirty, 0);
    }

    #[test]
    fn putpages_flag_mapping() {
        // No SYNC, no CLUSTER_OK ⇒ IO_ASYNC: one async write per block.
        let size = 8 * 4096;
        let mut s = sim(size);
        dirty(&mut s, size, &[0, 4]);
        let o = s.vnodes[0].object;
        let run: Vec<u32> = (0..8).map(|pi| page(&s, pi)).collect();
        for &m in &run {
            s.pmap_remove_all(m);
            s.pages.set_dirty(m, VM_PAGE_BITS_ALL);
        }
        let mut rtvals = vec![PagerResult::Again; 8];
        s.vnode_pager_putpages(o, &run, 0, &mut rtvals);
        let d = s.device.stats();
        assert_eq!((d.writes, d.async_writes, d.sync_writes), (2, 2, 0));
        assert!(rtvals.iter().all(|r| *r == PagerResult::Ok));
        assert_eq!(s.c.v_vnodepgsout, 8);
    }

    #[test]
    fn freepage_activates_wired_pages_and_frees_others() {
        let mut s = sim(65536);
        s.step_event(&ev(0, Op::Open, 0, 65536));
        let o = s.vnodes[0].object;
        let m = s.vm_page_alloc(o, 5).unwrap();
        s.vnode_pager_freepage(m);
        assert!(s.objects[o as usize].lookup(5).is_none());
        let m = s.vm_page_alloc(o, 6).unwrap();
        s.vm_page_wire(m);
        s.vnode_pager_freepage(m);
        assert_eq!(s.objects[o as usize].lookup(6), Some(m));
    }

    #[test]
    fn clear_dirty_keeps_the_eof_sector() {
        let mut d = 0xffu8;
        vm_page_clear_dirty_beg_nonincl(&mut d, 1000, 4096 - 1000);
        // Sector 1 (bytes 512..1024) holds EOF at 1000 and stays dirty.
        assert_eq!(d, 0b0000_0011);
        let mut d = 0xffu8;
        vm_page_clear_dirty_beg_nonincl(&mut d, 1024, 4096 - 1024);
        assert_eq!(d, 0b0000_0011);
        let mut d = 0xffu8;
        vm_page_clear_dirty_beg_nonincl(&mut d, 0, 4096);
        assert_eq!(d, 0);
    }
}
