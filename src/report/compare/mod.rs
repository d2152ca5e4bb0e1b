//! Rendering a comparison: one trace replayed under several policy configurations
//! (`vpsim compare`), as a table of the headline numbers with their change against the
//! baseline (`table.rs`), as one JSON document holding every run's replay object, as a
//! CSV with one row per configuration, or as results rows (`output.rs`).
//!
//! The JSON and CSV reuse the replay report's object ([`super::replay::ReplayReport`])
//! so a script that reads `vpsim replay --format json` reads each configuration of a
//! comparison unchanged; only the table is specific to comparisons.

mod output;
mod specs;
mod table;
#[cfg(test)]
mod tests;

pub use crate::run::batch::RowError;
use crate::run::{RunConfig, RunOutput};
pub use output::{results_rows, to_csv, to_json, to_json_text};
pub use table::to_table;

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
