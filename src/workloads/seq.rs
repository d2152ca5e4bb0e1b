//! seqread, seqwrite, mmap-scan: every pid runs one sequential stream over its files.
//!
//! With at least as many files as pids, pid p owns files p, p+P, p+2P, ... and goes
//! through them one after another, opening each, reading (writing, touching) it front
//! to back and closing it at EOF, then wrapping around to its first file. With more
//! pids than files, the pids sharing a file start at evenly spaced offsets of it (a
//! parallel scan) rather than in lockstep, where all but one would only ever hit the
//! cache. Nothing is random: the seed does not change these traces.

use std::io::{self, Write};

use super::spec::SeqOp;
use super::{FAULT_LENGTH, Out, Plan};
use crate::trace::{Flags, Op};

/// One pid's position: which of its files, where in it, whether it is open.
struct Stream {
    first: u64,
    stride: u64,
    count: u64,
    /// Index among the pid's files.
    j: u64,
    off: u64,
    open: bool,
}

impl Stream {
    fn file(&self) -> u64 {
        self.first + self.j * self.stride
    }
}

/// The streams of `pids` pids over `files` files of `size` bytes, aligned to `io`.
fn streams(pids: u32, files: u64, size: u64, io: u64) -> Vec<Stream> {
    let p_total = u64::from(pids);
    (0..p_total)
        .map(|p| {
            if files >= p_total {
                Stream {
                    first: p,
                    stride: p_total,
                    count: (files - 1 - p) / p_total + 1,
                    j: 0,
                    off: 0,
                    open: false,
                }
            } else {
                let f = p % files;
                let k = p / files;
                let sharers = (p_total - 1 - f) / files + 1;
                let start = (u128::from(k) * u128::from(size) / u128::from(sharers)) as u64;
                Stream {
                    first: f,
                    stride: 1,
                    count: 1,
                    j: 0,
                    off: start / io * io,
                    open: false,
                }
            }
        })
        .collect()
}

pub(crate) fn run<W: Write>(plan: &Plan, op: SeqOp, out: &mut Out<'_, W>) -> io::Result<()> {
    let size = plan.file_size;
    let io = plan.io_size;
    let mut streams = streams(plan.pids, plan.files, size, io);
    // seqwrite: files start empty and grow; the others exist at full size.
    let mut cur: Vec<u64> = match op {
        SeqOp::Write { .. } => vec![0; plan.files as usize],
        _ => Vec::new(),
    };
    let pids = u64::from(plan.pids);
    for i in 0..plan.events {
        let p = (i % pids) as u32;
        let s = &mut streams[p as usize];
        let f = s.file();
        if !s.open {
            let declared = cur.get(f as usize).copied().unwrap_or(size);
            out.open(p, f, declared, Flags::NONE)?;
            if let SeqOp::Fault { advice } = op {
                out.map(p, Op::Mmap, f, size, advice)?;
            }
            s.open = true;
        }
        let len = io.min(size - s.off);
        match op {
            SeqOp::Read => out.data(p, Op::Read, f, s.off, len)?,
            SeqOp::Write { .. } => {
                out.data(p, Op::Write, f, s.off, len)?;
                let c = &mut cur[f as usize];
                *c = (*c).max(s.off + len);
            }
            SeqOp::Fault { .. } => out.data(p, Op::FaultRead, f, s.off, FAULT_LENGTH)?,
        }
        s.off += len;
        if s.off >= size {
            finish(p, f, op, size, out)?;
            s.open = false;
            s.j = (s.j + 1) % s.count;
            s.off = 0;
        }
    }
    for (p, s) in streams.iter().enumerate() {
        if s.open {
            finish(p as u32, s.file(), op, size, out)?;
        }
    }
    Ok(())
}

/// The rows that end a pass over a file: fsync (seqwrite:fsync=1), munmap, close.
fn finish<W: Write>(p: u32, f: u64, op: SeqOp, size: u64, out: &mut Out<'_, W>) -> io::Result<()> {
    match op {
        SeqOp::Write { fsync: true } => out.bare(p, Op::Fsync, f)?,
        SeqOp::Fault { .. } => out.map(p, Op::Munmap, f, size, Flags::NONE)?,
        _ => {}
    }
    out.bare(p, Op::Close, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_assignment() {
        // 2 pids, 5 files: pid 0 owns 0, 2, 4; pid 1 owns 1, 3.
        let s = streams(2, 5, 1000, 100);
        assert_eq!((s[0].first, s[0].stride, s[0].count), (0, 2, 3));
        assert_eq!((s[1].first, s[1].stride, s[1].count), (1, 2, 2));
        // 4 pids, 1 file: start at 0, 1/4, 2/4, 3/4 of it, aligned.
        let s = streams(4, 1, 1000, 100);
        let starts: Vec<u64> = s.iter().map(|x| x.off).collect();
        assert_eq!(starts, [0, 200, 500, 700]);
    }
}
