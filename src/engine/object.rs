//! `struct vm_object` (sys/vm/vm_object.h): the file's resident pages by index.
//!
//! Each object maps pindex → page slot with an Fx hash map (one probe per lookup, no
//! pointer chasing); pages themselves live in the global slab (`page.rs`).

use rustc_hash::FxHashMap;

/// Object flags (the subset that changes behaviour).
pub mod obj {
    /// Being terminated: faults fail, pageout requeues its dirty pages.
    pub const DEAD: u8 = 1 << 0;
    /// A page may have been dirtied through a writable mapping.
    pub const WRITEABLE: u8 = 1 << 1;
    /// Cleaning is a no-op without this.
    pub const MIGHTBEDIRTY: u8 = 1 << 2;
    /// The mount does not want msync (MNTK_NOMSYNC).
    pub const NOMSYNC: u8 = 1 << 3;
}

/// A vnode-backed VM object.
#[derive(Clone, Debug, Default)]
pub struct VmObject {
    /// The vnode this object pages for (`object->handle`).
    pub vnode: u32,
    /// Size in pages. vnode_pager_alloc rounds to the block straddling EOF, the seed's
    /// vnode_pager_setsize to the page (pager-model.md §6.5).
    pub size: u64,
    /// Mappings (and text references) only: a file used by read(2) alone has 0, which
    /// makes pageout ignore its references.
    pub ref_count: u32,
    pub flags: u8,
    /// Bumped whenever a page is added or removed (vm_object_page_clean reruns on it).
    pub generation: u32,
    pub resident: FxHashMap<u64, u32>,
    /// Live mappings of this object (indices into the simulator's mapping slab).
    pub maps: Vec<u32>,
}

impl VmObject {
    #[inline]
    pub fn lookup(&self, pindex: u64) -> Option<u32> {
        self.resident.get(&pindex).copied()
    }

    pub fn resident_page_count(&self) -> usize {
        self.resident.len()
    }
}
