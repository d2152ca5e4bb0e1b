//! Clustering policy `none`: every block written alone (`noclusterw`).

use super::{Clustering, FullBlock, Merge};
use crate::params::Knobs;
use crate::policies::{PolicyInfo, Registered};
use crate::spec::Spec;

pub const POLICY: Registered<dyn Clustering> = Registered {
    info: PolicyInfo {
        name: "none",
        help: "every block written alone (noclusterw); laundering one page per putpages",
        keys: &[],
    },
    build,
};

/// Sets the `noclusterw` knob, which the engine honours.
fn build(_spec: &Spec, knobs: &mut Knobs) -> Result<Box<dyn Clustering>, String> {
    knobs.noclusterw = true;
    Ok(Box::new(NoClustering))
}

/// No clustering at all.
pub struct NoClustering;

impl Clustering for NoClustering {
    fn name(&self) -> &'static str {
        "none"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn on_full_block(&mut self) -> FullBlock {
        FullBlock::Bawrite
    }

    fn merge(&self, _k: &Knobs) -> Merge {
        Merge {
            max_bytes: 0,
            backward: false,
        }
    }

    fn launder(&self, _k: &Knobs) -> (Option<u32>, bool) {
        (Some(1), false)
    }
}
