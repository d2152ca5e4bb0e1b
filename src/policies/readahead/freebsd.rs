//! Read-ahead policy `freebsd`: FreeBSD's adaptive fault clustering for mmap faults.

use super::dragonfly::Dragonfly;
use super::{Advice, RaCtx, RaPlan, ReadAhead, clip, pages_to_blocks};
use crate::params::Knobs;
use crate::policies::{PolicyInfo, Registered};
use crate::spec::Spec;
use rustc_hash::FxHashMap;

pub const POLICY: Registered<dyn ReadAhead> = Registered {
    info: PolicyInfo {
        name: "freebsd",
        help: "FreeBSD adaptive fault clustering for mmap faults; file reads as dragonfly",
        keys: &[],
    },
    build,
};

/// File reads go through a dragonfly policy with the knobs in force.
fn build(_spec: &Spec, knobs: &mut Knobs) -> Result<Box<dyn ReadAhead>, String> {
    Ok(Box::new(FreeBsd {
        dragonfly: Dragonfly::new(knobs.clone(), false),
        maps: FxHashMap::default(),
    }))
}

/// Per-mapping fault clustering state (`vm_map_entry` read_ahead / next_read).
#[derive(Clone, Copy, Debug, Default)]
struct EntryRa {
    read_ahead: u64,
    next_read: Option<u64>,
}

/// FreeBSD's adaptive fault clustering (sys/vm/vm_fault.c, §11.3) for faults; file
/// reads as dragonfly. One synchronous multi-page read per fault.
pub struct FreeBsd {
    dragonfly: Dragonfly,
    maps: FxHashMap<u32, EntryRa>,
}

impl ReadAhead for FreeBsd {
    fn name(&self) -> &'static str {
        "freebsd"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn on_access(&mut self, ctx: &RaCtx) -> RaPlan {
        let Some(map) = ctx.map else {
            return self.dragonfly.on_access(ctx);
        };
        let p = ctx.offset / 4096;
        let e = self.maps.entry(map).or_default();
        let sequential = e.next_read == Some(p);
        e.next_read = Some(p + 1);
        if ctx.cached {
            return RaPlan::Nothing;
        }
        // MAXPHYS/PAGE_SIZE − 1 = 31 pages at most.
        let cap = 31;
        let (behind, ahead) = match ctx.advice {
            Advice::Random => (0, 0),
            Advice::Sequential => (0, cap),
            Advice::Normal if sequential => {
                e.read_ahead = if e.read_ahead == 0 {
                    7
                } else {
                    (e.read_ahead + 8).min(cap)
                };
                (0, e.read_ahead)
            }
            Advice::Normal => {
                e.read_ahead = 0;
                (p % 16, 15 - p % 16)
            }
        };
        let first = p - behind;
        let (start, end) = pages_to_blocks(first, behind + 1 + ahead, ctx.bsize);
        let end = clip(end, ctx.filesize, ctx.bsize).max(ctx.lblk + 1);
        RaPlan::Window {
            start: start.min(ctx.lblk),
            sync_end: end,
            end,
            mark: None,
        }
    }
}
