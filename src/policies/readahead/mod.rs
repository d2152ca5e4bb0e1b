//! Read-ahead family: how much to read when a read(2) or a pagein needs a block.
//!
//! The engine calls [`ReadAhead::on_access`] for every block a read needs and for every
//! pagein, and [`ReadAhead::on_marker`] when a read or fault reaches a block the policy
//! marked. A policy answers with a [`RaPlan`]: DragonFly's own `cluster_readx` with a
//! `maxreq`, or an explicit window of blocks (synchronous part, asynchronous part,
//! marker) that the engine reads as physically contiguous clusters.
//!
//! One policy per file, each with its [`Registered`] entry; [`POLICIES`] lists them.

mod dragonfly;
mod fixed;
mod freebsd;
mod linux;
mod none;

pub use dragonfly::Dragonfly;
pub use fixed::Fixed;
pub use freebsd::FreeBsd;
pub use linux::Linux;
pub use none::NoReadAhead;

use super::{PolicyInfo, Registered, Spec};
use crate::params::Knobs;

/// madvise advice of the mapping a fault goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Advice {
    Normal,
    Random,
    Sequential,
}

/// What the engine tells a read-ahead policy about one access.
#[derive(Clone, Copy, Debug)]
pub struct RaCtx {
    /// File and process (per-open-file state is keyed by them).
    pub file: u32,
    pub pid: u32,
    /// For faults: the mapping (per-mapping state), else `None`.
    pub map: Option<u32>,
    pub advice: Advice,
    /// The block needed, the block size and the file size in bytes.
    pub lblk: u64,
    pub bsize: u64,
    pub filesize: u64,
    /// The request: byte range of the read, or the faulting page.
    pub offset: u64,
    pub len: u64,
    /// The needed block is already in memory and valid.
    pub cached: bool,
    /// DragonFly's sequential heuristic for this open file (`f_seqcount`).
    pub seqcount: u32,
    /// Whether a cached run of blocks immediately precedes `lblk` (and how long).
    pub history_blocks: u64,
    /// The kernel's read-ahead knobs in force: bytes per seqcount step, IO_SEQMAX,
    /// and whether faults may ask for read-ahead at all (`seqaccess`).
    pub seq_unit: u64,
    pub io_seqmax: u32,
    pub fault_seqaccess: bool,
}

/// How to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaPlan {
    /// DragonFly's `cluster_readx` (or `bread` for the last block) with this `maxreq`.
    Cluster { maxreq: u64 },
    /// Read blocks `[start, end)` that are not cached: those below `sync_end` (which
    /// include the needed block) synchronously, the rest asynchronously; mark block
    /// `mark` so that reaching it calls [`ReadAhead::on_marker`].
    Window {
        start: u64,
        sync_end: u64,
        end: u64,
        mark: Option<u64>,
    },
    /// Nothing to read (the block is cached and no read-ahead is due).
    Nothing,
}

/// A read-ahead policy.
pub trait ReadAhead: Send {
    fn name(&self) -> &'static str;
    /// Effective keys, for the `config` section (round-trips through the spec parser).
    fn params(&self) -> Vec<(&'static str, String)>;
    /// A read or pagein needs block `ctx.lblk`.
    fn on_access(&mut self, ctx: &RaCtx) -> RaPlan;
    /// A read or fault reached a block this policy marked.
    fn on_marker(&mut self, _ctx: &RaCtx) -> RaPlan {
        RaPlan::Nothing
    }
    /// A fault found its page resident (minor fault or no fault).
    fn on_fault_hit(&mut self, _ctx: &RaCtx) {}
    /// Whether `on_access` reads [`RaCtx::history_blocks`]. Counting the cached run
    /// before a missed block costs up to 64 buffer lookups, so the engine does it only
    /// for policies that look at it.
    fn uses_history(&self) -> bool {
        false
    }
    /// Whether `on_access` reads [`RaCtx::cached`]. Finding out costs a buffer lookup
    /// and, without a buffer, one page lookup per page of the block — on every read —
    /// so the engine asks only for policies that look at it (DragonFly's own does not:
    /// `cluster_readx` finds out for itself through `getblk`).
    fn uses_cached(&self) -> bool {
        true
    }
    /// The spec string of this policy with every key.
    fn spec(&self) -> String {
        Spec::render(self.name(), &self.params())
    }
}

/// The read-ahead policies, in the order help and errors list them.
pub const POLICIES: &[Registered<dyn ReadAhead>] = &[
    dragonfly::POLICY,
    none::POLICY,
    fixed::POLICY,
    linux::POLICY,
    freebsd::POLICY,
];

/// What each policy is and its keys, for help text.
pub fn infos() -> Vec<&'static PolicyInfo> {
    super::infos_of(POLICIES)
}

fn num(spec: &Spec, key: &str, default: u64) -> Result<u64, String> {
    match spec.params.iter().find(|(k, _)| k == key) {
        Some((_, v)) => v
            .parse::<u64>()
            .map_err(|_| format!("{}: {key}={v} is not a whole number", spec.name)),
        None => Ok(default),
    }
}

/// Parse a read-ahead spec; dragonfly's keys set the corresponding kernel knobs.
pub fn parse(s: &str, knobs: &mut Knobs) -> Result<Box<dyn ReadAhead>, String> {
    super::build("read-ahead", s, POLICIES, knobs)
}

/// Pages → the block range covering `[first_page, first_page + n)`.
fn pages_to_blocks(first_page: u64, n: u64, bsize: u64) -> (u64, u64) {
    let start = first_page * 4096 / bsize;
    let end = (first_page + n.max(1)) * 4096;
    (start, end.div_ceil(bsize))
}

/// Clip a block range to the file.
fn clip(end: u64, filesize: u64, bsize: u64) -> u64 {
    end.min(filesize.div_ceil(bsize).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_and_keys_list_the_valid_ones() {
        let mut k = Knobs::default();
        let e = parse("bogus", &mut k).err().unwrap();
        assert!(
            e.contains("dragonfly") && e.contains("fixed[:pages]") && e.contains("linux[:max]"),
            "{e}"
        );
        let e = parse("fixed:page=3", &mut k).err().unwrap();
        assert!(e.contains("no key \"page\"") && e.contains("pages"), "{e}");
        assert!(parse("fixed:pages=x", &mut k).is_err());
        assert!(parse("linux:max=0", &mut k).is_err());
    }

    #[test]
    fn dragonfly_keys_set_the_knobs_and_round_trip() {
        let mut k = Knobs::default();
        let p = parse(
            "dragonfly:max_readahead=0,prefault=0,seqaccess=detect",
            &mut k,
        )
        .unwrap();
        assert_eq!(k.max_readahead, 0);
        assert_eq!(k.prefault_pages, 0);
        let spec = p.spec();
        let mut k2 = Knobs::default();
        assert_eq!(parse(&spec, &mut k2).unwrap().spec(), spec);
        assert_eq!(k2, k);
    }

    #[test]
    fn every_name_builds_its_own_policy_and_near_misses_are_errors() {
        let names: Vec<&str> = infos().iter().map(|i| i.name).collect();
        crate::policies::check_registry(
            "read-ahead",
            &names,
            &["freebsdx", "dragonflyy", "nones", "Linux", "fixed2"],
            |s| parse(s, &mut Knobs::default()).map(|p| p.name().to_string()),
        );
    }
}
