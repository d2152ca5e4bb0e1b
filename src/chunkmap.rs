//! The index of an object's resident pages (`rb_memq`, sys/vm/vm_object.h) and of a
//! vnode's buffers (`v_rbhash_tree`, sys/kern/vfs_bio.c `findblk`), and of the
//! yardstick models' pages per file: key → slot.
//!
//! The kernel keeps red-black trees; the simulator only needs lookup, insert, remove
//! and an occasional range walk, and it does one lookup or more for every simulated
//! page touch, so the index is what the replay's speed rests on. A hash map keyed by
//! page index misses cache on almost every lookup once the cache holds more pages
//! than the CPU's cache holds entries. Here keys are grouped in chunks of 16
//! consecutive indices: a chunk is 16 slots, one 64-byte cache line, found through a
//! dense directory for the first [`DENSE_CHUNKS`] chunks (files up to 16 GiB of 4 KiB
//! pages) — one array load, no hashing — and through a hash map beyond, so a 2^62-byte
//! file still costs only the chunks it touches. Neighbouring pages (read-ahead,
//! clusters, sequential scans) then share a cache line. Chunks are small (one line)
//! because many traces touch thousands of files a few pages each: a map costs one
//! chunk per 16 keys in use, and its vectors grow from one element, not four.

use rustc_hash::FxHashMap;

/// Keys per chunk.
const CHUNK: usize = 16;
const SHIFT: u32 = CHUNK.trailing_zeros();
/// Chunks reachable through the dense directory (2^18 chunks of 16 keys = 2^22 keys).
pub const DENSE_CHUNKS: u64 = 1 << 18;
/// An empty slot (no key stores this value: slot indices stay below it).
const EMPTY: u32 = u32::MAX;

/// One cache line of slots; a chunk's fill is counted when a removal may empty it.
#[derive(Clone, Debug)]
#[repr(align(64))]
struct Chunk {
    slots: [u32; CHUNK],
}

impl Chunk {
    /// Branch-free: EMPTY is all ones, so the slots' AND is EMPTY only if every slot
    /// is (a few vector instructions, where a `.all()` scan branched per slot).
    #[inline]
    fn is_empty(&self) -> bool {
        self.slots.iter().fold(EMPTY, |a, &v| a & v) == EMPTY
    }
}

/// Grow `v` to hold one more element: doubling, but from a capacity of one (a `Vec`
/// starts at four elements, which for chunks is 256 bytes per map of one page).
fn reserve_one<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        v.reserve_exact(v.len().max(1));
    }
}

/// A map from u64 keys to u32 values (never `u32::MAX`).
#[derive(Clone, Debug)]
pub struct ChunkMap {
    /// Chunk number → index in `chunks` (EMPTY: none), for chunk numbers below
    /// [`DENSE_CHUNKS`]; grown as far as the highest chunk used.
    dense: Vec<u32>,
    /// The same for chunk numbers from [`DENSE_CHUNKS`] on (boxed: most maps never
    /// need it, and the map's own size is paid per file).
    sparse: Option<Box<FxHashMap<u64, u32>>>,
    chunks: Vec<Chunk>,
    /// First emptied chunk in `chunks` (EMPTY: none), reused first; an emptied
    /// chunk's slot 0 links to the next.
    free: u32,
    len: u32,
}

impl Default for ChunkMap {
    fn default() -> Self {
        ChunkMap {
            dense: Vec::new(),
            sparse: None,
            chunks: Vec::new(),
            free: EMPTY,
            len: 0,
        }
    }
}

impl ChunkMap {
    #[inline]
    fn chunk_of(&self, c: u64) -> Option<u32> {
        if c < DENSE_CHUNKS {
            match self.dense.get(c as usize) {
                Some(&i) if i != EMPTY => Some(i),
                _ => None,
            }
        } else {
            self.sparse.as_ref()?.get(&c).copied()
        }
    }

    #[inline]
    pub fn get(&self, key: u64) -> Option<u32> {
        let i = self.chunk_of(key >> SHIFT)?;
        let v = self.chunks[i as usize].slots[key as usize & (CHUNK - 1)];
        (v != EMPTY).then_some(v)
    }

    /// Set `key` to `value`, returning the value it had.
    pub fn insert(&mut self, key: u64, value: u32) -> Option<u32> {
        debug_assert!(value != EMPTY);
        let c = key >> SHIFT;
        let i = match self.chunk_of(c) {
            Some(i) => i,
            None => self.new_chunk(c),
        };
        let slot = &mut self.chunks[i as usize].slots[key as usize & (CHUNK - 1)];
        let old = std::mem::replace(slot, value);
        if old == EMPTY {
            self.len += 1;
            None
        } else {
            Some(old)
        }
    }

    fn new_chunk(&mut self, c: u64) -> u32 {
        let fresh = Chunk {
            slots: [EMPTY; CHUNK],
        };
        let i = if self.free != EMPTY {
            let i = self.free;
            self.free = self.chunks[i as usize].slots[0];
            self.chunks[i as usize] = fresh;
            i
        } else {
            reserve_one(&mut self.chunks);
            self.chunks.push(fresh);
            (self.chunks.len() - 1) as u32
        };
        if c < DENSE_CHUNKS {
            if self.dense.len() <= c as usize {
                let want = c as usize + 1;
                if want > self.dense.capacity() {
                    // Doubling, from exactly what the first chunk needs.
                    self.dense
                        .reserve_exact(want.max(2 * self.dense.len()) - self.dense.len());
                }
                self.dense.resize(want, EMPTY);
            }
            self.dense[c as usize] = i;
        } else {
            self.sparse.get_or_insert_default().insert(c, i);
        }
        i
    }

    /// Remove `key`, returning its value; a chunk left empty is freed for reuse.
    pub fn remove(&mut self, key: u64) -> Option<u32> {
        let c = key >> SHIFT;
        let i = self.chunk_of(c)?;
        let ch = &mut self.chunks[i as usize];
        let old = std::mem::replace(&mut ch.slots[key as usize & (CHUNK - 1)], EMPTY);
        if old == EMPTY {
            return None;
        }
        self.len -= 1;
        if ch.is_empty() {
            if c < DENSE_CHUNKS {
                self.dense[c as usize] = EMPTY;
            } else if let Some(sp) = self.sparse.as_mut() {
                sp.remove(&c);
            }
            ch.slots[0] = self.free;
            self.free = i;
        }
        Some(old)
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every (key, value): dense chunks in key order, then the sparse ones in no
    /// particular order (callers that need an order sort).
    pub fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        let dense = self
            .dense
            .iter()
            .enumerate()
            .filter(|(_, i)| **i != EMPTY)
            .map(|(c, i)| (c as u64, *i));
        let sparse = self
            .sparse
            .iter()
            .flat_map(|m| m.iter())
            .map(|(c, i)| (*c, *i));
        dense.chain(sparse).flat_map(move |(c, i)| {
            let ch = &self.chunks[i as usize];
            (0..CHUNK).filter_map(move |s| {
                let v = ch.slots[s];
                (v != EMPTY).then_some(((c << SHIFT) | s as u64, v))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a hash map, on keys in the dense range, at the edge, far beyond it
    /// and near u64::MAX, with chunks emptied and reused.
    #[test]
    fn behaves_like_a_map() {
        let mut m = ChunkMap::default();
        let mut r: FxHashMap<u64, u32> = FxHashMap::default();
        let mut x: u64 = 12345;
        let bases = [
            0u64,
            63,
            64,
            (DENSE_CHUNKS << SHIFT) - 1,
            DENSE_CHUNKS << SHIFT,
            1 << 50,
            u64::MAX - 200,
        ];
        for step in 0..20_000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = bases[(x >> 60) as usize % bases.len()].wrapping_add((x >> 33) % 150);
            if x & 3 == 0 {
                assert_eq!(m.remove(key), r.remove(&key), "remove {key}");
            } else {
                assert_eq!(m.insert(key, step), r.insert(key, step), "insert {key}");
            }
            assert_eq!(m.get(key), r.get(&key).copied());
            assert_eq!(m.len(), r.len());
        }
        let mut a: Vec<(u64, u32)> = m.iter().collect();
        let mut b: Vec<(u64, u32)> = r.iter().map(|(k, v)| (*k, *v)).collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        // Emptied chunks are reused rather than grown.
        assert!(m.chunks.len() <= 2 * bases.len() * 150 / CHUNK + bases.len() * 2);
    }

    /// A map of a file touched in one place costs one cache line of slots and one
    /// directory entry (many-file traces have 10^5–10^7 such maps); growth doubles.
    #[test]
    fn small_maps_stay_small() {
        assert_eq!(std::mem::size_of::<Chunk>(), 64);
        assert_eq!(std::mem::size_of::<ChunkMap>(), 64);
        let mut m = ChunkMap::default();
        m.insert(5, 1);
        m.insert(9, 2);
        assert_eq!((m.chunks.capacity(), m.dense.capacity()), (1, 1));
        m.insert(16 * 3 + 1, 3); // chunk 3
        assert_eq!((m.chunks.capacity(), m.dense.capacity()), (2, 4));
        m.insert(16 * 4, 4); // chunk 4: directory 5 of 8
        assert_eq!((m.chunks.capacity(), m.dense.capacity()), (4, 8));
    }

    #[test]
    fn dense_keys_iterate_in_order() {
        let mut m = ChunkMap::default();
        for k in [700u64, 3, 64, 65, 2] {
            m.insert(k, k as u32);
        }
        m.remove(64);
        let keys: Vec<u64> = m.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, vec![2, 3, 65, 700]);
        assert_eq!(m.get(64), None);
        assert_eq!(m.get(65), Some(65));
    }
}
