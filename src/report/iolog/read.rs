//! Reading an io-log back (CSV or Parquet) for the charts.

use super::COLUMNS;
use crate::stats::Dir;
use polars::prelude::*;
use std::path::Path;

/// One request of an io-log, as the charts need it. Block traces of a real disk
/// (`vpsim plot --compare`) give the same shape, with no origin and, when the trace
/// has no completions, no completion time.
#[derive(Clone, Debug, PartialEq)]
pub struct IoRow {
    pub issue_ns: u64,
    pub complete_ns: Option<u64>,
    pub dir: Dir,
    pub sync: bool,
    /// The origin's name (`demand`, `readahead`, ...); empty when unknown.
    pub origin: String,
    pub disk_offset: u64,
    pub bytes: u64,
    pub queue_depth: Option<u64>,
}

impl IoRow {
    /// A request of a real block log: no origin, not known to be sync, no queue depth.
    pub fn real(
        issue_ns: u64,
        complete_ns: Option<u64>,
        write: bool,
        disk_offset: u64,
        bytes: u64,
    ) -> IoRow {
        IoRow {
            issue_ns,
            complete_ns,
            dir: if write { Dir::Write } else { Dir::Read },
            sync: false,
            origin: String::new(),
            disk_offset,
            bytes,
            queue_depth: None,
        }
    }

    /// Completion minus issue (queue wait plus service).
    pub fn latency_ns(&self) -> Option<u64> {
        self.complete_ns.map(|c| c.saturating_sub(self.issue_ns))
    }
}

/// True when `path` is an io-log: a CSV whose header starts `id,issue_ns,complete_ns`
/// or a Parquet file with those columns.
pub fn is_io_log(path: &Path) -> bool {
    if has_ext(path, "parquet") {
        return std::fs::File::open(path)
            .ok()
            .and_then(|f| ParquetReader::new(f).schema().ok())
            .is_some_and(|s| COLUMNS[..3].iter().all(|c| s.contains(c)));
    }
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut line = String::new();
    let mut r = std::io::BufReader::new(f);
    std::io::BufRead::read_line(&mut r, &mut line).is_ok()
        && line.starts_with("id,issue_ns,complete_ns,")
}

fn has_ext(path: &Path, ext: &str) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Read the io-log at `path` (errors name the file, and for CSV the line and column).
pub fn read_io_log(path: &Path) -> Result<Vec<IoRow>, String> {
    let shown = path.display();
    if has_ext(path, "parquet") {
        return read_parquet(path).map_err(|e| format!("{shown}: {e}"));
    }
    let mut r = ::csv::ReaderBuilder::new()
        .from_path(path)
        .map_err(|e| format!("{shown}: {e}"))?;
    let header = r.headers().map_err(|e| format!("{shown}: {e}"))?.clone();
    let idx = |c: &str| {
        header
            .iter()
            .position(|h| h == c)
            .ok_or_else(|| format!("{shown}: not a vpsim --io-log file (no \"{c}\" column)"))
    };
    let [issue, complete, dir, sync, origin, disk, bytes, qd] = [
        "issue_ns",
        "complete_ns",
        "dir",
        "sync",
        "origin",
        "disk_offset",
        "bytes",
        "queue_depth",
    ]
    .map(idx);
    let (issue, complete, dir, sync, origin, disk, bytes, qd) =
        (issue?, complete?, dir?, sync?, origin?, disk?, bytes?, qd?);
    let mut rows = Vec::new();
    let mut rec = ::csv::StringRecord::new();
    loop {
        match r.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(format!("{shown}: {e}")),
        }
        let line = rec.position().map_or(0, |p| p.line());
        let field = |i: usize| rec.get(i).unwrap_or("");
        let bad = |i: usize, what: &str| {
            format!(
                "{shown}: line {line}, column {} ({}): {what}, found \"{}\"",
                i + 1,
                header.get(i).unwrap_or(""),
                field(i)
            )
        };
        let num = |i: usize| {
            field(i)
                .parse::<u64>()
                .map_err(|_| bad(i, "expected a whole number"))
        };
        let dir = match field(dir) {
            "read" => Dir::Read,
            "write" => Dir::Write,
            _ => return Err(bad(dir, "expected read or write")),
        };
        let sync = match field(sync) {
            "sync" => true,
            "async" => false,
            _ => return Err(bad(sync, "expected sync or async")),
        };
        rows.push(IoRow {
            issue_ns: num(issue)?,
            complete_ns: Some(num(complete)?),
            dir,
            sync,
            origin: field(origin).to_string(),
            disk_offset: num(disk)?,
            bytes: num(bytes)?,
            queue_depth: Some(num(qd)?),
        });
    }
    Ok(rows)
}

fn read_parquet(path: &Path) -> Result<Vec<IoRow>, String> {
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let df = ParquetReader::new(f).finish().map_err(|e| e.to_string())?;
    let col = |c: &str| {
        df.column(c)
            .map_err(|_| format!("not a vpsim --io-log file (no \"{c}\" column)"))
    };
    let u = |c: &str| -> Result<Vec<Option<u64>>, String> {
        Ok(col(c)?
            .u64()
            .map_err(|e| format!("column \"{c}\": {e}"))?
            .iter()
            .collect())
    };
    let s = |c: &str| -> Result<Vec<Option<String>>, String> {
        Ok(col(c)?
            .str()
            .map_err(|e| format!("column \"{c}\": {e}"))?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    };
    let (issue, complete, disk, bytes, qd) = (
        u("issue_ns")?,
        u("complete_ns")?,
        u("disk_offset")?,
        u("bytes")?,
        u("queue_depth")?,
    );
    let (dir, sync, origin) = (s("dir")?, s("sync")?, s("origin")?);
    let mut rows = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let need = |v: Option<u64>, c: &str| v.ok_or_else(|| format!("row {}: no \"{c}\"", i + 1));
        let dir = match dir[i].as_deref() {
            Some("read") => Dir::Read,
            Some("write") => Dir::Write,
            other => {
                return Err(format!(
                    "row {}: dir {other:?}, expected read or write",
                    i + 1
                ));
            }
        };
        rows.push(IoRow {
            issue_ns: need(issue[i], "issue_ns")?,
            complete_ns: complete[i],
            dir,
            sync: sync[i].as_deref() == Some("sync"),
            origin: origin[i].clone().unwrap_or_default(),
            disk_offset: need(disk[i], "disk_offset")?,
            bytes: need(bytes[i], "bytes")?,
            queue_depth: qd[i],
        });
    }
    Ok(rows)
}
