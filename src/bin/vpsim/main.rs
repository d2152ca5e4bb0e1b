//! The `vpsim` command line: parse arguments, call the library, print.

mod gen_cmd;
mod import_cmd;
mod query_cmd;
mod sweep_cmd;
mod trace_cmd;

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};
use vpsim::error::{CmdError, CmdResult};
use vpsim::params::{KNOBS, Knobs};
use vpsim::policies::PolicyInfo;
use vpsim::report::compare::{self, Comparison, Row};
use vpsim::report::replay as out;
use vpsim::run::batch::run_batch;
use vpsim::run::config::{
    FAMILIES, MachineRequest, ReplayRequest, compare_configs, family_specs, parse_machine,
};
use vpsim::run::{ModelKind, Progress, RunConfig, load_trace, run_trace};

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
    /// Replay one trace under several policy configurations and compare them.
    ///
    /// Every combination of the --readahead, --cluster and --sync specs is replayed
    /// (read-ahead outermost, then clustering, then sync; the first combination is the
    /// baseline) on the dragonfly model with the same memory, device and knobs. The trace
    /// is read once; configurations run in parallel (--jobs). The table shows device
    /// I/O, pager counters, read-ahead accuracy and p99 latencies with each number's
    /// change against the baseline in %.
    ///
    /// Example: vpsim compare traces/pyio.events.csv.zst --readahead none,linux,dragonfly --readahead fixed:pages=16 --sync dragonfly,linux --mem 256M
    Compare(CompareArgs),
    /// Validate a trace: list every bad line (up to --max-errors) and summarise it.
    ///
    /// Exits 0 when every line is good, 1 otherwise. Example: vpsim check traces/mixed.csv
    Check {
        /// Trace file: CSV (.csv, .csv.gz, .csv.zst) or the binary form (.vpt), or - for standard input.
        trace: String,
        /// Stop listing bad lines after this many (all are still counted).
        #[arg(long, default_value_t = 50)]
        max_errors: usize,
    },
    /// Sweep a grid of configurations (the cartesian product of every listed dimension)
    /// over one trace, in parallel, writing results as they complete.
    ///
    /// Example: vpsim sweep traces/pyio.events.csv.zst --mem 64M,256M,1G --readahead none,linux,dragonfly --set-grid vfs.write_behind=0,1 --output results.parquet --plots plots/
    Sweep(sweep_cmd::SweepArgs),
    /// Merge the results of `sweep --shard I/N` runs into one file.
    ///
    /// Example: vpsim merge all.parquet part1.parquet part2.parquet
    Merge(sweep_cmd::MergeArgs),
    /// Plot a results file (sweep/compare/replay output) or a --timeline CSV as PNG and SVG.
    ///
    /// Example: vpsim plot results.parquet --out plots/
    Plot(sweep_cmd::PlotArgs),
    /// Write a self-contained HTML report (tables and inline SVG plots) of a results file.
    ///
    /// Example: vpsim report results.parquet --out reports/pyio.html
    Report(sweep_cmd::ReportArgs),
    /// Run SQL over a results file (the table is `results`; quote dotted columns).
    ///
    /// Example: vpsim query results.parquet 'SELECT "config.mem_h", MIN("device.reads") FROM results GROUP BY 1'
    Query(query_cmd::QueryArgs),
    /// Convert another tool's log or trace (strace, fio, block traces) into a trace.
    ///
    /// Example: vpsim import strace app.strace -o app.csv.zst && vpsim replay app.csv.zst
    #[command(subcommand)]
    Import(import_cmd::ImportCmd),
    /// Generate a deterministic synthetic trace (same seed, same trace).
    ///
    /// Example: vpsim gen zipf:alpha=1.1 --events 1000000 --size 1G --seed 7 -o zipf.vpt
    Gen(gen_cmd::GenArgs),
    /// Convert a trace between the CSV and binary (.vpt) forms, losslessly.
    ///
    /// The binary form loads through a memory map without parsing: convert a trace you
    /// replay many times. Every command reads either form (recognised by its magic).
    ///
    /// Example: vpsim convert traces/pyio.events.csv.zst pyio.vpt
    Convert(trace_cmd::ConvertArgs),
    /// Summarise a trace on one screen: ops, files, bytes, footprint, time span,
    /// sequentiality, the largest files and the LRU miss-ratio curve.
    ///
    /// Example: vpsim info traces/git.events.csv.zst --mem 1M,16M,256M
    Info(trace_cmd::InfoArgs),
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

/// The simulated machine, shared by `replay` and `compare`.
#[derive(clap::Args, Debug)]
struct MachineArgs {
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
}

/// One policy family as the command line presents it: its flag, what it decides, the
/// registry its help is built from (so a new policy shows up without touching the
/// CLI) and an example spec.
struct Family {
    flag: &'static str,
    what: &'static str,
    all: fn() -> Vec<&'static PolicyInfo>,
    example: &'static str,
}

const READAHEAD: Family = Family {
    flag: "readahead",
    what: "Read-ahead policy: how much to read when a read or a pagein misses",
    all: vpsim::policies::readahead::infos,
    example: "fixed:pages=16",
};
const CLUSTER: Family = Family {
    flag: "cluster",
    what: "Write clustering policy: how dirty blocks and pages are merged into device writes",
    all: vpsim::policies::cluster::infos,
    example: "contiguous:max=16",
};
const SYNC: Family = Family {
    flag: "sync",
    what: "Sync policy: when dirty data is written back",
    all: vpsim::policies::sync::infos,
    example: "linux:background=5,ratio=10",
};

/// `-h` text of a policy flag: the spec syntax, the policy names and an example.
/// `many` adds how `compare` takes several specs.
fn policy_help(f: &Family, many: bool) -> String {
    let names: Vec<&str> = (f.all)().iter().map(|p| p.name).collect();
    let mut s = format!(
        "{} (dragonfly model only). SPEC is name[:key=value,...]; names: {} (default dragonfly). Example: --{} {}",
        f.what,
        names.join(", "),
        f.flag,
        f.example
    );
    if many {
        s.push_str(&format!(
            ". Repeatable, and a comma list without ':' gives several (--{} {}); a value with ':' is one spec",
            f.flag,
            names.iter().take(3).copied().collect::<Vec<_>>().join(",")
        ));
    }
    s
}

/// `--help` text of a policy flag: the short help, then every policy with what it does
/// and one line per key with its default and meaning.
fn policy_long_help(f: &Family, many: bool) -> String {
    let mut s = policy_help(f, many);
    s.push_str(".\n\nPolicies:");
    for p in (f.all)() {
        s.push_str(&format!("\n  {}: {}", p.name, p.help));
        for (k, d, m) in p.keys {
            s.push_str(&format!("\n      {k}={d}  {m}"));
        }
    }
    s
}

#[derive(clap::Args, Debug)]
struct ReplayArgs {
    /// Trace file: CSV (.csv, .csv.gz, .csv.zst; compression is also detected by content) or the binary form (.vpt), or - for standard input.
    trace: String,
    /// Model: dragonfly (the kernel), lru (exact page LRU) or opt (Belady's MIN).
    #[arg(long, default_value = "dragonfly")]
    model: String,
    /// Personality: dragonfly (the default: DragonFly's VM, buffer cache and vnode pager) or linux[:key=value,...] (Linux 6.x page cache on ext4; keys read_ahead_kb=128, max_sectors_kb=1280, fault_around_kb=64, dirty_background_ratio=10, dirty_ratio=20, dirty_expire=30s, dirty_writeback=5s, large_folios=1), e.g. --profile linux:read_ahead_kb=8192,max_sectors_kb=4096
    #[arg(long, default_value = "dragonfly", value_name = "SPEC")]
    profile: String,
    #[command(flatten)]
    machine: MachineArgs,
    #[arg(long, value_name = "SPEC", help = policy_help(&READAHEAD, false), long_help = policy_long_help(&READAHEAD, false))]
    readahead: Option<String>,
    #[arg(long, value_name = "SPEC", help = policy_help(&CLUSTER, false), long_help = policy_long_help(&CLUSTER, false))]
    cluster: Option<String>,
    #[arg(long, value_name = "SPEC", help = policy_help(&SYNC, false), long_help = policy_long_help(&SYNC, false))]
    sync: Option<String>,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum CompareFormat {
    /// The configurations, then device I/O, pager counters and p99 latencies, one row per configuration with changes against the first in %.
    Table,
    /// {"trace", "baseline": 0, "configs": [the replay JSON object of each configuration, or {"config", "error"}]}.
    Json,
    /// config_index and the replay CSV's columns: one header line, one row per configuration.
    Csv,
}

#[derive(clap::Args, Debug)]
struct CompareArgs {
    /// Trace file: CSV (.csv, .csv.gz, .csv.zst; compression is also detected by content) or the binary form (.vpt), or - for standard input. Read once.
    trace: String,
    /// Personality, repeatable: dragonfly (its rows are every combination of --readahead, --cluster and --sync) and/or linux[:key=value,...] (one row each), e.g. --profile dragonfly --profile linux --profile linux:read_ahead_kb=8192. Default: dragonfly only.
    #[arg(long, value_name = "SPEC")]
    profile: Vec<String>,
    #[arg(long, value_name = "SPEC", help = policy_help(&READAHEAD, true), long_help = policy_long_help(&READAHEAD, true))]
    readahead: Vec<String>,
    #[arg(long, value_name = "SPEC", help = policy_help(&CLUSTER, true), long_help = policy_long_help(&CLUSTER, true))]
    cluster: Vec<String>,
    #[arg(long, value_name = "SPEC", help = policy_help(&SYNC, true), long_help = policy_long_help(&SYNC, true))]
    sync: Vec<String>,
    #[command(flatten)]
    machine: MachineArgs,
    /// At the end of the trace flush everything as sync(2) would (origin final_sync), so bytes written compare across policies.
    #[arg(long)]
    final_sync: bool,
    /// Configurations replayed at the same time (default: the number of CPUs). The output does not depend on it.
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    format: CompareFormat,
    /// Write the output to FILE instead of standard output (written atomically).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<String>,
}

/// The machine every configuration shares: memory, device and `--set` knobs.
/// Write `text` to `path` atomically ([`vpsim::atomic`]).
fn write_atomic(path: &str, text: &str) -> CmdResult {
    vpsim::atomic::write(std::path::Path::new(path), text.as_bytes())
        .map_err(|e| CmdError::Output(format!("cannot write {path}: {e}")))
}

/// A progress bar that appears only after a second, and only on a terminal.
struct Bar {
    bar: ProgressBar,
    start: Instant,
    shown: bool,
    tty: bool,
    verb: &'static str,
}

impl Bar {
    fn new() -> Bar {
        Bar::doing("replaying")
    }

    /// A bar whose label says what is being done to the events.
    fn doing(verb: &'static str) -> Bar {
        Bar {
            bar: ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()),
            start: Instant::now(),
            shown: false,
            tty: std::io::stderr().is_terminal(),
            verb,
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
            let style = ProgressStyle::with_template(&format!(
                "{{spinner}} {} [{{bar:40}}] {{human_pos}}/{{human_len}} events, {{per_sec}}, eta {{eta}}",
                self.verb
            ))
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

impl MachineArgs {
    fn request(&self) -> MachineRequest<'_> {
        MachineRequest {
            mem: &self.mem,
            unavailable: &self.unavailable,
            device: &self.device,
            set: &self.set,
        }
    }
}

fn cmd_replay(a: &ReplayArgs) -> CmdResult {
    let req = ReplayRequest {
        model: &a.model,
        profile: &a.profile,
        machine: a.machine.request(),
        readahead: a.readahead.as_deref(),
        cluster: a.cluster.as_deref(),
        sync: a.sync.as_deref(),
        check_invariants: a.check_invariants,
        final_sync: a.final_sync,
        timeline: a.timeline.is_some(),
        timeline_step: &a.timeline_step,
    };
    let cfg = RunConfig::from_request(&req).map_err(CmdError::Usage)?;
    let mut bar = Bar::new();
    let res = run_trace(&a.trace, &cfg, &mut |p| bar.update(p));
    bar.finish();
    let run = res?;
    let text = match a.format {
        Format::Table => out::to_table(&run),
        Format::Json => out::to_json_text(&run),
        Format::Csv => out::to_csv(&run),
    };
    if let Some(path) = &a.timeline {
        write_atomic(path, &out::timeline_csv(&run.timeline))?;
    }
    if let Some(path) = a.output.as_ref().filter(|p| p.ends_with(".parquet")) {
        // A results file: the same row schema as sweep and compare.
        let row = vpsim::report::results::Row::from_output(&run, Vec::new());
        vpsim::report::results::write_results(&[row], std::path::Path::new(path))
            .map_err(|e| CmdError::Output(format!("cannot write {e}")))?;
    } else if let Some(path) = &a.output {
        write_atomic(path, &text)?;
    } else {
        print_out(&text)?;
    }
    if a.format != Format::Table {
        for w in &run.warnings {
            eprintln!("vpsim replay: warning: {w}");
        }
    }
    Ok(())
}

/// Write to standard output; a failed write (a closed pipe is not one: SIGPIPE ends
/// the process quietly) is exit 3.
fn print_out(text: &str) -> CmdResult {
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|_| CmdError::Reported(3))
}

/// Run `work` with a progress bar of `total` configurations on stderr. The bar appears
/// only on a terminal and only once the work has taken a second (a helper thread waits
/// for that, so a comparison of a few slow configurations still shows it before the
/// first one finishes); `work` ticks it with `inc(1)` from any thread.
fn with_count_bar<T>(total: u64, what: &str, work: impl FnOnce(&ProgressBar) -> T) -> T {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    let tty = std::io::stderr().is_terminal();
    let (done_tx, done_rx) = channel::<()>();
    let res = std::thread::scope(|scope| {
        if tty {
            let b = bar.clone();
            scope.spawn(move || {
                // Disconnected (the work ended) within the second: never show the bar.
                if let Err(RecvTimeoutError::Timeout) = done_rx.recv_timeout(Duration::from_secs(1))
                {
                    let style = ProgressStyle::with_template(&format!(
                        "{{spinner}} {what} [{{bar:30}}] {{pos}}/{{len}} configs{{msg}}, {{elapsed}}, eta {{eta}}"
                    ))
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
                    b.set_style(style);
                    b.set_draw_target(ProgressDrawTarget::stderr());
                    b.enable_steady_tick(Duration::from_millis(200));
                }
            });
        }
        let r = work(&bar);
        drop(done_tx);
        r
    });
    bar.finish_and_clear();
    res
}

fn cmd_compare(a: &CompareArgs) -> CmdResult {
    let (mem, unavailable, device, knobs) =
        parse_machine(&a.machine.request()).map_err(CmdError::Usage)?;
    let base = RunConfig {
        model: ModelKind::Dragonfly,
        mem,
        unavailable,
        knobs,
        device,
        final_sync: a.final_sync,
        ..RunConfig::default()
    };
    let mut lists: [Vec<String>; 3] = Default::default();
    for (i, values) in [&a.readahead, &a.cluster, &a.sync].into_iter().enumerate() {
        lists[i] = family_specs(&base, FAMILIES[i], values).map_err(CmdError::Usage)?;
    }
    let policies_given = !(a.readahead.is_empty() && a.cluster.is_empty() && a.sync.is_empty());
    let configs =
        compare_configs(&base, &lists, &a.profile, policies_given).map_err(CmdError::Usage)?;
    let jobs = match a.jobs {
        Some(0) => return Err(CmdError::Usage("--jobs must be at least 1".into())),
        Some(n) => n,
        None => 0,
    };
    let trace = load_trace(&a.trace)?;
    let results = with_count_bar(configs.len() as u64, "comparing", |bar| {
        run_batch(&trace, &configs, jobs, |_, _| bar.inc(1))
    })
    .map_err(CmdError::Usage)?;
    if vpsim::interrupt::requested() {
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
    let text = match a.format {
        CompareFormat::Table => compare::to_table(&cmp),
        CompareFormat::Json => compare::to_json_text(&cmp),
        CompareFormat::Csv => compare::to_csv(&cmp),
    };
    if let Some(path) = a.output.as_ref().filter(|p| p.ends_with(".parquet")) {
        // A results file: one row per configuration, as sweep writes them.
        vpsim::report::results::write_results(
            &compare::results_rows(&cmp),
            std::path::Path::new(path),
        )
        .map_err(|e| CmdError::Output(format!("cannot write {e}")))?;
        return Ok(());
    }
    match &a.output {
        Some(path) => write_atomic(path, &text)?,
        None => print_out(&text)?,
    }
    for line in compare::failure_lines(&cmp) {
        eprintln!("vpsim compare: {line}");
    }
    if a.format != CompareFormat::Table {
        for w in compare::warnings(&cmp) {
            eprintln!("vpsim compare: warning: {w}");
        }
    }
    match compare::exit_code(&cmp) {
        0 => Ok(()),
        c => Err(CmdError::Reported(c)),
    }
}

fn cmd_check(trace: &str, max_errors: usize) -> CmdResult {
    let report = vpsim::trace::check(trace, max_errors)?;
    print!("{report}");
    if report.is_ok() {
        Ok(())
    } else {
        Err(CmdError::Reported(1))
    }
}

fn cmd_knobs() -> CmdResult {
    let defaults = Knobs::default();
    let entries = defaults.entries();
    println!("{:<20} {:>8}  meaning", "knob", "default");
    for (k, (_, v)) in KNOBS.iter().zip(entries) {
        println!("{:<20} {:>8}  {}", k.name, v, k.help);
    }
    Ok(())
}

impl PartialEq for Format {
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

fn main() -> ExitCode {
    // `vpsim gen ... | head` and `vpsim check ... | less` then quit: end quietly the way
    // Unix tools do on a closed pipe, instead of a write error or a print panic.
    // SAFETY: called first thing, before any other thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    // Commands whose loops poll the Ctrl-C flag stop cleanly (outputs abandoned or, for
    // a sweep, finished rows kept) and exit 130; the others keep the default action.
    let polls = !matches!(
        cli.cmd,
        Cmd::Knobs | Cmd::Merge(_) | Cmd::Plot(_) | Cmd::Report(_) | Cmd::Query(_)
    );
    if polls {
        vpsim::interrupt::install_handler();
    }
    let (name, res) = match &cli.cmd {
        Cmd::Replay(a) => ("replay".to_string(), cmd_replay(a)),
        Cmd::Compare(a) => ("compare".into(), cmd_compare(a)),
        Cmd::Check { trace, max_errors } => ("check".into(), cmd_check(trace, *max_errors)),
        Cmd::Knobs => ("knobs".into(), cmd_knobs()),
        Cmd::Import(c) => (format!("import {}", c.name()), import_cmd::cmd_import(c)),
        Cmd::Gen(a) => ("gen".into(), gen_cmd::cmd_gen(a)),
        Cmd::Convert(a) => ("convert".into(), trace_cmd::cmd_convert(a)),
        Cmd::Info(a) => ("info".into(), trace_cmd::cmd_info(a)),
        Cmd::Sweep(a) => ("sweep".into(), sweep_cmd::cmd_sweep(a)),
        Cmd::Merge(a) => ("merge".into(), sweep_cmd::cmd_merge(a)),
        Cmd::Plot(a) => ("plot".into(), sweep_cmd::cmd_plot(a)),
        Cmd::Query(a) => ("query".into(), query_cmd::cmd_query(a)),
        Cmd::Report(a) => ("report".into(), sweep_cmd::cmd_report(a)),
    };
    // The one place a command's error becomes its message and exit code.
    let code = match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.has_message() {
                eprintln!("vpsim {name}: {e}");
            }
            ExitCode::from(e.exit_code())
        }
    };
    if polls && vpsim::interrupt::requested() {
        eprintln!("vpsim: interrupted (exit {})", vpsim::interrupt::EXIT_CODE);
        return ExitCode::from(vpsim::interrupt::EXIT_CODE);
    }
    code
}
