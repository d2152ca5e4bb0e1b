//! `vpsim sweep`, `vpsim merge`, `vpsim plot` and `vpsim report`: the results side of
//! the command line.

use crate::with_count_bar;
use clap::Args;
use std::path::{Path, PathBuf};
use vpsim::error::{CmdError, CmdResult};
use vpsim::report::results::{Cell, Row, read_results, rows_table, sort_rows, write_results};
use vpsim::run::load_trace;
use vpsim::sweep::{Grid, GridFlags, SweepOptions, parse_shard, run_points, todo};

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Trace file: CSV (.csv, .csv.gz, .csv.zst) or the binary form (.vpt).
    trace: String,
    /// Read the grid from a TOML file (keys: model, profile, mem, device, readahead, cluster, sync, unavailable, final_sync, [set], [set_grid]); a dimension flag given as well replaces its list, --set/--set-grid/--final-sync add. Example: --grid sweep.toml
    #[arg(long, value_name = "FILE.toml")]
    grid: Option<String>,
    /// Models to sweep, e.g. dragonfly,lru,opt (lru and opt ignore policies and knobs).
    #[arg(long)]
    model: Vec<String>,
    /// Kernel personalities, repeatable: dragonfly (the default; its configurations are every policy and knob combination) and/or linux[:key=value,...] (one configuration per memory size and device), e.g. --profile dragonfly --profile linux --profile linux:read_ahead_kb=8192. Needs --model dragonfly (the default).
    #[arg(long, value_name = "SPEC")]
    profile: Vec<String>,
    /// Memory sizes, e.g. --mem 64M,256M,1G.
    #[arg(long)]
    mem: Vec<String>,
    /// RAM the file cache cannot use (dragonfly model).
    #[arg(long, default_value = "0")]
    unavailable: String,
    /// Devices, e.g. --device ssd,hdd or --device ssd:lat=50us (repeat for specs with keys).
    #[arg(long)]
    device: Vec<String>,
    /// Read-ahead policies (repeat, or a comma list of names without keys).
    #[arg(long)]
    readahead: Vec<String>,
    /// Write clustering policies.
    #[arg(long)]
    cluster: Vec<String>,
    /// Sync policies.
    #[arg(long)]
    sync: Vec<String>,
    /// A knob fixed for every configuration, e.g. --set vm.prefault_pages=0.
    #[arg(long = "set", value_name = "KNOB=VALUE")]
    set: Vec<String>,
    /// A knob as a dimension, e.g. --set-grid vfs.max_readahead=0,256K,2M.
    #[arg(long = "set-grid", value_name = "KNOB=V1,V2,...")]
    set_grid: Vec<String>,
    /// Flush everything at the end of the trace (so bytes written compare).
    #[arg(long)]
    final_sync: bool,
    /// Configurations run at once (default: all cores).
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// Results file (.parquet, .csv or .json), rewritten as each configuration
    /// completes so an interrupted sweep keeps what it finished.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<String>,
    /// Also write the plots (PNG and SVG) into this directory.
    #[arg(long, value_name = "DIR")]
    plots: Option<String>,
    /// Skip configurations already in --output (same grid and trace).
    #[arg(long)]
    resume: bool,
    /// Run only the I-th of N deterministic slices of the grid, e.g. --shard 2/8.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Sort the printed table by this metric (e.g. device_reads, counters.page_misses, latency_ns.read.p99).
    #[arg(long, default_value = "device_reads")]
    sort: String,
    /// Stop after this many configurations (as if interrupted; for testing --resume).
    #[arg(long, hide = true)]
    limit: Option<usize>,
}

fn build_grid(a: &SweepArgs) -> Result<Grid, String> {
    let file = match &a.grid {
        Some(p) => Some((
            p.as_str(),
            std::fs::read_to_string(p).map_err(|e| format!("--grid {p}: {e}"))?,
        )),
        None => None,
    };
    Grid::from_flags(&GridFlags {
        file: file.as_ref().map(|(p, t)| (*p, t.as_str())),
        model: &a.model,
        profile: &a.profile,
        mem: &a.mem,
        device: &a.device,
        readahead: &a.readahead,
        cluster: &a.cluster,
        sync: &a.sync,
        unavailable: &a.unavailable,
        set: &a.set,
        set_grid: &a.set_grid,
        final_sync: a.final_sync,
    })
}

pub fn cmd_sweep(a: &SweepArgs) -> CmdResult {
    let usage = CmdError::Usage;
    let grid = build_grid(a).map_err(usage)?;
    let shard = a
        .shard
        .as_deref()
        .map(parse_shard)
        .transpose()
        .map_err(usage)?;
    if a.resume && a.output.is_none() {
        return Err(usage(
            "--resume needs --output (the results to resume)".into(),
        ));
    }
    let trace = load_trace(&a.trace)?;
    // The trace's own warnings (an empty trace, clamped times) hold for every
    // configuration: say them once.
    for w in &trace.warnings {
        eprintln!("vpsim sweep: warning: {w}");
    }
    let points = grid.points();
    let output = a.output.as_ref().map(PathBuf::from);
    let mut rows: Vec<Row> = Vec::new();
    if a.resume
        && let Some(out) = &output
        && out.exists()
    {
        rows = read_results(out).map_err(|e| usage(format!("--resume: {e}")))?;
        let fp = grid.fingerprint();
        if let Some(bad) = rows
            .iter()
            .find(|r| r.get("grid") != Some(&Cell::Str(fp.clone())))
        {
            let _ = bad;
            return Err(usage(format!(
                "--resume: {} holds results of a different grid; use another --output",
                out.display()
            )));
        }
    }
    let done: Vec<usize> = rows
        .iter()
        .filter_map(|r| match r.get("config_id") {
            Some(Cell::Int(i)) => Some(*i as usize),
            _ => None,
        })
        .collect();
    let opts = SweepOptions {
        jobs: a.jobs,
        shard,
        done,
        limit: a.limit,
    };
    let work = todo(&points, &opts);
    let write = |rows: &mut Vec<Row>| -> Option<String> {
        rows.sort_by_key(|r| match r.get("config_id") {
            Some(Cell::Int(i)) => *i,
            _ => i64::MAX,
        });
        output.as_ref().and_then(|p| write_results(rows, p).err())
    };
    // Rows come back on this thread, which writes each as it comes (the results
    // writers use their own thread pool, which must not be entered from a busy worker).
    let mut write_err = None;
    let start = std::time::Instant::now();
    let mut replayed: u64 = 0;
    let res = with_count_bar(work.len() as u64, "sweeping", |bar| {
        run_points(&work, &grid, &trace, a.jobs, |row| {
            rows.push(row);
            // Events replayed per second, across all workers.
            replayed += trace.events.len() as u64;
            let secs = start.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(", {:.2}M events/s", replayed as f64 / secs / 1e6));
            // Written as they complete: an interrupted sweep keeps them.
            if let Some(e) = write(&mut rows) {
                write_err = Some(e);
            }
            bar.inc(1);
        })
    });
    res.map_err(|e| usage(format!("--jobs {}: {e}", a.jobs)))?;
    if let Some(e) = write_err.or_else(|| write(&mut rows)) {
        return Err(CmdError::Output(format!("cannot write results: {e}")));
    }
    if vpsim::interrupt::requested() {
        let kept = match &output {
            Some(p) => format!(
                "; they are in {} and `vpsim sweep ... --output {} --resume` runs the rest",
                p.display(),
                p.display()
            ),
            None => " (no --output: shown below only)".to_string(),
        };
        let mut shown = rows.clone();
        if sort_rows(&mut shown, &a.sort).is_ok() {
            print!("{}", rows_table(&shown, &grid.dims()));
        }
        return Err(CmdError::Interrupted(format!(
            "interrupted: {} of {} configurations finished{kept}",
            rows.len(),
            points.len()
        )));
    }
    let failed: Vec<&Row> = rows.iter().filter(|r| r.get("error").is_some()).collect();
    for r in &failed {
        if let (Some(k), Some(e)) = (r.get("config_key"), r.get("error")) {
            eprintln!("vpsim sweep: {}: {}", k.text(), e.text());
        }
    }
    let mut shown = rows.clone();
    sort_rows(&mut shown, &a.sort).map_err(|e| usage(format!("--sort: {e}")))?;
    print!("{}", rows_table(&shown, &grid.dims()));
    if let Some(dir) = &a.plots {
        let results = match &output {
            Some(p) => p.clone(),
            None => {
                let p = Path::new(dir).join("results.parquet");
                std::fs::create_dir_all(dir)
                    .map_err(|e| e.to_string())
                    .and_then(|_| write_results(&rows, &p))
                    .map_err(|e| CmdError::Output(format!("--plots {dir}: {e}")))?;
                p
            }
        };
        vpsim::report::plot::plot_results(&results, Path::new(dir))
            .map_err(|e| CmdError::Output(format!("--plots {dir}: {e}")))?;
    }
    if !rows.is_empty() && failed.len() == rows.len() {
        return Err(CmdError::Reported(2));
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The merged results file (.parquet, .csv or .json).
    out: String,
    /// Results of `sweep --shard I/N` runs of the same trace and grid.
    #[arg(required = true)]
    parts: Vec<String>,
}

/// `vpsim merge OUT PARTS...`: combine shard results, checking they come from the
/// same grid and trace.
pub fn cmd_merge(a: &MergeArgs) -> CmdResult {
    let mut all: Vec<Row> = Vec::new();
    let mut ident: Option<(Option<Cell>, Option<Cell>, Option<Cell>)> = None;
    for p in &a.parts {
        let rows = read_results(Path::new(p)).map_err(CmdError::Input)?;
        for r in rows {
            let id = (
                r.get("grid").cloned(),
                r.get("trace.path").cloned(),
                r.get("trace_events").cloned(),
            );
            if id.0.is_none() {
                return Err(CmdError::Input(format!(
                    "{p}: not the output of vpsim sweep (no grid column)"
                )));
            }
            match &ident {
                None => ident = Some(id),
                Some(i)
                    if i.0 != id.0
                        || i.2 != id.2
                        || (i.1.is_some() && id.1.is_some() && i.1 != id.1) =>
                {
                    return Err(CmdError::Input(format!(
                        "{p} comes from a different grid or trace than {}",
                        a.parts[0]
                    )));
                }
                Some(_) => {}
            }
            let cid = r.get("config_id").cloned();
            if !all.iter().any(|x| x.get("config_id").cloned() == cid) {
                all.push(r);
            }
        }
    }
    all.sort_by_key(|r| match r.get("config_id") {
        Some(Cell::Int(i)) => *i,
        _ => i64::MAX,
    });
    write_results(&all, Path::new(&a.out)).map_err(CmdError::Output)?;
    eprintln!(
        "vpsim merge: {} configurations from {} files",
        all.len(),
        a.parts.len()
    );
    Ok(())
}

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// A results file (.parquet, .csv, .json from sweep/replay/compare) or a --timeline CSV.
    results: String,
    /// Directory for the PNG and SVG files.
    #[arg(long, default_value = "plots")]
    out: String,
}

/// `vpsim plot RESULTS --out DIR`.
pub fn cmd_plot(a: &PlotArgs) -> CmdResult {
    let path = Path::new(&a.results);
    let is_timeline = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.lines().next().map(|l| l.starts_with("time_s,")))
        .unwrap_or(false);
    let res = if is_timeline {
        vpsim::report::plot::plot_timeline(path, Path::new(&a.out))
    } else {
        vpsim::report::plot::plot_results(path, Path::new(&a.out))
    };
    for f in res.map_err(CmdError::Input)? {
        println!("{}", f.display());
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// A results file (.parquet, .csv, .json).
    results: String,
    /// The HTML file to write (self-contained: SVG plots inline).
    #[arg(long, default_value = "report.html")]
    out: String,
    /// A --timeline CSV to include.
    #[arg(long)]
    timeline: Option<String>,
}

/// `vpsim report RESULTS --out NAME.html`.
pub fn cmd_report(a: &ReportArgs) -> CmdResult {
    vpsim::report::html::write_report(
        Path::new(&a.results),
        Path::new(&a.out),
        a.timeline.as_deref().map(Path::new),
    )
    .map_err(CmdError::Input)?;
    println!("{}", a.out);
    Ok(())
}
