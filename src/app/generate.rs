//! `vpsim gen`: a workload spec and the flags' strings to a committed trace file.

use crate::error::CmdError;
use crate::trace::TraceOutput;
use crate::units::{parse_duration_ns, parse_size};
use crate::workloads::{GenOptions, Plan, Summary, generate, plan};

/// `vpsim gen`'s flags as typed.
pub struct GenFlags<'a> {
    pub seed: u64,
    pub events: u64,
    pub files: u64,
    pub size: &'a str,
    pub io_size: Option<&'a str>,
    pub pids: u32,
    pub interval: &'a str,
}

impl GenFlags<'_> {
    /// The generator's options; every error names its flag.
    pub fn options(&self) -> Result<GenOptions, String> {
        let size = parse_size(self.size).map_err(|e| format!("--size: {e}"))?;
        let io_size = self.io_size.map(parse_size).transpose();
        let io_size = io_size.map_err(|e| format!("--io-size: {e}"))?;
        let interval = parse_duration_ns(self.interval);
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
