//! mmap, munmap, mremap, msync and madvise: rows, and the address-space model faults
//! and later calls resolve against.
//!
//! Lengths are rounded up to whole 4 KiB pages, as the kernel maps them. Anonymous
//! mappings make no rows but still replace whatever file mapping was in their range
//! (a MAP_FIXED anonymous mapping over a library's bss, say), so later faults there
//! are not blamed on the file.

use super::emit::Key;
use super::procs::Piece;
use super::values::{has_flag, parse_fd, parse_u64};
use super::{Importer, PAGE};
use crate::trace::{Flags, Op};

fn round_up(len: u64) -> u64 {
    len.div_ceil(PAGE).saturating_mul(PAGE)
}

impl Importer {
    pub(super) fn mmap(
        &mut self,
        pid: u32,
        key: Key,
        name: &str,
        args: &[&str],
        addr: u64,
    ) -> bool {
        let (Some(len), Some(flags), Some(fd_arg), Some(off)) = (
            args.get(1).and_then(|a| parse_u64(a)),
            args.get(3),
            args.get(4),
            args.get(5).and_then(|a| parse_u64(a)),
        ) else {
            return false;
        };
        let off = if name == "mmap2" {
            off.saturating_mul(PAGE)
        } else {
            off
        };
        let len = round_up(len);
        let end = addr.saturating_add(len);
        let anon = has_flag(flags, "MAP_ANONYMOUS")
            || has_flag(flags, "MAP_ANON")
            || parse_fd(fd_arg).and_then(|f| f.fd) == Some(-1);
        let ino = if anon {
            None
        } else {
            let d = self.fd_arg(pid, Some(fd_arg));
            self.regular_quiet(d)
        };
        let Some(ino) = ino else {
            let gone = self.world.unmap(pid, addr, end);
            self.world.drop_pieces(&gone);
            if !anon {
                self.report
                    .note("mmap of something that is not a regular file (no row)");
            }
            return true;
        };
        let private = has_flag(flags, "MAP_PRIVATE");
        self.world.map(
            pid,
            Piece {
                start: addr,
                end,
                inode: ino,
                offset: off,
                private,
            },
        );
        let mut r = self.row(key, pid, Op::Mmap, ino);
        r.offset = Some(off);
        r.length = Some(len);
        if private {
            r.flags = Flags::PRIVATE;
        }
        self.emit.push(r);
        true
    }

    /// The file of a description, without counting a skip (mmap counts its own).
    fn regular_quiet(&self, d: Option<u32>) -> Option<u32> {
        self.world.desc(d?)?.inode
    }

    pub(super) fn munmap(&mut self, pid: u32, key: Key, args: &[&str]) -> bool {
        let (Some(addr), Some(len)) = (
            args.first().and_then(|a| parse_u64(a)),
            args.get(1).and_then(|a| parse_u64(a)),
        ) else {
            return false;
        };
        let gone = self
            .world
            .unmap(pid, addr, addr.saturating_add(round_up(len)));
        self.unmap_rows(pid, key, &gone);
        self.world.drop_pieces(&gone);
        true
    }

    fn unmap_rows(&mut self, pid: u32, key: Key, pieces: &[Piece]) -> u64 {
        let mut sub = 0;
        for p in pieces {
            let mut r = self.row((key.0, key.1 + sub), pid, Op::Munmap, p.inode);
            r.offset = Some(p.offset);
            r.length = Some(p.end - p.start);
            self.emit.push(r);
            sub += 1;
        }
        sub
    }

    /// mremap: the old range is unmapped (rows for its file pieces) and, when it was a
    /// file mapping, the same file is mapped at the new place and length.
    pub(super) fn mremap(&mut self, pid: u32, key: Key, args: &[&str], new_addr: u64) -> bool {
        let (Some(old), Some(old_len), Some(new_len)) = (
            args.first().and_then(|a| parse_u64(a)),
            args.get(1).and_then(|a| parse_u64(a)),
            args.get(2).and_then(|a| parse_u64(a)),
        ) else {
            return false;
        };
        let gone = self
            .world
            .unmap(pid, old, old.saturating_add(round_up(old_len)));
        let sub = self.unmap_rows(pid, key, &gone);
        let new_len = round_up(new_len);
        let new_end = new_addr.saturating_add(new_len);
        match gone.first().filter(|p| p.start == old) {
            Some(first) => {
                let piece = Piece {
                    start: new_addr,
                    end: new_end,
                    ..*first
                };
                self.world.map(pid, piece);
                let mut r = self.row((key.0, key.1 + sub), pid, Op::Mmap, piece.inode);
                r.offset = Some(piece.offset);
                r.length = Some(new_len);
                if piece.private {
                    r.flags = Flags::PRIVATE;
                }
                self.emit.push(r);
            }
            None => {
                let over = self.world.unmap(pid, new_addr, new_end);
                self.world.drop_pieces(&over);
            }
        }
        self.world.drop_pieces(&gone);
        true
    }

    pub(super) fn msync(&mut self, pid: u32, key: Key, args: &[&str]) -> bool {
        let (Some(addr), Some(len), Some(flags)) = (
            args.first().and_then(|a| parse_u64(a)),
            args.get(1).and_then(|a| parse_u64(a)),
            args.get(2),
        ) else {
            return false;
        };
        let pieces = self
            .world
            .pieces(pid, addr, addr.saturating_add(round_up(len)));
        if pieces.is_empty() {
            self.report.note("msync outside file mappings (no row)");
            return true;
        }
        let mut fl = Flags::NONE;
        if has_flag(flags, "MS_ASYNC") {
            fl |= Flags::ASYNC;
        }
        if has_flag(flags, "MS_INVALIDATE") {
            fl |= Flags::INVALIDATE;
        }
        for (sub, p) in pieces.iter().enumerate() {
            let mut r = self.row((key.0, key.1 + sub as u64), pid, Op::Msync, p.inode);
            r.offset = Some(p.offset);
            r.length = Some(p.end - p.start);
            r.flags = fl;
            self.emit.push(r);
        }
        true
    }

    /// madvise: one `madvise` row per file mapping piece of the range, at its file
    /// offset, with the advice word. Advice the trace format has no word for, and
    /// ranges without a file mapping (anonymous memory), make no row and are counted.
    pub(super) fn madvise(&mut self, pid: u32, key: Key, args: &[&str]) -> bool {
        let (Some(addr), Some(len), Some(advice)) = (
            args.first().and_then(|a| parse_u64(a)),
            args.get(1).and_then(|a| parse_u64(a)),
            args.get(2),
        ) else {
            return false;
        };
        // `MADV_RANDOM`, or `0x64 /* MADV_??? */` for a value strace does not know.
        let name = advice.split_whitespace().next().unwrap_or("");
        let Some(flags) = madv_flag(name) else {
            self.report
                .note(&format!("madvise advice not modelled: {name} (no row)"));
            return true;
        };
        if len == 0 {
            // The kernel advises nothing.
            self.report.note("madvise of length 0 (no row)");
            return true;
        }
        let pieces = self
            .world
            .pieces(pid, addr, addr.saturating_add(round_up(len)));
        if pieces.is_empty() {
            self.report.note("madvise outside file mappings (no row)");
            return true;
        }
        for (sub, p) in pieces.iter().enumerate() {
            let mut r = self.row((key.0, key.1 + sub as u64), pid, Op::Madvise, p.inode);
            r.offset = Some(p.offset);
            r.length = Some(p.end - p.start);
            r.flags = flags;
            self.emit.push(r);
        }
        true
    }
}

/// The trace's advice word for strace's name of a madvise advice; `None` for advice
/// the trace format has no word for (MADV_FREE, MADV_HUGEPAGE, MADV_DONTFORK, ...).
fn madv_flag(name: &str) -> Option<Flags> {
    Some(match name {
        "MADV_NORMAL" => Flags::NORMAL,
        "MADV_RANDOM" => Flags::RANDOM,
        "MADV_SEQUENTIAL" => Flags::SEQUENTIAL,
        "MADV_WILLNEED" => Flags::WILLNEED,
        "MADV_DONTNEED" => Flags::DONTNEED,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::round_up;

    #[test]
    fn madvise_names() {
        use super::{Flags, madv_flag};
        assert_eq!(madv_flag("MADV_RANDOM"), Some(Flags::RANDOM));
        assert_eq!(madv_flag("MADV_NORMAL"), Some(Flags::NORMAL));
        assert_eq!(madv_flag("MADV_FREE"), None);
        assert_eq!(madv_flag("MADV_HUGEPAGE"), None);
    }

    #[test]
    fn rounding() {
        assert_eq!(round_up(0), 0);
        assert_eq!(round_up(1), 4096);
        assert_eq!(round_up(34983), 36864);
        assert_eq!(round_up(8192), 8192);
    }
}
