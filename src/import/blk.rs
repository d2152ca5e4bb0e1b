//! `vpsim import blk`: block traces (MSR Cambridge, SNIA/SPC ASCII, generic CSV) to
//! traces, one file per device.
//!
//! A block trace has no files, only devices. Each device becomes one file named
//! `dev:<name>` (`dev:<host>.<disk>` for MSR, `dev:<asu>` for SPC, `dev:<device>` or
//! `dev:0` for CSV), opened with an unknown size just before its first request, so the
//! replay's first pass sizes it to the furthest byte touched and block traces replay
//! through the same pager as file traces. Requests become `read`/`write` rows at byte
//! offsets, all from pid 1.
//!
//! Times: MSR and CSV times are made relative to the first record; SPC timestamps are
//! already seconds from the start of the trace and are kept. A record earlier than the
//! one before it is clamped to the previous time and counted, as trace-format.md asks.
//! Zero-length requests and SCSI commands other than reads and writes are skipped and
//! counted. Anything malformed stops the import with the line, the column and the text.

use std::io::{BufRead, Write};

use ::csv::ByteRecord;
use rustc_hash::FxHashSet;

use super::text::{parse_decimal, parse_u64};
use super::{ImportReport, Record, TraceError, TraceWriter, output_error};
use crate::trace::{MAX_LINE, Op, RecordError, Records, record_text};

mod actions;
mod blkparse;
mod generic;
mod perf;

pub use actions::{BlkRequest, read_requests};

/// The block trace dialects (the docs are `--format`'s help).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BlkFormat {
    /// MSR Cambridge CSV (Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime).
    Msr,
    /// SPC-style ASCII as published by SNIA (ASU,LBA,Size,Opcode,Timestamp).
    Snia,
    /// Generic CSV time,op,offset,size[,device]; see --columns.
    Csv,
    /// blkparse's default text output (`blkparse -i sda`): D (issue) events become rows.
    Blkparse,
    /// `perf script` of block:block_rq_issue/block_rq_complete: issues become rows.
    Perf,
}

/// Options of the block importer.
#[derive(Clone, Debug)]
pub struct BlkOptions {
    pub format: BlkFormat,
    /// For `Csv`: the column names in file order (comma separated), when the file has
    /// no header or other names.
    pub columns: Option<String>,
}

/// Bytes per sector of SPC `LBA` and CSV `lba`/`lbn`/`sector` columns.
const SECTOR: u64 = 512;

/// The pid of every block row: a block trace does not say who issued a request.
const PID: u32 = 1;

/// Convert the block trace read from `input` (named `path` in messages) into rows.
pub fn import<W: Write>(
    input: &mut dyn BufRead,
    path: &str,
    opts: &BlkOptions,
    out: &mut TraceWriter<W>,
) -> Result<ImportReport, TraceError> {
    if let Some(parse) = actions::parser(opts.format) {
        return event_log(input, path, parse, out);
    }
    // Only the generic CSV dialect has comment lines; in the others `#` is data (and
    // an error).
    let comment = (opts.format == BlkFormat::Csv).then_some(b'#');
    let mut rows = Rows {
        records: Records::new(input, comment),
        path,
    };
    let mut em = Emitter::new(out);
    match opts.format {
        BlkFormat::Msr => msr(&mut rows, &mut em)?,
        BlkFormat::Snia => spc(&mut rows, &mut em)?,
        BlkFormat::Csv => generic::csv(&mut rows, &mut em, opts.columns.as_deref())?,
        BlkFormat::Blkparse | BlkFormat::Perf => unreachable!("handled above"),
    }
    let mut report = em.report;
    report.lines = rows.records.line();
    report.events = em.events;
    Ok(report)
}

/// A block event log (blkparse, perf): every issue becomes a row of device
/// `dev:MAJOR,MINOR`, times relative to the first issue; completions and other
/// events are counted.
fn event_log<W: Write>(
    input: &mut dyn BufRead,
    path: &str,
    parse: actions::ParseLine,
    out: &mut TraceWriter<W>,
) -> Result<ImportReport, TraceError> {
    let mut em = Emitter::new(out);
    let lines = actions::each_action(input, path, parse, |a| {
        let Some(a) = a else {
            em.report
                .note("line that is not a request issue or completion (skipped)");
            return Ok(());
        };
        if a.kind == actions::ActionKind::Complete {
            em.report
                .note("completion (skipped: the replay computes its own)");
            return Ok(());
        }
        let time = em.rebase(a.time_ns);
        em.name.clear();
        em.name.push_str("dev:");
        em.name.push_str(&a.device);
        let op = if a.write { Op::Write } else { Op::Read };
        let offset = a.sector.saturating_mul(512);
        em.request(time, op, offset, a.sectors.saturating_mul(512))
    })?;
    let mut report = em.report;
    report.lines = lines;
    report.events = em.events;
    Ok(report)
}

/// Writes the rows: opens devices at first use, keeps time non-decreasing.
struct Emitter<'w, W: Write> {
    out: &'w mut TraceWriter<W>,
    report: ImportReport,
    events: u64,
    /// Devices already opened.
    opened: FxHashSet<String>,
    /// The file name of the current record, rebuilt in place for every record.
    name: String,
    /// Time of the previous row.
    last: u64,
    /// The first record's time, subtracted from every time when times are rebased.
    origin: Option<u64>,
}

impl<'w, W: Write> Emitter<'w, W> {
    fn new(out: &'w mut TraceWriter<W>) -> Self {
        Emitter {
            out,
            report: ImportReport::default(),
            events: 0,
            opened: FxHashSet::default(),
            name: String::with_capacity(64),
            last: 0,
            origin: None,
        }
    }

    /// `raw` nanoseconds made relative to the first record's time.
    fn rebase(&mut self, raw: u64) -> u64 {
        let origin = *self.origin.get_or_insert(raw);
        // Earlier than the first record: clamped by `request` like any step back.
        raw.saturating_sub(origin)
    }

    /// One request on the device named in `self.name`. `offset + size` is checked by
    /// the caller (it knows the line and column).
    fn request(&mut self, time: u64, op: Op, offset: u64, size: u64) -> Result<(), TraceError> {
        let time = if time < self.last {
            self.report
                .note("time went backwards (clamped to the previous time)");
            self.last
        } else {
            time
        };
        self.last = time;
        if size == 0 {
            self.report.note("zero-length request (skipped)");
            return Ok(());
        }
        if !self.opened.contains(self.name.as_str()) {
            self.opened.insert(self.name.clone());
            let open = Record::bare(time, PID, Op::Open, &self.name);
            write_row(self.out, &mut self.events, &open)?;
        }
        let rec = Record::range(time, PID, op, &self.name, offset, size);
        write_row(self.out, &mut self.events, &rec)
    }
}

/// Write one row, counting it.
fn write_row<W: Write>(
    out: &mut TraceWriter<W>,
    events: &mut u64,
    rec: &Record<'_>,
) -> Result<(), TraceError> {
    out.write(rec).map_err(|e| output_error(super::OUTPUT, e))?;
    *events += 1;
    Ok(())
}

/// Error context of one line: the path, the line number and the column names.
struct Line<'a> {
    path: &'a str,
    no: u64,
    names: &'a [&'a str],
}

impl Line<'_> {
    fn err(&self, col: usize, text: &str, message: String) -> TraceError {
        let column = self.names.get(col).copied();
        TraceError::parse(self.path, self.no, column, text, message)
    }

    /// Field `col` is absent: `row` has fewer than `needed` fields.
    fn missing(&self, col: usize, needed: usize, row: &Row) -> TraceError {
        let name = self.names.get(col).copied().unwrap_or("?");
        self.err(
            col,
            &row.text(),
            format!(
                "missing field {name}: expected at least {needed} comma-separated fields, \
                 found {}",
                row.len()
            ),
        )
    }

    fn number(&self, col: usize, text: &str, what: &str) -> Result<u64, TraceError> {
        parse_u64(text).ok_or_else(|| {
            self.err(
                col,
                text,
                format!("bad number \"{text}\" (expected {what})"),
            )
        })
    }

    /// `offset + size` must fit in a u64, as trace-format.md requires.
    fn end(&self, col: usize, offset: u64, size: u64, text: &str) -> Result<(), TraceError> {
        match offset.checked_add(size) {
            Some(_) => Ok(()),
            None => Err(self.err(
                col,
                text,
                format!("offset {offset} + size {size} overflows 64 bits"),
            )),
        }
    }
}

/// The records of a block trace, read by the csv crate (quoted fields, CRLF), with
/// the line each starts on and this importer's messages.
struct Rows<'a> {
    records: Records<&'a mut dyn BufRead>,
    path: &'a str,
}

/// One record: its fields as UTF-8 text.
struct Row<'r> {
    /// The line the record starts on.
    no: u64,
    rec: &'r ByteRecord,
    /// All fields, one after the other (checked UTF-8 at field boundaries).
    text: &'r str,
}

impl Rows<'_> {
    /// The next record that is not a blank line, `None` at the end. Over-long lines,
    /// quotes left open, text that is not UTF-8 and read errors stop the import.
    fn next(&mut self) -> Result<Option<Row<'_>>, TraceError> {
        let no = loop {
            let no = match self.records.next() {
                Ok(Some(no)) => no,
                Ok(None) => return Ok(None),
                Err(e) => return Err(self.error(e)),
            };
            let rec = self.records.record();
            let blank = rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim_ascii().is_empty());
            if !blank {
                break no;
            }
        };
        let rec = self.records.record();
        let bytes = rec.as_slice();
        let text = match std::str::from_utf8(bytes) {
            Ok(t)
                if (0..rec.len()).all(|i| {
                    rec.range(i)
                        .is_some_and(|r| t.is_char_boundary(r.start) && t.is_char_boundary(r.end))
                }) =>
            {
                t
            }
            bad => {
                let at = bad.err().map_or(0, |e| e.valid_up_to());
                // The byte's column on the line, counting the commas between fields.
                let field = (0..rec.len())
                    .find(|&i| rec.range(i).is_some_and(|r| at < r.end))
                    .unwrap_or(0);
                let line = String::from_utf8_lossy(&record_text(rec)).into_owned();
                return Err(TraceError::parse(
                    self.path,
                    no,
                    None,
                    &line,
                    format!("not UTF-8 text (bad byte at column {})", at + field + 1),
                ));
            }
        };
        Ok(Some(Row { no, rec, text }))
    }

    fn error(&self, e: RecordError) -> TraceError {
        match e {
            RecordError::Io(e) => TraceError::io(
                self.path,
                format!("read error after line {}: {e}", self.records.line()),
            ),
            RecordError::LongLine { line, head } => {
                let start = String::from_utf8_lossy(head.get(..200).unwrap_or(&head));
                TraceError::parse(
                    self.path,
                    line,
                    None,
                    &start,
                    format!("line longer than {MAX_LINE} bytes, starting \"{start}\""),
                )
            }
            RecordError::OpenQuote { line, .. } => {
                let rec = self.records.record();
                let last = rec.get(rec.len().saturating_sub(1)).unwrap_or_default();
                let text = format!("\"{}", String::from_utf8_lossy(last).trim_end());
                TraceError::parse(
                    self.path,
                    line,
                    None,
                    &text,
                    format!("unterminated quote in \"{text}\""),
                )
            }
        }
    }
}

impl Row<'_> {
    /// Field `i`, trimmed (SPC allows blanks after the commas); `None` past the end.
    fn field(&self, i: usize) -> Option<&str> {
        let r = self.rec.range(i)?;
        Some(self.text.get(r).unwrap_or_default().trim())
    }

    /// Up to `N` fields; the count of fields present.
    fn fields<const N: usize>(&self) -> ([&str; N], usize) {
        let mut fields = [""; N];
        let n = self.len().min(N);
        for (i, f) in fields.iter_mut().enumerate().take(n) {
            *f = self.field(i).unwrap_or_default();
        }
        (fields, n)
    }

    fn len(&self) -> usize {
        self.rec.len()
    }

    /// The record as CSV text, for messages.
    fn text(&self) -> String {
        String::from_utf8_lossy(&record_text(self.rec)).into_owned()
    }
}

// ---------------------------------------------------------------------------------
// MSR Cambridge

const MSR_COLUMNS: [&str; 7] = [
    "Timestamp",
    "Hostname",
    "DiskNumber",
    "Type",
    "Offset",
    "Size",
    "ResponseTime",
];

/// MSR Cambridge: `Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime`, the
/// timestamp a Windows filetime (100 ns ticks), offsets and sizes in bytes. The real
/// files have no header; one naming `Timestamp` first is skipped and counted.
fn msr<W: Write>(rows: &mut Rows<'_>, em: &mut Emitter<'_, W>) -> Result<(), TraceError> {
    let path = rows.path;
    let mut first = true;
    while let Some(row) = rows.next()? {
        let line = Line {
            path,
            no: row.no,
            names: &MSR_COLUMNS,
        };
        let (f, n) = row.fields::<7>();
        if std::mem::take(&mut first) && f[0].eq_ignore_ascii_case("timestamp") {
            em.report.note("MSR header line (skipped)");
            continue;
        }
        // ResponseTime is not needed (the replay computes its own latencies).
        if n < 6 {
            return Err(line.missing(n, 6, &row));
        }
        let ticks = line.number(0, f[0], "a Windows filetime in 100 ns ticks")?;
        let raw = ticks
            .checked_mul(100)
            .ok_or_else(|| line.err(0, f[0], format!("timestamp \"{}\" is too large", f[0])))?;
        if f[1].is_empty() {
            return Err(line.err(1, &row.text(), "empty Hostname".into()));
        }
        let disk = line.number(2, f[2], "a disk number")?;
        let op = if f[3].eq_ignore_ascii_case("read") {
            Op::Read
        } else if f[3].eq_ignore_ascii_case("write") {
            Op::Write
        } else {
            return Err(line.err(
                3,
                f[3],
                format!("unknown Type \"{}\" (expected Read or Write)", f[3]),
            ));
        };
        let offset = line.number(4, f[4], "a byte offset")?;
        let size = line.number(5, f[5], "a size in bytes")?;
        line.end(5, offset, size, f[5])?;
        let time = em.rebase(raw);
        em.name.clear();
        em.name.push_str("dev:");
        em.name.push_str(f[1]);
        em.name.push('.');
        push_u64(&mut em.name, disk);
        em.request(time, op, offset, size)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// SPC (SNIA / UMass)

const SPC_COLUMNS: [&str; 5] = ["ASU", "LBA", "Size", "Opcode", "Timestamp"];

/// SPC ASCII: `ASU,LBA,Size,Opcode,Timestamp[,optional...]`: LBA in 512-byte blocks,
/// Size in bytes, Opcode r/R/w/W, Timestamp in seconds from the start of the trace
/// (kept as it is; the first record need not be at 0).
fn spc<W: Write>(rows: &mut Rows<'_>, em: &mut Emitter<'_, W>) -> Result<(), TraceError> {
    let path = rows.path;
    while let Some(row) = rows.next()? {
        let line = Line {
            path,
            no: row.no,
            names: &SPC_COLUMNS,
        };
        let (f, n) = row.fields::<5>();
        if n < 5 {
            return Err(line.missing(n, 5, &row));
        }
        let asu = line.number(0, f[0], "an ASU number")?;
        let lba = line.number(1, f[1], "a block address")?;
        let offset = lba
            .checked_mul(SECTOR)
            .ok_or_else(|| line.err(1, f[1], format!("LBA {lba} × {SECTOR} overflows 64 bits")))?;
        let size = line.number(2, f[2], "a size in bytes")?;
        line.end(2, offset, size, f[2])?;
        let op = match f[3] {
            "r" | "R" => Op::Read,
            "w" | "W" => Op::Write,
            other => {
                return Err(line.err(
                    3,
                    other,
                    format!("unknown Opcode \"{other}\" (expected r, R, w or W)"),
                ));
            }
        };
        let time = parse_decimal(f[4], 1_000_000_000).ok_or_else(|| {
            line.err(
                4,
                f[4],
                format!(
                    "bad timestamp \"{}\" (expected seconds, as in 0.551706)",
                    f[4]
                ),
            )
        })?;
        em.name.clear();
        em.name.push_str("dev:");
        push_u64(&mut em.name, asu);
        em.request(time, op, offset, size)?;
    }
    Ok(())
}

/// Append `v` in decimal without allocating.
fn push_u64(s: &mut String, v: u64) {
    use std::fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = write!(s, "{v}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::text::{parse_decimal, parse_u64};

    fn run(format: BlkFormat, data: &str) -> Result<(String, ImportReport), TraceError> {
        let opts = BlkOptions {
            format,
            columns: None,
        };
        let mut w = TraceWriter::new(Vec::new()).expect("header");
        let mut input = data.as_bytes();
        let r = import(&mut input, "t.csv", &opts, &mut w)?;
        let text = String::from_utf8(w.finish().expect("finish")).expect("UTF-8");
        Ok((text, r))
    }

    #[test]
    fn quoted_fields_crlf_and_lines_spanned() {
        // A quoted host name with a comma, CRLF line ends, and an ignored column holding
        // a line break: the error after it names its physical line.
        let (text, r) = run(
            BlkFormat::Msr,
            "1,\"h,1\",0,Read,0,512,1\r\n2,\"h,1\",0,Write,512,512,1\r\n",
        )
        .unwrap();
        assert!(text.contains("\n0,1,read,\"dev:h,1.0\",0,512,\n"), "{text}");
        assert_eq!((r.lines, r.events), (2, 3));
        let e = run(
            BlkFormat::Csv,
            "time_ns,op,offset,size,note\n1,r,0,1,\"a\nb\"\n2,r,x,1,c\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv: line 4, column offset: bad number \"x\" (expected a byte offset)"
        );
        let e = run(BlkFormat::Snia, "0,1,512,r,0.1\n0,\"2,512,r,0.2\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv: line 2: unterminated quote in \"\"2,512,r,0.2\""
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_u64("0"), Some(0));
        assert_eq!(parse_u64("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64("18446744073709551616"), None);
        for bad in ["", "-1", "+1", "1 ", "0x10", "1e3"] {
            assert_eq!(parse_u64(bad), None, "{bad:?}");
        }
        assert_eq!(parse_decimal("0.551706", 1_000_000_000), Some(551_706_000));
        assert_eq!(parse_decimal("2", 1_000_000), Some(2_000_000));
        assert_eq!(parse_decimal(".5", 1_000), Some(500));
        assert_eq!(parse_decimal("3.", 1), Some(3));
        assert_eq!(
            parse_decimal("1.0000000001", 1_000_000_000),
            Some(1_000_000_000)
        );
        assert_eq!(parse_decimal("1.9", 1), Some(1));
        for bad in ["", ".", "1.2.3", "-1.0", "1,5", "1e9", "a.1", "1.a"] {
            assert_eq!(parse_decimal(bad, 1), None, "{bad:?}");
        }
        assert_eq!(parse_decimal("99999999999", 1_000_000_000), None);
    }
}
