//! The `vpsim` command line: parse arguments ([`cli`]), call the library, print.

mod cli;

use clap::Parser;
use cli::*;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use vpsim::app::{self, compare::CompareJob, replay::ReplayJob, sweep::SweepJob};
use vpsim::error::{CmdError, CmdResult};
use vpsim::import::{blk, fio, strace};
use vpsim::params::{KNOBS, Knobs};
use vpsim::progress::EventBar;
use vpsim::run::config::ReplayRequest;
use vpsim::sweep::{Grid, parse_shard};
use vpsim::units::format_size;

fn cmd_replay(a: &ReplayArgs) -> CmdResult {
    let request = ReplayRequest {
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
    let job = ReplayJob {
        trace: &a.trace,
        request,
        format: a.format,
        output: a.output.as_deref(),
        timeline: a.timeline.as_deref(),
        io_log: a.io_log.as_deref(),
    };
    for w in app::replay::replay(&job)? {
        eprintln!("vpsim replay: warning: {w}");
    }
    Ok(())
}

fn cmd_compare(a: &CompareArgs) -> CmdResult {
    let job = CompareJob {
        trace: &a.trace,
        machine: a.machine.request(),
        profiles: &a.profile,
        policies: [&a.readahead, &a.cluster, &a.sync],
        final_sync: a.final_sync,
        jobs: a.jobs,
        format: a.format,
        output: a.output.as_deref(),
        wide: a.wide,
        io_log: a.io_log.as_deref(),
    };
    let (lines, code) = app::compare::compare(&job)?;
    for line in lines {
        eprintln!("vpsim compare: {line}");
    }
    match code {
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
    println!("{:<20} {:>8}  meaning", "knob", "default");
    for (k, (_, v)) in KNOBS.iter().zip(defaults.entries()) {
        println!("{:<20} {:>8}  {}", k.name, v, k.help);
    }
    Ok(())
}

fn cmd_sweep(a: &SweepArgs) -> CmdResult {
    let grid = Grid::from_flags(&a.dims).map_err(CmdError::Usage)?;
    let shard = a.shard.as_deref().map(parse_shard).transpose();
    let shard = shard.map_err(CmdError::Usage)?;
    if a.resume && a.output.is_none() {
        let msg = "--resume needs --output (the results to resume)";
        return Err(CmdError::Usage(msg.into()));
    }
    let trace = vpsim::run::load_trace(&a.trace)?;
    // The trace's own warnings (an empty trace, clamped times) hold for every
    // configuration: say them once.
    for w in &trace.warnings {
        eprintln!("vpsim sweep: warning: {w}");
    }
    let report = app::sweep::sweep(&SweepJob {
        grid: &grid,
        trace: &trace,
        jobs: a.jobs,
        output: a.output.as_ref().map(PathBuf::from),
        resume: a.resume,
        shard,
        sort: &a.sort,
        limit: a.limit,
        plots: a.plots.as_ref().map(PathBuf::from),
        wide: a.wide,
        io_log: a.io_log.as_deref(),
    })?;
    if let Some(msg) = report.interrupted {
        print!("{}", report.table);
        return Err(CmdError::Interrupted(msg));
    }
    for line in &report.failures {
        eprintln!("vpsim sweep: {line}");
    }
    print!("{}", report.table);
    if report.all_failed {
        return Err(CmdError::Reported(2));
    }
    Ok(())
}

fn cmd_merge(a: &MergeArgs) -> CmdResult {
    let n = app::merge::merge(Path::new(&a.out), &a.parts)?;
    let files = a.parts.len();
    eprintln!("vpsim merge: {n} configurations from {files} files");
    Ok(())
}

fn cmd_plot(a: &PlotArgs) -> CmdResult {
    let files = match (&a.compare, &a.results) {
        (Some(pair), _) if pair.len() == 2 => {
            app::plot_compare(Path::new(&pair[0]), Path::new(&pair[1]), Path::new(&a.out))?
        }
        (_, Some(results)) => app::plot(Path::new(results), Path::new(&a.out))?,
        _ => {
            return Err(CmdError::Usage(
                "give a file to plot, or --compare REAL SIMULATED".into(),
            ));
        }
    };
    for f in files {
        println!("{}", f.display());
    }
    Ok(())
}

fn cmd_report(a: &ReportArgs) -> CmdResult {
    let timeline = a.timeline.as_deref().map(Path::new);
    let io_log = a.io_log.as_deref().map(Path::new);
    vpsim::report::html::write_report_with(
        Path::new(&a.results),
        Path::new(&a.out),
        timeline,
        io_log,
    )
    .map_err(CmdError::Input)?;
    println!("{}", a.out);
    Ok(())
}

fn cmd_query(a: &QueryArgs) -> CmdResult {
    let table = a.format == QueryFormat::Table;
    let text = app::query(Path::new(&a.results), &a.sql, a.output.as_deref(), table)?;
    app::print_text(&text)
}

fn cmd_import(cmd: &ImportCmd) -> CmdResult {
    let lines = match cmd {
        ImportCmd::Strace(a) => {
            let opts = strace::StraceOptions {
                faults: a.faults.clone(),
            };
            let tuning = strace::StraceTuning {
                perf_offset_ns: a.perf_offset_ns,
                names: a.names,
                faults_clock: a.faults_clock,
                clock_pair: None,
            };
            app::import::import("strace", &a.log, a.out.output.as_deref(), |i, p, w| {
                strace::import_tuned(i, p, &opts, &tuning, w)
            })
        }
        ImportCmd::Fio(a) => {
            app::import::import("fio", &a.iolog, a.out.output.as_deref(), fio::import)
        }
        ImportCmd::Blk(a) => {
            let opts = blk::BlkOptions {
                format: a.format,
                columns: a.columns.clone(),
            };
            app::import::import("blk", &a.file, a.out.output.as_deref(), |i, p, w| {
                blk::import(i, p, &opts, w)
            })
        }
    }?;
    for line in lines {
        eprintln!("{line}");
    }
    Ok(())
}

fn cmd_record(a: &RecordArgs) -> CmdResult {
    let job = app::record::RecordJob {
        command: &a.command,
        output: &a.output,
        faults: a.faults,
        keep_logs: a.keep_logs.as_deref().map(Path::new),
    };
    let r = app::record::record(&job)?;
    for line in &r.lines {
        eprintln!("{line}");
    }
    match r.status {
        0 => Ok(()),
        c => Err(CmdError::Reported(c)),
    }
}

fn cmd_gen(a: &GenArgs) -> CmdResult {
    let (p, s, name) = app::generate::gen_trace(&a.workload, &a.flags, a.output.as_deref())?;
    let plural = if p.files == 1 { "" } else { "s" };
    eprintln!(
        "vpsim gen {}: {} events, {} rows, {} file{plural} of {} -> {name}",
        p.describe(),
        s.events,
        s.rows,
        p.files,
        format_size(p.file_size)
    );
    Ok(())
}

fn cmd_convert(a: &ConvertArgs) -> CmdResult {
    let mut bar = EventBar::new("converting");
    let res = app::convert(&a.input, &a.output, &mut |n| bar.update(n, None));
    bar.finish();
    let n = res?;
    if a.output != "-" {
        eprintln!("vpsim convert: {n} events -> {}", a.output);
    }
    Ok(())
}

fn cmd_info(a: &InfoArgs) -> CmdResult {
    let sizes = app::mem_list(a.mem.as_deref()).map_err(CmdError::Usage)?;
    let mut bar = EventBar::new("reading");
    let res = vpsim::info::info(&a.trace, &sizes, &mut |n, total| bar.update(n, total));
    bar.finish();
    let info = res.map_err(|e| CmdError::Input(e.to_string()))?;
    match a.format {
        InfoFormat::Table => print!("{}", vpsim::report::info::to_table(&info)),
        InfoFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&vpsim::report::info::to_json(&info)).unwrap_or_default()
        ),
    }
    Ok(())
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
        Cmd::Import(c) => (format!("import {}", c.name()), cmd_import(c)),
        Cmd::Record(a) => ("record".into(), cmd_record(a)),
        Cmd::Gen(a) => ("gen".into(), cmd_gen(a)),
        Cmd::Convert(a) => ("convert".into(), cmd_convert(a)),
        Cmd::Info(a) => ("info".into(), cmd_info(a)),
        Cmd::Sweep(a) => ("sweep".into(), cmd_sweep(a)),
        Cmd::Merge(a) => ("merge".into(), cmd_merge(a)),
        Cmd::Plot(a) => ("plot".into(), cmd_plot(a)),
        Cmd::Query(a) => ("query".into(), cmd_query(a)),
        Cmd::Report(a) => ("report".into(), cmd_report(a)),
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
