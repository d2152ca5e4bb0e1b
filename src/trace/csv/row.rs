//! From CSV records to [`Event`]s: the header and the data rows of trace-format.md.
//!
//! The `csv` crate has already split and unquoted the record; what is left is the
//! contract's meaning, checked strictly because a trace that replays with a silently
//! wrong column is worse than one that does not replay. Numbers are parsed by hand
//! (plain decimal only, as the format says, with a message for each way one is wrong),
//! ops and flag words are compared as bytes, and only the `file` field becomes a `&str`.
//! Nothing here allocates on the path of a good row.

use ::csv::ByteRecord;

use super::records::record_text;
use crate::trace::error::{TraceError, clip_bytes};
use crate::trace::event::{Event, Flags, Op};
use crate::trace::intern::FileTable;

/// The columns every trace must have, in the order errors name them.
pub const REQUIRED_COLUMNS: [&str; 6] = ["time_ns", "pid", "op", "file", "offset", "length"];

/// Positions of the known columns in the header.
#[derive(Clone, Debug)]
pub(super) struct Columns {
    /// Every header name as written (trimmed), for error messages.
    pub(super) names: Vec<String>,
    time: usize,
    pid: usize,
    op: usize,
    file: usize,
    offset: usize,
    length: usize,
    flags: Option<usize>,
}

/// Where a record is, for its errors: the trace, the line it starts on and the header's
/// names (empty while reading the header itself).
pub(super) struct Ctx<'a> {
    pub(super) path: &'a str,
    pub(super) line: u64,
    pub(super) names: &'a [String],
}

impl Ctx<'_> {
    /// An error about the field at index `col` (no column when `None` or past the header).
    pub(super) fn err(&self, col: Option<usize>, text: &[u8], message: String) -> TraceError {
        let column = col.and_then(|c| self.names.get(c)).map(String::as_str);
        TraceError::parse(self.path, self.line, column, &clip_bytes(text), message)
    }

    fn err_named(&self, column: Option<&str>, text: &[u8], message: String) -> TraceError {
        TraceError::parse(self.path, self.line, column, &clip_bytes(text), message)
    }
}

/// The field at `idx` (rows were checked to have every column).
fn field(rec: &ByteRecord, idx: usize) -> &[u8] {
    rec.get(idx).unwrap_or_default()
}

/// Check the record is UTF-8; if not, name the field holding the first bad byte.
fn check_utf8(ctx: &Ctx, rec: &ByteRecord) -> Result<(), TraceError> {
    // Nearly every record is ASCII, which is checked a word at a time.
    if rec.as_slice().is_ascii() {
        return Ok(());
    }
    let Err(e) = std::str::from_utf8(rec.as_slice()) else {
        return Ok(());
    };
    let pos = e.valid_up_to();
    let i = (0..rec.len())
        .find(|&i| rec.range(i).is_some_and(|r| r.start <= pos && pos < r.end))
        .unwrap_or(0);
    let text = field(rec, i);
    Err(ctx.err(
        Some(i),
        text,
        format!("invalid UTF-8 in \"{}\"", clip_bytes(text)),
    ))
}

impl Columns {
    /// Parse the header record into column positions.
    pub(super) fn parse(rec: &ByteRecord, ctx: &Ctx) -> Result<Columns, TraceError> {
        check_utf8(ctx, rec)?;
        let mut names = Vec::with_capacity(rec.len());
        let mut pos: [Option<usize>; 7] = [None; 7];
        for (i, v) in rec.iter().enumerate() {
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
            let line = record_text(rec);
            return Err(ctx.err_named(
                None,
                &line,
                format!(
                    "no header: the first line must name the columns ({}), found \"{}\"",
                    REQUIRED_COLUMNS.join(","),
                    clip_bytes(&line)
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
    // Up to 19 digits cannot overflow a u64 (the hot path: every number of a trace);
    // longer ones are checked digit by digit.
    let mut v: u64 = 0;
    if s.len() <= 19 {
        for &b in s {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return Err(classify(s));
            }
            v = v * 10 + u64::from(d);
        }
    } else {
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

/// Parse one data record into an event; new file names are interned into `files`.
pub(super) fn parse_row(
    rec: &ByteRecord,
    cols: &Columns,
    files: &mut FileTable,
    ctx: &Ctx,
) -> Result<Event, TraceError> {
    check_utf8(ctx, rec)?;
    let want = cols.names.len();
    let have = rec.len();
    if have < want {
        let line = record_text(rec);
        return Err(ctx.err(
            Some(have),
            &line,
            format!(
                "too few fields ({have} of {want}) in \"{}\"",
                clip_bytes(&line)
            ),
        ));
    }
    if have > want {
        let line = record_text(rec);
        return Err(ctx.err(
            None,
            &line,
            format!(
                "too many fields ({have} for {want} columns; quote file names that contain commas) in \"{}\"",
                clip_bytes(&line)
            ),
        ));
    }
    let get = |idx: usize| field(rec, idx);

    let time_ns = number(ctx, cols.time, get(cols.time), u64::MAX)?;
    let pid = number(ctx, cols.pid, get(cols.pid), u64::from(u32::MAX))? as u32;

    let op_text = get(cols.op);
    let Some(op) = Op::parse(op_text) else {
        let msg = if op_text.is_empty() {
            "empty field, required for every row".to_string()
        } else {
            format!("unknown op \"{}\"", clip_bytes(op_text))
        };
        return Err(ctx.err(Some(cols.op), op_text, msg));
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
            offset = number(ctx, cols.offset, t, u64::MAX)?;
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
            length = number(ctx, cols.length, t, u64::MAX)?;
            has_length = true;
            if has_offset && offset.checked_add(length).is_none() {
                return Err(ctx.err(
                    Some(cols.length),
                    t,
                    format!(
                        "length \"{}\" at offset {offset} overflows u64",
                        clip_bytes(t)
                    ),
                ));
            }
        }
    }

    let mut flags = Flags::NONE;
    if let Some(fc) = cols.flags {
        let t = get(fc);
        if !t.is_empty() {
            flags = parse_flags(ctx, fc, op, t)?;
        }
        if op.takes_advice() {
            check_advice(ctx, Some(fc), op, t)?;
        }
    } else if op.takes_advice() {
        check_advice(ctx, None, op, b"")?;
    }

    let name = get(cols.file);
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

#[cfg(test)]
mod tests;
