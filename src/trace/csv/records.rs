//! CSV records with the physical line each starts on, for every CSV vpsim reads as
//! text with line-numbered errors (traces, block traces).
//!
//! One `csv::Reader` reads into one reused `ByteRecord`. Around it this adds what the
//! crate leaves to its caller: the line a record *starts* on (the crate's position is
//! where its read began, before skipped comment and empty lines, and a quoted field may
//! hold line breaks), the bounds of [`Feed`], and a new reader after a stop. Lines end
//! at `\n`; the `\r` of a CRLF end is stripped from the last field, so a stray `\r`
//! inside a line stays in its field, as it did before the crate.

use std::io::BufRead;

use ::csv::{ByteRecord, ReaderBuilder, Terminator};

use super::feed::{Feed, Stop};

/// The `csv` reader's buffer: large enough that refills cost nothing per record.
const CSV_BUFFER: usize = 64 * 1024;

/// What stopped a record from being read.
#[derive(Debug)]
pub(crate) enum RecordError {
    /// Line `line` is longer than `MAX_LINE` bytes and starts with `head`; reading goes
    /// on after it.
    LongLine { line: u64, head: Vec<u8> },
    /// The record starting on `line` (in [`Records::record`]) has a quoted field, its
    /// last, left open until the end of the input or, `too_long`, for more than
    /// `MAX_LINE` bytes (reading goes on after them).
    OpenQuote { line: u64, too_long: bool },
    /// The input cannot be read.
    Io(std::io::Error),
}

/// Records of a CSV text with their line numbers.
pub(crate) struct Records<R: BufRead> {
    /// `None` only while a reader is being replaced after a [`Stop`].
    csv: Option<::csv::Reader<Feed<R>>>,
    comment: Option<u8>,
    record: ByteRecord,
    /// Where a last field is rebuilt without its `\r`.
    scratch: Vec<u8>,
    /// Line number, in the file, of the line before the current `csv` reader's first
    /// (each reader after a stop counts from 1 again).
    base: u64,
}

impl<R: BufRead> Records<R> {
    /// Records of `input`; lines starting with `comment` are skipped. Fields are
    /// neither trimmed nor counted here: callers say what is wrong with them.
    pub(crate) fn new(input: R, comment: Option<u8>) -> Records<R> {
        Records {
            csv: Some(reader(Feed::new(input), comment)),
            comment,
            record: ByteRecord::with_capacity(256, 8),
            scratch: Vec::new(),
            base: 0,
        }
    }

    /// The record the last [`Records::next`] read.
    pub(crate) fn record(&self) -> &ByteRecord {
        &self.record
    }

    /// 1-based physical line number of the last line read (0 before any); at the end,
    /// the number of lines of the input.
    pub(crate) fn line(&self) -> u64 {
        let Some(csv) = &self.csv else {
            return self.base;
        };
        let feed = csv.get_ref();
        // A last line without a newline is a line too.
        let open_tail = feed.at_eof() && feed.last_byte().is_some_and(|b| b != b'\n');
        self.base + csv.position().line().saturating_sub(1) + u64::from(open_tail)
    }

    /// Read the next record and return the line it starts on; `None` at the end.
    pub(crate) fn next(&mut self) -> Result<Option<u64>, RecordError> {
        loop {
            let Some(csv) = self.csv.as_mut() else {
                return Ok(None);
            };
            let before = csv.position().line();
            let byte = csv.position().byte();
            csv.get_mut().begin(byte);
            let got = match csv.read_byte_record(&mut self.record) {
                Ok(got) => got,
                Err(e) => {
                    let e = match e.into_kind() {
                        ::csv::ErrorKind::Io(e) => e,
                        other => std::io::Error::other(format!("{other:?}")),
                    };
                    return Err(RecordError::Io(e));
                }
            };
            let after = csv.position().line();
            let feed = csv.get_ref();
            let stop = feed.stop();
            // Closed by the end of the input (or a stop), not by a newline of its own.
            let unterminated = feed.at_eof() || stop.is_some();
            // A record the end closed, after a newline: the newline was in a quote.
            let open_at_eof = feed.at_eof() && feed.last_byte() == Some(b'\n');
            if stop == Some(Stop::LongLine) {
                let e = RecordError::LongLine {
                    line: self.base + after,
                    head: feed.head().to_vec(),
                };
                self.restart(after)?;
                return Err(e);
            }
            if !got {
                if stop == Some(Stop::Span) {
                    // Only comment and empty lines so far: nothing lost, read on.
                    self.restart(after.saturating_sub(1))?;
                    continue;
                }
                return Ok(None);
            }
            let start = if !unterminated && after == before + 1 {
                // The common case: one line, one record, nothing skipped before it.
                before
            } else {
                // Newlines inside quoted fields are kept in the record; the rest of
                // the lines consumed were skipped before it.
                let inside = self.record.as_slice().iter().filter(|&&b| b == b'\n');
                after
                    .saturating_sub(inside.count() as u64)
                    .saturating_sub(u64::from(!unterminated))
            };
            let line = self.base + start;
            if stop == Some(Stop::Span) || open_at_eof {
                let too_long = stop.is_some();
                if too_long {
                    self.restart(after.saturating_sub(1))?;
                }
                return Err(RecordError::OpenQuote { line, too_long });
            }
            strip_cr(&mut self.record, &mut self.scratch);
            return Ok(Some(line));
        }
    }

    /// Replace the `csv` reader after a [`Stop`], `lines` of its lines being done.
    fn restart(&mut self, lines: u64) -> Result<(), RecordError> {
        let Some(old) = self.csv.take() else {
            return Ok(());
        };
        let mut feed = old.into_inner();
        self.base += lines;
        feed.resume().map_err(RecordError::Io)?;
        self.csv = Some(reader(feed, self.comment));
        Ok(())
    }
}

/// The reader: the header is a record like any other (its caller checks it), and so are
/// field counts, hence `flexible`.
fn reader<R: BufRead>(feed: Feed<R>, comment: Option<u8>) -> ::csv::Reader<Feed<R>> {
    ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(comment)
        .terminator(Terminator::Any(b'\n'))
        .buffer_capacity(CSV_BUFFER)
        .from_reader(feed)
}

/// Drop the `\r` of a CRLF line end from the last field.
#[inline]
fn strip_cr(rec: &mut ByteRecord, scratch: &mut Vec<u8>) {
    // The last field's bytes end the record's: without a final `\r` there is nothing
    // to do (the path of every LF trace).
    if rec.as_slice().last() != Some(&b'\r') {
        return;
    }
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

/// The record's fields joined by commas, for messages that show a whole row: the line
/// as it was written unless a field was quoted (quotes are not put back: on a line that
/// was never CSV, such as a log given by mistake, that would only add noise). Only
/// built on the error path.
pub(crate) fn record_text(rec: &ByteRecord) -> Vec<u8> {
    let mut text = Vec::with_capacity(rec.as_slice().len() + rec.len());
    for (i, field) in rec.iter().enumerate() {
        if i > 0 {
            text.push(b',');
        }
        text.extend_from_slice(field);
    }
    text
}
