//! The replay model interface: what every model — the DragonFly kernel model, the
//! Linux personality, the LRU and OPT yardsticks — offers the runner. It sits below
//! them all so that none of them depends on another.

use crate::stats::{RunStats, Stuck, TimelineRow};
use crate::trace::Event;

/// A replay model: consumes events in trace order, then reports.
pub trait Model: Send {
    /// Replay one event (events must come in trace order).
    fn step(&mut self, ev: &Event);
    /// End the replay and return its statistics.
    fn finish(&mut self) -> RunStats;
    /// The `--timeline` samples, for models that keep them.
    fn take_timeline(&mut self) -> Vec<TimelineRow> {
        Vec::new()
    }
    /// The event at which the replay could make no progress and stopped, if any (the
    /// runner turns it into an error; the yardstick models always progress).
    fn stuck(&self) -> Option<&Stuck> {
        None
    }
    /// The simulated disk, for `--io-log` (enable, note the event, drain the records).
    fn device_mut(&mut self) -> Option<&mut crate::device::Device> {
        None
    }
}

/// Trace rows a model could not take as written and replayed some other way (or
/// ignored), counted so the report can say so instead of dropping them silently.
/// Shared by the models so the same oddity reads the same in every report.
#[derive(Clone, Debug, Default)]
pub struct ReplayWarnings {
    pub implicit_after_explicit: u64,
    pub io_without_open: u64,
    pub private_stores: u64,
    pub close_without_open: u64,
    pub munmap_unmapped: u64,
    /// madvise rows (normal, random, sequential) that matched no mapping of the pid.
    pub madvise_unmapped: u64,
    /// Writes and truncates past the largest file size (EFBIG, ignored).
    pub efbig: u64,
}

impl ReplayWarnings {
    /// One line per kind that happened, with its count.
    pub fn messages(&self) -> Vec<String> {
        let kinds: [(u64, &str); 7] = [
            (
                self.implicit_after_explicit,
                "touches of mapped files fell outside every live mmap and were replayed through an implicit mapping of the whole file",
            ),
            (
                self.io_without_open,
                "reads/writes came from a pid that had not opened the file (treated as opened just before)",
            ),
            (
                self.private_stores,
                "fault_write touches went through MAP_PRIVATE mappings (copy-on-write; replayed as loads of the file)",
            ),
            (
                self.close_without_open,
                "closes of files the pid had not opened (ignored)",
            ),
            (
                self.munmap_unmapped,
                "munmaps matched no mapping of that pid (ignored)",
            ),
            (
                self.madvise_unmapped,
                "madvises matched no mapping of that pid (ignored)",
            ),
            (
                self.efbig,
                "writes or truncates past the largest file size the model supports (2^62 bytes) failed with EFBIG (ignored)",
            ),
        ];
        kinds
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect()
    }
}

/// The one table from a trace op to a kernel model's handler: `self.op_open(ev)` for
/// `open`, ..., `self.op_fault(ev, store)` for both fault ops. The DragonFly model and
/// the Linux personality each implement the `op_*` methods their way.
macro_rules! dispatch_op {
    ($m:expr, $ev:expr) => {{
        use $crate::trace::Op;
        let ev = $ev;
        match ev.op {
            Op::Open => $m.op_open(ev),
            Op::Close => $m.op_close(ev),
            Op::Read => $m.op_read(ev),
            Op::Write => $m.op_write(ev),
            Op::Mmap => $m.op_mmap(ev),
            Op::Munmap => $m.op_munmap(ev),
            Op::FaultRead => $m.op_fault(ev, false),
            Op::FaultWrite => $m.op_fault(ev, true),
            Op::Truncate => $m.op_truncate(ev),
            Op::Fsync => $m.op_fsync(ev),
            Op::Msync => $m.op_msync(ev),
            Op::Unlink => $m.op_unlink(ev),
            Op::Fadvise => $m.op_fadvise(ev),
            Op::Madvise => $m.op_madvise(ev),
        }
    }};
}
pub(crate) use dispatch_op;
