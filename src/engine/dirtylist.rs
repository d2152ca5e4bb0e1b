//! The vnodes that may hold dirty data: what the kernel's mount-wide scans
//! (`vfs_msync`, `VFS_SYNC`, a flusher's pass over its dirty inodes) would find work
//! in. The kernel walks every vnode of the mount; here only the ones that were dirtied
//! are kept, in vnode order, so a pass over 200 000 mostly clean files costs what the
//! dirty ones cost and the visiting order (and so every result) is the same as a walk
//! over all of them.
//!
//! A vnode joins the list when a page or buffer of it is dirtied and leaves it lazily,
//! when a scan passes it and finds nothing a flusher could still act on.

use super::Simulator;
use super::page::NIL;

impl Simulator {
    /// Vnode `vn` has just been dirtied (a page via `vm_page_dirty`, a buffer via
    /// `bdirty`): make sure the scans will visit it.
    #[inline]
    pub(crate) fn vnode_dirtied(&mut self, vn: u32) {
        let v = &mut self.vnodes[vn as usize];
        if !v.on_dirty_list {
            v.on_dirty_list = true;
            self.dirty_vnodes.insert(vn);
        }
    }

    /// Set or clear `VOBJDIRTY` on `vn`, keeping the count `anything_dirty` reads.
    #[inline]
    pub(crate) fn set_obj_dirty(&mut self, vn: u32, on: bool) {
        let v = &mut self.vnodes[vn as usize];
        if v.obj_dirty != on {
            v.obj_dirty = on;
            if on {
                self.obj_dirty_count += 1;
            } else {
                self.obj_dirty_count -= 1;
            }
        }
    }

    /// The first vnode at or after `from` that may hold dirty data, in vnode order.
    /// Vnodes passed on the way that hold nothing a scan could act on leave the list.
    /// A scan is `let mut at = 0; while let Some(vn) = self.next_dirty_vnode(at) { at =
    /// vn + 1; ... }`: vnodes dirtied during the scan are still visited if they come
    /// later, as in a walk over every vnode.
    pub(crate) fn next_dirty_vnode(&mut self, from: u32) -> Option<u32> {
        let mut from = from;
        loop {
            let vn = *self.dirty_vnodes.range(from..).next()?;
            let v = &self.vnodes[vn as usize];
            // The age a sync policy keeps counts as state: its flusher clears it when
            // it visits a vnode it finds clean.
            let age_kept = !self.sync_kernel && v.dirtied_at.is_some();
            let done = v.object == NIL || (!v.obj_dirty && v.dirty_bufs == 0 && !age_kept);
            if !done {
                return Some(vn);
            }
            self.dirty_vnodes.remove(&vn);
            self.vnodes[vn as usize].on_dirty_list = false;
            from = vn + 1;
        }
    }

    /// Whether any buffer or object is dirty (the syncer vnode or a flusher may have
    /// work).
    pub(crate) fn anything_dirty(&self) -> bool {
        self.bufs.dirtybufcount > 0 || self.obj_dirty_count > 0
    }
}
