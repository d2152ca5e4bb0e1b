//! A sweep's rows for the terminal: ranked by `--sort` and printed with the best
//! value of each headline metric marked. The ranking and the best values are polars
//! queries ([`crate::report::summary`]); this file resolves names and formats.

use super::{Cell, Row, columns, to_dataframe_of};
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

/// The printed table of a sweep: the swept dimensions (or the configuration key) and
/// the headline metrics; the best (lowest) value of each metric is marked `*`.
pub fn rows_table(rows: &[Row], dims: &[String]) -> String {
    use std::fmt::Write as _;
    let metrics = [
        ("device.reads", "reads"),
        ("device.read_bytes", "read bytes"),
        ("device.writes", "writes"),
        ("device.write_bytes", "write bytes"),
        ("counters.page_misses", "page misses"),
        ("latency_ns.read.p99", "read p99 us"),
        ("latency_ns.fsync.p99", "fsync p99 us"),
    ];
    let label = |r: &Row| -> String {
        if dims.is_empty() {
            return r.get("config_key").map(Cell::text).unwrap_or_default();
        }
        dims.iter()
            .map(|d| {
                let v = match r.get(d) {
                    Some(Cell::Int(b)) if d == "config.mem" => crate::units::format_size(*b as u64),
                    Some(c) if !c.text().is_empty() => c.text(),
                    _ => "-".to_string(),
                };
                let short = d.rsplit('.').next().unwrap_or(d);
                format!("{short}={v}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    // The best of each metric is a polars query; should it fail (a bug), the table
    // still shows every number, unmarked.
    let names: Vec<&str> = metrics.iter().map(|(m, _)| *m).collect();
    let mut read = names.clone();
    read.push("error");
    let best = to_dataframe_of(rows, &read)
        .map_err(SummaryError::Frame)
        .and_then(|df| summary::best(&df, &names))
        .unwrap_or_else(|_| vec![None; metrics.len()]);
    let labels: Vec<String> = rows.iter().map(label).collect();
    let w = labels
        .iter()
        .map(|l| l.len())
        .max()
        .unwrap_or(6)
        .clamp(6, 60);
    let mut s = String::new();
    let _ = write!(s, "{:>4}  {:<w$}", "id", "configuration");
    for (_, h) in &metrics {
        let _ = write!(s, " {h:>13}");
    }
    s.push('\n');
    for (r, l) in rows.iter().zip(&labels) {
        let id = r.get("config_id").map(Cell::text).unwrap_or_default();
        let l: String = l.chars().take(w).collect();
        let _ = write!(s, "{id:>4}  {l:<w$}");
        if let Some(e) = r.get("error") {
            let _ = write!(s, " error: {}", e.text());
            s.push('\n');
            continue;
        }
        for ((m, _), b) in metrics.iter().zip(&best) {
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
            let _ = write!(s, " {text:>12}{mark}");
        }
        s.push('\n');
    }
    s
}
