//! A simulator from a few words (file sizes, memory, knobs, policies), for tests,
//! benchmarks and library users that drive [`Simulator::step_event`] themselves
//! instead of replaying a trace file.

use super::Simulator;
use crate::device::DeviceSpec;
use crate::params::{Knobs, Params};
use crate::policies::PolicySet;
use crate::trace::FileTable;

/// Builds a [`Simulator`] over files `f0`, `f1`, … of known sizes. Defaults: 1 GiB of
/// RAM (the daemons' thresholds stay out of the way), an SSD, default knobs and
/// policies, every invariant checked after every event.
#[derive(Clone, Debug)]
pub struct SimBuilder {
    sizes: Vec<u64>,
    mem: u64,
    device: DeviceSpec,
    sets: Vec<String>,
    policies: Option<[String; 3]>,
    check: bool,
}

impl SimBuilder {
    /// Files `f0`, `f1`, … of these sizes, as if each had been opened with that size.
    pub fn new(sizes: &[u64]) -> SimBuilder {
        SimBuilder {
            sizes: sizes.to_vec(),
            mem: 1 << 30,
            device: DeviceSpec::ssd(),
            sets: Vec::new(),
            policies: None,
            check: true,
        }
    }

    /// Simulated RAM in bytes.
    pub fn mem(mut self, bytes: u64) -> SimBuilder {
        self.mem = bytes;
        self
    }

    /// Knobs as `--set` takes them (`vfs.max_readahead=0`).
    pub fn sets(mut self, sets: &[&str]) -> SimBuilder {
        self.sets.extend(sets.iter().map(|s| s.to_string()));
        self
    }

    /// Read-ahead, clustering and sync policy specs (their keys may set knobs).
    pub fn policies(mut self, readahead: &str, cluster: &str, sync: &str) -> SimBuilder {
        self.policies = Some([readahead.into(), cluster.into(), sync.into()]);
        self
    }

    pub fn device(mut self, device: DeviceSpec) -> SimBuilder {
        self.device = device;
        self
    }

    /// Whether every invariant is checked after every event (on by default: a test
    /// should see a broken invariant where it breaks).
    pub fn check_invariants(mut self, on: bool) -> SimBuilder {
        self.check = on;
        self
    }

    /// The simulator; an error names a bad knob, policy or impossible size.
    pub fn try_build(&self) -> Result<Simulator, String> {
        let mut files = FileTable::new();
        for (i, &size) in self.sizes.iter().enumerate() {
            let id = files.intern(&format!("f{i}"));
            files.set_initial_size(id, Some(size), true);
        }
        let mut knobs = Knobs::default();
        for s in &self.sets {
            knobs.set(s)?;
        }
        let set = match &self.policies {
            Some([ra, cl, sy]) => Some(PolicySet::parse(ra, cl, sy, &mut knobs)?),
            None => None,
        };
        let p = Params::derive(self.mem, 0, knobs)?;
        let mut s = Simulator::new(p, self.device.clone(), &files);
        if let Some(set) = set {
            s.set_policies(set);
        }
        s.set_check_invariants(self.check);
        Ok(s)
    }

    /// The simulator, for tests and benchmarks whose set-up is fixed: panics with the
    /// reason on a bad knob or policy (never use it on user input).
    pub fn build(&self) -> Simulator {
        match self.try_build() {
            Ok(s) => s,
            Err(e) => panic!("SimBuilder: {e}"),
        }
    }
}
