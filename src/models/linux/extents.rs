//! ext4's block map as write-back sees it: which pages of a file already have disk
//! blocks and which are delayed-allocation (`BH_Delay`) data that write-back must
//! allocate first. Write-back maps delayed blocks one extent at a time, at most
//! `MAX_WRITEPAGES_EXTENT_LEN` blocks (fs/ext4/inode.c: `mpage_add_bh_to_extent`
//! refuses to grow the extent past it), and `ext4_do_writepages` submits its bio
//! after each extent (`mpage_map_and_submit_extent`, then `ext4_io_submit`); pages
//! that already have blocks go out without mapping. A new 256 MiB file written and
//! fsynced therefore leaves as 32 extents of 8 MiB, each cut into requests on its own.

use std::collections::BTreeMap;

/// Most delayed blocks (4 KiB pages) one write-back mapping round allocates.
pub const MAX_WRITEPAGES_EXTENT_LEN: u64 = 2048;

/// The pages of one file that have disk blocks: disjoint, non-adjacent ranges
/// `start → end`.
#[derive(Clone, Debug, Default)]
pub struct BlockMap {
    ranges: BTreeMap<u64, u64>,
}

impl BlockMap {
    /// A file whose first `pages` pages are on disk (an existing file).
    pub fn with_blocks(pages: u64) -> BlockMap {
        let mut m = BlockMap::default();
        m.allocate(0, pages);
        m
    }

    pub fn is_allocated(&self, index: u64) -> bool {
        self.ranges
            .range(..=index)
            .next_back()
            .is_some_and(|(_, &e)| index < e)
    }

    /// Give pages `[a, b)` blocks (write-back allocated them).
    pub fn allocate(&mut self, a: u64, b: u64) {
        if a >= b {
            return;
        }
        let (mut s, mut e) = (a, b);
        // Absorb every range that overlaps or touches [a, b).
        let touching: Vec<(u64, u64)> = self
            .ranges
            .range(..=b)
            .rev()
            .take_while(|(_, re)| **re >= a)
            .map(|(&rs, &re)| (rs, re))
            .collect();
        for (rs, re) in touching {
            self.ranges.remove(&rs);
            s = s.min(rs);
            e = e.max(re);
        }
        self.ranges.insert(s, e);
    }

    /// Free the blocks of every page at or past `from` (truncate).
    pub fn free_from(&mut self, from: u64) {
        self.ranges.split_off(&from);
        if let Some((_, e)) = self.ranges.range_mut(..from).next_back() {
            *e = (*e).min(from);
        }
    }

    /// Where write-back's bios must end within the run `[first, end)` of dirty pages:
    /// at every change between pages with blocks and delayed ones, and inside each
    /// stretch of delayed pages every `MAX_WRITEPAGES_EXTENT_LEN` pages from its start.
    pub fn bio_breaks(&self, first: u64, end: u64, out: &mut Vec<u64>) {
        out.clear();
        let mut i = first;
        while i < end {
            let alloc = self.is_allocated(i);
            // The end of this stretch: the next page whose state differs.
            let stretch_end = if alloc {
                self.ranges
                    .range(..=i)
                    .next_back()
                    .map_or(end, |(_, &e)| e.min(end))
            } else {
                self.ranges
                    .range(i..)
                    .next()
                    .map_or(end, |(&s, _)| s.min(end))
            };
            if !alloc {
                let mut b = i + MAX_WRITEPAGES_EXTENT_LEN;
                while b < stretch_end {
                    out.push(b);
                    b += MAX_WRITEPAGES_EXTENT_LEN;
                }
            }
            if stretch_end < end {
                out.push(stretch_end);
            }
            i = stretch_end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_truncate() {
        let mut m = BlockMap::with_blocks(10);
        m.allocate(20, 30);
        m.allocate(10, 20);
        assert!(m.is_allocated(0) && m.is_allocated(29) && !m.is_allocated(30));
        assert_eq!(m.ranges.len(), 1, "adjacent ranges merge");
        m.free_from(15);
        assert!(m.is_allocated(14) && !m.is_allocated(15));
        m.allocate(40, 50);
        m.free_from(45);
        assert!(m.is_allocated(44) && !m.is_allocated(45) && !m.is_allocated(20));
    }

    /// A new file: 65,536 delayed pages break every 2,048 (31 breaks, 32 extents);
    /// a file whose first 100 pages have blocks, dirty in [50, 5000): a break where
    /// the delayed pages start (100), then every 2,048 from there (2148, 4196).
    #[test]
    fn breaks_at_extents_and_state_changes() {
        let mut out = Vec::new();
        BlockMap::default().bio_breaks(0, 65_536, &mut out);
        assert_eq!(out.len(), 31);
        assert_eq!((out[0], out[30]), (2048, 63_488));
        BlockMap::with_blocks(100).bio_breaks(50, 5000, &mut out);
        assert_eq!(out, [100, 2148, 4196]);
        // Blocks again from 3000: the delayed stretch [100, 3000) breaks at 2148 and
        // ends at 3000.
        let mut m = BlockMap::with_blocks(100);
        m.allocate(3000, 4000);
        m.bio_breaks(50, 5000, &mut out);
        assert_eq!(out, [100, 2148, 3000, 4000]);
    }
}
