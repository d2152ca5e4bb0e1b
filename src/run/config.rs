//! Building and validating configurations from what the user typed: the flag values
//! of `replay` and `compare` as strings, checked here, beside [`RunConfig`], so every
//! front end (the CLI, a script through the library) gets the same errors — each naming
//! the flag — before any trace is read.

use super::{ModelKind, RunConfig};
use crate::device::DeviceSpec;
use crate::models::linux::LinuxParams;
use crate::params::Knobs;
use crate::spec::split_specs;
use crate::units::{parse_duration_ns, parse_size};

/// The simulated machine as typed: `--mem`, `--unavailable`, `--device`, `--set`.
#[derive(Clone, Copy, Debug)]
pub struct MachineRequest<'a> {
    pub mem: &'a str,
    pub unavailable: &'a str,
    pub device: &'a str,
    pub set: &'a [String],
}

/// The simulated machine's flags, shared by `replay` and `compare` (parsed by clap;
/// the binary flattens them into its arguments).
#[derive(Clone, Debug, clap::Args)]
pub struct MachineFlags {
    /// Simulated RAM (bytes, or with K/M/G/T suffix, powers of 1024). Sets every §4 threshold.
    #[arg(long, default_value = "1G")]
    pub mem: String,
    /// RAM the file cache cannot use (kernel data, anonymous memory), e.g. 512M.
    #[arg(long, default_value = "0")]
    pub unavailable: String,
    /// Device: nvme, ssd or hdd, with overrides, e.g. ssd:lat=80us,bw=2GB/s or hdd:seek=8ms,sched=fifo.
    #[arg(long, default_value = "ssd")]
    pub device: String,
    /// Set a kernel knob, e.g. --set vfs.max_readahead=0 --set f_iosize=4096 (repeatable; see `vpsim knobs`).
    #[arg(long = "set", value_name = "KNOB=VALUE")]
    pub set: Vec<String>,
}

impl MachineFlags {
    /// The flags as a request.
    pub fn request(&self) -> MachineRequest<'_> {
        MachineRequest {
            mem: &self.mem,
            unavailable: &self.unavailable,
            device: &self.device,
            set: &self.set,
        }
    }
}

/// One replay's configuration as typed (`vpsim replay`'s flags).
#[derive(Clone, Copy, Debug)]
pub struct ReplayRequest<'a> {
    pub model: &'a str,
    pub profile: &'a str,
    pub machine: MachineRequest<'a>,
    pub readahead: Option<&'a str>,
    pub cluster: Option<&'a str>,
    pub sync: Option<&'a str>,
    pub check_invariants: bool,
    pub final_sync: bool,
    /// `--timeline` was given.
    pub timeline: bool,
    pub timeline_step: &'a str,
}

/// The policy families by flag name, in the order configurations list them.
pub const FAMILIES: [&str; 3] = ["readahead", "cluster", "sync"];

/// Memory, unavailable memory, device and knobs of a machine request.
pub fn parse_machine(m: &MachineRequest) -> Result<(u64, u64, DeviceSpec, Knobs), String> {
    let mem = parse_size(m.mem).map_err(|e| format!("--mem: {e}"))?;
    let unavailable = parse_size(m.unavailable).map_err(|e| format!("--unavailable: {e}"))?;
    let device: DeviceSpec = m.device.parse().map_err(|e| format!("--device: {e}"))?;
    let mut knobs = Knobs::default();
    for s in m.set {
        knobs.set(s)?;
    }
    Ok((mem, unavailable, device, knobs))
}

/// A personality spec: `None` for `dragonfly`, the Linux settings for
/// `linux[:key=value,...]`.
pub fn parse_profile(spec: &str) -> Result<Option<LinuxParams>, String> {
    match spec.split_once(':').unwrap_or((spec, "")) {
        ("dragonfly", "") => Ok(None),
        ("linux", keys) => LinuxParams::parse(keys)
            .map(Some)
            .map_err(|e| format!("--profile \"{spec}\": {e}")),
        _ => Err(format!(
            "--profile \"{spec}\": expected dragonfly or linux[:key=value,...]"
        )),
    }
}

/// Check one spec of one family (`readahead`, `cluster` or `sync`) alone, the other
/// two at their defaults, so a typo is an error naming the flag. A value with ':' whose
/// comma-separated parts are not all key=value (`none,fixed:pages=8`,
/// `linux:max=64,dragonfly`) was probably meant as a list; say how to give several.
pub fn check_spec(base: &RunConfig, family: &str, spec: &str) -> Result<(), String> {
    let mut cfg = RunConfig {
        readahead: "dragonfly".into(),
        cluster: "dragonfly".into(),
        sync: "dragonfly".into(),
        ..base.clone()
    };
    match family {
        "readahead" => cfg.readahead = spec.to_string(),
        "cluster" => cfg.cluster = spec.to_string(),
        _ => cfg.sync = spec.to_string(),
    }
    cfg.policies().map(|_| ()).map_err(|e| {
        let mut msg = format!("--{family} \"{spec}\": {e}");
        let looks_like_list = spec.split_once(':').is_some_and(|(name, keys)| {
            name.contains(',')
                || keys
                    .split(',')
                    .any(|kv| !kv.trim().is_empty() && !kv.contains('='))
        });
        if looks_like_list {
            msg.push_str(&format!(
                " (a value containing ':' is a single spec; repeat --{family} to give several)"
            ));
        }
        msg
    })
}

/// The registered names of a spec family (`readahead`, `cluster`, `sync`, `device`):
/// where [`split_specs`] starts a new spec in a comma list.
pub fn family_names(family: &str) -> Vec<&'static str> {
    let infos = match family {
        "readahead" => crate::policies::readahead::infos(),
        "cluster" => crate::policies::cluster::infos(),
        "sync" => crate::policies::sync::infos(),
        "device" => return DeviceSpec::PRESETS.to_vec(),
        _ => Vec::new(),
    };
    infos.iter().map(|p| p.name).collect()
}

/// Every value of a repeatable spec flag (or grid-file list) split into specs
/// ([`split_specs`]); the caller says where the values came from in an error.
pub fn split_family(family: &str, values: &[String]) -> Result<Vec<String>, String> {
    let names = family_names(family);
    let mut specs = Vec::new();
    for v in values {
        specs.extend(split_specs(v, &names)?);
    }
    Ok(specs)
}

/// [`split_family`] of a command-line flag: errors name the flag.
pub fn split_flag(family: &str, values: &[String]) -> Result<Vec<String>, String> {
    split_family(family, values).map_err(|e| format!("--{family}: {e}"))
}

/// The specs of one family for `compare`: every value split into specs, each
/// checked alone; `["dragonfly"]` when the flag is absent.
pub fn family_specs(
    base: &RunConfig,
    family: &str,
    values: &[String],
) -> Result<Vec<String>, String> {
    if values.is_empty() {
        return Ok(vec!["dragonfly".into()]);
    }
    let mut specs = Vec::new();
    for v in values {
        let list = split_flag(family, std::slice::from_ref(v))?;
        if list.is_empty() {
            return Err(format!("--{family} \"{v}\": empty spec"));
        }
        for spec in list {
            check_spec(base, family, &spec)?;
            specs.push(spec);
        }
    }
    Ok(specs)
}

impl RunConfig {
    /// The configuration of a replay request, every flag checked against the others.
    pub fn from_request(a: &ReplayRequest) -> Result<RunConfig, String> {
        let mut model = ModelKind::parse(a.model)?;
        let policies_given = a.readahead.is_some() || a.cluster.is_some() || a.sync.is_some();
        let linux = parse_profile(a.profile)?;
        if let Some(linux) = linux {
            if model != ModelKind::Dragonfly {
                return Err(format!(
                    "--profile linux replaces the kernel model; it cannot go with --model {}",
                    model.name()
                ));
            }
            if policies_given {
                return Err("--readahead, --cluster and --sync are DragonFly policies; under --profile linux set its keys instead (e.g. --profile linux:read_ahead_kb=512)".into());
            }
            if !a.machine.set.is_empty() || a.timeline || a.check_invariants {
                return Err(
                    "--set, --timeline and --check-invariants apply to --profile dragonfly only"
                        .into(),
                );
            }
            model = ModelKind::Linux;
            let (mem, unavailable, device, _) = parse_machine(&a.machine)?;
            return Ok(RunConfig {
                model,
                mem,
                unavailable,
                device,
                final_sync: a.final_sync,
                linux,
                ..RunConfig::default()
            });
        }
        let (mem, unavailable, device, knobs) = parse_machine(&a.machine)?;
        if model != ModelKind::Dragonfly && unavailable > 0 {
            return Err(format!(
                "--unavailable applies to the dragonfly model only (the {} model's capacity is --mem / 4096 pages)",
                model.name()
            ));
        }
        if model != ModelKind::Dragonfly && !a.machine.set.is_empty() {
            return Err(format!(
                "--set applies to the dragonfly model only (the {} model has no kernel knobs)",
                model.name()
            ));
        }
        if model != ModelKind::Dragonfly && policies_given {
            return Err(format!(
                "--readahead, --cluster and --sync apply to the dragonfly model only (the {} model has no such policies)",
                model.name()
            ));
        }
        let step =
            parse_duration_ns(a.timeline_step).map_err(|e| format!("--timeline-step: {e}"))?;
        if step == 0 {
            return Err("--timeline-step must be greater than zero".into());
        }
        if model != ModelKind::Dragonfly && (a.final_sync || a.timeline) {
            return Err(format!(
                "--final-sync and --timeline apply to the dragonfly model only, not {}",
                model.name()
            ));
        }
        let cfg = RunConfig {
            model,
            mem,
            unavailable,
            knobs,
            device,
            check_invariants: a.check_invariants,
            final_sync: a.final_sync,
            timeline_step_ns: a.timeline.then_some(step),
            readahead: a.readahead.unwrap_or("dragonfly").to_string(),
            cluster: a.cluster.unwrap_or("dragonfly").to_string(),
            sync: a.sync.unwrap_or("dragonfly").to_string(),
            linux: LinuxParams::default(),
        };
        if model == ModelKind::Dragonfly {
            for (family, v) in FAMILIES.into_iter().zip([a.readahead, a.cluster, a.sync]) {
                if let Some(v) = v {
                    if split_flag(family, &[v.to_string()])?.len() > 1 {
                        return Err(format!(
                            "--{family} \"{v}\": replay takes one spec per family; `vpsim compare` compares several"
                        ));
                    }
                    check_spec(&cfg, family, v)?;
                }
            }
            // The three together (a dragonfly key may set a knob another family reads).
            cfg.policies()?;
        }
        Ok(cfg)
    }
}

/// The configurations `compare` runs: for the `dragonfly` profile every combination
/// of the three families' specs (`lists`, in [`FAMILIES`] order), for each
/// `linux[:...]` profile one configuration; `base` holds the machine.
pub fn compare_configs(
    base: &RunConfig,
    lists: &[Vec<String>; 3],
    profiles: &[String],
    policies_given: bool,
) -> Result<Vec<RunConfig>, String> {
    let dragonfly = ["dragonfly".to_string()];
    let profiles = if profiles.is_empty() {
        &dragonfly[..]
    } else {
        profiles
    };
    if policies_given && !profiles.iter().any(|p| p == "dragonfly") {
        return Err(
            "--readahead, --cluster and --sync are DragonFly policies: add --profile dragonfly to compare them".into(),
        );
    }
    let mut configs = Vec::new();
    for p in profiles {
        match parse_profile(p)? {
            None => {
                for ra in &lists[0] {
                    for cl in &lists[1] {
                        for sy in &lists[2] {
                            configs.push(RunConfig {
                                readahead: ra.clone(),
                                cluster: cl.clone(),
                                sync: sy.clone(),
                                ..base.clone()
                            });
                        }
                    }
                }
            }
            Some(linux) => configs.push(RunConfig {
                model: ModelKind::Linux,
                linux,
                ..base.clone()
            }),
        }
    }
    Ok(configs)
}
