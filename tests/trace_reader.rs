//! End-to-end tests of the trace reader on the shipped traces and on compressed copies.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use vpsim::trace::{
    Compression, Event, FileTable, Flags, Op, Prescan, TraceError, TraceReader, check, prescan,
};

/// Path of a shipped trace.
fn shipped(name: &str) -> String {
    format!("{}/traces/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh scratch directory for one test (no tempfile crate).
fn scratch_dir(test: &str) -> PathBuf {
    common::scratch("trace-reader", test)
}

fn read_all(path: &str) -> (Vec<Event>, FileTable) {
    let mut r = TraceReader::open(path).unwrap();
    let mut files = FileTable::new();
    let mut evs = Vec::new();
    while let Some(e) = r.next_event(&mut files).unwrap() {
        evs.push(e);
    }
    (evs, files)
}

fn per_op(evs: &[Event]) -> [u64; 14] {
    let mut n = [0u64; 14];
    for e in evs {
        n[e.op.index()] += 1;
    }
    n
}

/// Expected counts, computed with `zstd -dc F | awk -F, 'NR>1{print $3}' | sort | uniq -c`
/// (and `grep -v` of comments/blank lines for the hand-made ones).
struct Expect {
    name: &'static str,
    events: u64,
    files: usize,
    /// Events per op in `Op::ALL` order.
    per_op: [u64; 14],
    bytes_read: u64,
    bytes_written: u64,
}

const EXPECT: &[Expect] = &[
    Expect {
        name: "git.events.csv.zst",
        events: 9383,
        files: 376,
        //        open  close read  write mmap munmap fr    fw tr fs ms un fa ma
        per_op: [1407, 1421, 1802, 2936, 327, 65, 1418, 0, 0, 7, 0, 0, 0, 0],
        bytes_read: 11_403_424,
        bytes_written: 33_964_485,
    },
    Expect {
        name: "pyio.events.csv.zst",
        events: 6222,
        files: 27,
        per_op: [33, 36, 4634, 919, 29, 3, 162, 395, 2, 8, 1, 0, 0, 0],
        bytes_read: 88_236_857,
        bytes_written: 69_621_053,
    },
    Expect {
        name: "sqlite-mmap.events.csv.zst",
        events: 791,
        files: 12,
        per_op: [13, 13, 18, 486, 26, 2, 229, 0, 0, 3, 0, 1, 0, 0],
        bytes_read: 16_831,
        bytes_written: 992_724,
    },
    Expect {
        name: "pymmap.events.csv.zst",
        events: 359,
        files: 25,
        per_op: [26, 27, 41, 18, 24, 2, 118, 99, 0, 1, 1, 1, 0, 1],
        bytes_read: 128_092,
        bytes_written: 16_777_220,
    },
    Expect {
        name: "seqread.csv",
        events: 258,
        files: 1,
        per_op: [1, 1, 256, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        bytes_read: 1 << 20,
        bytes_written: 0,
    },
    Expect {
        name: "mmap-scan.csv",
        events: 2052,
        files: 1,
        per_op: [1, 1, 0, 0, 1, 1, 2048, 0, 0, 0, 0, 0, 0, 0],
        bytes_read: 0,
        bytes_written: 0,
    },
    Expect {
        name: "small-random.csv",
        events: 504,
        files: 2,
        per_op: [2, 2, 500, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        bytes_read: 500 * 4096,
        bytes_written: 0,
    },
    Expect {
        name: "mixed.csv",
        events: 22,
        files: 4,
        per_op: [3, 3, 2, 3, 2, 2, 2, 1, 1, 1, 1, 1, 0, 0],
        bytes_read: 4096 + 8192,
        bytes_written: 4096 + 128 + 10,
    },
];

#[test]
fn every_shipped_trace_reads_end_to_end() {
    for x in EXPECT {
        let path = shipped(x.name);
        let (evs, files) = read_all(&path);
        assert_eq!(evs.len() as u64, x.events, "{}", x.name);
        assert_eq!(files.len(), x.files, "{}", x.name);
        assert_eq!(per_op(&evs), x.per_op, "{}", x.name);
        // time is non-decreasing after clamping
        assert!(evs.windows(2).all(|w| w[0].time_ns <= w[1].time_ns));

        let rep = check(&path, 10).unwrap();
        assert!(rep.is_ok(), "{rep}");
        assert_eq!(rep.events, x.events);
        assert_eq!(rep.per_op, x.per_op);
        assert_eq!(rep.files, x.files);
        assert_eq!(rep.bytes_read, x.bytes_read, "{}", x.name);
        assert_eq!(rep.bytes_written, x.bytes_written, "{}", x.name);
        assert!(rep.warnings.is_empty(), "{}: {:?}", x.name, rep.warnings);
    }
}

#[test]
fn real_traces_are_zstd_and_report_progress() {
    let path = shipped("git.events.csv.zst");
    let mut r = TraceReader::open(&path).unwrap();
    assert_eq!(r.compression(), Compression::Zstd);
    let total = std::fs::metadata(&path).unwrap().len();
    assert_eq!(r.total_bytes(), Some(total));
    let counter = r.progress_counter();
    let mut files = FileTable::new();
    while r.next_event(&mut files).unwrap().is_some() {}
    assert_eq!(r.bytes_read(), total);
    assert_eq!(counter.load(std::sync::atomic::Ordering::Relaxed), total);
    assert_eq!(r.line(), 9384);
    let rep = check(&path, 10).unwrap();
    assert_eq!(rep.first_time, Some(885_000));
    assert_eq!(rep.last_time, Some(6_568_466_000));
    assert_eq!(rep.span_ns(), 6_568_466_000 - 885_000);
}

#[test]
fn mixed_trace_details() {
    let (evs, files) = read_all(&shipped("mixed.csv"));
    assert_eq!(files.name(0), "/data/db.sqlite");
    assert_eq!(files.name(1), "/data/log,2024.txt");
    assert_eq!(files.name(2), "/tmp/say \"hi\".tmp");
    assert_eq!(files.name(3), "/data/undeclared.bin");
    assert_eq!(evs[3].op, Op::Mmap);
    assert_eq!(evs[3].flags, Flags::RANDOM | Flags::NOSYNC);
    assert_eq!(evs[6].flags, Flags::ASYNC | Flags::INVALIDATE);
    assert_eq!(evs[6].length(), Some(0));
    assert_eq!(evs[8].op, Op::Fsync);
    assert_eq!(evs[9].flags, Flags::SYNC | Flags::APPEND);
    assert_eq!(evs[9].length(), None);
    assert_eq!(evs[10].offset(), None, "write without offset appends");
    assert_eq!(evs[4].length(), None, "fault length is ignored");
    assert_eq!(evs[17].flags, Flags::DIRECT);
    // The reader itself declares sizes from opens with a length (no prescan here).
    assert_eq!(files.initial_size(0), Some(65536));
    assert!(files.declared(0));
    assert_eq!(files.initial_size(1), None);
}

#[test]
fn prescan_sizes_and_stable_ids() {
    for x in EXPECT {
        let path = shipped(x.name);
        let pre = prescan(&path).unwrap();
        assert!(pre.bounded);
        assert_eq!(pre.events, x.events);
        assert_eq!(pre.files.len(), x.files);
        // A second pass with a fresh table assigns the same ids ...
        let (evs, fresh) = read_all(&path);
        for (id, name) in fresh.iter() {
            assert_eq!(pre.files.get(name), Some(id), "{}: {name}", x.name);
        }
        // ... ids are dense: every id below len is used by some event ...
        let mut seen = vec![false; pre.files.len()];
        for e in &evs {
            seen[e.file as usize] = true;
        }
        assert!(seen.iter().all(|&s| s), "{}", x.name);
        // ... and reusing the prescan's table adds nothing and changes no size.
        let mut table = pre.files.clone();
        let mut r = TraceReader::open(&path).unwrap();
        while r.next_event(&mut table).unwrap().is_some() {}
        assert_eq!(table.len(), pre.files.len());
        for (id, _) in pre.files.iter() {
            assert_eq!(table.initial_size(id), pre.files.initial_size(id));
            assert_eq!(table.declared(id), pre.files.declared(id));
            assert!(pre.files.initial_size(id).is_some());
        }
    }

    let pre = prescan(&shipped("seqread.csv")).unwrap();
    assert_eq!(pre.files.initial_size(0), Some(1 << 20));
    assert!(pre.files.declared(0));
    let pre = prescan(&shipped("mmap-scan.csv")).unwrap();
    assert_eq!(pre.files.initial_size(0), Some(8 << 20));
    let pre = prescan(&shipped("mixed.csv")).unwrap();
    assert_eq!(pre.files.initial_size(0), Some(65536));
    // opened without a length, only written and truncated: starts empty
    assert_eq!(pre.files.initial_size(1), Some(0));
    assert!(!pre.files.declared(1));
    assert_eq!(pre.files.initial_size(2), Some(0));
    assert!(pre.files.declared(2));
    // never opened, read at 40960+8192
    assert_eq!(pre.files.initial_size(3), Some(49152));
    assert!(!pre.files.declared(3));
    assert_eq!(pre.lines, 27);
    assert_eq!(pre.first_time, Some(0));
    assert_eq!(pre.last_time, Some(21000));
}

#[test]
fn prescan_infers_sizes_from_reads_and_faults() {
    let dir = scratch_dir("infer");
    let path = dir.join("infer.csv");
    std::fs::write(
        &path,
        "time_ns,pid,op,file,offset,length\n\
         1,1,read,r,100,50\n\
         2,1,read,r,0,10\n\
         3,1,fault_read,f,8192,4096\n\
         4,1,fault_write,f,20000,4096\n\
         5,1,read,f,0,4096\n\
         6,1,write,w,0,1000000\n\
         7,1,open,later,,777\n\
         8,1,read,later,0,100000\n\
         9,1,open,later,,999\n",
    )
    .unwrap();
    let pre = prescan(path.to_str().unwrap()).unwrap();
    let f = &pre.files;
    assert_eq!(f.initial_size(f.get("r").unwrap()), Some(150));
    assert_eq!(f.initial_size(f.get("f").unwrap()), Some(20001));
    assert_eq!(f.initial_size(f.get("w").unwrap()), Some(0));
    let later = f.get("later").unwrap();
    assert_eq!(f.initial_size(later), Some(777));
    assert!(f.declared(later));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stdin_prescan_is_unbounded() {
    let p = Prescan::unbounded_for_stdin();
    assert!(!p.bounded);
    assert!(p.files.is_empty());
    assert!(p.warnings[0].contains("unbounded"));
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn gzip_zstd_and_magic_detection() {
    let dir = scratch_dir("compress");
    let plain = std::fs::read(shipped("mixed.csv")).unwrap();
    let (want, _) = read_all(&shipped("mixed.csv"));
    let gz = gzip(&plain);
    let zst = zstd::encode_all(&plain[..], 3).unwrap();
    let cases: [(&str, &[u8], Compression); 6] = [
        ("t.csv.gz", &gz, Compression::Gzip),
        ("t.csv.zst", &zst, Compression::Zstd),
        ("gz-named-plain.csv", &gz, Compression::Gzip),
        ("zst-named-plain.csv", &zst, Compression::Zstd),
        ("zst-no-ext", &zst, Compression::Zstd),
        ("plain.csv", &plain, Compression::None),
    ];
    for (name, data, comp) in cases {
        let p = dir.join(name);
        std::fs::write(&p, data).unwrap();
        let p = p.to_str().unwrap();
        let r = TraceReader::open(p).unwrap();
        assert_eq!(r.compression(), comp, "{name}");
        let (got, _) = read_all(p);
        assert_eq!(got, want, "{name}");
        let pre = prescan(p).unwrap();
        assert_eq!(pre.events, want.len() as u64);
    }
    // Concatenated gzip members (as `cat a.gz b.gz` makes) are one stream.
    let text = b"time_ns,pid,op,file,offset,length\n1,1,close,a,,\n";
    let mut two = gzip(text);
    two.extend(gzip(b"2,1,close,b,,\n"));
    let p = dir.join("two.csv.gz");
    std::fs::write(&p, two).unwrap();
    let (evs, files) = read_all(p.to_str().unwrap());
    assert_eq!(evs.len(), 2);
    assert_eq!(files.len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn broken_compression_is_an_io_error() {
    let dir = scratch_dir("broken");
    let plain = std::fs::read(shipped("small-random.csv")).unwrap();
    let zst = zstd::encode_all(&plain[..], 3).unwrap();
    let gz = gzip(&plain);
    for (name, data) in [
        ("cut.csv.zst", &zst[..zst.len() / 2]),
        ("cut.csv.gz", &gz[..gz.len() / 2]),
        ("garbage.csv.gz", &b"not gzip at all\n"[..]),
        ("garbage.csv.zst", &b"not zstd at all\n"[..]),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, data).unwrap();
        let p = p.to_str().unwrap();
        let mut r = TraceReader::open(p).unwrap();
        let mut files = FileTable::new();
        let err = loop {
            match r.next_event(&mut files) {
                Ok(Some(_)) => {}
                Ok(None) => panic!("{name}: no error"),
                Err(e) => break e,
            }
        };
        assert!(err.is_io(), "{name}: {err}");
        assert!(err.to_string().starts_with(&format!("{p}: ")), "{err}");
        assert!(err.to_string().contains("decompression failed"), "{err}");
        // the error sticks
        assert_eq!(r.next_event(&mut files).unwrap_err(), err);
        assert!(check(p, 10).unwrap_err().is_io());
        assert!(prescan(p).unwrap_err().is_io());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_file_and_directory() {
    let e = TraceReader::open("/nonexistent/trace.csv").unwrap_err();
    assert!(matches!(e, TraceError::Io { .. }));
    assert!(
        e.to_string()
            .starts_with("/nonexistent/trace.csv: cannot open: ")
    );
    assert!(check("/nonexistent/trace.csv", 10).is_err());
    let dir = scratch_dir("dir");
    let d = dir.to_str().unwrap();
    assert_eq!(
        TraceReader::open(d).unwrap_err().to_string(),
        format!("{d}: is a directory, not a trace file")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn empty_and_header_only_files() {
    let dir = scratch_dir("empty");
    let cases = [
        ("empty.csv", "", "the trace is empty (no header, no events)"),
        (
            "comments.csv",
            "# nothing\n\n",
            "the trace is empty (no header, no events)",
        ),
        (
            "header.csv",
            "time_ns,pid,op,file,offset,length\r\n",
            "the trace has a header but no events",
        ),
    ];
    for (name, text, note) in cases {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        let p = p.to_str().unwrap();
        let (evs, files) = read_all(p);
        assert!(evs.is_empty() && files.is_empty());
        let rep = check(p, 10).unwrap();
        assert!(rep.is_ok());
        assert_eq!(rep.warnings, vec![format!("{p}: {note}")]);
        let pre = prescan(p).unwrap();
        assert_eq!(pre.events, 0);
    }
    // an empty file named .gz/.zst is an empty trace too
    for name in ["empty.csv.gz", "empty.csv.zst"] {
        let p = dir.join(name);
        std::fs::write(&p, "").unwrap();
        let (evs, _) = read_all(p.to_str().unwrap());
        assert!(evs.is_empty());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn backwards_time_warning_in_check_and_prescan() {
    let dir = scratch_dir("backwards");
    let p = dir.join("b.csv");
    std::fs::write(
        &p,
        "time_ns,pid,op,file,offset,length\n10,1,close,a,,\n5,1,close,a,,\n20,1,close,a,,\n",
    )
    .unwrap();
    let p = p.to_str().unwrap();
    let want = format!(
        "{p}: time_ns went backwards on 1 line (first at line 3); clamped to the previous time"
    );
    let rep = check(p, 10).unwrap();
    assert!(rep.is_ok());
    assert_eq!(rep.warnings, vec![want.clone()]);
    assert!(rep.to_string().contains(&want));
    assert_eq!(prescan(p).unwrap().warnings, vec![want]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_report_display() {
    let rep = check(&shipped("seqread.csv"), 10).unwrap();
    let s = rep.to_string();
    assert!(
        s.starts_with(&format!("{}: OK\n", shipped("seqread.csv"))),
        "{s}"
    );
    assert!(s.contains("events                    258"), "{s}");
    assert!(s.contains("bytes read            1048576  (1M)"), "{s}");
    assert!(s.contains("    read                    256"), "{s}");
    assert!(Path::new(&shipped("README.md")).exists());
}

/// The counters and device totals of a replay of `path` under `model`, and its warnings.
fn replay_numbers(path: &str, model: vpsim::run::ModelKind) -> (String, Vec<String>) {
    let cfg = vpsim::run::RunConfig {
        model,
        mem: 64 << 20,
        ..vpsim::run::RunConfig::default()
    };
    let out = vpsim::run::run_trace(path, &cfg, &mut |_| {}).unwrap();
    (
        format!("{:?} {:?}", out.stats.counters, out.stats.device),
        out.warnings,
    )
}

/// A CSV whose every file declares its size at its first event replays in one pass; one
/// whose file `b` first appears in a read (no size declared) is replayed again after a
/// prescan. Either way the numbers equal the binary form's, whose header holds the
/// prescan's sizes. Through a named pipe, which cannot be read twice, `b` is unbounded
/// and a warning says so — and that changes the numbers (sequential reads of `b` read
/// ahead past its 20 KiB), so the comparison above can see a wrong size.
#[test]
fn one_pass_or_two_the_numbers_are_the_same() {
    use vpsim::run::ModelKind;
    let dir = scratch_dir("one-pass");
    let reads_of_b: String = (0..5)
        .map(|i| format!("{},1,read,b,{},4096\n", 100 + i * 10, i * 4096))
        .collect();
    let declared = format!(
        "time_ns,pid,op,file,offset,length\n0,1,open,a,,1048576\n5,1,open,b,,20480\n{reads_of_b}200,1,read,a,0,65536\n"
    );
    let undeclared = format!(
        "time_ns,pid,op,file,offset,length\n0,1,open,a,,1048576\n{reads_of_b}200,1,read,a,0,65536\n"
    );
    for (name, text) in [("declared", &declared), ("undeclared", &undeclared)] {
        let csv = dir.join(format!("{name}.csv"));
        let vpt = dir.join(format!("{name}.vpt"));
        std::fs::write(&csv, text).unwrap();
        let (csv, vpt) = (csv.to_str().unwrap(), vpt.to_str().unwrap());
        let conv = common::vpsim(&["convert", csv, vpt]);
        assert!(conv.status.success(), "{conv:?}");
        for model in [ModelKind::Dragonfly, ModelKind::Lru, ModelKind::Linux] {
            let (a, wa) = replay_numbers(csv, model);
            let (b, wb) = replay_numbers(vpt, model);
            assert_eq!(a, b, "{name} {model:?}");
            assert_eq!(wa, wb, "{name} {model:?}");
        }
    }
    // The same two traces through a named pipe.
    if std::process::Command::new("mkfifo")
        .arg(dir.join("pipe"))
        .status()
        .is_ok_and(|s| s.success())
    {
        let pipe = dir.join("pipe");
        for (name, text) in [("declared", &declared), ("undeclared", &undeclared)] {
            let writer = {
                let (pipe, text) = (pipe.clone(), text.clone());
                std::thread::spawn(move || std::fs::write(pipe, text).unwrap())
            };
            let (piped, warnings) = replay_numbers(pipe.to_str().unwrap(), ModelKind::Dragonfly);
            writer.join().unwrap();
            let file = dir.join(format!("{name}.csv"));
            let (from_file, _) = replay_numbers(file.to_str().unwrap(), ModelKind::Dragonfly);
            if name == "declared" {
                assert_eq!(piped, from_file);
                assert!(!warnings.iter().any(|w| w.contains("pipe")), "{warnings:?}");
            } else {
                assert_ne!(piped, from_file, "an unbounded b reads ahead further");
                assert!(
                    warnings
                        .iter()
                        .any(|w| w.contains("trace read from a pipe")),
                    "{warnings:?}"
                );
            }
        }
    }
}

/// A one-pass replay's progress total: estimated from the bytes read for a CSV (half way
/// through a 12 MB trace, within 5 % of the real count: the readers' buffers run a few
/// hundred KiB ahead of the parser), exact for the binary form.
#[test]
fn expected_events_from_bytes_read() {
    let dir = scratch_dir("expected-events");
    let csv = dir.join("t.csv");
    let mut text = String::from("time_ns,pid,op,file,offset,length\n0,1,open,f,,1073741824\n");
    for i in 0..400_000u64 {
        text.push_str(&format!(
            "{},1,read,f,{},4096\n",
            10 + i,
            (i * 7919 % 262_144) * 4096
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let csv = csv.to_str().unwrap();
    let mut src = vpsim::trace::TraceSource::open(csv).unwrap();
    let mut files = FileTable::new();
    for _ in 0..200_000 {
        src.next_event(&mut files).unwrap().unwrap();
    }
    let est = src.expected_events(200_000).unwrap();
    assert!((380_000..=420_000).contains(&est), "{est}");
    let vpt = dir.join("t.vpt");
    let conv = common::vpsim(&["convert", csv, vpt.to_str().unwrap()]);
    assert!(conv.status.success(), "{conv:?}");
    let bin = vpsim::trace::TraceSource::open(vpt.to_str().unwrap()).unwrap();
    assert_eq!(bin.expected_events(3), Some(400_001));
}
