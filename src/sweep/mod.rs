//! Parameter sweeps: the cartesian product of every listed dimension, run in parallel
//! over one parsed trace, written as results rows as configurations complete.
//!
//! Each configuration has a stable index in the full grid (`config_id`) and a
//! canonical description (`config_key`); a grid fingerprint ties rows to the grid
//! that made them, so `--resume`, `--shard I/N` and `merge` can check what belongs
//! together. The reference models (lru, opt) have no policies or knobs: their
//! configurations ignore those dimensions and appear once per memory size and device.

mod flags;
mod grid_file;

pub use flags::GridFlags;

use crate::params::Knobs;
use crate::report::results::{Cell, Row};
use crate::run::batch::run_batch_logged;
use crate::run::{LoadedTrace, ModelKind, RunConfig, RunOutput};
use crate::units::format_size;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// The dimensions of a sweep; each list must be non-empty.
#[derive(Clone, PartialEq)]
pub struct Grid {
    pub models: Vec<ModelKind>,
    /// Kernel personalities of the `dragonfly` model slot: `dragonfly` (every policy
    /// and knob combination) and/or `linux[:key=value,...]` (one configuration per
    /// memory size and device: the DragonFly policies and knobs do not apply).
    pub profiles: Vec<String>,
    pub mems: Vec<u64>,
    pub devices: Vec<String>,
    pub readahead: Vec<String>,
    pub cluster: Vec<String>,
    pub sync: Vec<String>,
    /// `--set-grid KNOB=V1,V2,...`: knob dimensions.
    pub knob_dims: Vec<(String, Vec<String>)>,
    /// `--set KNOB=V`: fixed for every configuration.
    pub fixed_sets: Vec<String>,
    pub unavailable: u64,
    pub final_sync: bool,
}

impl Default for Grid {
    fn default() -> Self {
        Grid {
            models: vec![ModelKind::Dragonfly],
            profiles: vec!["dragonfly".into()],
            mems: vec![1 << 30],
            devices: vec!["ssd".into()],
            readahead: vec!["dragonfly".into()],
            cluster: vec!["dragonfly".into()],
            sync: vec!["dragonfly".into()],
            knob_dims: Vec::new(),
            fixed_sets: Vec::new(),
            unavailable: 0,
            final_sync: false,
        }
    }
}

/// Written by hand so that a grid without Linux profiles prints (and so fingerprints)
/// exactly as before the profile dimension existed: results files of older sweeps
/// stay resumable and mergeable.
impl std::fmt::Debug for Grid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Grid");
        d.field("models", &self.models);
        if !self.dragonfly_only() {
            d.field("profiles", &self.profiles);
        }
        d.field("mems", &self.mems)
            .field("devices", &self.devices)
            .field("readahead", &self.readahead)
            .field("cluster", &self.cluster)
            .field("sync", &self.sync)
            .field("knob_dims", &self.knob_dims)
            .field("fixed_sets", &self.fixed_sets)
            .field("unavailable", &self.unavailable)
            .field("final_sync", &self.final_sync)
            .finish()
    }
}

/// One configuration of a grid.
#[derive(Clone, Debug)]
pub struct Point {
    /// Index in the full grid (stable across shards and resumes).
    pub id: usize,
    pub key: String,
    pub config: Result<RunConfig, String>,
    /// Every dimension's value as the user gave it (`readahead` = `linux`, not the
    /// effective `linux:max=32`), by results column (`config.readahead`,
    /// `config.knobs.vfs.write_behind`); `-` where the dimension does not apply (a
    /// reference model's policies, a Linux row's knobs). What the printed table's rows
    /// are labelled with.
    pub given: Vec<(String, String)>,
}

impl Grid {
    /// True when the only personality is DragonFly's (the default).
    fn dragonfly_only(&self) -> bool {
        self.profiles.len() == 1 && self.profiles[0] == "dragonfly"
    }

    /// The swept dimensions (lists with more than one value), as results columns.
    pub fn dims(&self) -> Vec<String> {
        let mut d = Vec::new();
        if self.models.len() > 1 {
            d.push("config.model".to_string());
        }
        if self.profiles.len() > 1 {
            d.push("config.profile".to_string());
        }
        if self.mems.len() > 1 {
            d.push("config.mem".into());
        }
        if self.devices.len() > 1 {
            d.push("config.device".into());
        }
        if self.readahead.len() > 1 {
            d.push("config.readahead".into());
        }
        if self.cluster.len() > 1 {
            d.push("config.cluster".into());
        }
        if self.sync.len() > 1 {
            d.push("config.sync".into());
        }
        for (k, v) in &self.knob_dims {
            if v.len() > 1 {
                d.push(format!("config.knobs.{k}"));
            }
        }
        d
    }

    /// A fingerprint of everything that defines the grid (not the trace).
    pub fn fingerprint(&self) -> String {
        let mut h = DefaultHasher::new();
        format!("{self:?}").hash(&mut h);
        format!("{:016x}", h.finish())
    }

    /// Every configuration, in a fixed order: model, mem, device, readahead, cluster,
    /// sync, then the knob dimensions in the order given.
    pub fn points(&self) -> Vec<Point> {
        let mut knob_combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
        for (k, vals) in &self.knob_dims {
            let mut next = Vec::new();
            for combo in &knob_combos {
                for v in vals {
                    let mut c = combo.clone();
                    c.push((k.clone(), v.clone()));
                    next.push(c);
                }
            }
            knob_combos = next;
        }
        let mut out = Vec::new();
        let mut seen = rustc_hash::FxHashSet::default();
        let mut id = 0;
        for &model in &self.models {
            // Personalities apply to the kernel model's slot; lru and opt have none.
            let profiles: &[String] = if model == ModelKind::Dragonfly {
                &self.profiles
            } else {
                &self.profiles[..1.min(self.profiles.len())]
            };
            for profile in profiles {
                let linux = (model == ModelKind::Dragonfly && profile != "dragonfly")
                    .then_some(profile.as_str());
                for &mem in &self.mems {
                    for dev in &self.devices {
                        for ra in &self.readahead {
                            for cl in &self.cluster {
                                for sy in &self.sync {
                                    for knobs in &knob_combos {
                                        let this = id;
                                        id += 1;
                                        let kernel = model == ModelKind::Dragonfly;
                                        let key = if let Some(spec) = linux {
                                            format!(
                                                "model=linux;profile={spec};mem={};device={dev}",
                                                format_size(mem)
                                            )
                                        } else if kernel {
                                            let ks: Vec<String> = knobs
                                                .iter()
                                                .map(|(k, v)| format!("{k}={v}"))
                                                .collect();
                                            format!(
                                                "model={};mem={};device={dev};readahead={ra};cluster={cl};sync={sy};knobs={}",
                                                model.name(),
                                                format_size(mem),
                                                ks.join(",")
                                            )
                                        } else {
                                            format!(
                                                "model={};mem={};device={dev}",
                                                model.name(),
                                                format_size(mem)
                                            )
                                        };
                                        // Reference models and Linux profiles ignore
                                        // policies and knobs: one configuration per
                                        // (model or profile, mem, device).
                                        if !seen.insert(key.clone()) {
                                            continue;
                                        }
                                        let config = match linux {
                                            Some(spec) => self.linux_config(spec, mem, dev),
                                            None => self.config(model, mem, dev, ra, cl, sy, knobs),
                                        };
                                        let dragonfly = kernel && linux.is_none();
                                        let or_dash = |v: &str| {
                                            if dragonfly { v.to_string() } else { "-".into() }
                                        };
                                        let mut given = vec![
                                            ("config.model".to_string(), model.name().to_string()),
                                            (
                                                "config.profile".into(),
                                                if kernel {
                                                    linux.unwrap_or("dragonfly")
                                                } else {
                                                    "-"
                                                }
                                                .into(),
                                            ),
                                            ("config.mem".into(), format_size(mem)),
                                            ("config.device".into(), dev.clone()),
                                            ("config.readahead".into(), or_dash(ra)),
                                            ("config.cluster".into(), or_dash(cl)),
                                            ("config.sync".into(), or_dash(sy)),
                                        ];
                                        given.extend(knobs.iter().map(|(k, v)| {
                                            (format!("config.knobs.{k}"), or_dash(v))
                                        }));
                                        out.push(Point {
                                            id: this,
                                            key,
                                            config,
                                            given,
                                        });
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// A configuration of the Linux personality `spec` (`linux[:key=value,...]`).
    fn linux_config(&self, spec: &str, mem: u64, dev: &str) -> Result<RunConfig, String> {
        let keys = parse_profile(spec)?.unwrap_or_default();
        Ok(RunConfig {
            model: ModelKind::Linux,
            mem,
            unavailable: self.unavailable,
            device: dev.parse().map_err(|e| format!("--device {dev}: {e}"))?,
            final_sync: self.final_sync,
            linux: crate::models::linux::LinuxParams::parse(keys)
                .map_err(|e| format!("--profile \"{spec}\": {e}"))?,
            ..RunConfig::default()
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn config(
        &self,
        model: ModelKind,
        mem: u64,
        dev: &str,
        ra: &str,
        cl: &str,
        sy: &str,
        knobs: &[(String, String)],
    ) -> Result<RunConfig, String> {
        let device = dev.parse().map_err(|e| format!("--device {dev}: {e}"))?;
        let mut k = Knobs::default();
        let kernel = model == ModelKind::Dragonfly;
        if kernel {
            for s in &self.fixed_sets {
                k.set(s)?;
            }
            for (name, v) in knobs {
                k.set(&format!("{name}={v}"))?;
            }
        }
        let cfg = RunConfig {
            model,
            mem,
            unavailable: if kernel { self.unavailable } else { 0 },
            knobs: k,
            device,
            check_invariants: false,
            final_sync: kernel && self.final_sync,
            timeline_step_ns: None,
            readahead: if kernel {
                ra.into()
            } else {
                "dragonfly".into()
            },
            cluster: if kernel {
                cl.into()
            } else {
                "dragonfly".into()
            },
            sync: if kernel {
                sy.into()
            } else {
                "dragonfly".into()
            },
            linux: Default::default(),
        };
        if kernel {
            cfg.params()?;
        }
        Ok(cfg)
    }

    /// Read a grid from a TOML file ([`grid_file`]).
    pub fn from_toml(text: &str) -> Result<Grid, String> {
        grid_file::parse(text)
    }

    /// Every list non-empty, knob names known.
    pub fn validate(&self) -> Result<(), String> {
        if self.models.is_empty()
            || self.profiles.is_empty()
            || self.mems.is_empty()
            || self.devices.is_empty()
            || self.readahead.is_empty()
            || self.cluster.is_empty()
            || self.sync.is_empty()
        {
            return Err("every sweep dimension needs at least one value".into());
        }
        for p in &self.profiles {
            if let Some(keys) = parse_profile(p)? {
                crate::models::linux::LinuxParams::parse(keys)
                    .map_err(|e| format!("--profile \"{p}\": {e}"))?;
            }
        }
        if !self.dragonfly_only() && !self.models.contains(&ModelKind::Dragonfly) {
            return Err(
                "--profile linux takes the kernel model's place: add --model dragonfly (lru and opt have no personality)".into(),
            );
        }
        let mut k = Knobs::default();
        for (name, vals) in &self.knob_dims {
            if vals.is_empty() {
                return Err(format!("--set-grid {name}: no values"));
            }
            for v in vals {
                k.set(&format!("{name}={v}"))?;
            }
        }
        for s in &self.fixed_sets {
            k.set(s)?;
        }
        Ok(())
    }
}

/// A personality spec: `None` for `dragonfly`, the Linux keys (possibly empty) for
/// `linux[:key=value,...]`.
fn parse_profile(spec: &str) -> Result<Option<&str>, String> {
    match spec.split_once(':').unwrap_or((spec, "")) {
        ("dragonfly", "") => Ok(None),
        ("linux", keys) => Ok(Some(keys)),
        _ => Err(format!(
            "--profile \"{spec}\": expected dragonfly or linux[:key=value,...]"
        )),
    }
}

/// How to run a sweep.
#[derive(Clone, Debug, Default)]
pub struct SweepOptions {
    /// Worker threads (0 = all cores).
    pub jobs: usize,
    /// Run only the I-th of N slices (1-based), as `(I, N)`.
    pub shard: Option<(usize, usize)>,
    /// Configuration ids already done (from `--resume`): skipped.
    pub done: Vec<usize>,
    /// Stop after this many configurations (for tests that simulate an interruption).
    pub limit: Option<usize>,
}

/// The identifying columns of a sweep row.
fn extra(point: &Point, grid: &Grid, trace: &LoadedTrace) -> Vec<(String, Cell)> {
    let mut v = vec![
        ("config_id".into(), Cell::Int(point.id as i64)),
        ("config_key".into(), Cell::Str(point.key.clone())),
        ("grid".into(), Cell::Str(grid.fingerprint())),
        ("dims".into(), Cell::Str(grid.dims().join(","))),
        ("trace_events".into(), Cell::Int(trace.events.len() as i64)),
    ];
    // Linux rows carry `config.profile` in their config; DragonFly rows of a grid
    // with several personalities say theirs, so the column labels every row.
    if !grid.dragonfly_only()
        && let Ok(c) = &point.config
        && c.model == ModelKind::Dragonfly
    {
        v.push(("config.profile".into(), Cell::Str("dragonfly".into())));
    }
    v
}

/// The row of `point`: its run's output, or the error that kept it from one.
pub fn point_row(
    point: &Point,
    grid: &Grid,
    trace: &LoadedTrace,
    result: Result<&RunOutput, String>,
) -> Row {
    let mut cells = extra(point, grid, trace);
    match result {
        Ok(out) => Row::from_output(out, cells),
        Err(e) => {
            cells.push(("error".into(), Cell::Str(e)));
            Row { cells }
        }
    }
}

/// Run `points` over `trace` on `jobs` threads (0 = every core) through the shared
/// runner ([`run_batch`](crate::run::batch::run_batch)), handing each row to `on_row` on this thread as it is done:
/// first the points whose configuration is invalid (their rows name the error), then
/// the others as they complete. After a Ctrl-C, runs not done give no row.
pub fn run_points(
    points: &[Point],
    grid: &Grid,
    trace: &LoadedTrace,
    jobs: usize,
    on_row: impl FnMut(Row),
) -> Result<(), String> {
    run_points_logged(points, grid, trace, jobs, None, on_row)
}

/// Makes the `--io-log` sink of the configuration with this grid id.
pub type PointSinkFactory<'a> =
    &'a (dyn Fn(usize) -> Result<Box<dyn crate::run::IoSink>, String> + Sync);

/// [`run_points`], each configuration writing its device requests to the sink
/// `io_log(point id)` makes.
pub fn run_points_logged(
    points: &[Point],
    grid: &Grid,
    trace: &LoadedTrace,
    jobs: usize,
    io_log: Option<PointSinkFactory<'_>>,
    mut on_row: impl FnMut(Row),
) -> Result<(), String> {
    let mut runnable = Vec::with_capacity(points.len());
    let mut configs = Vec::with_capacity(points.len());
    for p in points {
        match &p.config {
            Ok(c) => {
                runnable.push(p);
                configs.push(c.clone());
            }
            Err(e) => on_row(point_row(p, grid, trace, Err(e.clone()))),
        }
    }
    let ids: Vec<usize> = runnable.iter().map(|p| p.id).collect();
    let by_index = |i: usize, _: &RunConfig| match io_log {
        Some(make) => make(ids[i]),
        None => Err("no --io-log".to_string()),
    };
    let factory: Option<crate::run::SinkFactory> = io_log.map(|_| &by_index as _);
    run_batch_logged(trace, &configs, jobs, factory, |i, r| {
        let r = r.as_ref().map_err(|e| e.to_string());
        on_row(point_row(runnable[i], grid, trace, r));
    })?;
    Ok(())
}

/// Expected cost rank of a configuration, costliest first: the model (OPT reads the
/// whole trace first and keeps next-use times; the DragonFly model simulates the most
/// per event, the Linux personality less, LRU the least), then memory (a smaller one misses more, and every miss is
/// simulated I/O). An invalid configuration costs nothing.
fn cost_rank(p: &Point) -> (u8, u64) {
    match &p.config {
        Ok(c) => {
            let model = match c.model {
                ModelKind::Opt => 4,
                ModelKind::Dragonfly => 3,
                ModelKind::Linux => 2,
                ModelKind::Lru => 1,
            };
            (model, u64::MAX - c.mem)
        }
        Err(_) => (0, 0),
    }
}

/// FNV-1a of a configuration key: a fixed, platform-independent scramble (so every
/// worker of a cluster computes the same shards).
fn key_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The shard (0-based, of `n`) of each point, in `points` order. Points are ranked by
/// expected cost ([`cost_rank`]) and dealt to the shards in a snake (0..n, then n..0,
/// ...), so every shard gets one of the costliest, one of the next and so on; points of
/// equal expected cost go in the order of a hash of their key, which spreads the
/// dimensions the estimate knows nothing about (policies, devices, knobs) instead of
/// lining them up with the shard count as `config_id mod n` did (there, with 8 shards
/// and 4 read-ahead × 2 sync policies innermost, one shard held every `none`).
pub fn shard_of(points: &[Point], n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by_key(|&k| {
        let (model, mem) = cost_rank(&points[k]);
        (
            std::cmp::Reverse((model, mem)),
            key_hash(&points[k].key),
            points[k].id,
        )
    });
    let mut shard = vec![0; points.len()];
    for (pos, &k) in order.iter().enumerate() {
        let (round, j) = (pos / n, pos % n);
        shard[k] = if round % 2 == 0 { j } else { n - 1 - j };
    }
    shard
}

/// The points this run must do: its shard, minus those already done, up to `limit`.
pub fn todo(points: &[Point], opts: &SweepOptions) -> Vec<Point> {
    let shards = opts.shard.map(|(_, n)| shard_of(points, n));
    let mut v: Vec<Point> = points
        .iter()
        .enumerate()
        .filter(|(k, _)| match (opts.shard, &shards) {
            (Some((i, _)), Some(s)) => s[*k] == i - 1,
            _ => true,
        })
        .map(|(_, p)| p)
        .filter(|p| !opts.done.contains(&p.id))
        .cloned()
        .collect();
    if let Some(l) = opts.limit {
        v.truncate(l);
    }
    v
}

/// Parse `I/N` (1 ≤ I ≤ N).
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("--shard expects I/N (e.g. 2/8), got \"{s}\""))?;
    let i: usize = i
        .trim()
        .parse()
        .map_err(|_| format!("--shard {s}: bad I"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("--shard {s}: bad N"))?;
    if n == 0 || i == 0 || i > n {
        return Err(format!("--shard {s}: need 1 <= I <= N"));
    }
    Ok((i, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_order_dedup_and_dims() {
        let g = Grid {
            models: vec![ModelKind::Dragonfly, ModelKind::Lru],
            mems: vec![64 << 20, 256 << 20],
            readahead: vec!["none".into(), "linux".into()],
            ..Grid::default()
        };
        let pts = g.points();
        // dragonfly: 2 mems x 2 readahead; lru: one per mem.
        assert_eq!(pts.len(), 6);
        assert_eq!(pts[0].id, 0);
        assert!(pts[0].key.contains("readahead=none") && pts[1].key.contains("readahead=linux"));
        assert!(pts[4].key.starts_with("model=lru;mem=64M"));
        assert_eq!(pts[5].id, 6, "ids are positions in the full product");
        assert_eq!(
            g.dims(),
            vec!["config.model", "config.mem", "config.readahead"]
        );
    }

    #[test]
    fn shards_partition_the_grid() {
        let g = Grid {
            mems: vec![64 << 20, 128 << 20, 256 << 20],
            readahead: vec!["none".into(), "linux".into()],
            ..Grid::default()
        };
        let pts = g.points();
        let mut all: Vec<usize> = Vec::new();
        for i in 1..=3 {
            let opts = SweepOptions {
                shard: Some((i, 3)),
                ..SweepOptions::default()
            };
            all.extend(todo(&pts, &opts).iter().map(|p| p.id));
        }
        all.sort();
        assert_eq!(all, (0..6).collect::<Vec<_>>());
        assert!(
            parse_shard("0/2").is_err() && parse_shard("3/2").is_err() && parse_shard("x").is_err()
        );
    }

    /// The examples' 48-configuration grid over 8 shards: `config_id mod 8` gave one
    /// shard every (none, dragonfly) pair; the cost-ranked snake gives each shard six
    /// configurations, two of each memory size (the estimate's classes), and spreads
    /// the read-ahead policies it knows nothing about.
    #[test]
    fn shards_are_balanced_by_expected_cost() {
        let g = Grid {
            mems: vec![64 << 20, 256 << 20, 1 << 30],
            devices: vec!["ssd".into(), "hdd".into()],
            readahead: ["none", "fixed:pages=16", "linux", "dragonfly"]
                .map(String::from)
                .to_vec(),
            sync: vec!["dragonfly".into(), "linux".into()],
            ..Grid::default()
        };
        let pts = g.points();
        assert_eq!(pts.len(), 48);
        let shard = shard_of(&pts, 8);
        for s in 0..8 {
            let mine: Vec<&Point> = pts
                .iter()
                .zip(&shard)
                .filter(|(_, x)| **x == s)
                .map(|(p, _)| p)
                .collect();
            assert_eq!(mine.len(), 6, "shard {s}");
            for mem in ["mem=64M;", "mem=256M;", "mem=1G;"] {
                assert_eq!(
                    mine.iter().filter(|p| p.key.contains(mem)).count(),
                    2,
                    "shard {s} {mem}"
                );
            }
            let none = mine
                .iter()
                .filter(|p| p.key.contains("readahead=none;"))
                .count();
            assert!(
                none <= 3,
                "shard {s} holds {none} of the 12 `none` configurations"
            );
        }
        // The old rule put all six (none, dragonfly) configurations in shard 1/8.
        let old: Vec<&Point> = pts.iter().filter(|p| p.id % 8 == 0).collect();
        assert!(old.iter().all(|p| p.key.contains("readahead=none;")));
    }

    #[test]
    fn toml_grid() {
        let g = Grid::from_toml(
            "mem = [\"64M\", \"1G\"]\nreadahead = [\"none\", \"linux:max=64\"]\nfinal_sync = true\n[set]\n\"vm.prefault_pages\" = \"0\"\n[set_grid]\n\"vfs.max_readahead\" = [\"0\", \"2M\"]\n",
        )
        .unwrap();
        assert_eq!(g.mems, vec![64 << 20, 1 << 30]);
        assert_eq!(g.points().len(), 8);
        assert!(g.final_sync);
        assert!(Grid::from_toml("bogus = 1").is_err());
        assert!(Grid::from_toml("[set_grid]\n\"vfs.nope\" = [\"1\"]").is_err());
    }

    #[test]
    fn invalid_combination_is_a_row_not_a_failure() {
        let g = Grid {
            mems: vec![1 << 20],
            ..Grid::default()
        };
        let pts = g.points();
        assert!(
            pts[0].config.is_err(),
            "1 MiB is too small for the kernel model"
        );
    }
}
