//! `vpsim import fio` and `vpsim import blk`: samples of every accepted format converted
//! to exact rows, the rows read back by the trace reader, and every malformed input
//! reported with its line (and column) without a panic.

mod common;
use common::*;
use std::io::Write;
use std::path::PathBuf;
use vpsim::import::blk::{self, BlkFormat, BlkOptions};
use vpsim::import::{ImportReport, fio};
use vpsim::trace::{FileTable, HEADER, TraceError, TraceReader, TraceWriter};

// ---------------------------------------------------------------------------------
// Helpers

fn run_fio(log: &[u8]) -> Result<(String, ImportReport), TraceError> {
    let mut w = TraceWriter::new(Vec::new()).unwrap();
    let mut input = log;
    let r = fio::import(&mut input, "job.iolog", &mut w)?;
    Ok((String::from_utf8(w.finish().unwrap()).unwrap(), r))
}

fn run_blk(
    format: BlkFormat,
    columns: Option<&str>,
    data: &[u8],
) -> Result<(String, ImportReport), TraceError> {
    let opts = BlkOptions {
        format,
        columns: columns.map(str::to_string),
    };
    let mut w = TraceWriter::new(Vec::new()).unwrap();
    let mut input = data;
    let r = blk::import(&mut input, "t.csv", &opts, &mut w)?;
    Ok((String::from_utf8(w.finish().unwrap()).unwrap(), r))
}

/// The trace text `HEADER` + `rows`, one per line.
fn trace(rows: &[&str]) -> String {
    let mut s = format!("{HEADER}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// Read a written trace back with the replay's reader: it must be valid and hold
/// `events` rows.
#[track_caller]
fn reads_back(text: &str, events: u64) {
    let mut r =
        TraceReader::from_read("out.csv", std::io::Cursor::new(text.as_bytes().to_vec())).unwrap();
    let mut files = FileTable::new();
    let mut n = 0;
    while r.next_event(&mut files).unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, events);
}

fn note(r: &ImportReport, kind: &str) -> u64 {
    r.notes.get(kind).copied().unwrap_or(0)
}

/// A fresh directory for this test's files.
fn temp_dir(name: &str) -> PathBuf {
    common::scratch("import-fio-blk", name)
}

// ---------------------------------------------------------------------------------
// fio

const FIO_V2: &str = "\
fio version 2 iolog
/data/f1 add
/data/f2 add
/data/f1 open
/data/f1 write 0 4096
/data/f1 write 4096 4096
/data/f1 sync 0 0
/data/f2 open
/data/f2 read 8192 512
/data/f1 trim 0 4096
/data/f1 wait 5 0
/data/f1 datasync 0 0

/data/f1 close
/data/f2 close
";

#[test]
fn fio_v2_rows_are_1us_apart_and_wait_holds_until_ms_after_start() {
    let (text, r) = run_fio(FIO_V2.as_bytes()).unwrap();
    assert_eq!(
        text,
        trace(&[
            "0,1,open,/data/f1,,,",
            "1000,1,write,/data/f1,0,4096,",
            "2000,1,write,/data/f1,4096,4096,",
            "3000,1,fsync,/data/f1,,,",
            "4000,1,open,/data/f2,,,",
            "5000,1,read,/data/f2,8192,512,",
            // wait 5: nothing before 5 ms after the start.
            "5000000,1,fsync,/data/f1,,,",
            "5001000,1,close,/data/f1,,,",
            "5002000,1,close,/data/f2,,,",
        ])
    );
    assert_eq!((r.lines, r.events), (15, 9));
    assert_eq!(note(&r, "fio add (no row: the file's open declares it)"), 2);
    assert_eq!(note(&r, "fio trim (no trace op; skipped)"), 1);
    assert_eq!(r.notes.len(), 2, "{:?}", r.notes);
    reads_back(&text, 9);
}

const FIO_V3: &str = "\
fio version 3 iolog
2 /dev/nvme0n1 add
872 /dev/nvme0n1 open
878 /dev/nvme0n1 read 0 4096
888 /dev/nvme0n1 write 1048576 65536
891 /dev/nvme0n1 sync 0 0
900 /dev/nvme0n1 trim 0 1048576
950 /dev/nvme0n1 wait 100 0
10001677 /dev/nvme0n1 close
";

#[test]
fn fio_v3_timestamps_are_microseconds() {
    let (text, r) = run_fio(FIO_V3.as_bytes()).unwrap();
    assert_eq!(
        text,
        trace(&[
            "872000,1,open,/dev/nvme0n1,,,",
            "878000,1,read,/dev/nvme0n1,0,4096,",
            "888000,1,write,/dev/nvme0n1,1048576,65536,",
            "891000,1,fsync,/dev/nvme0n1,,,",
            "10001677000,1,close,/dev/nvme0n1,,,",
        ])
    );
    assert_eq!((r.lines, r.events), (9, 5));
    assert_eq!(note(&r, "fio add (no row: the file's open declares it)"), 1);
    assert_eq!(note(&r, "fio trim (no trace op; skipped)"), 1);
    assert_eq!(
        note(&r, "fio wait in a version 3 log (ignored, as fio does)"),
        1
    );
    reads_back(&text, 5);
}

#[test]
fn fio_io_outside_open_close_is_kept_and_counted() {
    let (text, r) = run_fio(b"fio version 2 iolog\r\nf read 0 1\r\nf close\r\n").unwrap();
    assert_eq!(text, trace(&["0,1,read,f,0,1,", "1000,1,close,f,,,"]));
    assert_eq!(
        note(
            &r,
            "fio I/O on a file that is not open (replay opens it implicitly)"
        ),
        1
    );
    assert_eq!(
        note(&r, "fio close of a file that is not open (row kept)"),
        1
    );
}

#[test]
fn fio_malformed_input_names_line_and_column() {
    let v2 = "fio version 2 iolog\nf open\n";
    let table: &[(String, &str)] = &[
        (
            format!("{v2}f read x 4096\n"),
            "job.iolog: line 3, column offset: bad number \"x\" (expected a byte offset)",
        ),
        (
            format!("{v2}f read 0 -1\n"),
            "job.iolog: line 3, column length: bad number \"-1\" (expected a byte count)",
        ),
        (
            format!("{v2}f pread 0 1\n"),
            "job.iolog: line 3, column action: unknown action \"pread\" (expected add, open, \
             close, read, write, sync, datasync, trim or wait)",
        ),
        (
            format!("{v2}f READ 0 1\n"),
            "job.iolog: line 3, column action: unknown action \"READ\" (expected add, open, \
             close, read, write, sync, datasync, trim or wait)",
        ),
        (
            format!("{v2}f read 0\n"),
            "job.iolog: line 3, column length: missing length after read",
        ),
        (
            format!("{v2}f write\n"),
            "job.iolog: line 3, column offset: missing offset after write",
        ),
        (
            format!("{v2}f\n"),
            "job.iolog: line 3, column action: missing action",
        ),
        (
            format!("{v2}f open 0 0\n"),
            "job.iolog: line 3, column offset: open takes no offset or length",
        ),
        (
            format!("{v2}f wait\n"),
            "job.iolog: line 3, column offset: missing wait time after wait",
        ),
        (
            format!("{v2}f read 18446744073709551615 2\n"),
            "job.iolog: line 3, column length: offset 18446744073709551615 + length 2 \
             overflows 64 bits",
        ),
        (
            "fio version 3 iolog\n\nabc f open\n".into(),
            "job.iolog: line 3, column timestamp: bad timestamp \"abc\" (expected microseconds)",
        ),
        (
            "fio version 3 iolog\n7\n".into(),
            "job.iolog: line 2, column file: missing file name",
        ),
        (
            "fio version 3 iolog\n7 f open\n8 f write 0 x\n".into(),
            "job.iolog: line 3, column length: bad number \"x\" (expected a byte count)",
        ),
        (
            "fio version 3 iolog\n18446744073709551615 f open\n".into(),
            "job.iolog: line 2, column timestamp: timestamp \"18446744073709551615\" is too \
             large",
        ),
        (
            "fio version 4 iolog\n".into(),
            "job.iolog: line 1: unsupported iolog version \"fio version 4 iolog\" (only 2 and \
             3 are read)",
        ),
        (
            "time_ns,pid,op,file,offset,length\n".into(),
            "job.iolog: line 1: not a fio iolog: the first line must be \"fio version 2 \
             iolog\" or \"fio version 3 iolog\", not \"time_ns,pid,op,file,offset,length\"",
        ),
        (
            String::new(),
            "job.iolog: line 1: empty input: not a fio iolog (the first line must be \"fio \
             version 2 iolog\" or \"fio version 3 iolog\")",
        ),
    ];
    for (input, want) in table {
        let e = run_fio(input.as_bytes()).expect_err(input);
        assert_eq!(e.to_string(), *want, "input {input:?}");
    }
}

// ---------------------------------------------------------------------------------
// MSR Cambridge

const MSR: &str = "\
128166372003061629,hm,0,Read,3218866176,4096,2212
128166372016382155,hm,0,Write,3216686080,4096,1863
128166372026382245,hm,1,Read,8192,512,400
128166372026382245,prn,0,Write,0,65536,100
128166372036382245,hm,0,Read,3218870272,8192,100
";

#[test]
fn msr_devices_become_files_and_times_are_filetime_ticks() {
    let (text, r) = run_blk(BlkFormat::Msr, None, MSR.as_bytes()).unwrap();
    assert_eq!(
        text,
        trace(&[
            "0,1,open,dev:hm.0,,,",
            "0,1,read,dev:hm.0,3218866176,4096,",
            "1332052600,1,write,dev:hm.0,3216686080,4096,",
            "2332061600,1,open,dev:hm.1,,,",
            "2332061600,1,read,dev:hm.1,8192,512,",
            "2332061600,1,open,dev:prn.0,,,",
            "2332061600,1,write,dev:prn.0,0,65536,",
            "3332061600,1,read,dev:hm.0,3218870272,8192,",
        ])
    );
    assert_eq!((r.lines, r.events), (5, 8));
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    reads_back(&text, 8);
}

#[test]
fn msr_backward_times_are_clamped_header_and_empty_requests_counted() {
    let data = "Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime\n\
                1000,hm,0,Read,0,4096,1\n\
                1050,hm,0,Read,4096,4096,1\n\
                1020,hm,0,Write,0,512,1\n\
                900,hm,0,Write,0,512,1\n\
                1100,hm,0,Write,0,0,1\n";
    let (text, r) = run_blk(BlkFormat::Msr, None, data.as_bytes()).unwrap();
    assert_eq!(
        text,
        trace(&[
            "0,1,open,dev:hm.0,,,",
            "0,1,read,dev:hm.0,0,4096,",
            "5000,1,read,dev:hm.0,4096,4096,",
            "5000,1,write,dev:hm.0,0,512,",
            "5000,1,write,dev:hm.0,0,512,",
        ])
    );
    assert_eq!(note(&r, "MSR header line (skipped)"), 1);
    assert_eq!(
        note(&r, "time went backwards (clamped to the previous time)"),
        2
    );
    assert_eq!(note(&r, "zero-length request (skipped)"), 1);
}

#[test]
fn msr_malformed_input_names_line_and_column() {
    let ok = "1,hm,0,Read,0,4096,1\n";
    let table: &[(String, &str)] = &[
        (
            format!("{ok}12x,hm,0,Read,0,4096,1\n"),
            "t.csv: line 2, column Timestamp: bad number \"12x\" (expected a Windows \
             filetime in 100 ns ticks)",
        ),
        (
            format!("{ok}2,hm,0,Erase,0,4096,1\n"),
            "t.csv: line 2, column Type: unknown Type \"Erase\" (expected Read or Write)",
        ),
        (
            format!("{ok}2,hm,0,Read,0\n"),
            "t.csv: line 2, column Size: missing field Size: expected at least 6 \
             comma-separated fields, found 5",
        ),
        (
            format!("{ok}2,hm,zero,Read,0,1,1\n"),
            "t.csv: line 2, column DiskNumber: bad number \"zero\" (expected a disk number)",
        ),
        (
            format!("{ok}2,hm,0,Read,18446744073709551615,1,1\n"),
            "t.csv: line 2, column Size: offset 18446744073709551615 + size 1 overflows 64 \
             bits",
        ),
        (
            "Time,Host,Disk,Type,Offset,Size,Response\n".into(),
            "t.csv: line 1, column Timestamp: bad number \"Time\" (expected a Windows \
             filetime in 100 ns ticks)",
        ),
    ];
    for (input, want) in table {
        let e = run_blk(BlkFormat::Msr, None, input.as_bytes()).expect_err(input);
        assert_eq!(e.to_string(), *want, "input {input:?}");
    }
}

// ---------------------------------------------------------------------------------
// SPC

/// The example of the SPC trace format description, with blanks after commas and
/// optional fields.
const SPC: &str = "\
0,20941264,8192,W,0.551706,Alpha/NT
0,20939840,8192,W,0.554041
1,3436288,15872,W,1.250720,0x123,5.99,test
1, 3435888, 512, r, 1.609859
0,7695360,4096,R,2.346628
";

#[test]
fn spc_lbas_are_sectors_and_timestamps_seconds() {
    let (text, r) = run_blk(BlkFormat::Snia, None, SPC.as_bytes()).unwrap();
    assert_eq!(
        text,
        trace(&[
            "551706000,1,open,dev:0,,,",
            "551706000,1,write,dev:0,10721927168,8192,",
            "554041000,1,write,dev:0,10721198080,8192,",
            "1250720000,1,open,dev:1,,,",
            "1250720000,1,write,dev:1,1759379456,15872,",
            "1609859000,1,read,dev:1,1759174656,512,",
            "2346628000,1,read,dev:0,3940024320,4096,",
        ])
    );
    assert_eq!((r.lines, r.events), (5, 7));
    reads_back(&text, 7);
}

#[test]
fn spc_malformed_input_names_line_and_column() {
    let ok = "0,1,512,R,0.1\n";
    let table: &[(String, &str)] = &[
        (
            format!("{ok}0,abc,512,R,0.2\n"),
            "t.csv: line 2, column LBA: bad number \"abc\" (expected a block address)",
        ),
        (
            format!("{ok}0,1,512,X,0.2\n"),
            "t.csv: line 2, column Opcode: unknown Opcode \"X\" (expected r, R, w or W)",
        ),
        (
            format!("{ok}0,1,512,R\n"),
            "t.csv: line 2, column Timestamp: missing field Timestamp: expected at least 5 \
             comma-separated fields, found 4",
        ),
        (
            format!("{ok}0,1,512,R,1e-3\n"),
            "t.csv: line 2, column Timestamp: bad timestamp \"1e-3\" (expected seconds, as in \
             0.551706)",
        ),
        (
            format!("{ok}0,36028797018963968,512,R,0.2\n"),
            "t.csv: line 2, column LBA: LBA 36028797018963968 × 512 overflows 64 bits",
        ),
        (
            "ASU,LBA,Size,Opcode,Timestamp\n".into(),
            "t.csv: line 1, column ASU: bad number \"ASU\" (expected an ASU number)",
        ),
    ];
    for (input, want) in table {
        let e = run_blk(BlkFormat::Snia, None, input.as_bytes()).expect_err(input);
        assert_eq!(e.to_string(), *want, "input {input:?}");
    }
}

// ---------------------------------------------------------------------------------
// Generic CSV

/// The shape of libCacheSim's cloudPhysicsIO.csv: SCSI opcodes in hex, 512-byte lbns.
const CLOUD: &str = "\
version,time,op,size,lbn
1,5633898,2a,512,42932745
1,5633898,28,4096,100
1,5633899,35,0,0
1,5633900,0x28,8192,200
";

#[test]
fn csv_columns_rename_header_skip_and_scsi_opcodes() {
    let (text, r) = run_blk(
        BlkFormat::Csv,
        Some("version,time_s,op,size,lbn"),
        CLOUD.as_bytes(),
    )
    .unwrap();
    assert_eq!(
        text,
        trace(&[
            "0,1,open,dev:0,,,",
            "0,1,write,dev:0,21981565440,512,",
            "0,1,read,dev:0,51200,4096,",
            "2000000000,1,read,dev:0,102400,8192,",
        ])
    );
    assert_eq!((r.lines, r.events), (5, 4));
    assert_eq!(note(&r, "header line replaced by --columns (skipped)"), 1);
    assert_eq!(note(&r, "SCSI command other than read/write (skipped)"), 1);
    assert_eq!(r.notes.len(), 2, "{:?}", r.notes);
    reads_back(&text, 4);
}

#[test]
fn csv_own_header_with_device_and_unit() {
    let data = "Time_us,Device,Op,Offset,Size,latency_ns\n\
                # a comment\n\
                100,sda,read,0,4096,5\n\
                150,\"sdb\",W,4096,4096,5\n\
                \n\
                120,sda,Write,8192,512,5\n";
    let (text, r) = run_blk(BlkFormat::Csv, None, data.as_bytes()).unwrap();
    assert_eq!(
        text,
        trace(&[
            "0,1,open,dev:sda,,,",
            "0,1,read,dev:sda,0,4096,",
            "50000,1,open,dev:sdb,,,",
            "50000,1,write,dev:sdb,4096,4096,",
            "50000,1,write,dev:sda,8192,512,",
        ])
    );
    assert_eq!(
        note(&r, "time went backwards (clamped to the previous time)"),
        1
    );
    reads_back(&text, 5);
}

#[test]
fn csv_time_without_unit_is_ns_and_said_so() {
    let (text, r) = run_blk(
        BlkFormat::Csv,
        None,
        b"time,op,offset,size\n10,r,0,1\n15.5,w,1,1\n",
    )
    .unwrap();
    assert_eq!(
        text,
        trace(&[
            "0,1,open,dev:0,,,",
            "0,1,read,dev:0,0,1,",
            "5,1,write,dev:0,1,1,"
        ])
    );
    assert_eq!(
        note(
            &r,
            "time column without a unit read as nanoseconds (name it time_s, time_ms, \
             time_us or time_ns with --columns)"
        ),
        1
    );
}

#[test]
fn csv_without_time_places_records_1us_apart() {
    let (text, r) = run_blk(
        BlkFormat::Csv,
        Some("op,offset,size"),
        b"r,0,4096\nw,4096,100\n",
    )
    .unwrap();
    assert_eq!(
        text,
        trace(&[
            "0,1,open,dev:0,,,",
            "0,1,read,dev:0,0,4096,",
            "1000,1,write,dev:0,4096,100,",
        ])
    );
    assert_eq!(note(&r, "no time column: records placed 1 µs apart"), 1);
}

#[test]
fn csv_malformed_input_names_line_and_column() {
    let h = "time_ns,op,offset,size\n";
    let table: &[(String, &str)] = &[
        (
            format!("{h}1,read,-5,10\n"),
            "t.csv: line 2, column offset: bad number \"-5\" (expected a byte offset)",
        ),
        (
            format!("{h}1,erase,0,10\n"),
            "t.csv: line 2, column op: unknown op \"erase\" (expected read, write, r, w, or a \
             SCSI opcode such as 28 or 2a)",
        ),
        (
            format!("{h}1,read,0\n"),
            "t.csv: line 2, column size: missing field size: expected at least 4 \
             comma-separated fields, found 3",
        ),
        (
            format!("{h}1.2.3,read,0,1\n"),
            "t.csv: line 2, column time_ns: bad time \"1.2.3\" (expected a number, decimals \
             allowed)",
        ),
        (
            "when,what,where\n1,2,3\n".into(),
            "t.csv: line 1: bad header: no op column (accepted names: op, type, rw, opcode, \
             cmd); give --columns if the file has no header or names its columns differently",
        ),
        (
            "time,op,offset,lba,size\n".into(),
            "t.csv: line 1: bad header: both \"offset\" and \"lba\" give the offset; give \
             --columns if the file has no header or names its columns differently",
        ),
        (
            String::new(),
            "t.csv: line 1: empty input: expected a header line naming the columns",
        ),
    ];
    for (input, want) in table {
        let e = run_blk(BlkFormat::Csv, None, input.as_bytes()).expect_err(input);
        assert_eq!(e.to_string(), *want, "input {input:?}");
    }
    let e = run_blk(BlkFormat::Csv, Some("time,op,size"), b"1,r,1\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv: bad --columns: no offset column (accepted names: offset in bytes; lba, lbn, \
         sector in 512-byte units)"
    );
    // With --columns, only the first line may be a header.
    let e = run_blk(
        BlkFormat::Csv,
        Some("op,offset,size"),
        b"op,offset,size\nop,offset,size\n",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv: line 2, column op: unknown op \"op\" (expected read, write, r, w, or a SCSI \
         opcode such as 28 or 2a)"
    );
}

// ---------------------------------------------------------------------------------
// Garbage never panics

#[test]
fn garbage_is_an_error_not_a_panic() {
    let mut long = b"fio version 2 iolog\n".to_vec();
    long.extend(std::iter::repeat_n(b'x', (1 << 20) + 10));
    let inputs: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02\xff\xfe\n".to_vec(),
        b"fio version 2 iolog\nf\xff read 0 1\n".to_vec(),
        long,
        (0u8..=255).cycle().take(5000).collect(),
        b",,,,,,,,\n,,,\n".to_vec(),
        b"\"\"\"\n".to_vec(),
    ];
    for data in &inputs {
        let e = run_fio(data).expect_err("garbage accepted by fio");
        assert!(e.line().is_some(), "{e}");
        for format in [BlkFormat::Msr, BlkFormat::Snia, BlkFormat::Csv] {
            for columns in [None, Some("time,op,offset,size,device")] {
                // With --columns a lone first line may pass as the file's own header.
                if let Err(e) = run_blk(format, columns, data) {
                    assert!(e.line().is_some(), "{format:?}: {e}");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Through the command line

#[test]
fn cli_imports_compressed_block_traces_and_fio_from_stdin() {
    let dir = temp_dir("cli");
    let input = dir.join("cloud.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&input).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(CLOUD.as_bytes()).unwrap();
    gz.finish().unwrap();
    let output = dir.join("cloud.csv");
    let o = vpsim(&[
        "import",
        "blk",
        input.to_str().unwrap(),
        "--format",
        "csv",
        "--columns",
        "version,time_s,op,size,lbn",
        "-o",
        output.to_str().unwrap(),
    ]);
    assert_code(&o, 0);
    let err = stderr(&o);
    assert!(err.contains("5 lines -> 4 events"), "{err}");
    assert!(
        err.contains("SCSI command other than read/write (skipped)"),
        "{err}"
    );
    let text = std::fs::read_to_string(&output).unwrap();
    assert_eq!(text.lines().count(), 5, "{text}");
    reads_back(&text, 4);

    let o = vpsim(&["import", "blk", "/nonexistent/x.csv", "--format", "msr"]);
    assert_code(&o, 1);

    let bad = dir.join("bad.iolog");
    std::fs::write(&bad, "fio version 2 iolog\nf pread 0 1\n").unwrap();
    let o = vpsim(&["import", "fio", bad.to_str().unwrap()]);
    assert_code(&o, 1);
    assert!(
        stderr(&o).contains("line 2, column action: unknown action \"pread\""),
        "{}",
        stderr(&o)
    );

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vpsim"))
        .args(["import", "fio", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(FIO_V3.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_code(&o, 0);
    assert!(stderr(&o).contains("9 lines -> 5 events"), "{}", stderr(&o));
    reads_back(&stdout(&o), 5);
    let _ = std::fs::remove_dir_all(&dir);
}
