//! The `--io-log` file: one row per simulated device request (the device's-eye view
//! of a replay, as blkparse gives of a real disk). Written streaming by a CSV or
//! Parquet sink chosen by the file's extension; read back for `vpsim plot` and
//! `vpsim report`.
//!
//! Columns, in order ([`COLUMNS`]): `id`, `issue_ns`, `complete_ns`, `wait_ns`,
//! `service_ns`, `dir` (read/write), `sync` (sync/async), `origin`, `file`,
//! `file_offset`, `disk_offset`, `bytes`, `bios`, `queue_depth`, `event`. Rows come in
//! completion order. Empty `file_offset`: the request is not file data (an inode
//! write); empty `event`: issued after the last trace event (final sync, drain).

mod csv;
mod parquet;
mod read;

pub use read::{IoRow, is_io_log, read_io_log};

use crate::device::IoRecord;
use crate::run::IoSink;
use crate::stats::Dir;
use crate::trace::FileTable;
use std::path::Path;

/// The io-log's columns, in file order.
pub const COLUMNS: [&str; 15] = [
    "id",
    "issue_ns",
    "complete_ns",
    "wait_ns",
    "service_ns",
    "dir",
    "sync",
    "origin",
    "file",
    "file_offset",
    "disk_offset",
    "bytes",
    "bios",
    "queue_depth",
    "event",
];

pub(crate) fn dir_name(d: Dir) -> &'static str {
    match d {
        Dir::Read => "read",
        Dir::Write => "write",
    }
}

pub(crate) fn sync_name(sync: bool) -> &'static str {
    if sync { "sync" } else { "async" }
}

/// The file name of a record, empty when it has none.
pub(crate) fn file_name<'a>(r: &IoRecord, files: &'a FileTable) -> &'a str {
    match r.file {
        Some(f) if (f as usize) < files.len() => files.name(f),
        _ => "",
    }
}

/// Refuse an io-log name whose extension is not `.csv` or `.parquet` (before a run).
pub fn check_path(path: &Path) -> Result<(), String> {
    let ext = crate::report::extension(path);
    match ext.as_str() {
        "csv" | "parquet" => Ok(()),
        _ => Err(format!(
            "{}: unknown io-log format \".{ext}\": use .csv or .parquet",
            path.display()
        )),
    }
}

/// The sink for `path`: `.parquet` or `.csv` (any case; `.csv.gz` is not offered: an
/// io-log is read back by `vpsim plot`). The file appears when the run finishes.
pub fn open_sink(path: &Path) -> Result<Box<dyn IoSink>, String> {
    let ext = crate::report::extension(path);
    let shown = path.display();
    check_path(path)?;
    match ext.as_str() {
        "csv" => Ok(Box::new(
            csv::CsvSink::create(path).map_err(|e| format!("{shown}: {e}"))?,
        )),
        "parquet" => Ok(Box::new(
            parquet::ParquetSink::create(path).map_err(|e| format!("{shown}: {e}"))?,
        )),
        _ => Err(format!(
            "{shown}: unknown io-log format \".{ext}\": use .csv or .parquet"
        )),
    }
}
