//! `vpsim check TRACE`: validate a whole trace, reporting every bad line.
//!
//! The replay stops at the first malformed line; a user fixing a converter wants to see
//! all of them at once, plus a summary that shows whether the trace holds what they
//! expect (ops, files, bytes, time span).

use std::fmt;

use super::binary::BinaryTrace;
use super::error::TraceError;
use super::event::Op;
use super::input::Compression;
use super::intern::FileTable;
use super::source::TraceSource;
use crate::units::format_size;

/// The result of [`check`].
#[derive(Clone, Debug)]
pub struct CheckReport {
    /// The trace path as given.
    pub path: String,
    /// The first `max_errors` line errors, in file order.
    pub errors: Vec<TraceError>,
    /// Total number of malformed lines (may exceed `errors.len()`).
    pub bad_lines: u64,
    /// Physical lines read.
    pub lines: u64,
    /// Well-formed events.
    pub events: u64,
    /// Events per op, indexed by [`Op::index`] (format order).
    pub per_op: [u64; Op::ALL.len()],
    /// Distinct files among the well-formed events.
    pub files: usize,
    /// Sum of the lengths of `read` rows.
    pub bytes_read: u64,
    /// Sum of the lengths of `write` rows.
    pub bytes_written: u64,
    /// `time_ns` of the first event.
    pub first_time: Option<u64>,
    /// `time_ns` of the last event (after clamping).
    pub last_time: Option<u64>,
    /// Warnings (clamped times, empty trace, reading stopped at a bad header).
    pub warnings: Vec<String>,
    /// Compression of the file.
    pub compression: Compression,
    /// Whether the trace is in the binary form (records, not lines).
    pub binary: bool,
}

impl CheckReport {
    /// Whether the trace has no malformed line.
    pub fn is_ok(&self) -> bool {
        self.bad_lines == 0
    }

    /// `last_time - first_time` (0 without events).
    pub fn span_ns(&self) -> u64 {
        match (self.first_time, self.last_time) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => 0,
        }
    }
}

/// Read all of `path`, collecting up to `max_errors` malformed lines (and counting
/// all of them) and a summary. `Err` only when the file cannot be read at all or its
/// compression is broken; malformed lines, including a bad header, go into the report.
pub fn check(path: &str, max_errors: usize) -> Result<CheckReport, TraceError> {
    let mut reader = match TraceSource::open(path)? {
        TraceSource::Csv(reader) => reader,
        TraceSource::Binary(trace, _) => return Ok(check_binary(path, &trace, max_errors)),
    };
    let mut files = FileTable::new();
    let mut r = CheckReport {
        path: path.to_string(),
        errors: Vec::new(),
        bad_lines: 0,
        lines: 0,
        events: 0,
        per_op: [0; Op::ALL.len()],
        files: 0,
        bytes_read: 0,
        bytes_written: 0,
        first_time: None,
        last_time: None,
        warnings: Vec::new(),
        compression: reader.compression(),
        binary: false,
    };
    loop {
        match reader.next_event(&mut files) {
            Ok(Some(ev)) => {
                r.events += 1;
                if let Some(n) = r.per_op.get_mut(ev.op.index()) {
                    *n += 1;
                }
                match ev.op {
                    Op::Read => r.bytes_read = r.bytes_read.saturating_add(ev.length),
                    Op::Write => r.bytes_written = r.bytes_written.saturating_add(ev.length),
                    _ => {}
                }
                r.first_time.get_or_insert(ev.time_ns);
                r.last_time = Some(ev.time_ns);
            }
            Ok(None) => break,
            Err(e) if e.is_io() => return Err(e),
            Err(e) => {
                r.bad_lines += 1;
                if r.errors.len() < max_errors {
                    r.errors.push(e);
                }
                if reader.is_fatal() {
                    r.warnings.push(format!(
                        "{path}: stopped at line {}: the rest of the trace cannot be read without a header",
                        reader.line()
                    ));
                    break;
                }
            }
        }
    }
    r.lines = reader.line();
    r.files = files.len();
    r.warnings.extend(reader.warnings());
    if r.events == 0 && r.bad_lines == 0 {
        r.warnings.push(if reader.has_header() {
            format!("{path}: the trace has a header but no events")
        } else {
            format!("{path}: the trace is empty (no header, no events)")
        });
    }
    Ok(r)
}

/// A binary trace is checked record by record; a bad record does not hide the rest
/// (records are fixed-size), so every one is counted like a bad line.
fn check_binary(path: &str, trace: &BinaryTrace, max_errors: usize) -> CheckReport {
    let mut r = CheckReport {
        path: path.to_string(),
        errors: Vec::new(),
        bad_lines: 0,
        lines: trace.events(),
        events: 0,
        per_op: [0; Op::ALL.len()],
        files: trace.files().len(),
        bytes_read: 0,
        bytes_written: 0,
        first_time: None,
        last_time: None,
        warnings: trace.warnings(),
        compression: Compression::None,
        binary: true,
    };
    let mut last = 0u64;
    for i in 0..trace.events() {
        match trace.event(i) {
            Ok(ev) => {
                r.events += 1;
                r.per_op[ev.op.index()] += 1;
                match ev.op {
                    Op::Read => r.bytes_read = r.bytes_read.saturating_add(ev.length),
                    Op::Write => r.bytes_written = r.bytes_written.saturating_add(ev.length),
                    _ => {}
                }
                if ev.time_ns < last {
                    r.bad_lines += 1;
                    if r.errors.len() < max_errors {
                        r.errors.push(TraceError::io(
                            path,
                            format!("record {}: time_ns goes backwards (the binary form stores clamped times; corrupt?)", i + 1),
                        ));
                    }
                }
                last = last.max(ev.time_ns);
                r.first_time.get_or_insert(ev.time_ns);
                r.last_time = Some(ev.time_ns);
            }
            Err(e) => {
                r.bad_lines += 1;
                if r.errors.len() < max_errors {
                    r.errors.push(e);
                }
            }
        }
    }
    // The header's warnings, and what reading the records found.
    r.warnings = trace.warnings();
    if r.events == 0 && r.bad_lines == 0 {
        r.warnings.push(format!("{path}: the trace has no events"));
    }
    r
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ok() {
            writeln!(f, "{}: OK", self.path)?;
        } else {
            let lines = if self.bad_lines == 1 { "line" } else { "lines" };
            write!(f, "{}: {} bad {lines}", self.path, self.bad_lines)?;
            if (self.errors.len() as u64) < self.bad_lines {
                write!(f, " (showing the first {})", self.errors.len())?;
            }
            writeln!(f)?;
            for e in &self.errors {
                writeln!(f, "  {e}")?;
            }
        }
        writeln!(f, "summary:")?;
        let comp = match self.compression {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        };
        if self.binary {
            writeln!(f, "  form           {:>14}", "binary (.vpt)")?;
            writeln!(f, "  records        {:>14}", self.lines)?;
        } else {
            writeln!(f, "  compression    {comp:>14}")?;
            writeln!(f, "  lines          {:>14}", self.lines)?;
        }
        writeln!(f, "  events         {:>14}", self.events)?;
        writeln!(f, "  files          {:>14}", self.files)?;
        writeln!(
            f,
            "  bytes read     {:>14}  ({})",
            self.bytes_read,
            format_size(self.bytes_read)
        )?;
        writeln!(
            f,
            "  bytes written  {:>14}  ({})",
            self.bytes_written,
            format_size(self.bytes_written)
        )?;
        match (self.first_time, self.last_time) {
            (Some(a), Some(b)) => writeln!(
                f,
                "  time_ns        {a} .. {b} (span {} ns = {:.3} s)",
                self.span_ns(),
                self.span_ns() as f64 / 1e9
            )?,
            _ => writeln!(f, "  time_ns        -")?,
        }
        writeln!(f, "  events per op:")?;
        for op in Op::ALL {
            let n = self.per_op.get(op.index()).copied().unwrap_or(0);
            writeln!(f, "    {:<12} {:>14}", op.name(), n)?;
        }
        if !self.warnings.is_empty() {
            writeln!(f, "warnings:")?;
            for w in &self.warnings {
                writeln!(f, "  {w}")?;
            }
        }
        Ok(())
    }
}
