//! A sweep's rows for the terminal: ranked by `--sort` and printed with the best
//! value of each headline metric marked. The ranking and the best values are polars
//! queries ([`crate::report::summary`]); this file resolves names and formats.

use super::{Cell, Row, columns, to_dataframe_of};
use crate::report::fit::{Column, Table, Width, deflist, wrap};
use crate::report::summary::{self, SummaryError};

/// Sort rows by a metric column (ascending; rows without a number for it last, ties
/// in their order), returning the column. `metric` may be a column name
/// (`device.reads`) or the same with `_` for the first dot (`device_reads`), or the
/// last part of a numeric column's name. The ranking is a polars query
/// ([`summary::ranking`]).
pub fn sort_rows(rows: &mut [Row], metric: &str) -> Result<String, SummaryError> {
    let cols = columns(rows);
    let col = if cols.iter().any(|c| c == metric) {
        metric.to_string()
    } else if let Some(c) = cols.iter().find(|c| c.replacen('.', "_", 1) == metric) {
        c.clone()
    } else if let Some(c) = cols.iter().find(|c| {
        c.ends_with(&format!(".{metric}"))
            && rows
                .iter()
                .any(|r| r.get(c).and_then(Cell::as_f64).is_some())
    }) {
        c.clone()
    } else {
        return Err(SummaryError::UnknownMetric(metric.to_string()));
    };
    let df = to_dataframe_of(rows, &[&col]).map_err(SummaryError::Frame)?;
    let order = summary::ranking(&df, &col)?;
    let mut taken: Vec<Option<Row>> = rows.iter_mut().map(|r| Some(std::mem::take(r))).collect();
    for (slot, i) in rows.iter_mut().zip(order) {
        if let Some(r) = taken.get_mut(i).and_then(Option::take) {
            *slot = r;
        }
    }
    Ok(col)
}

/// The headline metrics of the sweep table: column, heading lines, and how a value
/// shows.
const METRICS: [(&str, [&str; 2]); 7] = [
    ("device.reads", ["", "reads"]),
    ("device.read_bytes", ["read", "bytes"]),
    ("device.writes", ["", "writes"]),
    ("device.write_bytes", ["write", "bytes"]),
    ("counters.page_misses", ["page", "misses"]),
    ("latency_ns.read.p99", ["read p99", "us"]),
    ("latency_ns.fsync.p99", ["fsync p99", "us"]),
];

/// The families whose specs the block above the table shows, as results columns.
const SPEC_COLUMNS: [&str; 5] = [
    "config.profile",
    "config.device",
    "config.readahead",
    "config.cluster",
    "config.sync",
];

/// The value of `column` in `given` (a row's dimensions as the user gave them), or
/// the row's own cell when the row has no given values (memory as a size).
fn given_value(r: &Row, given: &[(String, String)], column: &str) -> String {
    if let Some((_, v)) = given.iter().find(|(c, _)| c == column) {
        return v.clone();
    }
    match r.get(column) {
        Some(Cell::Int(b)) if column == "config.mem" => crate::units::format_size(*b as u64),
        Some(c) if !c.text().is_empty() => c.text(),
        _ => "-".to_string(),
    }
}

/// The specs block: per family each spec as given and in effect (the row's
/// `config.*` cell), once however many rows share it, in grid order. A spec given
/// once but in effect differently in some rows (`--set-grid vfs.write_behind=0,1`
/// changes the cluster policy's `write_behind`) is listed once per effective spec,
/// tagged with the swept dimensions its rows share (`dragonfly (write_behind=0)`), or
/// with their ids when no such tag tells them apart.
fn spec_block(
    rows: &[Row],
    given: &[Vec<(String, String)>],
    dims: &[String],
    width: Width,
) -> Vec<String> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| match rows[i].get("config_id") {
        Some(Cell::Int(id)) => *id,
        _ => i64::MAX,
    });
    let none: Vec<(String, String)> = Vec::new();
    let given_of = |i: usize| given.get(i).unwrap_or(&none);
    let mut entries: Vec<(String, String, String)> = Vec::new();
    for col in SPEC_COLUMNS {
        let family = col.trim_start_matches("config.");
        // (given, effective, rows) in grid order.
        let mut seen: Vec<(String, String, Vec<usize>)> = Vec::new();
        for &i in &order {
            let Some((_, term)) = given_of(i).iter().find(|(c, _)| c == col) else {
                continue;
            };
            let Some(eff) = rows[i].txt(col) else {
                continue;
            };
            if term == "-" {
                continue;
            }
            match seen.iter_mut().find(|(t, e, _)| t == term && *e == eff) {
                Some((_, _, rs)) => rs.push(i),
                None => seen.push((term.clone(), eff, vec![i])),
            }
        }
        // The swept dimensions (other than this family) every row of a group shares.
        let shared = |rs: &[usize]| -> String {
            dims.iter()
                .filter(|d| d.as_str() != col)
                .filter_map(|d| {
                    let v = given_value(&rows[rs[0]], given_of(rs[0]), d);
                    let all = rs
                        .iter()
                        .all(|&i| given_value(&rows[i], given_of(i), d) == v);
                    let short = d.rsplit('.').next().unwrap_or(d);
                    all.then(|| format!("{short}={v}"))
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let tags: Vec<String> = seen.iter().map(|(_, _, rs)| shared(rs)).collect();
        for (k, (term, eff, rs)) in seen.iter().enumerate() {
            let same_term: Vec<usize> = (0..seen.len()).filter(|&j| seen[j].0 == *term).collect();
            let term = if same_term.len() < 2 {
                term.clone()
            } else if !tags[k].is_empty() && same_term.iter().all(|&j| j == k || tags[j] != tags[k])
            {
                format!("{term} ({})", tags[k])
            } else {
                let ids: Vec<String> = rs
                    .iter()
                    .map(|&i| rows[i].get("config_id").map(Cell::text).unwrap_or_default())
                    .collect();
                format!("{term} (ids {})", ids.join(","))
            };
            entries.push((family.to_string(), term, eff.clone()));
        }
    }
    deflist(&entries, width)
}

/// The printed table of a sweep: a line saying how many configurations, the specs
/// as given and in effect, then one row per configuration labelled with its id and
/// the swept dimensions (`dims`) as given (`given[i]` for `rows[i]`, by results
/// column) and the headline metrics, the best (lowest) value of each marked `*`.
///
/// Every line fits `width` (`None`: `--wide`, no limit): specs wrap at commas, a
/// table too wide is split into stacked parts, and dimensions too long for even one
/// metric beside them move to a list of ids above the table.
pub fn rows_table(
    rows: &[Row],
    dims: &[String],
    given: &[Vec<(String, String)>],
    width: Width,
) -> String {
    use std::fmt::Write as _;
    let none: Vec<(String, String)> = Vec::new();
    let given_of = |i: usize| given.get(i).unwrap_or(&none);
    // The best of each metric is a polars query; should it fail (a bug), the table
    // still shows every number, unmarked.
    let names: Vec<&str> = METRICS.iter().map(|(m, _)| *m).collect();
    let mut read = names.clone();
    read.push("error");
    let best = to_dataframe_of(rows, &read)
        .map_err(SummaryError::Frame)
        .and_then(|df| summary::best(&df, &names))
        .unwrap_or_else(|_| vec![None; METRICS.len()]);

    let ids: Vec<String> = rows
        .iter()
        .map(|r| r.get("config_id").map(Cell::text).unwrap_or_default())
        .collect();
    let dim_cols: Vec<Column> = dims
        .iter()
        .map(|d| {
            let short = d.rsplit('.').next().unwrap_or(d);
            let cells = rows
                .iter()
                .enumerate()
                .map(|(i, r)| given_value(r, given_of(i), d))
                .collect();
            Column::new(&[short], cells, false)
        })
        .collect();
    let values: Vec<Column> = METRICS
        .iter()
        .zip(&best)
        .map(|((m, head), b)| {
            let cells = rows
                .iter()
                .map(|r| {
                    let v = r.get(m).and_then(Cell::as_f64);
                    let text = match v {
                        None => "-".to_string(),
                        Some(x) if m.starts_with("latency") => format!("{:.0}", x / 1000.0),
                        Some(x) if m.ends_with("bytes") => crate::units::format_size(x as u64),
                        Some(x) => format!("{x:.0}"),
                    };
                    let mark = if v.is_some() && v == *b && rows.len() > 1 {
                        "*"
                    } else {
                        " "
                    };
                    format!("{text}{mark}")
                })
                .collect();
            Column::new(head, cells, true)
        })
        .collect();
    let notes: Vec<Option<String>> = rows
        .iter()
        .map(|r| r.get("error").map(|e| format!("error: {}", e.text())))
        .collect();
    let id_col = Column::new(&["id"], ids.clone(), true);
    let mut labels = vec![id_col.clone()];
    labels.extend(dim_cols.iter().cloned());
    let mut table = Table {
        title: String::new(),
        labels,
        values,
        notes,
    };

    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} configurations; * marks the best (lowest) value of each column",
        rows.len()
    );
    let block = spec_block(rows, given, dims, width);
    if !block.is_empty() {
        let _ = writeln!(s, "specs as given, and in effect (every key)");
        for l in block {
            let _ = writeln!(s, "{l}");
        }
    }
    if !table.fits(width) {
        // Dimensions too long for the width: the ids in the table, the dimensions here.
        let _ = writeln!(s, "dimensions as given");
        let iw = ids.iter().map(String::len).max().unwrap_or(0);
        for (i, id) in ids.iter().enumerate() {
            let dims: Vec<String> = dim_cols
                .iter()
                .map(|c| format!("{}={}", c.head[0], c.cells[i]))
                .collect();
            let first = format!("  {id:>iw$}  ");
            for l in wrap(&first, iw + 6, &dims.join(" "), width, &[' ', ',']) {
                let _ = writeln!(s, "{l}");
            }
        }
        table.labels = vec![id_col];
    }
    s.push('\n');
    s.push_str(&table.render(width));
    s
}
