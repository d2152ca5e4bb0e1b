//! The page cache of the Linux personality: 4 KiB pages indexed by (file, index), their
//! state bits (`PG_uptodate`, `PG_dirty`, `PG_writeback`, `PG_readahead`, `PG_locked`
//! while a read is in flight, `PG_referenced`, `PG_active`), the two LRU lists of
//! mm/vmscan.c and the per-file dirty sets write-back walks in index order.
//!
//! State is indexed (a slab of pages, intrusive list links), so a lookup is one hash
//! probe and list moves allocate nothing.

use rustc_hash::FxHashMap;
use std::collections::BTreeSet;

pub const NIL: u32 = u32::MAX;

/// Page flags.
pub mod pf {
    /// The data is valid (a read completed, or the page was fully written).
    pub const UPTODATE: u16 = 1 << 0;
    pub const DIRTY: u16 = 1 << 1;
    /// Under write-back I/O.
    pub const WRITEBACK: u16 = 1 << 2;
    /// The read-ahead marker: reaching it starts asynchronous read-ahead.
    pub const READAHEAD: u16 = 1 << 3;
    /// Locked for a read in flight (`PG_locked` while under read).
    pub const LOCKED: u16 = 1 << 4;
    /// `PG_referenced` (mark_page_accessed's first step).
    pub const REFERENCED: u16 = 1 << 5;
    /// On the active list.
    pub const ACTIVE: u16 = 1 << 6;
    /// Brought in by read-ahead and not used yet (for accuracy counters).
    pub const RA_UNUSED: u16 = 1 << 7;
}

#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub file: u32,
    pub index: u64,
    pub flags: u16,
    /// Order of the folio the page belongs to: the folio is the `1 << order` pages
    /// from `index` rounded down to that size (folios are naturally aligned).
    pub order: u8,
    /// The I/O record of the read or write in flight, or NIL.
    pub io: u32,
    prev: u32,
    next: u32,
}

#[derive(Clone, Copy, Debug, Default)]
struct List {
    head: u32,
    tail: u32,
    len: u64,
}

const EMPTY: List = List {
    head: NIL,
    tail: NIL,
    len: 0,
};

/// The page cache: pages, their index, the inactive and active LRU lists (head =
/// most recently added) and the dirty pages of every file.
pub struct PageCache {
    pub pages: Vec<Page>,
    free: Vec<u32>,
    map: FxHashMap<(u32, u64), u32>,
    lists: [List; 2],
    /// Per file: dirty page indexes, in order.
    pub dirty: Vec<BTreeSet<u64>>,
    pub nr_dirty: u64,
    pub nr_writeback: u64,
    /// Most pages the cache may hold.
    pub capacity: u64,
}

const INACTIVE: usize = 0;
const ACTIVE: usize = 1;

impl PageCache {
    pub fn new(capacity: u64) -> PageCache {
        PageCache {
            pages: Vec::new(),
            free: Vec::new(),
            map: FxHashMap::default(),
            lists: [EMPTY, EMPTY],
            dirty: Vec::new(),
            nr_dirty: 0,
            nr_writeback: 0,
            capacity: capacity.max(16),
        }
    }

    pub fn len(&self) -> u64 {
        self.lists[INACTIVE].len + self.lists[ACTIVE].len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn lookup(&self, file: u32, index: u64) -> Option<u32> {
        self.map.get(&(file, index)).copied()
    }

    /// The folio of page `p`: (first index, number of pages).
    pub fn folio(&self, p: u32) -> (u64, u64) {
        let pg = &self.pages[p as usize];
        let n = 1u64 << pg.order;
        (pg.index & !(n - 1), n)
    }

    pub fn flags(&self, p: u32) -> u16 {
        self.pages[p as usize].flags
    }

    pub fn set(&mut self, p: u32, f: u16) {
        self.pages[p as usize].flags |= f;
    }

    pub fn clear(&mut self, p: u32, f: u16) {
        self.pages[p as usize].flags &= !f;
    }

    fn list_of(&self, p: u32) -> usize {
        if self.pages[p as usize].flags & pf::ACTIVE != 0 {
            ACTIVE
        } else {
            INACTIVE
        }
    }

    fn push_head(&mut self, l: usize, p: u32) {
        let old = self.lists[l].head;
        {
            let pg = &mut self.pages[p as usize];
            pg.prev = NIL;
            pg.next = old;
        }
        if old != NIL {
            self.pages[old as usize].prev = p;
        } else {
            self.lists[l].tail = p;
        }
        self.lists[l].head = p;
        self.lists[l].len += 1;
    }

    fn unlink(&mut self, l: usize, p: u32) {
        let (prev, next) = (self.pages[p as usize].prev, self.pages[p as usize].next);
        if prev != NIL {
            self.pages[prev as usize].next = next;
        } else {
            self.lists[l].head = next;
        }
        if next != NIL {
            self.pages[next as usize].prev = prev;
        } else {
            self.lists[l].tail = prev;
        }
        self.lists[l].len -= 1;
    }

    /// A new page of `file` at `index` on the inactive list (the caller made room).
    pub fn insert(&mut self, file: u32, index: u64, flags: u16) -> u32 {
        let page = Page {
            file,
            index,
            flags: flags & !pf::ACTIVE,
            order: 0,
            io: NIL,
            prev: NIL,
            next: NIL,
        };
        let p = match self.free.pop() {
            Some(p) => {
                self.pages[p as usize] = page;
                p
            }
            None => {
                self.pages.push(page);
                self.pages.len() as u32 - 1
            }
        };
        self.map.insert((file, index), p);
        self.push_head(INACTIVE, p);
        p
    }

    /// Remove a page (clean, not under I/O) from the cache.
    pub fn remove(&mut self, p: u32) {
        let l = self.list_of(p);
        self.unlink(l, p);
        self.set_clean(p);
        let pg = self.pages[p as usize];
        self.map.remove(&(pg.file, pg.index));
        self.pages[p as usize].flags = 0;
        self.free.push(p);
    }

    /// `mark_page_accessed`: an inactive page referenced twice moves to the active
    /// list; the first reference only sets `PG_referenced`.
    pub fn mark_accessed(&mut self, p: u32) {
        let f = self.pages[p as usize].flags;
        if f & pf::ACTIVE == 0 && f & pf::REFERENCED != 0 {
            self.unlink(INACTIVE, p);
            self.pages[p as usize].flags = (f | pf::ACTIVE) & !pf::REFERENCED;
            self.push_head(ACTIVE, p);
        } else {
            self.pages[p as usize].flags |= pf::REFERENCED;
        }
    }

    pub fn set_dirty(&mut self, p: u32) {
        let pg = self.pages[p as usize];
        if pg.flags & pf::DIRTY != 0 {
            return;
        }
        self.pages[p as usize].flags |= pf::DIRTY;
        let f = pg.file as usize;
        if f >= self.dirty.len() {
            self.dirty.resize_with(f + 1, BTreeSet::new);
        }
        self.dirty[f].insert(pg.index);
        self.nr_dirty += 1;
    }

    pub fn set_clean(&mut self, p: u32) {
        let pg = self.pages[p as usize];
        if pg.flags & pf::DIRTY == 0 {
            return;
        }
        self.pages[p as usize].flags &= !pf::DIRTY;
        self.dirty[pg.file as usize].remove(&pg.index);
        self.nr_dirty -= 1;
    }

    /// Dirty pages of `file`, in index order.
    pub fn dirty_of(&self, file: u32) -> Option<&BTreeSet<u64>> {
        self.dirty.get(file as usize).filter(|d| !d.is_empty())
    }

    /// A reclaim candidate from the inactive tail (`shrink_inactive_list`): referenced
    /// pages get a second trip, pages under I/O or dirty are passed over; when the
    /// inactive list is short, the active tail is deactivated first
    /// (`shrink_active_list`). None when every page is dirty or busy.
    pub fn reclaim_candidate(&mut self) -> Option<u32> {
        if self.lists[INACTIVE].len < self.lists[ACTIVE].len {
            let mut n = self.lists[ACTIVE].len - self.lists[INACTIVE].len;
            while n > 0 {
                let t = self.lists[ACTIVE].tail;
                if t == NIL {
                    break;
                }
                self.unlink(ACTIVE, t);
                self.pages[t as usize].flags &= !(pf::ACTIVE | pf::REFERENCED);
                self.push_head(INACTIVE, t);
                n -= 1;
            }
        }
        let mut budget = self.lists[INACTIVE].len * 2;
        while budget > 0 {
            budget -= 1;
            let t = self.lists[INACTIVE].tail;
            if t == NIL {
                return None;
            }
            let f = self.pages[t as usize].flags;
            self.unlink(INACTIVE, t);
            if f & pf::REFERENCED != 0 {
                self.pages[t as usize].flags &= !pf::REFERENCED;
                self.push_head(INACTIVE, t);
                continue;
            }
            if f & (pf::DIRTY | pf::WRITEBACK | pf::LOCKED) != 0 {
                self.push_head(INACTIVE, t);
                continue;
            }
            self.push_head(INACTIVE, t);
            return Some(t);
        }
        None
    }

    /// Every page of `file` at or past `from`, in index order (truncate, unlink).
    pub fn pages_from(&self, file: u32, from: u64, out: &mut Vec<u32>) {
        out.clear();
        out.extend(
            self.map
                .iter()
                .filter(|((f, i), _)| *f == file && *i >= from)
                .map(|(_, &p)| p),
        );
        out.sort_unstable_by_key(|&p| self.pages[p as usize].index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_reference_activates_and_reclaim_skips_busy_pages() {
        let mut c = PageCache::new(16);
        let a = c.insert(0, 0, pf::UPTODATE);
        let b = c.insert(0, 1, pf::UPTODATE);
        let d = c.insert(0, 2, pf::UPTODATE);
        c.mark_accessed(a);
        assert_eq!(c.flags(a) & pf::ACTIVE, 0);
        c.mark_accessed(a);
        assert_ne!(c.flags(a) & pf::ACTIVE, 0);
        c.set_dirty(b);
        assert_eq!(c.nr_dirty, 1);
        // Inactive holds b (dirty) and d; active holds a: d is the victim.
        assert_eq!(c.reclaim_candidate(), Some(d));
        c.remove(d);
        c.set_clean(b);
        // Inactive: b; active: a (equal lengths, no deactivation): b goes next.
        assert_eq!(c.reclaim_candidate(), Some(b));
        c.remove(b);
        // Only a left, active: deactivated, then taken.
        assert_eq!(c.reclaim_candidate(), Some(a));
        assert_eq!(c.len(), 1);
    }
}
