//! randread, randwrite, zipf, mixed, mmap-random: independent requests to blocks of
//! the whole footprint.
//!
//! The footprint is the files laid end to end and cut into `--io-size` blocks (a
//! file's tail shorter than a block is never touched, so no request crosses EOF).
//! Every pid opens (and, for mmap-random, maps whole) every file first; request i is
//! issued by pid i mod P; the block is drawn uniformly or by Zipf rank.

use std::io::{self, Write};

use super::rng::Rng;
use super::zipf::Popularity;
use super::{FAULT_LENGTH, Out, Plan};
use crate::trace::{Flags, Op};

pub(crate) fn run<W: Write>(
    plan: &Plan,
    read: f64,
    alpha: f64,
    mmap: Option<Flags>,
    rng: &mut Rng,
    out: &mut Out<'_, W>,
) -> io::Result<()> {
    let size = plan.file_size;
    let io = plan.io_size;
    let per_file = size / io;
    let pop = Popularity::new(per_file * plan.files, alpha, rng);
    for p in 0..plan.pids {
        for f in 0..plan.files {
            out.open(p, f, size, Flags::NONE)?;
            if let Some(advice) = mmap {
                out.map(p, Op::Mmap, f, size, advice)?;
            }
        }
    }
    let (rd, wr, len) = match mmap {
        Some(_) => (Op::FaultRead, Op::FaultWrite, FAULT_LENGTH),
        None => (Op::Read, Op::Write, io),
    };
    // Only a genuine mix draws a coin, so the all-read workloads use the stream for
    // blocks alone.
    let mix = read > 0.0 && read < 1.0;
    let pids = u64::from(plan.pids);
    for i in 0..plan.events {
        let p = (i % pids) as u32;
        let b = pop.sample(rng);
        let (f, off) = (b / per_file, b % per_file * io);
        let is_read = if mix { rng.chance(read) } else { read >= 1.0 };
        out.data(p, if is_read { rd } else { wr }, f, off, len)?;
    }
    for p in 0..plan.pids {
        for f in 0..plan.files {
            if mmap.is_some() {
                out.map(p, Op::Munmap, f, size, Flags::NONE)?;
            }
            out.bare(p, Op::Close, f)?;
        }
    }
    Ok(())
}
