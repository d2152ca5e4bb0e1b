//! Sync policy `periodic`: the classic update daemon, everything every interval.

use super::{DirtyState, SyncAction, SyncPolicy, dur, fmt_dur};
use crate::params::Knobs;
use crate::policies::{PolicyInfo, Registered};
use crate::spec::Spec;

pub const POLICY: Registered<dyn SyncPolicy> = Registered {
    info: PolicyInfo {
        name: "periodic",
        help: "the classic update daemon: everything dirty is written every interval, nothing else",
        keys: &[("interval", "30s", "period")],
    },
    build,
};

fn build(spec: &Spec, _knobs: &mut Knobs) -> Result<Box<dyn SyncPolicy>, String> {
    Ok(Box::new(Periodic {
        interval: dur(spec, "interval", "30s")?,
    }))
}

/// Everything dirty written every `interval`.
pub struct Periodic {
    interval: u64,
}

impl SyncPolicy for Periodic {
    fn name(&self) -> &'static str {
        "periodic"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("interval", fmt_dur(self.interval))]
    }

    fn next_wakeup(&self, now: u64) -> Option<u64> {
        Some((now / self.interval + 1).saturating_mul(self.interval))
    }

    fn on_wakeup(&mut self, _now: u64, _st: &DirtyState, out: &mut Vec<SyncAction>) {
        out.push(SyncAction::FlushAll);
    }
}
