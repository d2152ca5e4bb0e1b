//! The `vpsim` command line: parse arguments, call the library, print.

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use vpsim::engine::device::DeviceSpec;
use vpsim::engine::params::{KNOBS, Knobs};
use vpsim::report::replay as out;
use vpsim::run::{ModelKind, Progress, RunConfig, run_trace};
use vpsim::units::{parse_duration_ns, parse_size};

/// Trace-driven simulator of the DragonFly BSD vnode pager, VM and buffer cache.
///
/// vpsim replays recorded file I/O traces (read, write, mmap faults, fsync, msync,
/// truncate, unlink ...) through a faithful model of DragonFly's sys/vm/vnode_pager.c
/// and the VM and buffer cache around it, and reports what the kernel did: pager calls
/// (v_vnodein, v_vnodepgsin ...), faults, buffer-cache and pageout activity, device I/O
/// by origin, and per-op latency.
#[derive(Parser, Debug)]
#[command(name = "vpsim", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Replay a trace through a model and print what happened.
    ///
    /// Example: vpsim replay traces/pyio.events.csv.zst --mem 256M --device hdd --set vfs.max_readahead=0 --format json
    Replay(ReplayArgs),
    /// Validate a trace: list every bad line (up to --max-errors) and summarise it.
    ///
    /// Exits 0 when every line is good, 1 otherwise. Example: vpsim check traces/mixed.csv
    Check {
        /// Trace file (.csv, .csv.gz, .csv.zst) or - for standard input.
        trace: String,
        /// Stop listing bad lines after this many (all are still counted).
        #[arg(long, default_value_t = 50)]
        max_errors: usize,
    },
    /// List the --set knobs with their defaults and meaning.
    ///
    /// Example: vpsim knobs
    Knobs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    /// Counters grouped like `vmstat -s`, device I/O by origin, latency percentiles.
    Table,
    /// One JSON object: trace, config, counters, device, latency_ns, warnings.
    Json,
    /// A header of flattened JSON keys and one row of values.
    Csv,
}

#[derive(clap::Args, Debug)]
struct ReplayArgs {
    /// Trace file (.csv, .csv.gz, .csv.zst; compression is also detected by content) or - for standard input.
    trace: String,
    /// Model: dragonfly (the kernel), lru (exact page LRU) or opt (Belady's MIN).
    #[arg(long, default_value = "dragonfly")]
    model: String,
    /// Simulated RAM (bytes, or with K/M/G/T suffix, powers of 1024). Sets every §4 threshold.
    #[arg(long, default_value = "1G")]
    mem: String,
    /// RAM the file cache cannot use (kernel data, anonymous memory), e.g. 512M.
    #[arg(long, default_value = "0")]
    unavailable: String,
    /// Device: nvme, ssd or hdd, with overrides, e.g. ssd:lat=80us,bw=2GB/s or hdd:seek=8ms,sched=fifo.
    #[arg(long, default_value = "ssd")]
    device: String,
    /// Set a kernel knob, e.g. --set vfs.max_readahead=0 --set f_iosize=4096 (repeatable; see `vpsim knobs`).
    #[arg(long = "set", value_name = "KNOB=VALUE")]
    set: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the output to FILE instead of standard output (written atomically).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<String>,
    /// Check page conservation, buffer accounting and "no data lost" after every event (slower).
    #[arg(long)]
    check_invariants: bool,
    /// At the end of the trace flush everything as sync(2) would, reported as device origin final_sync.
    #[arg(long)]
    final_sync: bool,
    /// Write a CSV with one row per simulated interval: page queues, dirty pages, dirty and running buffer space, device queue depth and I/O.
    #[arg(long, value_name = "FILE.csv")]
    timeline: Option<String>,
    /// Interval of --timeline rows (e.g. 100ms, 1s, 10s).
    #[arg(long, default_value = "1s", value_name = "DURATION")]
    timeline_step: String,
}

fn parse_config(a: &ReplayArgs) -> Result<RunConfig, String> {
    let model = ModelKind::parse(&a.model)?;
    let mem = parse_size(&a.mem).map_err(|e| format!("--mem: {e}"))?;
    let unavailable = parse_size(&a.unavailable).map_err(|e| format!("--unavailable: {e}"))?;
    let device: DeviceSpec = a.device.parse().map_err(|e| format!("--device: {e}"))?;
    let mut knobs = Knobs::default();
    for s in &a.set {
        knobs.set(s)?;
    }
    if model != ModelKind::Dragonfly && unavailable > 0 {
        return Err(format!(
            "--unavailable applies to the dragonfly model only (the {} model's capacity is --mem / 4096 pages)",
            model.name()
        ));
    }
    if model != ModelKind::Dragonfly && !a.set.is_empty() {
        return Err(format!(
            "--set applies to the dragonfly model only (the {} model has no kernel knobs)",
            model.name()
        ));
    }
    let step = parse_duration_ns(&a.timeline_step).map_err(|e| format!("--timeline-step: {e}"))?;
    if step == 0 {
        return Err("--timeline-step must be greater than zero".into());
    }
    if model != ModelKind::Dragonfly && (a.final_sync || a.timeline.is_some()) {
        return Err(format!(
            "--final-sync and --timeline apply to the dragonfly model only, not {}",
            model.name()
        ));
    }
    Ok(RunConfig {
        model,
        mem,
        unavailable,
        knobs,
        device,
        check_invariants: a.check_invariants,
        final_sync: a.final_sync,
        timeline_step_ns: a.timeline.as_ref().map(|_| step),
    })
}

/// Write `text` to `path` through a temporary file renamed into place, so an
/// interrupted run never leaves a half-written result.
fn write_atomic(path: &str, text: &str) -> std::io::Result<()> {
    let tmp = format!("{path}.tmp.{}", std::process::id());
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// A progress bar that appears only after a second, and only on a terminal.
struct Bar {
    bar: ProgressBar,
    start: Instant,
    shown: bool,
    tty: bool,
}

impl Bar {
    fn new() -> Bar {
        Bar {
            bar: ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()),
            start: Instant::now(),
            shown: false,
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn update(&mut self, p: Progress) {
        if !self.tty {
            return;
        }
        if !self.shown && self.start.elapsed() > Duration::from_secs(1) {
            self.shown = true;
            if let Some(t) = p.total_events {
                self.bar.set_length(t);
            }
            let style = ProgressStyle::with_template(
                "{spinner} replaying [{bar:40}] {human_pos}/{human_len} events, {per_sec}, eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            self.bar.set_style(style);
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.bar.set_position(p.events);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn cmd_replay(a: &ReplayArgs) -> ExitCode {
    let cfg = match parse_config(a) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vpsim replay: {e}");
            return ExitCode::from(2);
        }
    };
    let mut bar = Bar::new();
    let res = run_trace(&a.trace, &cfg, &mut |p| bar.update(p));
    bar.finish();
    let run = match res {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vpsim replay: {e}");
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    let text = match a.format {
        Format::Table => out::to_table(&run),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&out::to_json(&run)).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Csv => out::to_csv(&run),
    };
    if let Some(path) = &a.timeline {
        let mut csv = String::from(vpsim::engine::timeline::TimelineRow::HEADER);
        csv.push('\n');
        for r in &run.timeline {
            csv.push_str(&r.to_csv());
            csv.push('\n');
        }
        if let Err(e) = write_atomic(path, &csv) {
            eprintln!("vpsim replay: cannot write {path}: {e}");
            return ExitCode::from(3);
        }
    }
    if let Some(path) = &a.output {
        if let Err(e) = write_atomic(path, &text) {
            eprintln!("vpsim replay: cannot write {path}: {e}");
            return ExitCode::from(3);
        }
    } else {
        let mut so = std::io::stdout().lock();
        if so.write_all(text.as_bytes()).is_err() {
            return ExitCode::from(3);
        }
    }
    if a.format != Format::Table {
        for w in &run.warnings {
            eprintln!("vpsim replay: warning: {w}");
        }
    }
    ExitCode::SUCCESS
}

fn cmd_check(trace: &str, max_errors: usize) -> ExitCode {
    match vpsim::trace::check(trace, max_errors) {
        Ok(report) => {
            print!("{report}");
            if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("vpsim check: {e}");
            ExitCode::from(1)
        }
    }
}

fn cmd_knobs() -> ExitCode {
    let defaults = Knobs::default();
    let entries = defaults.entries();
    println!("{:<20} {:>8}  meaning", "knob", "default");
    for (k, (_, v)) in KNOBS.iter().zip(entries) {
        println!("{:<20} {:>8}  {}", k.name, v, k.help);
    }
    ExitCode::SUCCESS
}

impl PartialEq for Format {
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.cmd {
        Cmd::Replay(a) => cmd_replay(a),
        Cmd::Check { trace, max_errors } => cmd_check(trace, *max_errors),
        Cmd::Knobs => cmd_knobs(),
    }
}
