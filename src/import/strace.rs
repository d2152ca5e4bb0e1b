//! `vpsim import strace`: raw strace logs to traces (in progress).

use std::io::{BufRead, Write};

use super::{ImportReport, TraceError, TraceWriter};

/// Options of the strace importer.
#[derive(Clone, Debug, Default)]
pub struct StraceOptions {
    /// A perf page-fault list to merge (`perf script` output or `time,pid,address,error_code` CSV).
    pub faults: Option<String>,
}

/// Convert the strace log read from `input` (named `path` in messages) into rows.
pub fn import<W: Write>(
    input: &mut dyn BufRead,
    path: &str,
    opts: &StraceOptions,
    out: &mut TraceWriter<W>,
) -> Result<ImportReport, TraceError> {
    let _ = (input, opts, out);
    Err(TraceError::io(
        path,
        "the strace importer is not built yet".into(),
    ))
}
