//! Unit tests of the row parser.

use super::*;

fn record(fields: &[&str]) -> ByteRecord {
    ByteRecord::from(fields.to_vec())
}

const HEADER: [&str; 7] = ["time_ns", "pid", "op", "file", "offset", "length", "flags"];

fn ctx<'a>(names: &'a [String]) -> Ctx<'a> {
    Ctx {
        path: "t.csv",
        line: 7,
        names,
    }
}

#[test]
fn numbers() {
    assert_eq!(parse_num(b"0", u64::MAX), Ok(0));
    assert_eq!(parse_num(b"007", u64::MAX), Ok(7));
    assert_eq!(parse_num(b"18446744073709551615", u64::MAX), Ok(u64::MAX));
    assert_eq!(
        parse_num(b"18446744073709551616", u64::MAX),
        Err(NumError::Overflow)
    );
    assert_eq!(
        parse_num(b"4294967296", u32::MAX as u64),
        Err(NumError::Overflow)
    );
    assert_eq!(parse_num(b"-1", u64::MAX), Err(NumError::Negative));
    assert_eq!(parse_num(b" 1", u64::MAX), Err(NumError::Space));
    assert_eq!(parse_num(b"+1", u64::MAX), Err(NumError::NotDigits));
    assert_eq!(parse_num(b"1e3", u64::MAX), Err(NumError::NotDigits));
    assert_eq!(parse_num(b"-", u64::MAX), Err(NumError::NotDigits));
}

#[test]
fn a_row_in_any_column_order() {
    let header = record(&["flags", "length", "op", "file", "pid", "offset", "time_ns"]);
    let cols = Columns::parse(&header, &ctx(&[])).unwrap();
    let mut files = FileTable::new();
    let ev = parse_row(
        &record(&[
            "random|nosync",
            "8192",
            "mmap",
            "a,\"b\"\nc",
            "3",
            "4096",
            "9",
        ]),
        &cols,
        &mut files,
        &ctx(&cols.names),
    )
    .unwrap();
    assert_eq!((ev.time_ns, ev.pid, ev.op), (9, 3, Op::Mmap));
    assert_eq!((ev.offset(), ev.length()), (Some(4096), Some(8192)));
    assert_eq!(ev.flags, Flags::RANDOM | Flags::NOSYNC);
    assert_eq!(files.name(ev.file), "a,\"b\"\nc");
}

#[test]
fn row_errors_name_the_line_and_column() {
    let cols = Columns::parse(&record(&HEADER), &ctx(&[])).unwrap();
    let mut files = FileTable::new();
    let mut err = |fields: &[&str]| {
        parse_row(&record(fields), &cols, &mut files, &ctx(&cols.names))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(&["1", "1", "read", "a", "0", "x", ""]),
        "t.csv: line 7, column length: bad number \"x\": expected a plain decimal number"
    );
    // The row is shown with its fields joined by commas.
    assert_eq!(
        err(&["1", "1", "read", "a,b", "0"]),
        "t.csv: line 7, column length: too few fields (5 of 7) in \"1,1,read,a,b,0\""
    );
}

#[test]
fn header_errors() {
    let e = |fields: &[&str]| {
        Columns::parse(&record(fields), &ctx(&[]))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        e(&["time_ns", "pid", "op", "file", "offset", "length", "PID"]),
        "t.csv: line 7: duplicate column \"PID\" in the header"
    );
    assert_eq!(
        e(&["time_ns", "pid", "op", "file"]),
        "t.csv: line 7: the header has no columns \"offset\", \"length\""
    );
}
