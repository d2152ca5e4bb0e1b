//! `vpsim gen`: deterministic synthetic traces (same seed and options, same bytes).

use clap::Args;
use vpsim::error::{CmdError, CmdResult};
use vpsim::trace::TraceOutput;
use vpsim::units::{format_size, parse_duration_ns, parse_size};
use vpsim::workloads::{GenOptions, WORKLOADS, generate, help_table, plan};

/// The conventions every workload follows, printed after the workload table.
const CONVENTIONS: &str = "\
Every trace:
  - counts --events as data rows (read, write, fault_read, fault_write); open, close, mmap,
    munmap, fsync and truncate rows come on top;
  - splits --size evenly: each of the --files files has size/files bytes;
  - uses pids 100, 101, ... (--pids of them) and deals the requests to them round robin;
  - opens a file (the open row states its current size) before a pid touches it and
    closes it at the end; reads and faults never go past the end of a file; random
    offsets are multiples of --io-size;
  - spaces rows --interval apart, starting at time 0;
  - depends only on the options: the same ones give byte-identical output on every
    machine, and later vpsim versions keep it so (the random numbers and the math behind
    them are in-house, pinned by tests, never a dependency's).

Examples:
  vpsim gen zipf:alpha=1.1 --events 1000000 --size 1G --seed 7 -o zipf.csv.zst
  vpsim gen seqread --files 4 --pids 4 --size 1G -o scan.csv
  vpsim gen db:read=0.8,checkpoint=5000 --pids 8 --files 2 --size 512M -o db.csv.gz
  vpsim gen mixed:read=0.7 --events 1000 | vpsim replay - --mem 64M";

#[derive(Args, Debug)]
#[command(after_long_help = format!("{}\n{CONVENTIONS}", help_table()))]
pub struct GenArgs {
    #[arg(value_name = "WORKLOAD", help = workload_help())]
    pub workload: String,
    /// Seed of the random numbers; the same seed (and options) gives the same trace, e.g. --seed 7.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Data rows (read, write, fault_read, fault_write) to generate; open, close, mmap,
    /// fsync and truncate rows come on top, e.g. --events 1000000.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub events: u64,
    /// Number of files the footprint is split into, e.g. --files 8.
    #[arg(long, default_value_t = 1, value_name = "F")]
    pub files: u64,
    /// Total footprint, split evenly between the files (each has SIZE/F bytes); with K/M/G/T
    /// suffix in powers of 1024, e.g. --size 1G.
    #[arg(long, default_value = "256M", value_name = "BYTES")]
    pub size: String,
    /// Request size of reads and writes, and the step of mmap touches (default per workload:
    /// 64K for seqread/seqwrite, 8K for db, 4K otherwise), e.g. --io-size 16K.
    #[arg(long, value_name = "BYTES")]
    pub io_size: Option<String>,
    /// Number of processes issuing the requests (pids 100, 101, ...), e.g. --pids 4.
    #[arg(long, default_value_t = 1, value_name = "P")]
    pub pids: u32,
    /// Time between two consecutive rows (ns, us, ms, s), e.g. --interval 50us.
    #[arg(long, default_value = "10us", value_name = "DURATION")]
    pub interval: String,
    /// Output trace: .csv, .csv.gz, .csv.zst or .vpt (binary form); - or absent for
    /// standard output. The file appears only once complete (it must be a regular file:
    /// for /dev/null redirect standard output instead), e.g. -o zipf.csv.zst.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,
}

/// The positional argument's help: the spec syntax and the names, from the registry.
fn workload_help() -> String {
    let names: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
    format!(
        "The workload: name[:key=value,...], e.g. zipf:alpha=1.1 or mixed:read=0.9. Names: {} \
         (--help lists each with what it resembles and its keys)",
        names.join(", ")
    )
}

/// Turn the flags into options; every error is a usage error (exit 2).
fn options(a: &GenArgs) -> Result<GenOptions, String> {
    let size = parse_size(&a.size).map_err(|e| format!("--size: {e}"))?;
    let io_size = match &a.io_size {
        Some(s) => Some(parse_size(s).map_err(|e| format!("--io-size: {e}"))?),
        None => None,
    };
    let interval_ns = parse_duration_ns(&a.interval).map_err(|e| format!("--interval: {e}"))?;
    Ok(GenOptions {
        seed: a.seed,
        events: a.events,
        files: a.files,
        size,
        io_size,
        pids: a.pids,
        interval_ns,
    })
}

pub fn cmd_gen(a: &GenArgs) -> CmdResult {
    let p = options(a)
        .and_then(|o| plan(&a.workload, &o))
        .map_err(CmdError::Usage)?;
    let mut output = TraceOutput::create(a.output.as_deref()).map_err(|e| {
        let name = a.output.as_deref().unwrap_or("<stdout>");
        CmdError::Output(format!("{name}: cannot create: {e}"))
    })?;
    let summary = match generate(&p, output.writer()) {
        Ok(s) => s,
        Err(e) => {
            let msg = format!("{}: cannot write: {e}", output.name());
            output.abandon();
            return Err(CmdError::Output(msg));
        }
    };
    let name = output.name().to_string();
    output.commit().map_err(CmdError::Output)?;
    eprintln!(
        "vpsim gen {}: {} events, {} rows, {} file{} of {} -> {name}",
        p.describe(),
        summary.events,
        summary.rows,
        p.files,
        if p.files == 1 { "" } else { "s" },
        format_size(p.file_size)
    );
    Ok(())
}
