//! `vpsim gen`: deterministic synthetic traces (in progress).

use clap::Args;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct GenArgs {
    /// The workload.
    pub workload: String,
}

pub fn cmd_gen(a: &GenArgs) -> ExitCode {
    eprintln!("vpsim gen {}: not built yet", a.workload);
    ExitCode::from(2)
}
