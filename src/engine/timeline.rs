//! `--timeline`: the state of memory, the buffer cache and the device sampled once per
//! simulated interval, for plots of how a policy behaves over time.

use super::Simulator;
use super::page::Queue;
use crate::stats::TimelineRow;

/// The sampler: interval length, next boundary, and the device totals at the last row.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    pub step_ns: u64,
    pub next_ns: u64,
    last_io: [u64; 4],
    /// Whether anything happened since the last row (idle intervals are not emitted).
    pub active: bool,
    pub rows: Vec<TimelineRow>,
}

impl Timeline {
    pub fn new(step_ns: u64) -> Timeline {
        let step_ns = step_ns.max(1);
        Timeline {
            step_ns,
            next_ns: step_ns,
            ..Timeline::default()
        }
    }
}

impl Simulator {
    /// Record a sample at boundary `at` (if anything happened in the interval) and move
    /// to the next boundary after `upto` (idle stretches emit nothing).
    pub(crate) fn timeline_sample(&mut self, at: u64, upto: u64) {
        let d = self.device.stats();
        let io = [d.reads, d.writes, d.read_bytes, d.write_bytes];
        let Some(tl) = self.timeline.as_mut() else {
            return;
        };
        if tl.active || io != tl.last_io {
            let row = TimelineRow {
                time_ns: at,
                free: self.pages.free_count(),
                cache: self.pages.cache_count(),
                inactive: self.pages.len(Queue::Inactive),
                active: self.pages.len(Queue::Active),
                wired: self.pages.wire_count,
                dirty_pages: self.pages.dirty_count(),
                dirtybufspace: self.bufs.dirtybufspace,
                runningbufspace: self.bufs.runningbufspace,
                queue_depth: self.device.queue_depth() as u32,
                reads: io[0] - tl.last_io[0],
                writes: io[1] - tl.last_io[1],
                read_bytes: io[2] - tl.last_io[2],
                write_bytes: io[3] - tl.last_io[3],
            };
            tl.rows.push(row);
            tl.last_io = io;
            tl.active = false;
            tl.next_ns = at.saturating_add(tl.step_ns);
        } else {
            // Nothing happened: jump to the first boundary past `upto`.
            tl.next_ns = (upto / tl.step_ns + 1).saturating_mul(tl.step_ns);
        }
    }

    /// Turn sampling on, one row per `step_ns` of simulated time.
    pub fn enable_timeline(&mut self, step_ns: u64) {
        self.timeline = Some(Timeline::new(step_ns));
    }

    /// The rows sampled so far.
    pub fn timeline_rows(&self) -> &[TimelineRow] {
        self.timeline.as_ref().map_or(&[], |t| &t.rows)
    }
}
