//! append-log and db: the write paths of a database, its log and its data files.

use std::io::{self, Write};

use super::rng::Rng;
use super::zipf::Popularity;
use super::{Out, Plan};
use crate::trace::{Flags, Op};

/// append-log: append i goes to log i mod F from pid i mod P. Each log is opened
/// O_APPEND and empty; it is fsynced after every `fsync` appends to it and truncated
/// to 0 before an append that would take it past its size. The rows carry the EOF as
/// offset, so the trace reads the same with or without the append flag.
pub(crate) fn append_log<W: Write>(
    plan: &Plan,
    fsync: u64,
    out: &mut Out<'_, W>,
) -> io::Result<()> {
    let cap = plan.file_size;
    let len = plan.io_size;
    let files = plan.files as usize;
    let mut size = vec![0u64; files];
    let mut since_fsync = vec![0u64; files];
    for p in 0..plan.pids {
        for f in 0..plan.files {
            out.open(p, f, 0, Flags::APPEND)?;
        }
    }
    let pids = u64::from(plan.pids);
    for i in 0..plan.events {
        let p = (i % pids) as u32;
        let f = i % plan.files;
        let fi = f as usize;
        if size[fi] + len > cap {
            out.truncate(p, f, 0)?;
            size[fi] = 0;
        }
        out.data(p, Op::Write, f, size[fi], len)?;
        size[fi] += len;
        since_fsync[fi] += 1;
        if since_fsync[fi] == fsync {
            out.bare(p, Op::Fsync, f)?;
            since_fsync[fi] = 0;
        }
    }
    close_all(plan.pids, plan.files, out)
}

/// db: workers 0..P do random page requests; the checkpointer is pid index P.
///
/// Page writes are remembered (as block numbers) until the next checkpoint, which
/// sorts and deduplicates them and writes each once, in ascending (file, offset)
/// order, fsyncing each file when it is done with it. Checkpoint writes are data rows too: a
/// checkpoint cut short by the end of `--events` stops where the budget ends.
pub(crate) fn db<W: Write>(
    plan: &Plan,
    read: f64,
    alpha: f64,
    fsync: u64,
    checkpoint: u64,
    rng: &mut Rng,
    out: &mut Out<'_, W>,
) -> io::Result<()> {
    let size = plan.file_size;
    let io = plan.io_size;
    let per_file = size / io;
    let pop = Popularity::new(per_file * plan.files, alpha, rng);
    let ckpt = plan.pids;
    let all = if checkpoint > 0 {
        plan.pids + 1
    } else {
        plan.pids
    };
    for p in 0..all {
        for f in 0..plan.files {
            out.open(p, f, size, Flags::NONE)?;
        }
    }
    let mut dirty: Vec<u64> = Vec::new();
    // Files written since the last group fsync, in first-write order, and a mark.
    let mut written: Vec<u64> = Vec::new();
    let mut marked = vec![false; plan.files as usize];
    let mut writes = 0u64;
    let mut since_ckpt = 0u64;
    let pids = u64::from(plan.pids);
    let mut w = 0u64;
    let mix = read > 0.0 && read < 1.0;
    while out.data < plan.events {
        let p = (w % pids) as u32;
        w += 1;
        let b = pop.sample(rng);
        let (f, off) = (b / per_file, b % per_file * io);
        let is_read = if mix { rng.chance(read) } else { read >= 1.0 };
        if is_read {
            out.data(p, Op::Read, f, off, io)?;
        } else {
            out.data(p, Op::Write, f, off, io)?;
            if checkpoint > 0 {
                dirty.push(b);
            }
            if !marked[f as usize] {
                marked[f as usize] = true;
                written.push(f);
            }
            writes += 1;
            if writes == fsync {
                for &g in &written {
                    out.bare(p, Op::Fsync, g)?;
                    marked[g as usize] = false;
                }
                written.clear();
                writes = 0;
            }
        }
        since_ckpt += 1;
        if since_ckpt == checkpoint {
            since_ckpt = 0;
            dirty.sort_unstable();
            dirty.dedup();
            let mut last: Option<u64> = None;
            for &b in &dirty {
                if out.data >= plan.events {
                    break;
                }
                let f = b / per_file;
                if let Some(l) = last
                    && l != f
                {
                    out.bare(ckpt, Op::Fsync, l)?;
                }
                last = Some(f);
                out.data(ckpt, Op::Write, f, b % per_file * io, io)?;
            }
            if let Some(l) = last {
                out.bare(ckpt, Op::Fsync, l)?;
            }
            dirty.clear();
        }
    }
    close_all(all, plan.files, out)
}

fn close_all<W: Write>(pids: u32, files: u64, out: &mut Out<'_, W>) -> io::Result<()> {
    for p in 0..pids {
        for f in 0..files {
            out.bare(p, Op::Close, f)?;
        }
    }
    Ok(())
}
