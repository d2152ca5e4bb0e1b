//! `vpsim sweep`'s flow: resume from a results file, run the grid's remaining
//! configurations in parallel, rewrite the results as each completes (so an
//! interrupted sweep keeps what it finished), then sort, plot and report failures.

use crate::error::CmdError;
use crate::progress::with_count_bar;
use crate::report::fit::DEFAULT_WIDTH;
use crate::report::results::{Cell, Row, read_results, rows_table, sort_rows, write_results};
use crate::run::IoSink;
use crate::run::LoadedTrace;
use crate::run::iolog::template_path;
use crate::sweep::{Grid, Point, SweepOptions, run_points_logged, todo};
use std::path::{Path, PathBuf};

/// What one `vpsim sweep` was asked to do, flags already parsed.
pub struct SweepJob<'a> {
    pub grid: &'a Grid,
    pub trace: &'a LoadedTrace,
    /// Worker threads (0 = all cores).
    pub jobs: usize,
    pub output: Option<PathBuf>,
    /// Skip the configurations already in `output`.
    pub resume: bool,
    pub shard: Option<(usize, usize)>,
    /// The metric the printed table is sorted by.
    pub sort: &'a str,
    /// Stop after this many configurations (tests of `--resume`).
    pub limit: Option<usize>,
    /// Write the plots into this directory as well.
    pub plots: Option<PathBuf>,
    /// `--wide`: the table as wide as it needs instead of fitting [`DEFAULT_WIDTH`]
    /// columns.
    pub wide: bool,
    /// `--io-log` name template (`{config}` = config_id).
    pub io_log: Option<&'a str>,
}

/// What a sweep that ran to its end (or to Ctrl-C) has to say.
pub struct SweepReport {
    /// The results table, sorted by the job's metric.
    pub table: String,
    /// One line per failed configuration: its key and error.
    pub failures: Vec<String>,
    /// Every configuration that ran failed (exit 2).
    pub all_failed: bool,
    /// Set after Ctrl-C: what was kept and how to resume (exit 130).
    pub interrupted: Option<String>,
}

/// The rows of an earlier run of the same grid in `out`, for `--resume`.
fn resumed_rows(grid: &Grid, out: &Path) -> Result<Vec<Row>, CmdError> {
    let rows = read_results(out).map_err(|e| CmdError::Usage(format!("--resume: {e}")))?;
    let fp = Cell::Str(grid.fingerprint());
    if rows.iter().any(|r| r.get("grid") != Some(&fp)) {
        return Err(CmdError::Usage(format!(
            "--resume: {} holds results of a different grid; use another --output",
            out.display()
        )));
    }
    Ok(rows)
}

/// A row's configuration id (rows without one sort last).
pub(crate) fn config_id(r: &Row) -> i64 {
    match r.get("config_id") {
        Some(Cell::Int(i)) => *i,
        _ => i64::MAX,
    }
}

/// The printed table of `rows` (sorted already): each row labelled with its grid
/// point's dimensions as given.
fn table(job: &SweepJob, points: &[Point], rows: &[Row]) -> String {
    let by_id: std::collections::HashMap<i64, &Point> =
        points.iter().map(|p| (p.id as i64, p)).collect();
    let given: Vec<Vec<(String, String)>> = rows
        .iter()
        .map(|r| {
            by_id
                .get(&config_id(r))
                .map(|p| p.given.clone())
                .unwrap_or_default()
        })
        .collect();
    let width = (!job.wide).then_some(DEFAULT_WIDTH);
    rows_table(rows, &job.grid.dims(), &given, width)
}

/// Run the sweep; the caller prints the report.
pub fn sweep(job: &SweepJob) -> Result<SweepReport, CmdError> {
    let usage = CmdError::Usage;
    // A results name the writer cannot write is refused before anything runs.
    if let Some(out) = &job.output {
        crate::report::results::Format::of(out)
            .map_err(|e| usage(format!("--output {}: {e}", out.display())))?;
    }
    let points = job.grid.points();
    let mut rows: Vec<Row> = match &job.output {
        Some(out) if job.resume && out.exists() => resumed_rows(job.grid, out)?,
        _ => Vec::new(),
    };
    let done: Vec<usize> = rows
        .iter()
        .map(config_id)
        .filter(|&i| i != i64::MAX)
        .map(|i| i as usize)
        .collect();
    let opts = SweepOptions {
        jobs: job.jobs,
        shard: job.shard,
        done,
        limit: job.limit,
    };
    let work = todo(&points, &opts);
    let write = |rows: &mut Vec<Row>| -> Option<String> {
        rows.sort_by_key(config_id);
        job.output
            .as_ref()
            .and_then(|p| write_results(rows, p).err())
    };
    // Rows come back on this thread, which writes each as it comes (the results
    // writers use their own thread pool, which must not be entered from a busy worker).
    let mut write_err = None;
    let start = std::time::Instant::now();
    let mut replayed: u64 = 0;
    let events = job.trace.events.len() as u64;
    let many = points.len() > 1;
    if let Some(t) = job.io_log {
        template_path(t, 0, many).map_err(usage)?;
        crate::report::iolog::check_path(Path::new(t))
            .map_err(|e| usage(format!("--io-log {e}")))?;
    }
    let make = |id: usize| -> Result<Box<dyn IoSink>, String> {
        let path = template_path(job.io_log.unwrap_or_default(), id, many)?;
        crate::report::iolog::open_sink(Path::new(&path)).map_err(|e| format!("--io-log {e}"))
    };
    let factory: Option<crate::sweep::PointSinkFactory> = job.io_log.map(|_| &make as _);
    let res = with_count_bar(work.len() as u64, "sweeping", |bar| {
        run_points_logged(&work, job.grid, job.trace, job.jobs, factory, |row| {
            rows.push(row);
            // Events replayed per second, across all workers.
            replayed += events;
            let secs = start.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(", {:.2}M events/s", replayed as f64 / secs / 1e6));
            if let Some(e) = write(&mut rows) {
                write_err = Some(e);
            }
            bar.inc(1);
        })
    });
    res.map_err(|e| usage(format!("--jobs {}: {e}", job.jobs)))?;
    if let Some(e) = write_err.or_else(|| write(&mut rows)) {
        return Err(CmdError::Output(format!("cannot write results: {e}")));
    }
    if crate::interrupt::requested() {
        let kept = match &job.output {
            Some(p) => format!(
                "; they are in {} and `vpsim sweep ... --output {} --resume` runs the rest",
                p.display(),
                p.display()
            ),
            None => " (no --output: shown below only)".to_string(),
        };
        let mut shown = rows.clone();
        let table = match sort_rows(&mut shown, job.sort) {
            Ok(_) => table(job, &points, &shown),
            Err(_) => String::new(),
        };
        return Ok(SweepReport {
            table,
            failures: Vec::new(),
            all_failed: false,
            interrupted: Some(format!(
                "interrupted: {} of {} configurations finished{kept}",
                rows.len(),
                points.len()
            )),
        });
    }
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|r| match (r.get("config_key"), r.get("error")) {
            (Some(k), Some(e)) => Some(format!("{}: {}", k.text(), e.text())),
            _ => None,
        })
        .collect();
    let failed = rows.iter().filter(|r| r.get("error").is_some()).count();
    let mut shown = rows.clone();
    sort_rows(&mut shown, job.sort).map_err(|e| usage(format!("--sort: {e}")))?;
    let table = table(job, &points, &shown);
    if let Some(dir) = &job.plots {
        plots(dir, job.output.as_deref(), &rows)?;
    }
    Ok(SweepReport {
        table,
        failures,
        all_failed: !rows.is_empty() && failed == rows.len(),
        interrupted: None,
    })
}

/// `--plots DIR`: plot the results file, writing one into DIR when there is no
/// `--output`.
fn plots(dir: &Path, output: Option<&Path>, rows: &[Row]) -> Result<(), CmdError> {
    let fail = |e: String| CmdError::Output(format!("--plots {}: {e}", dir.display()));
    let results = match output {
        Some(p) => p.to_path_buf(),
        None => {
            let p = dir.join("results.parquet");
            std::fs::create_dir_all(dir)
                .map_err(|e| e.to_string())
                .and_then(|_| write_results(rows, &p))
                .map_err(fail)?;
            p
        }
    };
    crate::report::plot::plot_results(&results, dir).map_err(fail)?;
    Ok(())
}
