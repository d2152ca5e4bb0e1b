//! The byte source between the input text and the `csv` crate's reader.
//!
//! `csv::Reader` buffers its input, hides its parser state and grows a record for as
//! long as the record goes on. Three things the trace format needs are therefore
//! decided here, on the bytes as they pass, at the cost of one memcpy of the stream:
//!
//! * **Bounded memory.** A line longer than [`MAX_LINE`] (a newline-free binary file,
//!   say) ends the stream at that point ([`Stop::LongLine`]); so does a record whose
//!   quoted field runs on over lines for more than `MAX_LINE` bytes ([`Stop::Span`],
//!   only ever at a line boundary, where the parser is either between records or inside
//!   a quoted field). The reader reports the fault, skips what it must and starts a new
//!   `csv::Reader` on the rest.
//! * **How a record ended.** A record the end of the input closed has no terminator of
//!   its own, which the reader needs to know to find the line the record starts on;
//!   and if the last byte was a newline, that newline was inside an open quote.
//! * **The start of an over-long line**, for its error message.

use std::io::{self, BufRead, Read};

use super::MAX_LINE;

/// How much of the current line is kept for an over-long line's message: more than the
/// 80 characters an error shows, even in 4-byte UTF-8.
const HEAD: usize = 512;

/// Why the feed ended the stream early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stop {
    /// The current line is longer than [`MAX_LINE`] and has no newline yet.
    LongLine,
    /// The current read spans more than [`MAX_LINE`] bytes; stopped after a newline.
    Span,
}

/// The input as the `csv` reader sees it.
pub(super) struct Feed<R> {
    input: R,
    /// Bytes handed to the parser so far.
    delivered: u64,
    /// Value of `delivered` when the current `csv` reader started (its byte 0).
    origin: u64,
    /// Value of `delivered` where the current record read started.
    mark: u64,
    /// Bytes handed over since the last newline.
    line_len: u64,
    /// The first bytes of the current line.
    head: Vec<u8>,
    /// The last byte handed over.
    last: Option<u8>,
    /// The input has ended (for real).
    at_eof: bool,
    stop: Option<Stop>,
}

impl<R: BufRead> Feed<R> {
    pub(super) fn new(input: R) -> Feed<R> {
        Feed {
            input,
            delivered: 0,
            origin: 0,
            mark: 0,
            line_len: 0,
            head: Vec::with_capacity(HEAD),
            last: None,
            at_eof: false,
            stop: None,
        }
    }

    /// A record read starts at `byte` of the stream, as the current `csv` reader
    /// counts.
    pub(super) fn begin(&mut self, byte: u64) {
        self.mark = self.origin + byte;
    }

    /// Why the stream was ended early, if it was.
    pub(super) fn stop(&self) -> Option<Stop> {
        self.stop
    }

    /// Whether the input itself has ended.
    pub(super) fn at_eof(&self) -> bool {
        self.at_eof
    }

    /// The last byte handed to the parser.
    pub(super) fn last_byte(&self) -> Option<u8> {
        self.last
    }

    /// The first bytes of the current line.
    pub(super) fn head(&self) -> &[u8] {
        &self.head
    }

    /// Go on after a stop, for a new `csv` reader: for [`Stop::LongLine`] the rest of
    /// the line is skipped first.
    pub(super) fn resume(&mut self) -> io::Result<()> {
        if self.stop == Some(Stop::LongLine) {
            self.skip_line()?;
        }
        self.origin = self.delivered;
        self.mark = self.delivered;
        self.stop = None;
        self.line_len = 0;
        self.head.clear();
        Ok(())
    }

    /// Skip to just after the next newline, or to the end of the input.
    fn skip_line(&mut self) -> io::Result<()> {
        loop {
            let chunk = self.input.fill_buf()?;
            let Some(&end) = chunk.last() else {
                self.at_eof = true;
                return Ok(());
            };
            let (n, found) = match chunk.iter().position(|&b| b == b'\n') {
                Some(p) => (p + 1, true),
                None => (chunk.len(), false),
            };
            self.last = Some(if found { b'\n' } else { end });
            self.input.consume(n);
            self.delivered += n as u64;
            if found {
                return Ok(());
            }
        }
    }

    /// Account for `bytes`, about to be handed over.
    fn note(&mut self, bytes: &[u8]) {
        match bytes.iter().rposition(|&b| b == b'\n') {
            Some(p) => {
                let rest = bytes.get(p + 1..).unwrap_or_default();
                self.line_len = rest.len() as u64;
                self.head.clear();
                self.head
                    .extend_from_slice(rest.get(..HEAD.min(rest.len())).unwrap_or_default());
            }
            None => {
                self.line_len += bytes.len() as u64;
                let room = HEAD.saturating_sub(self.head.len()).min(bytes.len());
                self.head
                    .extend_from_slice(bytes.get(..room).unwrap_or_default());
            }
        }
        if let Some(&b) = bytes.last() {
            self.last = Some(b);
        }
        self.delivered += bytes.len() as u64;
    }
}

impl<R: BufRead> Read for Feed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stop.is_some() || buf.is_empty() {
            return Ok(0);
        }
        if self.line_len > MAX_LINE as u64 {
            self.stop = Some(Stop::LongLine);
            return Ok(0);
        }
        let over = self.delivered.saturating_sub(self.mark) > MAX_LINE as u64;
        if over && self.line_len == 0 {
            self.stop = Some(Stop::Span);
            return Ok(0);
        }
        let chunk = self.input.fill_buf()?;
        if chunk.is_empty() {
            self.at_eof = true;
            return Ok(0);
        }
        let mut n = chunk.len().min(buf.len());
        // What may still come of the current line before it is too long.
        let room = usize::try_from((MAX_LINE as u64 + 1).saturating_sub(self.line_len))
            .unwrap_or(usize::MAX);
        let newline = chunk
            .get(..n)
            .and_then(|c| c.iter().position(|&b| b == b'\n'));
        match newline {
            Some(p) if p < room => {
                if over {
                    // Hand over the rest of this line only: the next call stops.
                    n = p + 1;
                }
            }
            // No newline in time: the next call stops the line.
            _ => n = n.min(room),
        }
        let (Some(src), Some(dst)) = (chunk.get(..n), buf.get_mut(..n)) else {
            return Ok(0);
        };
        dst.copy_from_slice(src);
        self.input.consume(n);
        self.note(dst);
        Ok(n)
    }
}
