//! Line reading and number parsing shared by the fio and block importers.
use std::io::{BufRead, Read};

use super::TraceError;
use crate::trace::MAX_LINE;

/// Reads physical lines into one reused buffer (no allocation per line), with the
/// trace reader's line-length cap so a binary file cannot be read into memory whole.
pub(in crate::import) struct LineReader<'a> {
    input: &'a mut dyn BufRead,
    path: &'a str,
    buf: Vec<u8>,
    line: u64,
}

impl<'a> LineReader<'a> {
    pub(in crate::import) fn new(input: &'a mut dyn BufRead, path: &'a str) -> Self {
        LineReader {
            input,
            path,
            buf: Vec::with_capacity(256),
            line: 0,
        }
    }

    /// Lines read so far (the number of the last line returned).
    pub(in crate::import) fn line(&self) -> u64 {
        self.line
    }

    /// The next line (1-based number, text without `\n` or `\r\n`); `None` at the
    /// end. Read errors, over-long lines and non-UTF-8 text are errors.
    pub(in crate::import) fn next_line(&mut self) -> Result<Option<(u64, &str)>, TraceError> {
        self.buf.clear();
        let input: &mut dyn BufRead = &mut *self.input;
        let n = Read::take(input, MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| {
                TraceError::io(
                    self.path,
                    format!("read error after line {}: {e}", self.line),
                )
            })?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        if self.buf.len() > MAX_LINE && self.buf.last() != Some(&b'\n') {
            let start = String::from_utf8_lossy(&self.buf[..self.buf.len().min(200)]);
            return Err(TraceError::parse(
                self.path,
                self.line,
                None,
                &start,
                format!("line longer than {MAX_LINE} bytes, starting \"{start}\""),
            ));
        }
        let mut end = self.buf.len();
        if end > 0 && self.buf[end - 1] == b'\n' {
            end -= 1;
        }
        if end > 0 && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        match std::str::from_utf8(&self.buf[..end]) {
            Ok(s) => Ok(Some((self.line, s))),
            Err(e) => {
                let text = String::from_utf8_lossy(&self.buf[..end]);
                Err(TraceError::parse(
                    self.path,
                    self.line,
                    None,
                    &text,
                    format!(
                        "not UTF-8 text (bad byte at column {})",
                        e.valid_up_to() + 1
                    ),
                ))
            }
        }
    }
}

/// A plain decimal u64 (digits only: no sign, no blanks, no hex).
pub(in crate::import) fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

/// A non-negative decimal number (`12`, `0.551706`, `.5`, `3.`) times `unit`
/// (nanoseconds per unit), exactly, truncated to whole nanoseconds; `None` if it is
/// not such a number or does not fit in a u64.
pub(in crate::import) fn parse_decimal(s: &str, unit: u64) -> Option<u64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = if int.is_empty() { 0 } else { parse_u64(int)? };
    let mut v = whole.checked_mul(unit)?;
    // Digits past the 19th cannot change a whole nanosecond of any unit here.
    let digits = &frac[..frac.len().min(19)];
    if !digits.is_empty() {
        let f = parse_u64(digits)? as u128;
        let scale = 10u128.pow(digits.len() as u32);
        let part = f * u128::from(unit) / scale;
        v = v.checked_add(u64::try_from(part).ok()?)?;
    }
    Some(v)
}
