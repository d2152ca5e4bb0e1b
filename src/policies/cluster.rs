//! Write-clustering family: what happens to a full block just written, how many
//! contiguous dirty buffers one flush may merge, and how laundering groups pages.

use super::{PolicyInfo, Spec, lookup};
use crate::params::Knobs;
use crate::units::format_size_exact;

/// What to do with a full block written by write(2) or a CLUSTER_OK putpages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FullBlock {
    /// DragonFly's `cluster_write` (B4): delay while a cluster grows, push when full.
    Cluster,
    /// Write it alone at once (`noclusterw`).
    Bawrite,
    /// Delay it; flushes merge it with its neighbours later.
    Delay,
}

/// How far one flush of a dirty buffer may merge with its dirty neighbours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Merge {
    /// Most bytes in one device write.
    pub max_bytes: u64,
    /// Whether neighbours before the buffer may join (vfs_bio_awrite looks both ways).
    pub backward: bool,
}

/// A write-clustering policy.
pub trait Clustering: Send {
    fn name(&self) -> &'static str;
    fn params(&self) -> Vec<(&'static str, String)>;
    /// A full block was written.
    fn on_full_block(&mut self) -> FullBlock;
    /// A dirty buffer is flushed by a daemon, fsync or a cluster push; `k` are the
    /// kernel knobs in force.
    fn merge(&self, k: &Knobs) -> Merge;
    /// Launder runs: most pages (`None` = the kernel's vm_pageout_page_count), and
    /// whether the forward scan works.
    fn launder(&self, k: &Knobs) -> (Option<u32>, bool);
    fn spec(&self) -> String {
        Spec::render(self.name(), &self.params())
    }
}

pub const POLICIES: &[PolicyInfo] = &[
    PolicyInfo {
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
    PolicyInfo {
        name: "none",
        help: "every block written alone (noclusterw); laundering one page per putpages",
        keys: &[],
    },
    PolicyInfo {
        name: "contiguous",
        help: "idealised: every flush merges up to N contiguous dirty blocks in both directions",
        keys: &[("max", "8", "blocks per write")],
    },
];

/// Parse a clustering spec; dragonfly's keys set the corresponding kernel knobs.
pub fn parse(s: &str, knobs: &mut Knobs) -> Result<Box<dyn Clustering>, String> {
    let (spec, info) = lookup("clustering", s, POLICIES)?;
    Ok(match info.name {
        "dragonfly" => {
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
            Box::new(Dragonfly {
                knobs: knobs.clone(),
            })
        }
        "none" => {
            knobs.noclusterw = true;
            Box::new(NoClustering)
        }
        _ => {
            let max = match spec.params.iter().find(|(k, _)| k == "max") {
                Some((_, v)) => v
                    .parse::<u64>()
                    .map_err(|_| format!("clustering contiguous: max={v} is not a whole number"))?,
                None => 8,
            };
            if !(1..=1024).contains(&max) {
                return Err("clustering contiguous: max must be from 1 to 1024 blocks".into());
            }
            Box::new(Contiguous {
                max,
                bsize: knobs.f_iosize,
            })
        }
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_round_trip_and_errors_list_keys() {
        for s in [
            "dragonfly",
            "none",
            "contiguous:max=16",
            "dragonfly:launder=fixed,write_behind=2",
        ] {
            let mut k = Knobs::default();
            let p = parse(s, &mut k).unwrap();
            let spec = p.spec();
            let mut k2 = Knobs::default();
            assert_eq!(parse(&spec, &mut k2).unwrap().spec(), spec, "{s}");
        }
        let mut k = Knobs::default();
        let e = parse("contiguous:n=3", &mut k).err().unwrap();
        assert!(e.contains("max"), "{e}");
        let e = parse("zip", &mut k).err().unwrap();
        assert!(e.contains("contiguous[:max]"), "{e}");
    }
}
