//! One door for every trace: CSV (plain, gzip, zstd, stdin) or the binary form,
//! recognised by its magic bytes, so every command accepts either.

use std::fs::File;
use std::io::Read;

use super::binary::{self, BinaryTrace};
use super::csv::TraceReader;
use super::error::TraceError;
use super::event::Event;
use super::input::{Input, display_name};
use super::intern::FileTable;
use super::prescan::Prescan;

/// An open trace of either form.
#[derive(Debug)]
pub enum TraceSource {
    Csv(Box<TraceReader>),
    /// The mapped trace and the index of the next record.
    Binary(Box<BinaryTrace>, u64),
}

impl TraceSource {
    /// Open `path` (`-` = stdin). A plain binary file is memory-mapped; a compressed or
    /// piped one is read into memory; anything else is read as CSV.
    pub fn open(path: &str) -> Result<TraceSource, TraceError> {
        if path != "-" && plain_file_is_binary(path) {
            return Ok(TraceSource::Binary(Box::new(BinaryTrace::open(path)?), 0));
        }
        let mut input = Input::open(path)?;
        let head = input
            .reader()
            .fill_buf()
            .map_err(|e| TraceError::io(display_name(path), format!("cannot read: {e}")))?;
        if binary::is_binary(head) {
            let trace = binary::read_all(path, input.reader())?;
            return Ok(TraceSource::Binary(Box::new(trace), 0));
        }
        Ok(TraceSource::Csv(Box::new(TraceReader::from_input(
            path, input,
        ))))
    }

    /// The events the whole trace holds, when `read` of them are done: exact for the
    /// binary form, estimated from the share of the file's bytes read so far for a CSV
    /// of known length (a one-pass replay's progress bar), unknown for a pipe.
    pub fn expected_events(&self, read: u64) -> Option<u64> {
        match self {
            TraceSource::Binary(t, _) => Some(t.events()),
            TraceSource::Csv(r) => {
                let (done, total) = (r.bytes_read(), r.total_bytes()?);
                (done > 0).then(|| {
                    let est = u128::from(read) * u128::from(total) / u128::from(done);
                    u64::try_from(est).unwrap_or(u64::MAX).max(read)
                })
            }
        }
    }

    /// Whether this is the binary form.
    pub fn is_binary(&self) -> bool {
        matches!(self, TraceSource::Binary(..))
    }

    /// What a first pass would learn, when it is already known without one (binary
    /// form: stored in its header).
    pub fn known_prescan(&self) -> Option<Prescan> {
        let TraceSource::Binary(t, _) = self else {
            return None;
        };
        let (first_time, last_time) = t.time_span();
        Some(Prescan {
            files: t.files().clone(),
            events: t.events(),
            lines: t.events(),
            first_time,
            last_time,
            bounded: true,
            warnings: t.warnings(),
        })
    }

    /// The first pass for this trace: from the binary header, or by reading the CSV
    /// once more (stdin: none, files unbounded).
    pub fn prescan(&self, path: &str) -> Result<Prescan, TraceError> {
        match self.known_prescan() {
            Some(p) => Ok(p),
            None => Prescan::for_path(path),
        }
    }

    /// The next event. For the binary form `files` must be the table of its
    /// [`TraceSource::prescan`] (an empty table is filled from the header).
    #[inline]
    pub fn next_event(&mut self, files: &mut FileTable) -> Result<Option<Event>, TraceError> {
        match self {
            TraceSource::Csv(r) => r.next_event(files),
            TraceSource::Binary(t, next) => {
                if *next >= t.events() {
                    return Ok(None);
                }
                if *next == 0 && files.len() < t.files().len() {
                    *files = t.files().clone();
                }
                if *next % 8192 == 8191 {
                    if crate::interrupt::requested() {
                        return Err(TraceError::io(t.path(), "interrupted".into()));
                    }
                    // Every 32 MiB of records, drop what was read from the resident set.
                    if *next % (1 << 20) == (1 << 20) - 1 {
                        t.release_before(*next);
                    }
                }
                let ev = t.event(*next)?;
                *next += 1;
                Ok(Some(ev))
            }
        }
    }

    /// The reader's warnings (clamped times); for the binary form, those recorded at
    /// conversion.
    pub fn warnings(&self) -> Vec<String> {
        match self {
            TraceSource::Csv(r) => r.warnings(),
            TraceSource::Binary(t, _) => t.warnings(),
        }
    }
}

/// Whether the plain file at `path` starts with the binary magic (false on any error:
/// the CSV path then reports it).
fn plain_file_is_binary(path: &str) -> bool {
    // Only a regular file may be opened twice: a named pipe (`<(zstdcat t.csv.zst)`)
    // would lose the bytes read here, and the second open would wait for a writer
    // that has gone.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut head = [0u8; 8];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && binary::is_binary(&head)
}
