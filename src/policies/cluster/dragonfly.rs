//! Clustering policy `dragonfly`: the kernel's own (`cluster_write`, `vfs_bio_awrite`).

use super::{Clustering, FullBlock, Merge};
use crate::params::Knobs;
use crate::policies::{PolicyInfo, Registered};
use crate::spec::Spec;
use crate::units::format_size_exact;

pub const POLICY: Registered<dyn Clustering> = Registered {
    info: PolicyInfo {
        name: "dragonfly",
        help: "cluster_write/cluster_wbuild/vfs_bio_awrite; laundering backward-only as in the snapshot",
        keys: &[
            ("max", "128K", "largest cluster I/O (mnt_iosize_max)"),
            ("write_behind", "1", "vfs.write_behind: 0, 1 or 2"),
            ("launder_pages", "16", "vm_pageout_page_count"),
            (
                "launder",
                "broken",
                "broken (backward only) | fixed (forward scan repaired)",
            ),
        ],
    },
    build,
};

/// The keys set the corresponding kernel knobs; the policy keeps a copy of them.
fn build(spec: &Spec, knobs: &mut Knobs) -> Result<Box<dyn Clustering>, String> {
    for (k, v) in &spec.params {
        let r = match k.as_str() {
            "max" => knobs.set(&format!("mnt_iosize_max={v}")),
            "write_behind" => knobs.set(&format!("vfs.write_behind={v}")),
            "launder_pages" => knobs.set(&format!("vm_pageout_page_count={v}")),
            "launder" => match v.as_str() {
                "broken" => knobs.set("launder_forward=0"),
                "fixed" => knobs.set("launder_forward=1"),
                _ => Err(format!("launder={v}: expected broken or fixed")),
            },
            _ => Ok(()),
        };
        r.map_err(|e| format!("clustering dragonfly: {e}"))?;
    }
    Ok(Box::new(Dragonfly {
        knobs: knobs.clone(),
    }))
}

/// DragonFly's clustering (the defaults of parts 1–2).
pub struct Dragonfly {
    knobs: Knobs,
}

impl Clustering for Dragonfly {
    fn name(&self) -> &'static str {
        "dragonfly"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let k = &self.knobs;
        vec![
            ("max", format_size_exact(k.mnt_iosize_max)),
            ("write_behind", k.write_behind.to_string()),
            (
                "launder_pages",
                k.pageout_page_count
                    .map_or_else(|| "auto".into(), |n| n.to_string()),
            ),
            (
                "launder",
                if k.launder_fixed {
                    "fixed".into()
                } else {
                    "broken".into()
                },
            ),
        ]
    }

    /// cluster_write (the engine honours the noclusterw knob).
    fn on_full_block(&mut self) -> FullBlock {
        FullBlock::Cluster
    }

    /// vfs_bio_awrite: MAXPHYS both ways, bounded by the mount's cluster size.
    fn merge(&self, k: &Knobs) -> Merge {
        Merge {
            max_bytes: k.mnt_iosize_max.min(128 << 10).max(k.f_iosize),
            backward: true,
        }
    }

    fn launder(&self, k: &Knobs) -> (Option<u32>, bool) {
        (k.pageout_page_count, k.launder_fixed)
    }
}
