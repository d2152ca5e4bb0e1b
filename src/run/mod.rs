//! Running one configuration over one trace: prescan, stream the events through the
//! chosen model, collect the statistics and the effective configuration.
//!
//! This is everything `vpsim replay` does except argument parsing and printing, so
//! tests and later commands (compare, sweep) call it directly.

pub mod batch;
pub mod config;
mod effective;
pub mod iolog;

pub use effective::{Derived, EffectiveConfig, KnobTable};
use iolog::Logger;
pub use iolog::{IoSink, SinkFactory};

use crate::device::DeviceSpec;
use crate::engine::Simulator;
use crate::model::Model;
use crate::models::{Lru, Opt};
use crate::params::{Knobs, Params};
use crate::policies::PolicySet;
use crate::stats::RunStats;
use crate::trace::{Event, FileTable, Prescan, TraceError, TraceSource, complete_sizes};

/// Which model replays the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// The DragonFly BSD VM, buffer cache and vnode pager.
    Dragonfly,
    /// Exact page-granular LRU.
    Lru,
    /// Belady's MIN (needs the whole trace in memory).
    Opt,
    /// The Linux personality (`--profile linux`): page cache, read-ahead, faults and
    /// write-back as Linux 6.x on ext4.
    Linux,
}

impl ModelKind {
    pub const ALL: [ModelKind; 4] = [
        ModelKind::Dragonfly,
        ModelKind::Lru,
        ModelKind::Opt,
        ModelKind::Linux,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Dragonfly => "dragonfly",
            ModelKind::Lru => "lru",
            ModelKind::Opt => "opt",
            ModelKind::Linux => "linux",
        }
    }

    pub fn parse(s: &str) -> Result<ModelKind, String> {
        ModelKind::ALL
            .iter()
            .copied()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown model \"{s}\"; valid models: dragonfly, lru, opt"))
    }
}

/// One configuration.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub model: ModelKind,
    /// Simulated RAM in bytes.
    pub mem: u64,
    /// RAM the file cache cannot use (wired kernel data, anonymous memory).
    pub unavailable: u64,
    pub knobs: Knobs,
    pub device: DeviceSpec,
    /// Check the engine's invariants after every event (always on in debug builds).
    pub check_invariants: bool,
    /// Flush everything at the end of the trace, tagged `final_sync`.
    pub final_sync: bool,
    /// Sample a timeline row every this many ns of simulated time.
    pub timeline_step_ns: Option<u64>,
    /// Policy specs (`name[:key=value,...]`) of the three families.
    pub readahead: String,
    pub cluster: String,
    pub sync: String,
    /// The Linux personality's settings (used by the linux model only).
    pub linux: crate::models::linux::LinuxParams,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            model: ModelKind::Dragonfly,
            mem: 1 << 30,
            unavailable: 0,
            knobs: Knobs::default(),
            device: DeviceSpec::ssd(),
            check_invariants: false,
            final_sync: false,
            timeline_step_ns: None,
            readahead: "dragonfly".into(),
            cluster: "dragonfly".into(),
            sync: "dragonfly".into(),
            linux: crate::models::linux::LinuxParams::default(),
        }
    }
}

impl RunConfig {
    /// The thresholds derived from this configuration (errors for impossible sizes),
    /// with the policies' knob keys applied.
    pub fn params(&self) -> Result<Params, String> {
        let (_, knobs) = self.policies()?;
        Params::derive(self.mem, self.unavailable, knobs)
    }

    /// The three policies, and the knobs after their keys are applied.
    pub fn policies(&self) -> Result<(PolicySet, Knobs), String> {
        let mut knobs = self.knobs.clone();
        let set = PolicySet::parse(&self.readahead, &self.cluster, &self.sync, &mut knobs)?;
        Ok((set, knobs))
    }
}

/// Why a run could not be done.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The trace is unreadable or malformed (exit code 1).
    #[error("{0}")]
    Trace(#[from] TraceError),
    /// The configuration is impossible (exit code 2).
    #[error("{0}")]
    Config(String),
    /// Ctrl-C (exit code 130): the run stopped early and has no result.
    #[error("interrupted")]
    Interrupted,
    /// The configuration could make no progress at some event (exit code 2): going on
    /// would have dropped that event's data without a word.
    #[error("{0}")]
    Stuck(String),
    /// A side output (`--io-log`) could not be written (exit code 3).
    #[error("{0}")]
    Output(String),
}

impl RunError {
    /// The process exit code for this error (README "Exit codes").
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Trace(_) => 1,
            RunError::Config(_) | RunError::Stuck(_) => 2,
            RunError::Output(_) => 3,
            RunError::Interrupted => crate::interrupt::EXIT_CODE,
        }
    }
}

/// What one run produced.
#[derive(Clone, Debug)]
pub struct RunOutput {
    pub trace_path: String,
    pub events: u64,
    pub files: usize,
    pub config: RunConfig,
    pub stats: RunStats,
    pub warnings: Vec<String>,
    /// `--timeline` rows (dragonfly model only).
    pub timeline: Vec<crate::stats::TimelineRow>,
}

/// Progress of a run, for the CLI's progress bar.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub events: u64,
    /// Expected events (from the prescan), when known.
    pub total_events: Option<u64>,
}

const PROGRESS_EVERY: u64 = 1 << 16;

/// The error for a model that stopped at an event it could make no progress on.
fn stuck_error(model: &dyn Model, files: &FileTable) -> Result<(), RunError> {
    let Some(s) = model.stuck() else {
        return Ok(());
    };
    let ev = &s.ev;
    let name = if (ev.file as usize) < files.len() {
        files.name(ev.file)
    } else {
        "?"
    };
    Err(RunError::Stuck(format!(
        "the replay cannot go on at event {} ({} by pid {} of {:?}, offset {}, length {}, time_ns {}): {}; this configuration can make no progress (give it more memory, or a cluster/sync policy that writes dirty buffers)",
        s.event,
        ev.op.name(),
        ev.pid,
        name,
        ev.offset,
        ev.length,
        ev.time_ns,
        s.reason
    )))
}

fn make_model(
    cfg: &RunConfig,
    files: &FileTable,
    events: Option<&[Event]>,
) -> Result<Box<dyn Model>, RunError> {
    Ok(match cfg.model {
        ModelKind::Dragonfly => {
            let (set, knobs) = cfg.policies().map_err(RunError::Config)?;
            let params =
                Params::derive(cfg.mem, cfg.unavailable, knobs).map_err(RunError::Config)?;
            let mut sim = Simulator::new(params, cfg.device.clone(), files);
            sim.set_policies(set);
            if cfg.check_invariants {
                sim.set_check_invariants(true);
            }
            sim.set_final_sync(cfg.final_sync);
            if let Some(step) = cfg.timeline_step_ns {
                sim.enable_timeline(step);
            }
            Box::new(sim)
        }
        ModelKind::Linux => {
            let mut m = crate::models::linux::Linux::new(
                cfg.linux.clone(),
                cfg.mem,
                cfg.unavailable,
                cfg.device.clone(),
                files,
            );
            m.set_final_sync(cfg.final_sync);
            Box::new(m)
        }
        ModelKind::Lru => Box::new(Lru::new(files, cfg.mem, cfg.device.clone())),
        ModelKind::Opt => Box::new(Opt::new(
            files,
            cfg.mem,
            cfg.device.clone(),
            events.unwrap_or(&[]),
        )),
    })
}

/// A trace parsed once and kept in memory, shared read-only by many configurations
/// (compare, sweep): the events, the file table with initial sizes, and the reader's
/// warnings.
#[derive(Clone, Debug)]
pub struct LoadedTrace {
    pub path: String,
    pub files: FileTable,
    pub events: Vec<Event>,
    pub warnings: Vec<String>,
}

/// The warning for a trace that holds no event: an all-zero report must not pass for
/// a result (`vpsim check` says the same).
fn no_events_warning(path: &str) -> String {
    let shown = if path == "-" { "<stdin>" } else { path };
    format!("{shown}: the trace has no events: nothing was replayed")
}

/// Read every event of `reader` into memory. A CSV trace read from a file gets its
/// sizes from the events themselves ([`complete_sizes`]: what a prescan would find,
/// without reading the file twice); the binary form's come from its header, and a
/// pipe's files stay unbounded as the format says.
fn read_all(
    reader: &mut TraceSource,
    path: &str,
) -> Result<(FileTable, Vec<Event>, Vec<String>), RunError> {
    let pre = match reader.known_prescan() {
        Some(p) => p,
        None if path == "-" => Prescan::unbounded_for_stdin(),
        None => Prescan {
            bounded: true,
            ..Prescan::default()
        },
    };
    let mut files = pre.files;
    let mut events = Vec::with_capacity(pre.events as usize);
    while let Some(ev) = reader.next_event(&mut files)? {
        events.push(ev);
    }
    if !reader.is_binary() && path != "-" {
        complete_sizes(&mut files, &events);
    }
    let warnings = with_reader_warnings(pre.warnings, reader);
    Ok((files, events, warnings))
}

/// Parse the whole trace at `path` into memory.
pub fn load_trace(path: &str) -> Result<LoadedTrace, RunError> {
    let mut reader = TraceSource::open(path)?;
    let (files, events, mut warnings) = read_all(&mut reader, path)?;
    if events.is_empty() {
        warnings.push(no_events_warning(path));
    }
    Ok(LoadedTrace {
        path: path.to_string(),
        files,
        events,
        warnings,
    })
}

/// Replay an in-memory trace under `cfg` (no I/O, no parsing: safe to run many of
/// these in parallel over one shared `LoadedTrace`).
pub fn run_loaded(trace: &LoadedTrace, cfg: &RunConfig) -> Result<RunOutput, RunError> {
    run_loaded_logged(trace, cfg, None)
}

/// [`run_loaded`], writing every device request to `io_log` (`--io-log`).
pub fn run_loaded_logged(
    trace: &LoadedTrace,
    cfg: &RunConfig,
    io_log: Option<&mut dyn IoSink>,
) -> Result<RunOutput, RunError> {
    if cfg.model == ModelKind::Dragonfly {
        cfg.params().map_err(RunError::Config)?;
    }
    let mut model = make_model(cfg, &trace.files, Some(&trace.events))?;
    let mut log = match io_log {
        Some(sink) => Some(Logger::start(model.as_mut(), sink)?),
        None => None,
    };
    for (i, ev) in trace.events.iter().enumerate() {
        if let Some(l) = log.as_mut() {
            l.before(model.as_mut(), i as u64 + 1);
        }
        model.step(ev);
        if let Some(l) = log.as_mut() {
            l.after(model.as_mut(), &trace.files)?;
        }
        if i % 4096 == 4095 {
            if crate::interrupt::requested() {
                return Err(RunError::Interrupted);
            }
            stuck_error(model.as_ref(), &trace.files)?;
        }
    }
    stuck_error(model.as_ref(), &trace.files)?;
    if let Some(l) = log.as_mut() {
        l.before(model.as_mut(), 0);
    }
    let stats = model.finish();
    if let Some(l) = log {
        l.end(model.as_mut(), &trace.files)?;
    }
    let timeline = model.take_timeline();
    let mut warnings = trace.warnings.clone();
    warnings.extend(stats.warnings.iter().cloned());
    Ok(RunOutput {
        trace_path: trace.path.clone(),
        events: trace.events.len() as u64,
        files: trace.files.len(),
        config: cfg.clone(),
        stats,
        warnings,
        timeline,
    })
}

/// The io-log of a run that has a sink.
fn start_log<'s>(
    model: &mut dyn Model,
    sink: Option<&'s mut dyn IoSink>,
) -> Result<Option<Logger<'s>>, RunError> {
    sink.map(|s| Logger::start(model, s)).transpose()
}

/// Step one event, counting it; every [`PROGRESS_EVERY`] events check for Ctrl-C and
/// a stuck model, and report progress. Inlined so that without an io-log its checks
/// fold away: this runs once per event.
#[inline(always)]
fn step_counted(
    model: &mut dyn Model,
    ev: &Event,
    n: &mut u64,
    total: Option<u64>,
    files: &FileTable,
    log: &mut Option<Logger<'_>>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), RunError> {
    if let Some(l) = log.as_mut() {
        l.before(model, *n + 1);
    }
    model.step(ev);
    if let Some(l) = log.as_mut() {
        l.after(model, files)?;
    }
    *n += 1;
    if n.is_multiple_of(PROGRESS_EVERY) {
        if crate::interrupt::requested() {
            return Err(RunError::Interrupted);
        }
        stuck_error(model, files)?;
        progress(Progress {
            events: *n,
            total_events: total,
        });
    }
    Ok(())
}

/// Replay the trace at `path` (`-` = stdin) under `cfg`. `progress` is called every
/// few tens of thousands of events.
///
/// A CSV trace is read once when every file's first event is an `open` that declares
/// its size — what importers and `vpsim gen` write: the sizes a prescan would find are
/// then known as each file appears (trace-format.md "File sizes"). At the first file
/// that appears without a declared size, the partial replay is dropped and the trace
/// is replayed again after a prescan, so results never depend on which way was taken.
pub fn run_trace(
    path: &str,
    cfg: &RunConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<RunOutput, RunError> {
    run_trace_logged(path, cfg, None, progress)
}

/// [`run_trace`], writing every device request to `io_log` (`--io-log`) as it
/// completes. With a log the trace is never replayed twice (rows already written
/// cannot be taken back), so a CSV without a binary header is prescanned first.
pub fn run_trace_logged(
    path: &str,
    cfg: &RunConfig,
    mut io_log: Option<&mut dyn IoSink>,
    progress: &mut dyn FnMut(Progress),
) -> Result<RunOutput, RunError> {
    if cfg.model == ModelKind::Dragonfly {
        cfg.params().map_err(RunError::Config)?;
    }
    let mut reader = TraceSource::open(path)?;
    if cfg.model == ModelKind::Opt {
        // MIN needs the future: the whole trace is read first.
        let (files, events, warnings) = read_all(&mut reader, path)?;
        let total = Some(events.len() as u64);
        let mut model = make_model(cfg, &files, Some(&events))?;
        let mut log = start_log(model.as_mut(), io_log.take())?;
        let mut n: u64 = 0;
        for ev in &events {
            step_counted(
                model.as_mut(),
                ev,
                &mut n,
                total,
                &files,
                &mut log,
                progress,
            )?;
        }
        return finish_run(path, cfg, model, log, &files, n, warnings);
    }
    if reader.known_prescan().is_none() && path != "-" && io_log.is_none() {
        let mut files = FileTable::new();
        let mut model = make_model(cfg, &files, None)?;
        let mut n: u64 = 0;
        // A named pipe (`<(zstdcat t.csv.zst)`) cannot be read twice: its undeclared
        // files are unbounded, as for stdin.
        let rereadable = std::fs::metadata(path).is_ok_and(|m| m.is_file());
        let mut declared = true;
        let mut unbounded = false;
        let mut total = None;
        loop {
            let known = files.len();
            let Some(ev) = reader.next_event(&mut files)? else {
                break;
            };
            if !unbounded && files.len() > known && !files.declared(ev.file) {
                // The file's first event does not declare its size.
                if rereadable {
                    declared = false;
                    break;
                }
                unbounded = true;
            }
            if n % PROGRESS_EVERY == PROGRESS_EVERY - 1 {
                // No prescan counted the events: estimate them from the bytes read.
                total = reader.expected_events(n + 1);
            }
            step_counted(
                model.as_mut(),
                &ev,
                &mut n,
                total,
                &files,
                &mut None,
                progress,
            )?;
        }
        if declared {
            let pipe = unbounded.then(|| Prescan::pipe_warning(path));
            let warnings = with_reader_warnings(pipe.into_iter().collect(), &reader);
            return finish_run(path, cfg, model, None, &files, n, warnings);
        }
        reader = TraceSource::open(path)?;
    }
    let pre = reader.prescan(path)?;
    let total = pre.bounded.then_some(pre.events);
    let mut files = pre.files.clone();
    let mut n: u64 = 0;
    let mut model = make_model(cfg, &files, None)?;
    let mut log = start_log(model.as_mut(), io_log.take())?;
    while let Some(ev) = reader.next_event(&mut files)? {
        step_counted(
            model.as_mut(),
            &ev,
            &mut n,
            total,
            &files,
            &mut log,
            progress,
        )?;
    }
    let warnings = with_reader_warnings(pre.warnings, &reader);
    finish_run(path, cfg, model, log, &files, n, warnings)
}

/// `warnings` followed by the reader's that are not already among them (a prescan's
/// reader warns the same as the replay's).
fn with_reader_warnings(mut warnings: Vec<String>, reader: &TraceSource) -> Vec<String> {
    for w in reader.warnings() {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
    warnings
}

/// The output of a replay of `n` events whose reader warned `warnings`; the io-log,
/// if any, gets the requests the end of the run completes.
fn finish_run(
    path: &str,
    cfg: &RunConfig,
    mut model: Box<dyn Model>,
    mut log: Option<Logger<'_>>,
    files: &FileTable,
    n: u64,
    mut warnings: Vec<String>,
) -> Result<RunOutput, RunError> {
    stuck_error(model.as_ref(), files)?;
    if let Some(l) = log.as_mut() {
        l.before(model.as_mut(), 0);
    }
    let stats = model.finish();
    if let Some(l) = log {
        l.end(model.as_mut(), files)?;
    }
    let timeline = model.take_timeline();
    if n == 0 {
        warnings.push(no_events_warning(path));
    }
    warnings.extend(stats.warnings.iter().cloned());
    Ok(RunOutput {
        trace_path: path.to_string(),
        events: n,
        files: files.len(),
        config: cfg.clone(),
        stats,
        warnings,
        timeline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Stuck;
    use crate::trace::{Event, Flags, Op};

    /// A model stuck at its second event.
    struct StuckAt(Stuck);

    impl Model for StuckAt {
        fn step(&mut self, _: &Event) {}
        fn finish(&mut self) -> RunStats {
            RunStats::default()
        }
        fn stuck(&self) -> Option<&Stuck> {
            Some(&self.0)
        }
    }

    /// The error names the event (number, op, pid, file, offset, length, time), the
    /// reason and what to do, and exits 2 like any impossible configuration.
    #[test]
    fn a_stuck_model_is_an_error_naming_the_event() {
        let mut files = FileTable::new();
        let f = files.intern("db/data.0");
        let ev = Event {
            time_ns: 5000,
            offset: 65536,
            length: 4096,
            file: f,
            pid: 7,
            op: Op::Write,
            flags: Flags::NONE,
            has_offset: true,
            has_length: true,
        };
        let m = StuckAt(Stuck {
            event: 2,
            ev,
            reason: "no buffer header".into(),
        });
        let e = stuck_error(&m, &files).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            "the replay cannot go on at event 2 (write by pid 7 of \"db/data.0\", offset 65536, length 4096, time_ns 5000): no buffer header; this configuration can make no progress (give it more memory, or a cluster/sync policy that writes dirty buffers)"
        );
    }
}
