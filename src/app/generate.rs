//! `vpsim gen`: a workload spec and the flags' strings to a committed trace file.

use crate::error::CmdError;
use crate::trace::TraceOutput;
use crate::units::{parse_duration_ns, parse_size};
use crate::workloads::{GenOptions, Plan, Summary, generate, plan};

/// `vpsim gen`'s generator flags, parsed by clap (the binary flattens them into its
/// arguments).
#[derive(Clone, Debug, clap::Args)]
pub struct GenFlags {
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
    /// 64K for seqread/seqwrite, 16K for smallfiles, 8K for db, 4K otherwise), e.g. --io-size 16K.
    #[arg(long, value_name = "BYTES")]
    pub io_size: Option<String>,
    /// Number of processes issuing the requests (pids 100, 101, ...), e.g. --pids 4.
    #[arg(long, default_value_t = 1, value_name = "P")]
    pub pids: u32,
    /// Time between two consecutive rows (ns, us, ms, s), e.g. --interval 50us.
    #[arg(long, default_value = "10us", value_name = "DURATION")]
    pub interval: String,
}

impl GenFlags {
    /// The generator's options; every error names its flag.
    pub fn options(&self) -> Result<GenOptions, String> {
        let size = parse_size(&self.size).map_err(|e| format!("--size: {e}"))?;
        let io_size = self.io_size.as_deref().map(parse_size).transpose();
        let io_size = io_size.map_err(|e| format!("--io-size: {e}"))?;
        let interval = parse_duration_ns(&self.interval);
        let interval_ns = interval.map_err(|e| format!("--interval: {e}"))?;
        Ok(GenOptions {
            seed: self.seed,
            events: self.events,
            files: self.files,
            size,
            io_size,
            pids: self.pids,
            interval_ns,
        })
    }
}

/// Generate `workload` into `output` (standard output when None), committed only
/// when complete; returns the plan, what was written and the output's name.
pub fn gen_trace(
    workload: &str,
    flags: &GenFlags,
    output: Option<&str>,
) -> Result<(Plan, Summary, String), CmdError> {
    let p = flags
        .options()
        .and_then(|o| plan(workload, &o))
        .map_err(CmdError::Usage)?;
    let mut out = TraceOutput::create(output).map_err(|e| {
        let name = output.unwrap_or("<stdout>");
        CmdError::Output(format!("{name}: cannot create: {e}"))
    })?;
    let summary = match generate(&p, out.writer()) {
        Ok(s) => s,
        Err(e) => {
            let msg = format!("{}: cannot write: {e}", out.name());
            out.abandon();
            return Err(CmdError::Output(msg));
        }
    };
    let name = out.name().to_string();
    out.commit().map_err(CmdError::Output)?;
    Ok((p, summary, name))
}
