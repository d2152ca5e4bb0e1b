//! `struct vm_page` and the page queues (sys/vm/vm_page.h, vm_page.c).
//!
//! All pages live in one slab (`Vec<Page>`) addressed by `u32`; queues are intrusive
//! index-linked lists, so moving a page between queues is O(1) and allocation-free.
//! The kernel's 256 colour queues are folded into one queue per type (an accepted
//! simplification, pager-model.md §10); the pageout quotas compensate (§7.1).

/// Bytes per page (x86_64).
pub const PAGE_SIZE: u64 = 4096;
pub const PAGE_SHIFT: u32 = 12;
/// Bytes per valid/dirty bit.
pub const DEV_BSIZE: u64 = 512;
/// All eight sectors of a page.
pub const VM_PAGE_BITS_ALL: u8 = 0xff;
/// Index meaning "no page / no buffer / no object".
pub const NIL: u32 = u32::MAX;

/// act_count values (sys/vm/vm_page.h).
pub const ACT_INIT: u8 = 5;
pub const ACT_ADVANCE: u8 = 3;
pub const ACT_DECLINE: u8 = 1;
pub const ACT_MAX: u8 = 64;

/// Page flags (the subset that changes I/O counts).
pub mod pg {
    /// Set by every fault that maps the page; consumed by pageout scans.
    pub const REFERENCED: u16 = 1 << 0;
    /// Read-ahead mark: first page of a buffer flagged B_RAM.
    pub const RAM: u16 = 1 << 1;
    /// Dirty page already given its extra lap round the inactive queue.
    pub const WINATCFLS: u16 = 1 << 2;
    /// Set by a whole-object clean pass; required by clean pass 2.
    pub const CLEANCHK: u16 = 1 << 3;
    /// Dirtied through a MAP_NOSYNC mapping.
    pub const NOSYNC: u16 = 1 << 4;
    /// vpsim bookkeeping: brought in by read-ahead and not yet used (accuracy stats).
    pub const READAHEAD: u16 = 1 << 5;
    /// A read-ahead policy's marker (Linux PG_readahead) on the first page of a block.
    pub const MARK: u16 = 1 << 6;
}

/// Which queue a page is on. `None` means wired (in a buffer) or otherwise off-queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Queue {
    None = 0,
    Free = 1,
    Cache = 2,
    Inactive = 3,
    Active = 4,
}

const NQUEUES: usize = 5;

/// One physical page.
#[derive(Clone, Debug)]
pub struct Page {
    /// Index in the owning object (valid while `object != NIL`).
    pub pindex: u64,
    /// Time (ns) until which a read into this page is in flight: a touch before it
    /// waits (`v_intrans`).
    pub io_done_at: u64,
    /// Owning object, or NIL when free.
    pub object: u32,
    /// The buffer that wires this page, or NIL.
    pub buf: u32,
    pub next: u32,
    pub prev: u32,
    pub flags: u16,
    /// Number of page-table entries mapping it.
    pub mapped: u16,
    pub wire_count: u16,
    pub queue: Queue,
    /// One bit per 512-byte sector.
    pub valid: u8,
    pub dirty: u8,
    pub act_count: u8,
    /// Soft-busy (I/O in progress) count.
    pub busy: u8,
}

impl Page {
    fn new() -> Page {
        Page {
            pindex: 0,
            io_done_at: 0,
            object: NIL,
            buf: NIL,
            next: NIL,
            prev: NIL,
            flags: 0,
            mapped: 0,
            wire_count: 0,
            queue: Queue::None,
            valid: 0,
            dirty: 0,
            act_count: 0,
            busy: 0,
        }
    }
}

/// Sector mask covering bytes `[base, base+size)` of a page (`vm_page_bits`).
pub fn page_bits(base: u64, size: u64) -> u8 {
    if size == 0 {
        return 0;
    }
    let first = (base / DEV_BSIZE) as u32;
    let last = ((base + size - 1) / DEV_BSIZE).min(7) as u32;
    let n = last - first + 1;
    let ones: u16 = (1u16 << n) - 1;
    (ones << first) as u8
}

#[derive(Clone, Copy, Debug, Default)]
struct List {
    head: u32,
    tail: u32,
    len: u32,
}

/// The page slab plus the queues and the counts of `struct vmstats`.
///
/// Free pages that were never used are not materialised (`virgin`): the slab grows
/// only as pages are first allocated, so memory follows the simulated working set, not
/// the simulated RAM size.
#[derive(Clone, Debug)]
pub struct PageSet {
    pub pages: Vec<Page>,
    lists: [List; NQUEUES],
    /// Never-allocated free pages, counted in `free_count` but not in the slab yet.
    virgin: u32,
    /// Pages wired for good at boot (kernel, `--unavailable`), never in the slab: they
    /// are counted in `wire_count` and nothing ever looks at them one by one.
    reserved: u32,
    total: u32,
    /// Wired pages (`v_wire_count`).
    pub wire_count: u32,
    /// Pages with any dirty bit (kept incrementally for the timeline).
    dirty_count: u32,
}

impl PageSet {
    /// `n` free pages.
    pub fn new(n: u32) -> PageSet {
        PageSet {
            pages: Vec::new(),
            lists: [List {
                head: NIL,
                tail: NIL,
                len: 0,
            }; NQUEUES],
            virgin: n,
            reserved: 0,
            total: n,
            wire_count: 0,
            dirty_count: 0,
        }
    }

    /// Set page `m`'s dirty mask, keeping the count of dirty pages.
    #[inline]
    pub fn set_dirty(&mut self, m: u32, dirty: u8) {
        let p = &mut self.pages[m as usize];
        match (p.dirty != 0, dirty != 0) {
            (false, true) => self.dirty_count += 1,
            (true, false) => self.dirty_count -= 1,
            _ => {}
        }
        p.dirty = dirty;
    }

    /// Pages with any dirty bit.
    pub fn dirty_count(&self) -> u32 {
        self.dirty_count
    }

    #[inline]
    pub fn len(&self, q: Queue) -> u32 {
        self.lists[q as usize].len
    }

    #[inline]
    pub fn head(&self, q: Queue) -> u32 {
        self.lists[q as usize].head
    }

    pub fn page_count(&self) -> u32 {
        self.total
    }

    #[inline]
    pub fn free_count(&self) -> u32 {
        self.len(Queue::Free) + self.virgin
    }

    #[inline]
    pub fn cache_count(&self) -> u32 {
        self.len(Queue::Cache)
    }

    /// Remove `m` from whatever queue it is on (no-op for `Queue::None`).
    pub fn unqueue(&mut self, m: u32) {
        let q = self.pages[m as usize].queue;
        if q == Queue::None {
            return;
        }
        let (prev, next) = {
            let p = &self.pages[m as usize];
            (p.prev, p.next)
        };
        let l = &mut self.lists[q as usize];
        if prev == NIL {
            l.head = next;
        } else {
            self.pages[prev as usize].next = next;
        }
        let l = &mut self.lists[q as usize];
        if next == NIL {
            l.tail = prev;
        } else {
            self.pages[next as usize].prev = prev;
        }
        self.lists[q as usize].len -= 1;
        let p = &mut self.pages[m as usize];
        p.queue = Queue::None;
        p.next = NIL;
        p.prev = NIL;
    }

    /// Append `m` (off-queue) to the tail of `q`.
    pub fn insert_tail(&mut self, q: Queue, m: u32) {
        debug_assert_eq!(self.pages[m as usize].queue, Queue::None);
        let tail = self.lists[q as usize].tail;
        {
            let p = &mut self.pages[m as usize];
            p.queue = q;
            p.prev = tail;
            p.next = NIL;
        }
        if tail == NIL {
            self.lists[q as usize].head = m;
        } else {
            self.pages[tail as usize].next = m;
        }
        let l = &mut self.lists[q as usize];
        l.tail = m;
        l.len += 1;
    }

    /// Move `m` to the tail of `q` (from any queue).
    pub fn requeue(&mut self, q: Queue, m: u32) {
        self.unqueue(m);
        self.insert_tail(q, m);
    }

    /// Wire `n` never-used pages for good (the kernel's and `--unavailable` memory)
    /// without materialising them, so the slab stays as small as the working set
    /// whatever the RAM size. Returns how many were wired (at most the never-used ones).
    pub fn wire_reserved(&mut self, n: u32) -> u32 {
        let n = n.min(self.virgin);
        self.virgin -= n;
        self.reserved += n;
        self.wire_count += n;
        n
    }

    /// Take the head of the free queue.
    pub fn take_free(&mut self) -> Option<u32> {
        let m = self.head(Queue::Free);
        if m == NIL {
            if self.virgin == 0 {
                return None;
            }
            self.virgin -= 1;
            self.pages.push(Page::new());
            return Some(self.pages.len() as u32 - 1);
        }
        self.unqueue(m);
        Some(m)
    }

    /// Page conservation: every page is on exactly one queue or wired/off-queue.
    pub fn check_conservation(&self) -> Result<(), String> {
        let queued: u32 = self.lists.iter().map(|l| l.len).sum();
        let offq = self.pages.iter().filter(|p| p.queue == Queue::None).count() as u32;
        if queued + offq + self.virgin + self.reserved != self.page_count() {
            return Err(format!(
                "page conservation: {queued} queued + {offq} off-queue + {} never used + {} reserved != {} pages",
                self.virgin,
                self.reserved,
                self.page_count()
            ));
        }
        let dirty = self.pages.iter().filter(|p| p.dirty != 0).count() as u32;
        if dirty != self.dirty_count {
            return Err(format!(
                "dirty page count {} but {dirty} pages are dirty",
                self.dirty_count
            ));
        }
        for (qi, l) in self.lists.iter().enumerate() {
            let mut n = 0;
            let mut m = l.head;
            while m != NIL {
                if self.pages[m as usize].queue as usize != qi {
                    return Err(format!(
                        "page {m} linked on queue {qi} but tagged otherwise"
                    ));
                }
                n += 1;
                m = self.pages[m as usize].next;
            }
            if n != l.len {
                return Err(format!("queue {qi}: length {} but {n} linked", l.len));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits() {
        assert_eq!(page_bits(0, 4096), 0xff);
        assert_eq!(page_bits(0, 1), 0x01);
        assert_eq!(page_bits(512, 512), 0x02);
        assert_eq!(page_bits(1000, 100), 0x06);
        assert_eq!(page_bits(1000, 20), 0x02);
        assert_eq!(page_bits(3584, 512), 0x80);
        assert_eq!(page_bits(0, 0), 0);
    }

    #[test]
    fn queues_move_and_conserve() {
        let mut ps = PageSet::new(8);
        assert_eq!(ps.free_count(), 8);
        let a = ps.take_free().unwrap();
        let b = ps.take_free().unwrap();
        ps.insert_tail(Queue::Inactive, a);
        ps.insert_tail(Queue::Inactive, b);
        ps.requeue(Queue::Active, a);
        assert_eq!(ps.len(Queue::Inactive), 1);
        assert_eq!(ps.head(Queue::Inactive), b);
        assert_eq!(ps.len(Queue::Active), 1);
        ps.unqueue(b);
        assert_eq!(ps.len(Queue::Inactive), 0);
        ps.check_conservation().unwrap();
    }

    #[test]
    fn reserved_pages_are_wired_without_a_slab() {
        let mut ps = PageSet::new(1 << 30);
        assert_eq!(ps.wire_reserved(1 << 29), 1 << 29);
        assert_eq!(ps.wire_count, 1 << 29);
        assert_eq!(ps.free_count(), 1 << 29);
        assert!(ps.pages.is_empty());
        ps.check_conservation().unwrap();
        let a = ps.take_free().unwrap();
        ps.insert_tail(Queue::Active, a);
        ps.check_conservation().unwrap();
        // never more than the unused pages
        let mut small = PageSet::new(4);
        small.take_free().unwrap();
        assert_eq!(small.wire_reserved(10), 3);
        assert_eq!(small.free_count(), 0);
    }
}
