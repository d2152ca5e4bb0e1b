//! Unit tests of the parent module.

use super::*;

fn read_all(text: &str) -> (Vec<Event>, FileTable, Vec<TraceError>) {
    let mut r = TraceReader::from_read("t.csv", std::io::Cursor::new(text.to_string()))
        .expect("in-memory open");
    let mut files = FileTable::new();
    let mut evs = Vec::new();
    let mut errs = Vec::new();
    loop {
        match r.next_event(&mut files) {
            Ok(Some(e)) => evs.push(e),
            Ok(None) => break,
            Err(e) => {
                errs.push(e);
                if r.is_fatal() {
                    break;
                }
            }
        }
    }
    (evs, files, errs)
}

#[test]
fn splitting() {
    let mut f = Vec::new();
    split(b"a,b,,c", &mut f).unwrap();
    assert_eq!(f.len(), 4);
    split(b"", &mut f).unwrap();
    assert_eq!(f.len(), 1);
    split(b"a,", &mut f).unwrap();
    assert_eq!(f.len(), 2);
    split(b"\"x,y\",\"a\"\"b\",\"\"", &mut f).unwrap();
    assert_eq!(f.len(), 3);
    let line = b"\"x,y\",\"a\"\"b\",\"\"";
    let mut s = Vec::new();
    assert_eq!(value(line, f[0], &mut s), b"x,y");
    assert_eq!(value(line, f[1], &mut s), b"a\"b");
    assert_eq!(value(line, f[2], &mut s), b"");
    assert_eq!(
        split(b"a,\"bc", &mut f),
        Err(SplitError::Unterminated { field: 1, start: 2 })
    );
    assert_eq!(
        split(b"\"a\"b,c", &mut f),
        Err(SplitError::AfterQuote { field: 0, start: 0 })
    );
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
fn reads_every_op_and_column_order() {
    let text = "\u{feff}# comment\r\n\r\nop,file,length,offset,pid,time_ns,flags,latency_ns\r\n\
        open,\"a,b\",100,,1,10,sync|append,5\r\n\
        read,\"a,b\",10,0,1,20,,5\r\n\
        write,x,5,,2,30,,\r\n\
        fault_read,x,4096,8192,2,40,,\r\n\
        mmap,x,8192,0,2,50,private|nosync,\r\n\
        msync,x,0,0,2,60,async,\r\n\
        close,x,,99,2,70,,\n";
    let (evs, files, errs) = read_all(text);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(evs.len(), 7);
    assert_eq!(files.name(0), "a,b");
    assert_eq!(files.initial_size(0), Some(100));
    assert!(files.declared(0));
    assert_eq!(files.initial_size(1), None);
    let e = evs[0];
    assert_eq!((e.op, e.time_ns, e.pid), (Op::Open, 10, 1));
    assert_eq!(e.length(), Some(100));
    assert_eq!(e.offset(), None);
    assert_eq!(e.flags, Flags::SYNC | Flags::APPEND);
    assert_eq!(evs[2].offset(), None); // append
    assert_eq!(evs[3].length(), None); // fault length ignored
    assert_eq!(evs[3].offset(), Some(8192));
    assert_eq!(evs[4].flags, Flags::PRIVATE | Flags::NOSYNC);
    assert_eq!(evs[5].length(), Some(0));
    assert_eq!(evs[6].offset(), None); // close ignores an offset
}

#[test]
fn time_backwards_is_clamped_and_warned() {
    let text = "time_ns,pid,op,file,offset,length\n5,1,close,a,,\n3,1,close,a,,\n9,1,close,a,,\n1,1,close,a,,\n";
    let mut r = TraceReader::from_read("t.csv", std::io::Cursor::new(text)).unwrap();
    let mut files = FileTable::new();
    let mut times = Vec::new();
    while let Some(e) = r.next_event(&mut files).unwrap() {
        times.push(e.time_ns);
    }
    assert_eq!(times, vec![5, 5, 9, 9]);
    assert_eq!(r.clamped_times(), 2);
    assert_eq!(
        r.warnings(),
        vec![
            "t.csv: time_ns went backwards on 2 lines (first at line 3); clamped to the previous time"
                .to_string()
        ]
    );
}

#[test]
fn empty_and_header_only() {
    let (evs, files, errs) = read_all("");
    assert!(evs.is_empty() && files.is_empty() && errs.is_empty());
    let (evs, _, errs) = read_all("time_ns,pid,op,file,offset,length\n");
    assert!(evs.is_empty() && errs.is_empty());
}

#[test]
fn errors_resync_at_next_line() {
    let text = "time_ns,pid,op,file,offset,length\n1,1,bogus,a,,\n2,1,close,a,,\n";
    let (evs, _, errs) = read_all(text);
    assert_eq!(evs.len(), 1);
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].to_string(),
        "t.csv: line 2, column op: unknown op \"bogus\""
    );
}

#[test]
fn overlong_line() {
    let mut text = String::from("time_ns,pid,op,file,offset,length\n1,1,close,");
    text.push_str(&"x".repeat(MAX_LINE + 10));
    text.push_str(",,\n2,1,close,a,,\n");
    let (evs, _, errs) = read_all(&text);
    assert_eq!(evs.len(), 1);
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0]
            .to_string()
            .starts_with("t.csv: line 2: line longer than 1048576 bytes"),
        "{}",
        errs[0]
    );
}

#[test]
fn no_allocation_growth_for_known_names() {
    // The reused buffers keep their capacity; reading more rows of known files
    // does not grow the table.
    let mut text = String::from("time_ns,pid,op,file,offset,length\n");
    for i in 0..1000 {
        text.push_str(&format!("{i},1,read,f{},0,4096\n", i % 3));
    }
    let (evs, files, errs) = read_all(&text);
    assert!(errs.is_empty());
    assert_eq!(evs.len(), 1000);
    assert_eq!(files.len(), 3);
}
