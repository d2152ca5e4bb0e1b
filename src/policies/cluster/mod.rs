//! Write-clustering family: what happens to a full block just written, how many
//! contiguous dirty buffers one flush may merge, and how laundering groups pages.
//!
//! One policy per file, each with its [`Registered`] entry; [`POLICIES`] lists them.

mod contiguous;
mod dragonfly;
mod none;

pub use contiguous::Contiguous;
pub use dragonfly::Dragonfly;
pub use none::NoClustering;

use super::{PolicyInfo, Registered, Spec};
use crate::params::Knobs;

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

/// The clustering policies, in the order help and errors list them.
pub const POLICIES: &[Registered<dyn Clustering>] =
    &[dragonfly::POLICY, none::POLICY, contiguous::POLICY];

/// What each policy is and its keys, for help text.
pub fn infos() -> Vec<&'static PolicyInfo> {
    super::infos_of(POLICIES)
}

/// Parse a clustering spec; dragonfly's keys set the corresponding kernel knobs.
pub fn parse(s: &str, knobs: &mut Knobs) -> Result<Box<dyn Clustering>, String> {
    super::build("clustering", s, POLICIES, knobs)
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

    #[test]
    fn every_name_builds_its_own_policy_and_near_misses_are_errors() {
        let names: Vec<&str> = infos().iter().map(|i| i.name).collect();
        crate::policies::check_registry(
            "clustering",
            &names,
            &["contiguousx", "dragonflyy", "nones", "Dragonfly"],
            |s| parse(s, &mut Knobs::default()).map(|p| p.name().to_string()),
        );
    }
}
