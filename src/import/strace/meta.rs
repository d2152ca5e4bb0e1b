//! Calls about files rather than their data: stat (sizes, and what is not a regular
//! file), fsync, truncate, fallocate, fadvise, unlink and rename.

use super::Importer;
use super::emit::Key;
use super::files::{Kind, special_path};
use super::procs::DescId;
use super::values::{field, has_flag, parse_str, parse_u64};
use crate::trace::{Flags, Op};

impl Importer {
    pub(super) fn stat(&mut self, pid: u32, name: &str, args: &[&str]) -> bool {
        // (fd or dir arg, path arg, struct arg, flags arg)
        let (dir_i, path_i, st_i, flags_i) = match name {
            "fstat" | "fstat64" => (Some(0), None, 1, None),
            "stat" | "stat64" | "lstat" | "lstat64" => (None, Some(0), 1, None),
            "statx" => (Some(0), Some(1), 4, Some(2)),
            _ => (Some(0), Some(1), 2, Some(3)),
        };
        let Some(st) = args.get(st_i) else {
            return false;
        };
        let Some(mode) = field(st, "st_mode").or_else(|| field(st, "stx_mode")) else {
            return false;
        };
        let size = field(st, "st_size")
            .or_else(|| field(st, "stx_size"))
            .and_then(parse_u64);
        let regular = mode.starts_with("S_IFREG");
        let flags = flags_i.and_then(|i| args.get(i)).copied().unwrap_or("");
        let path = path_i.and_then(|i| args.get(i)).and_then(|a| parse_str(a));
        let fd_form = path_i.is_none()
            || (path.as_ref().is_some_and(|p| p.text.is_empty())
                && has_flag(flags, "AT_EMPTY_PATH"));
        if fd_form {
            let d = self.fd_arg(pid, dir_i.and_then(|i| args.get(i)).copied());
            self.fstat(d, regular, size);
            return true;
        }
        if mode.starts_with("S_IFLNK") {
            return true;
        }
        let Some(parg) = path_i.and_then(|i| args.get(i)) else {
            return false;
        };
        let dir = dir_i.and_then(|i| args.get(i)).copied();
        let Some(canon) = self.path_arg(pid, dir, parg) else {
            return true;
        };
        if special_path(&canon) {
            return true;
        }
        let files = &mut self.world.files;
        if regular {
            let ino = files.at_or_new(&canon, Kind::Regular);
            files.get_mut(ino).kind = Kind::Regular;
            if size.is_some() {
                files.get_mut(ino).size = size;
            }
        } else {
            let ino = files.at_or_new(&canon, Kind::Other);
            files.get_mut(ino).kind = Kind::Other;
        }
        true
    }

    /// An fstat of description `d`: the file's size now, the size of a waiting open,
    /// or the news that the open was not of a regular file after all.
    pub(super) fn fstat(&mut self, d: Option<DescId>, regular: bool, size: Option<u64>) {
        let Some(d) = d else {
            return;
        };
        let Some(desc) = self.world.desc_mut(d) else {
            return;
        };
        let Some(ino) = desc.inode else {
            return;
        };
        let waiting = desc.waiting_open.take();
        if regular {
            if size.is_some() {
                self.world.files.get_mut(ino).size = size;
            }
            if let Some(k) = waiting {
                self.emit.settle(k, size);
            }
            return;
        }
        desc.inode = None;
        desc.class = "a directory or special file";
        self.world.files.get_mut(ino).kind = Kind::Other;
        self.world.files.release(ino);
        if let Some(k) = waiting
            && self.emit.cancel(k)
        {
            self.report
                .note("open of a directory or special file dropped (fstat showed it)");
        }
    }

    /// fsync/fdatasync and ftruncate: one row on the fd's file.
    pub(super) fn simple_fd_op(
        &mut self,
        pid: u32,
        key: Key,
        args: &[&str],
        op: Op,
        len: Option<u64>,
    ) -> bool {
        let d = self.fd_arg(pid, args.first().copied());
        if let Some((_, ino)) = self.regular(d) {
            let mut r = self.row(key, pid, op, ino);
            r.length = len;
            self.emit.push(r);
            if op == Op::Truncate {
                self.world.files.get_mut(ino).size = len;
            }
        }
        true
    }

    /// fadvise64, fadvise64_64 and arm_fadvise64_64 (strace prints all three as `fd,
    /// offset, len, advice`): a `fadvise` row on the fd's file, the bytes as given (len
    /// 0 = to EOF). Advice strace cannot name makes no row and is counted.
    pub(super) fn fadvise(&mut self, pid: u32, key: Key, args: &[&str]) -> bool {
        let (Some(offset), Some(len), Some(advice)) = (
            args.get(1).and_then(|a| parse_u64(a)),
            args.get(2).and_then(|a| parse_u64(a)),
            args.get(3),
        ) else {
            return false;
        };
        let name = advice.split_whitespace().next().unwrap_or("");
        let flags = match name {
            "POSIX_FADV_NORMAL" => Flags::NORMAL,
            "POSIX_FADV_RANDOM" => Flags::RANDOM,
            "POSIX_FADV_SEQUENTIAL" => Flags::SEQUENTIAL,
            "POSIX_FADV_WILLNEED" => Flags::WILLNEED,
            "POSIX_FADV_DONTNEED" => Flags::DONTNEED,
            "POSIX_FADV_NOREUSE" => Flags::NOREUSE,
            _ => {
                self.report
                    .note(&format!("fadvise advice not modelled: {name} (no row)"));
                return true;
            }
        };
        let d = self.fd_arg(pid, args.first().copied());
        if let Some((_, ino)) = self.regular(d) {
            let mut r = self.row(key, pid, Op::Fadvise, ino);
            r.offset = Some(offset);
            r.length = Some(len);
            r.flags = flags;
            self.emit.push(r);
        }
        true
    }

    pub(super) fn truncate_path(&mut self, pid: u32, key: Key, args: &[&str]) -> bool {
        let (Some(p), Some(len)) = (args.first(), args.get(1).and_then(|a| parse_u64(a))) else {
            return false;
        };
        let Some(canon) = self.path_arg(pid, None, p) else {
            return true;
        };
        if special_path(&canon) {
            return true;
        }
        let ino = self.world.files.at_or_new(&canon, Kind::Regular);
        self.world.files.get_mut(ino).size = Some(len);
        let mut r = self.row(key, pid, Op::Truncate, ino);
        r.length = Some(len);
        self.emit.push(r);
        true
    }

    pub(super) fn fallocate(&mut self, pid: u32, key: Key, args: &[&str]) -> bool {
        let (Some(mode), Some(off), Some(len)) = (
            args.get(1),
            args.get(2).and_then(|a| parse_u64(a)),
            args.get(3).and_then(|a| parse_u64(a)),
        ) else {
            return false;
        };
        let d = self.fd_arg(pid, args.first().copied());
        let Some((_, ino)) = self.regular(d) else {
            return true;
        };
        let end = off.saturating_add(len);
        match self.world.files.get(ino).size {
            Some(s) if *mode == "0" && end > s => {
                self.world.files.get_mut(ino).size = Some(end);
                let mut r = self.row(key, pid, Op::Truncate, ino);
                r.length = Some(end);
                self.emit.push(r);
                self.report
                    .note("fallocate growing a file (a truncate row)");
            }
            _ => self
                .report
                .note("fallocate not changing a known size (skipped)"),
        }
        true
    }

    pub(super) fn unlink(&mut self, pid: u32, key: Key, name: &str, args: &[&str]) -> bool {
        let (dir, p, flags) = if name == "unlinkat" {
            (
                args.first().copied(),
                args.get(1),
                args.get(2).copied().unwrap_or(""),
            )
        } else {
            (None, args.first(), "")
        };
        let Some(p) = p else {
            return false;
        };
        let Some(canon) = self.path_arg(pid, dir, p) else {
            return true;
        };
        if has_flag(flags, "AT_REMOVEDIR") {
            self.world.files.unlink(&canon);
            return true;
        }
        match self.world.files.at(&canon) {
            Some(ino)
                if self.world.files.get(ino).kind == Kind::Regular
                    && self.world.files.named(ino) =>
            {
                self.bare(key, pid, Op::Unlink, ino);
                self.world.files.unlink(&canon);
            }
            Some(_) => {
                self.world.files.unlink(&canon);
            }
            None => self
                .report
                .note("unlink of a file no row mentions (no row)"),
        }
        true
    }

    pub(super) fn rename(&mut self, pid: u32, key: Key, name: &str, args: &[&str]) -> bool {
        let (od, op, nd, np, flags) = match name {
            "rename" => (None, args.first(), None, args.get(1), ""),
            _ => (
                args.first().copied(),
                args.get(1),
                args.get(2).copied(),
                args.get(3),
                args.get(4).copied().unwrap_or(""),
            ),
        };
        let (Some(op), Some(np)) = (op, np) else {
            return false;
        };
        let (Some(from), Some(to)) = (self.path_arg(pid, od, op), self.path_arg(pid, nd, np))
        else {
            return true;
        };
        if has_flag(flags, "RENAME_EXCHANGE") {
            self.world.files.exchange(&from, &to);
            return true;
        }
        let replaced = self.world.files.rename(&from, &to);
        if self.world.files.rule == super::NameRule::Stable
            && let Some(r) = replaced
            && self.world.files.named(r)
            && self.world.files.get(r).kind == Kind::Regular
        {
            self.bare(key, pid, Op::Unlink, r);
        }
        true
    }
}
