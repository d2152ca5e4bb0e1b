//! Rendering one run: the `vmstat -s`-style table, the JSON object scripts rely on, and
//! a one-row CSV with the same flattened keys.

use crate::run::RunOutput;
use crate::stats::{LatencySummary, Origin};
use crate::trace::Op;
use crate::units::format_size;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;

fn latency_json(s: &LatencySummary) -> Value {
    serde_json::to_value(s).unwrap_or_default()
}

/// The JSON object of `--format json`: `trace`, `config`, `counters`, `device`,
/// `latency_ns`, `warnings`.
pub fn to_json(out: &RunOutput) -> Value {
    let st = &out.stats;
    let counters = serde_json::to_value(&st.counters).unwrap_or_default();
    let device = serde_json::to_value(&st.device).unwrap_or_default();
    let mut lat = Map::new();
    for op in Op::ALL {
        lat.insert(op.name().into(), latency_json(&st.latency.summary(op)));
    }
    json!({
        "trace": {"path": out.trace_path, "events": out.events, "files": out.files, "end_time_ns": st.end_time_ns},
        "config": out.config.to_json(),
        "counters": counters,
        "device": device,
        "latency_ns": lat,
        "warnings": out.warnings,
    })
}

/// [`to_json`] as pretty-printed text with a final newline (`--format json`).
pub fn to_json_text(out: &RunOutput) -> String {
    let mut s = serde_json::to_string_pretty(&to_json(out)).unwrap_or_default();
    s.push('\n');
    s
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

/// Flatten a JSON object into `a.b.c` keys (arrays joined with `; `); every CSV
/// output uses it so their columns share names.
pub(crate) fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::Array(a) => {
            let s: Vec<String> = a
                .iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect();
            out.push((prefix.to_string(), s.join("; ")));
        }
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// `--format csv`: a header line of flattened keys and one row.
pub fn to_csv(out: &RunOutput) -> String {
    let mut kv = Vec::new();
    flatten("", &to_json(out), &mut kv);
    let mut c = super::csvout::CsvText::new();
    c.record(kv.iter().map(|(k, _)| k));
    c.record(kv.iter().map(|(_, v)| v));
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
