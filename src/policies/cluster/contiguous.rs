//! Clustering policy `contiguous`: idealised merging of contiguous dirty blocks.

use super::{Clustering, FullBlock, Merge};
use crate::params::Knobs;
use crate::policies::{PolicyInfo, Registered};
use crate::spec::Spec;

pub const POLICY: Registered<dyn Clustering> = Registered {
    info: PolicyInfo {
        name: "contiguous",
        help: "idealised: every flush merges up to N contiguous dirty blocks in both directions",
        keys: &[("max", "8", "blocks per write")],
    },
    build,
};

/// Blocks are the file system's (`f_iosize`) at the time of parsing.
fn build(spec: &Spec, knobs: &mut Knobs) -> Result<Box<dyn Clustering>, String> {
    let max = match spec.params.iter().find(|(k, _)| k == "max") {
        Some((_, v)) => v
            .parse::<u64>()
            .map_err(|_| format!("clustering contiguous: max={v} is not a whole number"))?,
        None => 8,
    };
    if !(1..=1024).contains(&max) {
        return Err("clustering contiguous: max must be from 1 to 1024 blocks".into());
    }
    Ok(Box::new(Contiguous {
        max,
        bsize: knobs.f_iosize,
    }))
}

/// The idealised clusterer: delay everything, merge up to `max` contiguous blocks
/// both ways on every flush.
pub struct Contiguous {
    max: u64,
    bsize: u64,
}

impl Clustering for Contiguous {
    fn name(&self) -> &'static str {
        "contiguous"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("max", self.max.to_string())]
    }

    fn on_full_block(&mut self) -> FullBlock {
        FullBlock::Delay
    }

    fn merge(&self, _k: &Knobs) -> Merge {
        Merge {
            max_bytes: self.max * self.bsize,
            backward: true,
        }
    }

    fn launder(&self, _k: &Knobs) -> (Option<u32>, bool) {
        (
            Some((self.max * self.bsize / 4096).clamp(1, 256) as u32),
            true,
        )
    }
}
