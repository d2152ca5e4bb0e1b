//! The streaming reader of the CSV trace format (trace-format.md).
//!
//! One line buffer, one field-range vector and one scratch buffer are reused for every
//! row, so reading allocates nothing per event (interning allocates once per new file
//! name) and memory does not grow with the trace. Parsing is byte-level: numbers are
//! parsed by hand (plain decimal only, as the format says), ops and flag words are
//! compared as bytes, and only the `file` field is turned into a `&str`.
//!
//! Quoted fields (`"a,b"`, `""` for a quote) are supported on one physical line; a quote
//! left open at the end of the line is an error, so line numbers stay physical.

use std::borrow::Cow;
use std::io::{BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::error::{TraceError, clip_bytes};
use super::event::{Event, Flags, MAX_RW_COUNT, Op};
use super::input::{Compression, Input, display_name};
use super::intern::FileTable;

/// Longest accepted line; anything longer is garbage (paths are at most 4 KiB), and
/// the cap keeps a newline-free binary file from being read into memory whole.
pub const MAX_LINE: usize = 1 << 20;

/// The columns every trace must have, in the order errors name them.
pub const REQUIRED_COLUMNS: [&str; 6] = ["time_ns", "pid", "op", "file", "offset", "length"];

/// Positions of the known columns in the header.
#[derive(Clone, Debug)]
struct Columns {
    /// Every header name as written (trimmed), for error messages.
    names: Vec<String>,
    time: usize,
    pid: usize,
    op: usize,
    file: usize,
    offset: usize,
    length: usize,
    flags: Option<usize>,
}

/// One field of the current line: a byte range of the line buffer. For a quoted
/// field the range excludes the quotes; `escaped` says it contains `""` pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Field {
    start: usize,
    end: usize,
    escaped: bool,
}

/// A quoting error while splitting a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SplitError {
    /// A field opened with `"` has no closing quote on this line.
    Unterminated { field: usize, start: usize },
    /// Text follows the closing quote of a field.
    AfterQuote { field: usize, start: usize },
}

/// Error context of the current line.
struct Ctx<'a> {
    path: &'a str,
    line: u64,
    names: &'a [String],
}

impl Ctx<'_> {
    fn err(&self, col: Option<usize>, text: &[u8], message: String) -> TraceError {
        let column = col.and_then(|c| self.names.get(c)).map(String::as_str);
        TraceError::parse(self.path, self.line, column, &clip_bytes(text), message)
    }

    fn err_named(&self, column: Option<&str>, text: &[u8], message: String) -> TraceError {
        TraceError::parse(self.path, self.line, column, &clip_bytes(text), message)
    }
}

/// Reads a CSV trace row by row into [`Event`]s.
///
/// `next_event` returns `Ok(None)` at the end. After a malformed data line it returns
/// the error and, if called again, goes on with the next line (this is how `check`
/// reports every bad line); after a bad header or an I/O error it keeps returning that
/// error ([`TraceReader::is_fatal`]).
pub struct TraceReader {
    path: String,
    shown: String,
    input: Input,
    buf: Vec<u8>,
    fields: Vec<Field>,
    scratch: Vec<u8>,
    line: u64,
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
            .field("line", &self.line)
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
            input,
            buf: Vec::with_capacity(256),
            fields: Vec::with_capacity(8),
            scratch: Vec::new(),
            line: 0,
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

    /// 1-based physical line number of the last line read (0 before any).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Number of events returned so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Bytes of the file on disk consumed so far (compressed bytes for compressed
    /// traces), for progress bars; runs a buffer's worth ahead of the parser.
    pub fn bytes_read(&self) -> u64 {
        self.input.bytes_read()
    }

    /// Size of the file on disk, `None` for stdin.
    pub fn total_bytes(&self) -> Option<u64> {
        self.input.total_bytes()
    }

    /// Shared counter behind [`TraceReader::bytes_read`], for a progress thread.
    pub fn progress_counter(&self) -> Arc<AtomicU64> {
        self.input.progress_counter()
    }

    /// The compression detected when opening.
    pub fn compression(&self) -> Compression {
        self.input.compression()
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
            if !self.read_line()? {
                return Ok(None);
            }
            let (start, end) = content_range(&self.buf, self.line == 1);
            let content = self.buf.get(start..end).unwrap_or_default();
            if content.iter().all(|&b| b == b' ' || b == b'\t') || content.first() == Some(&b'#') {
                continue;
            }
            let Some(cols) = &self.columns else {
                match parse_header(content, &mut self.fields, &self.shown, self.line) {
                    Ok(c) => {
                        self.columns = Some(c);
                        continue;
                    }
                    Err(e) => {
                        self.fatal = Some(e.clone());
                        return Err(e);
                    }
                }
            };
            let ctx = Ctx {
                path: &self.shown,
                line: self.line,
                names: &cols.names,
            };
            let mut ev = parse_row(
                content,
                cols,
                &mut self.fields,
                &mut self.scratch,
                files,
                &ctx,
            )?;
            match self.last_time {
                Some(prev) if ev.time_ns < prev => {
                    if self.backwards == 0 {
                        self.first_backwards = self.line;
                    }
                    self.backwards += 1;
                    ev.time_ns = prev;
                }
                _ => self.last_time = Some(ev.time_ns),
            }
            if ev.clamp_transfer() {
                if self.long_transfers == 0 {
                    self.first_long_transfer = self.line;
                }
                self.long_transfers += 1;
            }
            self.events += 1;
            return Ok(Some(ev));
        }
    }

    /// Read the next physical line into `buf`; `false` at end of file. Over-long
    /// lines are skipped up to their newline and reported.
    fn read_line(&mut self) -> Result<bool, TraceError> {
        // Ctrl-C: a long read (prescan, check, a multi-GB load) stops promptly.
        if self.line % 8192 == 8191 && crate::interrupt::requested() {
            return Err(TraceError::io(&self.shown, "interrupted".into()));
        }
        self.buf.clear();
        let reader = self.input.reader();
        let res = reader
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut self.buf);
        let n = match res {
            Ok(n) => n,
            Err(e) => return Err(self.io_error(&e)),
        };
        if n == 0 {
            return Ok(false);
        }
        self.line += 1;
        if self.buf.len() > MAX_LINE && self.buf.last() != Some(&b'\n') {
            if let Err(e) = self.input.reader().skip_until(b'\n') {
                return Err(self.io_error(&e));
            }
            let names = self.columns.as_ref().map_or(&[][..], |c| &c.names[..]);
            let ctx = Ctx {
                path: &self.shown,
                line: self.line,
                names,
            };
            let e = ctx.err(
                None,
                b"",
                format!(
                    "line longer than {MAX_LINE} bytes, starting \"{}\"",
                    clip_bytes(&self.buf)
                ),
            );
            // Without a header we cannot go on; with one, `check` can resync.
            if self.columns.is_none() {
                self.fatal = Some(e.clone());
            }
            return Err(e);
        }
        Ok(true)
    }

    fn io_error(&mut self, e: &std::io::Error) -> TraceError {
        let what = match self.input.compression() {
            Compression::None => "read error",
            Compression::Gzip => "gzip decompression failed",
            Compression::Zstd => "zstd decompression failed",
        };
        let err = TraceError::io(&self.shown, format!("{what} after line {}: {e}", self.line));
        self.fatal = Some(err.clone());
        err
    }
}

/// The line without its terminator (`\n`, `\r\n`) and, on line 1, a UTF-8 BOM.
fn content_range(buf: &[u8], first_line: bool) -> (usize, usize) {
    let mut end = buf.len();
    if end > 0 && buf[end - 1] == b'\n' {
        end -= 1;
    }
    if end > 0 && buf[end - 1] == b'\r' {
        end -= 1;
    }
    let start = if first_line && buf.starts_with(b"\xEF\xBB\xBF") {
        3.min(end)
    } else {
        0
    };
    (start, end)
}

/// Split a line into fields (CSV quoting on one line).
fn split(line: &[u8], out: &mut Vec<Field>) -> Result<(), SplitError> {
    out.clear();
    let mut i = 0;
    loop {
        let rest = line.get(i..).unwrap_or_default();
        if rest.first() == Some(&b'"') {
            let mut j = i + 1;
            let mut escaped = false;
            let close = loop {
                let tail = line.get(j..).unwrap_or_default();
                match tail.iter().position(|&b| b == b'"') {
                    None => {
                        return Err(SplitError::Unterminated {
                            field: out.len(),
                            start: i,
                        });
                    }
                    Some(p) => {
                        let q = j + p;
                        if line.get(q + 1) == Some(&b'"') {
                            escaped = true;
                            j = q + 2;
                        } else {
                            break q;
                        }
                    }
                }
            };
            out.push(Field {
                start: i + 1,
                end: close,
                escaped,
            });
            match line.get(close + 1) {
                None => return Ok(()),
                Some(b',') => i = close + 2,
                Some(_) => {
                    return Err(SplitError::AfterQuote {
                        field: out.len() - 1,
                        start: i,
                    });
                }
            }
        } else {
            match rest.iter().position(|&b| b == b',') {
                Some(p) => {
                    out.push(Field {
                        start: i,
                        end: i + p,
                        escaped: false,
                    });
                    i += p + 1;
                }
                None => {
                    out.push(Field {
                        start: i,
                        end: line.len(),
                        escaped: false,
                    });
                    return Ok(());
                }
            }
        }
    }
}

/// The raw bytes of a field (still with `""` pairs if escaped).
fn raw(line: &[u8], f: Field) -> &[u8] {
    line.get(f.start..f.end).unwrap_or_default()
}

/// The value of a field, with `""` pairs unescaped into `scratch` when needed.
fn value<'a>(line: &'a [u8], f: Field, scratch: &'a mut Vec<u8>) -> &'a [u8] {
    let r = raw(line, f);
    if !f.escaped {
        return r;
    }
    scratch.clear();
    let mut prev_quote = false;
    for &b in r {
        if b == b'"' && prev_quote {
            prev_quote = false;
            continue;
        }
        prev_quote = b == b'"';
        scratch.push(b);
    }
    scratch
}

/// The field at `idx` of the current row (rows were checked to have every column).
fn field(fields: &[Field], idx: usize) -> Field {
    fields.get(idx).copied().unwrap_or(Field {
        start: 0,
        end: 0,
        escaped: false,
    })
}

/// Turn a split error into a line error.
fn split_error(ctx: &Ctx, line: &[u8], e: SplitError) -> TraceError {
    match e {
        SplitError::Unterminated { field, start } => {
            let text = line.get(start..).unwrap_or_default();
            ctx.err(
                Some(field),
                text,
                format!("unterminated quote in \"{}\"", clip_bytes(text)),
            )
        }
        SplitError::AfterQuote { field, start } => {
            let end = line
                .get(start..)
                .unwrap_or_default()
                .iter()
                .skip(1)
                .position(|&b| b == b',')
                .map_or(line.len(), |p| start + 1 + p);
            let text = line.get(start..end).unwrap_or_default();
            ctx.err(
                Some(field),
                text,
                format!("text after the closing quote in \"{}\"", clip_bytes(text)),
            )
        }
    }
}

/// Check the line is UTF-8; if not, name the field holding the first bad byte.
fn check_utf8(ctx: &Ctx, line: &[u8], fields: &mut Vec<Field>) -> Result<(), TraceError> {
    let Err(e) = std::str::from_utf8(line) else {
        return Ok(());
    };
    let pos = e.valid_up_to();
    let found = split(line, fields)
        .ok()
        .and_then(|()| fields.iter().position(|f| f.start <= pos && pos <= f.end));
    match found {
        Some(i) => {
            let text = raw(line, field(fields, i));
            Err(ctx.err(
                Some(i),
                text,
                format!("invalid UTF-8 in \"{}\"", clip_bytes(text)),
            ))
        }
        None => Err(ctx.err(
            None,
            line,
            format!("invalid UTF-8 in \"{}\"", clip_bytes(line)),
        )),
    }
}

/// Parse the header line into column positions.
fn parse_header(
    line: &[u8],
    fields: &mut Vec<Field>,
    path: &str,
    lineno: u64,
) -> Result<Columns, TraceError> {
    let ctx = Ctx {
        path,
        line: lineno,
        names: &[],
    };
    check_utf8(&ctx, line, fields)?;
    split(line, fields).map_err(|e| split_error(&ctx, line, e))?;
    let mut scratch = Vec::new();
    let mut names = Vec::with_capacity(fields.len());
    let mut pos: [Option<usize>; 7] = [None; 7];
    for (i, f) in fields.iter().enumerate() {
        let v = value(line, *f, &mut scratch);
        let name = String::from_utf8_lossy(v).trim().to_string();
        let known = REQUIRED_COLUMNS
            .iter()
            .chain(std::iter::once(&"flags"))
            .position(|c| c.eq_ignore_ascii_case(&name));
        if let Some(k) = known
            && let Some(slot) = pos.get_mut(k)
        {
            if slot.is_some() {
                return Err(ctx.err_named(
                    None,
                    name.as_bytes(),
                    format!("duplicate column \"{name}\" in the header"),
                ));
            }
            *slot = Some(i);
        }
        names.push(name);
    }
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .zip(pos.iter())
        .filter(|(_, p)| p.is_none())
        .map(|(c, _)| *c)
        .collect();
    if missing.len() == REQUIRED_COLUMNS.len() {
        return Err(ctx.err_named(
            None,
            line,
            format!(
                "no header: the first line must name the columns ({}), found \"{}\"",
                REQUIRED_COLUMNS.join(","),
                clip_bytes(line)
            ),
        ));
    }
    if !missing.is_empty() {
        let list = missing
            .iter()
            .map(|m| format!("\"{m}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let what = if missing.len() == 1 {
            "column"
        } else {
            "columns"
        };
        return Err(ctx.err_named(
            None,
            missing.first().map_or(&b""[..], |m| m.as_bytes()),
            format!("the header has no {what} {list}"),
        ));
    }
    let p = |k: usize| pos.get(k).copied().flatten().unwrap_or(0);
    Ok(Columns {
        names,
        time: p(0),
        pid: p(1),
        op: p(2),
        file: p(3),
        offset: p(4),
        length: p(5),
        flags: pos.get(6).copied().flatten(),
    })
}

/// Why a number field is not a plain decimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NumError {
    Negative,
    Space,
    NotDigits,
    Overflow,
}

/// Parse a plain decimal number no larger than `max`.
fn parse_num(s: &[u8], max: u64) -> Result<u64, NumError> {
    if s.is_empty() {
        return Err(NumError::NotDigits);
    }
    let mut v: u64 = 0;
    for &b in s {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(classify(s));
        }
        v = match v.checked_mul(10).and_then(|v| v.checked_add(u64::from(d))) {
            Some(v) => v,
            None => return Err(NumError::Overflow),
        };
    }
    if v > max {
        return Err(NumError::Overflow);
    }
    Ok(v)
}

fn classify(s: &[u8]) -> NumError {
    if s.iter().any(|b| b.is_ascii_whitespace()) {
        NumError::Space
    } else if let [b'-', rest @ ..] = s
        && !rest.is_empty()
        && rest.iter().all(u8::is_ascii_digit)
    {
        NumError::Negative
    } else {
        NumError::NotDigits
    }
}

/// A number field as u64 (or u32 when `max` says so), with the format's messages.
fn number(ctx: &Ctx, col: usize, s: &[u8], max: u64) -> Result<u64, TraceError> {
    if s.is_empty() {
        return Err(ctx.err(
            Some(col),
            b"",
            "empty field, required for every row".to_string(),
        ));
    }
    parse_num(s, max).map_err(|e| {
        let t = clip_bytes(s);
        let msg = match e {
            NumError::Negative => format!("negative number \"{t}\""),
            NumError::Space => format!("bad number \"{t}\": spaces are not allowed"),
            NumError::NotDigits => {
                format!("bad number \"{t}\": expected a plain decimal number")
            }
            NumError::Overflow => format!("number \"{t}\" is too large (max {max})"),
        };
        ctx.err(Some(col), s, msg)
    })
}

/// Parse one data row into an event.
fn parse_row(
    line: &[u8],
    cols: &Columns,
    fields: &mut Vec<Field>,
    scratch: &mut Vec<u8>,
    files: &mut FileTable,
    ctx: &Ctx,
) -> Result<Event, TraceError> {
    check_utf8(ctx, line, fields)?;
    split(line, fields).map_err(|e| split_error(ctx, line, e))?;
    let want = cols.names.len();
    let have = fields.len();
    if have < want {
        return Err(ctx.err(
            Some(have),
            line,
            format!(
                "too few fields ({have} of {want}) in \"{}\"",
                clip_bytes(line)
            ),
        ));
    }
    if have > want {
        return Err(ctx.err(
            None,
            line,
            format!(
                "too many fields ({have} for {want} columns; quote file names that contain commas) in \"{}\"",
                clip_bytes(line)
            ),
        ));
    }
    let fields: &[Field] = fields;
    let get = |idx: usize| cow_value(line, field(fields, idx));

    let time_ns = number(ctx, cols.time, &get(cols.time), u64::MAX)?;
    let pid = number(ctx, cols.pid, &get(cols.pid), u64::from(u32::MAX))? as u32;

    let op_text = get(cols.op);
    let Some(op) = Op::parse(&op_text) else {
        let msg = if op_text.is_empty() {
            "empty field, required for every row".to_string()
        } else {
            format!("unknown op \"{}\"", clip_bytes(&op_text))
        };
        return Err(ctx.err(Some(cols.op), &op_text, msg));
    };

    let mut offset = 0;
    let mut has_offset = false;
    if op.takes_offset() {
        let t = get(cols.offset);
        if t.is_empty() {
            if op.needs_offset() {
                return Err(ctx.err(
                    Some(cols.offset),
                    b"",
                    format!("empty field, {} needs an offset", op.name()),
                ));
            }
        } else {
            offset = number(ctx, cols.offset, &t, u64::MAX)?;
            has_offset = true;
        }
    }

    let mut length = 0;
    let mut has_length = false;
    if op.takes_length() {
        let t = get(cols.length);
        if t.is_empty() {
            if op.needs_length() {
                return Err(ctx.err(
                    Some(cols.length),
                    b"",
                    format!("empty field, {} needs a length", op.name()),
                ));
            }
        } else {
            length = number(ctx, cols.length, &t, u64::MAX)?;
            has_length = true;
            if has_offset && offset.checked_add(length).is_none() {
                return Err(ctx.err(
                    Some(cols.length),
                    &t,
                    format!(
                        "length \"{}\" at offset {offset} overflows u64",
                        clip_bytes(&t)
                    ),
                ));
            }
        }
    }

    let mut flags = Flags::NONE;
    if let Some(fc) = cols.flags {
        let t = get(fc);
        if !t.is_empty() {
            flags = parse_flags(ctx, fc, op, &t)?;
        }
        if op.takes_advice() {
            check_advice(ctx, Some(fc), op, &t)?;
        }
    } else if op.takes_advice() {
        check_advice(ctx, None, op, b"")?;
    }

    let name = value(line, field(fields, cols.file), scratch);
    if name.is_empty() {
        return Err(ctx.err(
            Some(cols.file),
            b"",
            "empty field, required for every row".to_string(),
        ));
    }
    let Ok(name) = std::str::from_utf8(name) else {
        // Unreachable after check_utf8, but never panic on input.
        return Err(ctx.err(
            Some(cols.file),
            name,
            format!("invalid UTF-8 in \"{}\"", clip_bytes(name)),
        ));
    };
    let file = files.intern(name);
    if op == Op::Open && has_length {
        files.note_open_length(file, length);
    }

    Ok(Event {
        time_ns,
        offset,
        length,
        file,
        pid,
        op,
        flags,
        has_offset,
        has_length,
    })
}

/// A field's value, allocating only for the (never valid) case of `""` escapes in a
/// non-file column.
fn cow_value(line: &[u8], f: Field) -> Cow<'_, [u8]> {
    if f.escaped {
        let mut v = Vec::new();
        value(line, f, &mut v);
        Cow::Owned(v)
    } else {
        Cow::Borrowed(raw(line, f))
    }
}

/// Parse a `flags` field: words joined by `|`, each valid for `op`.
fn parse_flags(ctx: &Ctx, col: usize, op: Op, text: &[u8]) -> Result<Flags, TraceError> {
    let mut flags = Flags::NONE;
    for word in text.split(|&b| b == b'|') {
        if let Some(f) = Flags::parse_word(op, word) {
            flags |= f;
            continue;
        }
        let valid = Flags::words_for(op);
        let hint = if valid.is_empty() {
            format!("{} takes no flags", op.name())
        } else {
            format!("valid for {}: {}", op.name(), valid.join(", "))
        };
        let w = clip_bytes(word);
        let msg = if word.is_empty() {
            format!("empty flag word in \"{}\" ({hint})", clip_bytes(text))
        } else if Op::ALL
            .iter()
            .any(|&o| Flags::parse_word(o, word).is_some())
        {
            format!("flag \"{w}\" is not valid for {} ({hint})", op.name())
        } else {
            format!("unknown flag \"{w}\" ({hint})")
        };
        return Err(ctx.err(Some(col), word, msg));
    }
    Ok(flags)
}

/// The `flags` field of an advice op (`fadvise`, `madvise`), its words already
/// checked by [`parse_flags`]: exactly one word, the advice. `col` is `None` when the
/// header has no `flags` column.
fn check_advice(ctx: &Ctx, col: Option<usize>, op: Op, text: &[u8]) -> Result<(), TraceError> {
    let words = if text.is_empty() {
        0
    } else {
        text.split(|&b| b == b'|').count()
    };
    if words == 1 {
        return Ok(());
    }
    let valid = Flags::words_for(op).join(", ");
    let name = op.name();
    match col {
        None => Err(ctx.err_named(
            Some("flags"),
            b"",
            format!("no flags column: {name} needs one advice word ({valid})"),
        )),
        Some(c) if words == 0 => Err(ctx.err(
            Some(c),
            b"",
            format!("empty field, {name} needs one advice word ({valid})"),
        )),
        Some(c) => Err(ctx.err(
            Some(c),
            text,
            format!(
                "{name} takes exactly one advice word, not \"{}\" (valid for {name}: {valid})",
                clip_bytes(text)
            ),
        )),
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
