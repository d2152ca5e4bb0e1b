//! File-name interning: every distinct `file` of a trace becomes a dense [`FileId`].
//!
//! The engine indexes per-file state (vnode, VM object, size) by `FileId` in plain
//! vectors, so names are hashed once per row here and never again. Ids are handed out in
//! first-appearance order, which makes them identical between the prescan pass and the
//! replay pass over the same trace (the replay reuses the prescan's table).

use std::hash::BuildHasher;
use std::sync::Arc;

use rustc_hash::FxBuildHasher;

use super::event::FileId;

/// The interned file names of one trace, with each file's initial size.
///
/// Cloning is free: the prescan, the binary reader and every configuration of a sweep
/// share one table (copied only if a holder changes it), since with a million files it
/// is the largest thing the trace layer keeps. The names lie back to back in one
/// string and the hash index holds only ids, so a file costs its name's bytes and
/// about 30 more (it was 130 with a map of owned names).
#[derive(Clone, Debug, Default)]
pub struct FileTable {
    t: Arc<Table>,
}

#[derive(Clone, Debug, Default)]
struct Table {
    /// Every name, in id order, back to back.
    text: String,
    /// Where name `i` ends in `text` (it starts where name `i - 1` ends).
    ends: Vec<usize>,
    /// Ids, found by the hash of their name.
    ids: hashbrown::HashTable<FileId>,
    /// Initial size per file; `None` = unknown, treat as unbounded (stdin traces).
    sizes: Vec<Option<u64>>,
    /// Whether the size came from a first `open` with a length.
    declared: Vec<bool>,
}

fn hash(name: &str) -> u64 {
    FxBuildHasher.hash_one(name)
}

impl Table {
    fn name(&self, id: FileId) -> Option<&str> {
        let i = id as usize;
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..end)
    }

    fn find(&self, name: &str) -> Option<FileId> {
        self.ids
            .find(hash(name), |&id| self.name(id) == Some(name))
            .copied()
    }
}

impl FileTable {
    /// An empty table.
    pub fn new() -> FileTable {
        FileTable::default()
    }

    /// The id of `name`, assigning the next id if the name is new. Allocates only for
    /// a new name (and then only as the table grows). A new file starts with an
    /// unknown size (`None`) until a prescan or an `open` with a length says otherwise.
    ///
    /// More than `u32::MAX` distinct names cannot be represented; the last id is then
    /// reused rather than panicking (no real trace comes near that).
    pub fn intern(&mut self, name: &str) -> FileId {
        if let Some(id) = self.t.find(name) {
            return id;
        }
        let Ok(id) = FileId::try_from(self.t.ends.len()) else {
            return FileId::MAX;
        };
        let t = Arc::make_mut(&mut self.t);
        t.text.push_str(name);
        t.ends.push(t.text.len());
        t.sizes.push(None);
        t.declared.push(false);
        let Table {
            text, ends, ids, ..
        } = t;
        let rehash = |&i: &FileId| {
            let i = i as usize;
            let start = if i == 0 { 0 } else { ends[i - 1] };
            hash(&text[start..ends[i]])
        };
        ids.insert_unique(hash(name), id, rehash);
        id
    }

    /// The id of `name`, if it was interned.
    pub fn get(&self, name: &str) -> Option<FileId> {
        self.t.find(name)
    }

    /// The name of `id` (empty string for an id this table never handed out).
    pub fn name(&self, id: FileId) -> &str {
        self.t.name(id).unwrap_or("")
    }

    /// Number of distinct files.
    pub fn len(&self) -> usize {
        self.t.ends.len()
    }

    /// Whether no file was interned.
    pub fn is_empty(&self) -> bool {
        self.t.ends.is_empty()
    }

    /// Iterate `(id, name)` in id order.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &str)> {
        (0..self.t.ends.len()).map(|i| (i as FileId, self.t.name(i as FileId).unwrap_or("")))
    }

    /// The size the file has when the replay starts (trace-format.md "File sizes"):
    /// the first `open` length, else the furthest byte read or faulted, else 0.
    /// `None` means unknown: the trace came from a pipe and the file is unbounded.
    pub fn initial_size(&self, id: FileId) -> Option<u64> {
        self.t.sizes.get(id as usize).copied().flatten()
    }

    /// Whether the initial size came from an `open` with a length (as opposed to being
    /// inferred from the accesses, or unknown).
    pub fn declared(&self, id: FileId) -> bool {
        self.t.declared.get(id as usize).copied().unwrap_or(false)
    }

    /// Set the initial size of `id` (used by the prescan).
    pub fn set_initial_size(&mut self, id: FileId, size: Option<u64>, declared: bool) {
        if id as usize >= self.t.ends.len() {
            return;
        }
        let t = Arc::make_mut(&mut self.t);
        if let (Some(s), Some(d)) = (
            t.sizes.get_mut(id as usize),
            t.declared.get_mut(id as usize),
        ) {
            *s = size;
            *d = declared;
        }
    }

    /// Record the length of an `open` of `id`: the first one declares the size, later
    /// ones change nothing. The reader calls this for every `open` with a length, so a
    /// trace read from a pipe (no prescan) still learns declared sizes as they come;
    /// after a prescan it is a no-op.
    pub fn note_open_length(&mut self, id: FileId, length: u64) {
        let i = id as usize;
        if self.t.declared.get(i) != Some(&false) {
            return;
        }
        let t = Arc::make_mut(&mut self.t);
        if let (Some(s), Some(d)) = (t.sizes.get_mut(i), t.declared.get_mut(i)) {
            *s = Some(length);
            *d = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_in_first_appearance_order() {
        let mut t = FileTable::new();
        assert!(t.is_empty());
        assert_eq!(t.intern("b"), 0);
        assert_eq!(t.intern("a"), 1);
        assert_eq!(t.intern("b"), 0);
        assert_eq!(t.intern("c,d"), 2);
        assert_eq!(t.len(), 3);
        assert_eq!(t.get("a"), Some(1));
        assert_eq!(t.get("zz"), None);
        assert_eq!(t.name(2), "c,d");
        assert_eq!(t.name(99), "");
        let v: Vec<_> = t.iter().collect();
        assert_eq!(v, vec![(0, "b"), (1, "a"), (2, "c,d")]);
    }

    /// Names that run into each other in the one string stay apart: prefixes, a name
    /// equal to two others joined, and enough names for the index to grow many times.
    #[test]
    fn names_back_to_back_stay_apart() {
        let mut t = FileTable::new();
        for (i, n) in ["ab", "a", "b", "abb", "bab"].iter().enumerate() {
            assert_eq!(t.intern(n), i as FileId);
        }
        assert_eq!(t.get("abab"), None);
        assert_eq!(t.get("ba"), None);
        assert_eq!((t.name(0), t.name(3), t.name(4)), ("ab", "abb", "bab"));
        for i in 0..20_000u32 {
            assert_eq!(t.intern(&format!("d/{i}")), i + 5);
        }
        for i in (0..20_000u32).step_by(997) {
            assert_eq!(t.get(&format!("d/{i}")), Some(i + 5));
            assert_eq!(t.name(i + 5), format!("d/{i}"));
        }
        assert_eq!(t.len(), 20_005);
        assert_eq!(t.iter().nth(3), Some((3, "abb")));
    }

    /// A clone shares the table until one side changes it; the other keeps its view.
    #[test]
    fn clones_share_until_changed() {
        let mut a = FileTable::new();
        a.intern("x");
        let mut b = a.clone();
        assert!(Arc::ptr_eq(&a.t, &b.t));
        b.intern("x");
        assert!(Arc::ptr_eq(&a.t, &b.t), "a hit changes nothing");
        b.note_open_length(0, 5);
        assert!(!Arc::ptr_eq(&a.t, &b.t));
        assert_eq!((a.initial_size(0), b.initial_size(0)), (None, Some(5)));
        b.intern("y");
        assert_eq!((a.len(), b.len()), (1, 2));
    }

    #[test]
    fn sizes() {
        let mut t = FileTable::new();
        let a = t.intern("a");
        assert_eq!(t.initial_size(a), None);
        assert!(!t.declared(a));
        t.note_open_length(a, 100);
        assert_eq!(t.initial_size(a), Some(100));
        assert!(t.declared(a));
        t.note_open_length(a, 200);
        assert_eq!(t.initial_size(a), Some(100));
        let b = t.intern("b");
        t.set_initial_size(b, Some(0), false);
        assert_eq!(t.initial_size(b), Some(0));
        assert!(!t.declared(b));
        assert_eq!(t.initial_size(7), None);
        assert!(!t.declared(7));
        t.set_initial_size(7, Some(1), true); // ignored, no panic
        t.note_open_length(7, 1);
    }
}
