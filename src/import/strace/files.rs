//! Files as the kernel sees them: one identity per inode, found by path.
//!
//! strace shows paths, but the pager caches inodes: a lock file written and renamed
//! over `config` is, afterwards, `config`. So each file the log shows gets an
//! [`Inode`] here, looked up by its canonical path (the `-y` path of the fd, which has
//! symlinks resolved; without `-y` the path as given, made absolute with the cwd the
//! log shows). Renames move the inode to its new path, unlinks detach it. Sizes are
//! kept per inode (from stats, writes and truncates) so an `open` row can say the size.
//!
//! Trace names follow [`NameRule`]. With `Stable` (the default), a file keeps the name
//! of its first row for life, whatever it is renamed to, and a new file at a path whose
//! name is still held by a live renamed file gets `path#2` (then `#3`, ...). A name is
//! free again once its file is unlinked (or replaced by a rename) and nothing holds it
//! open or mapped: the engine starts a fresh vnode for a name re-used after `unlink`.

use std::rc::Rc;

use rustc_hash::FxHashMap;

/// Index of an [`Inode`].
pub type InodeId = u32;

/// How rows name files (the docs are `--names`' help; the module docs say more).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum NameRule {
    /// A file keeps the name of its first row across renames.
    // The target a rename replaces gets an `unlink` row.
    #[default]
    Stable,
    /// Rows name files by their path at that moment.
    // As strace `-y` shows it; a rename emits nothing (what the independent
    // reference converter did).
    Current,
}

/// What kind of file an inode is, as far as the log tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Regular,
    /// A directory, device, fifo, socket or anything else that is not a regular file.
    Other,
}

/// One file.
#[derive(Debug)]
pub struct Inode {
    /// Its path now (`None` once unlinked or renamed over).
    pub path: Option<Rc<str>>,
    /// The trace name, fixed at its first row (Stable) or its path (Current).
    name: Option<Rc<str>>,
    pub kind: Kind,
    /// Size in bytes, when known.
    pub size: Option<u64>,
    /// Open file descriptions and mapping pieces referring to it.
    pub refs: u32,
    /// Unlinked (or replaced by a rename): its name frees when `refs` drops to 0.
    pub gone: bool,
}

/// All inodes and the path and name indexes.
#[derive(Debug, Default)]
pub struct Files {
    pub rule: NameRule,
    inodes: Vec<Inode>,
    by_path: FxHashMap<Rc<str>, InodeId>,
    /// Path as a program gave it (made absolute) → canonical path, where they differ.
    aliases: FxHashMap<String, Rc<str>>,
    /// Names held by a live inode (Stable rule).
    owners: FxHashMap<Rc<str>, InodeId>,
}

/// Paths that are never regular files worth simulating (a relative path, known only
/// when the log does not show the cwd, is taken for a file).
pub fn special_path(p: &str) -> bool {
    p.starts_with("/dev/")
        || p == "/dev"
        || p.starts_with("/proc/")
        || p == "/proc"
        || p.starts_with("/sys/")
        || p == "/sys"
        || p.starts_with("/memfd:")
}

/// The path inside a `-y` annotation: `None` for pipes, sockets, anon inodes and
/// anything else that is not a file system path. `" (deleted)"` is dropped so an
/// unlinked-but-open file keeps its name; `-yy` device details (`<char 1:3>`) too.
pub fn annot_path(annot: &str) -> Option<String> {
    if !annot.starts_with('/') {
        return None;
    }
    let mut p = annot;
    if let Some(lt) = p.find('<') {
        p = &p[..lt];
    }
    let p = p.strip_suffix(" (deleted)").unwrap_or(p);
    Some(super::values::unescape(p))
}

/// `path` made absolute against `dir` (when relative and `dir` is known) and
/// normalised (`.`, `..`, repeated `/`).
pub fn resolve(dir: Option<&str>, path: &str) -> String {
    let joined;
    let full = if path.starts_with('/') {
        path
    } else if let Some(d) = dir {
        joined = format!("{d}/{path}");
        &joined
    } else {
        return path.to_string();
    };
    let mut parts: Vec<&str> = Vec::new();
    for c in full.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = String::with_capacity(full.len());
    for c in &parts {
        out.push('/');
        out.push_str(c);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

impl Files {
    pub fn new(rule: NameRule) -> Files {
        Files {
            rule,
            ..Files::default()
        }
    }

    pub fn get(&self, id: InodeId) -> &Inode {
        &self.inodes[id as usize]
    }

    pub fn get_mut(&mut self, id: InodeId) -> &mut Inode {
        &mut self.inodes[id as usize]
    }

    /// The canonical form of a path a program gave (after [`resolve`]).
    pub fn canonical(&self, abs: &str) -> Rc<str> {
        match self.aliases.get(abs) {
            Some(c) => Rc::clone(c),
            None => Rc::from(abs),
        }
    }

    /// Remember that the program's `given` path is the file the kernel calls `canon`.
    pub fn alias(&mut self, given: &str, canon: &Rc<str>) {
        if given != &**canon && given.starts_with('/') {
            self.aliases.insert(given.to_string(), Rc::clone(canon));
        }
    }

    /// The inode at canonical path `path`, if one is known.
    pub fn at(&self, path: &str) -> Option<InodeId> {
        self.by_path.get(path).copied()
    }

    /// The inode at `path`, created (kind `kind`, size unknown) if none is known.
    pub fn at_or_new(&mut self, path: &Rc<str>, kind: Kind) -> InodeId {
        if let Some(id) = self.at(path) {
            return id;
        }
        self.create(path, kind)
    }

    /// A new inode at `path`; whatever was there before is detached (gone).
    pub fn create(&mut self, path: &Rc<str>, kind: Kind) -> InodeId {
        if let Some(old) = self.by_path.remove(path) {
            self.detach(old);
        }
        let id = self.inodes.len() as InodeId;
        self.inodes.push(Inode {
            path: Some(Rc::clone(path)),
            name: None,
            kind,
            size: None,
            refs: 0,
            gone: false,
        });
        self.by_path.insert(Rc::clone(path), id);
        id
    }

    /// The trace name of `id`, fixing it now if this is its first row.
    pub fn name(&mut self, id: InodeId) -> Rc<str> {
        let rule = self.rule;
        let ino = &mut self.inodes[id as usize];
        if rule == NameRule::Current
            && let Some(p) = &ino.path
        {
            if ino.name.as_ref() != Some(p) {
                ino.name = Some(Rc::clone(p));
            }
            return Rc::clone(p);
        }
        if let Some(n) = &ino.name {
            return Rc::clone(n);
        }
        let base: Rc<str> = match &ino.path {
            Some(p) => Rc::clone(p),
            None => Rc::from("(unnamed)"),
        };
        let name = if rule == NameRule::Current {
            base
        } else {
            let mut candidate = Rc::clone(&base);
            let mut n = 2u32;
            while self.owners.get(&candidate).is_some_and(|&o| o != id) {
                candidate = Rc::from(format!("{base}#{n}"));
                n += 1;
            }
            self.owners.insert(Rc::clone(&candidate), id);
            candidate
        };
        self.inodes[id as usize].name = Some(Rc::clone(&name));
        name
    }

    /// Whether `id` has had a row (so the trace knows it by a name).
    pub fn named(&self, id: InodeId) -> bool {
        self.inodes[id as usize].name.is_some()
    }

    /// Take a reference (an open file description or a mapping piece).
    pub fn hold(&mut self, id: InodeId) {
        self.inodes[id as usize].refs += 1;
    }

    /// Drop a reference; a gone inode's name frees with its last one.
    pub fn release(&mut self, id: InodeId) {
        let ino = &mut self.inodes[id as usize];
        ino.refs = ino.refs.saturating_sub(1);
        if ino.refs == 0 && ino.gone {
            self.free_name(id);
        }
    }

    /// The path of `id` goes (unlinked, replaced, or found stale).
    pub fn detach(&mut self, id: InodeId) {
        let ino = &mut self.inodes[id as usize];
        if let Some(p) = ino.path.take()
            && self.by_path.get(&p) == Some(&id)
        {
            self.by_path.remove(&p);
        }
        let ino = &mut self.inodes[id as usize];
        ino.gone = true;
        if ino.refs == 0 {
            self.free_name(id);
        }
    }

    fn free_name(&mut self, id: InodeId) {
        if let Some(n) = &self.inodes[id as usize].name
            && self.owners.get(n) == Some(&id)
        {
            self.owners.remove(n);
        }
    }

    /// `rename(from, to)` on canonical paths. Returns the inode the rename replaced
    /// (it is detached: its name goes), if one was known.
    pub fn rename(&mut self, from: &Rc<str>, to: &Rc<str>) -> Option<InodeId> {
        let moving = self.by_path.remove(from);
        let replaced = self.by_path.remove(to).filter(|&r| Some(r) != moving);
        if let Some(r) = replaced {
            self.inodes[r as usize].path = None;
            self.detach(r);
        }
        match moving {
            Some(m) => {
                self.inodes[m as usize].path = Some(Rc::clone(to));
                self.by_path.insert(Rc::clone(to), m);
            }
            None => {
                // A directory (or an unknown file): move everything below it.
                let prefix = format!("{from}/");
                let below: Vec<Rc<str>> = self
                    .by_path
                    .keys()
                    .filter(|k| k.starts_with(&prefix))
                    .cloned()
                    .collect();
                for old in below {
                    if let Some(id) = self.by_path.remove(&old) {
                        let new: Rc<str> = Rc::from(format!("{to}/{}", &old[prefix.len()..]));
                        self.inodes[id as usize].path = Some(Rc::clone(&new));
                        self.by_path.insert(new, id);
                    }
                }
            }
        }
        // Aliases of the old path would point at the wrong file now.
        let below = format!("{from}/");
        self.aliases
            .retain(|_, c| **c != **from && !c.starts_with(&below));
        replaced
    }

    /// `renameat2(..., RENAME_EXCHANGE)`: the two paths swap files.
    pub fn exchange(&mut self, a: &Rc<str>, b: &Rc<str>) {
        let ia = self.by_path.remove(a);
        let ib = self.by_path.remove(b);
        if let Some(i) = ia {
            self.inodes[i as usize].path = Some(Rc::clone(b));
            self.by_path.insert(Rc::clone(b), i);
        }
        if let Some(i) = ib {
            self.inodes[i as usize].path = Some(Rc::clone(a));
            self.by_path.insert(Rc::clone(a), i);
        }
    }

    /// `unlink(path)` on a canonical path: the inode it detached, if known.
    pub fn unlink(&mut self, path: &str) -> Option<InodeId> {
        let id = self.at(path)?;
        self.detach(id);
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(resolve(Some("/a/b"), "./c/../d//e"), "/a/b/d/e");
        assert_eq!(resolve(None, "rel"), "rel");
        assert_eq!(resolve(Some("/x"), "/abs/./f"), "/abs/f");
        assert_eq!(resolve(Some("/"), ".."), "/");
        assert!(special_path("/dev/null"));
        assert!(special_path("/proc/self/maps"));
        assert!(special_path("/memfd:x"));
        assert!(!special_path("rel/file"));
        assert!(!special_path("/devices.txt"));
        assert_eq!(annot_path("/a/b (deleted)"), Some("/a/b".into()));
        assert_eq!(annot_path("/dev/null<char 1:3>"), Some("/dev/null".into()));
        assert_eq!(annot_path("socket:[5]"), None);
        assert_eq!(annot_path("/a\\x3eb"), Some("/a>b".into()));
    }

    #[test]
    fn stable_names_across_renames() {
        let mut f = Files::new(NameRule::Stable);
        let lock: Rc<str> = Rc::from("/r/config.lock");
        let cfg: Rc<str> = Rc::from("/r/config");
        let a = f.create(&lock, Kind::Regular);
        assert_eq!(&*f.name(a), "/r/config.lock");
        assert_eq!(f.rename(&lock, &cfg), None);
        assert_eq!(f.at(&cfg), Some(a));
        assert_eq!(&*f.name(a), "/r/config.lock");
        // A new lock file while the first one lives on as config.
        let b = f.create(&lock, Kind::Regular);
        assert_eq!(&*f.name(b), "/r/config.lock#2");
        // It replaces config: the first file is gone and its name is free again.
        assert_eq!(f.rename(&lock, &cfg), Some(a));
        let c = f.create(&lock, Kind::Regular);
        assert_eq!(&*f.name(c), "/r/config.lock");
        // A held file keeps its name after unlink until released.
        f.hold(c);
        assert_eq!(f.unlink(&lock), Some(c));
        let d = f.create(&lock, Kind::Regular);
        assert_eq!(&*f.name(d), "/r/config.lock#3");
        f.release(c);
        f.unlink(&lock);
        let e = f.create(&lock, Kind::Regular);
        assert_eq!(&*f.name(e), "/r/config.lock");
    }

    #[test]
    fn current_names_follow_the_path() {
        let mut f = Files::new(NameRule::Current);
        let lock: Rc<str> = Rc::from("/r/x.lock");
        let x: Rc<str> = Rc::from("/r/x");
        let a = f.create(&lock, Kind::Regular);
        assert_eq!(&*f.name(a), "/r/x.lock");
        f.rename(&lock, &x);
        assert_eq!(&*f.name(a), "/r/x");
        let b = f.create(&lock, Kind::Regular);
        assert_eq!(&*f.name(b), "/r/x.lock");
    }

    #[test]
    fn directory_renames_move_what_is_below() {
        let mut f = Files::new(NameRule::Stable);
        let p: Rc<str> = Rc::from("/d/sub/f");
        let a = f.create(&p, Kind::Regular);
        f.rename(&Rc::from("/d/sub"), &Rc::from("/d/new"));
        assert_eq!(f.at("/d/new/f"), Some(a));
        assert_eq!(f.at("/d/sub/f"), None);
    }
}
