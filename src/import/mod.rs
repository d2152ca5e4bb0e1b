//! Importers: other tools' logs and traces turned into vpsim traces.
//!
//! Each importer reads one foreign format from a [`std::io::BufRead`] (the CLI opens it
//! through [`crate::trace::Input`], so `.gz`/`.zst` and stdin work everywhere) and writes
//! rows through a [`TraceWriter`]. Malformed input is a [`TraceError`] naming the file,
//! line and column; oddities that do not stop the import (a call on a pipe, a failed
//! call, an unknown syscall) are counted in the [`ImportReport`] and summarised on
//! stderr, never dropped silently.

pub mod blk;
pub mod fio;
pub mod strace;
mod text;

use std::collections::BTreeMap;

#[allow(unused_imports)]
pub use crate::trace::{Record, TraceError, TraceWriter};

/// What an import did, beyond the rows it wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Input lines read.
    pub lines: u64,
    /// Rows written.
    pub events: u64,
    /// Non-fatal oddities by kind ("failed call", "call on a pipe", ...) and count.
    pub notes: BTreeMap<String, u64>,
    /// Page faults read from a fault list, and those that became rows (the rest are
    /// dropped, each counted in `notes` with its reason).
    pub faults_read: u64,
    pub faults_kept: u64,
}

impl ImportReport {
    /// Count one oddity of kind `what`.
    pub fn note(&mut self, what: &str) {
        if let Some(n) = self.notes.get_mut(what) {
            *n += 1;
        } else {
            self.notes.insert(what.to_string(), 1);
        }
    }

    /// One line per oddity kind, largest first, for stderr.
    pub fn summary(&self) -> Vec<String> {
        let mut v: Vec<(&String, &u64)> = self.notes.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.into_iter()
            .map(|(k, n)| format!("{n:>10}  {k}"))
            .collect()
    }
}

/// The name importers give the output trace in errors (they are not told its path;
/// the CLI reports such errors under the real name, with exit code 3).
pub const OUTPUT: &str = "<output>";

/// A write error on the output trace, as a [`TraceError`] naming the output
/// (pass [`OUTPUT`] when the path is not known).
pub fn output_error(out_name: &str, e: std::io::Error) -> TraceError {
    TraceError::io(out_name, format!("cannot write the trace: {e}"))
}
