//! `vpsim compare`: one trace, read once, under several configurations run in
//! parallel; the comparison printed or written in the asked form.

use super::{emit, is_results_file, write_rows};
use crate::error::{CmdError, CmdResult};
use crate::progress::with_count_bar;
use crate::report::compare::{self, Comparison, Row};
use crate::report::fit::DEFAULT_WIDTH;
use crate::run::IoSink;
use crate::run::batch::run_batch_logged;
use crate::run::config::{FAMILIES, MachineRequest, compare_configs, family_specs, parse_machine};
use crate::run::iolog::template_path;
use crate::run::{ModelKind, RunConfig, load_trace};

/// How `vpsim compare` prints its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    /// The configurations, then device I/O, pager counters and p99 latencies, one row per configuration with changes against the first in %.
    Table,
    /// {"trace", "baseline": 0, "configs": [the replay JSON object of each configuration, or {"config", "error"}]}.
    Json,
    /// config_index and the replay CSV's columns: one header line, one row per configuration.
    Csv,
}

/// What one `vpsim compare` was asked to do.
pub struct CompareJob<'a> {
    pub trace: &'a str,
    pub machine: MachineRequest<'a>,
    /// `--profile` values (empty: dragonfly only).
    pub profiles: &'a [String],
    /// `--readahead`, `--cluster` and `--sync` values, in [`FAMILIES`] order.
    pub policies: [&'a [String]; 3],
    pub final_sync: bool,
    /// Configurations at once (None: one per CPU).
    pub jobs: Option<usize>,
    pub format: CompareFormat,
    /// Write here instead of standard output (`.parquet`: a results file).
    pub output: Option<&'a str>,
    /// `--wide`: the table as wide as it needs, one line per configuration, instead
    /// of fitting [`DEFAULT_WIDTH`] columns.
    pub wide: bool,
    /// `--io-log` name template (`{config}` = config_index).
    pub io_log: Option<&'a str>,
}

/// The configurations of a job: the dragonfly rows (every combination of the
/// families' specs, the first the baseline) and one per Linux profile.
fn configs(job: &CompareJob) -> Result<Vec<RunConfig>, String> {
    let (mem, unavailable, device, knobs) = parse_machine(&job.machine)?;
    let base = RunConfig {
        model: ModelKind::Dragonfly,
        mem,
        unavailable,
        knobs,
        device,
        final_sync: job.final_sync,
        ..RunConfig::default()
    };
    let mut lists: [Vec<String>; 3] = Default::default();
    for (i, values) in job.policies.iter().enumerate() {
        lists[i] = family_specs(&base, FAMILIES[i], values)?;
    }
    let given = job.policies.iter().any(|v| !v.is_empty());
    compare_configs(&base, &lists, job.profiles, given)
}

/// Run the comparison and print or write it; returns the lines the caller shows on
/// stderr (failed configurations, then warnings) and the exit code of the rows.
pub fn compare(job: &CompareJob) -> Result<(Vec<String>, u8), CmdError> {
    let configs = configs(job).map_err(CmdError::Usage)?;
    let jobs = match job.jobs {
        Some(0) => return Err(CmdError::Usage("--jobs must be at least 1".into())),
        Some(n) => n,
        None => 0,
    };
    let many = configs.len() > 1;
    if let Some(t) = job.io_log {
        template_path(t, 0, many).map_err(CmdError::Usage)?;
        crate::report::iolog::check_path(std::path::Path::new(t))
            .map_err(|e| CmdError::Usage(format!("--io-log {e}")))?;
    }
    let trace = load_trace(job.trace)?;
    let make = |i: usize, _: &RunConfig| -> Result<Box<dyn IoSink>, String> {
        let t = job.io_log.unwrap_or_default();
        let path = template_path(t, i, many)?;
        crate::report::iolog::open_sink(std::path::Path::new(&path))
            .map_err(|e| format!("--io-log {e}"))
    };
    let factory: Option<crate::run::SinkFactory> = job.io_log.map(|_| &make as _);
    let results = with_count_bar(configs.len() as u64, "comparing", |bar| {
        run_batch_logged(&trace, &configs, jobs, factory, |_, _| bar.inc(1))
    })
    .map_err(CmdError::Usage)?;
    if crate::interrupt::requested() {
        return Err(CmdError::Interrupted("interrupted; nothing written".into()));
    }
    let cmp = Comparison {
        trace_path: trace.path.clone(),
        events: trace.events.len() as u64,
        files: trace.files.len(),
        rows: configs
            .into_iter()
            .zip(results)
            .filter_map(|(config, result)| result.map(|result| Row { config, result }))
            .collect(),
    };
    if let Some(path) = is_results_file(job.output) {
        // A results file: one row per configuration, as sweep writes them.
        write_rows(&compare::results_rows(&cmp), path)?;
        return Ok((Vec::new(), 0));
    }
    let text = match job.format {
        CompareFormat::Table => compare::to_table(&cmp, (!job.wide).then_some(DEFAULT_WIDTH)),
        CompareFormat::Json => compare::to_json_text(&cmp),
        CompareFormat::Csv => compare::to_csv(&cmp),
    };
    let written: CmdResult = emit(&text, job.output);
    written?;
    let mut lines = compare::failure_lines(&cmp);
    if job.format != CompareFormat::Table {
        lines.extend(
            compare::warnings(&cmp)
                .into_iter()
                .map(|w| format!("warning: {w}")),
        );
    }
    Ok((lines, compare::exit_code(&cmp)))
}
