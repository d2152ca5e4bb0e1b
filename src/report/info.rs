//! Rendering `vpsim info`: a one-screen table, or JSON.

use serde_json::{Map, Value, json};
use std::fmt::Write;

use crate::info::TraceInfo;
use crate::trace::Op;
use crate::units::format_size;

fn pct(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |v| format!("{:.1}%", v * 100.0))
}

/// The human-readable summary.
pub fn to_table(i: &TraceInfo) -> String {
    let mut s = String::new();
    let form = if i.binary { "binary" } else { "csv" };
    let _ = writeln!(s, "{} ({form})", i.path);
    let _ = writeln!(
        s,
        "  events {}   files {}   span {:.3} s",
        i.events,
        i.files,
        i.span_ns() as f64 / 1e9
    );
    let _ = writeln!(
        s,
        "  read {} ({})   written {} ({})",
        i.bytes_read,
        format_size(i.bytes_read),
        i.bytes_written,
        format_size(i.bytes_written)
    );
    let _ = writeln!(
        s,
        "  footprint {} pages ({}), {} blocks of {}   sequential reads {}",
        i.pages,
        format_size(i.pages * 4096),
        i.blocks,
        format_size(i.block_size),
        pct(i.sequentiality())
    );
    let _ = write!(s, "  ops:");
    for op in Op::ALL {
        let n = i.per_op[op.index()];
        if n > 0 {
            let _ = write!(s, " {} {n}", op.name());
        }
    }
    let _ = writeln!(s);
    if let Some(per) = i.faults_per_mapped_page() {
        let _ = writeln!(
            s,
            "  mmap: {} pages mapped ({}), {} faults on {} of them: {per:.3} faults per mapped page (only touches that faulted are recorded)",
            i.mapped_pages,
            format_size(i.mapped_pages * 4096),
            i.faults,
            i.faulted_pages
        );
    }
    let _ = writeln!(s, "largest files:");
    let _ = writeln!(
        s,
        "  {:>10} {:>10} {:>9} {:>9} {:>8} {:>6}  file",
        "size", "footprint", "reads", "writes", "faults", "seq"
    );
    for f in &i.largest {
        let _ = writeln!(
            s,
            "  {:>10} {:>10} {:>9} {:>9} {:>8} {:>6}  {}",
            format_size(f.size),
            format_size(f.pages * 4096),
            f.reads,
            f.writes,
            f.faults,
            pct(f.sequentiality()),
            f.name
        );
    }
    let _ = writeln!(s, "LRU miss-ratio curve (page references, exact LRU):");
    let _ = writeln!(
        s,
        "  {:>10} {:>12} {:>12} {:>8}",
        "memory", "hits", "misses", "miss %"
    );
    for p in &i.mrc {
        let _ = writeln!(
            s,
            "  {:>10} {:>12} {:>12} {:>7.2}%",
            format_size(p.mem_bytes),
            p.hits,
            p.misses,
            p.miss_ratio() * 100.0
        );
    }
    if !i.warnings.is_empty() {
        let _ = writeln!(s, "warnings:");
        for w in &i.warnings {
            let _ = writeln!(s, "  {w}");
        }
    }
    s
}

/// The same summary as JSON (numbers unrounded).
pub fn to_json(i: &TraceInfo) -> Value {
    let mut ops = Map::new();
    for op in Op::ALL {
        ops.insert(op.name().into(), i.per_op[op.index()].into());
    }
    let largest: Vec<Value> = i
        .largest
        .iter()
        .map(|f| {
            json!({
                "file": f.name, "size": f.size, "pages": f.pages,
                "reads": f.reads, "bytes_read": f.bytes_read,
                "writes": f.writes, "bytes_written": f.bytes_written,
                "faults": f.faults, "sequential_reads": f.sequential_reads,
                "sequentiality": f.sequentiality(),
            })
        })
        .collect();
    let mrc: Vec<Value> = i
        .mrc
        .iter()
        .map(|p| {
            json!({"mem_bytes": p.mem_bytes, "hits": p.hits, "misses": p.misses,
                   "miss_ratio": p.miss_ratio()})
        })
        .collect();
    json!({
        "trace": i.path,
        "form": if i.binary { "binary" } else { "csv" },
        "events": i.events,
        "ops": ops,
        "files": i.files,
        "bytes_read": i.bytes_read,
        "bytes_written": i.bytes_written,
        "footprint_pages": i.pages,
        "footprint_blocks": i.blocks,
        "block_size": i.block_size,
        "first_time_ns": i.first_time,
        "last_time_ns": i.last_time,
        "span_ns": i.span_ns(),
        "sequential_reads": i.sequential_reads,
        "followed_reads": i.followed_reads,
        "mapped_pages": i.mapped_pages,
        "faulted_pages": i.faulted_pages,
        "faults": i.faults,
        "faults_per_mapped_page": i.faults_per_mapped_page(),
        "sequentiality": i.sequentiality(),
        "largest_files": largest,
        "lru_mrc": mrc,
        "warnings": i.warnings,
    })
}
