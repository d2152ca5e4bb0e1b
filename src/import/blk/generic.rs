//! The generic block-trace CSV: a header (or `--columns`) names the columns, in any
//! order and under several usual names, so traces from other tools (libCacheSim
//! samples, VMware vscsi dumps, home-made CSV) import without a converter of their own.

use std::io::Write;

use super::{Emitter, Line, Rows, SECTOR, TraceError};
use crate::import::text::{parse_decimal, parse_u64};
use crate::trace::Op;

/// A field without one pair of surrounding double quotes (`--columns` is split by
/// hand: it is an argument, not a CSV file).
fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

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
    /// The layout named by `--columns`, or what is wrong with it.
    fn new(header: &str) -> Result<Layout, String> {
        Layout::from_names(
            header
                .split(',')
                .map(|s| unquote(s.trim()).to_string())
                .collect(),
        )
    }

    /// The layout named by `names` (a header record or `--columns`), or what is wrong
    /// with it.
    fn from_names(names: Vec<String>) -> Result<Layout, String> {
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
pub(super) fn csv<W: Write>(
    rows: &mut Rows<'_>,
    em: &mut Emitter<'_, W>,
    columns: Option<&str>,
) -> Result<(), TraceError> {
    let path = rows.path;
    let layout = match columns {
        Some(c) => {
            Layout::new(c).map_err(|m| TraceError::io(path, format!("bad --columns: {m}")))?
        }
        None => {
            let line = rows.records.line().max(1);
            let Some(row) = rows.next()? else {
                return Err(TraceError::parse(
                    path,
                    line,
                    None,
                    "",
                    "empty input: expected a header line naming the columns".into(),
                ));
            };
            let names = (0..row.len())
                .map(|i| row.field(i).unwrap_or_default().to_string())
                .collect();
            Layout::from_names(names).map_err(|m| {
                TraceError::parse(
                    path,
                    row.no,
                    None,
                    &row.text(),
                    format!(
                        "bad header: {m}; give --columns if the file has no header or \
                         names its columns differently"
                    ),
                )
            })?
        }
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
    while let Some(row) = rows.next()? {
        let line = Line {
            path,
            no: row.no,
            names: &names,
        };
        let mut time_f = None;
        let mut op_f = None;
        let mut off_f = None;
        let mut size_f = None;
        let mut dev_f = None;
        let n = row.len().min(l.needed);
        for i in 0..n {
            let v = row.field(i);
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
            return Err(line.missing(missing, l.needed, &row));
        };
        let raw = match (l.time, time_f) {
            (Some((i, unit)), Some(t)) => parse_decimal(t, unit.unwrap_or(1)).ok_or_else(|| {
                line.err(
                    i,
                    t,
                    format!("bad time \"{t}\" (expected a number, decimals allowed)"),
                )
            })?,
            (Some((i, _)), None) => return Err(line.missing(i, l.needed, &row)),
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
            (Some(i), None) => return Err(line.missing(i, l.needed, &row)),
            (Some(i), Some("")) => return Err(line.err(i, &row.text(), "empty device".into())),
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

#[cfg(test)]
mod tests {
    use super::*;

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
