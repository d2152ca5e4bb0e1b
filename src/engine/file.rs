//! Open files (`struct file`): the per-open-file sequential heuristic of
//! sys/kern/vfs_vnops.c (B11). The trace keys open files by (pid, file).

use crate::trace::Flags;

#[derive(Clone, Debug)]
pub struct OpenFile {
    /// Starts at 1 on open; offset 0 counts as sequential while it is > 0.
    pub f_seqcount: u32,
    pub f_nextoff: u64,
    /// open flags: sync, direct, append.
    pub flags: Flags,
    /// Nested opens of the same file by the same pid.
    pub opens: u32,
    /// The vnode opened (a name unlinked and re-created later is another vnode).
    pub vnode: u32,
    /// The same pid's earlier open file of an older vnode of the same name (unlinked
    /// since), which this one hides until it is closed; `u32::MAX` if none.
    pub older: u32,
}

impl OpenFile {
    pub fn new(flags: Flags, vnode: u32) -> OpenFile {
        OpenFile {
            f_seqcount: 1,
            f_nextoff: 0,
            flags,
            opens: 0,
            vnode,
            older: u32::MAX,
        }
    }

    /// B11 `sequential_heuristic` (sys/kern/vfs_vnops.c): a call at `f_nextoff` (or at
    /// offset 0 while the count is positive) adds ceil(len / seq_unit), capped at
    /// IO_SEQMAX, and passes the new count down; anything else draws the count down to
    /// 1 (if it was above 1) or 0 for the *next* call and passes **0** down (the
    /// kernel function ends in `return (0)` on that branch). Returns the seqcount
    /// passed down to the filesystem.
    pub fn sequential_heuristic(
        &mut self,
        offset: u64,
        len: u64,
        seq_unit: u64,
        seqmax: u32,
    ) -> u32 {
        if offset == self.f_nextoff || (offset == 0 && self.f_seqcount > 0) {
            let add = len.div_ceil(seq_unit).min(seqmax as u64) as u32;
            self.f_seqcount = (self.f_seqcount + add).min(seqmax);
            return self.f_seqcount;
        }
        self.f_seqcount = if self.f_seqcount > 1 { 1 } else { 0 };
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seqcount_rules() {
        let mut f = OpenFile::new(Flags::NONE, 0);
        // Fresh fd, read@0 of 4 KiB: 1 + 1 = 2 (the §6.2 worked example).
        assert_eq!(f.sequential_heuristic(0, 4096, 16384, 127), 2);
        f.f_nextoff = 4096;
        assert_eq!(f.sequential_heuristic(4096, 4096, 16384, 127), 3);
        f.f_nextoff = 8192;
        // A 64 KiB read adds 4.
        assert_eq!(f.sequential_heuristic(8192, 65536, 16384, 127), 7);
        // A jump passes 0 down and draws the count down to 1 ...
        assert_eq!(f.sequential_heuristic(1 << 20, 4096, 16384, 127), 0);
        assert_eq!(f.f_seqcount, 1);
        // ... so offset 0 still counts as sequential (1 + 1 = 2) ...
        assert_eq!(f.sequential_heuristic(0, 4096, 16384, 127), 2);
        // ... and two jumps in a row draw it down to 0.
        assert_eq!(f.sequential_heuristic(1 << 20, 4096, 16384, 127), 0);
        assert_eq!(f.sequential_heuristic(5 << 20, 4096, 16384, 127), 0);
        assert_eq!(f.f_seqcount, 0);
        // Offset 0 is not sequential once the count hit 0.
        assert_eq!(f.sequential_heuristic(0, 4096, 16384, 127), 0);
        // Cap.
        let mut g = OpenFile::new(Flags::NONE, 0);
        assert_eq!(g.sequential_heuristic(0, 1 << 30, 16384, 127), 127);
    }
}
