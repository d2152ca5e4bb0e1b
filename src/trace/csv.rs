//! The streaming reader of the CSV trace format (trace-format.md), on the `csv` crate.
//!
//! Records come from [`Records`] (one `csv::Reader`, one reused `ByteRecord`), so
//! reading allocates nothing per event (interning allocates once per new file name) and
//! memory does not grow with the trace. The crate does the CSV: RFC 4180 quoting, where
//! a quoted field may hold commas, `""` for a quote, and line breaks, so one record can
//! span lines. This file holds what makes those records a trace: `#` comment and blank
//! lines, the header before any row, errors with the line a record starts on, clamped
//! times and the warnings. What a row means is [`row`]'s business.

use std::io::{BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::{TraceError, clip_bytes};
use super::event::{Event, MAX_RW_COUNT};
use super::input::{Compression, Input, display_name};
use super::intern::FileTable;

mod feed;
mod records;
mod row;

pub(crate) use records::{RecordError, Records, record_text};
pub use row::REQUIRED_COLUMNS;
use row::{Columns, Ctx, parse_row};

/// Longest accepted line, and longest record however many lines it spans; anything
/// longer is garbage (paths are at most 4 KiB), and the cap keeps a newline-free binary
/// file, or a quote left open, from being read into memory whole.
pub const MAX_LINE: usize = 1 << 20;

/// The decompressed text of an [`Input`], as a `BufRead` the records are read from.
struct Text(Input);

impl Read for Text {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.reader().read(buf)
    }
}

impl BufRead for Text {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.0.reader().fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.0.reader().consume(n);
    }
}

/// Reads a CSV trace record by record into [`Event`]s.
///
/// `next_event` returns `Ok(None)` at the end. After a malformed record it returns
/// the error and, if called again, goes on with the next record (this is how `check`
/// reports every bad line); after a bad header or an I/O error it keeps returning that
/// error ([`TraceReader::is_fatal`]).
pub struct TraceReader {
    path: String,
    shown: String,
    records: Records<Text>,
    /// Records read, for the interrupt check.
    count: u64,
    counter: Arc<AtomicU64>,
    total: Option<u64>,
    compression: Compression,
    columns: Option<Columns>,
    fatal: Option<TraceError>,
    events: u64,
    last_time: Option<u64>,
    backwards: u64,
    first_backwards: u64,
    /// Reads/writes longer than `MAX_RW_COUNT`, cut to it.
    long_transfers: u64,
    first_long_transfer: u64,
}

impl std::fmt::Debug for TraceReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceReader")
            .field("path", &self.path)
            .field("line", &self.line())
            .field("events", &self.events)
            .finish()
    }
}

impl TraceReader {
    /// Open a trace file (`-` = stdin; `.gz`/`.zst` or their magic bytes are
    /// decompressed). Fails only on I/O; the header is read by the first
    /// [`TraceReader::next_event`].
    pub fn open(path: &str) -> Result<TraceReader, TraceError> {
        Ok(TraceReader::from_input(path, Input::open(path)?))
    }

    /// Read a trace from any byte source (compression is still detected); `name` is
    /// used in messages. Handy for tests and for traces held in memory.
    pub fn from_read(name: &str, raw: impl Read + Send + 'static) -> Result<Self, TraceError> {
        Ok(TraceReader::from_input(
            name,
            Input::from_read(name, Box::new(raw), None)?,
        ))
    }

    pub(crate) fn from_input(path: &str, input: Input) -> TraceReader {
        TraceReader {
            path: path.to_string(),
            shown: display_name(path).to_string(),
            counter: input.progress_counter(),
            total: input.total_bytes(),
            compression: input.compression(),
            records: Records::new(Text(input), Some(b'#')),
            count: 0,
            columns: None,
            fatal: None,
            events: 0,
            last_time: None,
            backwards: 0,
            first_backwards: 0,
            long_transfers: 0,
            first_long_transfer: 0,
        }
    }

    /// The path as given to `open`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// 1-based physical line number of the last line read (0 before any); at the end,
    /// the number of lines in the file.
    pub fn line(&self) -> u64 {
        self.records.line()
    }

    /// Number of events returned so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Bytes of the file on disk consumed so far (compressed bytes for compressed
    /// traces), for progress bars; runs a buffer's worth ahead of the parser.
    pub fn bytes_read(&self) -> u64 {
        self.counter.load(Ordering::Relaxed)
    }

    /// Size of the file on disk, `None` for stdin.
    pub fn total_bytes(&self) -> Option<u64> {
        self.total
    }

    /// Shared counter behind [`TraceReader::bytes_read`], for a progress thread.
    pub fn progress_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.counter)
    }

    /// The compression detected when opening.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The header's column names as written, once the header has been read.
    pub fn columns(&self) -> Option<&[String]> {
        self.columns.as_ref().map(|c| c.names.as_slice())
    }

    /// Whether the header has been read and accepted.
    pub fn has_header(&self) -> bool {
        self.columns.is_some()
    }

    /// Whether the reader hit an error it cannot read past (bad header, I/O).
    pub fn is_fatal(&self) -> bool {
        self.fatal.is_some()
    }

    /// Number of rows whose `time_ns` went backwards and was clamped.
    pub fn clamped_times(&self) -> u64 {
        self.backwards
    }

    /// Human-readable warnings so far (clamped times, cut transfers).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.backwards > 0 {
            let lines = if self.backwards == 1 { "line" } else { "lines" };
            w.push(format!(
                "{}: time_ns went backwards on {} {lines} (first at line {}); clamped to the previous time",
                self.shown, self.backwards, self.first_backwards
            ));
        }
        if self.long_transfers > 0 {
            w.push(long_transfer_warning(
                &self.shown,
                self.long_transfers,
                &format!("line {}", self.first_long_transfer),
            ));
        }
        w
    }

    /// The next event, `Ok(None)` at the end of the trace. New file names are
    /// interned into `files`, and the first `open` with a length of a file declares its
    /// size there (see [`FileTable::note_open_length`]).
    pub fn next_event(&mut self, files: &mut FileTable) -> Result<Option<Event>, TraceError> {
        if let Some(e) = &self.fatal {
            return Err(e.clone());
        }
        loop {
            let Some(line) = self.next_record()? else {
                return Ok(None);
            };
            if is_blank(self.records.record()) {
                continue;
            }
            let Some(cols) = &self.columns else {
                let ctx = Ctx {
                    path: &self.shown,
                    line,
                    names: &[],
                };
                match Columns::parse(self.records.record(), &ctx) {
                    Ok(c) => {
                        self.columns = Some(c);
                        continue;
                    }
                    Err(e) => return Err(self.fail(e)),
                }
            };
            let ctx = Ctx {
                path: &self.shown,
                line,
                names: &cols.names,
            };
            let mut ev = parse_row(self.records.record(), cols, files, &ctx)?;
            match self.last_time {
                Some(prev) if ev.time_ns < prev => {
                    if self.backwards == 0 {
                        self.first_backwards = line;
                    }
                    self.backwards += 1;
                    ev.time_ns = prev;
                }
                _ => self.last_time = Some(ev.time_ns),
            }
            if ev.clamp_transfer() {
                if self.long_transfers == 0 {
                    self.first_long_transfer = line;
                }
                self.long_transfers += 1;
            }
            self.events += 1;
            return Ok(Some(ev));
        }
    }

    /// Read the next record and return the line it starts on; `None` at the end of
    /// the input.
    fn next_record(&mut self) -> Result<Option<u64>, TraceError> {
        self.count += 1;
        // Ctrl-C: a long read (prescan, check, a multi-GB load) stops promptly.
        if self.count.is_multiple_of(8192) && crate::interrupt::requested() {
            return Err(TraceError::io(&self.shown, "interrupted".into()));
        }
        match self.records.next() {
            Ok(line) => Ok(line),
            Err(RecordError::Io(e)) => Err(self.io_error(&e)),
            Err(RecordError::LongLine { line, head }) => {
                let message = format!(
                    "line longer than {MAX_LINE} bytes, starting \"{}\"",
                    clip_bytes(&head)
                );
                let e = self.err(line, message);
                Err(self.fail_before_header(e))
            }
            Err(RecordError::OpenQuote { line, too_long }) => {
                let e = self.open_quote(line, too_long);
                Err(self.fail_before_header(e))
            }
        }
    }

    /// The error for a quote left open until the end of the input, or for more than
    /// [`MAX_LINE`] bytes (`too_long`): the quoted field is the record's last.
    fn open_quote(&self, line: u64, too_long: bool) -> TraceError {
        let record = self.records.record();
        let last = record.len().saturating_sub(1);
        let value = record.get(last).unwrap_or_default();
        let value = value.strip_suffix(b"\n").unwrap_or(value);
        let value = value.strip_suffix(b"\r").unwrap_or(value);
        let mut text = Vec::with_capacity(value.len().min(1024) + 1);
        text.push(b'"');
        text.extend_from_slice(value.get(..value.len().min(1024)).unwrap_or_default());
        let names = self.columns.as_ref().map_or(&[][..], |c| &c.names[..]);
        let ctx = Ctx {
            path: &self.shown,
            line,
            names,
        };
        let why = if too_long {
            format!(" (still open after {MAX_LINE} bytes)")
        } else {
            String::new()
        };
        ctx.err(
            Some(last),
            &text,
            format!("unterminated quote in \"{}\"{why}", clip_bytes(&text)),
        )
    }

    /// A line error with no column and no text.
    fn err(&self, line: u64, message: String) -> TraceError {
        let ctx = Ctx {
            path: &self.shown,
            line,
            names: &[],
        };
        ctx.err(None, b"", message)
    }

    /// Without a header nothing after an error can be read: it becomes fatal.
    fn fail_before_header(&mut self, e: TraceError) -> TraceError {
        if self.columns.is_none() {
            self.fail(e)
        } else {
            e
        }
    }

    fn fail(&mut self, e: TraceError) -> TraceError {
        self.fatal = Some(e.clone());
        e
    }

    fn io_error(&mut self, e: &std::io::Error) -> TraceError {
        let what = match self.compression {
            Compression::None => "read error",
            Compression::Gzip => "gzip decompression failed",
            Compression::Zstd => "zstd decompression failed",
        };
        let err = TraceError::io(
            &self.shown,
            format!("{what} after line {}: {e}", self.line()),
        );
        self.fail(err)
    }
}

/// Whether the record is a blank line: one field of spaces and tabs at most (the `csv`
/// crate already skips empty lines).
fn is_blank(rec: &::csv::ByteRecord) -> bool {
    rec.len() == 1
        && rec
            .get(0)
            .is_some_and(|f| f.iter().all(|&b| b == b' ' || b == b'\t'))
}

/// The warning for `n` reads/writes cut to [`MAX_RW_COUNT`], the first at `first`
/// ("line 7", "record 3").
pub(crate) fn long_transfer_warning(shown: &str, n: u64, first: &str) -> String {
    const WHY: &str = "the most one read(2)/write(2) moves (Linux's MAX_RW_COUNT)";
    if n == 1 {
        format!(
            "{shown}: the read/write at {first} is longer than {MAX_RW_COUNT} bytes: replayed as a {MAX_RW_COUNT}-byte short transfer, {WHY}"
        )
    } else {
        format!(
            "{shown}: {n} reads/writes longer than {MAX_RW_COUNT} bytes (the first at {first}): replayed as {MAX_RW_COUNT}-byte short transfers, {WHY}"
        )
    }
}

#[cfg(test)]
mod tests;
