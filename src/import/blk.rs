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

use rustc_hash::FxHashSet;

use super::text::{LineReader, parse_decimal, parse_u64};
use super::{ImportReport, Record, TraceError, TraceWriter, output_error};
use crate::trace::Op;

/// The block trace dialects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlkFormat {
    /// MSR Cambridge CSV: `Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime`.
    Msr,
    /// SPC-style ASCII (SNIA): `ASU,LBA,Size,Opcode,Timestamp`.
    Snia,
    /// Generic `time,op,offset,size[,device]` CSV; `columns` renames/reorders.
    Csv,
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
    let mut lines = LineReader::new(input, path);
    let mut em = Emitter::new(out);
    match opts.format {
        BlkFormat::Msr => msr(&mut lines, &mut em)?,
        BlkFormat::Snia => spc(&mut lines, &mut em)?,
        BlkFormat::Csv => csv(&mut lines, &mut em, opts.columns.as_deref())?,
    }
    let mut report = em.report;
    report.lines = lines.line();
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

    /// Field `col` is absent: the line has fewer than `needed` fields.
    fn missing(&self, col: usize, needed: usize, line: &str) -> TraceError {
        let name = self.names.get(col).copied().unwrap_or("?");
        self.err(
            col,
            line,
            format!(
                "missing field {name}: expected at least {needed} comma-separated fields, \
                 found {}",
                line.split(',').count()
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

/// Up to `N` comma-separated fields of `line`, trimmed (SPC allows blanks after the
/// commas) and unquoted; the count of fields present.
fn split<const N: usize>(line: &str) -> ([&str; N], usize) {
    let mut fields = [""; N];
    let mut n = 0;
    for f in line.split(',').take(N) {
        fields[n] = unquote(f.trim());
        n += 1;
    }
    (fields, n)
}

/// A field without one pair of surrounding double quotes.
fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
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
fn msr<W: Write>(lines: &mut LineReader<'_>, em: &mut Emitter<'_, W>) -> Result<(), TraceError> {
    let path = lines.path();
    let mut first = true;
    while let Some((no, text)) = lines.next_line()? {
        if text.trim().is_empty() {
            continue;
        }
        let line = Line {
            path,
            no,
            names: &MSR_COLUMNS,
        };
        let (f, n) = split::<7>(text);
        if std::mem::take(&mut first) && f[0].eq_ignore_ascii_case("timestamp") {
            em.report.note("MSR header line (skipped)");
            continue;
        }
        // ResponseTime is not needed (the replay computes its own latencies).
        if n < 6 {
            return Err(line.missing(n, 6, text));
        }
        let ticks = line.number(0, f[0], "a Windows filetime in 100 ns ticks")?;
        let raw = ticks
            .checked_mul(100)
            .ok_or_else(|| line.err(0, f[0], format!("timestamp \"{}\" is too large", f[0])))?;
        if f[1].is_empty() {
            return Err(line.err(1, text, "empty Hostname".into()));
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
fn spc<W: Write>(lines: &mut LineReader<'_>, em: &mut Emitter<'_, W>) -> Result<(), TraceError> {
    let path = lines.path();
    while let Some((no, text)) = lines.next_line()? {
        if text.trim().is_empty() {
            continue;
        }
        let line = Line {
            path,
            no,
            names: &SPC_COLUMNS,
        };
        let (f, n) = split::<5>(text);
        if n < 5 {
            return Err(line.missing(n, 5, text));
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

// ---------------------------------------------------------------------------------
// Generic CSV

/// What a CSV column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Issue time; `None` = no unit in the name (read as nanoseconds).
    Time(Option<u64>),
    Op,
    /// Start of the request in units of this many bytes (1, or 512 for sectors).
    Offset(u64),
    Size,
    Device,
}

/// The role a column name gives its column, if any (names are case-insensitive).
fn role(name: &str) -> Option<Role> {
    let lower = name.trim().to_ascii_lowercase();
    let n = unquote(&lower);
    Some(match n {
        "time" | "timestamp" | "ts" => Role::Time(None),
        "op" | "type" | "rw" | "opcode" | "cmd" | "operation" => Role::Op,
        "offset" | "offset_bytes" => Role::Offset(1),
        "lba" | "lbn" | "sector" => Role::Offset(SECTOR),
        "size" | "length" | "len" | "bytes" => Role::Size,
        "device" | "dev" | "disk" => Role::Device,
        _ => {
            let (base, unit) = n.rsplit_once('_')?;
            if !matches!(base, "time" | "timestamp" | "ts") {
                return None;
            }
            Role::Time(Some(match unit {
                "s" | "sec" => 1_000_000_000,
                "ms" => 1_000_000,
                "us" => 1_000,
                "ns" => 1,
                _ => return None,
            }))
        }
    })
}

/// Where each needed value is in a CSV line.
#[derive(Debug)]
struct Layout {
    /// The column names as given, for messages.
    names: Vec<String>,
    time: Option<(usize, Option<u64>)>,
    op: usize,
    offset: (usize, u64),
    size: usize,
    device: Option<usize>,
    /// Fields a line must have: one past the last needed column.
    needed: usize,
}

impl Layout {
    /// The layout named by `header` (a header line or `--columns`), or what is wrong
    /// with it.
    fn new(header: &str) -> Result<Layout, String> {
        let names: Vec<String> = header
            .split(',')
            .map(|s| unquote(s.trim()).to_string())
            .collect();
        let mut time = None;
        let mut op = None;
        let mut offset = None;
        let mut size = None;
        let mut device = None;
        for (i, name) in names.iter().enumerate() {
            let Some(r) = role(name) else { continue };
            let (slot, what): (&mut Option<usize>, &str) = match r {
                Role::Time(_) => (&mut time, "time"),
                Role::Op => (&mut op, "op"),
                Role::Offset(_) => (&mut offset, "offset"),
                Role::Size => (&mut size, "size"),
                Role::Device => (&mut device, "device"),
            };
            if let Some(prev) = *slot {
                return Err(format!(
                    "both \"{}\" and \"{name}\" give the {what}",
                    names[prev]
                ));
            }
            *slot = Some(i);
        }
        let need = |slot: Option<usize>, what: &str, accepted: &str| {
            slot.ok_or_else(|| format!("no {what} column (accepted names: {accepted})"))
        };
        let op = need(op, "op", "op, type, rw, opcode, cmd")?;
        let offset = need(
            offset,
            "offset",
            "offset in bytes; lba, lbn, sector in 512-byte units",
        )?;
        let size = need(size, "size", "size, length, len, bytes")?;
        let unit_of = |i: usize| match role(&names[i]) {
            Some(Role::Time(u)) => u,
            _ => None,
        };
        let mult = match role(&names[offset]) {
            Some(Role::Offset(m)) => m,
            _ => 1,
        };
        let time = time.map(|i| (i, unit_of(i)));
        let needed = [
            Some(op),
            Some(offset),
            Some(size),
            time.map(|t| t.0),
            device,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0)
            + 1;
        Ok(Layout {
            names,
            time,
            op,
            offset: (offset, mult),
            size,
            device,
            needed,
        })
    }
}

/// How a CSV `op` field reads.
enum CsvOp {
    Rw(Op),
    /// A SCSI command other than a read or a write (TEST UNIT READY, SYNCHRONIZE
    /// CACHE, ...): not a data transfer, skipped.
    OtherScsi,
}

/// `read`/`write`/`r`/`w` in any case, or a SCSI opcode as two hex digits with or
/// without `0x` (08/28/a8/88 READ(6/10/12/16), 0a/2a/aa/8a WRITE(6/10/12/16)), as in
/// VMware vscsi traces and the libCacheSim samples. One hex digit is refused: `0`/`1`
/// read/write codes differ between tools and must be mapped by the user.
fn csv_op(s: &str) -> Option<CsvOp> {
    for (name, op) in [
        ("read", Op::Read),
        ("r", Op::Read),
        ("write", Op::Write),
        ("w", Op::Write),
    ] {
        if s.eq_ignore_ascii_case(name) {
            return Some(CsvOp::Rw(op));
        }
    }
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if hex.len() != 2 {
        return None;
    }
    let code = u8::from_str_radix(hex, 16).ok()?;
    Some(match code {
        0x08 | 0x28 | 0x88 | 0xa8 => CsvOp::Rw(Op::Read),
        0x0a | 0x2a | 0x8a | 0xaa => CsvOp::Rw(Op::Write),
        _ => CsvOp::OtherScsi,
    })
}

/// Generic CSV: a header (or `--columns`) names the columns; see [`role`].
fn csv<W: Write>(
    lines: &mut LineReader<'_>,
    em: &mut Emitter<'_, W>,
    columns: Option<&str>,
) -> Result<(), TraceError> {
    let path = lines.path();
    let layout = match columns {
        Some(c) => {
            Layout::new(c).map_err(|m| TraceError::io(path, format!("bad --columns: {m}")))?
        }
        None => loop {
            let Some((no, text)) = lines.next_line()? else {
                return Err(TraceError::parse(
                    path,
                    lines.line().max(1),
                    None,
                    "",
                    "empty input: expected a header line naming the columns".into(),
                ));
            };
            if text.trim().is_empty() || text.starts_with('#') {
                continue;
            }
            break Layout::new(text).map_err(|m| {
                TraceError::parse(
                    path,
                    no,
                    None,
                    text,
                    format!(
                        "bad header: {m}; give --columns if the file has no header or \
                         names its columns differently"
                    ),
                )
            })?;
        },
    };
    let l = &layout;
    let names: Vec<&str> = l.names.iter().map(String::as_str).collect();
    match l.time {
        None => em.report.note("no time column: records placed 1 µs apart"),
        Some((_, None)) => em.report.note(
            "time column without a unit read as nanoseconds \
             (name it time_s, time_ms, time_us or time_ns with --columns)",
        ),
        Some(_) => {}
    }
    // With --columns the file may still start with its own header: a first line
    // whose offset field is not a number is taken as one.
    let mut maybe_header = columns.is_some();
    let mut index: u64 = 0;
    while let Some((no, text)) = lines.next_line()? {
        if text.trim().is_empty() || text.starts_with('#') {
            continue;
        }
        let line = Line {
            path,
            no,
            names: &names,
        };
        let mut time_f = None;
        let mut op_f = None;
        let mut off_f = None;
        let mut size_f = None;
        let mut dev_f = None;
        let mut n = 0;
        for (i, field) in text.split(',').take(l.needed).enumerate() {
            let v = Some(unquote(field.trim()));
            if l.time.is_some_and(|t| t.0 == i) {
                time_f = v;
            } else if i == l.op {
                op_f = v;
            } else if i == l.offset.0 {
                off_f = v;
            } else if i == l.size {
                size_f = v;
            } else if l.device == Some(i) {
                dev_f = v;
            }
            n = i + 1;
        }
        if std::mem::take(&mut maybe_header) && off_f.and_then(parse_u64).is_none() {
            em.report
                .note("header line replaced by --columns (skipped)");
            continue;
        }
        let (Some(op_t), Some(off_t), Some(size_t)) = (op_f, off_f, size_f) else {
            let missing = [Some(l.op), Some(l.offset.0), Some(l.size)]
                .into_iter()
                .flatten()
                .filter(|&i| i >= n)
                .min()
                .unwrap_or(n);
            return Err(line.missing(missing, l.needed, text));
        };
        let raw = match (l.time, time_f) {
            (Some((i, unit)), Some(t)) => parse_decimal(t, unit.unwrap_or(1)).ok_or_else(|| {
                line.err(
                    i,
                    t,
                    format!("bad time \"{t}\" (expected a number, decimals allowed)"),
                )
            })?,
            (Some((i, _)), None) => return Err(line.missing(i, l.needed, text)),
            (None, _) => index.saturating_mul(1000),
        };
        index += 1;
        let op = match csv_op(op_t) {
            Some(CsvOp::Rw(op)) => op,
            Some(CsvOp::OtherScsi) => {
                em.report
                    .note("SCSI command other than read/write (skipped)");
                continue;
            }
            None => {
                return Err(line.err(
                    l.op,
                    op_t,
                    format!(
                        "unknown op \"{op_t}\" (expected read, write, r, w, or a SCSI \
                         opcode such as 28 or 2a)"
                    ),
                ));
            }
        };
        let (oi, mult) = l.offset;
        let what = if mult == 1 {
            "a byte offset"
        } else {
            "a sector number"
        };
        let offset = line
            .number(oi, off_t, what)?
            .checked_mul(mult)
            .ok_or_else(|| {
                line.err(
                    oi,
                    off_t,
                    format!("offset \"{off_t}\" × {mult} overflows 64 bits"),
                )
            })?;
        let size = line.number(l.size, size_t, "a size in bytes")?;
        line.end(l.size, offset, size, size_t)?;
        em.name.clear();
        em.name.push_str("dev:");
        match (l.device, dev_f) {
            (Some(i), None) => return Err(line.missing(i, l.needed, text)),
            (Some(i), Some("")) => return Err(line.err(i, text, "empty device".into())),
            (Some(_), Some(d)) => em.name.push_str(d),
            (None, _) => em.name.push('0'),
        }
        let time = if l.time.is_some() {
            em.rebase(raw)
        } else {
            raw
        };
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

    #[test]
    fn column_roles() {
        assert_eq!(role("Time"), Some(Role::Time(None)));
        assert_eq!(role("time_ms"), Some(Role::Time(Some(1_000_000))));
        assert_eq!(role(" timestamp_s "), Some(Role::Time(Some(1_000_000_000))));
        assert_eq!(role("lbn"), Some(Role::Offset(512)));
        assert_eq!(role("\"size\""), Some(Role::Size));
        assert_eq!(role("version"), None);
        assert_eq!(role("time_h"), None);
        assert_eq!(role("latency_ns"), None);
    }

    #[test]
    fn layouts() {
        let l = Layout::new("version,time_s,op,size,lbn").unwrap();
        assert_eq!(l.time, Some((1, Some(1_000_000_000))));
        assert_eq!((l.op, l.offset, l.size, l.device), (2, (4, 512), 3, None));
        assert_eq!(l.needed, 5);
        assert!(
            Layout::new("time,op,size")
                .unwrap_err()
                .contains("no offset column")
        );
        assert!(
            Layout::new("time,op,offset,lba,size")
                .unwrap_err()
                .contains("both \"offset\" and \"lba\"")
        );
    }

    #[test]
    fn scsi_opcodes() {
        let rw = |s| match csv_op(s) {
            Some(CsvOp::Rw(op)) => Some(op),
            _ => None,
        };
        assert_eq!(rw("28"), Some(Op::Read));
        assert_eq!(rw("0x2A"), Some(Op::Write));
        assert_eq!(rw("W"), Some(Op::Write));
        assert_eq!(rw("Read"), Some(Op::Read));
        assert!(matches!(csv_op("35"), Some(CsvOp::OtherScsi)));
        assert!(csv_op("0").is_none());
        assert!(csv_op("wirte").is_none());
    }
}
