//! Unit tests of the parent module.

use super::*;
use crate::trace::event::{Flags, Op};

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

#[test]
fn quoted_fields_span_lines_and_errors_name_the_first_line() {
    // RFC 4180: a quoted field holds commas, `""` and line breaks; the record is one
    // event, and the lines after it keep their physical numbers.
    let text = "time_ns,pid,op,file,offset,length\n\
        1,1,open,\"two\nlines, \"\"quoted\"\"\",,10\n\
        # a comment\n\
        2,1,close,\"a\r\nb\",,\n\
        \n\
        3,1,bogus,x,,\n\
        4,1,close,\"c\nd\",1,\n\
        5,1,read,x,0,x\n";
    let (evs, files, errs) = read_all(text);
    assert_eq!(evs.len(), 3, "{errs:?}");
    assert_eq!(files.name(evs[0].file), "two\nlines, \"quoted\"");
    assert_eq!(files.initial_size(evs[0].file), Some(10));
    assert_eq!(files.name(evs[1].file), "a\r\nb");
    assert_eq!(files.name(evs[2].file), "c\nd");
    let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        msgs,
        [
            "t.csv: line 8, column op: unknown op \"bogus\"",
            "t.csv: line 11, column length: bad number \"x\": expected a plain decimal number",
        ]
    );
}

#[test]
fn line_count_at_the_end() {
    let count = |text: &str| {
        let mut r = TraceReader::from_read("t.csv", std::io::Cursor::new(text.to_string()))
            .expect("in-memory open");
        let mut files = FileTable::new();
        while r.next_event(&mut files).expect("a good trace").is_some() {}
        r.line()
    };
    assert_eq!(count(""), 0);
    assert_eq!(count("time_ns,pid,op,file,offset,length\n"), 1);
    assert_eq!(count("time_ns,pid,op,file,offset,length\n\n# c\n"), 3);
    assert_eq!(count("time_ns,pid,op,file,offset,length\n1,1,close,a,,"), 2);
    assert_eq!(
        count("time_ns,pid,op,file,offset,length\n1,1,close,\"a\nb\",,\n"),
        3
    );
}

#[test]
fn crlf_lines_and_a_last_line_without_newline() {
    let text = "time_ns,pid,op,file,offset,length,flags\r\n\
        1,1,open,a,,5,sync\r\n\
        2,1,close,\"b\",,,\r\n\
        3,1,read,a,0,7,";
    let (evs, files, errs) = read_all(text);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(evs.len(), 3);
    assert_eq!(evs[0].flags, Flags::SYNC);
    assert_eq!(files.name(evs[1].file), "b");
    assert_eq!(evs[2].length(), Some(7));
}

#[test]
fn a_quote_left_open() {
    // At the end of the input: the record starting on line 3 is reported there.
    let text = "time_ns,pid,op,file,offset,length\n1,1,close,a,,\n2,1,close,\"b,,\n3,1,close,c,,\n";
    let (evs, _, errs) = read_all(text);
    assert_eq!(evs.len(), 1);
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].to_string(),
        "t.csv: line 3, column file: unterminated quote in \"\"b,,\\n3,1,close,c,,\""
    );
    // Running on for more than MAX_LINE bytes: reported, and reading goes on after it
    // (the lines after the stop are read as rows again, and are bad rows here).
    let mut text = String::from("time_ns,pid,op,file,offset,length\n1,1,close,\"a,,\n");
    for i in 0..(MAX_LINE / 5) {
        text.push_str(&format!("{i},1,x\n"));
    }
    text.push_str("9,1,close,z,,\n");
    let (evs, _, errs) = read_all(&text);
    assert!(!errs.is_empty());
    let first = errs[0].to_string();
    assert!(
        first.starts_with("t.csv: line 2, column file: unterminated quote in \"\"a,,\\n0,1,x"),
        "{first}"
    );
    assert!(
        first.ends_with("(still open after 1048576 bytes)"),
        "{first}"
    );
    assert_eq!(evs.len(), 1, "the good line after the garbage is read");
    assert_eq!(evs[0].time_ns, 9);
}

#[test]
fn many_comment_lines_are_not_a_long_record() {
    let mut text = String::from("time_ns,pid,op,file,offset,length\n");
    for _ in 0..(MAX_LINE / 20 + 10) {
        text.push_str("# nineteen bytes...\n");
    }
    text.push_str("1,1,close,a,,\n");
    let lines = text.matches('\n').count() as u64;
    let mut r = TraceReader::from_read("t.csv", std::io::Cursor::new(text)).expect("open");
    let mut files = FileTable::new();
    let ev = r
        .next_event(&mut files)
        .expect("no error")
        .expect("one event");
    assert_eq!(ev.time_ns, 1);
    assert!(r.next_event(&mut files).expect("no error").is_none());
    assert_eq!(r.line(), lines);
}
