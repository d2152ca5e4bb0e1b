//! `vpsim gen`: every workload is deterministic per seed, valid (`vpsim check` passes),
//! has exactly `--events` data rows and the properties its help promises; bad specs are
//! usage errors naming what is valid. Runs the real binary on small traces.

mod common;
use common::*;
use std::collections::HashMap;
use std::path::PathBuf;

/// Every workload; the test of `--help` checks they are all listed.
const WORKLOADS: [&str; 11] = [
    "seqread",
    "seqwrite",
    "randread",
    "randwrite",
    "zipf",
    "mixed",
    "mmap-scan",
    "mmap-random",
    "append-log",
    "db",
    "truncate-churn",
];

/// The workloads whose output does not use the seed (nothing in them is random).
const UNSEEDED: [&str; 4] = ["seqread", "seqwrite", "mmap-scan", "append-log"];

/// A fresh, empty directory for one test.
fn temp_dir(test: &str) -> PathBuf {
    common::scratch("gen", test)
}

/// `vpsim ARGS` with ARGS split at blanks (no argument here holds one).
fn run(args: &str) -> std::process::Output {
    vpsim(&args.split_whitespace().collect::<Vec<_>>())
}

/// `vpsim gen ARGS` to stdout; expects exit 0 and returns the trace bytes.
#[track_caller]
fn gen_bytes(args: &str) -> Vec<u8> {
    let o = run(&format!("gen {args}"));
    assert_code(&o, 0);
    o.stdout
}

/// `vpsim gen ARGS`, parsed.
#[track_caller]
fn gen_rows(args: &str) -> Vec<Row> {
    rows(&gen_bytes(args))
}

/// One parsed trace row.
#[derive(Clone, Debug)]
struct Row {
    time: u64,
    pid: u32,
    op: String,
    file: String,
    offset: Option<u64>,
    length: Option<u64>,
    flags: String,
}

impl Row {
    fn is_data(&self) -> bool {
        matches!(
            self.op.as_str(),
            "read" | "write" | "fault_read" | "fault_write"
        )
    }
}

fn opt(s: &str) -> Option<u64> {
    (!s.is_empty()).then(|| s.parse().expect("a number"))
}

/// Parse a generated trace (it has the writer's header).
fn rows(bytes: &[u8]) -> Vec<Row> {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("time_ns,pid,op,file,offset,length,flags")
    );
    lines
        .map(|l| {
            let f = csv_fields(l);
            assert_eq!(f.len(), 7, "{l}");
            Row {
                time: f[0].parse().expect("time"),
                pid: f[1].parse().expect("pid"),
                op: f[2].clone(),
                file: f[3].clone(),
                offset: opt(&f[4]),
                length: opt(&f[5]),
                flags: f[6].clone(),
            }
        })
        .collect()
}

fn data_rows(rows: &[Row]) -> usize {
    rows.iter().filter(|r| r.is_data()).count()
}

/// The promises every workload keeps: times non-decreasing; a pid opens a file (stating
/// its current size) before anything else on it and has closed everything at the end;
/// reads stay below EOF; faults fall inside a live mapping of the file by that pid.
#[track_caller]
fn check_invariants(name: &str, rows: &[Row]) {
    let mut last_time = 0;
    let mut size: HashMap<&str, u64> = HashMap::new();
    let mut open: HashMap<(u32, &str), u32> = HashMap::new();
    let mut mapped: HashMap<(u32, &str), u64> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let at = format!("{name}: row {} {r:?}", i + 2);
        assert!(r.time >= last_time, "{at}: time goes back");
        last_time = r.time;
        let key = (r.pid, r.file.as_str());
        let is_open = open.get(&key).copied().unwrap_or(0) > 0;
        match r.op.as_str() {
            "open" => {
                let len = r.length.expect("open states the size");
                let known = *size.entry(&r.file).or_insert(len);
                assert_eq!(len, known, "{at}: open states a stale size");
                *open.entry(key).or_insert(0) += 1;
            }
            "close" => {
                assert!(is_open, "{at}: close without open");
                *open.get_mut(&key).expect("open") -= 1;
            }
            op => assert!(is_open, "{at}: {op} on a file the pid has not opened"),
        }
        let s = size.get(r.file.as_str()).copied().unwrap_or(0);
        match r.op.as_str() {
            "read" => {
                let (o, l) = (r.offset.expect("offset"), r.length.expect("length"));
                assert!(l > 0 && o + l <= s, "{at}: read past EOF {s}");
            }
            "write" => {
                let end = r.offset.expect("offset") + r.length.expect("length");
                size.insert(&r.file, s.max(end));
            }
            "truncate" => {
                size.insert(&r.file, r.length.expect("length"));
            }
            "mmap" => {
                assert_eq!(r.offset, Some(0), "{at}");
                mapped.insert(key, r.length.expect("length"));
            }
            "munmap" => {
                assert!(mapped.remove(&key).is_some(), "{at}: munmap without mmap");
            }
            "fault_read" | "fault_write" => {
                let o = r.offset.expect("offset");
                let m = mapped.get(&key).copied();
                assert!(
                    m.is_some_and(|m| o < m) && o < s,
                    "{at}: fault outside the mapping {m:?} (size {s})"
                );
            }
            _ => {}
        }
    }
    assert!(open.values().all(|&n| n == 0), "{name}: files left open");
    assert!(mapped.is_empty(), "{name}: mappings left");
}

#[test]
fn every_workload_is_deterministic_valid_and_of_the_requested_size() {
    let dir = temp_dir("all");
    for w in WORKLOADS {
        let args =
            |seed: u32| format!("{w} --events 300 --files 2 --pids 3 --size 1M --seed {seed}");
        let a = gen_bytes(&args(5));
        assert_eq!(a, gen_bytes(&args(5)), "{w}: same seed, different trace");
        let b = gen_bytes(&args(6));
        if UNSEEDED.contains(&w) {
            assert_eq!(a, b, "{w}: nothing random, yet the seed changed it");
        } else {
            assert_ne!(a, b, "{w}: another seed gave the same trace");
        }
        let r = rows(&a);
        assert_eq!(data_rows(&r), 300, "{w}: --events 300");
        check_invariants(w, &r);
        // The same trace through -o, and it passes `vpsim check`.
        let path = dir.join(format!("{w}.csv"));
        let p = path.to_str().expect("UTF-8 path");
        assert_code(&run(&format!("gen {} -o {p}", args(5))), 0);
        assert_eq!(std::fs::read(&path).expect("written"), a, "{w}: -o differs");
        let c = vpsim(&["check", p]);
        assert_code(&c, 0);
        assert!(stdout(&c).contains("OK"), "{w}: {}", stdout(&c));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn zero_events_is_still_a_valid_trace() {
    for w in ["randread", "db", "seqread"] {
        let r = gen_rows(&format!("{w} --events 0 --size 1M"));
        assert_eq!(data_rows(&r), 0);
        check_invariants(w, &r);
    }
}

#[test]
fn compressed_outputs_check() {
    let dir = temp_dir("compressed");
    for ext in ["csv.gz", "csv.zst"] {
        let path = dir.join(format!("t.{ext}"));
        let p = path.to_str().expect("UTF-8 path");
        let o = run(&format!("gen mixed --events 500 --size 1M -o {p}"));
        assert_code(&o, 0);
        assert!(stderr(&o).contains("500 events"), "{}", stderr(&o));
        let c = vpsim(&["check", p]);
        assert_code(&c, 0);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Guards "the same seed gives the same bytes forever": a change here means every trace
/// users generated before can no longer be regenerated. Do not update these lightly.
#[test]
fn output_is_pinned() {
    fn fnv1a(b: &[u8]) -> u64 {
        b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| {
            (h ^ u64::from(x)).wrapping_mul(0x100_0000_01b3)
        })
    }
    let got: Vec<(&str, u64)> = WORKLOADS
        .iter()
        .chain(&["zipf:alpha=1.1", "db:alpha=0.8"])
        .map(|w| {
            let b = gen_bytes(&format!(
                "{w} --events 200 --files 2 --pids 2 --size 1M --seed 7"
            ));
            (*w, fnv1a(&b))
        })
        .collect();
    let want: Vec<(&str, u64)> = vec![
        ("seqread", 0x2c1f9ab888623490),
        ("seqwrite", 0x4b72f5da2e279b8a),
        ("randread", 0x530b19c513e201c4),
        ("randwrite", 0xddd7ec1c3cc23a56),
        ("zipf", 0x76d167cee9384ac6),
        ("mixed", 0xb6504c698e236b2b),
        ("mmap-scan", 0x0307529c64cc1c3c),
        ("mmap-random", 0xe1a1fd76b40e522b),
        ("append-log", 0x06cbecade188eb80),
        ("db", 0x93b45bc2020c9347),
        ("truncate-churn", 0x2e89012cf5ef906b),
        ("zipf:alpha=1.1", 0x40d31902bef7487d),
        ("db:alpha=0.8", 0xb046a6ab41652db9),
    ];
    assert_eq!(got, want);
}

#[test]
fn seqread_offsets_are_sequential() {
    // 2 pids, 3 files of 256 KiB, 64 KiB reads: pid 100 owns files 0 and 2, pid 101 file 1.
    let r = gen_rows("seqread --events 40 --files 3 --pids 2 --size 768K");
    let mut next: HashMap<(u32, &str), u64> = HashMap::new();
    let mut passes = 0;
    for x in &r {
        let key = (x.pid, x.file.as_str());
        match x.op.as_str() {
            "open" => {
                next.insert(key, 0);
            }
            "read" => {
                let want = next.get_mut(&key).expect("read after open");
                assert_eq!(x.offset, Some(*want), "{x:?}");
                assert_eq!(x.length, Some(65536), "{x:?}");
                *want += 65536;
            }
            "close" => {
                if next.remove(&key) == Some(262_144) {
                    passes += 1;
                }
            }
            op => panic!("unexpected {op}"),
        }
    }
    assert!(passes >= 4, "whole files read front to back: {passes}");
    let owners: Vec<(u32, &str)> = r
        .iter()
        .filter(|x| x.op == "open")
        .map(|x| (x.pid, x.file.as_str()))
        .collect();
    assert_eq!(
        &owners[..3],
        [(100, "data.0"), (101, "data.1"), (100, "data.2")]
    );

    // 4 pids on 1 file: a parallel scan from evenly spaced offsets.
    let r = gen_rows("seqread --events 4 --pids 4 --size 1M");
    let starts: Vec<u64> = r
        .iter()
        .filter_map(|x| (x.op == "read").then_some(x.offset.unwrap_or(0)))
        .collect();
    assert_eq!(starts, [0, 256 << 10, 512 << 10, 768 << 10]);
}

#[test]
fn seqwrite_grows_new_files_and_can_fsync_them() {
    let r = gen_rows("seqwrite:fsync=1 --events 20 --size 256K");
    assert_eq!(r[0].op, "open");
    assert_eq!(r[0].length, Some(0), "a new file");
    let ops: Vec<&str> = r.iter().map(|x| x.op.as_str()).collect();
    // 4 writes of 64 KiB fill the file, then fsync, close, and a second pass.
    assert_eq!(
        &ops[..8],
        [
            "open", "write", "write", "write", "write", "fsync", "close", "open"
        ]
    );
    assert_eq!(
        r[7].length,
        Some(256 << 10),
        "the reopen states the grown size"
    );
}

#[test]
fn zipf_has_a_hot_head_scattered_over_the_file() {
    // 4 MiB = 1024 blocks of 4 KiB.
    let r = gen_rows("zipf:alpha=1.1 --events 20000 --size 4M --seed 3");
    let mut hits: HashMap<u64, u64> = HashMap::new();
    for x in r.iter().filter(|x| x.op == "read") {
        let o = x.offset.expect("offset");
        assert_eq!(o % 4096, 0);
        *hits.entry(o).or_insert(0) += 1;
    }
    let mut counts: Vec<u64> = (0..1024u64)
        .map(|b| hits.get(&(b * 4096)).copied().unwrap_or(0))
        .collect();
    let mut by_count: Vec<(u64, u64)> = hits.iter().map(|(&o, &c)| (c, o)).collect();
    by_count.sort_unstable_by(|a, b| b.cmp(a));
    counts.sort_unstable();
    let (top, median) = (counts[1023], counts[512]);
    assert!(
        top > 1000 && top > 50 * median.max(1),
        "top {top}, median {median}"
    );
    // The hottest blocks are not simply the first ones of the file.
    let hot: Vec<u64> = by_count[..10].iter().map(|&(_, o)| o / 4096).collect();
    assert!(hot.iter().any(|&b| b >= 100), "hot blocks {hot:?}");
    // A uniform footprint has no such head.
    let r = gen_rows("randread --events 20000 --size 4M");
    let mut hits: HashMap<u64, u64> = HashMap::new();
    for x in r.iter().filter(|x| x.op == "read") {
        *hits.entry(x.offset.unwrap_or(0)).or_insert(0) += 1;
    }
    assert!(
        hits.values().all(|&c| c < 60),
        "uniform reads have a hot block"
    );
}

#[test]
fn mixed_read_fraction_is_respected() {
    for (spec, want) in [
        ("mixed", 0.7),
        ("mixed:read=0.2", 0.2),
        ("mixed:read=1", 1.0),
    ] {
        let r = gen_rows(&format!("{spec} --events 20000 --size 4M"));
        let reads = r.iter().filter(|x| x.op == "read").count() as f64;
        let writes = r.iter().filter(|x| x.op == "write").count() as f64;
        assert_eq!(reads + writes, 20000.0);
        let frac = reads / 20000.0;
        assert!((frac - want).abs() < 0.02, "{spec}: read fraction {frac}");
    }
}

#[test]
fn mmap_workloads_touch_mapped_pages() {
    let r = gen_rows("mmap-scan:advice=sequential --events 100 --size 256K --files 2");
    let maps: Vec<&Row> = r.iter().filter(|x| x.op == "mmap").collect();
    assert!(
        maps.iter()
            .all(|m| m.flags == "sequential" && m.length == Some(128 << 10))
    );
    // In order, page after page, inside the mapping (checked by the invariants).
    let mut last: Option<(String, u64)> = None;
    for x in r.iter().filter(|x| x.op == "fault_read") {
        let o = x.offset.expect("offset");
        if let Some((f, l)) = &last
            && *f == x.file
            && o != 0
        {
            assert_eq!(o, l + 4096, "{x:?}");
        }
        last = Some((x.file.clone(), o));
    }
    check_invariants("mmap-scan", &r);
    let r = gen_rows("mmap-random:write=0.5,advice=random --events 4000 --size 1M --pids 2");
    let stores = r.iter().filter(|x| x.op == "fault_write").count();
    assert!((1700..2300).contains(&stores), "stores {stores}");
    assert!(
        r.iter()
            .filter(|x| x.op == "mmap")
            .all(|m| m.flags == "random")
    );
    check_invariants("mmap-random", &r);
}

#[test]
fn append_log_fsyncs_every_n_appends_and_recycles() {
    // 2 logs of 32 KiB: 8 appends of 4 KiB fill one, then it is truncated to 0.
    let r = gen_rows("append-log:fsync=5 --events 200 --files 2 --pids 2 --size 64K");
    let mut since: HashMap<&str, u64> = HashMap::new();
    let mut eof: HashMap<&str, u64> = HashMap::new();
    let (mut fsyncs, mut truncates) = (0, 0);
    for x in &r {
        match x.op.as_str() {
            "open" => {
                assert_eq!((x.length, x.flags.as_str()), (Some(0), "append"));
            }
            "write" => {
                let e = eof.entry(&x.file).or_insert(0);
                assert_eq!(x.offset, Some(*e), "appends at EOF: {x:?}");
                *e += 4096;
                assert!(*e <= 32 << 10, "past the log size");
                *since.entry(&x.file).or_insert(0) += 1;
            }
            "fsync" => {
                assert_eq!(since.insert(&x.file, 0), Some(5), "cadence: {x:?}");
                fsyncs += 1;
            }
            "truncate" => {
                assert_eq!(x.length, Some(0));
                assert_eq!(eof.insert(&x.file, 0), Some(32 << 10));
                truncates += 1;
            }
            _ => {}
        }
    }
    assert_eq!(fsyncs, 40);
    assert!(truncates >= 20, "{truncates}");
}

#[test]
fn db_checkpoint_is_a_sorted_sweep_of_the_dirty_pages() {
    let r = gen_rows(
        "db:read=0.5,fsync=10,checkpoint=200 --events 3000 --pids 2 --files 2 --size 2M --seed 9",
    );
    check_invariants("db", &r);
    let ckpt = 102; // the pid after the two workers
    let mut dirty: std::collections::BTreeSet<(String, u64)> = Default::default();
    let mut worker_writes = 0;
    let mut requests = 0;
    let mut sweep: Vec<(String, u64)> = Vec::new();
    let mut checkpoints = 0;
    let mut end_sweep =
        |sweep: &mut Vec<(String, u64)>, dirty: &mut std::collections::BTreeSet<(String, u64)>| {
            if sweep.is_empty() {
                return;
            }
            // Ascending, each page once, exactly the pages the workers dirtied.
            let want: Vec<(String, u64)> = std::mem::take(dirty).into_iter().collect();
            assert_eq!(*sweep, want);
            sweep.clear();
            checkpoints += 1;
        };
    for x in &r {
        if x.pid == ckpt {
            if x.op == "write" {
                assert_eq!(requests % 200, 0, "a checkpoint every 200 requests");
                sweep.push((x.file.clone(), x.offset.expect("offset")));
            }
            continue;
        }
        end_sweep(&mut sweep, &mut dirty);
        match x.op.as_str() {
            "read" => requests += 1,
            "write" => {
                requests += 1;
                worker_writes += 1;
                dirty.insert((x.file.clone(), x.offset.expect("offset")));
            }
            "fsync" => assert_eq!(worker_writes % 10, 0, "group fsync cadence"),
            _ => {}
        }
    }
    assert!(checkpoints >= 10, "{checkpoints}");
    // The checkpointer fsyncs each file it wrote.
    assert!(r.iter().any(|x| x.pid == ckpt && x.op == "fsync"));
}

#[test]
fn truncate_churn_truncates_down_and_up() {
    let r = gen_rows("truncate-churn:truncate=8 --events 800 --files 2 --size 1M");
    check_invariants("truncate-churn", &r);
    let mut size: HashMap<&str, u64> = HashMap::new();
    let (mut down, mut up, mut unaligned, mut reads) = (0, 0, 0, 0);
    for x in &r {
        match x.op.as_str() {
            "open" => {
                size.insert(&x.file, x.length.expect("size"));
            }
            "write" => {
                let end = x.offset.expect("offset") + x.length.expect("length");
                let s = size.get_mut(x.file.as_str()).expect("opened");
                *s = (*s).max(end);
            }
            "read" => reads += 1,
            "truncate" => {
                let new = x.length.expect("size");
                let old = size.insert(&x.file, new).expect("opened");
                assert!(new <= 512 << 10, "above the file size");
                if new < old {
                    down += 1;
                } else if new > old {
                    up += 1;
                }
                if new % 4096 != 0 {
                    unaligned += 1;
                }
            }
            _ => {}
        }
    }
    assert_eq!(down + up, 100, "one truncate per 8 requests");
    assert!(down >= 30 && up >= 30, "down {down}, up {up}");
    assert!(unaligned > 50, "align=1 gives partial pages");
    assert!(reads > 200, "{reads}");
    let r = gen_rows("truncate-churn:align=4K --events 400 --size 1M");
    assert!(
        r.iter()
            .filter(|x| x.op == "truncate")
            .all(|x| x.length.unwrap_or(1) % 4096 == 0)
    );
}

#[test]
fn bad_specs_are_usage_errors_naming_what_is_valid() {
    let dir = temp_dir("bad");
    let out = dir.join("never.csv");
    let p = out.to_str().expect("UTF-8 path");
    let cases: [(&str, &[&str]); 10] = [
        (
            "zipfian",
            &[
                "unknown workload \"zipfian\"",
                "seqread",
                "truncate-churn",
                "zipf[:alpha]",
            ],
        ),
        ("zipf:beta=2", &["no key \"beta\"", "alpha"]),
        ("seqread:x=1", &["(none)"]),
        ("mixed:read=1.5", &["read=\"1.5\"", "fraction"]),
        ("zipf:alpha", &["not key=value", "seqread"]),
        ("db:checkpoint=x", &["checkpoint=\"x\"", "whole number"]),
        ("randread --size 12Q", &["--size"]),
        ("randread --size 1K", &["--io-size"]),
        ("randread --interval soon", &["--interval"]),
        ("randread --files 0", &["--files"]),
    ];
    for (args, wants) in cases {
        let o = run(&format!("gen {args} -o {p}"));
        assert_code(&o, 2);
        for w in wants {
            assert!(
                stderr(&o).contains(w),
                "{args}: {w:?} not in {}",
                stderr(&o)
            );
        }
        assert!(!out.exists(), "{args} left an output file");
    }
    assert_code(&run("gen randread --events many"), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unwritable_output_exits_3() {
    let o = run("gen randread --events 10 -o /nonexistent-vpsim-dir/x.csv");
    assert_code(&o, 3);
    assert!(
        stderr(&o).contains("/nonexistent-vpsim-dir/x.csv"),
        "{}",
        stderr(&o)
    );
    // A special file (a FIFO here; /dev/null alike) is written to directly, never
    // replaced by a regular file (as writing beside it and renaming would do).
    let dir = temp_dir("unwritable");
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(&fifo).expect("read the FIFO"))
    };
    let o = run(&format!("gen randread --events 10 -o {}", fifo.display()));
    assert_code(&o, 0);
    let got = reader.join().expect("reader thread");
    assert_eq!(got, run("gen randread --events 10").stdout);
    let kind = std::fs::symlink_metadata(&fifo)
        .expect("still there")
        .file_type();
    assert!(!kind.is_file(), "the FIFO was replaced");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_documents_every_workload_and_flag() {
    let o = run("gen --help");
    assert_code(&o, 0);
    let h = stdout(&o);
    for w in WORKLOADS {
        assert!(h.contains(&format!("\n  {w}  ")), "{w} missing from --help");
    }
    for flag in "--seed --events --files --size --io-size --pids --interval --output".split(' ') {
        let at = h
            .find(&format!("{flag} <"))
            .unwrap_or_else(|| panic!("{flag} missing"));
        let text = &h[at..at + h[at..].find("\n\n").unwrap_or(h.len() - at)];
        assert!(text.contains("e.g."), "{flag} has no example: {text}");
    }
    for key in "alpha=1.0 read=0.7 fsync=8 checkpoint=10000 truncate=16 advice=normal".split(' ') {
        assert!(h.contains(key), "{key} missing");
    }
    assert!(h.contains("vpsim gen zipf:alpha=1.1"), "no example command");
}

/// The accesses of a smallfiles trace: each is an `open`, the reads of the whole file
/// from 0 in `io` requests (the last one short), and a `close`, all by one pid on one
/// file in consecutive rows; the access cut short by `--events` is the last one.
/// Checks that shape and returns (pid, file, reads) per access.
#[track_caller]
fn smallfiles_accesses(r: &[Row], file_size: u64, io: u64) -> Vec<(u32, String, u64)> {
    let mut accesses = Vec::new();
    let mut i = 0;
    while i < r.len() {
        let open = &r[i];
        let at = format!("row {}", i + 2);
        assert_eq!(open.op, "open", "{at}: an access starts with open");
        assert_eq!(open.length, Some(file_size), "{at}: open declares the size");
        assert_eq!((open.offset, open.flags.as_str()), (None, ""), "{at}");
        i += 1;
        let mut off = 0;
        while i < r.len() && r[i].op == "read" {
            let x = &r[i];
            assert_eq!((x.pid, &x.file), (open.pid, &open.file), "row {}", i + 2);
            assert_eq!(x.offset, Some(off), "row {}: reads in order", i + 2);
            assert_eq!(x.length, Some(io.min(file_size - off)), "row {}", i + 2);
            off += io.min(file_size - off);
            i += 1;
        }
        let close = r
            .get(i)
            .unwrap_or_else(|| panic!("{at}: access not closed"));
        assert_eq!(close.op, "close", "row {}", i + 2);
        assert_eq!(
            (close.pid, &close.file),
            (open.pid, &open.file),
            "row {}",
            i + 2
        );
        assert_eq!((close.offset, close.length), (None, None), "row {}", i + 2);
        i += 1;
        let reads = off.div_ceil(io);
        if off < file_size {
            assert_eq!(i, r.len(), "only the last access may stop early ({at})");
        }
        accesses.push((open.pid, open.file.clone(), reads));
    }
    accesses
}

#[test]
fn smallfiles_opens_reads_whole_and_closes_each_access() {
    // 3 files of 32 KiB, 16 KiB reads: 2 reads an access, so 5 reads are two whole
    // accesses and a third cut after its first read: 4 + 4 + 3 = 11 rows, 10 us apart.
    let r = gen_rows("smallfiles --files 3 --size 96K --io-size 16K --events 5");
    let ops: Vec<&str> = r.iter().map(|x| x.op.as_str()).collect();
    assert_eq!(
        ops,
        [
            "open", "read", "read", "close", "open", "read", "read", "close", "open", "read",
            "close"
        ]
    );
    let times: Vec<u64> = r.iter().map(|x| x.time).collect();
    assert_eq!(times, (0..11).map(|i| i * 10_000).collect::<Vec<_>>());
    let offsets: Vec<Option<u64>> = r.iter().map(|x| x.offset).collect();
    let k16 = Some(16384);
    assert_eq!(
        offsets,
        [
            None,
            Some(0),
            k16,
            None,
            None,
            Some(0),
            k16,
            None,
            None,
            Some(0),
            None
        ]
    );
    let accesses = smallfiles_accesses(&r, 32768, 16384);
    let reads: Vec<u64> = accesses.iter().map(|a| a.2).collect();
    assert_eq!(reads, [2, 2, 1]);
    for (pid, file, _) in &accesses {
        assert_eq!(*pid, 100);
        assert!(
            ["small.0", "small.1", "small.2"].contains(&file.as_str()),
            "{file}"
        );
    }
    check_invariants("smallfiles", &r);

    // The default --io-size is 16K, and a file that is not a multiple of it ends with a
    // short read (40 KiB: 16K + 16K + 8K). One file: every access is file 0.
    let text = gen_bytes("smallfiles --files 1 --size 40K --events 4");
    assert_eq!(
        String::from_utf8(text).expect("UTF-8"),
        "time_ns,pid,op,file,offset,length,flags\n\
         0,100,open,small.0,,40960,\n\
         10000,100,read,small.0,0,16384,\n\
         20000,100,read,small.0,16384,16384,\n\
         30000,100,read,small.0,32768,8192,\n\
         40000,100,close,small.0,,,\n\
         50000,100,open,small.0,,40960,\n\
         60000,100,read,small.0,0,16384,\n\
         70000,100,close,small.0,,,\n"
    );

    // Accesses go round robin to the pids: 7 one-read accesses over 3 pids.
    let r = gen_rows("smallfiles:alpha=0 --files 50 --size 800K --events 7 --pids 3");
    let pids: Vec<u32> = smallfiles_accesses(&r, 16384, 16384)
        .iter()
        .map(|a| a.0)
        .collect();
    assert_eq!(pids, [100, 101, 102, 100, 101, 102, 100]);
    // No events, no access: the header alone.
    assert_eq!(
        gen_rows("smallfiles --events 0 --files 4 --size 1M").len(),
        0
    );
}

#[test]
fn smallfiles_stops_at_events_mid_file_and_still_closes() {
    // 64 KiB files read in 16 KiB requests: 4 reads an access; the 6th read is the
    // second of the second access (by the second pid), which then closes its file.
    let text = gen_bytes("smallfiles --files 1 --size 64K --events 6 --pids 2");
    assert_eq!(
        String::from_utf8(text).expect("UTF-8"),
        "time_ns,pid,op,file,offset,length,flags\n\
         0,100,open,small.0,,65536,\n\
         10000,100,read,small.0,0,16384,\n\
         20000,100,read,small.0,16384,16384,\n\
         30000,100,read,small.0,32768,16384,\n\
         40000,100,read,small.0,49152,16384,\n\
         50000,100,close,small.0,,,\n\
         60000,101,open,small.0,,65536,\n\
         70000,101,read,small.0,0,16384,\n\
         80000,101,read,small.0,16384,16384,\n\
         90000,101,close,small.0,,,\n"
    );
    // Over many files too: 1000 reads of 3 per access are 333 whole accesses and one
    // of 1 read, closed; 334 opens, 334 closes.
    let r = gen_rows("smallfiles --files 500 --size 24000K --io-size 16K --events 1000");
    let reads: Vec<u64> = smallfiles_accesses(&r, 49152, 16384)
        .iter()
        .map(|a| a.2)
        .collect();
    assert_eq!(reads.len(), 334);
    assert!(reads[..333].iter().all(|&n| n == 3));
    assert_eq!(reads[333], 1);
    assert_eq!(r.len(), 1000 + 2 * 334);
}

#[test]
fn smallfiles_is_deterministic_pinned_and_checks() {
    let dir = temp_dir("smallfiles");
    let args = |seed: u32| {
        format!("smallfiles --events 300 --files 40 --pids 3 --size 1M --io-size 4K --seed {seed}")
    };
    let a = gen_bytes(&args(5));
    assert_eq!(a, gen_bytes(&args(5)), "same seed, different trace");
    assert_ne!(a, gen_bytes(&args(6)), "another seed gave the same trace");
    let r = rows(&a);
    assert_eq!(data_rows(&r), 300);
    check_invariants("smallfiles", &r);
    // 40 files of 25.6 KiB, 4 KiB reads: 7 reads an access (the last of 1 KiB).
    let acc = smallfiles_accesses(&r, 26214, 4096);
    assert_eq!(acc.len(), 43, "300 reads = 42 accesses of 7 and one of 6");
    let path = dir.join("s.csv");
    let p = path.to_str().expect("UTF-8 path");
    assert_code(&run(&format!("gen {} -o {p}", args(5))), 0);
    assert_eq!(std::fs::read(&path).expect("written"), a, "-o differs");
    let c = vpsim(&["check", p]);
    assert_code(&c, 0);
    assert!(stdout(&c).contains("OK"), "{}", stdout(&c));
    let _ = std::fs::remove_dir_all(&dir);

    // As output_is_pinned: the same seed gives the same bytes forever.
    fn fnv1a(b: &[u8]) -> u64 {
        b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| {
            (h ^ u64::from(x)).wrapping_mul(0x100_0000_01b3)
        })
    }
    let got: Vec<(&str, u64)> = ["smallfiles", "smallfiles:alpha=0"]
        .iter()
        .map(|w| {
            let b = gen_bytes(&format!(
                "{w} --events 200 --files 20 --pids 2 --size 1M --seed 7"
            ));
            (*w, fnv1a(&b))
        })
        .collect();
    let want: Vec<(&str, u64)> = vec![
        ("smallfiles", 0x946f609a23f5e308),
        ("smallfiles:alpha=0", 0xd6bd6112d6e47f1e),
    ];
    assert_eq!(got, want);
}

#[test]
fn smallfiles_popular_files_are_zipf_and_scattered() {
    // 100 files of one 16 KiB read each, 20000 accesses at alpha 0.9: rank k has
    // probability k^-0.9 / H, H = sum over k = 1..100 of k^-0.9 = 6.42673, so the three
    // hottest files get 3112, 1668 and 1158 accesses expected (sd about 51, 40, 33).
    let r = gen_rows("smallfiles --files 100 --size 1600K --events 20000 --seed 3");
    let mut hits: HashMap<String, u64> = HashMap::new();
    for (_, f, _) in smallfiles_accesses(&r, 16384, 16384) {
        *hits.entry(f).or_insert(0) += 1;
    }
    let mut by_count: Vec<(u64, String)> = hits.into_iter().map(|(f, c)| (c, f)).collect();
    by_count.sort_unstable_by(|a, b| b.cmp(a));
    for (k, want) in [3112.0, 1668.0, 1158.0].into_iter().enumerate() {
        let got = by_count[k].0 as f64;
        assert!(
            (got - want).abs() < 0.05 * want,
            "rank {}: {got}, want {want}",
            k + 1
        );
    }
    // The popular files are scattered over the numbers, not small.0, small.1, small.2.
    let top: Vec<&str> = by_count[..3].iter().map(|(_, f)| f.as_str()).collect();
    assert!(
        top.iter()
            .all(|f| !["small.0", "small.1", "small.2"].contains(f)),
        "{top:?}"
    );
    // alpha=0 is uniform: 200 expected per file (sd 14), none above 270 or below 130.
    let r = gen_rows("smallfiles:alpha=0 --files 100 --size 1600K --events 20000 --seed 3");
    let mut hits: HashMap<String, u64> = HashMap::new();
    for (_, f, _) in smallfiles_accesses(&r, 16384, 16384) {
        *hits.entry(f).or_insert(0) += 1;
    }
    assert_eq!(hits.len(), 100);
    assert!(hits.values().all(|&c| (130..=270).contains(&c)), "{hits:?}");
}

#[test]
fn smallfiles_opens_per_access_so_a_million_files_is_accepted() {
    // 16 pids x 1000000 files is over the 10000000 opens a workload that opens every
    // file in every pid may start with; smallfiles opens per access, so it is fine.
    let args = "--files 1000000 --pids 16 --size 16000000K --events 10";
    let r = gen_rows(&format!("smallfiles {args}"));
    assert_eq!(r.len(), 30, "10 accesses of one read: open, read, close");
    let pids: Vec<u32> = smallfiles_accesses(&r, 16384, 16384)
        .iter()
        .map(|a| a.0)
        .collect();
    assert_eq!(pids, (100..110).collect::<Vec<_>>());
    let o = run(&format!("gen randread {args}"));
    assert_code(&o, 2);
    assert!(stderr(&o).contains("over 10000000 opens"), "{}", stderr(&o));
    let o = run("gen smallfiles --files 1000001 --size 16G --events 1");
    assert_code(&o, 2);
    assert!(stderr(&o).contains("--files must be from 1 to 1000000"));
}

#[test]
fn smallfiles_makes_vnlru_recycle_within_desiredvnodes() {
    // 2000 files of 16 KiB, 6000 uniform accesses: about 2000 (1 - e^-3) = 1900 files
    // touched, more than --mem 8M's desiredvnodes (1360) + wantfreevnodes (25) can hold.
    let dir = temp_dir("smallfiles_vnlru");
    let make = "gen smallfiles:alpha=0 --files 2000 --size 32000K --events 6000";
    let csv = dir.join("t.csv");
    let vpt = dir.join("t.vpt");
    let (csv, vpt) = (csv.to_str().expect("UTF-8"), vpt.to_str().expect("UTF-8"));
    assert_code(&run(&format!("{make} -o {csv}")), 0);
    assert_code(&run(&format!("{make} -o {vpt}")), 0);
    let r = rows(&std::fs::read(csv).expect("written"));
    let accesses = smallfiles_accesses(&r, 16384, 16384);
    assert_eq!(accesses.len(), 6000);
    let touched: std::collections::HashSet<&str> = accesses.iter().map(|a| a.1.as_str()).collect();
    let touched = touched.len() as u64;
    assert!(touched > 1385 + 400, "{touched} files touched");
    for t in [csv, vpt] {
        let c = vpsim(&["check", t]);
        assert_code(&c, 0);
        // Files no access picked have no rows: the trace knows only those touched.
        let i = vpsim(&["info", t, "--format", "json"]);
        assert_code(&i, 0);
        let j: serde_json::Value = serde_json::from_str(&stdout(&i)).expect("JSON");
        assert_eq!(j["files"], touched, "{t}");
    }
    let replay = |t: &str| {
        let o = vpsim(&["replay", t, "--mem", "8M", "--format", "json"]);
        assert_code(&o, 0);
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).expect("JSON")
    };
    let j = replay(csv);
    assert_eq!(j["trace"]["files"], touched);
    assert_eq!(j["trace"]["events"], 18000);
    assert_eq!(j["config"]["derived"]["desiredvnodes"], 1360);
    let c = &j["counters"];
    let peak = c["vnodes_peak"].as_u64().expect("vnodes_peak");
    let reclaimed = c["vnlru_reclaims"].as_u64().expect("vnlru_reclaims");
    assert!(peak <= 1360 + 25, "vnodes_peak {peak}");
    // Every file touched had a vnode, at most `peak` at a time: the rest were recycled.
    assert!(reclaimed + peak >= touched, "vnlru_reclaims {reclaimed}");
    // The binary form replays to the same counters.
    assert_eq!(replay(vpt)["counters"], j["counters"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn smallfiles_is_listed_in_help() {
    let h = stdout(&run("gen --help"));
    assert!(
        h.contains("\n  smallfiles  (--io-size default 16K; files small.0"),
        "{h}"
    );
    assert!(h.contains("alpha=0.9"), "{h}");
    assert!(h.contains("git status"), "{h}");
}
