//! A comparison as data: the `--format json` document, the `--format csv` lines and
//! the results rows of `--output`, all from the same typed values.

use super::{Comparison, Row};
use crate::report::flat;
use crate::report::replay::{ReplayReport, TraceSummary, pretty, report_cells};
use crate::run::RunConfig;
use serde::Serialize;
use serde_json::Value;

/// One element of `configs`: the replay object of a configuration, or its
/// configuration and the error that kept it from a result.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum ConfigReport<'a> {
    /// Boxed: a report is large beside a failure.
    Ran(Box<ReplayReport<'a>>),
    Failed {
        config: &'a RunConfig,
        error: String,
    },
}

impl<'a> ConfigReport<'a> {
    fn new(row: &'a Row) -> Self {
        match &row.result {
            Ok(out) => ConfigReport::Ran(Box::new(ReplayReport::new(out))),
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
pub fn results_rows(c: &Comparison) -> Vec<crate::report::results::Row> {
    use crate::report::results::{Cell, Row as ResultsRow};
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
    let mut c = crate::report::csvout::CsvText::new();
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
