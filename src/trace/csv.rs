//! The streaming reader of the CSV trace format (trace-format.md), on the `csv` crate.
//!
//! Records are read by one `csv::Reader` into one reused `ByteRecord`, so reading
//! allocates nothing per event (interning allocates once per new file name) and memory
//! does not grow with the trace. The crate does the CSV: RFC 4180 quoting, where a
//! quoted field may hold commas, `""` for a quote, and line breaks, so one record can
//! span lines. This file keeps what the crate does not know about: comment and blank
//! lines, the line a record starts on (errors name it), the bounds on a line and on a
//! record ([`feed`]), the header, clamped times and the warnings. What a record means
//! is [`row`]'s business.
//!
//! Lines end at `\n`; a `\r` before it is dropped, so CRLF traces read the same.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ::csv::{ByteRecord, ReaderBuilder, Terminator};

use super::error::{TraceError, clip_bytes};
use super::event::{Event, MAX_RW_COUNT};
use super::input::{Compression, Input, display_name};
use super::intern::FileTable;

mod feed;
mod row;

use feed::{Feed, Stop};
pub use row::REQUIRED_COLUMNS;
use row::{Columns, Ctx, parse_row};

/// Longest accepted line, and longest record however many lines it spans; anything
/// longer is garbage (paths are at most 4 KiB), and the cap keeps a newline-free binary
/// file, or a quote left open, from being read into memory whole.
pub const MAX_LINE: usize = 1 << 20;

/// The `csv` reader's buffer: large enough that refills cost nothing per record.
const CSV_BUFFER: usize = 64 * 1024;

/// The dialect of trace-format.md. The header is read as a record like any other and
/// checked by [`row`]; the field counts are checked there too, with the format's
/// messages, hence `flexible`. `\n` alone ends a record (a `\r` before it is
/// stripped here), so a stray `\r` inside a line stays in its field as it always has.
fn csv_reader(feed: Feed) -> ::csv::Reader<Feed> {
    ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .terminator(Terminator::Any(b'\n'))
        .buffer_capacity(CSV_BUFFER)
        .from_reader(feed)
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
    /// `None` only while a reader is being replaced after a [`Stop`].
    csv: Option<::csv::Reader<Feed>>,
    record: ByteRecord,
    /// Where a last field is rebuilt without its `\r`.
    scratch: Vec<u8>,
    /// Line number, in the file, of the line before the current `csv` reader's first
    /// (each reader after a stop counts from 1 again).
    base: u64,
    records: u64,
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
            csv: Some(csv_reader(Feed::new(input))),
            record: ByteRecord::with_capacity(256, 8),
            scratch: Vec::new(),
            base: 0,
            records: 0,
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
        let Some(csv) = &self.csv else {
            return self.base;
        };
        let feed = csv.get_ref();
        // A last line without a newline is a line too.
        let open_tail = feed.at_eof() && feed.last_byte().is_some_and(|b| b != b'\n');
        self.base + csv.position().line().saturating_sub(1) + u64::from(open_tail)
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
            if is_blank(&self.record) {
                continue;
            }
            let Some(cols) = &self.columns else {
                let ctx = Ctx {
                    path: &self.shown,
                    line,
                    names: &[],
                };
                match Columns::parse(&self.record, &ctx) {
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
            let mut ev = parse_row(&self.record, cols, files, &ctx)?;
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

    /// Read the next record into `self.record` and return the line it starts on;
    /// `None` at the end of the input. A trailing `\r` is stripped from its last field.
    fn next_record(&mut self) -> Result<Option<u64>, TraceError> {
        self.records += 1;
        // Ctrl-C: a long read (prescan, check, a multi-GB load) stops promptly.
        if self.records % 8192 == 0 && crate::interrupt::requested() {
            return Err(TraceError::io(&self.shown, "interrupted".into()));
        }
        loop {
            let Some(csv) = self.csv.as_mut() else {
                return Ok(None);
            };
            let before = csv.position().line();
            let byte = csv.position().byte();
            csv.get_mut().begin(byte);
            let got = match csv.read_byte_record(&mut self.record) {
                Ok(got) => got,
                Err(e) => return Err(self.read_error(e)),
            };
            let after = csv.position().line();
            let feed = csv.get_ref();
            let stop = feed.stop();
            // Closed by the end of the input (or a stop), not by a newline of its own.
            let unterminated = feed.at_eof() || stop.is_some();
            let open_quote_at_eof = feed.at_eof() && feed.last_byte() == Some(b'\n');
            if stop == Some(Stop::LongLine) {
                let message = format!(
                    "line longer than {MAX_LINE} bytes, starting \"{}\"",
                    clip_bytes(feed.head())
                );
                let e = self.err(self.base + after, message);
                self.restart(after)?;
                return Err(self.fail_before_header(e));
            }
            if !got {
                if stop == Some(Stop::Span) {
                    // Only comment and blank lines so far: nothing lost, read on.
                    self.restart(after.saturating_sub(1))?;
                    continue;
                }
                return Ok(None);
            }
            let start = if !unterminated && after == before + 1 {
                // The common case: one line, one record, nothing skipped before it.
                before
            } else {
                // Newlines inside quoted fields are kept in the record; what is left
                // of the lines consumed was skipped before the record.
                let inside = self.record.as_slice().iter().filter(|&&b| b == b'\n').count();
                after
                    .saturating_sub(inside as u64)
                    .saturating_sub(u64::from(!unterminated))
            };
            let line = self.base + start;
            if stop == Some(Stop::Span) || open_quote_at_eof {
                let e = self.open_quote(line, stop.is_some());
                if stop.is_some() {
                    self.restart(after.saturating_sub(1))?;
                }
                return Err(self.fail_before_header(e));
            }
            strip_cr(&mut self.record, &mut self.scratch);
            return Ok(Some(line));
        }
    }

    /// The error for a quote left open until the end of the input, or for more than
    /// [`MAX_LINE`] bytes (`too_long`): the quoted field is the record's last.
    fn open_quote(&self, line: u64, too_long: bool) -> TraceError {
        let last = self.record.len().saturating_sub(1);
        let value = self.record.get(last).unwrap_or_default();
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

    /// Replace the `csv` reader after a [`Stop`], `lines` of its lines being done.
    fn restart(&mut self, lines: u64) -> Result<(), TraceError> {
        let Some(old) = self.csv.take() else {
            return Ok(());
        };
        let mut feed = old.into_inner();
        self.base += lines;
        if let Err(e) = feed.resume() {
            return Err(self.io_error(&e));
        }
        self.csv = Some(csv_reader(feed));
        Ok(())
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

    fn read_error(&mut self, e: ::csv::Error) -> TraceError {
        match e.into_kind() {
            ::csv::ErrorKind::Io(e) => self.io_error(&e),
            other => {
                let err = TraceError::io(
                    &self.shown,
                    format!("read error after line {}: {other:?}", self.line()),
                );
                self.fail(err)
            }
        }
    }

    fn io_error(&mut self, e: &std::io::Error) -> TraceError {
        let what = match self.compression {
            Compression::None => "read error",
            Compression::Gzip => "gzip decompression failed",
            Compression::Zstd => "zstd decompression failed",
        };
        let err = TraceError::io(&self.shown, format!("{what} after line {}: {e}", self.line()));
        self.fail(err)
    }
}

/// Whether the record is a blank line: one field of spaces and tabs at most (the `csv`
/// crate already skips empty lines).
fn is_blank(rec: &ByteRecord) -> bool {
    rec.len() == 1 && rec.get(0).is_some_and(|f| f.iter().all(|&b| b == b' ' || b == b'\t'))
}

/// Drop the `\r` of a CRLF line end from the last field.
fn strip_cr(rec: &mut ByteRecord, scratch: &mut Vec<u8>) {
    let last = rec.len().saturating_sub(1);
    let Some(field) = rec.get(last) else {
        return;
    };
    if let Some(kept) = field.strip_suffix(b"\r") {
        scratch.clear();
        scratch.extend_from_slice(kept);
        rec.truncate(last);
        rec.push_field(scratch);
    }
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
