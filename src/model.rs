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
}
