//! Which vnode an op of the trace reaches. The trace names files, but after `unlink`
//! a name and a file part: open files and mappings keep the old vnode alive (and
//! reach it) while the name, once re-created, refers to a new file. An op is resolved
//! as the kernel would reach it: through the pid's open file (fsync, ftruncate, mmap),
//! through its mapping (faults, msync, munmap), else through the name (`namei`).
//!
//! Unlinked vnodes still referenced are kept per file name (`orphans`); while there
//! are none — nearly always — every op takes the name's vnode with no extra lookup.

use super::Simulator;
use super::page::NIL;

impl Simulator {
    /// The unlinked, still referenced vnode that (pid, file)'s open file refers to.
    pub(crate) fn orphan_by_fd(&self, pid: u32, file: u32) -> Option<u32> {
        if self.orphans.is_empty() || !self.orphans.contains_key(&file) {
            return None;
        }
        let &i = self.files.get(&(pid, file))?;
        let vn = self.open_files[i as usize].vnode;
        let v = &self.vnodes[vn as usize];
        (v.unlinked && v.object != NIL).then_some(vn)
    }

    /// The unlinked, still referenced vnode a mapping op of pid on pages
    /// `[start, end)` of `file` reaches: the name's current file wins when the pid maps
    /// those pages of it; else the newest unlinked file the pid maps there; else (with
    /// `by_fd`) the one its open file refers to; else, when the name has no file now,
    /// the newest unlinked file any process maps there (a child inherits mappings).
    pub(crate) fn orphan_by_map(
        &self,
        pid: u32,
        file: u32,
        start: u64,
        end: u64,
        by_fd: bool,
    ) -> Option<u32> {
        if self.orphans.is_empty() {
            return None;
        }
        let list = self.orphans.get(&file)?;
        let cur = self.file_vnode.get(file as usize).copied().unwrap_or(NIL);
        let cur_live = cur != NIL && !self.vnodes[cur as usize].unlinked;
        if cur_live && self.maps_range(cur, Some(pid), start, end) {
            return None;
        }
        let newest = |who: Option<u32>| {
            list.iter()
                .rev()
                .copied()
                .find(|&vn| self.maps_range(vn, who, start, end))
        };
        if let Some(vn) = newest(Some(pid)) {
            return Some(vn);
        }
        if by_fd && let Some(vn) = self.orphan_by_fd(pid, file) {
            return Some(vn);
        }
        if !cur_live {
            return newest(None);
        }
        None
    }

    /// Whether an explicit mapping of `vn` (of process `pid`, or of any) overlaps
    /// pages `[start, end)`.
    fn maps_range(&self, vn: u32, pid: Option<u32>, start: u64, end: u64) -> bool {
        let object = self.vnodes[vn as usize].object;
        if object == NIL {
            return false;
        }
        self.objects[object as usize].maps.iter().any(|&id| {
            let mp = &self.maps[id as usize];
            !mp.implicit && pid.is_none_or(|p| mp.pid == p) && mp.start < end && start < mp.end
        })
    }

    /// `unlink` of a vnode that is still referenced: it lives on, reachable through
    /// its open files and mappings only.
    pub(crate) fn orphan_add(&mut self, file: u32, vn: u32) {
        self.orphans.entry(file).or_default().push(vn);
    }

    /// The last reference to an unlinked vnode went.
    pub(crate) fn orphan_remove(&mut self, file: u32, vn: u32) {
        if let Some(list) = self.orphans.get_mut(&file) {
            list.retain(|&x| x != vn);
            if list.is_empty() {
                self.orphans.remove(&file);
            }
        }
    }
}
