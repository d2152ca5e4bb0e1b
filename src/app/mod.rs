//! The commands' flows as library functions: the binary parses its arguments into
//! these jobs, calls one, and prints what comes back. Everything a command decides
//! (which configurations, what is written where, which exit code) lives here, so it
//! is tested and reused without a process in between.

pub mod compare;
pub mod generate;
pub mod import;
pub mod merge;
pub mod record;
pub mod replay;
pub mod sweep;

use crate::error::{CmdError, CmdResult};
use std::io::Write;
use std::path::Path;

/// Write `text` to `path` atomically ([`crate::atomic`]); a failure is exit 3.
pub fn write_text(path: &str, text: &str) -> CmdResult {
    crate::atomic::write(Path::new(path), text.as_bytes())
        .map_err(|e| CmdError::Output(format!("cannot write {path}: {e}")))
}

/// Write to standard output; a failed write (a closed pipe is not one: SIGPIPE ends
/// the process quietly) is exit 3.
pub fn print_text(text: &str) -> CmdResult {
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|_| CmdError::Reported(3))
}

/// `text` to `output` when one is given, else to standard output.
pub fn emit(text: &str, output: Option<&str>) -> CmdResult {
    match output {
        Some(path) => write_text(path, text),
        None => print_text(text),
    }
}

/// Whether an output path asks for a results file (the row schema of sweep): a
/// `.parquet` name, in any case, as the results writer reads extensions.
fn is_results_file(path: Option<&str>) -> Option<&Path> {
    path.map(Path::new)
        .filter(|p| crate::report::extension(p) == "parquet")
}

/// Write results rows to `path`; a failure is exit 3.
fn write_rows(rows: &[crate::report::results::Row], path: &Path) -> CmdResult {
    crate::report::results::write_results(rows, path)
        .map_err(|e| CmdError::Output(format!("cannot write {e}")))
}

/// `vpsim plot FILE`: a `--timeline` CSV (recognised by its first column) gets the
/// timeline charts, anything else is read as a results file.
pub fn plot(path: &Path, out_dir: &Path) -> Result<Vec<std::path::PathBuf>, CmdError> {
    if crate::report::iolog::is_io_log(path) {
        return crate::report::plot::plot_io_log(path, out_dir).map_err(CmdError::Input);
    }
    let is_timeline = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.lines().next().map(|l| l.starts_with("time_s,")))
        .unwrap_or(false);
    let res = if is_timeline {
        crate::report::plot::plot_timeline(path, out_dir)
    } else {
        crate::report::plot::plot_results(path, out_dir)
    };
    res.map_err(CmdError::Input)
}

/// `vpsim plot --compare REAL SIMULATED`: a real block log (blkparse text, `perf
/// script` of the block tracepoints, or another io-log) beside a simulated io-log.
pub fn plot_compare(
    real: &Path,
    sim: &Path,
    out_dir: &Path,
) -> Result<Vec<std::path::PathBuf>, CmdError> {
    let real_rows = real_requests(real)?;
    let sim_rows = crate::report::iolog::read_io_log(sim).map_err(CmdError::Input)?;
    let name = |p: &Path| {
        p.file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let charts =
        crate::report::plot::io_compare_charts(&real_rows, &sim_rows, &name(real), &name(sim))
            .map_err(CmdError::Input)?;
    crate::report::plot::write_charts(&charts, out_dir).map_err(CmdError::Output)
}

/// The requests of a real block log, format told by its content: an io-log, `perf
/// script` output (a `block:block_rq_` event in its first lines) or blkparse text.
fn real_requests(path: &Path) -> Result<Vec<crate::report::iolog::IoRow>, CmdError> {
    use crate::import::blk::{BlkFormat, read_requests};
    if crate::report::iolog::is_io_log(path) {
        return crate::report::iolog::read_io_log(path).map_err(CmdError::Input);
    }
    let shown = path.display().to_string();
    let mut opened = crate::trace::Input::open(&shown)?;
    let input = opened.reader();
    let head = input
        .fill_buf()
        .map_err(|e| CmdError::Input(format!("{shown}: {e}")))?;
    let format = if String::from_utf8_lossy(head).contains("block:block_rq_") {
        BlkFormat::Perf
    } else {
        BlkFormat::Blkparse
    };
    let reqs = read_requests(input, &shown, format)?;
    if reqs.is_empty() {
        return Err(CmdError::Input(format!(
            "{shown}: no block requests found (expected blkparse text with D events, perf script output of block:block_rq_issue, or a vpsim --io-log)"
        )));
    }
    Ok(reqs
        .into_iter()
        .map(|r| {
            crate::report::iolog::IoRow::real(r.issue_ns, r.complete_ns, r.write, r.offset, r.bytes)
        })
        .collect())
}

/// `--mem 1M,16M,...` of `vpsim info`: memory sizes, each above 0.
pub fn mem_list(list: Option<&str>) -> Result<Vec<u64>, String> {
    let mut sizes = Vec::new();
    for s in list.iter().flat_map(|m| m.split(',')) {
        match crate::units::parse_size(s.trim()) {
            Ok(v) if v > 0 => sizes.push(v),
            Ok(_) => return Err("--mem: a memory size must be above 0".into()),
            Err(e) => return Err(format!("--mem: {e}")),
        }
    }
    Ok(sizes)
}

/// `vpsim query`: run `sql` over a results file; with `output` the result is written
/// there as a results file (and nothing is returned to print), else it comes back as
/// an aligned table or CSV text.
pub fn query(
    results: &Path,
    sql: &str,
    output: Option<&str>,
    table: bool,
) -> Result<String, CmdError> {
    use crate::report::query::{self, QueryError};
    let r = query::query(results, sql).map_err(|e| match e {
        QueryError::Sql(_) => CmdError::Usage(e.to_string()),
        QueryError::Results(_) => CmdError::Input(e.to_string()),
    })?;
    if let Some(out) = output {
        write_rows(&r.rows, Path::new(out))?;
        return Ok(String::new());
    }
    Ok(if table {
        query::to_table(&r)
    } else {
        query::to_csv(&r)
    })
}

/// `vpsim convert`: the trace `input` in the form `output`'s extension names; an
/// error on the output side is a write failure (exit 3), else the input's.
pub fn convert(input: &str, output: &str, progress: &mut dyn FnMut(u64)) -> Result<u64, CmdError> {
    crate::trace::convert(input, output, progress).map_err(|e| {
        if e.path() == output || e.path() == "<stdout>" {
            CmdError::Output(e.to_string())
        } else {
            e.into()
        }
    })
}
