//! Rendering a comparison: one trace replayed under several policy configurations
//! (`vpsim compare`), as a table of the headline numbers with their change against the
//! baseline, as one JSON document holding every run's replay object, or as a CSV with
//! one row per configuration.
//!
//! The JSON and CSV reuse the replay report's object ([`super::replay::to_json`]) so a
//! script that reads `vpsim replay --format json` reads each configuration of a
//! comparison unchanged; only the table is specific to comparisons.

use super::flat;
use super::replay::{ReplayReport, TraceSummary, pretty, report_cells, us};
use crate::policies;
pub use crate::run::batch::RowError;
use crate::run::{ModelKind, RunConfig, RunOutput};
use crate::trace::Op;
use crate::units::format_size;
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;

/// One configuration and what it gave.
#[derive(Debug)]
pub struct Row {
    pub config: RunConfig,
    pub result: Result<RunOutput, RowError>,
}

/// A whole comparison: the trace (loaded once) and one row per configuration, in
/// configuration order; row 0 is the baseline every change is computed against.
#[derive(Debug)]
pub struct Comparison {
    pub trace_path: String,
    pub events: u64,
    pub files: usize,
    pub rows: Vec<Row>,
}

/// The three families, in configuration order, by their `config` JSON key (also the
/// name the table shows).
const FAMILIES: [&str; 3] = ["readahead", "cluster", "sync"];

/// The families a comparison's rows differ in: the personality too when any row runs
/// `--profile linux` (whose rows have no DragonFly policies).
fn families(c: &Comparison) -> Vec<&'static str> {
    let linux = c.rows.iter().any(|r| r.config.model == ModelKind::Linux);
    let mut v = Vec::with_capacity(4);
    if linux {
        v.push("profile");
    }
    v.extend(FAMILIES);
    v
}

/// The spec the user gave for one family of `cfg` (short, for row labels).
fn given_spec(cfg: &RunConfig, family: &str) -> String {
    if family == "profile" {
        return profile_spec(cfg);
    }
    if cfg.model == ModelKind::Linux {
        return "-".into();
    }
    match family {
        "readahead" => cfg.readahead.clone(),
        "cluster" => cfg.cluster.clone(),
        _ => cfg.sync.clone(),
    }
}

/// The personality of `cfg`: `dragonfly`, or the Linux profile with every key.
fn profile_spec(cfg: &RunConfig) -> String {
    if cfg.model == ModelKind::Linux {
        cfg.linux.spec()
    } else {
        "dragonfly".into()
    }
}

/// The effective spec of one family, every key included, as the replay JSON's `config`
/// shows it. When the three specs do not parse together (the row then carries the
/// error) the family's spec is parsed alone, so that one bad family does not make the
/// others look different from the other rows; the given spec if even that fails.
fn effective_spec(cfg: &RunConfig, family: &str) -> String {
    if family == "profile" || cfg.model == ModelKind::Linux {
        return given_spec(cfg, family);
    }
    let eff = cfg.effective();
    let spec = match family {
        "readahead" => eff.readahead,
        "cluster" => eff.cluster,
        _ => eff.sync,
    };
    if let Some(s) = spec {
        return s;
    }
    let given = given_spec(cfg, family);
    let given = given.as_str();
    let mut knobs = cfg.knobs.clone();
    let alone = match family {
        "readahead" => policies::readahead::parse(given, &mut knobs).map(|p| p.spec()),
        "cluster" => policies::cluster::parse(given, &mut knobs).map(|p| p.spec()),
        "sync" => policies::sync::parse(given, &mut knobs).map(|p| p.spec()),
        _ => Ok(given.to_string()),
    };
    alone.unwrap_or_else(|_| given.to_string())
}

/// One element of `configs`: the replay object of a configuration, or its
/// configuration and the error that kept it from a result.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum ConfigReport<'a> {
    Ran(ReplayReport<'a>),
    Failed {
        config: &'a RunConfig,
        error: String,
    },
}

impl<'a> ConfigReport<'a> {
    fn new(row: &'a Row) -> Self {
        match &row.result {
            Ok(out) => ConfigReport::Ran(ReplayReport::new(out)),
            Err(e) => ConfigReport::Failed {
                config: &row.config,
                error: e.to_string(),
            },
        }
    }
}

/// The `--format json` document.
#[derive(Debug, Serialize)]
struct ComparisonReport<'a> {
    trace: TraceSummary<'a>,
    /// The row every change is computed against: always the first.
    baseline: usize,
    configs: Vec<ConfigReport<'a>>,
}

impl<'a> ComparisonReport<'a> {
    fn new(c: &'a Comparison) -> Self {
        ComparisonReport {
            trace: TraceSummary {
                path: &c.trace_path,
                events: c.events,
                files: c.files,
                end_time_ns: None,
            },
            baseline: 0,
            configs: c.rows.iter().map(ConfigReport::new).collect(),
        }
    }
}

/// `--format json`: `{"trace": {path, events, files}, "baseline": 0, "configs": [...]}`
/// where each element is the replay JSON object of that configuration, or
/// `{"config": {...}, "error": "..."}` for one that failed.
pub fn to_json(c: &Comparison) -> Value {
    serde_json::to_value(ComparisonReport::new(c)).unwrap_or_default()
}

/// [`to_json`] as pretty-printed text with a final newline (`--format json`).
pub fn to_json_text(c: &Comparison) -> String {
    pretty(&ComparisonReport::new(c))
}

/// One results row per configuration (`compare --output x.parquet`), as sweep writes
/// them: `config_id` is the configuration's position; a failed one has `error`.
pub fn results_rows(c: &Comparison) -> Vec<super::results::Row> {
    use super::results::{Cell, Row as ResultsRow};
    c.rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let extra = vec![("config_id".to_string(), Cell::Int(i as i64))];
            match &r.result {
                Ok(out) => ResultsRow::from_output(out, extra),
                Err(e) => {
                    let mut row = ResultsRow { cells: extra };
                    row.push("error", Cell::Str(e.to_string()));
                    row
                }
            }
        })
        .collect()
}

/// One line per configuration that failed, naming it.
pub fn failure_lines(c: &Comparison) -> Vec<String> {
    c.rows
        .iter()
        .enumerate()
        .filter_map(|(i, row)| {
            row.result.as_ref().err().map(|e| {
                format!(
                    "configuration #{i} (readahead {}, cluster {}, sync {}) failed: {e}",
                    row.config.readahead, row.config.cluster, row.config.sync
                )
            })
        })
        .collect()
}

/// The exit code of a comparison: 101 if a configuration panicked (a bug), 2 if every
/// configuration was impossible, 1 if every one failed otherwise, else 0.
pub fn exit_code(c: &Comparison) -> u8 {
    let failed: Vec<&RowError> = c
        .rows
        .iter()
        .filter_map(|r| r.result.as_ref().err())
        .collect();
    if failed.iter().any(|e| matches!(e, RowError::Panic(_))) {
        101
    } else if failed.len() == c.rows.len() && failed.iter().all(|e| e.is_config()) {
        2
    } else if failed.len() == c.rows.len() {
        1
    } else {
        0
    }
}

/// `--format csv`: a `config_index` column then the replay CSV's flattened keys (the
/// union over the rows, in first-seen order, since a failed row has only `config.*`
/// and `error`), one header line and one row per configuration; a key a row lacks is
/// an empty cell, so every line has the same number of fields.
pub fn to_csv(c: &Comparison) -> String {
    let flat: Vec<Vec<(String, String)>> = c
        .rows
        .iter()
        .map(|r| {
            report_cells(&ConfigReport::new(r))
                .into_iter()
                .map(|(k, v)| (k, flat::text(&v)))
                .collect()
        })
        .collect();
    let mut keys: Vec<&str> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for kv in &flat {
        for (k, _) in kv {
            if seen.insert(k.as_str()) {
                keys.push(k);
            }
        }
    }
    let mut c = super::csvout::CsvText::new();
    c.record(std::iter::once("config_index").chain(keys.iter().copied()));
    for (i, kv) in flat.iter().enumerate() {
        let m: std::collections::HashMap<&str, &str> =
            kv.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let index = i.to_string();
        c.record(
            std::iter::once(index.as_str())
                .chain(keys.iter().map(|k| m.get(k).copied().unwrap_or(""))),
        );
    }
    c.finish()
}

/// One table cell's number: `None` when it does not apply (no such op, no read-ahead),
/// shown as `-`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Val {
    Count(Option<u64>),
    Bytes(u64),
    /// A fraction, shown with three decimals.
    Ratio(Option<f64>),
    /// Nanoseconds, shown in microseconds.
    Latency(Option<u64>),
}

impl Val {
    fn num(self) -> Option<f64> {
        match self {
            Val::Count(v) | Val::Latency(v) => v.map(|x| x as f64),
            Val::Bytes(v) => Some(v as f64),
            Val::Ratio(v) => v,
        }
    }

    fn text(self) -> String {
        match self {
            Val::Count(Some(v)) => v.to_string(),
            Val::Bytes(v) => format_size(v),
            Val::Ratio(Some(r)) => format!("{r:.3}"),
            Val::Latency(Some(ns)) => us(ns),
            Val::Count(None) | Val::Ratio(None) | Val::Latency(None) => "-".into(),
        }
    }
}

/// The change of `cur` against `base` in percent: `+0%` when equal (so an unchanged
/// cell is told apart at a glance from a tiny change, which shows `+0.0%`), `n/a` when
/// the baseline is 0 or does not apply; `None` when the cell itself does not apply.
fn change(base: Val, cur: Val) -> Option<String> {
    let c = cur.num()?;
    let Some(b) = base.num() else {
        return Some("n/a".into());
    };
    if c == b {
        return Some("+0%".into());
    }
    if b == 0.0 {
        return Some("n/a".into());
    }
    let p = (c - b) / b * 100.0;
    Some(if p.abs() >= 1000.0 {
        format!("{p:+.0}%")
    } else {
        format!("{p:+.1}%")
    })
}

fn p99(out: &RunOutput, op: Op) -> Option<u64> {
    let s = out.stats.latency.summary(op);
    (s.count > 0).then_some(s.p99)
}

type Column = (&'static str, fn(&RunOutput) -> Val);

/// Device I/O (table 1): what the policies cost the disk.
const IO_COLUMNS: &[Column] = &[
    ("reads", |o| Val::Count(Some(o.stats.device.reads))),
    ("read bytes", |o| Val::Bytes(o.stats.device.read_bytes)),
    ("writes", |o| Val::Count(Some(o.stats.device.writes))),
    ("write bytes", |o| Val::Bytes(o.stats.device.write_bytes)),
];

/// Pager calls (table 2): how the kernel got there.
const PAGER_COLUMNS: &[Column] = &[
    ("v_vnodein", |o| {
        Val::Count(Some(o.stats.counters.v_vnodein))
    }),
    ("v_vnodepgsin", |o| {
        Val::Count(Some(o.stats.counters.v_vnodepgsin))
    }),
    ("v_vnodeout", |o| {
        Val::Count(Some(o.stats.counters.v_vnodeout))
    }),
    ("v_vnodepgsout", |o| {
        Val::Count(Some(o.stats.counters.v_vnodepgsout))
    }),
];

/// Page cache (table 3): page touches that hit, missed, and the fraction of read-ahead
/// pages that were used before being evicted (`-` when nothing was read ahead).
const CACHE_COLUMNS: &[Column] = &[
    ("page hits", |o| {
        Val::Count(Some(o.stats.counters.page_hits))
    }),
    ("page misses", |o| {
        Val::Count(Some(o.stats.counters.page_misses))
    }),
    ("RA accuracy", |o| {
        let c = &o.stats.counters;
        Val::Ratio(
            (c.readahead_pages > 0)
                .then(|| c.readahead_pages_used as f64 / c.readahead_pages as f64),
        )
    }),
];

/// 99th-percentile latency per op kind (table 4): what the application felt.
const LATENCY_COLUMNS: &[Column] = &[
    ("read", |o| Val::Latency(p99(o, Op::Read))),
    ("fault", |o| {
        Val::Latency(match (p99(o, Op::FaultRead), p99(o, Op::FaultWrite)) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).max(b.unwrap_or(0))),
        })
    }),
    ("write", |o| Val::Latency(p99(o, Op::Write))),
    ("fsync", |o| Val::Latency(p99(o, Op::Fsync))),
];

/// Labels of the rows: `#N` and the given specs of the families that differ between
/// configurations (the ones every row shares are printed once above the tables).
fn row_labels(c: &Comparison, varying: &[&str]) -> Vec<String> {
    const MAX: usize = 32;
    c.rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let specs: Vec<String> = varying.iter().map(|f| given_spec(&r.config, f)).collect();
            let mut l = format!("#{i} {}", specs.join(" / "));
            if l.chars().count() > MAX {
                l = l.chars().take(MAX - 1).collect::<String>() + "…";
            }
            l.trim_end().to_string()
        })
        .collect()
}

/// One table: a heading line, then per row the label and for each column the value
/// right-aligned under its heading and the change against row 0 in parentheses.
fn write_table(s: &mut String, title: &str, cols: &[Column], c: &Comparison, labels: &[String]) {
    let vals: Vec<Option<Vec<Val>>> = c
        .rows
        .iter()
        .map(|r| {
            r.result
                .as_ref()
                .ok()
                .map(|o| cols.iter().map(|(_, f)| f(o)).collect())
        })
        .collect();
    let base = vals.first().and_then(|v| v.as_ref());
    // cells[row][col] = (value text, change text)
    let cells: Vec<Option<Vec<(String, String)>>> = vals
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_ref().map(|v| {
                v.iter()
                    .enumerate()
                    .map(|(j, &x)| {
                        let ch = match base {
                            Some(b) if i > 0 => change(b[j], x),
                            None if i > 0 => x.num().map(|_| "n/a".to_string()),
                            _ => None,
                        };
                        (x.text(), ch.map_or_else(String::new, |c| format!("({c})")))
                    })
                    .collect()
            })
        })
        .collect();
    let lw = labels
        .iter()
        .map(|l| l.chars().count())
        .chain([title.chars().count()])
        .max()
        .unwrap_or(0);
    let mut vw: Vec<usize> = cols.iter().map(|(h, _)| h.len()).collect();
    let mut cw = vec![0usize; cols.len()];
    for row in cells.iter().flatten() {
        for (j, (v, ch)) in row.iter().enumerate() {
            vw[j] = vw[j].max(v.chars().count());
            cw[j] = cw[j].max(ch.chars().count());
        }
    }
    let mut line = format!("{title:<lw$}");
    for (j, (h, _)) in cols.iter().enumerate() {
        let _ = write!(line, "  {h:>w$}", w = vw[j]);
        if cw[j] > 0 {
            let _ = write!(line, " {:cw$}", "", cw = cw[j]);
        }
    }
    let _ = writeln!(s, "{}", line.trim_end());
    for (i, row) in cells.iter().enumerate() {
        let mut line = format!("{:<lw$}", labels[i]);
        match row {
            Some(row) => {
                for (j, (v, ch)) in row.iter().enumerate() {
                    let _ = write!(line, "  {v:>w$}", w = vw[j]);
                    if cw[j] > 0 {
                        let _ = write!(line, " {ch:<cw$}", cw = cw[j]);
                    }
                }
            }
            None => line.push_str("  (failed, see below)"),
        }
        let _ = writeln!(s, "{}", line.trim_end());
    }
}

/// `--format table`: a summary of the trace and the configurations (the effective
/// specs, every key, printed once for the families all rows share and per row for the
/// others), then four tables — device I/O, pager calls, page cache, p99 latency — with
/// one row per configuration and each number's change against row 0, then the
/// failures and the warnings.
pub fn to_table(c: &Comparison) -> String {
    let mut s = String::new();
    let first_ok = c.rows.iter().find_map(|r| r.result.as_ref().ok());
    let _ = write!(
        s,
        "vpsim compare {}: {} events, {} files",
        c.trace_path, c.events, c.files
    );
    if let Some(o) = first_ok {
        let _ = write!(
            s,
            ", {:.3} s of trace time",
            o.stats.end_time_ns as f64 / 1e9
        );
    }
    s.push('\n');
    let Some(base_cfg) = c.rows.first().map(|r| &r.config) else {
        s.push_str("no configurations\n");
        return s;
    };
    let _ = write!(
        s,
        "model {}, mem {}{}, device {}",
        base_cfg.model.name(),
        format_size(base_cfg.mem),
        if base_cfg.unavailable > 0 {
            format!(" ({} unavailable)", format_size(base_cfg.unavailable))
        } else {
            String::new()
        },
        base_cfg.device.describe()
    );
    let default_knobs = crate::params::Knobs::default().entries();
    let set: Vec<String> = base_cfg
        .knobs
        .entries()
        .into_iter()
        .zip(default_knobs)
        .filter(|((_, v), (_, d))| v != d)
        .map(|((k, v), _)| format!("{k}={v}"))
        .collect();
    if !set.is_empty() {
        let _ = write!(s, ", knobs {}", set.join(" "));
    }
    if base_cfg.final_sync {
        s.push_str(", final sync");
    }
    let _ = writeln!(
        s,
        "\n{} configurations; changes in % are against #0",
        c.rows.len()
    );

    // Configurations: effective specs, shared families once.
    let fams = families(c);
    let eff: Vec<Vec<String>> = c
        .rows
        .iter()
        .map(|r| fams.iter().map(|f| effective_spec(&r.config, f)).collect())
        .collect();
    let varying: Vec<usize> = (0..fams.len())
        .filter(|&k| eff.iter().any(|e| e[k] != eff[0][k]))
        .collect();
    let _ = writeln!(s, "\nconfigurations");
    for k in (0..fams.len()).filter(|k| !varying.contains(k)) {
        let _ = writeln!(s, "  {:<4} {:<10} {}", "all", fams[k], eff[0][k]);
    }
    for (i, e) in eff.iter().enumerate() {
        for (n, &k) in varying.iter().enumerate() {
            let tag = if n == 0 {
                format!("#{i}")
            } else {
                String::new()
            };
            let _ = writeln!(s, "  {tag:<4} {:<10} {}", fams[k], e[k]);
        }
    }

    let varying_names: Vec<&str> = varying.iter().map(|&k| fams[k]).collect();
    let labels = row_labels(c, &varying_names);
    if !varying_names.is_empty() {
        let _ = writeln!(
            s,
            "\nrows: #N {} (as given; the effective settings are above)",
            varying_names.join(" / ")
        );
    }
    s.push('\n');
    write_table(&mut s, "device I/O", IO_COLUMNS, c, &labels);
    s.push('\n');
    write_table(&mut s, "pager", PAGER_COLUMNS, c, &labels);
    s.push('\n');
    write_table(&mut s, "page cache", CACHE_COLUMNS, c, &labels);
    s.push('\n');
    write_table(&mut s, "p99 latency (us)", LATENCY_COLUMNS, c, &labels);

    let failed: Vec<(usize, &RowError)> = c
        .rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.result.as_ref().err().map(|e| (i, e)))
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(s, "\nfailed");
        for (i, e) in failed {
            let _ = writeln!(s, "  #{i}: {e}");
        }
    }
    let warnings = warnings(c);
    if !warnings.is_empty() {
        let _ = writeln!(s, "\nwarnings");
        for w in warnings {
            let _ = writeln!(s, "  {w}");
        }
    }
    s
}

/// The distinct warnings of every successful run, in first-seen order; one that only
/// some configurations gave names them (`(#1, #3)`), since the trace's own warnings
/// are the same for all and would otherwise repeat once per row.
pub fn warnings(c: &Comparison) -> Vec<String> {
    let ok: Vec<(usize, &RunOutput)> = c
        .rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.result.as_ref().ok().map(|o| (i, o)))
        .collect();
    let mut order: Vec<&str> = Vec::new();
    let mut who: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for (i, o) in &ok {
        for w in &o.warnings {
            let e = who.entry(w.as_str()).or_default();
            if e.is_empty() {
                order.push(w);
            }
            if e.last() != Some(i) {
                e.push(*i);
            }
        }
    }
    order
        .into_iter()
        .map(|w| {
            let rows = &who[w];
            if rows.len() == ok.len() {
                w.to_string()
            } else {
                let tags: Vec<String> = rows.iter().map(|i| format!("#{i}")).collect();
                format!("{w} ({})", tags.join(", "))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::RunStats;

    fn out(cfg: &RunConfig, reads: u64, ra: u64, used: u64) -> RunOutput {
        let mut stats = RunStats::default();
        stats.device.reads = reads;
        stats.device.read_bytes = reads * 16384;
        stats.counters.readahead_pages = ra;
        stats.counters.readahead_pages_used = used;
        stats.latency.record(Op::Read, 100_000 + reads);
        RunOutput {
            trace_path: "t.csv".into(),
            events: 3,
            files: 1,
            config: cfg.clone(),
            stats,
            warnings: vec!["w".into()],
            timeline: Vec::new(),
        }
    }

    fn comparison() -> Comparison {
        let base = RunConfig::default();
        let cfgs = crate::run::config::compare_configs(
            &base,
            &[
                vec!["none".into(), "fixed:pages=8".into()],
                vec!["dragonfly".into()],
                vec!["dragonfly".into(), "linux".into()],
            ],
            &[],
            false,
        )
        .unwrap();
        let rows = cfgs
            .into_iter()
            .enumerate()
            .map(|(i, cfg)| Row {
                result: if i == 3 {
                    Err(RowError::Run(crate::run::RunError::Config(
                        "bad sync".into(),
                    )))
                } else {
                    Ok(out(&cfg, 64 / (i as u64 + 1), 8 * i as u64, 4 * i as u64))
                },
                config: cfg,
            })
            .collect();
        Comparison {
            trace_path: "t.csv".into(),
            events: 3,
            files: 1,
            rows,
        }
    }

    #[test]
    fn product_order_is_readahead_then_cluster_then_sync() {
        let base = RunConfig::default();
        let v = crate::run::config::compare_configs(
            &base,
            &[
                vec!["a".into(), "b".into()],
                vec!["c".into()],
                vec!["x".into(), "y".into()],
            ],
            &[],
            false,
        )
        .unwrap();
        let got: Vec<(String, String, String)> = v
            .iter()
            .map(|c| (c.readahead.clone(), c.cluster.clone(), c.sync.clone()))
            .collect();
        let want = [
            ("a", "c", "x"),
            ("a", "c", "y"),
            ("b", "c", "x"),
            ("b", "c", "y"),
        ];
        assert_eq!(got.len(), 4);
        for (g, w) in got.iter().zip(want) {
            assert_eq!((g.0.as_str(), g.1.as_str(), g.2.as_str()), w);
        }
    }

    #[test]
    fn change_formatting() {
        let c = |a: u64, b: u64| change(Val::Count(Some(a)), Val::Count(Some(b)));
        assert_eq!(c(100, 100).as_deref(), Some("+0%"));
        assert_eq!(c(80, 90).as_deref(), Some("+12.5%"));
        assert_eq!(c(64, 32).as_deref(), Some("-50.0%"));
        assert_eq!(c(0, 5).as_deref(), Some("n/a"));
        assert_eq!(c(0, 0).as_deref(), Some("+0%"));
        assert_eq!(c(10, 1000).as_deref(), Some("+9900%"));
        assert_eq!(c(100_000, 100_001).as_deref(), Some("+0.0%"));
        assert_eq!(
            change(Val::Ratio(None), Val::Ratio(Some(0.5))).as_deref(),
            Some("n/a")
        );
        assert_eq!(change(Val::Ratio(Some(0.5)), Val::Ratio(None)), None);
    }

    #[test]
    fn table_shows_changes_failures_and_shared_specs_once() {
        let t = to_table(&comparison());
        assert!(t.contains("(-50.0%)"), "{t}");
        assert!(t.contains("#3: bad sync"), "{t}");
        assert!(t.contains("(failed, see below)"), "{t}");
        // cluster is the same everywhere: listed once under "all".
        assert!(
            t.lines()
                .any(|l| l.trim_start().starts_with("all  cluster")),
            "{t}"
        );
        // read-ahead accuracy: no read-ahead in #0, 0.5 elsewhere.
        assert!(t.contains("0.500 (n/a)"), "{t}");
        // the shared warning is printed once, without row tags.
        assert_eq!(t.lines().filter(|l| l.trim() == "w").count(), 1, "{t}");
        for l in t.lines().filter(|l| !l.starts_with("  ")) {
            assert!(l.chars().count() <= 160, "line too wide: {l}");
        }
    }

    #[test]
    fn csv_has_union_of_keys_and_equal_field_counts() {
        let csv = to_csv(&comparison());
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(lines[0].starts_with("config_index,trace.path,"));
        assert!(lines[0].ends_with(",error"), "{}", lines[0]);
        // naive split is fine: no field of this comparison contains a comma... except
        // the specs, which csv_field quotes; count with a quote-aware split.
        let fields = |l: &str| {
            let mut n = 1;
            let mut q = false;
            for ch in l.chars() {
                match ch {
                    '"' => q = !q,
                    ',' if !q => n += 1,
                    _ => {}
                }
            }
            n
        };
        let n = fields(lines[0]);
        for l in &lines[1..] {
            assert_eq!(fields(l), n, "{l}");
        }
        assert!(lines[4].starts_with("3,,"), "{}", lines[4]);
    }

    #[test]
    fn json_has_baseline_and_error_rows() {
        let v = to_json(&comparison());
        assert_eq!(v["baseline"], 0);
        let cfgs = v["configs"].as_array().map_or(0, Vec::len);
        assert_eq!(cfgs, 4);
        assert_eq!(v["configs"][3]["error"], "bad sync");
        assert_eq!(v["configs"][2]["config"]["readahead"], "fixed:pages=8");
        assert_eq!(v["configs"][0]["device"]["reads"], 64);
    }
}
