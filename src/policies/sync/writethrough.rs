//! Sync policy `writethrough`: every write and store synchronous.

use super::SyncPolicy;
use crate::params::Knobs;
use crate::policies::{PolicyInfo, Registered};
use crate::spec::Spec;

pub const POLICY: Registered<dyn SyncPolicy> = Registered {
    info: PolicyInfo {
        name: "writethrough",
        help: "every write and store is synchronous (lower bound on dirty memory, upper bound on write I/O)",
        keys: &[],
    },
    build,
};

fn build(_spec: &Spec, _knobs: &mut Knobs) -> Result<Box<dyn SyncPolicy>, String> {
    Ok(Box::new(Writethrough))
}

/// Every write synchronous.
pub struct Writethrough;

impl SyncPolicy for Writethrough {
    fn name(&self) -> &'static str {
        "writethrough"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn writethrough(&self) -> bool {
        true
    }
}
