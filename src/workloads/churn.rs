//! truncate-churn: files that grow by appends and are truncated down and up again.
//!
//! Each file starts half full (rounded down to `align`); request i is issued by pid
//! i mod P on a random file. A read takes a random `--io-size` block below EOF (the
//! last one short if EOF cuts it); a write appends at EOF while the file is below its
//! size, else overwrites a random block. After every `truncate` requests one random
//! file is truncated, each file alternating down (a random smaller multiple of
//! `align`) and up (a random larger one, at most the file's size, leaving a hole), so
//! both directions of vnode_pager_setsize, and partial last pages when `align` is not
//! a page multiple, show up in every trace long enough.

use std::io::{self, Write};

use super::rng::Rng;
use super::{Out, Plan};
use crate::trace::{Flags, Op};

pub(crate) fn run<W: Write>(
    plan: &Plan,
    read: f64,
    truncate: u64,
    align: u64,
    rng: &mut Rng,
    out: &mut Out<'_, W>,
) -> io::Result<()> {
    let max = plan.file_size;
    let io = plan.io_size;
    let files = plan.files as usize;
    let mut size = vec![max / 2 / align * align; files];
    let mut next_up = vec![false; files];
    for p in 0..plan.pids {
        for f in 0..plan.files {
            out.open(p, f, size[f as usize], Flags::NONE)?;
        }
    }
    let pids = u64::from(plan.pids);
    for i in 0..plan.events {
        let p = (i % pids) as u32;
        let f = rng.below(plan.files);
        let cur = size[f as usize];
        if cur > 0 && rng.chance(read) {
            let off = rng.below(cur) / io * io;
            out.data(p, Op::Read, f, off, io.min(cur - off))?;
        } else if cur < max {
            let len = io.min(max - cur);
            out.data(p, Op::Write, f, cur, len)?;
            size[f as usize] = cur + len;
        } else {
            let off = rng.below(max / io) * io;
            out.data(p, Op::Write, f, off, io)?;
        }
        if (i + 1) % truncate == 0 {
            let g = rng.below(plan.files) as usize;
            let (new, went_up) = new_size(size[g], max, align, next_up[g], rng);
            out.truncate(p, g as u64, new)?;
            size[g] = new;
            next_up[g] = !went_up;
        }
    }
    for p in 0..plan.pids {
        for f in 0..plan.files {
            out.bare(p, Op::Close, f)?;
        }
    }
    Ok(())
}

/// A new size for a file of `cur` bytes (at most `max`, `align <= max`): up if asked
/// and possible, else down if possible, else up. Returns the size and whether it grew.
fn new_size(cur: u64, max: u64, align: u64, up: bool, rng: &mut Rng) -> (u64, bool) {
    // Multiples m * align above cur and at most max; below cur.
    let up_lo = cur / align + 1;
    let up_hi = max / align;
    let can_up = up_lo <= up_hi;
    let can_down = cur > 0;
    if (up && can_up) || !can_down {
        ((up_lo + rng.below(up_hi - up_lo + 1)) * align, true)
    } else {
        (rng.below((cur - 1) / align + 1) * align, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_move_the_asked_way() {
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            let (s, up) = new_size(5000, 10000, 1, true, &mut rng);
            assert!(up && s > 5000 && s <= 10000);
            let (s, up) = new_size(5000, 10000, 4096, false, &mut rng);
            assert!(!up && s < 5000 && s % 4096 == 0);
        }
        // At the top it can only go down; at 0 only up.
        assert!(!new_size(10000, 10000, 1, true, &mut rng).1);
        assert!(new_size(0, 10000, 1, false, &mut rng).1);
    }
}
