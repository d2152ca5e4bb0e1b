//! Rendering one run: the `vmstat -s`-style table, the JSON object scripts rely on, and
//! a one-row CSV with the same flattened keys.

use super::flat;
use super::results::Cell;
use crate::run::{EffectiveConfig, RunOutput};
use crate::stats::{Counters, DeviceStats, Latencies, Origin};
use crate::trace::Op;
use crate::units::format_size;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;
use std::fmt::Write as _;

/// The replay JSON object (`--format json`), typed: serde writes it as JSON and
/// [`flat::cells`] as a results row or a CSV line, so the three agree key for key.
#[derive(Clone, Debug, Serialize)]
pub struct ReplayReport<'a> {
    pub trace: TraceSummary<'a>,
    pub config: EffectiveConfig,
    pub counters: &'a Counters,
    pub device: &'a DeviceStats,
    /// Every op's latency summary, by op name, every op in [`Op::ALL`] order.
    #[serde(serialize_with = "latency_by_op")]
    pub latency_ns: &'a Latencies,
    pub warnings: &'a [String],
}

/// The `trace` object: what was replayed (a comparison's has no end time: it differs
/// per configuration).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct TraceSummary<'a> {
    pub path: &'a str,
    pub events: u64,
    pub files: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time_ns: Option<u64>,
}

fn latency_by_op<S: Serializer>(l: &&Latencies, s: S) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(Op::ALL.len()))?;
    for op in Op::ALL {
        m.serialize_entry(op.name(), &l.summary(op))?;
    }
    m.end()
}

impl<'a> ReplayReport<'a> {
    pub fn new(out: &'a RunOutput) -> Self {
        ReplayReport {
            trace: TraceSummary {
                path: &out.trace_path,
                events: out.events,
                files: out.files,
                end_time_ns: Some(out.stats.end_time_ns),
            },
            config: out.config.effective(),
            counters: &out.stats.counters,
            device: &out.stats.device,
            latency_ns: &out.stats.latency,
            warnings: &out.warnings,
        }
    }
}

/// The JSON object of `--format json`: `trace`, `config`, `counters`, `device`,
/// `latency_ns`, `warnings`.
pub fn to_json(out: &RunOutput) -> Value {
    serde_json::to_value(ReplayReport::new(out)).unwrap_or_default()
}

/// [`to_json`] as pretty-printed text with a final newline (`--format json`).
pub fn to_json_text(out: &RunOutput) -> String {
    pretty(&ReplayReport::new(out))
}

/// A report as pretty-printed JSON with a final newline. The report types have
/// string keys only, the one thing serde_json could refuse.
pub(crate) fn pretty<T: Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// The flattened cells of a report, as a results row and the CSV outputs name them.
pub(crate) fn report_cells<T: Serialize>(v: &T) -> Vec<(String, Cell)> {
    // The report types flatten without error (string keys, no raw bytes); should one
    // ever fail, the row says why rather than vanishing.
    flat::cells(v).unwrap_or_else(|e| vec![("error".into(), Cell::Str(e.to_string()))])
}

/// The `--timeline` CSV: a header and one line per sample.
pub fn timeline_csv(rows: &[crate::stats::TimelineRow]) -> String {
    let mut c = super::csvout::CsvText::new();
    c.record(crate::stats::TimelineRow::HEADER.split(','));
    for r in rows {
        c.record(r.fields());
    }
    c.finish()
}

/// `--format csv`: a header line of flattened keys and one row.
pub fn to_csv(out: &RunOutput) -> String {
    let kv = report_cells(&ReplayReport::new(out));
    let mut c = super::csvout::CsvText::new();
    c.record(kv.iter().map(|(k, _)| k));
    c.record(kv.iter().map(|(_, v)| flat::text(v)));
    c.finish()
}

/// Nanoseconds as microseconds, two decimals below 10 us.
pub(crate) fn us(ns: u64) -> String {
    if ns == 0 {
        "0".into()
    } else if ns < 10_000 {
        format!("{:.2}", ns as f64 / 1000.0)
    } else {
        format!("{:.0}", ns as f64 / 1000.0)
    }
}

/// `--format table`: counters grouped the way `vmstat -s` readers scan them.
pub fn to_table(out: &RunOutput) -> String {
    let st = &out.stats;
    let cfg = &out.config;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "vpsim replay {}: {} events, {} files, {:.3} s of trace time",
        out.trace_path,
        out.events,
        out.files,
        st.end_time_ns as f64 / 1e9
    );
    let _ = writeln!(
        s,
        "model {}, mem {}{}, device {}",
        cfg.model.name(),
        format_size(cfg.mem),
        if cfg.unavailable > 0 {
            format!(" ({} unavailable)", format_size(cfg.unavailable))
        } else {
            String::new()
        },
        cfg.device.describe()
    );
    let entries = st.counters.entries();
    let mut group = "";
    for &(g, name, v) in &entries {
        if g != group {
            let _ = writeln!(s, "\n{g}");
            group = g;
            if entries.iter().all(|&(g2, _, v2)| g2 != g || v2 == 0) {
                let _ = writeln!(s, "  {:>14}  (every counter of this group is 0)", "");
            }
        }
        if v == 0 && !matches!(g, "trace" | "pages" | "pager") {
            continue;
        }
        let _ = writeln!(s, "  {v:>14}  {name}");
    }
    let d = &st.device;
    let _ = writeln!(s, "\ndevice");
    let _ = writeln!(
        s,
        "  {:>14}  reads ({}, {} sync, {} async)",
        d.reads,
        format_size(d.read_bytes),
        d.sync_reads,
        d.async_reads
    );
    let _ = writeln!(
        s,
        "  {:>14}  writes ({}, {} sync, {} async)",
        d.writes,
        format_size(d.write_bytes),
        d.sync_writes,
        d.async_writes
    );
    let _ = writeln!(s, "  {:>14}  deepest queue", d.max_queue_depth);
    if d.read_merges + d.write_merges > 0 {
        let _ = writeln!(
            s,
            "  {:>14}  bios merged into queued requests ({} reads, {} writes)",
            d.read_merges + d.write_merges,
            d.read_merges,
            d.write_merges
        );
    }
    let _ = writeln!(
        s,
        "  by origin            reads   read bytes      writes  write bytes"
    );
    for o in Origin::ALL {
        let [r, rb, w, wb] = d.by_origin[o.index()];
        if r + w == 0 {
            continue;
        }
        let _ = writeln!(
            s,
            "  {:<17} {:>8} {:>12} {:>11} {:>12}",
            o.name(),
            r,
            format_size(rb),
            w,
            format_size(wb)
        );
    }
    let _ = writeln!(
        s,
        "\nlatency (us)        count      mean       p50       p90       p99     p99.9       max"
    );
    for op in Op::ALL {
        let l = st.latency.summary(op);
        if l.count == 0 {
            continue;
        }
        let _ = writeln!(
            s,
            "  {:<12} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            op.name(),
            l.count,
            us(l.mean.round() as u64),
            us(l.p50),
            us(l.p90),
            us(l.p99),
            us(l.p999),
            us(l.max)
        );
    }
    if !out.warnings.is_empty() {
        let _ = writeln!(s, "\nwarnings");
        for w in &out.warnings {
            let _ = writeln!(s, "  {w}");
        }
    }
    s
}
