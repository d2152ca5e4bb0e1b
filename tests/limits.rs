//! Limits: each extreme either handled or rejected with a clear message, never an
//! overflow, a panic or an hours-long run. Debug builds trap integer overflow, so these
//! are meaningful under `cargo test`.
//!
//! * 1 M distinct files (the 10 M figure is measured by hand with a release build: see
//!   `one_million_distinct_files`);
//! * a file of 2^62 bytes, read, written, mapped and faulted near its end;
//! * offsets near u64::MAX for every op that takes one;
//! * a year of simulated time, sparse, with a dense 1 µs-spaced stretch;
//! * `--mem` from 1 MiB (a usage error) to 1 TiB and 15 TiB, the largest (handled, in
//!   the memory of the working set, not of `--mem`).
//!
//! Each run through the binary is timed and its peak RSS read with `wait4`.

mod common;

use common::root;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HEADER: &str = "time_ns,pid,op,file,offset,length,flags\n";
const SEC: u64 = 1_000_000_000;

/// What one run of the binary did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    /// Peak resident set of the child, KiB.
    maxrss_kib: u64,
}

/// A fresh temporary directory for one test.
fn tmpdir(name: &str) -> PathBuf {
    common::scratch("limits", name)
}

/// Run `vpsim ARGS` from the crate root; stdout and stderr go to files in `dir` (no pipe
/// to drain), and the child is reaped with `wait4` for its own peak RSS.
fn vpsim(dir: &Path, args: &[&str]) -> Run {
    let out = dir.join("stdout");
    let err = dir.join("stderr");
    let start = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_vpsim"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(File::create(&out).unwrap())
        .stderr(File::create(&err).unwrap())
        .spawn()
        .expect("cannot run the vpsim binary");
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet reaped (`child` is never waited on, and
    // dropping a `Child` neither waits nor kills); the pointers are to live locals.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    assert_eq!(r, pid, "wait4 failed");
    let elapsed = start.elapsed();
    drop(child);
    assert!(
        libc::WIFEXITED(status),
        "vpsim {args:?} killed by a signal (status {status:#x})"
    );
    let run = Run {
        code: libc::WEXITSTATUS(status),
        stdout: std::fs::read_to_string(&out).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err).unwrap_or_default(),
        elapsed,
        maxrss_kib: ru.ru_maxrss as u64,
    };
    eprintln!(
        "vpsim {}: exit {} in {:.2} s, peak RSS {} MiB",
        args.join(" "),
        run.code,
        run.elapsed.as_secs_f64(),
        run.maxrss_kib / 1024
    );
    assert!(
        !run.stderr.contains("panicked") && run.code != 101,
        "vpsim {args:?} panicked:\n{}",
        run.stderr
    );
    run
}

#[track_caller]
fn assert_ok(r: &Run, what: &str) {
    assert_eq!(
        r.code, 0,
        "{what}: exit {}\n--- stderr:\n{}",
        r.code, r.stderr
    );
}

/// Parse the JSON a `replay --format json` printed.
fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{}", r.stdout))
}

fn write_trace(dir: &Path, name: &str, rows: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, format!("{HEADER}{rows}")).unwrap();
    p.to_str().unwrap().to_string()
}

/// 1 M distinct files, written by a streaming generator (34 MB, never held in memory),
/// through `check` (reader, interning) and the LRU model, and the DragonFly engine on
/// a quarter of them. Time and peak memory are printed and bounded.
///
/// Measured by hand with a release build on 10 M distinct files (one 4 KiB read each,
/// 1 ms apart, 359 MB of CSV): see the report of issue 8 §5 for the figures.
#[test]
fn one_million_distinct_files() {
    const FILES: u64 = 1_000_000;
    let dir = tmpdir("files");
    let path = dir.join("files.csv");
    let t0 = Instant::now();
    {
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&path).unwrap());
        w.write_all(HEADER.as_bytes()).unwrap();
        for i in 0..FILES {
            writeln!(w, "{},1,read,d/{i:07},0,4096,", i * 1_000_000).unwrap();
        }
        w.flush().unwrap();
    }
    eprintln!(
        "generated {FILES} rows in {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let p = path.to_str().unwrap();

    let r = vpsim(&dir, &["check", p]);
    assert_ok(&r, "check");
    assert!(r.stdout.contains(&format!("{p}: OK")), "{}", r.stdout);
    let files_line = r
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.first() == Some(&"files"))
        .unwrap();
    assert_eq!(files_line, ["files", "1000000"]);
    // ~180 MB measured (interned names and the per-file size table)
    assert!(r.maxrss_kib < 1 << 20, "check: {} KiB", r.maxrss_kib);

    let r = vpsim(&dir, &["replay", p, "--model", "lru", "--format", "json"]);
    assert_ok(&r, "replay --model lru");
    let j = json(&r);
    assert_eq!(j["trace"]["files"], FILES);
    assert_eq!(j["counters"]["page_misses"], FILES);
    assert!(r.maxrss_kib < 2 << 20, "lru: {} KiB", r.maxrss_kib);
    assert!(r.elapsed < Duration::from_secs(120), "lru: {:?}", r.elapsed);

    // The DragonFly engine (invariants checked after every event in debug builds, which
    // costs O(resident pages) per event) on the first 250 K files of the same stream.
    let quarter = dir.join("quarter.csv");
    {
        let text = std::fs::read_to_string(&path).unwrap();
        let end = text.match_indices('\n').nth(250_000).unwrap().0 + 1;
        std::fs::write(&quarter, &text[..end]).unwrap();
    }
    let q = quarter.to_str().unwrap();
    let r = vpsim(&dir, &["replay", q, "--mem", "4M", "--format", "json"]);
    assert_ok(&r, "replay dragonfly");
    let j = json(&r);
    assert_eq!(j["trace"]["files"], 250_000);
    assert_eq!(j["counters"]["page_misses"], 250_000);
    // 4 MiB gives desiredvnodes = 680 (maxproc 85 · 8): vnlru recycles the files as
    // they go (each read once, one page, never opened), so the vnodes stay near 680
    // and every file but those still held was reclaimed. allocvnode reuses free vnodes
    // only once 25 (wantfreevnodes) are free, so numvnodes peaks at 680 + 25.
    assert_eq!(j["config"]["derived"]["desiredvnodes"], 680);
    let peak = j["counters"]["vnodes_peak"].as_u64().unwrap();
    let reclaimed = j["counters"]["vnlru_reclaims"].as_u64().unwrap();
    assert_eq!(peak, 680 + 25, "vnodes_peak");
    assert!(reclaimed + peak >= 250_000, "vnlru_reclaims {reclaimed}");
    assert!(r.maxrss_kib < 2 << 20, "dragonfly: {} KiB", r.maxrss_kib);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// 50 000 files each written once, 1 ms apart, under flushers waking every 1 ms: a
/// flush visits the dirty vnodes only (src/engine/dirtylist.rs), not every vnode of the
/// trace (which once made this O(files × wake-ups): 2.5·10^9 vnode visits here).
#[test]
fn many_files_under_a_frequent_flusher() {
    const FILES: u64 = 50_000;
    let dir = tmpdir("flusher");
    let mut rows = String::new();
    for i in 0..FILES {
        let t = (i + 1) * 1_000_000;
        rows.push_str(&format!(
            "{t},1,open,d/{i},,0,\n{},1,write,d/{i},0,4096,\n{},1,close,d/{i},,,\n",
            t + 1,
            t + 2
        ));
    }
    let p = write_trace(&dir, "many.csv", &rows);
    for sync in ["periodic:interval=1ms", "linux:interval=1ms,expire=20ms"] {
        let r = vpsim(&dir, &["replay", &p, "--format", "json", "--sync", sync]);
        assert_ok(&r, sync);
        let j = json(&r);
        assert_eq!(j["trace"]["files"], FILES);
        // every file's 4 KiB written back by the flusher (the last ones may still be
        // dirty when the trace ends a few ms later)
        let wb = j["device"]["by_origin"]["writeback"]["write_bytes"]
            .as_u64()
            .unwrap();
        let dirty = j["counters"]["dirty_bytes_at_end"].as_u64().unwrap();
        assert!(wb >= (FILES - 50) * 4096, "{sync}: {wb}");
        assert_eq!(wb + dirty, FILES * 4096, "{sync}");
        assert_eq!(j["device"]["write_bytes"], wb, "{sync}");
        assert!(j["counters"]["writeback_runs"].as_u64().unwrap() >= 40_000);
        assert!(
            r.elapsed < Duration::from_secs(60),
            "{sync}: {:?}",
            r.elapsed
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A file of 2^62 bytes: reads, writes, a mapping, faults and truncates near its end,
/// and a read past it, under several policies and devices and the reference models.
#[test]
fn file_of_two_to_the_62_bytes() {
    let dir = tmpdir("huge");
    let s: u64 = 1 << 62;
    let rows = format!(
        "0,1,open,huge,,{s},\n\
         1000,1,read,huge,{},4096,\n\
         2000,1,read,huge,{},1,\n\
         3000,1,read,huge,{},65536,\n\
         4000,1,read,huge,{s},4096,\n\
         5000,1,write,huge,{},8192,\n\
         6000,1,write,huge,,4096,\n\
         7000,1,mmap,huge,{},131072,\n\
         8000,1,fault_read,huge,{},4096,\n\
         9000,1,fault_write,huge,{},4096,\n\
         10000,1,fault_read,huge,{},4096,\n\
         11000,1,msync,huge,{},0,\n\
         12000,1,truncate,huge,,{},\n\
         13000,1,fault_write,huge,{},4096,\n\
         14000,1,fsync,huge,,,\n\
         15000,1,munmap,huge,{},131072,\n\
         16000,1,truncate,huge,,{s},\n\
         17000,1,read,huge,0,4096,\n\
         18000,1,close,huge,,,\n",
        s - 4096,
        s - 1,
        s - 1000,
        s - 10000,
        s - 131072,
        s - 4096,
        s - 4000,
        s + 4096,
        s - 131072,
        s - 5000,
        s - 1,
        s - 131072,
    );
    let p = write_trace(&dir, "huge.csv", &rows);
    for args in [
        vec![],
        vec![
            "--device",
            "hdd",
            "--readahead",
            "linux",
            "--sync",
            "periodic",
        ],
        vec!["--readahead", "fixed:pages=64", "--cluster", "contiguous"],
        vec![
            "--readahead",
            "freebsd",
            "--sync",
            "writethrough",
            "--final-sync",
        ],
        vec!["--model", "lru"],
        vec!["--model", "opt", "--mem", "4M"],
    ] {
        let mut a = vec![
            "replay",
            p.as_str(),
            "--format",
            "json",
            "--check-invariants",
        ];
        if args.first() == Some(&"--model") {
            a.pop(); // --check-invariants is the dragonfly model's
        }
        a.extend(&args);
        let r = vpsim(&dir, &a);
        assert_ok(&r, &format!("{args:?}"));
        let j = json(&r);
        assert_eq!(j["trace"]["events"], 19);
        if args.first() != Some(&"--model") {
            // the append at EOF = 2^62 goes past the largest file: EFBIG
            let w = j["warnings"].to_string();
            assert!(w.contains("1 writes or truncates past"), "{args:?}: {w}");
            assert!(j["counters"]["page_misses"].as_u64().unwrap() > 0);
            assert_eq!(j["counters"]["fault_sigbus"], 2, "{args:?}");
            assert!(j["device"]["reads"].as_u64().unwrap() > 0);
        }
        assert!(
            r.elapsed < Duration::from_secs(20),
            "{args:?}: {:?}",
            r.elapsed
        );
    }
    for cmd in ["check", "info"] {
        let r = vpsim(&dir, &[cmd, &p]);
        assert_ok(&r, cmd);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Offsets near u64::MAX for every op that takes one, on a file never declared (its
/// size is then the furthest byte read, ~2^64) and on a small declared one. The reader
/// rejects an offset + length past u64::MAX; everything else must replay.
#[test]
fn offsets_near_u64_max() {
    let dir = tmpdir("u64max");
    let m = u64::MAX;
    let page = m / 4096 * 4096; // start of the last page
    let rows: Vec<(&str, &str, Option<u64>, Option<u64>)> = vec![
        ("read", "edge", Some(m - 4096), Some(4096)),
        ("read", "edge", Some(m - 1), Some(1)),
        ("read", "edge", Some(m), Some(0)),
        ("fault_read", "edge", Some(m - 4096), Some(0)),
        ("fault_read", "edge", Some(m), Some(0)),
        ("write", "edge", Some(m - 4096), Some(4096)),
        ("write", "edge", Some(m - 1), Some(1)),
        ("mmap", "edge", Some(page - 4096), Some(8191)),
        ("fault_write", "edge", Some(page), Some(0)),
        ("fault_write", "edge", Some(m), Some(0)),
        ("msync", "edge", Some(page - 4096), Some(8191)),
        ("msync", "edge", Some(page), Some(0)),
        ("munmap", "edge", Some(page - 4096), Some(8191)),
        ("write", "edge", None, Some(4096)), // append at EOF = u64::MAX
        ("truncate", "edge", None, Some(m)),
        ("read", "edge", Some(m - 4096), Some(4096)),
        ("fsync", "edge", None, None),
        ("truncate", "edge", None, Some(m - 4000)),
        ("open", "small", None, Some(8192)),
        ("read", "small", Some(m - 4096), Some(4096)),
        ("fault_read", "small", Some(m), Some(0)),
        ("write", "small", Some(m - 4096), Some(4096)),
        ("mmap", "small", Some(page), Some(4095)),
        ("fault_write", "small", Some(m - 1), Some(0)),
        ("munmap", "small", Some(page), Some(4095)),
        ("fsync", "small", None, None),
        ("unlink", "edge", None, None),
        ("close", "small", None, None),
    ];
    let n = rows.len();
    let opt = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
    let rows: String = rows
        .into_iter()
        .enumerate()
        .map(|(i, (op, f, off, len))| format!("{i},1,{op},{f},{},{},\n", opt(off), opt(len)))
        .collect();
    let p = write_trace(&dir, "edge.csv", &rows);
    for args in [
        vec![],
        vec![
            "--device",
            "hdd",
            "--readahead",
            "linux",
            "--cluster",
            "none",
        ],
        vec![
            "--readahead",
            "fixed:pages=32",
            "--sync",
            "linux",
            "--final-sync",
        ],
        vec![
            "--readahead",
            "freebsd",
            "--cluster",
            "contiguous",
            "--sync",
            "periodic",
        ],
        vec!["--model", "lru", "--mem", "4M"],
        vec!["--model", "opt", "--mem", "4M"],
    ] {
        let mut a = vec!["replay", p.as_str(), "--format", "json"];
        a.extend(&args);
        let r = vpsim(&dir, &a);
        assert_ok(&r, &format!("{args:?}"));
        let j = json(&r);
        assert_eq!(j["trace"]["events"], n);
        if args.first() == Some(&"--model") {
            continue;
        }
        // Nothing lies inside a file: `edge` is never declared, so its size is the
        // furthest byte read, clamped to the largest file (2^62); `small` has 8 KiB.
        // Every fault is past EOF, every write or truncate fails with EFBIG, and the
        // mapping past 2^62 still matches its faults and its munmap.
        let c = &j["counters"];
        assert_eq!(c["fault_sigbus"], 6, "{args:?}");
        assert_eq!(c["implicit_mapping_touches"], 3, "{args:?}");
        assert_eq!(c["page_hits"], 0, "{args:?}");
        assert_eq!(c["page_misses"], 0, "{args:?}");
        assert_eq!(j["device"]["writes"], 0, "{args:?}");
        let w = j["warnings"].to_string();
        assert!(
            w.contains("6 writes or truncates past the largest file size the model supports (2^62 bytes) failed with EFBIG"),
            "{args:?}: {w}"
        );
        assert!(!w.contains("munmap"), "{args:?}: {w}");
        assert!(!w.contains("outside every live mmap"), "{args:?}: {w}");
    }
    for cmd in ["check", "info"] {
        let r = vpsim(&dir, &[cmd, &p]);
        assert_ok(&r, cmd);
    }

    // Past u64::MAX: rejected by the reader, naming line and column.
    for (row, col) in [
        (format!("0,1,read,e,{m},1,"), "length"),
        (format!("0,1,write,e,{},4097,", m - 4095), "length"),
        (format!("0,1,mmap,e,{},8192,", m - 4095), "length"),
        (format!("0,1,msync,e,{m},2,"), "length"),
        (format!("0,1,read,e,{m}0,1,"), "offset"),
    ] {
        let p = write_trace(&dir, "over.csv", &format!("{row}\n"));
        let r = vpsim(&dir, &["replay", &p]);
        assert_eq!(r.code, 1, "{row}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("{p}: line 2, column {col}: ")),
            "{row}: {}",
            r.stderr
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A year of simulated time: a write and a store through a shared mapping every day, a
/// file unlinked while dirty (and closed at once, or only at the end of the year), and
/// a dense stretch of 10 000 events 1 µs apart in the middle.
fn year_trace(mmap_flags: &str, close_unlinked_at_once: bool) -> String {
    let day = 86_400 * SEC;
    let mut rows = String::new();
    rows.push_str("0,1,open,log,,0,\n0,1,open,map,,1048576,\n");
    rows.push_str(&format!(
        "1,1,mmap,map,0,1048576,{mmap_flags}\n2,1,fault_write,map,0,4096,\n"
    ));
    rows.push_str("3,2,open,tmp,,,\n4,2,write,tmp,0,100000,\n5,2,unlink,tmp,,,\n");
    if close_unlinked_at_once {
        rows.push_str("6,2,close,tmp,,,\n");
    }
    for d in 1..=365u64 {
        let t = d * day;
        rows.push_str(&format!("{t},1,write,log,,512,\n"));
        rows.push_str(&format!(
            "{},1,fault_write,map,{},4096,\n",
            t + 1,
            (d % 256) * 4096
        ));
        if d == 180 {
            // dense: 10 000 reads and writes 1 µs apart
            for i in 0..10_000u64 {
                let op = if i % 4 == 0 { "write" } else { "read" };
                rows.push_str(&format!(
                    "{},3,{op},dense,{},4096,\n",
                    t + 1_000 + i * 1_000,
                    (i % 512) * 4096
                ));
            }
        }
    }
    if !close_unlinked_at_once {
        rows.push_str(&format!("{},2,close,tmp,,,\n", 366 * day));
    }
    rows
}

const YEAR_EVENTS: u64 = 8 + 365 * 2 + 10_000;

/// `vpsim replay YEAR --format json ARGS`: it succeeds, replays every event of the year
/// to its end, and takes seconds, not the hours a daemon waking through every idle
/// interval would.
fn replay_year(dir: &Path, year: &str, args: &[&str]) -> serde_json::Value {
    let mut a = vec!["replay", year, "--format", "json"];
    a.extend(args);
    let r = vpsim(dir, &a);
    assert_ok(&r, &format!("{args:?}"));
    let j = json(&r);
    assert_eq!(j["trace"]["events"], YEAR_EVENTS, "{args:?}");
    assert!(j["trace"]["end_time_ns"].as_u64().unwrap() >= 365 * 86_400 * SEC);
    assert!(
        r.elapsed < Duration::from_secs(20),
        "{args:?}: {:?} for a year of simulated time",
        r.elapsed
    );
    j
}

/// The year of `year_trace` under every sync policy, a 1 ms timeline and the reference
/// models: idle daemons must skip the empty days, so each run takes seconds.
#[test]
fn a_year_at_one_microsecond_resolution() {
    let dir = tmpdir("year");
    let p = write_trace(&dir, "year.csv", &year_trace("", true));
    let tl = dir.join("timeline.csv");
    let tl = tl.to_str().unwrap();
    for args in [
        vec![],
        vec!["--sync", "periodic:interval=100ms", "--mem", "4M"],
        vec!["--sync", "linux:interval=100ms,expire=1s", "--final-sync"],
        vec!["--sync", "writethrough", "--readahead", "linux"],
        vec!["--timeline", tl, "--timeline-step", "1ms"],
        vec!["--model", "lru"],
        vec!["--model", "opt"],
    ] {
        replay_year(&dir, &p, &args);
    }
    let rows = std::fs::read_to_string(tl).unwrap().lines().count();
    // only intervals in which something happened, not 3·10^10 of them
    assert!((2..100_000).contains(&rows), "{rows} timeline rows");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The same year with the mapping MAP_NOSYNC: its dirty pages are never written by the
/// syncer, so the object stays VOBJDIRTY. The syncer vnode's pass that finds only
/// NOSYNC pages writes nothing, and until the next op nothing can change that, so its
/// idle visits are skipped: at most one pass per event (a simulated year once took
/// ~1 M scans, 4.5 s in release and ~90 s in debug, growing with years × NOSYNC pages).
#[test]
fn a_year_with_dirty_map_nosync_pages() {
    let dir = tmpdir("year-nosync");
    let p = write_trace(&dir, "year.csv", &year_trace("nosync", true));
    let j = replay_year(&dir, &p, &[]);
    let c = &j["counters"];
    let runs = c["syncer_msync_runs"].as_u64().unwrap();
    assert!(
        (365..=2 * 365 + 100).contains(&runs),
        "{runs} syncer passes"
    );
    // Pages stored to through the NOSYNC mapping are left dirty by the syncer.
    assert!(c["dirty_bytes_at_end"].as_u64().unwrap() > 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The same year with the unlinked file kept open (its dirty buffers stay): the
/// `periodic` and `linux` flushers write it as a kernel flusher would (the inode lives
/// until the last close), so nothing stays dirty and their timers idle. (They once
/// skipped unlinked vnodes: the data stayed dirty and the 100 ms timer fired 315 M
/// times over the idle year.)
#[test]
fn a_year_with_an_unlinked_dirty_file_kept_open() {
    let dir = tmpdir("year-unlinked");
    let p = write_trace(&dir, "year.csv", &year_trace("", false));
    for sync in ["periodic:interval=100ms", "linux:interval=100ms"] {
        let j = replay_year(&dir, &p, &["--sync", sync]);
        let c = &j["counters"];
        assert_eq!(c["dirty_bytes_at_end"], 0, "{sync}");
        // 100 000 bytes of the unlinked file, a 512-byte write and a page a day
        let wb = j["device"]["by_origin"]["writeback"]["write_bytes"]
            .as_u64()
            .unwrap();
        assert!(
            wb >= 100_000 + 365 * 4096,
            "{sync}: {wb} bytes written back"
        );
        // Wake-ups while something is dirty (linux: until it expires), not every
        // 100 ms of the year.
        let runs = c["writeback_runs"].as_u64().unwrap();
        assert!(runs < 1_000_000, "{sync}: {runs} flusher runs");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--mem` from 1 MiB to 1 TiB and past it: too small and too large are usage errors
/// (exit 2) naming the limit; up to 15 TiB the replay takes the memory and time of its
/// working set, whatever `--mem` (the kernel's wired pages are counted, not allocated).
#[test]
fn memory_sizes_from_one_mebibyte_to_one_tebibyte() {
    let dir = tmpdir("mem");
    let p = write_trace(
        &dir,
        "small.csv",
        "0,1,open,a,,1048576,\n1,1,read,a,0,1048576,\n2,1,write,a,0,65536,\n3,1,fsync,a,,,\n",
    );
    for (mem, want) in [
        ("1M", "--mem 1M is too small: at least 4M is needed"),
        ("0", "is too small"),
        ("4095K", "is too small"),
        (
            "17T",
            "--mem 17T is too large: at most 17592186040320 bytes",
        ),
        // 16 TiB itself is one page too many for u32 page indexes: said plainly.
        (
            "16T",
            "--mem 16T is too large: at most 17592186040320 bytes",
        ),
        ("99999999999T", "out of range"),
        ("1P", "unknown suffix"),
    ] {
        let r = vpsim(&dir, &["replay", &p, "--mem", mem]);
        assert_eq!(r.code, 2, "--mem {mem}: {}", r.stderr);
        assert!(r.stderr.contains(want), "--mem {mem}: {}", r.stderr);
        assert!(r.stdout.is_empty());
    }
    let mut big = Vec::new();
    for mem in ["4M", "1G", "64G", "1T", "15T"] {
        let r = vpsim(&dir, &["replay", &p, "--mem", mem, "--format", "json"]);
        assert_ok(&r, mem);
        let j = json(&r);
        let c = &j["counters"];
        // 256 pages read, 16 written
        assert_eq!(
            c["page_hits"].as_u64().unwrap() + c["page_misses"].as_u64().unwrap(),
            272
        );
        if mem != "4M" {
            // nothing is ever short of memory: the same replay whatever the size
            big.push((c["page_misses"].clone(), j["device"].clone()));
        }
        // the page slab grows with the pages used, not with --mem
        assert!(
            r.maxrss_kib < 256 << 10,
            "--mem {mem}: peak RSS {} KiB",
            r.maxrss_kib
        );
        assert!(
            r.elapsed < Duration::from_secs(20),
            "--mem {mem}: {:?}",
            r.elapsed
        );
    }
    assert!(big.windows(2).all(|w| w[0] == w[1]), "{big:?}");
    for model in ["lru", "opt"] {
        for mem in ["1M", "1T", "15T"] {
            let r = vpsim(&dir, &["replay", &p, "--model", model, "--mem", mem]);
            assert_ok(&r, &format!("{model} {mem}"));
            assert!(r.maxrss_kib < 256 << 10, "{model} --mem {mem}");
        }
    }
    let r = vpsim(&dir, &["info", &p, "--mem", "1M,1T,15T"]);
    assert_ok(&r, "info");
    std::fs::remove_dir_all(&dir).unwrap();
}
