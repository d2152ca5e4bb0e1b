//! What each system call does to the model, and the rows it makes.
//!
//! Calls arrive complete (a resumed call joined with its start) and successful calls
//! only reach the handlers; a failed call (`= -1 ENOENT ...`) changes nothing in the
//! kernel and is counted. Argument positions are those strace prints.

use std::rc::Rc;

use super::Importer;
use super::emit::{Key, Row};
use super::fds::class_of;
use super::files::{Kind, annot_path, resolve, special_path};
use super::parse::{Call, split_args};
use super::procs::DescId;
use super::values::{field, has_flag, parse_fd, parse_inout, parse_int, parse_str, parse_u64};
use crate::trace::{Flags, Op};

/// CLONE_FILES and CLONE_VM of a fork-like call (`vfork` shares memory only).
pub(super) fn clone_sharing(name: &str, args: &str) -> (bool, bool) {
    match name {
        "vfork" => (false, true),
        "fork" => (false, false),
        _ => {
            let flags = args
                .find("flags=")
                .map(|i| {
                    let v = &args[i + "flags=".len()..];
                    &v[..v.find([',', '}']).unwrap_or(v.len())]
                })
                .unwrap_or("");
            (has_flag(flags, "CLONE_FILES"), has_flag(flags, "CLONE_VM"))
        }
    }
}

impl Importer {
    /// Apply one complete call issued at `key` by `pid`.
    pub(super) fn call(&mut self, pid: u32, key: Key, c: &Call<'_>) {
        let args = split_args(c.args);
        for a in &args {
            if a.starts_with("AT_FDCWD<")
                && let Some(p) = parse_fd(a).and_then(|f| f.annot).and_then(annot_path)
            {
                self.world.set_cwd(pid, &p);
            }
        }
        let failed = c.ret.errno.is_some() || c.ret.value.is_some_and(|v| v < 0);
        if failed {
            self.report.note(&format!("failed call: {}", c.name));
            return;
        }
        let Some(ret) = c.ret.value else {
            if !matches!(c.name, "exit" | "exit_group") {
                self.report
                    .note(&format!("call without a result (= ?): {}", c.name));
            }
            return;
        };
        let ok = match c.name {
            "open" | "openat" | "openat2" | "creat" => {
                self.open(pid, key, c.name, &args, ret, c.ret.annot)
            }
            "close" => self.close(pid, key, &args),
            "read" | "readv" | "write" | "writev" | "pread64" | "preadv" | "preadv2"
            | "pwrite64" | "pwritev" | "pwritev2" => self.rw(pid, key, c.name, &args, ret as u64),
            "lseek" | "_llseek" => self.lseek(pid, c.name, &args, ret as u64),
            "dup" | "dup2" | "dup3" => self.dup(pid, c.name, &args, ret),
            "fcntl" | "fcntl64" => self.fcntl(pid, &args, ret),
            "fstat" | "fstat64" | "newfstatat" | "fstatat64" | "statx" | "stat" | "stat64"
            | "lstat" | "lstat64" => self.stat(pid, c.name, &args),
            "mmap" | "mmap2" => self.mmap(pid, key, c.name, &args, ret as u64),
            "munmap" => self.munmap(pid, key, &args),
            "mremap" => self.mremap(pid, key, &args, ret as u64),
            "msync" => self.msync(pid, key, &args),
            "madvise" => self.madvise(pid, key, &args),
            "fadvise64" | "fadvise64_64" | "arm_fadvise64_64" => self.fadvise(pid, key, &args),
            "fsync" | "fdatasync" => self.simple_fd_op(pid, key, &args, Op::Fsync, None),
            "ftruncate" | "ftruncate64" => {
                let len = args.get(1).and_then(|a| parse_u64(a));
                len.is_some() && self.simple_fd_op(pid, key, &args, Op::Truncate, len)
            }
            "truncate" | "truncate64" => self.truncate_path(pid, key, &args),
            "fallocate" => self.fallocate(pid, key, &args),
            "unlink" | "unlinkat" => self.unlink(pid, key, c.name, &args),
            "rename" | "renameat" | "renameat2" => self.rename(pid, key, c.name, &args),
            "sendfile" | "sendfile64" => {
                self.copy(pid, key, (1, Some(2)), (0, None), ret as u64, &args)
            }
            "copy_file_range" => self.copy(pid, key, (0, Some(1)), (2, Some(3)), ret as u64, &args),
            "clone" | "clone3" | "fork" | "vfork" => {
                self.forked(pid, c.name, c.args, ret);
                true
            }
            "execve" | "execveat" => {
                self.world.exec(pid);
                true
            }
            "chdir" => {
                let cwd = self.world.cwd(pid);
                match args.first().and_then(|a| parse_str(a)) {
                    Some(s) if !s.truncated => {
                        let p = resolve(cwd.as_deref(), &s.text);
                        self.world.set_cwd(pid, &p);
                        true
                    }
                    _ => false,
                }
            }
            "fchdir" => {
                let d = self.fd_arg(pid, args.first().copied());
                if let Some(p) = d
                    .and_then(|d| self.world.desc(d))
                    .and_then(|d| d.path.clone())
                {
                    self.world.set_cwd(pid, &p);
                }
                true
            }
            "sync_file_range" | "sync_file_range2" => {
                self.report
                    .note("sync_file_range (no range writeback op in traces: skipped)");
                true
            }
            "pipe" | "pipe2" | "socketpair" | "socket" | "accept" | "accept4" | "eventfd"
            | "eventfd2" | "memfd_create" | "epoll_create" | "epoll_create1" | "signalfd"
            | "signalfd4" | "timerfd_create" | "inotify_init" | "inotify_init1" | "userfaultfd"
            | "pidfd_open" | "fanotify_init" | "perf_event_open" => {
                self.new_fds(pid, c.name, &args, ret, c.ret.annot);
                true
            }
            "exit" | "exit_group" => true,
            other => {
                self.report.note(&format!("syscall not modelled: {other}"));
                true
            }
        };
        if !ok {
            self.report.note(&format!(
                "call with arguments that cannot be read: {}",
                c.name
            ));
        }
    }

    fn open(
        &mut self,
        pid: u32,
        key: Key,
        name: &str,
        args: &[&str],
        fd: i64,
        annot: Option<&str>,
    ) -> bool {
        let (dir, path_i, flags) = match name {
            "open" => (None, 0, args.get(1).copied().unwrap_or("")),
            "creat" => (None, 0, "O_CREAT|O_WRONLY|O_TRUNC"),
            "openat2" => (
                args.first().copied(),
                1,
                args.get(2).and_then(|s| field(s, "flags")).unwrap_or(""),
            ),
            _ => (args.first().copied(), 1, args.get(2).copied().unwrap_or("")),
        };
        let cloexec = has_flag(flags, "O_CLOEXEC");
        let given = match args.get(path_i) {
            Some(a) => self.path_arg(pid, dir, a),
            None => return false,
        };
        let canon: Option<Rc<str>> = match annot {
            Some(a) => match annot_path(a) {
                Some(p) => Some(Rc::from(p)),
                None => {
                    let d = self.world.new_desc(None, None);
                    if let Some(desc) = self.world.desc_mut(d) {
                        desc.class = class_of(Some(a), None);
                    }
                    self.world.install(pid, fd, d, cloexec);
                    return true;
                }
            },
            None => given.clone(),
        };
        let Some(canon) = canon else {
            let d = self.world.new_desc(None, None);
            self.world.install(pid, fd, d, cloexec);
            self.report
                .note("open of a path that cannot be read (its fd is ignored)");
            return true;
        };
        if let Some(g) = &given {
            self.world.files.alias(g, &canon);
        }
        let creating = has_flag(flags, "O_CREAT");
        let known_other = self
            .world
            .files
            .at(&canon)
            .is_some_and(|i| self.world.files.get(i).kind == Kind::Other);
        if special_path(&canon)
            || has_flag(flags, "O_DIRECTORY")
            || has_flag(flags, "O_PATH")
            || (known_other && !creating)
        {
            let class = class_of(None, Some(&canon));
            let d = self.world.new_desc(None, Some(canon));
            if let Some(desc) = self.world.desc_mut(d) {
                desc.class = class;
            }
            self.world.install(pid, fd, d, cloexec);
            return true;
        }
        let exclusive = name == "creat" || (creating && has_flag(flags, "O_EXCL"));
        let trunc = name == "creat" || has_flag(flags, "O_TRUNC");
        let files = &mut self.world.files;
        let ino = if exclusive {
            files.create(&canon, Kind::Regular)
        } else {
            files.at_or_new(&canon, Kind::Regular)
        };
        files.get_mut(ino).kind = Kind::Regular;
        if exclusive || trunc {
            files.get_mut(ino).size = Some(0);
        }
        let size = files.get(ino).size;
        let append = has_flag(flags, "O_APPEND");
        let d = self.world.new_desc(Some(ino), Some(canon));
        self.world.install(pid, fd, d, cloexec);
        let mut fl = Flags::NONE;
        if has_flag(flags, "O_SYNC") || has_flag(flags, "O_DSYNC") || has_flag(flags, "O_FSYNC") {
            fl |= Flags::SYNC;
        }
        if has_flag(flags, "O_DIRECT") {
            fl |= Flags::DIRECT;
        }
        if append {
            fl |= Flags::APPEND;
        }
        let file = self.world.files.name(ino);
        let row = Row {
            key,
            pid,
            op: Op::Open,
            file,
            offset: None,
            length: size,
            flags: fl,
        };
        let waiting = size.is_none();
        if waiting {
            self.emit.push_waiting(row);
        } else {
            self.emit.push(row);
        }
        if let Some(desc) = self.world.desc_mut(d) {
            desc.append = append;
            desc.waiting_open = waiting.then_some(key);
        }
        true
    }

    fn rw(&mut self, pid: u32, key: Key, name: &str, args: &[&str], n: u64) -> bool {
        let write = name.starts_with("write") || name.starts_with("pwrite");
        let explicit = if name.starts_with('p') {
            match args.get(3).and_then(|a| parse_int(a)) {
                Some(-1) if name.ends_with('2') => None,
                Some(v) if v >= 0 => Some(v as u64),
                _ => return false,
            }
        } else {
            None
        };
        let d = self.fd_arg(pid, args.first().copied());
        self.transfer(pid, key, d, write, explicit, n);
        true
    }

    /// A read or write of `n` bytes through description `d`, at `explicit` (pread,
    /// pwrite) or at (and moving) the description's offset.
    fn transfer(
        &mut self,
        pid: u32,
        key: Key,
        d: Option<DescId>,
        write: bool,
        explicit: Option<u64>,
        n: u64,
    ) {
        let Some((d, ino)) = self.regular(d) else {
            return;
        };
        let Some(desc) = self.world.desc(d) else {
            return;
        };
        let (cur, append) = (desc.offset, desc.append);
        let size = self.world.files.get(ino).size;
        let offset = if write && append {
            size
        } else {
            explicit.or(cur)
        };
        if offset.is_none() {
            if !write {
                self.report
                    .note("read at an unknown offset (fd not opened in the log): skipped");
                return;
            }
            if !append {
                self.report.note(
                    "write at an unknown offset (fd not opened in the log): written as an append",
                );
            }
        }
        let op = if write { Op::Write } else { Op::Read };
        let mut r = self.row(key, pid, op, ino);
        r.offset = offset;
        r.length = Some(n);
        self.emit.push(r);
        if explicit.is_none()
            && let Some(desc) = self.world.desc_mut(d)
        {
            desc.offset = offset.map(|o| o.saturating_add(n));
        }
        if write && let (Some(s), Some(o)) = (size, offset) {
            self.world.files.get_mut(ino).size = Some(s.max(o.saturating_add(n)));
        }
    }

    /// sendfile/copy_file_range: a read on the input side then a write on the output
    /// side. Each side is (fd arg index, offset arg index); an offset argument of
    /// `NULL` (or none) means the description's offset.
    fn copy(
        &mut self,
        pid: u32,
        key: Key,
        input: (usize, Option<usize>),
        output: (usize, Option<usize>),
        n: u64,
        args: &[&str],
    ) -> bool {
        for (sub, (fd_i, off_i), write) in [(0, input, false), (1, output, true)] {
            let explicit = off_i
                .and_then(|i| args.get(i))
                .and_then(|a| parse_inout(a))
                .map(|(before, _)| before);
            let d = self.fd_arg(pid, args.get(fd_i).copied());
            self.transfer(pid, (key.0, key.1 + sub), d, write, explicit, n);
        }
        true
    }

    fn forked(&mut self, pid: u32, name: &str, args: &str, child: i64) {
        let Ok(child) = u32::try_from(child) else {
            return;
        };
        if let Some(i) = self.forks.iter().rposition(|f| f.parent == pid) {
            self.forks.remove(i);
        }
        let (files, vm) = clone_sharing(name, args);
        self.world.fork(pid, child, files, vm);
    }
}
