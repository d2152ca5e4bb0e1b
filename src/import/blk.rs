//! `vpsim import blk`: block traces (MSR Cambridge, SNIA/SPC ASCII, generic CSV) to
//! traces, one file per device (in progress).

use std::io::{BufRead, Write};

use super::{ImportReport, TraceError, TraceWriter};

/// The block trace dialects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlkFormat {
    /// MSR Cambridge CSV: `Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime`.
    Msr,
    /// SPC-style ASCII (SNIA): `ASU,LBA,Size,Opcode,Timestamp`.
    Snia,
    /// Generic `time,op,offset,size[,device]` CSV; `columns` renames/reorders.
    Csv,
}

/// Options of the block importer.
#[derive(Clone, Debug)]
pub struct BlkOptions {
    pub format: BlkFormat,
    /// For `Csv`: the column names in file order (comma separated), when the file has
    /// no header or other names.
    pub columns: Option<String>,
}

/// Convert the block trace read from `input` (named `path` in messages) into rows.
pub fn import<W: Write>(
    input: &mut dyn BufRead,
    path: &str,
    opts: &BlkOptions,
    out: &mut TraceWriter<W>,
) -> Result<ImportReport, TraceError> {
    let _ = (input, opts, out);
    Err(TraceError::io(path, "the block importer is not built yet".into()))
}
