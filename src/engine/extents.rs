//! The inode's block map (`ufs_bmaparray`'s answer): logical block → disk extent.
//!
//! Almost every file is one extent (vpsim lays a file's blocks down contiguously when
//! it is first seen, `vnode.rs`), and traces of builds and backups see millions of
//! files, so the map keeps a single extent inline, with no allocation, and moves to a
//! B-tree only when a file is fragmented (growth landing after another file's blocks,
//! holes punched by truncate).

use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent {
    pub blocks: u64,
    pub disk: u64,
}

/// Extents by first logical block.
#[derive(Clone, Debug, Default)]
pub enum ExtentMap {
    #[default]
    Empty,
    One(u64, Extent),
    Many(BTreeMap<u64, Extent>),
}

impl ExtentMap {
    pub fn len(&self) -> usize {
        match self {
            ExtentMap::Empty => 0,
            ExtentMap::One(..) => 1,
            ExtentMap::Many(m) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The extent starting at the greatest first block ≤ `lblk`.
    #[inline]
    pub fn floor(&self, lblk: u64) -> Option<(u64, Extent)> {
        match self {
            ExtentMap::Empty => None,
            ExtentMap::One(s, e) => (*s <= lblk).then_some((*s, *e)),
            ExtentMap::Many(m) => m.range(..=lblk).next_back().map(|(s, e)| (*s, *e)),
        }
    }

    pub fn get_mut(&mut self, start: u64) -> Option<&mut Extent> {
        match self {
            ExtentMap::Empty => None,
            ExtentMap::One(s, e) => (*s == start).then_some(e),
            ExtentMap::Many(m) => m.get_mut(&start),
        }
    }

    /// Set the extent starting at `start` (replacing one that starts there).
    pub fn insert(&mut self, start: u64, ext: Extent) {
        match self {
            ExtentMap::Empty => *self = ExtentMap::One(start, ext),
            ExtentMap::One(s, e) if *s == start => *e = ext,
            ExtentMap::One(s, e) => {
                let m = BTreeMap::from([(*s, *e), (start, ext)]);
                *self = ExtentMap::Many(m);
            }
            ExtentMap::Many(m) => {
                m.insert(start, ext);
            }
        }
    }

    pub fn remove(&mut self, start: u64) -> Option<Extent> {
        match self {
            ExtentMap::One(s, e) if *s == start => {
                let e = *e;
                *self = ExtentMap::Empty;
                Some(e)
            }
            ExtentMap::Many(m) => m.remove(&start),
            _ => None,
        }
    }

    /// First blocks of the extents that start before `end` and reach past `lblk`.
    pub fn overlapping(&self, lblk: u64, end: u64) -> Vec<u64> {
        let hit = |s: u64, e: &Extent| s < end && s + e.blocks > lblk;
        match self {
            ExtentMap::Empty => Vec::new(),
            ExtentMap::One(s, e) => hit(*s, e).then_some(*s).into_iter().collect(),
            ExtentMap::Many(m) => m
                .range(..end)
                .filter(|(s, e)| hit(**s, e))
                .map(|(s, _)| *s)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a B-tree, through the switch from one inline extent to many and back
    /// down to none.
    #[test]
    fn behaves_like_a_btree() {
        let mut m = ExtentMap::default();
        let mut r: BTreeMap<u64, Extent> = BTreeMap::new();
        let e = |b, d| Extent { blocks: b, disk: d };
        let mut x: u64 = 99;
        for step in 0..5_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let start = (x >> 33) % 40 * 10;
            match x >> 62 {
                0 => assert_eq!(m.remove(start), r.remove(&start)),
                1 => {
                    if let (Some(a), Some(b)) = (m.get_mut(start), r.get_mut(&start)) {
                        a.blocks += 1;
                        b.blocks += 1;
                    }
                }
                _ => {
                    m.insert(start, e(1 + step % 9, step));
                    r.insert(start, e(1 + step % 9, step));
                }
            }
            let probe = (x >> 20) % 420;
            let want = r.range(..=probe).next_back().map(|(s, e)| (*s, *e));
            assert_eq!(m.floor(probe), want);
            assert_eq!(m.len(), r.len());
            let want: Vec<u64> = r
                .range(..probe + 15)
                .filter(|(s, e)| **s + e.blocks > probe)
                .map(|(s, _)| *s)
                .collect();
            assert_eq!(m.overlapping(probe, probe + 15), want);
        }
    }

    #[test]
    fn one_extent_is_inline() {
        let mut m = ExtentMap::default();
        m.insert(0, Extent { blocks: 4, disk: 0 });
        assert!(matches!(m, ExtentMap::One(0, _)));
        assert_eq!(m.floor(3), Some((0, Extent { blocks: 4, disk: 0 })));
        m.insert(
            9,
            Extent {
                blocks: 1,
                disk: 64,
            },
        );
        assert!(matches!(m, ExtentMap::Many(_)));
    }
}
