//! `vpsim replay`: one trace through one configuration, printed or written in the
//! asked form, with its timeline and warnings.

use super::{emit, is_results_file, write_rows, write_text};
use crate::error::{CmdError, CmdResult};
use crate::progress::EventBar;
use crate::report::replay as out;
use crate::report::results::Row;
use crate::run::config::ReplayRequest;
use crate::run::{RunConfig, run_trace_logged};

/// How `vpsim replay` prints its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReplayFormat {
    /// Counters grouped like `vmstat -s`, device I/O by origin, latency percentiles.
    Table,
    /// One JSON object: trace, config, counters, device, latency_ns, warnings.
    Json,
    /// A header of flattened JSON keys and one row of values.
    Csv,
}

/// What one `vpsim replay` was asked to do.
pub struct ReplayJob<'a> {
    pub trace: &'a str,
    pub request: ReplayRequest<'a>,
    pub format: ReplayFormat,
    /// Write here instead of standard output (`.parquet`: a results file).
    pub output: Option<&'a str>,
    /// The `--timeline` CSV.
    pub timeline: Option<&'a str>,
    /// The `--io-log` file (.csv or .parquet).
    pub io_log: Option<&'a str>,
}

/// Replay, then print or write the result; returns the warnings the caller should
/// show on stderr (the table form already holds them).
pub fn replay(job: &ReplayJob) -> Result<Vec<String>, CmdError> {
    let cfg = RunConfig::from_request(&job.request).map_err(CmdError::Usage)?;
    let mut sink = match job.io_log {
        Some(p) => Some(
            crate::report::iolog::open_sink(std::path::Path::new(p))
                .map_err(|e| CmdError::Usage(format!("--io-log {e}")))?,
        ),
        None => None,
    };
    let mut bar = EventBar::new("replaying");
    let res = run_trace_logged(
        job.trace,
        &cfg,
        sink.as_mut().map(|s| s.as_mut() as _),
        &mut |p| bar.update(p.events, p.total_events),
    );
    bar.finish();
    let run = res?;
    let text = match job.format {
        ReplayFormat::Table => out::to_table(&run),
        ReplayFormat::Json => out::to_json_text(&run),
        ReplayFormat::Csv => out::to_csv(&run),
    };
    if let Some(path) = job.timeline {
        write_text(path, &out::timeline_csv(&run.timeline))?;
    }
    let written: CmdResult = match is_results_file(job.output) {
        Some(path) => write_rows(&[Row::from_output(&run, Vec::new())], path),
        None => emit(&text, job.output),
    };
    written?;
    Ok(match job.format {
        ReplayFormat::Table => Vec::new(),
        _ => run.warnings,
    })
}
