//! Processes as the kernel shares them: fd tables, open file descriptions, mappings.
//!
//! An fd names an entry of its process's fd table; the entry refers to an open file
//! description, which holds the file offset. dup/dup2/dup3/fcntl(F_DUPFD) add entries
//! on the same description; fork copies the table (entries still share descriptions);
//! clone with CLONE_FILES shares the table itself; execve unshares it and drops
//! close-on-exec entries. Address spaces hold the file mappings, shared by CLONE_VM
//! (threads, vfork) and replaced by execve. Everything is by index with explicit
//! reference counts, so a description or mapping knows when its last user goes (its
//! file's name can then be reused, and a waiting open learns it will get no fstat).

use std::collections::BTreeMap;
use std::rc::Rc;

use rustc_hash::FxHashMap;

use super::emit::Key;
use super::files::{Files, InodeId};

pub type DescId = u32;
type TableId = u32;
type SpaceId = u32;

/// An open file description.
#[derive(Clone, Debug)]
pub struct Desc {
    /// The file, for regular files; `None` for pipes, sockets, directories, devices.
    pub inode: Option<InodeId>,
    /// The canonical path, when it is a file system object (directories too: `*at`
    /// calls resolve against it).
    pub path: Option<Rc<str>>,
    /// The file offset, when known.
    pub offset: Option<u64>,
    pub append: bool,
    /// The `open` row still waiting for this description's first fstat.
    pub waiting_open: Option<Key>,
    /// What it is, for counting calls skipped on it ("a pipe", "a socket", ...).
    pub class: &'static str,
    /// Fd table entries referring to it.
    fds: u32,
}

#[derive(Clone, Copy, Debug)]
struct FdEntry {
    desc: DescId,
    cloexec: bool,
}

#[derive(Debug, Default)]
struct FdTable {
    fds: FxHashMap<i64, FdEntry>,
    users: u32,
}

/// A file mapping piece: `[start, end)` of the address space shows `inode` from
/// `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    pub start: u64,
    pub end: u64,
    pub inode: InodeId,
    pub offset: u64,
    pub private: bool,
}

#[derive(Debug, Default)]
struct Space {
    /// By start address.
    maps: BTreeMap<u64, Piece>,
    users: u32,
}

#[derive(Debug)]
struct Proc {
    table: TableId,
    space: SpaceId,
    cwd: Option<Rc<str>>,
}

/// Every process, table, description and address space the log has shown.
#[derive(Debug, Default)]
pub struct World {
    pub files: Files,
    procs: FxHashMap<u32, Proc>,
    descs: FxHashMap<DescId, Desc>,
    tables: FxHashMap<TableId, FdTable>,
    spaces: FxHashMap<SpaceId, Space>,
    next: u32,
    /// Waiting opens whose description went away without an fstat: settle them
    /// (size unknown).
    pub unsettled: Vec<Key>,
}

impl World {
    pub fn new(files: Files) -> World {
        World {
            files,
            ..World::default()
        }
    }

    fn id(&mut self) -> u32 {
        self.next = self.next.wrapping_add(1);
        self.next
    }

    pub fn exists(&self, pid: u32) -> bool {
        self.procs.contains_key(&pid)
    }

    /// A process with an empty fd table and address space.
    pub fn spawn(&mut self, pid: u32) {
        if self.procs.contains_key(&pid) {
            return;
        }
        let t = self.id();
        self.tables.insert(
            t,
            FdTable {
                users: 1,
                ..FdTable::default()
            },
        );
        let s = self.id();
        self.spaces.insert(
            s,
            Space {
                users: 1,
                ..Space::default()
            },
        );
        self.procs.insert(
            pid,
            Proc {
                table: t,
                space: s,
                cwd: None,
            },
        );
    }

    /// `child` starts as a fork/clone of `parent`.
    pub fn fork(&mut self, parent: u32, child: u32, share_files: bool, share_vm: bool) {
        if self.procs.contains_key(&child) {
            return;
        }
        self.spawn(parent);
        let Some(p) = self.procs.get(&parent) else {
            return;
        };
        let (pt, ps, cwd) = (p.table, p.space, p.cwd.clone());
        let table = if share_files {
            if let Some(t) = self.tables.get_mut(&pt) {
                t.users += 1;
            }
            pt
        } else {
            self.copy_table(pt)
        };
        let space = if share_vm {
            if let Some(s) = self.spaces.get_mut(&ps) {
                s.users += 1;
            }
            ps
        } else {
            self.copy_space(ps)
        };
        self.procs.insert(child, Proc { table, space, cwd });
    }

    fn copy_table(&mut self, from: TableId) -> TableId {
        let fds = self
            .tables
            .get(&from)
            .map(|t| t.fds.clone())
            .unwrap_or_default();
        for e in fds.values() {
            if let Some(d) = self.descs.get_mut(&e.desc) {
                d.fds += 1;
            }
        }
        let id = self.id();
        self.tables.insert(id, FdTable { fds, users: 1 });
        id
    }

    fn copy_space(&mut self, from: SpaceId) -> SpaceId {
        let maps = self
            .spaces
            .get(&from)
            .map(|s| s.maps.clone())
            .unwrap_or_default();
        for p in maps.values() {
            self.files.hold(p.inode);
        }
        let id = self.id();
        self.spaces.insert(id, Space { maps, users: 1 });
        id
    }

    /// A successful execve: own fd table without close-on-exec entries, new empty
    /// address space.
    pub fn exec(&mut self, pid: u32) {
        self.spawn(pid);
        let Some(p) = self.procs.get(&pid) else {
            return;
        };
        let (t, s) = (p.table, p.space);
        let shared = self.tables.get(&t).is_some_and(|t| t.users > 1);
        let t = if shared {
            let copy = self.copy_table(t);
            self.leave_table(t);
            copy
        } else {
            t
        };
        let closing: Vec<i64> = self
            .tables
            .get(&t)
            .map(|tb| {
                tb.fds
                    .iter()
                    .filter(|(_, e)| e.cloexec)
                    .map(|(&fd, _)| fd)
                    .collect()
            })
            .unwrap_or_default();
        for fd in closing {
            if let Some(e) = self.tables.get_mut(&t).and_then(|tb| tb.fds.remove(&fd)) {
                self.unref_desc(e.desc);
            }
        }
        self.leave_space(s);
        let ns = self.id();
        self.spaces.insert(
            ns,
            Space {
                users: 1,
                ..Space::default()
            },
        );
        if let Some(p) = self.procs.get_mut(&pid) {
            p.table = t;
            p.space = ns;
        }
    }

    /// The process ended (or was superseded by another thread's execve).
    pub fn exit(&mut self, pid: u32) {
        if let Some(p) = self.procs.remove(&pid) {
            self.leave_table(p.table);
            self.leave_space(p.space);
        }
    }

    /// Give a process (known under a placeholder pid) its real pid.
    pub fn repid(&mut self, from: u32, to: u32) {
        if self.procs.contains_key(&to) {
            return;
        }
        if let Some(p) = self.procs.remove(&from) {
            self.procs.insert(to, p);
        }
    }

    fn leave_table(&mut self, t: TableId) {
        let Some(tb) = self.tables.get_mut(&t) else {
            return;
        };
        tb.users = tb.users.saturating_sub(1);
        if tb.users > 0 {
            return;
        }
        if let Some(tb) = self.tables.remove(&t) {
            for e in tb.fds.values() {
                self.unref_desc(e.desc);
            }
        }
    }

    fn leave_space(&mut self, s: SpaceId) {
        let Some(sp) = self.spaces.get_mut(&s) else {
            return;
        };
        sp.users = sp.users.saturating_sub(1);
        if sp.users > 0 {
            return;
        }
        if let Some(sp) = self.spaces.remove(&s) {
            for p in sp.maps.values() {
                self.files.release(p.inode);
            }
        }
    }

    pub fn cwd(&self, pid: u32) -> Option<Rc<str>> {
        self.procs.get(&pid).and_then(|p| p.cwd.clone())
    }

    pub fn set_cwd(&mut self, pid: u32, dir: &str) {
        if let Some(p) = self.procs.get_mut(&pid)
            && p.cwd.as_deref() != Some(dir)
        {
            p.cwd = Some(Rc::from(dir));
        }
    }

    // ---- descriptions and fds ----

    /// A new open file description (not yet in any table).
    pub fn new_desc(&mut self, inode: Option<InodeId>, path: Option<Rc<str>>) -> DescId {
        if let Some(i) = inode {
            self.files.hold(i);
        }
        let id = self.id();
        self.descs.insert(
            id,
            Desc {
                inode,
                path,
                offset: Some(0),
                append: false,
                waiting_open: None,
                class: if inode.is_some() {
                    "a file"
                } else {
                    "an fd of unknown kind"
                },
                fds: 0,
            },
        );
        id
    }

    pub fn desc(&self, id: DescId) -> Option<&Desc> {
        self.descs.get(&id)
    }

    pub fn desc_mut(&mut self, id: DescId) -> Option<&mut Desc> {
        self.descs.get_mut(&id)
    }

    /// The description behind `fd` of `pid`.
    pub fn fd(&self, pid: u32, fd: i64) -> Option<DescId> {
        let p = self.procs.get(&pid)?;
        self.tables.get(&p.table)?.fds.get(&fd).map(|e| e.desc)
    }

    /// Point `fd` of `pid` at `desc` (closing what it held).
    pub fn install(&mut self, pid: u32, fd: i64, desc: DescId, cloexec: bool) {
        self.spawn(pid);
        let Some(t) = self.procs.get(&pid).map(|p| p.table) else {
            return;
        };
        if let Some(d) = self.descs.get_mut(&desc) {
            d.fds += 1;
        }
        let old = self
            .tables
            .get_mut(&t)
            .and_then(|tb| tb.fds.insert(fd, FdEntry { desc, cloexec }));
        if let Some(old) = old {
            self.unref_desc(old.desc);
        }
    }

    /// Close `fd` of `pid`; whether it was open.
    pub fn close(&mut self, pid: u32, fd: i64) -> bool {
        let Some(t) = self.procs.get(&pid).map(|p| p.table) else {
            return false;
        };
        let old = self.tables.get_mut(&t).and_then(|tb| tb.fds.remove(&fd));
        match old {
            Some(e) => {
                self.unref_desc(e.desc);
                true
            }
            None => false,
        }
    }

    pub fn set_cloexec(&mut self, pid: u32, fd: i64, on: bool) {
        if let Some(t) = self.procs.get(&pid).map(|p| p.table)
            && let Some(e) = self.tables.get_mut(&t).and_then(|tb| tb.fds.get_mut(&fd))
        {
            e.cloexec = on;
        }
    }

    fn unref_desc(&mut self, id: DescId) {
        let Some(d) = self.descs.get_mut(&id) else {
            return;
        };
        d.fds = d.fds.saturating_sub(1);
        if d.fds > 0 {
            return;
        }
        if let Some(d) = self.descs.remove(&id) {
            if let Some(k) = d.waiting_open {
                self.unsettled.push(k);
            }
            if let Some(i) = d.inode {
                self.files.release(i);
            }
        }
    }

    // ---- mappings ----

    /// Map `[start, end)` of `pid` to `inode` at `offset` (after unmapping the range).
    pub fn map(&mut self, pid: u32, piece: Piece) {
        let removed = self.unmap(pid, piece.start, piece.end);
        self.drop_pieces(&removed);
        self.spawn(pid);
        let Some(s) = self.procs.get(&pid).map(|p| p.space) else {
            return;
        };
        self.files.hold(piece.inode);
        if let Some(sp) = self.spaces.get_mut(&s) {
            sp.maps.insert(piece.start, piece);
        }
    }

    /// Take `[start, end)` out of `pid`'s address space; the file pieces that were in
    /// it, clipped to it. Their references are still held: pass them to
    /// [`World::drop_pieces`] once rows are made.
    pub fn unmap(&mut self, pid: u32, start: u64, end: u64) -> Vec<Piece> {
        let mut out = Vec::new();
        let Some(s) = self.procs.get(&pid).map(|p| p.space) else {
            return out;
        };
        let Some(sp) = self.spaces.get_mut(&s) else {
            return out;
        };
        let hit: Vec<u64> = sp
            .maps
            .range(..end)
            .filter(|(_, p)| p.end > start)
            .map(|(&k, _)| k)
            .collect();
        for k in hit {
            let Some(p) = sp.maps.remove(&k) else {
                continue;
            };
            let lo = p.start.max(start);
            let hi = p.end.min(end);
            out.push(Piece {
                start: lo,
                end: hi,
                offset: p.offset.saturating_add(lo - p.start),
                ..p
            });
            if p.start < lo {
                sp.maps.insert(p.start, Piece { end: lo, ..p });
                self.files.hold(p.inode);
            }
            if hi < p.end {
                sp.maps.insert(
                    hi,
                    Piece {
                        start: hi,
                        offset: p.offset.saturating_add(hi - p.start),
                        ..p
                    },
                );
                self.files.hold(p.inode);
            }
        }
        out
    }

    /// Release the references of pieces [`World::unmap`] handed out.
    pub fn drop_pieces(&mut self, pieces: &[Piece]) {
        for p in pieces {
            self.files.release(p.inode);
        }
    }

    /// The file pieces overlapping `[start, end)`, clipped, without removing them.
    pub fn pieces(&self, pid: u32, start: u64, end: u64) -> Vec<Piece> {
        let Some(sp) = self.procs.get(&pid).and_then(|p| self.spaces.get(&p.space)) else {
            return Vec::new();
        };
        sp.maps
            .range(..end)
            .filter(|(_, p)| p.end > start)
            .map(|(_, p)| {
                let lo = p.start.max(start);
                Piece {
                    start: lo,
                    end: p.end.min(end),
                    offset: p.offset.saturating_add(lo - p.start),
                    ..*p
                }
            })
            .collect()
    }

    /// The file piece holding address `addr` of `pid`.
    pub fn piece_at(&self, pid: u32, addr: u64) -> Option<Piece> {
        let sp = self
            .procs
            .get(&pid)
            .and_then(|p| self.spaces.get(&p.space))?;
        let (_, p) = sp.maps.range(..=addr).next_back()?;
        (addr < p.end).then_some(*p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::strace::files::{Kind, NameRule};

    fn world_with_file() -> (World, InodeId) {
        let mut w = World::new(Files::new(NameRule::Stable));
        let f = w.files.create(&Rc::from("/f"), Kind::Regular);
        w.spawn(1);
        (w, f)
    }

    #[test]
    fn dup_fork_clone_and_exec_share_like_the_kernel() {
        let (mut w, f) = world_with_file();
        let d = w.new_desc(Some(f), Some(Rc::from("/f")));
        w.install(1, 3, d, false);
        w.install(1, 4, d, true);
        w.fork(1, 2, false, false);
        w.fork(1, 3, true, true);
        assert_eq!(w.fd(2, 3), Some(d));
        // A copied table: closing in the child leaves the parent alone.
        assert!(w.close(2, 3));
        assert_eq!(w.fd(1, 3), Some(d));
        // A shared table: closing in the thread closes for the parent too.
        assert!(w.close(3, 3));
        assert_eq!(w.fd(1, 3), None);
        assert_eq!(w.fd(1, 4), Some(d));
        // execve drops close-on-exec fds; the description lives on in pid 2.
        w.exec(1);
        assert_eq!(w.fd(1, 4), None);
        assert_eq!(
            w.fd(3, 4),
            Some(d),
            "the thread's table is no longer shared"
        );
        w.exit(3);
        assert_eq!(w.fd(2, 4), Some(d));
        w.exit(2);
        assert!(w.desc(d).is_none());
        assert_eq!(w.files.get(f).refs, 0);
    }

    #[test]
    fn unmap_splits_and_clips() {
        let (mut w, f) = world_with_file();
        let p = Piece {
            start: 0x10000,
            end: 0x20000,
            inode: f,
            offset: 0x1000,
            private: true,
        };
        w.map(1, p);
        let out = w.unmap(1, 0x14000, 0x15000);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].start, out[0].end, out[0].offset),
            (0x14000, 0x15000, 0x5000)
        );
        w.drop_pieces(&out);
        assert_eq!(w.piece_at(1, 0x14800), None);
        assert_eq!(w.piece_at(1, 0x15000).map(|p| p.offset), Some(0x6000));
        assert_eq!(w.piece_at(1, 0x13fff).map(|p| p.offset), Some(0x1000));
        assert_eq!(w.files.get(f).refs, 2);
        assert_eq!(w.pieces(1, 0, u64::MAX).len(), 2);
        w.exec(1);
        assert_eq!(w.files.get(f).refs, 0);
    }
}
