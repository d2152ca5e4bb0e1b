//! `vpsim import fio`: fio iologs (`--write_iolog`, versions 2 and 3) to traces.
//!
//! An iolog is a replay script: `FILE ACTION [OFFSET LENGTH]` per line (version 2), or
//! `TIMESTAMP FILE ACTION [OFFSET LENGTH]` (version 3), after a first line
//! `fio version N iolog`. What each line becomes, following fio's own replay code
//! (iolog.c, `read_iolog` and `read_iolog_get`):
//!
//! | action | row |
//! |---|---|
//! | `add` | none: it only declares the file; its `open` follows (counted) |
//! | `open`, `close` | `open` (size unknown, so the replay sizes it), `close` |
//! | `read`, `write` | `read`/`write` of LENGTH bytes at OFFSET |
//! | `sync`, `datasync` | `fsync` (OFFSET/LENGTH, if given, are checked and ignored) |
//! | `trim` | none: the trace format has no discard (counted) |
//! | `wait` | none: moves the clock (version 2; version 3 ignores it, as fio does) |
//!
//! Times: a version 3 timestamp is microseconds since the job started (fio writes
//! `utime_since_now(io_log_start_time)` and replays the differences as microsecond
//! delays), so `time_ns` = timestamp × 1000. Version 2 has no times: the rows are
//! placed 1 µs apart from 0, and `wait N` holds the next row until N ms after the start
//! if that is later, which is what fio's replay does (it sleeps until
//! `mtime_since_genesis() >= N`; fio's HOWTO describes microseconds relative to the
//! previous wait, but the code is what a replayed log does). A version 3 time that
//! goes backwards is clamped to the previous row's time and counted.
//!
//! fio logs do not say which process issued an I/O, so every row has pid 1.

use std::io::{BufRead, Write};

use rustc_hash::FxHashMap;

use super::text::{LineReader, parse_u64};
use super::{ImportReport, Record, TraceError, TraceWriter, output_error};
use crate::trace::Op;

/// The pid of every row: an iolog is one fio job and does not record pids.
const PID: u32 = 1;

/// Spacing of version 2 rows, which carry no times.
const V2_STEP_NS: u64 = 1_000;

/// Convert the fio iolog read from `input` (named `path` in messages) into rows.
pub fn import<W: Write>(
    input: &mut dyn BufRead,
    path: &str,
    out: &mut TraceWriter<W>,
) -> Result<ImportReport, TraceError> {
    let mut lines = LineReader::new(input, path);
    let mut report = ImportReport::default();
    let v3 = loop {
        let Some((no, text)) = lines.next_line()? else {
            return Err(TraceError::parse(
                path,
                lines.line().max(1),
                None,
                "",
                "empty input: not a fio iolog (the first line must be \"fio version 2 iolog\" \
                 or \"fio version 3 iolog\")"
                    .into(),
            ));
        };
        match text.trim() {
            "" => continue,
            "fio version 2 iolog" => break false,
            "fio version 3 iolog" => break true,
            other => {
                let message = if other.starts_with("fio version") {
                    format!("unsupported iolog version \"{other}\" (only 2 and 3 are read)")
                } else {
                    format!(
                        "not a fio iolog: the first line must be \"fio version 2 iolog\" or \
                         \"fio version 3 iolog\", not \"{other}\""
                    )
                };
                return Err(TraceError::parse(path, no, None, other, message));
            }
        }
    };
    let names: &[&str] = if v3 {
        &["timestamp", "file", "action", "offset", "length"]
    } else {
        &["file", "action", "offset", "length"]
    };
    // Whether each file is open now, to count I/O outside open/close pairs.
    let mut open: FxHashMap<String, bool> = FxHashMap::default();
    let mut clock: u64 = 0;
    let mut events: u64 = 0;
    while let Some((no, text)) = lines.next_line()? {
        let line = Ctx { path, no, names };
        let mut fields = text.split_ascii_whitespace();
        let Some(first) = fields.next() else { continue };
        let stamp = if v3 {
            let us = parse_u64(first).ok_or_else(|| {
                line.err(
                    0,
                    first,
                    format!("bad timestamp \"{first}\" (expected microseconds)"),
                )
            })?;
            let ns = us
                .checked_mul(1000)
                .ok_or_else(|| line.err(0, first, format!("timestamp \"{first}\" is too large")))?;
            Some(ns)
        } else {
            None
        };
        let base = usize::from(v3);
        let file = if v3 { fields.next() } else { Some(first) };
        let Some(file) = file else {
            return Err(line.err(base, text, "missing file name".into()));
        };
        let Some(act_text) = fields.next() else {
            return Err(line.err(base + 1, text, "missing action".into()));
        };
        let Some(action) = Action::parse(act_text) else {
            return Err(line.err(
                base + 1,
                act_text,
                format!(
                    "unknown action \"{act_text}\" (expected add, open, close, read, write, \
                     sync, datasync, trim or wait)"
                ),
            ));
        };
        let off_text = fields.next();
        let len_text = fields.next();
        if fields.next().is_some() {
            report.note("fio fields after the length (ignored)");
        }
        let (oc, lc) = (base + 2, base + 3);
        let number = |col: usize, t: &str, what: &str| {
            parse_u64(t)
                .ok_or_else(|| line.err(col, t, format!("bad number \"{t}\" (expected {what})")))
        };
        // OFFSET and LENGTH of an I/O action: both required, both numbers, no overflow.
        let range = || -> Result<(u64, u64), TraceError> {
            let Some(o) = off_text else {
                return Err(line.err(oc, text, format!("missing offset after {act_text}")));
            };
            let Some(l) = len_text else {
                return Err(line.err(lc, text, format!("missing length after {act_text}")));
            };
            let offset = number(oc, o, "a byte offset")?;
            let length = number(lc, l, "a byte count")?;
            if offset.checked_add(length).is_none() {
                return Err(line.err(
                    lc,
                    l,
                    format!("offset {offset} + length {length} overflows 64 bits"),
                ));
            }
            Ok((offset, length))
        };
        let row: Option<(Op, Option<(u64, u64)>)> = match action {
            Action::Add | Action::Open | Action::Close => {
                if let Some(o) = off_text {
                    return Err(line.err(oc, o, format!("{act_text} takes no offset or length")));
                }
                match action {
                    Action::Add => {
                        report.note("fio add (no row: the file's open declares it)");
                        None
                    }
                    Action::Open => Some((Op::Open, None)),
                    _ => Some((Op::Close, None)),
                }
            }
            Action::Read => Some((Op::Read, Some(range()?))),
            Action::Write => Some((Op::Write, Some(range()?))),
            Action::Sync => {
                // fio writes sync lines with the io_u's offset and length; both are
                // meaningless for fsync but must still be numbers.
                if let Some(o) = off_text {
                    number(oc, o, "a byte offset")?;
                }
                if let Some(l) = len_text {
                    number(lc, l, "a byte count")?;
                }
                Some((Op::Fsync, None))
            }
            Action::Trim => {
                range()?;
                report.note("fio trim (no trace op; skipped)");
                None
            }
            Action::Wait => {
                if v3 {
                    report.note("fio wait in a version 3 log (ignored, as fio does)");
                    continue;
                }
                let Some(o) = off_text else {
                    return Err(line.err(oc, text, "missing wait time after wait".into()));
                };
                let ms = number(oc, o, "milliseconds since the start")?;
                let until = ms
                    .checked_mul(1_000_000)
                    .ok_or_else(|| line.err(oc, o, format!("wait time \"{o}\" is too large")))?;
                clock = clock.max(until);
                None
            }
        };
        let Some((op, range)) = row else { continue };
        let time = match stamp {
            Some(t) if t < clock => {
                report.note("time went backwards (clamped to the previous time)");
                clock
            }
            Some(t) => {
                clock = t;
                t
            }
            None => {
                let t = clock;
                clock = clock.saturating_add(V2_STEP_NS);
                t
            }
        };
        let state = open.get_mut(file);
        match op {
            Op::Open => match state {
                Some(s) => *s = true,
                None => {
                    open.insert(file.to_string(), true);
                }
            },
            Op::Close => match state {
                Some(s) if *s => *s = false,
                _ => report.note("fio close of a file that is not open (row kept)"),
            },
            _ => {
                if !state.is_some_and(|s| *s) {
                    report.note("fio I/O on a file that is not open (replay opens it implicitly)");
                }
            }
        }
        let rec = match range {
            Some((offset, length)) => Record::range(time, PID, op, file, offset, length),
            None => Record::bare(time, PID, op, file),
        };
        out.write(&rec)
            .map_err(|e| output_error(super::OUTPUT, e))?;
        events += 1;
    }
    report.lines = lines.line();
    report.events = events;
    Ok(report)
}

/// The iolog actions fio knows (iolog.c).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Add,
    Open,
    Close,
    Read,
    Write,
    /// `sync` and `datasync`: both write every dirty page of the file here.
    Sync,
    Trim,
    Wait,
}

impl Action {
    /// fio compares actions case-sensitively (`strcmp`), and so does this.
    fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "add" => Action::Add,
            "open" => Action::Open,
            "close" => Action::Close,
            "read" => Action::Read,
            "write" => Action::Write,
            "sync" | "datasync" => Action::Sync,
            "trim" => Action::Trim,
            "wait" => Action::Wait,
            _ => return None,
        })
    }
}

/// Error context of one line.
struct Ctx<'a> {
    path: &'a str,
    no: u64,
    names: &'a [&'a str],
}

impl Ctx<'_> {
    fn err(&self, col: usize, text: &str, message: String) -> TraceError {
        TraceError::parse(
            self.path,
            self.no,
            self.names.get(col).copied(),
            text,
            message,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(log: &str) -> Result<(String, ImportReport), TraceError> {
        let mut w = TraceWriter::new(Vec::new()).unwrap();
        let mut input = log.as_bytes();
        let r = import(&mut input, "job.iolog", &mut w)?;
        Ok((String::from_utf8(w.finish().unwrap()).unwrap(), r))
    }

    #[test]
    fn actions_are_case_sensitive_like_fio() {
        assert_eq!(Action::parse("datasync"), Some(Action::Sync));
        assert_eq!(Action::parse("Read"), None);
    }

    #[test]
    fn v2_wait_holds_the_clock_until_ms_after_start() {
        let (text, r) = convert(
            "fio version 2 iolog\nf add\nf open\nf read 0 4096\nf wait 2 0\nf read 4096 4096\n\
             f wait 1 0\nf read 0 1\n",
        )
        .unwrap();
        assert_eq!(
            text,
            "time_ns,pid,op,file,offset,length,flags\n\
             0,1,open,f,,,\n\
             1000,1,read,f,0,4096,\n\
             2000000,1,read,f,4096,4096,\n\
             2001000,1,read,f,0,1,\n"
        );
        assert_eq!(r.events, 4);
        assert_eq!(r.lines, 8);
    }

    #[test]
    fn v3_clamps_backward_times() {
        let (text, r) =
            convert("fio version 3 iolog\n5 f open\n3 f read 0 1\n7 f close\n").unwrap();
        assert_eq!(
            text,
            "time_ns,pid,op,file,offset,length,flags\n\
             5000,1,open,f,,,\n\
             5000,1,read,f,0,1,\n\
             7000,1,close,f,,,\n"
        );
        assert_eq!(
            r.notes
                .get("time went backwards (clamped to the previous time)"),
            Some(&1)
        );
    }

    #[test]
    fn header_errors() {
        let e = convert("").unwrap_err();
        assert_eq!(e.line(), Some(1));
        let e = convert("fio version 1 iolog\n").unwrap_err();
        assert!(e.message().contains("unsupported iolog version"), "{e}");
        let e = convert("\nhello\n").unwrap_err();
        assert_eq!(e.line(), Some(2));
        assert!(e.message().starts_with("not a fio iolog"), "{e}");
    }
}
