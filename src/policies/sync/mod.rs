//! Sync-threshold family: when dirty data is written back, and how writers are held
//! back. `dragonfly` keeps the kernel's own mechanisms (forced-sync putpages, the
//! buf_daemon floor, dirty-severe bawrite, the syncer); the others replace all four
//! with their own flusher, driven by [`SyncPolicy::on_wakeup`] and
//! [`SyncPolicy::throttle`].
//!
//! One policy per file, each with its [`Registered`] entry; [`POLICIES`] lists them.

mod dragonfly;
mod linux;
mod periodic;
mod writethrough;

pub use dragonfly::Dragonfly;
pub use linux::Linux;
pub use periodic::Periodic;
pub use writethrough::Writethrough;

use super::{PolicyInfo, Registered, Spec};
use crate::params::Knobs;
use crate::units::parse_duration_ns;

/// The dirty-memory picture a sync policy decides on.
#[derive(Clone, Copy, Debug, Default)]
pub struct DirtyState {
    /// Bytes dirty in pages and buffers.
    pub dirty: u64,
    /// Bytes of write I/O in flight.
    pub running: u64,
    /// Memory that could hold file data: free + cache + inactive + active pages.
    pub dirtyable: u64,
}

/// What a policy's flusher asks the engine to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncAction {
    /// Everything dirty.
    FlushAll,
    /// Every file that became dirty at least this long ago (ns).
    FlushOlderThan(u64),
    /// Oldest dirty data until at most this many bytes are dirty.
    FlushUntilBelow(u64),
}

/// A sync-threshold policy.
pub trait SyncPolicy: Send {
    fn name(&self) -> &'static str;
    fn params(&self) -> Vec<(&'static str, String)>;
    /// Whether DragonFly's own mechanisms run (buf_daemon, syncer, dirty-severe
    /// bawrite, forced-sync putpages).
    fn kernel_mechanisms(&self) -> bool {
        false
    }
    /// Every write(2) (and every store) goes to the device synchronously.
    fn writethrough(&self) -> bool {
        false
    }
    /// After a write dirtied data: how long the writer pauses (ns), and whether the
    /// flusher should run now.
    fn throttle(&mut self, _st: &DirtyState) -> (u64, bool) {
        (0, false)
    }
    /// The flusher's next wake-up after `now` (ns), if it has a timer.
    fn next_wakeup(&self, _now: u64) -> Option<u64> {
        None
    }
    /// The flusher runs at `now`.
    fn on_wakeup(&mut self, _now: u64, _st: &DirtyState, _out: &mut Vec<SyncAction>) {}
    fn spec(&self) -> String {
        Spec::render(self.name(), &self.params())
    }
}

/// The sync policies, in the order help and errors list them.
pub const POLICIES: &[Registered<dyn SyncPolicy>] = &[
    dragonfly::POLICY,
    linux::POLICY,
    periodic::POLICY,
    writethrough::POLICY,
];

/// What each policy is and its keys, for help text.
pub fn infos() -> Vec<&'static PolicyInfo> {
    super::infos_of(POLICIES)
}

fn dur(spec: &Spec, key: &str, default: &str) -> Result<u64, String> {
    let v = spec
        .params
        .iter()
        .find(|(k, _)| k == key)
        .map_or(default, |(_, v)| v.as_str());
    let ns = parse_duration_ns(v).map_err(|e| format!("sync {}: {key}: {e}", spec.name))?;
    if ns == 0 {
        return Err(format!(
            "sync {}: {key} must be greater than zero",
            spec.name
        ));
    }
    Ok(ns)
}

/// The largest unit that shows `ns` exactly, so the spec parses back to the same value
/// (`interval=1500us` must not be shown as `1ms`, nor `interval=1` as an invalid `0ms`).
fn fmt_dur(ns: u64) -> String {
    for (m, u) in [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")] {
        if ns.is_multiple_of(m) {
            return format!("{}{u}", ns / m);
        }
    }
    format!("{ns}ns")
}

/// Parse a sync spec; dragonfly's keys set the corresponding kernel knobs.
pub fn parse(s: &str, knobs: &mut Knobs) -> Result<Box<dyn SyncPolicy>, String> {
    super::build("sync", s, POLICIES, knobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_round_trip() {
        for s in [
            "dragonfly",
            "dragonfly:forced_sync=off,lazy=4M",
            "linux",
            "linux:background=5,ratio=40,expire=10s,interval=1s",
            "periodic:interval=2s",
            "writethrough",
        ] {
            let mut k = Knobs::default();
            let p = parse(s, &mut k).unwrap();
            let spec = p.spec();
            let mut k2 = Knobs::default();
            assert_eq!(parse(&spec, &mut k2).unwrap().spec(), spec, "{s}");
        }
        let mut k = Knobs::default();
        assert!(parse("linux:background=30,ratio=20", &mut k).is_err());
        assert!(parse("periodic:interval=0s", &mut k).is_err());
        let e = parse("lazy", &mut k).err().unwrap();
        assert!(
            e.contains("writethrough") && e.contains("periodic[:interval]"),
            "{e}"
        );
    }

    #[test]
    fn every_name_builds_its_own_policy_and_near_misses_are_errors() {
        let names: Vec<&str> = infos().iter().map(|i| i.name).collect();
        crate::policies::check_registry(
            "sync",
            &names,
            &["writethroughx", "dragonflyy", "linux2", "Periodic"],
            |s| parse(s, &mut Knobs::default()).map(|p| p.name().to_string()),
        );
    }
}
