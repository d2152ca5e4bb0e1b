//! `struct vnode` (sys/sys/vnode.h) and the UFS block map behind `VOP_BMAP`.
//!
//! The on-disk layout is an input the traces do not carry (pager-model.md §13), so
//! vpsim assumes what a fresh FFS would do: a file's existing blocks are allocated
//! contiguously when the file is first seen, files one after another on the disk;
//! blocks added later go to the allocation cursor and join the file's last extent when
//! they land right after it. Blocks inside the file size but never allocated are holes
//! (a truncate that grows a file makes them): reading them costs no device I/O.

pub use super::extents::{Extent, ExtentMap};

/// `v_filesize` once the pager is deallocated.
pub const NOOFFSET: u64 = u64::MAX;

/// Size given to files whose size is unknown (trace read from a pipe): effectively
/// unbounded, yet far from overflow in offset arithmetic.
pub const UNBOUNDED_SIZE: u64 = 1 << 62;

/// The largest file the model supports (`fs_maxfilesize`), 4 EiB: initial sizes are
/// clamped to it, writes and truncates past it fail with EFBIG as in `ffs_write` and
/// `ffs_truncate`, and byte positions past it (past every EOF) are clamped just beyond
/// it, so page, block and disk arithmetic keeps 2^62 bytes of headroom below u64::MAX.
pub const MAX_FILE_SIZE: u64 = UNBOUNDED_SIZE;

/// Disk addresses stay below this: with files of at most [`MAX_FILE_SIZE`], an extent's
/// end (`disk + blocks·bsize`) can never overflow.
pub const DISK_SPAN: u64 = 1 << 63;

/// UFS direct blocks: only a file whose last block is one of these can end in a fragment.
pub const NDADDR: u64 = 12;

/// The next free disk byte: files and later growth are laid down in allocation order.
#[derive(Clone, Debug, Default)]
pub struct DiskAlloc {
    pub cursor: u64,
}

impl DiskAlloc {
    pub fn alloc(&mut self, bytes: u64) -> u64 {
        let bytes = bytes.min(DISK_SPAN);
        if self.cursor > DISK_SPAN - bytes {
            // The disk is full (only traces declaring several files of exabytes get
            // here): allocate from the start again. Locations then overlap, which only
            // changes seek distances.
            self.cursor = 0;
        }
        let at = self.cursor;
        self.cursor += bytes;
        at
    }
}

/// One file's vnode.
#[derive(Clone, Debug)]
pub struct Vnode {
    pub file: u32,
    /// The VM object, or NIL before `vnode_pager_alloc` / after dealloc.
    pub object: u32,
    pub v_filesize: u64,
    /// The size is unknown (pipe input): blocks exist wherever they are read.
    pub unbounded: bool,
    /// Logical block → extent of physically contiguous blocks.
    pub extents: ExtentMap,
    /// Open files and mappings referring to this vnode (for unlink).
    pub refs: u32,
    pub unlinked: bool,
    /// VOBJDIRTY: the object might have dirty pages.
    pub obj_dirty: bool,
    /// Dirty (B_DELWRI) buffers of this vnode; the vnode is on the syncer wheel while
    /// this is non-zero.
    pub dirty_bufs: u32,
    /// Write clustering state (B4), in bytes: logical offset of the last write, its disk
    /// offset, the cluster start, and how far the cluster may still grow.
    pub v_lastw: u64,
    pub v_lasta: u64,
    pub v_cstart: u64,
    pub v_clen: u64,
    /// Where the last lazy (syncer) flush stopped.
    pub v_lazyw: u64,
    /// Second at which the syncer next visits this vnode, if it is on the wheel.
    pub syncer_due: Option<u64>,
    /// Bytes per logical block (to split extents).
    pub block_bytes: u64,
    /// When the vnode last went from clean to dirty (for age-based writeback).
    pub dirtied_at: Option<u64>,
    /// On the simulator's list of vnodes that may hold dirty data (`dirtylist`).
    pub on_dirty_list: bool,
    /// `VAGE0|VAGE1` as a 2-bit count: 3 when allocated, one less per `VOP_OPEN`;
    /// vnlru recycles files opened fewer times first (`vmightfree`).
    pub vage: u8,
    /// `VFREE`: inactive with no pages or buffers, on the free list (`vnlru`).
    pub free: bool,
    /// `VRECLAIMED`: vgone'd; the slot holds no file until allocvnode reuses it.
    pub reclaimed: bool,
    /// Bumped each time the slot gets a new identity, so the mount list can drop
    /// stale entries lazily.
    pub vgen: u32,
    /// Bumped each time the vnode joins the free list, for the same on that list.
    pub fgen: u32,
    /// The dead object of the file this slot held before, reused by the next one.
    pub spare_object: u32,
}

impl Vnode {
    pub fn new(file: u32, size: Option<u64>) -> Vnode {
        Vnode {
            file,
            object: u32::MAX,
            v_filesize: size.unwrap_or(UNBOUNDED_SIZE),
            unbounded: size.is_none(),
            extents: ExtentMap::Empty,
            refs: 0,
            unlinked: false,
            obj_dirty: false,
            dirty_bufs: 0,
            v_lastw: 0,
            v_lasta: 0,
            v_cstart: 0,
            v_clen: 0,
            v_lazyw: 0,
            syncer_due: None,
            block_bytes: 16384,
            dirtied_at: None,
            on_dirty_list: false,
            vage: 3,
            free: false,
            reclaimed: false,
            vgen: 0,
            fgen: 0,
            spare_object: u32::MAX,
        }
    }

    /// The extent holding `lblk`, if allocated.
    pub fn extent_of(&self, lblk: u64) -> Option<(u64, Extent)> {
        let (start, ext) = self.extents.floor(lblk)?;
        (lblk < start + ext.blocks).then_some((start, ext))
    }

    /// `VOP_BMAP`: disk offset of `lblk` and the bytes physically contiguous from it
    /// (itself included), at most `maxrun` blocks; `None` for a hole.
    pub fn bmap(&self, lblk: u64, bsize: u64, maxrun: u64) -> Option<(u64, u64)> {
        let (start, ext) = self.extent_of(lblk)?;
        let idx = lblk - start;
        let run = (ext.blocks - idx).min(maxrun.max(1));
        Some((ext.disk + idx * bsize, run * bsize))
    }

    /// Allocate blocks `[lblk, lblk+n)` at the disk cursor (`VOP_BALLOC`), joining the
    /// previous extent when the cursor is right after it.
    pub fn allocate(&mut self, lblk: u64, n: u64, bsize: u64, disk: &mut DiskAlloc) {
        if n == 0 {
            return;
        }
        self.block_bytes = bsize;
        let at = disk.alloc(n * bsize);
        if let Some((start, ext)) = self.extent_of(lblk.wrapping_sub(1))
            && start + ext.blocks == lblk
            && ext.disk + ext.blocks * bsize == at
        {
            if let Some(e) = self.extents.get_mut(start) {
                e.blocks += n;
            }
            return;
        }
        self.extents.insert(
            lblk,
            Extent {
                blocks: n,
                disk: at,
            },
        );
    }

    /// Forget blocks at or past `lblk` (truncation frees them).
    pub fn free_from(&mut self, lblk: u64) {
        self.free_from_range(lblk, u64::MAX - lblk);
    }

    /// Forget blocks `[lblk, lblk+n)`, splitting extents as needed.
    pub fn free_from_range(&mut self, lblk: u64, n: u64) {
        let end = lblk.saturating_add(n);
        for k in self.extents.overlapping(lblk, end) {
            let Some(e) = self.extents.remove(k) else {
                continue;
            };
            if k < lblk {
                self.extents.insert(
                    k,
                    Extent {
                        blocks: lblk - k,
                        disk: e.disk,
                    },
                );
            }
            let ext_end = k + e.blocks;
            if ext_end > end {
                // Disk addresses advance by one block per logical block.
                self.extents.insert(
                    end,
                    Extent {
                        blocks: ext_end - end,
                        disk: e.disk + (end - k) * self.block_bytes,
                    },
                );
            }
        }
    }

    /// UFS `blksize()`: the buffer size of logical block `lblk` — a full block, except
    /// that the last block of a small file (within the direct blocks) is a fragment.
    pub fn blksize(&self, lblk: u64, bsize: u64) -> u64 {
        let size = self.v_filesize;
        if lblk >= NDADDR || size >= (lblk + 1).saturating_mul(bsize) {
            return bsize;
        }
        let frag = bsize / 8;
        let rem = size.saturating_sub(lblk * bsize);
        rem.div_ceil(frag).max(1) * frag
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmap_runs_and_holes() {
        let mut d = DiskAlloc::default();
        let mut v = Vnode::new(0, Some(10 * 16384));
        v.allocate(0, 10, 16384, &mut d);
        assert_eq!(v.bmap(0, 16384, 8), Some((0, 8 * 16384)));
        assert_eq!(v.bmap(7, 16384, 8), Some((7 * 16384, 3 * 16384)));
        assert_eq!(v.bmap(10, 16384, 8), None);
        // growth right after the cursor joins the extent
        v.allocate(10, 2, 16384, &mut d);
        assert_eq!(v.extents.len(), 1);
        // another file allocates, then growth lands elsewhere
        let mut w = Vnode::new(1, Some(16384));
        w.allocate(0, 1, 16384, &mut d);
        v.allocate(12, 1, 16384, &mut d);
        assert_eq!(v.extents.len(), 2);
        assert_eq!(v.bmap(11, 16384, 8), Some((11 * 16384, 16384)));
        v.free_from_range(2, 1);
        assert_eq!(v.bmap(1, 16384, 8), Some((16384, 16384)));
        assert_eq!(v.bmap(2, 16384, 8), None);
        assert_eq!(v.bmap(3, 16384, 8), Some((3 * 16384, 8 * 16384)));
        v.free_from(5);
        assert_eq!(v.bmap(4, 16384, 8), Some((4 * 16384, 16384)));
        assert_eq!(v.bmap(5, 16384, 8), None);
        assert_eq!(v.bmap(12, 16384, 8), None);
    }

    #[test]
    fn fragments_only_in_direct_blocks() {
        let v = Vnode::new(0, Some(10000));
        assert_eq!(v.blksize(0, 16384), 10240); // 5 fragments of 2 KiB
        let big = Vnode::new(0, Some(12 * 16384 + 100));
        assert_eq!(big.blksize(12, 16384), 16384);
        assert_eq!(big.blksize(3, 16384), 16384);
    }
}
