//! The results model: one row per configuration, as a polars `DataFrame`.
//!
//! A row is the replay JSON object flattened to `a.b.c` columns (the same names as
//! `replay --format csv`), plus whatever identifies the row in a sweep
//! (`config_id`, `config_key`, `error`). `replay`, `compare` and `sweep` all write
//! rows of this schema, so every command (plot, report, merge) reads every output.
//! Files are written by extension — `.parquet`, `.csv` or `.json` — through a
//! temporary file renamed into place, so a half-written file never looks complete.

use super::replay::{ReplayReport, report_cells};
use super::summary::{self, SummaryError};
use crate::run::RunOutput;
use polars::prelude::*;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One cell of a results row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Int(i64),
    Float(f64),
    Str(String),
    Null,
}

impl Cell {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Int(i) => Some(*i as f64),
            Cell::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub fn text(&self) -> String {
        match self {
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => {
                if f.fract() == 0.0 && f.abs() < 1e15 {
                    format!("{f:.1}")
                } else {
                    f.to_string()
                }
            }
            Cell::Str(s) => s.clone(),
            Cell::Null => String::new(),
        }
    }
}

/// One configuration's results: ordered `(column, cell)` pairs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    pub cells: Vec<(String, Cell)>,
}

impl Row {
    pub fn get(&self, col: &str) -> Option<&Cell> {
        self.cells.iter().find(|(c, _)| c == col).map(|(_, v)| v)
    }

    /// A column as a finite number (absent, text, NaN and infinities are `None`):
    /// what every table and chart plots.
    pub fn num(&self, col: &str) -> Option<f64> {
        self.get(col)
            .and_then(Cell::as_f64)
            .filter(|v| v.is_finite())
    }

    /// A column as text, `None` when absent or blank.
    pub fn txt(&self, col: &str) -> Option<String> {
        self.get(col)
            .map(Cell::text)
            .filter(|s| !s.trim().is_empty())
    }

    pub fn push(&mut self, col: &str, cell: Cell) {
        self.cells.push((col.to_string(), cell));
    }

    /// The row of a finished run, with `extra` identifying columns first: the replay
    /// report's typed values flattened (numbers stay numbers; see [`super::flat`]).
    pub fn from_output(out: &RunOutput, extra: Vec<(String, Cell)>) -> Row {
        let mut cells = extra;
        cells.extend(report_cells(&ReplayReport::new(out)));
        Row { cells }
    }
}

/// A cell is its JSON value: a number, a string, or null.
impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Int(i) => s.serialize_i64(*i),
            Cell::Float(f) => s.serialize_f64(*f),
            Cell::Str(t) => s.serialize_str(t),
            Cell::Null => s.serialize_unit(),
        }
    }
}

/// A JSON value as a cell: integers stay integers, other numbers are floats, a
/// boolean, list or object is its JSON text (results hold none of them).
impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cell, D::Error> {
        use serde_json::Value;
        Ok(match Value::deserialize(d)? {
            Value::Number(n) => match n.as_i64() {
                Some(i) => Cell::Int(i),
                None => Cell::Float(n.as_f64().unwrap_or(0.0)),
            },
            Value::String(s) => Cell::Str(s),
            Value::Null => Cell::Null,
            other => Cell::Str(other.to_string()),
        })
    }
}

/// A row is a JSON object of its cells, in column order.
impl Serialize for Row {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.cells.len()))?;
        for (k, c) in &self.cells {
            m.serialize_entry(k, c)?;
        }
        m.end()
    }
}

/// A row from a JSON object: keys in file order, a repeated key's last value in its
/// first place, null cells left out (a null is an absent value).
impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Row, D::Error> {
        struct RowVisitor;
        impl<'de> Visitor<'de> for RowVisitor {
            type Value = Row;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a result row (an object of columns)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Row, A::Error> {
                let mut cells: Vec<(String, Cell)> = Vec::new();
                while let Some((k, c)) = m.next_entry::<String, Cell>()? {
                    match cells.iter_mut().find(|(name, _)| *name == k) {
                        Some(slot) => slot.1 = c,
                        None => cells.push((k, c)),
                    }
                }
                cells.retain(|(_, c)| *c != Cell::Null);
                Ok(Row { cells })
            }
        }
        d.deserialize_map(RowVisitor)
    }
}

/// A `.json` results file: an array of rows. An element that is not an object is
/// an empty row (it has no column to show), as it always was.
struct RowsFile(Vec<Row>);

impl<'de> Deserialize<'de> for RowsFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RowsFile, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Element {
            Row(Row),
            Other(IgnoredAny),
        }
        struct RowsVisitor;
        impl<'de> Visitor<'de> for RowsVisitor {
            type Value = RowsFile;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON array of result rows")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<RowsFile, A::Error> {
                let mut rows = Vec::new();
                while let Some(e) = s.next_element::<Element>()? {
                    rows.push(match e {
                        Element::Row(r) => r,
                        Element::Other(_) => Row::default(),
                    });
                }
                Ok(RowsFile(rows))
            }
        }
        d.deserialize_seq(RowsVisitor)
    }
}

/// Column types: integers if every non-null cell is one, floats if every one is a
/// number, text otherwise.
fn column(name: &str, rows: &[Row]) -> Column {
    let cells: Vec<Option<&Cell>> = rows.iter().map(|r| r.get(name)).collect();
    let present = cells.iter().flatten().filter(|c| ***c != Cell::Null);
    let (mut ints, mut nums) = (true, true);
    for c in present {
        match c {
            Cell::Int(_) => {}
            Cell::Float(_) => ints = false,
            _ => {
                ints = false;
                nums = false;
            }
        }
    }
    if ints {
        let v: Vec<Option<i64>> = cells
            .iter()
            .map(|c| match c {
                Some(Cell::Int(i)) => Some(*i),
                _ => None,
            })
            .collect();
        Column::new(name.into(), v)
    } else if nums {
        let v: Vec<Option<f64>> = cells.iter().map(|c| c.and_then(Cell::as_f64)).collect();
        Column::new(name.into(), v)
    } else {
        let v: Vec<Option<String>> = cells
            .iter()
            .map(|c| match c {
                None | Some(Cell::Null) => None,
                Some(c) => Some(c.text()),
            })
            .collect();
        Column::new(name.into(), v)
    }
}

/// The union of the rows' columns, in first-seen order.
pub fn columns(rows: &[Row]) -> Vec<String> {
    let mut seen = rustc_hash::FxHashSet::default();
    let mut cols = Vec::new();
    for r in rows {
        for (c, _) in &r.cells {
            if seen.insert(c.clone()) {
                cols.push(c.clone());
            }
        }
    }
    cols
}

/// Rows → DataFrame.
pub fn to_dataframe(rows: &[Row]) -> Result<DataFrame, String> {
    let cols = columns(rows);
    let names: Vec<&str> = cols.iter().map(String::as_str).collect();
    to_dataframe_of(rows, &names)
}

/// The frame of the columns `names` only (one no row has is all null): what a
/// summary query reads, without building the hundreds of others.
pub fn to_dataframe_of(rows: &[Row], names: &[&str]) -> Result<DataFrame, String> {
    let cols: Vec<Column> = names.iter().map(|c| column(c, rows)).collect();
    DataFrame::new_infer_height(cols).map_err(|e| format!("building the results table: {e}"))
}

/// DataFrame → rows.
pub fn from_dataframe(df: &DataFrame) -> Result<Vec<Row>, String> {
    let mut rows = vec![Row::default(); df.height()];
    for col in df.columns() {
        let name = col.name().to_string();
        for (i, row) in rows.iter_mut().enumerate() {
            let cell = cell_of(col.get(i).map_err(|e| e.to_string())?);
            if cell != Cell::Null {
                row.cells.push((name.clone(), cell));
            }
        }
    }
    Ok(rows)
}

/// A frame's value as a cell. Text read back from a file stays text (a CSV column of
/// text is not re-parsed).
pub(crate) fn cell_of(v: AnyValue) -> Cell {
    match v {
        AnyValue::Null => Cell::Null,
        AnyValue::Int64(x) => Cell::Int(x),
        AnyValue::Int32(x) => Cell::Int(x as i64),
        AnyValue::UInt64(x) => Cell::Int(x as i64),
        AnyValue::UInt32(x) => Cell::Int(x as i64),
        AnyValue::Float64(x) => Cell::Float(x),
        AnyValue::Float32(x) => Cell::Float(x as f64),
        AnyValue::Boolean(b) => Cell::Str(b.to_string()),
        AnyValue::String(s) => Cell::Str(s.to_string()),
        AnyValue::StringOwned(s) => Cell::Str(s.to_string()),
        other => Cell::Str(other.to_string()),
    }
}

/// Write `rows` to `path` by extension (.parquet, .csv or .json), atomically.
pub fn write_results(rows: &[Row], path: &Path) -> Result<(), String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let res = (|| -> Result<(), String> {
        let (f, tmp) = crate::atomic::temp_beside(path)
            .map_err(|e| e.to_string())?
            .into_parts();
        match ext.as_str() {
            "parquet" => {
                let mut df = to_dataframe(rows)?;
                ParquetWriter::new(f)
                    .finish(&mut df)
                    .map_err(|e| e.to_string())?;
            }
            "csv" => {
                let mut df = to_dataframe(rows)?;
                CsvWriter::new(f)
                    .include_header(true)
                    .finish(&mut df)
                    .map_err(|e| e.to_string())?;
            }
            "json" => {
                let text = serde_json::to_string_pretty(rows).map_err(|e| e.to_string())?;
                let mut f = f;
                std::io::Write::write_all(&mut f, (text + "\n").as_bytes())
                    .map_err(|e| e.to_string())?;
            }
            other => {
                return Err(format!(
                    "unknown results format \".{other}\": use .parquet, .csv or .json"
                ));
            }
        }
        crate::atomic::persist_path(tmp, path).map_err(|e| e.to_string())
    })();
    res.map_err(|e| format!("{}: {e}", path.display()))
}

/// Read a results file written by any vpsim command.
pub fn read_results(path: &Path) -> Result<Vec<Row>, String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let err = |e: String| format!("{}: {e}", path.display());
    match ext.as_str() {
        "parquet" => {
            let f = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
            let df = ParquetReader::new(f)
                .finish()
                .map_err(|e| err(e.to_string()))?;
            from_dataframe(&df).map_err(err)
        }
        "csv" => {
            let df = CsvReadOptions::default()
                .with_has_header(true)
                .with_infer_schema_length(None)
                .try_into_reader_with_file_path(Some(path.into()))
                .and_then(|r| r.finish())
                .map_err(|e| err(e.to_string()))?;
            from_dataframe(&df).map_err(err)
        }
        "json" => {
            let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
            let rows: RowsFile = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
            Ok(rows.0)
        }
        other => Err(err(format!(
            "unknown results format \".{other}\": use .parquet, .csv or .json"
        ))),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// One accessor for every table and chart: NaN and infinities are no number
    /// (html.rs once plotted NaN where plot.rs did not), blanks are no text.
    #[test]
    fn row_accessors_agree_on_nan_and_blanks() {
        let r = Row {
            cells: vec![
                ("a".into(), Cell::Float(f64::NAN)),
                ("b".into(), Cell::Float(f64::INFINITY)),
                ("c".into(), Cell::Int(7)),
                ("d".into(), Cell::Str("  ".into())),
                ("e".into(), Cell::Str("x".into())),
            ],
        };
        assert_eq!(
            (r.num("a"), r.num("b"), r.num("c")),
            (None, None, Some(7.0))
        );
        assert_eq!(r.num("missing"), None);
        assert_eq!((r.txt("d"), r.txt("e")), (None, Some("x".into())));
    }

    fn row(id: i64, reads: i64, name: &str) -> Row {
        let mut r = Row::default();
        r.push("config_id", Cell::Int(id));
        r.push("config.readahead", Cell::Str(name.into()));
        r.push("device.reads", Cell::Int(reads));
        r.push("latency_ns.read.mean", Cell::Float(12.5));
        r
    }

    #[test]
    fn every_format_round_trips() {
        let dir = std::env::temp_dir().join(format!("vpsim-results-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let rows = vec![row(0, 10, "none"), row(1, 5, "linux:max=32")];
        for ext in ["parquet", "csv", "json"] {
            let p = dir.join(format!("r.{ext}"));
            write_results(&rows, &p).unwrap();
            let back = read_results(&p).unwrap();
            assert_eq!(back, rows, "{ext}");
        }
        assert!(write_results(&rows, &dir.join("r.xlsx")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A `.json` file's rows: numbers typed, nulls and non-objects empty, a repeated
    /// key's last value; anything but an array is refused, saying what was expected.
    #[test]
    fn json_rows_read_leniently() {
        let dir = std::env::temp_dir().join(format!("vpsim-results-json-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("r.json");
        std::fs::write(
            &p,
            r#"[{"a": 1, "b": 2.5, "c": null, "d": true, "a": 3, "e": [1]}, 7]"#,
        )
        .unwrap();
        let rows = read_results(&p).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].cells,
            [
                ("a".to_string(), Cell::Int(3)),
                ("b".to_string(), Cell::Float(2.5)),
                ("d".to_string(), Cell::Str("true".into())),
                ("e".to_string(), Cell::Str("[1]".into())),
            ]
        );
        assert_eq!(rows[1], Row::default());
        std::fs::write(&p, r#"{"a": 1}"#).unwrap();
        let e = read_results(&p).unwrap_err();
        assert!(e.contains("expected a JSON array of result rows"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The typed row of a run is the row the replay JSON's text used to be parsed
    /// into, cell for cell — same columns, order and types — for every model and an
    /// hdd (whose device_params has the seek keys).
    #[test]
    fn typed_rows_match_the_replay_json() {
        use crate::run::{ModelKind, RunConfig, run_trace};
        /// The old way: the JSON's leaves as text, each parsed back.
        fn parsed(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, Cell)>) {
            use serde_json::Value;
            let key = |k: &str| {
                if prefix.is_empty() {
                    k.to_string()
                } else {
                    format!("{prefix}.{k}")
                }
            };
            let text = match v {
                Value::Object(m) => {
                    for (k, v) in m {
                        parsed(&key(k), v, out);
                    }
                    return;
                }
                Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join("; "),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let cell = if let Ok(i) = text.parse::<i64>() {
                Cell::Int(i)
            } else if let Ok(f) = text.parse::<f64>()
                && text.chars().any(|c| c.is_ascii_digit())
            {
                Cell::Float(f)
            } else {
                Cell::Str(text)
            };
            out.push((prefix.to_string(), cell));
        }
        for (model, device) in [
            (ModelKind::Dragonfly, "hdd"),
            (ModelKind::Linux, "ssd"),
            (ModelKind::Lru, "nvme:sched=fifo"),
        ] {
            let cfg = RunConfig {
                model,
                device: device.parse().unwrap(),
                ..RunConfig::default()
            };
            let out = run_trace("traces/mixed.csv", &cfg, &mut |_| {}).unwrap();
            let mut want = vec![("id".to_string(), Cell::Int(1))];
            parsed("", &super::super::replay::to_json(&out), &mut want);
            let got = Row::from_output(&out, vec![("id".into(), Cell::Int(1))]);
            assert_eq!(got.cells, want, "{model:?}");
            assert!(matches!(
                got.get("latency_ns.read.mean"),
                Some(Cell::Float(_))
            ));
            assert!(matches!(
                got.get("config.device_params.lat_ns"),
                Some(Cell::Int(_))
            ));
        }
    }

    #[test]
    fn sorting_by_metric_aliases() {
        let mut rows = vec![row(0, 10, "a"), row(1, 5, "b")];
        assert_eq!(
            sort_rows(&mut rows, "device_reads").unwrap(),
            "device.reads"
        );
        assert_eq!(rows[0].get("config_id"), Some(&Cell::Int(1)));
        assert!(sort_rows(&mut rows, "bogus").is_err());
    }
}
