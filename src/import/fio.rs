//! `vpsim import fio`: fio iologs (v2, v3) to traces (in progress).

use std::io::{BufRead, Write};

use super::{ImportReport, TraceError, TraceWriter};

/// Convert the fio iolog read from `input` (named `path` in messages) into rows.
pub fn import<W: Write>(
    input: &mut dyn BufRead,
    path: &str,
    out: &mut TraceWriter<W>,
) -> Result<ImportReport, TraceError> {
    let _ = (input, out);
    Err(TraceError::io(path, "the fio importer is not built yet".into()))
}
