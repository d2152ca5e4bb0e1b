//! File descriptors: how an fd argument finds its open file description (and file),
//! and the calls that only move fds around (close, lseek, dup*, fcntl).
//!
//! With `-y` every fd argument carries its path, so an fd the log never showed being
//! opened (inherited stdout, say) still resolves, and a disagreement between the model
//! and strace is settled in strace's favour and counted.

use std::rc::Rc;

use super::Importer;
use super::emit::{Key, Row};
use super::files::{Kind, annot_path, resolve, special_path};
use super::procs::DescId;
use super::values::{has_flag, parse_fd, parse_inout, parse_str};
use crate::trace::{Flags, Op};

/// What a description stands for, for counting skipped calls.
pub(super) fn class_of(annot: Option<&str>, path: Option<&str>) -> &'static str {
    let under =
        |p: &str, dir: &str| p == dir || p.strip_prefix(dir).is_some_and(|r| r.starts_with('/'));
    match (annot, path) {
        (_, Some(p)) if under(p, "/dev") => "a device",
        (_, Some(p)) if under(p, "/proc") || under(p, "/sys") => "/proc or /sys",
        (_, Some(p)) if p.starts_with("/memfd:") => "a memfd",
        (_, Some(_)) => "a directory or special file",
        (Some(a), None) if a.starts_with("pipe:") => "a pipe",
        (Some(a), None) if a.starts_with("anon_inode:") => "an anon inode",
        (Some(a), None) if is_socket(a) => "a socket",
        (Some(_), None) => "an fd that is not a file",
        (None, None) => "an fd of unknown kind",
    }
}

/// `-y` shows `socket:[N]`; `-yy` shows the protocol (`TCP:[...]`, `UNIX:[...]`, ...).
fn is_socket(annot: &str) -> bool {
    const KINDS: [&str; 10] = [
        "socket:", "TCP", "UDP", "UNIX", "NETLINK", "RAW", "PACKET", "UDPLITE", "SCTP", "DCCP",
    ];
    KINDS.iter().any(|k| annot.starts_with(k))
}

impl Importer {
    /// A row for `inode` (no offset, length or flags yet), naming the file now.
    pub(super) fn row(&mut self, key: Key, pid: u32, op: Op, inode: u32) -> Row {
        Row {
            key,
            pid,
            op,
            file: self.world.files.name(inode),
            offset: None,
            length: None,
            flags: Flags::NONE,
        }
    }

    /// Queue a row without offset or length (close, fsync, unlink).
    pub(super) fn bare(&mut self, key: Key, pid: u32, op: Op, inode: u32) {
        let r = self.row(key, pid, op, inode);
        self.emit.push(r);
    }

    /// The description behind an fd argument (`3` or `3</path>`), made from the `-y`
    /// annotation when the log never showed the fd opened (or shows it differently).
    pub(super) fn fd_arg(&mut self, pid: u32, arg: Option<&str>) -> Option<DescId> {
        let a = parse_fd(arg?)?;
        let fd = a.fd?;
        let known = self.world.fd(pid, fd);
        let Some(annot) = a.annot else {
            if known.is_none() {
                self.report
                    .note("fd not opened in the log and no -y to tell what it is");
            }
            return known;
        };
        let apath = annot_path(annot);
        if let Some(d) = known
            && self.desc_matches(d, apath.as_deref())
        {
            return Some(d);
        }
        let (inode, path) = match apath {
            Some(p) => {
                let canon: Rc<str> = Rc::from(p);
                if special_path(&canon) {
                    (None, Some(canon))
                } else {
                    let ino = self.world.files.at_or_new(&canon, Kind::Regular);
                    if self.world.files.get(ino).kind == Kind::Other {
                        (None, Some(canon))
                    } else {
                        (Some(ino), Some(canon))
                    }
                }
            }
            None => (None, None),
        };
        if known.is_some() {
            self.report.note("fd table disagreed with -y (followed -y)");
        } else if inode.is_some() {
            self.report
                .note("fd not opened in the log (file taken from -y, offset unknown until lseek)");
        }
        let class = class_of(Some(annot), path.as_deref());
        let d = self.world.new_desc(inode, path);
        if let Some(desc) = self.world.desc_mut(d) {
            desc.class = class;
            if inode.is_some() {
                desc.offset = None;
            }
        }
        self.world.install(pid, fd, d, false);
        Some(d)
    }

    pub(super) fn desc_matches(&self, d: DescId, apath: Option<&str>) -> bool {
        let Some(desc) = self.world.desc(d) else {
            return false;
        };
        match (desc.inode, apath) {
            (Some(ino), Some(p)) => {
                self.world.files.get(ino).path.as_deref() == Some(p)
                    || desc.path.as_deref() == Some(p)
            }
            (None, None) => true,
            (None, Some(p)) => desc.path.as_deref() == Some(p),
            (Some(_), None) => false,
        }
    }

    /// The file of a description, or a note saying why there is none.
    pub(super) fn regular(&mut self, d: Option<DescId>) -> Option<(DescId, u32)> {
        let d = d?;
        let desc = self.world.desc(d)?;
        match desc.inode {
            Some(i) => Some((d, i)),
            None => {
                let what = format!("call on {} (skipped)", desc.class);
                self.report.note(&what);
                None
            }
        }
    }

    /// A path argument made absolute against `dir` (an fd argument: `AT_FDCWD`, a
    /// directory fd) or the cwd, in canonical form.
    pub(super) fn path_arg(&mut self, pid: u32, dir: Option<&str>, arg: &str) -> Option<Rc<str>> {
        let s = parse_str(arg)?;
        if s.truncated {
            self.report
                .note("path cut short by strace (-s): call skipped");
            return None;
        }
        if s.text.is_empty() {
            // Names no file (ENOENT without AT_EMPTY_PATH); a row for it would have
            // an empty `file` column, which the trace format rejects.
            self.report.note("empty path: call skipped");
            return None;
        }
        let base: Option<Rc<str>> = match dir.and_then(parse_fd) {
            Some(f) => match (f.annot, f.fd) {
                (Some(a), _) => annot_path(a).map(Rc::from),
                (None, None) => self.world.cwd(pid),
                (None, Some(fd)) => self
                    .world
                    .fd(pid, fd)
                    .and_then(|d| self.world.desc(d))
                    .and_then(|d| d.path.clone()),
            },
            None => self.world.cwd(pid),
        };
        let abs = resolve(base.as_deref(), &s.text);
        Some(self.world.files.canonical(&abs))
    }

    pub(super) fn close(&mut self, pid: u32, key: Key, args: &[&str]) -> bool {
        let Some(fd) = args.first().and_then(|a| parse_fd(a)).and_then(|a| a.fd) else {
            return false;
        };
        let d = self.fd_arg(pid, args.first().copied());
        if let Some((_, ino)) = self.regular(d) {
            self.bare(key, pid, Op::Close, ino);
        }
        self.world.close(pid, fd);
        true
    }

    pub(super) fn lseek(&mut self, pid: u32, name: &str, args: &[&str], ret: u64) -> bool {
        let pos = if name == "_llseek" {
            match args.get(3).and_then(|a| parse_inout(a)) {
                Some((_, v)) => v,
                None => return false,
            }
        } else {
            ret
        };
        if let Some(d) = self.fd_arg(pid, args.first().copied())
            && let Some(desc) = self.world.desc_mut(d)
        {
            desc.offset = Some(pos);
        }
        true
    }

    pub(super) fn dup(&mut self, pid: u32, name: &str, args: &[&str], newfd: i64) -> bool {
        let cloexec = name == "dup3" && args.get(2).is_some_and(|f| has_flag(f, "O_CLOEXEC"));
        let oldfd = args.first().and_then(|a| parse_fd(a)).and_then(|a| a.fd);
        if oldfd == Some(newfd) {
            return true;
        }
        self.dup_to(pid, args.first().copied(), newfd, cloexec);
        oldfd.is_some()
    }

    pub(super) fn dup_to(&mut self, pid: u32, old: Option<&str>, newfd: i64, cloexec: bool) {
        match self.fd_arg(pid, old) {
            Some(d) => self.world.install(pid, newfd, d, cloexec),
            None => {
                self.world.close(pid, newfd);
            }
        }
    }

    pub(super) fn fcntl(&mut self, pid: u32, args: &[&str], ret: i64) -> bool {
        let Some(cmd) = args.get(1) else {
            return false;
        };
        let fd = args.first().and_then(|a| parse_fd(a)).and_then(|a| a.fd);
        match *cmd {
            "F_DUPFD" | "F_DUPFD_CLOEXEC" => {
                self.dup_to(pid, args.first().copied(), ret, *cmd == "F_DUPFD_CLOEXEC");
            }
            "F_SETFD" => {
                let on = args
                    .get(2)
                    .is_some_and(|a| a.contains("FD_CLOEXEC") || *a == "1");
                if let Some(fd) = fd {
                    self.world.set_cloexec(pid, fd, on);
                }
            }
            "F_SETFL" => {
                let on = args.get(2).is_some_and(|a| has_flag(a, "O_APPEND"));
                if let Some(d) = self.fd_arg(pid, args.first().copied())
                    && let Some(desc) = self.world.desc_mut(d)
                {
                    desc.append = on;
                }
            }
            _ => {}
        }
        true
    }

    /// Calls that make fds that are not files (pipes, sockets, eventfds, memfds ...):
    /// the fds are recorded as such, so later calls on them are counted for what they
    /// are even without `-y`.
    pub(super) fn new_fds(
        &mut self,
        pid: u32,
        name: &str,
        args: &[&str],
        ret: i64,
        annot: Option<&str>,
    ) {
        let class = match name {
            "pipe" | "pipe2" => "a pipe",
            "socket" | "socketpair" | "accept" | "accept4" => "a socket",
            "memfd_create" => "a memfd",
            _ => "an anon inode",
        };
        let fds: Vec<i64> = if matches!(name, "pipe" | "pipe2" | "socketpair") {
            let list = args
                .get(if name == "socketpair" { 3 } else { 0 })
                .copied()
                .unwrap_or("");
            list.trim_matches(|c| c == '[' || c == ']')
                .split(',')
                .filter_map(|f| parse_fd(f.trim()).and_then(|f| f.fd))
                .collect()
        } else {
            vec![ret]
        };
        let cloexec = args.iter().any(|a| a.contains("CLOEXEC"));
        for fd in fds {
            let d = self.world.new_desc(None, None);
            if let Some(desc) = self.world.desc_mut(d) {
                desc.class = annot.map_or(class, |a| class_of(Some(a), None));
            }
            self.world.install(pid, fd, d, cloexec);
        }
    }
}
