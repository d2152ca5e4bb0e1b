//! Malformed traces: every error names the file, the physical line, the column and the
//! offending text, exactly as trace-format.md shows, and nothing panics.

use vpsim::trace::{FileTable, Flags, Op, TraceError, TraceReader, check};

const HEADER: &str = "time_ns,pid,op,file,offset,length,flags";

/// Read `data` as a trace named `t.csv` and return the first error.
fn first_error(data: &[u8]) -> TraceError {
    let mut r = TraceReader::from_read("t.csv", std::io::Cursor::new(data.to_vec())).unwrap();
    let mut files = FileTable::new();
    loop {
        match r.next_event(&mut files) {
            Ok(Some(_)) => {}
            Ok(None) => panic!("no error in {:?}", String::from_utf8_lossy(data)),
            Err(e) => return e,
        }
    }
}

/// One data line after `HEADER`, so its errors are on line 2.
fn line_error(line: &[u8]) -> String {
    let mut data = format!("{HEADER}\n").into_bytes();
    data.extend_from_slice(line);
    data.push(b'\n');
    first_error(&data).to_string()
}

#[test]
fn malformed_data_lines() {
    let table: &[(&[u8], &str)] = &[
        (
            b"1,1,pwrite_is_write,a,0,1,",
            "t.csv: line 2, column op: unknown op \"pwrite_is_write\"",
        ),
        (
            b"1,1,READ,a,0,1,",
            "t.csv: line 2, column op: unknown op \"READ\"",
        ),
        (
            b"1,1,,a,0,1,",
            "t.csv: line 2, column op: empty field, required for every row",
        ),
        (
            b"x1,1,read,a,0,1,",
            "t.csv: line 2, column time_ns: bad number \"x1\": expected a plain decimal number",
        ),
        (
            b",1,read,a,0,1,",
            "t.csv: line 2, column time_ns: empty field, required for every row",
        ),
        (
            b"1,-5,read,a,0,1,",
            "t.csv: line 2, column pid: negative number \"-5\"",
        ),
        (
            b"1,4294967296,read,a,0,1,",
            "t.csv: line 2, column pid: number \"4294967296\" is too large (max 4294967295)",
        ),
        (
            b"1,1,read,a, 0,1,",
            "t.csv: line 2, column offset: bad number \" 0\": spaces are not allowed",
        ),
        (
            b"1,1,read,a,0x10,1,",
            "t.csv: line 2, column offset: bad number \"0x10\": expected a plain decimal number",
        ),
        (
            b"1,1,read,a,1.5,1,",
            "t.csv: line 2, column offset: bad number \"1.5\": expected a plain decimal number",
        ),
        (
            b"1,1,read,a,+5,1,",
            "t.csv: line 2, column offset: bad number \"+5\": expected a plain decimal number",
        ),
        (
            b"1,1,read,a,-4096,4096,",
            "t.csv: line 2, column offset: negative number \"-4096\"",
        ),
        (
            b"1,1,read,a,0,18446744073709551616,",
            "t.csv: line 2, column length: number \"18446744073709551616\" is too large (max 18446744073709551615)",
        ),
        (
            b"1,1,read,a,18446744073709551615,1,",
            "t.csv: line 2, column length: length \"1\" at offset 18446744073709551615 overflows u64",
        ),
        (
            b"1,1,read,a,,4096,",
            "t.csv: line 2, column offset: empty field, read needs an offset",
        ),
        (
            b"1,1,fault_read,a,,4096,",
            "t.csv: line 2, column offset: empty field, fault_read needs an offset",
        ),
        (
            b"1,1,write,a,0,,",
            "t.csv: line 2, column length: empty field, write needs a length",
        ),
        (
            b"1,1,msync,a,0,,",
            "t.csv: line 2, column length: empty field, msync needs a length",
        ),
        (
            b"1,1,truncate,a,,,",
            "t.csv: line 2, column length: empty field, truncate needs a length",
        ),
        (
            b"1,1,read,,0,1,",
            "t.csv: line 2, column file: empty field, required for every row",
        ),
        (
            b"1,1,mmap,a,0,4096,fast",
            "t.csv: line 2, column flags: unknown flag \"fast\" (valid for mmap: private, random, sequential, nosync)",
        ),
        (
            b"1,1,mmap,a,0,4096,random|sync",
            "t.csv: line 2, column flags: flag \"sync\" is not valid for mmap (valid for mmap: private, random, sequential, nosync)",
        ),
        (
            b"1,1,read,a,0,4096,random",
            "t.csv: line 2, column flags: flag \"random\" is not valid for read (read takes no flags)",
        ),
        (
            b"1,1,msync,a,0,0,ASYNC",
            "t.csv: line 2, column flags: unknown flag \"ASYNC\" (valid for msync: async, invalidate)",
        ),
        (
            b"1,1,mmap,a,0,4096,random||nosync",
            "t.csv: line 2, column flags: empty flag word in \"random||nosync\" (valid for mmap: private, random, sequential, nosync)",
        ),
        (
            b"1,1,fadvise,a,0,0,",
            "t.csv: line 2, column flags: empty field, fadvise needs one advice word (normal, random, sequential, willneed, dontneed, noreuse)",
        ),
        (
            b"1,1,madvise,a,0,4096,random|willneed",
            "t.csv: line 2, column flags: madvise takes exactly one advice word, not \"random|willneed\" (valid for madvise: normal, random, sequential, willneed, dontneed)",
        ),
        (
            b"1,1,fadvise,a,0,0,random|random",
            "t.csv: line 2, column flags: fadvise takes exactly one advice word, not \"random|random\" (valid for fadvise: normal, random, sequential, willneed, dontneed, noreuse)",
        ),
        (
            b"1,1,madvise,a,0,4096,noreuse",
            "t.csv: line 2, column flags: flag \"noreuse\" is not valid for madvise (valid for madvise: normal, random, sequential, willneed, dontneed)",
        ),
        (
            b"1,1,fadvise,a,0,0,private",
            "t.csv: line 2, column flags: flag \"private\" is not valid for fadvise (valid for fadvise: normal, random, sequential, willneed, dontneed, noreuse)",
        ),
        (
            b"1,1,fadvise,a,0,0,RANDOM",
            "t.csv: line 2, column flags: unknown flag \"RANDOM\" (valid for fadvise: normal, random, sequential, willneed, dontneed, noreuse)",
        ),
        (
            b"1,1,fadvise,a,,0,random",
            "t.csv: line 2, column offset: empty field, fadvise needs an offset",
        ),
        (
            b"1,1,madvise,a,0,,random",
            "t.csv: line 2, column length: empty field, madvise needs a length",
        ),
        (
            b"1,1,read,a,0",
            "t.csv: line 2, column length: too few fields (5 of 7) in \"1,1,read,a,0\"",
        ),
        (
            b"1,1,read,a,0,1,,extra",
            "t.csv: line 2: too many fields (8 for 7 columns; quote file names that contain commas) in \"1,1,read,a,0,1,,extra\"",
        ),
        (
            b"1,1,read,a,b,0,1,",
            "t.csv: line 2: too many fields (8 for 7 columns; quote file names that contain commas) in \"1,1,read,a,b,0,1,\"",
        ),
        (
            b"1,1,read,\"a,0,1,",
            "t.csv: line 2, column file: unterminated quote in \"\"a,0,1,\"",
        ),
        // A quoted field may span lines (RFC 4180): left open, it runs to the end of
        // the input and is reported on the line where it starts.
        (
            b"1,1,read,\"a\nb,0,1,",
            "t.csv: line 2, column file: unterminated quote in \"\"a\\nb,0,1,\"",
        ),
        (
            b"1,1,read,caf\xe9,0,1,",
            "t.csv: line 2, column file: invalid UTF-8 in \"caf\u{fffd}\"",
        ),
        (
            b"1,1,re\xffad,a,0,1,",
            "t.csv: line 2, column op: invalid UTF-8 in \"re\u{fffd}ad\"",
        ),
        (
            b"1,1,read\x00,a,0,1,",
            "t.csv: line 2, column op: unknown op \"read\\0\"",
        ),
    ];
    assert!(table.len() >= 20);
    for (line, want) in table {
        assert_eq!(
            &line_error(line),
            want,
            "line {:?}",
            String::from_utf8_lossy(line)
        );
    }
}

/// Text after a closing quote is not an error: the csv crate, like most CSV readers,
/// keeps it as part of the field (`"a"b` is `ab`), where the hand-written reader
/// refused it.
#[test]
fn text_after_a_closing_quote_is_kept() {
    let data = format!("{HEADER}\n1,1,read,\"a\"b,0,1,\n");
    let mut r = TraceReader::from_read("t.csv", std::io::Cursor::new(data)).unwrap();
    let mut files = FileTable::new();
    let ev = r.next_event(&mut files).unwrap().unwrap();
    assert_eq!(files.name(ev.file), "ab");
}

#[test]
fn malformed_headers_and_files() {
    let table: &[(&[u8], &str)] = &[
        (
            b"time_ns,pid,op,file,length\n1,1,close,a,\n",
            "t.csv: line 1: the header has no column \"offset\"",
        ),
        (
            b"time_ns,pid,op,file\n",
            "t.csv: line 1: the header has no columns \"offset\", \"length\"",
        ),
        (
            b"0,100,open,a,,1\n1,100,close,a,,\n",
            "t.csv: line 1: no header: the first line must name the columns (time_ns,pid,op,file,offset,length), found \"0,100,open,a,,1\"",
        ),
        (
            b"\x00\x01\xfe\xff\x89PNG\n\x1a\n",
            "t.csv: line 1: invalid UTF-8 in \"\\0\\u{1}\u{fffd}\u{fffd}\u{fffd}PNG\"",
        ),
        (
            b"just some text\n",
            "t.csv: line 1: no header: the first line must name the columns (time_ns,pid,op,file,offset,length), found \"just some text\"",
        ),
        (
            b"time_ns,pid,op,op,file,offset,length\n",
            "t.csv: line 1: duplicate column \"op\" in the header",
        ),
        (
            b"time_ns,pid,\"op,file,offset,length\n",
            "t.csv: line 1: unterminated quote in \"\"op,file,offset,length\"",
        ),
        // comment and blank lines count: the header is on line 3, the bad row on 6
        (
            b"# a comment\n\ntime_ns,pid,op,file,offset,length\r\n1,1,close,a,,\r\n\r\n2,1,bogus,a,,\r\n",
            "t.csv: line 6, column op: unknown op \"bogus\"",
        ),
        // columns in another order still name the right column
        (
            b"file,length,offset,op,pid,time_ns\na,1,-1,read,1,1\n",
            "t.csv: line 2, column offset: negative number \"-1\"",
        ),
        // an advice op needs its word, so a trace without a flags column cannot have one
        (
            b"time_ns,pid,op,file,offset,length\n1,1,close,a,,\n2,1,fadvise,a,0,0\n",
            "t.csv: line 3, column flags: no flags column: fadvise needs one advice word (normal, random, sequential, willneed, dontneed, noreuse)",
        ),
        // the name as written in the header is used for an unknown trailing column
        (
            b"time_ns,pid,op,file,offset,length,latency_ns\n1,1,close,a,,\n",
            "t.csv: line 2, column latency_ns: too few fields (6 of 7) in \"1,1,close,a,,\"",
        ),
    ];
    for (data, want) in table {
        assert_eq!(
            &first_error(data).to_string(),
            want,
            "data {:?}",
            String::from_utf8_lossy(data)
        );
    }
}

#[test]
fn fine_lines_are_not_errors() {
    let data = format!(
        "\u{feff}{HEADER}\r\n1,1,read,a,0,1,\r\n2,1,fault_read,a,4096,4096,\r\n\
         3,1,close,a,garbage-ignored,x,\r\n4,1,read,\"a\",\"0\",\"1\",\r\n"
    );
    let mut r = TraceReader::from_read("t.csv", std::io::Cursor::new(data)).unwrap();
    let mut files = FileTable::new();
    let mut n = 0;
    while let Some(e) = r.next_event(&mut files).unwrap() {
        assert_eq!(e.file, 0);
        n += 1;
    }
    assert_eq!(n, 4);
    assert_eq!(r.line(), 5);
}

#[test]
fn advice_rows_with_one_word_are_fine() {
    let data = format!(
        "{HEADER}\n1,1,fadvise,a,0,0,normal\n2,1,fadvise,a,4096,8192,noreuse\n\
         3,1,madvise,a,0,4096,sequential\n4,1,madvise,a,8192,4096,dontneed\n"
    );
    let mut r = TraceReader::from_read("t.csv", std::io::Cursor::new(data)).unwrap();
    let mut files = FileTable::new();
    let mut got = Vec::new();
    while let Some(e) = r.next_event(&mut files).unwrap() {
        got.push((e.op, e.offset(), e.length(), e.flags));
    }
    assert_eq!(
        got,
        vec![
            (Op::Fadvise, Some(0), Some(0), Flags::NORMAL),
            (Op::Fadvise, Some(4096), Some(8192), Flags::NOREUSE),
            (Op::Madvise, Some(0), Some(4096), Flags::SEQUENTIAL),
            (Op::Madvise, Some(8192), Some(4096), Flags::DONTNEED),
        ]
    );
}

#[test]
fn errors_are_sticky_after_a_bad_header() {
    let mut r = TraceReader::from_read("t.csv", &b"time_ns,pid\n1,2\n"[..]).unwrap();
    let mut files = FileTable::new();
    let e1 = r.next_event(&mut files).unwrap_err();
    assert!(r.is_fatal());
    assert_eq!(r.next_event(&mut files).unwrap_err(), e1);
}

#[test]
fn stdin_is_named_stdin() {
    let mut r = TraceReader::from_read("-", &b"time_ns,pid,op,file,offset,length\n1,1,x,a,,\n"[..])
        .unwrap();
    let e = r.next_event(&mut FileTable::new()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "<stdin>: line 2, column op: unknown op \"x\""
    );
    assert_eq!(e.path(), "<stdin>");
    assert_eq!(e.line(), Some(2));
    assert_eq!(e.column(), Some("op"));
    assert_eq!(e.text(), "x");
    assert_eq!(e.message(), "unknown op \"x\"");
}

#[test]
fn long_text_is_truncated() {
    let long = "z".repeat(500);
    let msg = line_error(format!("1,1,{long},a,0,1,").as_bytes());
    let want = format!(
        "t.csv: line 2, column op: unknown op \"{}...\"",
        "z".repeat(80)
    );
    assert_eq!(msg, want);
}

#[test]
fn random_garbage_never_panics() {
    // A deterministic xorshift stream of bytes biased towards CSV punctuation.
    let mut s: u64 = 0x9e3779b97f4a7c15;
    let alphabet = b",,,,\"\"\n\n\r0123456789-|#abcdefopenreadwritemmapsync \xff\xc3";
    for round in 0..200 {
        let mut data = format!("{HEADER}\n").into_bytes();
        if round % 7 == 0 {
            data.clear();
        }
        for _ in 0..400 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            data.push(alphabet[(s % alphabet.len() as u64) as usize]);
        }
        let mut r = TraceReader::from_read("t.csv", std::io::Cursor::new(data)).unwrap();
        let mut files = FileTable::new();
        for _ in 0..1000 {
            match r.next_event(&mut files) {
                Ok(None) => break,
                Ok(Some(_)) => {}
                Err(e) => {
                    assert!(e.to_string().starts_with("t.csv: line "), "{e}");
                    if r.is_fatal() {
                        break;
                    }
                }
            }
        }
    }
}

#[test]
fn check_lists_every_bad_line() {
    let path = format!("{}/traces/bad.csv", env!("CARGO_MANIFEST_DIR"));
    let rep = check(&path, 100).unwrap();
    assert!(!rep.is_ok());
    assert_eq!(rep.bad_lines, 6);
    assert_eq!(rep.events, 3);
    assert_eq!(rep.lines, 11);
    let got: Vec<String> = rep.errors.iter().map(|e| e.to_string()).collect();
    let want = [
        "line 4, column op: unknown op \"pread\"",
        "line 5, column offset: empty field, read needs an offset",
        "line 6, column offset: negative number \"-4096\"",
        "line 8: too many fields (7 for 6 columns; quote file names that contain commas) in \"5000,1,mmap,a.dat,0,8192,extra\"",
        "line 9, column length: length \"1\" at offset 18446744073709551615 overflows u64",
        "line 10, column offset: too few fields (4 of 6) in \"7000,1,close,a.dat\"",
    ]
    .map(|w| format!("{path}: {w}"));
    assert_eq!(got, want);

    // max_errors limits the list, not the count
    let rep = check(&path, 2).unwrap();
    assert_eq!(rep.errors.len(), 2);
    assert_eq!(rep.bad_lines, 6);
    let shown = rep.to_string();
    assert!(
        shown.starts_with(&format!(
            "{path}: 6 bad lines (showing the first 2)\n  {}\n",
            want[0]
        )),
        "{shown}"
    );
    assert!(shown.contains("summary:"));
}

#[test]
fn check_stops_at_a_bad_header() {
    let dir = std::env::temp_dir().join(format!("vpsim-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("noheader.csv");
    std::fs::write(&p, "1,1,close,a,,\n2,1,close,a,,\n").unwrap();
    let p = p.to_str().unwrap();
    let rep = check(p, 10).unwrap();
    assert_eq!(rep.bad_lines, 1);
    assert_eq!(rep.events, 0);
    assert_eq!(rep.errors[0].line(), Some(1));
    assert!(rep.warnings[0].contains("cannot be read without a header"));
    std::fs::remove_dir_all(&dir).unwrap();
}
