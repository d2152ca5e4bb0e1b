//! smallfiles: many small files, each opened, read whole and closed per access.
//!
//! Access k is issued by pid k mod P on a file drawn by popularity (Zipf ranks
//! scattered over the file numbers, as `zipf` scatters blocks, or uniform at alpha 0).
//! The pid opens it (declaring its size), reads it from offset 0 in `--io-size`
//! requests (the last one short when the size is not a multiple) and closes it before
//! the next access begins, so one file is open at a time however many the trace
//! touches: that is what lets a trace reach past `kern.maxvnodes` and make vnlru
//! recycle vnodes, which the workloads that keep every file open cannot. Files never
//! drawn get no rows, so a replay knows only the files touched. The trace stops at
//! exactly `--events` reads; the access cut short still closes its file.

use std::io::{self, Write};

use super::rng::Rng;
use super::zipf::Popularity;
use super::{Out, Plan};
use crate::trace::{Flags, Op};

pub(crate) fn run<W: Write>(
    plan: &Plan,
    alpha: f64,
    rng: &mut Rng,
    out: &mut Out<'_, W>,
) -> io::Result<()> {
    let size = plan.file_size;
    let io = plan.io_size;
    let pop = Popularity::new(plan.files, alpha, rng);
    let pids = u64::from(plan.pids);
    let mut left = plan.events;
    let mut access = 0u64;
    while left > 0 {
        let p = (access % pids) as u32;
        let f = pop.sample(rng);
        out.open(p, f, size, Flags::NONE)?;
        let mut off = 0;
        while off < size && left > 0 {
            let len = io.min(size - off);
            out.data(p, Op::Read, f, off, len)?;
            off += len;
            left -= 1;
        }
        out.bare(p, Op::Close, f)?;
        access += 1;
    }
    Ok(())
}
