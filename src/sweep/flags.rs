//! The sweep grid from the command line's flags (and a grid file they add to).

use super::Grid;
use crate::run::ModelKind;
use crate::run::config::split_flag;
use crate::units::parse_size;

/// `vpsim sweep`'s grid flags, parsed by clap (the binary flattens them into its
/// arguments); a list flag may be repeated and each value may be a comma list.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct GridFlags {
    /// Read the grid from a TOML file (keys: model, profile, mem, device, readahead, cluster, sync, unavailable, final_sync, [set], [set_grid]); a dimension flag given as well replaces its list, --set/--set-grid/--final-sync add. Example: --grid sweep.toml
    #[arg(long, value_name = "FILE.toml")]
    pub grid: Option<String>,
    /// Models to sweep, e.g. dragonfly,lru,opt (lru and opt ignore policies and knobs).
    #[arg(long)]
    pub model: Vec<String>,
    /// Kernel personalities, repeatable: dragonfly (the default; its configurations are every policy and knob combination) and/or linux[:key=value,...] (one configuration per memory size and device), e.g. --profile dragonfly --profile linux --profile linux:read_ahead_kb=8192. Needs --model dragonfly (the default).
    #[arg(long, value_name = "SPEC")]
    pub profile: Vec<String>,
    /// Memory sizes, e.g. --mem 64M,256M,1G.
    #[arg(long)]
    pub mem: Vec<String>,
    /// RAM the file cache cannot use (dragonfly model).
    #[arg(long, default_value = "0")]
    pub unavailable: String,
    /// Devices, e.g. --device ssd,hdd:seek=4ms,nvme (a spec starts at each device name; key=value elements belong to the one before).
    #[arg(long)]
    pub device: Vec<String>,
    /// Read-ahead policies, repeatable or a comma list where a spec starts at each policy name, e.g. --readahead none,fixed:pages=16,linux.
    #[arg(long)]
    pub readahead: Vec<String>,
    /// Write clustering policies (split like --readahead), e.g. --cluster dragonfly,contiguous:max=16.
    #[arg(long)]
    pub cluster: Vec<String>,
    /// Sync policies (split like --readahead), e.g. --sync linux:background=5,ratio=10,periodic.
    #[arg(long)]
    pub sync: Vec<String>,
    /// A knob fixed for every configuration, e.g. --set vm.prefault_pages=0.
    #[arg(long = "set", value_name = "KNOB=VALUE")]
    pub set: Vec<String>,
    /// A knob as a dimension, e.g. --set-grid vfs.max_readahead=0,256K,2M.
    #[arg(long = "set-grid", value_name = "KNOB=V1,V2,...")]
    pub set_grid: Vec<String>,
    /// Flush everything at the end of the trace (so bytes written compare).
    #[arg(long)]
    pub final_sync: bool,
}

/// Comma lists of plain values (models, memory sizes).
fn lists(values: &[String]) -> Vec<String> {
    let all = values.iter().flat_map(|v| v.split(','));
    all.map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

impl Grid {
    /// The grid of a sweep's flags: the grid file's, then every flag given replacing
    /// its dimension. Every device and policy spec must parse: a typo is an error here,
    /// not a grid of failed rows.
    pub fn from_flags(a: &GridFlags) -> Result<Grid, String> {
        let mut g = match &a.grid {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| format!("--grid {p}: {e}"))?;
                Grid::from_toml(&text).map_err(|e| format!("--grid {p}: {e}"))?
            }
            None => Grid::default(),
        };
        if !a.model.is_empty() {
            g.models = lists(&a.model)
                .iter()
                .map(|m| ModelKind::parse(m))
                .collect::<Result<_, _>>()?;
        }
        if !a.profile.is_empty() {
            g.profiles = a.profile.clone();
        }
        if !a.mem.is_empty() {
            g.mems = lists(&a.mem)
                .iter()
                .map(|m| parse_size(m).map_err(|e| format!("--mem: {e}")))
                .collect::<Result<_, _>>()?;
        }
        for (flag, vals, dst) in [
            ("device", &a.device, &mut g.devices),
            ("readahead", &a.readahead, &mut g.readahead),
            ("cluster", &a.cluster, &mut g.cluster),
            ("sync", &a.sync, &mut g.sync),
        ] {
            if !vals.is_empty() {
                let l = split_flag(flag, vals)?;
                if l.is_empty() {
                    return Err(format!("--{flag}: empty"));
                }
                *dst = l;
            }
        }
        g.unavailable = parse_size(&a.unavailable).map_err(|e| format!("--unavailable: {e}"))?;
        g.fixed_sets.extend(a.set.iter().cloned());
        for s in &a.set_grid {
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
