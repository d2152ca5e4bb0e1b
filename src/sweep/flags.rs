//! The sweep grid from the command line's flags (and a grid file they add to).

use super::Grid;
use crate::run::ModelKind;
use crate::spec::split_list;
use crate::units::parse_size;

/// `vpsim sweep`'s grid flags as typed; a list flag may be repeated and each value
/// may be a comma list.
#[derive(Clone, Copy, Debug)]
pub struct GridFlags<'a> {
    /// `--grid FILE.toml`: its path and text.
    pub file: Option<(&'a str, &'a str)>,
    pub model: &'a [String],
    pub profile: &'a [String],
    pub mem: &'a [String],
    pub device: &'a [String],
    pub readahead: &'a [String],
    pub cluster: &'a [String],
    pub sync: &'a [String],
    pub unavailable: &'a str,
    pub set: &'a [String],
    pub set_grid: &'a [String],
    pub final_sync: bool,
}

fn lists(values: &[String]) -> Vec<String> {
    values.iter().flat_map(|v| split_list(v)).collect()
}

impl Grid {
    /// The grid of a sweep's flags: the grid file's, then every flag given replacing
    /// its dimension. Every device and policy spec must parse: a typo is an error here,
    /// not a grid of failed rows.
    pub fn from_flags(a: &GridFlags) -> Result<Grid, String> {
        let mut g = match a.file {
            Some((p, text)) => Grid::from_toml(text).map_err(|e| format!("--grid {p}: {e}"))?,
            None => Grid::default(),
        };
        if !a.model.is_empty() {
            g.models = lists(a.model)
                .iter()
                .map(|m| ModelKind::parse(m))
                .collect::<Result<_, _>>()?;
        }
        if !a.profile.is_empty() {
            g.profiles = a.profile.to_vec();
        }
        if !a.mem.is_empty() {
            g.mems = lists(a.mem)
                .iter()
                .map(|m| parse_size(m).map_err(|e| format!("--mem: {e}")))
                .collect::<Result<_, _>>()?;
        }
        if !a.device.is_empty() {
            g.devices = lists(a.device);
        }
        for (flag, vals, dst) in [
            ("readahead", a.readahead, &mut g.readahead),
            ("cluster", a.cluster, &mut g.cluster),
            ("sync", a.sync, &mut g.sync),
        ] {
            if !vals.is_empty() {
                let l = lists(vals);
                if l.is_empty() {
                    return Err(format!("--{flag}: empty"));
                }
                *dst = l;
            }
        }
        g.unavailable = parse_size(a.unavailable).map_err(|e| format!("--unavailable: {e}"))?;
        g.fixed_sets.extend(a.set.iter().cloned());
        for s in a.set_grid {
            let (k, v) = s
                .split_once('=')
                .ok_or_else(|| format!("--set-grid expects KNOB=V1,V2,..., got \"{s}\""))?;
            let vals: Vec<String> = v.split(',').map(|x| x.trim().to_string()).collect();
            g.knob_dims.push((k.trim().to_string(), vals));
        }
        g.final_sync |= a.final_sync;
        g.validate()?;
        // Every spec must parse: a typo is a usage error, not a grid of failed rows.
        for d in &g.devices {
            d.parse::<crate::device::DeviceSpec>()
                .map_err(|e| format!("--device {d}: {e}"))?;
        }
        for ra in &g.readahead {
            for cl in &g.cluster {
                for sy in &g.sync {
                    crate::run::RunConfig {
                        readahead: ra.clone(),
                        cluster: cl.clone(),
                        sync: sy.clone(),
                        ..crate::run::RunConfig::default()
                    }
                    .policies()?;
                }
            }
        }
        Ok(g)
    }
}
