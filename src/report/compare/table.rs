//! `--format table` of a comparison: the trace and the configurations, then four
//! tables of headline numbers with each one's change against the baseline (row 0).
//! The numbers and their changes come from one polars query over the comparison's
//! results frame ([`summary::changes`]); this file lays them out.

use super::specs::{given_spec, spec_block, varying};
use super::{Comparison, RowError, results_rows, warnings};
use crate::report::fit::{Column, Table, Width, wrap};
use crate::report::replay::us;
use crate::report::results::{Cell, to_dataframe_of};
use crate::report::summary::{self, Change, Source, SummaryError};
use crate::run::RunConfig;
use crate::units::format_size;
use std::fmt::Write as _;

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
type Metric = (&'static str, Kind, Source);

/// Device I/O (table 1): what the policies cost the disk.
const IO_COLUMNS: &[Metric] = &[
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
const PAGER_COLUMNS: &[Metric] = &[
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
const CACHE_COLUMNS: &[Metric] = &[
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
const LATENCY_COLUMNS: &[Metric] = &[
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
const TABLES: [(&str, &[Metric]); 4] = [
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

/// Labels of the rows: `#N` and, unless `short`, the given specs of the families
/// that differ between configurations (`#2 dragonfly / periodic:interval=1s`).
fn row_labels(c: &Comparison, varying: &[&str], short: bool) -> Vec<String> {
    c.rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if short || varying.is_empty() {
                return format!("#{i}");
            }
            let specs: Vec<String> = varying.iter().map(|f| given_spec(&r.config, f)).collect();
            format!("#{i} {}", specs.join(" / "))
        })
        .collect()
}

/// One of the four tables: the title over the labels, then per column the value
/// right-aligned under its heading and, joined to it, the change against row 0 in
/// parentheses. `first` is the table's first column in `changes`.
fn table(
    (title, cols): (&str, &[Metric]),
    first: usize,
    c: &Comparison,
    changes: &[Vec<Change>],
    labels: &[String],
) -> Table {
    let n = c.rows.len();
    let mut values: Vec<Column> = Vec::with_capacity(2 * cols.len());
    for (j, (head, kind, _)) in cols.iter().enumerate() {
        let mut value = Column::new(&[head], Vec::with_capacity(n), true);
        let mut delta = Column::new(&[], Vec::with_capacity(n), false);
        delta.gap = 1;
        delta.joined = true;
        for (i, r) in c.rows.iter().enumerate() {
            let ch = changes
                .get(i)
                .filter(|_| r.result.is_ok())
                .and_then(|row| row.get(first + j));
            let (v, d) = match ch {
                Some(ch) => (
                    shown(*kind, &ch.value),
                    change(i, ch).map_or_else(String::new, |c| format!("({c})")),
                ),
                None => (String::new(), String::new()),
            };
            value.cells.push(v);
            delta.cells.push(d);
        }
        values.push(value);
        values.push(delta);
    }
    Table {
        title: title.to_string(),
        labels: vec![Column::new(&[], labels.to_vec(), false)],
        values,
        notes: c
            .rows
            .iter()
            .map(|r| r.result.is_err().then(|| "(failed, see below)".to_string()))
            .collect(),
    }
}

/// The shared settings line: model, memory, device, knobs changed, final sync.
fn machine_line(cfg: &RunConfig) -> String {
    let mut parts = vec![
        format!("model {}", cfg.model.name()),
        format!(
            "mem {}{}",
            format_size(cfg.mem),
            if cfg.unavailable > 0 {
                format!(" ({} unavailable)", format_size(cfg.unavailable))
            } else {
                String::new()
            }
        ),
        format!("device {}", cfg.device.describe()),
    ];
    let default_knobs = crate::params::Knobs::default().entries();
    let set: Vec<String> = cfg
        .knobs
        .entries()
        .into_iter()
        .zip(default_knobs)
        .filter(|((_, v), (_, d))| v != d)
        .map(|((k, v), _)| format!("{k}={v}"))
        .collect();
    if !set.is_empty() {
        parts.push(format!("knobs {}", set.join(" ")));
    }
    if cfg.final_sync {
        parts.push("final sync".into());
    }
    parts.join(", ")
}

/// `--format table`: a summary of the trace, the shared settings and the specs (as
/// given and in effect, every key; see [`spec_block`]), then four tables — device
/// I/O, pager calls, page cache, p99 latency — with one row per configuration,
/// labelled `#N` and the given specs of the families that differ, and each number's
/// change against row 0; then the failures and the warnings.
///
/// Every line fits `width` (`None`: `--wide`, no limit): long specs wrap at commas, a
/// table too wide is split into stacked parts, and row labels too long for even one
/// column beside them shrink to `#N`, the specs listed above the tables.
pub fn to_table(c: &Comparison, width: Width) -> String {
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
    for l in wrap("", 2, &machine_line(base_cfg), width, &[' ']) {
        let _ = writeln!(s, "{l}");
    }
    let _ = writeln!(
        s,
        "{} configurations; changes in % are against #0",
        c.rows.len()
    );

    let _ = writeln!(s, "\nspecs as given, and in effect (every key)");
    for l in spec_block(c, width) {
        let _ = writeln!(s, "{l}");
    }

    let varying = varying(c);
    let changes = all_changes(c);
    let build = |labels: &[String], changes: &[Vec<Change>]| -> Vec<Table> {
        let mut first = 0;
        TABLES
            .iter()
            .map(|t| {
                let tb = table(*t, first, c, changes, labels);
                first += t.1.len();
                tb
            })
            .collect()
    };
    if !varying.is_empty() {
        let _ = writeln!(s, "\nrows: #N {}, as given", varying.join(" / "));
    }
    match changes {
        Ok(changes) => {
            let mut tables = build(&row_labels(c, &varying, false), &changes);
            if !tables.iter().all(|t| t.fits(width)) {
                // Labels too long for the width: `#N` in the tables, the specs here.
                for (i, l) in row_labels(c, &varying, false).iter().enumerate() {
                    let tag = format!("#{i}");
                    let text = l.strip_prefix(&tag).unwrap_or(l).trim_start();
                    let first = format!("  {tag:<4} ");
                    for line in wrap(&first, 7, text, width, &[' ', ',']) {
                        let _ = writeln!(s, "{line}");
                    }
                }
                tables = build(&row_labels(c, &varying, true), &changes);
            }
            for t in tables {
                s.push('\n');
                s.push_str(&t.render(width));
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
            let first = format!("  #{i}: ");
            for l in wrap(&first, 4, &e.to_string(), width, &[' ']) {
                let _ = writeln!(s, "{l}");
            }
        }
    }
    let warnings = warnings(c);
    if !warnings.is_empty() {
        let _ = writeln!(s, "\nwarnings");
        for w in warnings {
            for l in wrap("  ", 4, &w, width, &[' ']) {
                let _ = writeln!(s, "{l}");
            }
        }
    }
    s
}
