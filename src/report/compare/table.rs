//! `--format table` of a comparison: the trace and the configurations, then four
//! tables of headline numbers with each one's change against the baseline (row 0).
//! The numbers and their changes come from one polars query over the comparison's
//! results frame ([`summary::changes`]); this file lays them out.

use super::{Comparison, RowError, results_rows, warnings};
use crate::report::replay::us;
use crate::report::results::{Cell, to_dataframe_of};
use crate::report::summary::{self, Change, Source, SummaryError};
use crate::run::{ModelKind, RunConfig};
use crate::units::format_size;
use std::fmt::Write as _;

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
    cfg.family_spec(family)
        .unwrap_or_else(|| given_spec(cfg, family))
}

/// How a table shows a number.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Count,
    Bytes,
    /// A fraction, shown with three decimals.
    Ratio,
    /// Nanoseconds, shown in microseconds.
    Latency,
}

/// A number as its column shows it; `-` when it does not apply (no such op, no
/// read-ahead).
fn shown(kind: Kind, value: &Cell) -> String {
    let whole = match value {
        Cell::Int(i) => u64::try_from(*i).ok(),
        Cell::Float(f) => Some(*f as u64),
        _ => None,
    };
    match (kind, whole, value.as_f64()) {
        (Kind::Count, Some(v), _) => v.to_string(),
        (Kind::Bytes, Some(v), _) => format_size(v),
        (Kind::Latency, Some(ns), _) => us(ns),
        (Kind::Ratio, _, Some(r)) => format!("{r:.3}"),
        _ => "-".into(),
    }
}

/// The change of row `i`'s number against row 0's, in percent: none for row 0 or a
/// number that does not apply; `+0%` when equal (so an unchanged cell is told apart
/// at a glance from a tiny change, which shows `+0.0%`); `n/a` when the baseline is 0
/// or does not apply.
pub(super) fn change(i: usize, ch: &Change) -> Option<String> {
    if i == 0 || ch.value == Cell::Null {
        return None;
    }
    if ch.same {
        return Some("+0%".into());
    }
    Some(match ch.percent {
        None => "n/a".into(),
        Some(p) if p.abs() >= 1000.0 => format!("{p:+.0}%"),
        Some(p) => format!("{p:+.1}%"),
    })
}

/// A table column: its heading, how it shows, and what it is in the results.
type Column = (&'static str, Kind, Source);

/// Device I/O (table 1): what the policies cost the disk.
const IO_COLUMNS: &[Column] = &[
    ("reads", Kind::Count, Source::Column("device.reads")),
    (
        "read bytes",
        Kind::Bytes,
        Source::Column("device.read_bytes"),
    ),
    ("writes", Kind::Count, Source::Column("device.writes")),
    (
        "write bytes",
        Kind::Bytes,
        Source::Column("device.write_bytes"),
    ),
];

/// Pager calls (table 2): how the kernel got there.
const PAGER_COLUMNS: &[Column] = &[
    (
        "v_vnodein",
        Kind::Count,
        Source::Column("counters.v_vnodein"),
    ),
    (
        "v_vnodepgsin",
        Kind::Count,
        Source::Column("counters.v_vnodepgsin"),
    ),
    (
        "v_vnodeout",
        Kind::Count,
        Source::Column("counters.v_vnodeout"),
    ),
    (
        "v_vnodepgsout",
        Kind::Count,
        Source::Column("counters.v_vnodepgsout"),
    ),
];

/// Page cache (table 3): page touches that hit, missed, and the fraction of read-ahead
/// pages that were used before being evicted (`-` when nothing was read ahead).
const CACHE_COLUMNS: &[Column] = &[
    (
        "page hits",
        Kind::Count,
        Source::Column("counters.page_hits"),
    ),
    (
        "page misses",
        Kind::Count,
        Source::Column("counters.page_misses"),
    ),
    (
        "RA accuracy",
        Kind::Ratio,
        Source::Fraction {
            part: "counters.readahead_pages_used",
            whole: "counters.readahead_pages",
        },
    ),
];

/// 99th-percentile latency per op kind (table 4): what the application felt.
const LATENCY_COLUMNS: &[Column] = &[
    ("read", Kind::Latency, Source::P99("read")),
    (
        "fault",
        Kind::Latency,
        Source::P99Max("fault_read", "fault_write"),
    ),
    ("write", Kind::Latency, Source::P99("write")),
    ("fsync", Kind::Latency, Source::P99("fsync")),
];

/// The four tables, in print order.
const TABLES: [(&str, &[Column]); 4] = [
    ("device I/O", IO_COLUMNS),
    ("pager", PAGER_COLUMNS),
    ("page cache", CACHE_COLUMNS),
    ("p99 latency (us)", LATENCY_COLUMNS),
];

/// Every table's numbers and changes, `[row][column]` over the columns of [`TABLES`]
/// in order.
fn all_changes(c: &Comparison) -> Result<Vec<Vec<Change>>, SummaryError> {
    let sources: Vec<Source> = TABLES
        .iter()
        .flat_map(|(_, cols)| cols.iter().map(|(_, _, s)| *s))
        .collect();
    let inputs: Vec<String> = sources.iter().flat_map(|s| s.inputs()).collect();
    let names: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let df = to_dataframe_of(&results_rows(c), &names).map_err(SummaryError::Frame)?;
    summary::changes(&df, &sources)
}

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
/// `first` is the table's first column in `changes`.
fn write_table(
    s: &mut String,
    (title, cols): (&str, &[Column]),
    first: usize,
    c: &Comparison,
    changes: &[Vec<Change>],
    labels: &[String],
) {
    // cells[row][col] = (value text, change text); None for a failed run.
    let cells: Vec<Option<Vec<(String, String)>>> = c
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let row = changes.get(i).filter(|_| r.result.is_ok())?;
            let row = row.get(first..first + cols.len())?;
            Some(
                cols.iter()
                    .zip(row)
                    .map(|((_, kind, _), ch)| {
                        let text = change(i, ch).map_or_else(String::new, |c| format!("({c})"));
                        (shown(*kind, &ch.value), text)
                    })
                    .collect(),
            )
        })
        .collect();
    let lw = labels
        .iter()
        .map(|l| l.chars().count())
        .chain([title.chars().count()])
        .max()
        .unwrap_or(0);
    let mut vw: Vec<usize> = cols.iter().map(|(h, _, _)| h.len()).collect();
    let mut cw = vec![0usize; cols.len()];
    for row in cells.iter().flatten() {
        for (j, (v, ch)) in row.iter().enumerate() {
            vw[j] = vw[j].max(v.chars().count());
            cw[j] = cw[j].max(ch.chars().count());
        }
    }
    let mut line = format!("{title:<lw$}");
    for (j, (h, _, _)) in cols.iter().enumerate() {
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
    match all_changes(c) {
        Ok(changes) => {
            let mut first = 0;
            for t in TABLES {
                s.push('\n');
                write_table(&mut s, t, first, c, &changes, &labels);
                first += t.1.len();
            }
        }
        Err(e) => {
            let _ = writeln!(s, "\nthe tables could not be computed: {e}");
        }
    }

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
