//! Policy plug-ins: read-ahead, write clustering and sync thresholds.
//!
//! Each family is a small trait whose hooks the engine calls at fixed points (in the
//! style of ChampSim's prefetcher and replacement modules): the read-ahead family on
//! every block a read or pagein needs and on its markers, the clustering family when a
//! full block is written and when a dirty buffer or page is flushed, the sync family
//! on writes and on its own timer. Each policy is one type in one file, which also
//! holds its [`Registered`] entry (description, keys and constructor); adding one
//! means adding a file and a line to its family's registry, never touching the engine.
//!
//! Policies are chosen with spec strings `name[:key=value,...]`, parsed here, in one
//! place, with errors that list the policies and their keys.

pub mod cluster;
pub mod help;
pub mod readahead;
pub mod sync;

pub use cluster::Clustering;
pub use readahead::ReadAhead;
pub use sync::SyncPolicy;

use crate::params::Knobs;
use crate::spec::Spec;

/// One policy of a family: its name, what it is, its keys (name, default, meaning).
pub struct PolicyInfo {
    pub name: &'static str,
    pub help: &'static str,
    pub keys: &'static [(&'static str, &'static str, &'static str)],
}

/// One registered policy of a family whose trait is `T`: what it is and how to build
/// it. The family's registry lists them; `lookup` finds one by name and checks its
/// keys, and `build` turns the checked spec into the policy (dragonfly policies apply
/// their keys to the knobs). A name is only ever built by its own entry's `build`.
pub struct Registered<T: ?Sized + 'static> {
    pub info: PolicyInfo,
    pub build: fn(&Spec, &mut Knobs) -> Result<Box<T>, String>,
}

/// Check that every key of `spec` is one `info` knows; the error lists the valid keys.
fn check_keys(family: &str, spec: &Spec, info: &PolicyInfo) -> Result<(), String> {
    for (k, _) in &spec.params {
        if !info.keys.iter().any(|(name, _, _)| name == k) {
            let valid: Vec<&str> = info.keys.iter().map(|(n, _, _)| *n).collect();
            return Err(format!(
                "{family} policy \"{}\" has no key \"{k}\"; its keys: {}",
                info.name,
                if valid.is_empty() {
                    "(none)".to_string()
                } else {
                    valid.join(", ")
                }
            ));
        }
    }
    Ok(())
}

/// Build the policy `s` names from a family's registry `all` (`family` names it in
/// errors): the one parse every family's `parse` is.
pub(crate) fn build<T: ?Sized>(
    family: &str,
    s: &str,
    all: &[Registered<T>],
    knobs: &mut Knobs,
) -> Result<Box<T>, String> {
    let (spec, p) = lookup(family, s, all)?;
    (p.build)(&spec, knobs)
}

/// The infos of a family's registry, in its order (for help text).
pub(crate) fn infos_of<T: ?Sized>(all: &'static [Registered<T>]) -> Vec<&'static PolicyInfo> {
    all.iter().map(|p| &p.info).collect()
}

/// Parse `s` and find its policy in `all`, checking its keys: the one place every
/// family's spec is validated (errors list the family's policies and keys).
pub(crate) fn lookup<'a, T: ?Sized + 'static>(
    family: &str,
    s: &str,
    all: &'a [Registered<T>],
) -> Result<(Spec, &'a Registered<T>), String> {
    let spec = Spec::parse(s)?;
    let Some(p) = all.iter().find(|p| p.info.name == spec.name) else {
        return Err(unknown(family, &spec.name, all));
    };
    check_keys(family, &spec, &p.info)?;
    Ok((spec, p))
}

/// The error for an unknown policy name, listing the family's policies and keys.
fn unknown<T: ?Sized + 'static>(family: &str, name: &str, all: &[Registered<T>]) -> String {
    let list: Vec<String> = all
        .iter()
        .map(|p| &p.info)
        .map(|p| {
            if p.keys.is_empty() {
                p.name.to_string()
            } else {
                let keys: Vec<&str> = p.keys.iter().map(|(k, _, _)| *k).collect();
                format!("{}[:{}]", p.name, keys.join(","))
            }
        })
        .collect();
    format!(
        "unknown {family} policy \"{name}\"; valid: {}",
        list.join(" | ")
    )
}

/// The three policies of one configuration.
pub struct PolicySet {
    pub readahead: Box<dyn ReadAhead>,
    pub cluster: Box<dyn Clustering>,
    pub sync: Box<dyn SyncPolicy>,
}

impl PolicySet {
    /// Parse the three specs; policies that are views of kernel knobs (the dragonfly
    /// ones) apply their keys to `knobs`.
    pub fn parse(ra: &str, cl: &str, sy: &str, knobs: &mut Knobs) -> Result<PolicySet, String> {
        Ok(PolicySet {
            readahead: readahead::parse(ra, knobs)?,
            cluster: cluster::parse(cl, knobs)?,
            sync: sync::parse(sy, knobs)?,
        })
    }

    /// The DragonFly defaults.
    pub fn dragonfly() -> PolicySet {
        let mut k = Knobs::default();
        PolicySet::parse("dragonfly", "dragonfly", "dragonfly", &mut k)
            .unwrap_or_else(|_| unreachable!("the default specs parse"))
    }
}

/// The registry test every family runs: each registered name builds the policy of
/// that name, and a name that is not registered (`near_misses`) never reaches another
/// policy's constructor — it is an error listing exactly the registered names.
#[cfg(test)]
pub(crate) fn check_registry(
    family: &str,
    names: &[&str],
    near_misses: &[&str],
    build: impl Fn(&str) -> Result<String, String>,
) {
    for name in names {
        assert_eq!(build(name).as_deref(), Ok(*name));
    }
    for bad in near_misses {
        let e = build(bad)
            .err()
            .unwrap_or_else(|| panic!("{bad} was accepted"));
        let prefix = format!("unknown {family} policy \"{bad}\"; valid: ");
        let listed: Vec<&str> = e
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{bad}: {e}"))
            .split(" | ")
            .map(|p| p.split('[').next().unwrap_or(p))
            .collect();
        assert_eq!(listed, names, "{bad}: {e}");
    }
}
