//! The results model: one row per configuration, as a polars `DataFrame`.
//!
//! A row is the replay report flattened to `a.b.c` columns (the same names as
//! `replay --format csv`), plus whatever identifies the row in a sweep
//! (`config_id`, `config_key`, `error`). `replay`, `compare` and `sweep` all write
//! rows of this schema, so every command (plot, report, merge) reads every output.
//! Files are written by extension — `.parquet`, `.csv` or `.json` — through a
//! temporary file renamed into place, so a half-written file never looks complete.
//! Rows as JSON values are in `json.rs`; the sweep's ranking and table in `table.rs`.

mod json;
mod table;
#[cfg(test)]
mod tests;

pub use table::{rows_table, sort_rows};

use super::replay::{ReplayReport, report_cells};
use crate::run::RunOutput;
use polars::prelude::*;
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

/// Column types: integers if every non-null cell is one, floats if every one is a
/// number, text otherwise.
///
/// `hints[i]` is where to start looking in row `i`: one past the cell the previous
/// column was found at. Rows list their columns in the same order, so each lookup is
/// one comparison instead of a scan of hundreds of cells — the frame of a large
/// sweep, rewritten as it runs, stays linear in its size.
fn column(name: &str, rows: &[Row], hints: &mut [usize]) -> Column {
    let cells: Vec<Option<&Cell>> = rows
        .iter()
        .zip(hints.iter_mut())
        .map(|(r, hint)| {
            let start = (*hint).min(r.cells.len());
            let (after, before) = (&r.cells[start..], &r.cells[..start]);
            let at = after
                .iter()
                .position(|(c, _)| c == name)
                .map(|k| start + k)
                .or_else(|| before.iter().position(|(c, _)| c == name))?;
            *hint = at + 1;
            Some(&r.cells[at].1)
        })
        .collect();
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
    let mut hints = vec![0; rows.len()];
    let cols: Vec<Column> = names.iter().map(|c| column(c, rows, &mut hints)).collect();
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

/// A results file's format, by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Parquet,
    Csv,
    Json,
}

impl Format {
    /// The format `path` names (`.parquet`, `.csv`, `.json`, any case): a front end
    /// can refuse a bad `--output` before running anything.
    pub fn of(path: &Path) -> Result<Format, ResultsError> {
        let ext = crate::report::extension(path);
        match ext.as_str() {
            "parquet" => Ok(Format::Parquet),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            _ => Err(ResultsError::UnknownFormat(ext)),
        }
    }
}

/// Why a results file could not be read or written (the public functions add the
/// path to the message).
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The extension names no results format: the user's to fix.
    #[error("unknown results format \".{0}\": use .parquet, .csv or .json")]
    UnknownFormat(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Parquet or CSV, or the rows as a frame.
    #[error("{0}")]
    Frame(String),
    #[error("{0}")]
    Polars(#[from] PolarsError),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
}

/// Write `rows` to `path` by extension (.parquet, .csv or .json), atomically.
pub fn write_results(rows: &[Row], path: &Path) -> Result<(), String> {
    write(rows, path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(rows: &[Row], path: &Path) -> Result<(), ResultsError> {
    let format = Format::of(path)?;
    let (mut f, tmp) = crate::atomic::temp_beside(path)?.into_parts();
    match format {
        Format::Parquet => {
            let mut df = to_dataframe(rows).map_err(ResultsError::Frame)?;
            ParquetWriter::new(f).finish(&mut df)?;
        }
        Format::Csv => {
            let mut df = to_dataframe(rows).map_err(ResultsError::Frame)?;
            CsvWriter::new(f).include_header(true).finish(&mut df)?;
        }
        Format::Json => {
            let text = serde_json::to_string_pretty(rows)?;
            std::io::Write::write_all(&mut f, (text + "\n").as_bytes())?;
        }
    }
    Ok(crate::atomic::persist_path(tmp, path)?)
}

/// Read a results file written by any vpsim command.
pub fn read_results(path: &Path) -> Result<Vec<Row>, String> {
    read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn read(path: &Path) -> Result<Vec<Row>, ResultsError> {
    let df = match Format::of(path)? {
        Format::Parquet => ParquetReader::new(std::fs::File::open(path)?).finish()?,
        Format::Csv => CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(None)
            .try_into_reader_with_file_path(Some(path.into()))
            .and_then(|r| r.finish())?,
        Format::Json => {
            let text = std::fs::read_to_string(path)?;
            return Ok(serde_json::from_str::<json::RowsFile>(&text)?.0);
        }
    };
    from_dataframe(&df).map_err(ResultsError::Frame)
}
