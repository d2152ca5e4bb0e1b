//! The effective configuration of a run as every report shows it (the `config` object
//! of the replay JSON, the `config.*` columns of a results row): defaults resolved,
//! policy specs with every key, the knobs after the policies applied theirs, and the
//! thresholds derived from them.
//!
//! It is a typed value so that serde writes the JSON and the results rows from one
//! definition, in one key order; [`RunConfig`] serializes as it.

use super::{ModelKind, RunConfig};
use crate::device::{DeviceParams, DeviceSpec};
use crate::params::{Knobs, Params};
use crate::policies::{self, PolicySet};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// What a report shows of a [`RunConfig`], in output order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EffectiveConfig {
    pub model: ModelKind,
    pub mem: u64,
    /// `mem` the way `--mem` spells it (`1G`).
    pub mem_h: String,
    pub unavailable: u64,
    /// The effective device spec string.
    pub device: DeviceSpec,
    pub final_sync: bool,
    pub device_params: DeviceParams,
    /// The Linux personality with every key (linux model only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The effective policy specs, every key included (dragonfly model, when the three
    /// specs parse together).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readahead: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync: Option<String>,
    /// Every knob after the policies' keys (dragonfly model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knobs: Option<KnobTable>,
    /// The §4 thresholds (dragonfly model, when the sizes are possible).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived: Option<Derived>,
}

/// Every knob by its table name, with the value as the table shows it (`2M`, `auto`,
/// `127`), in table order.
#[derive(Clone, Debug, PartialEq)]
pub struct KnobTable(pub Knobs);

impl Serialize for KnobTable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let entries = self.0.entries();
        let mut m = s.serialize_map(Some(entries.len()))?;
        for (name, text) in &entries {
            m.serialize_entry(name, &KnobValue(text))?;
        }
        m.end()
    }
}

/// One knob's value. The knob table renders every value as text, and the JSON shows
/// that text; a results row (a non-human-readable serializer) gets an integer when the
/// text is exactly one (`127`, `1`), so a column of a numeric knob is a number column.
struct KnobValue<'a>(&'a str);

impl Serialize for KnobValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable()
            && let Ok(i) = self.0.parse::<i64>()
            && i.to_string() == self.0
        {
            return s.serialize_i64(i);
        }
        s.serialize_str(self.0)
    }
}

/// The thresholds derived from the configuration, by name, in §4's order.
#[derive(Clone, Debug, PartialEq)]
pub struct Derived(pub Params);

impl Serialize for Derived {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let entries = self.0.derived_entries();
        let mut m = s.serialize_map(Some(entries.len()))?;
        for (name, v) in &entries {
            m.serialize_entry(name, v)?;
        }
        m.end()
    }
}

impl RunConfig {
    /// Every effective setting, defaults included.
    pub fn effective(&self) -> EffectiveConfig {
        let mut e = EffectiveConfig {
            model: self.model,
            mem: self.mem,
            mem_h: crate::units::format_size(self.mem),
            unavailable: self.unavailable,
            device: self.device.clone(),
            final_sync: self.final_sync,
            device_params: self.device.params(),
            profile: (self.model == ModelKind::Linux).then(|| self.linux.spec()),
            readahead: None,
            cluster: None,
            sync: None,
            knobs: None,
            derived: None,
        };
        if self.model == ModelKind::Dragonfly {
            let knobs = match self.policies() {
                Ok((set, knobs)) => {
                    e.readahead = Some(set.readahead.spec());
                    e.cluster = Some(set.cluster.spec());
                    e.sync = Some(set.sync.spec());
                    e.derived = Params::derive(self.mem, self.unavailable, knobs.clone())
                        .ok()
                        .map(Derived);
                    knobs
                }
                Err(_) => self.knobs.clone(),
            };
            e.knobs = Some(KnobTable(knobs));
        }
        e
    }

    /// The effective spec of one policy family (`readahead`, `cluster`, `sync`), every
    /// key included: for the dragonfly model as [`RunConfig::effective`] shows it. When
    /// the three specs do not parse together, or the model shows no policies, the
    /// family's spec is parsed alone, so that one bad family does not make the others
    /// look different; `None` if even that fails.
    pub fn family_spec(&self, family: &str) -> Option<String> {
        let pick = |set: PolicySet| match family {
            "readahead" => set.readahead.spec(),
            "cluster" => set.cluster.spec(),
            _ => set.sync.spec(),
        };
        let given = match family {
            "readahead" => &self.readahead,
            "cluster" => &self.cluster,
            "sync" => &self.sync,
            _ => return None,
        };
        if self.model == ModelKind::Dragonfly
            && let Ok((set, _)) = self.policies()
        {
            return Some(pick(set));
        }
        let mut knobs = self.knobs.clone();
        match family {
            "readahead" => policies::readahead::parse(given, &mut knobs).map(|p| p.spec()),
            "cluster" => policies::cluster::parse(given, &mut knobs).map(|p| p.spec()),
            _ => policies::sync::parse(given, &mut knobs).map(|p| p.spec()),
        }
        .ok()
    }

    /// [`RunConfig::effective`] as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// A configuration serializes as what it means ([`EffectiveConfig`]), not as the
/// fields it was given: reports show resolved defaults and derived thresholds.
impl Serialize for RunConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.effective().serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Key order and presence by model: linux has a profile and no policies, knobs or
    /// thresholds; lru has neither.
    #[test]
    fn keys_by_model() {
        let keys = |cfg: &RunConfig| -> Vec<String> {
            let v = cfg.to_json();
            v.as_object().unwrap().keys().cloned().collect()
        };
        let base = [
            "model",
            "mem",
            "mem_h",
            "unavailable",
            "device",
            "final_sync",
            "device_params",
        ];
        let mut cfg = RunConfig::default();
        let df: Vec<&str> = base
            .iter()
            .copied()
            .chain(["readahead", "cluster", "sync", "knobs", "derived"])
            .collect();
        assert_eq!(keys(&cfg), df);
        cfg.model = ModelKind::Linux;
        let linux: Vec<&str> = base.iter().copied().chain(["profile"]).collect();
        assert_eq!(keys(&cfg), linux);
        cfg.model = ModelKind::Lru;
        assert_eq!(keys(&cfg), base);
    }

    /// A bad policy spec keeps the knobs (as given) but drops the specs and the
    /// derived thresholds, which would be made up.
    #[test]
    fn bad_policy_keeps_knobs_only() {
        let cfg = RunConfig {
            readahead: "bogus".into(),
            ..RunConfig::default()
        };
        let e = cfg.effective();
        assert!(e.readahead.is_none() && e.derived.is_none());
        let v = cfg.to_json();
        assert_eq!(v["knobs"]["io_seqmax"], "127");
        assert_eq!(v["model"], "dragonfly");
        assert_eq!(v["mem_h"], "1G");
        assert_eq!(v["final_sync"], false);
        // The good families still show their effective specs, the bad one none.
        assert_eq!(cfg.family_spec("readahead"), None);
        let cluster = cfg.family_spec("cluster").unwrap_or_default();
        assert!(cluster.starts_with("dragonfly:max=128K"), "{cluster}");
        assert_eq!(cfg.family_spec("profile"), None);
    }
}
