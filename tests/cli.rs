//! End-to-end tests of the `vpsim` binary: every subcommand and flag of the command line,
//! run as a user would run it (the real executable, the shipped traces, exit codes,
//! stdout and stderr), with the JSON output parsed by serde_json.
//!
//! Traces are the ones shipped in `traces/` (see traces/README.md); temporary files go to
//! a directory of their own per test under the system temp dir.

mod common;
use common::*;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use vpsim::params::{KNOBS, Knobs};
use vpsim::trace::Op;

/// Data rows of traces/pyio.events.csv.zst, counted with
/// `zstd -dc traces/pyio.events.csv.zst | tail -n +2 | grep -vc '^#'` (the file has no
/// blank lines) and matching traces/README.md.
const PYIO_EVENTS: u64 = 6222;
/// Data rows of traces/seqread.csv: open, 256 reads of 4 KiB, close.
const SEQREAD_EVENTS: u64 = 258;

// ---------------------------------------------------------------------------------
// Helpers

/// `vpsim ARGS...` with `input` on standard input.
fn vpsim_stdin(args: &[&str], input: Vec<u8>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vpsim"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run the vpsim binary");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // A thread, so a large input cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("vpsim did not finish");
    writer.join().expect("stdin writer panicked");
    out
}

/// Run, expect exit 0, parse stdout as JSON.
#[track_caller]
fn replay_json(args: &[&str]) -> Value {
    let o = vpsim(args);
    assert_code(&o, 0);
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", stdout(&o)))
}

/// `v[path...]` as u64, panicking with the path when it is missing or not a number.
#[track_caller]
fn num(v: &Value, path: &[&str]) -> u64 {
    let mut cur = v;
    for p in path {
        cur = cur
            .get(p)
            .unwrap_or_else(|| panic!("missing key {p} (path {path:?})"));
    }
    cur.as_u64()
        .unwrap_or_else(|| panic!("{path:?} is not an unsigned integer: {cur}"))
}

/// `v[path...]` as a string.
#[track_caller]
fn text<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        cur = cur
            .get(p)
            .unwrap_or_else(|| panic!("missing key {p} (path {path:?})"));
    }
    cur.as_str()
        .unwrap_or_else(|| panic!("{path:?} is not a string: {cur}"))
}

/// A fresh, empty directory for one test: `<tmp>/vpsim-cli-<pid>-<test>`.
fn test_dir(test: &str) -> PathBuf {
    common::scratch("cli", test)
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// page_hits + page_misses of a JSON report: every 4 KiB page a read, write or fault
/// touched.
fn touches(v: &Value) -> u64 {
    num(v, &["counters", "page_hits"]) + num(v, &["counters", "page_misses"])
}

// ---------------------------------------------------------------------------------
// replay --format json

#[test]
fn json_report_of_a_real_trace_has_every_section() {
    let v = replay_json(&["replay", "traces/pyio.events.csv.zst", "--format", "json"]);
    let obj = v.as_object().expect("top level is an object");
    for k in [
        "trace",
        "config",
        "counters",
        "device",
        "latency_ns",
        "warnings",
    ] {
        assert!(obj.contains_key(k), "missing top-level key {k}");
    }

    // Counters: the pager and fault counters under their kernel names.
    for k in [
        "v_vnodein",
        "v_vnodepgsin",
        "v_vnodeout",
        "v_vnodepgsout",
        "v_vm_faults",
        "v_intrans",
        "v_reactivated",
        "events",
        "page_hits",
        "page_misses",
    ] {
        num(&v, &["counters", k]);
    }
    assert_eq!(num(&v, &["counters", "events"]), PYIO_EVENTS);
    assert_eq!(num(&v, &["trace", "events"]), PYIO_EVENTS);
    assert_eq!(text(&v, &["trace", "path"]), "traces/pyio.events.csv.zst");
    assert!(touches(&v) > 0, "no page touched");
    // The trace mmaps files and reads through them: the pager must have been called.
    assert!(num(&v, &["counters", "v_vm_faults"]) > 0);
    assert!(num(&v, &["counters", "v_vnodein"]) > 0);
    assert!(
        num(&v, &["counters", "v_vnodepgsin"]) >= num(&v, &["counters", "v_vnodein"]),
        "fewer pages than getpages calls"
    );

    // Device: totals, and by_origin rows that add up to them.
    for k in ["reads", "read_bytes", "writes", "write_bytes"] {
        num(&v, &["device", k]);
    }
    let by_origin = v["device"]["by_origin"]
        .as_object()
        .expect("device.by_origin is an object");
    for k in ["reads", "read_bytes", "writes", "write_bytes"] {
        num(&v, &["device", "by_origin", "demand", k]);
        let sum: u64 = by_origin.values().map(|o| num(o, &[k])).sum();
        assert_eq!(
            sum,
            num(&v, &["device", k]),
            "by_origin.*.{k} != device.{k}"
        );
    }
    assert!(num(&v, &["device", "reads"]) > 0);

    // Latency: every op, percentiles in order.
    for op in Op::ALL {
        let l = &v["latency_ns"][op.name()];
        for k in ["count", "mean", "p50", "p90", "p99", "p999", "max"] {
            assert!(
                l.get(k).is_some_and(Value::is_number),
                "latency_ns.{}.{k} missing or not a number",
                op.name()
            );
        }
        let p: Vec<u64> = ["p50", "p90", "p99", "p999", "max"]
            .iter()
            .map(|k| num(l, &[k]))
            .collect();
        assert!(
            p.windows(2).all(|w| w[0] <= w[1]),
            "latency_ns.{} percentiles out of order: {p:?}",
            op.name()
        );
        let mean = l["mean"].as_f64().expect("mean is a number");
        assert!(mean <= p[4] as f64, "latency_ns.{} mean > max", op.name());
    }
    assert!(num(&v, &["latency_ns", "read", "count"]) > 0);

    // Config: the effective settings, defaults included.
    assert_eq!(text(&v, &["config", "model"]), "dragonfly");
    assert_eq!(num(&v, &["config", "mem"]), 1 << 30);
    assert_eq!(num(&v, &["config", "mem"]), 1_073_741_824);
    assert_eq!(text(&v, &["config", "knobs", "vfs.max_readahead"]), "2M");
    for (name, default) in Knobs::default().entries() {
        assert_eq!(
            text(&v, &["config", "knobs", name]),
            default,
            "config.knobs.{name}"
        );
    }
    assert!(v["warnings"].is_array(), "warnings is not an array");
}

#[test]
fn event_count_agrees_with_check() {
    // `vpsim check` counts the rows independently of the replay.
    let o = vpsim(&["check", "traces/pyio.events.csv.zst"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    let events: u64 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("events "))
        .unwrap_or_else(|| panic!("no events line in check output:\n{out}"))
        .trim()
        .parse()
        .expect("event count is a number");
    assert_eq!(events, PYIO_EVENTS);
}

#[test]
fn every_model_counts_the_same_touches() {
    // seqread.csv: 256 reads of one 4 KiB page each, all inside the declared 1 MiB.
    // small-random.csv: 500 page-aligned 4 KiB reads inside the declared sizes.
    // No read goes past EOF, so every model sees exactly one touch per page read.
    for (trace, pages) in [
        ("traces/seqread.csv", 256),
        ("traces/small-random.csv", 500),
    ] {
        for model in ["dragonfly", "lru", "opt"] {
            let v = replay_json(&["replay", trace, "--model", model, "--format", "json"]);
            assert_eq!(text(&v, &["config", "model"]), model);
            assert_eq!(touches(&v), pages, "{trace} --model {model}");
        }
    }
}

#[test]
fn readahead_off_reads_every_block_once() {
    let on = replay_json(&["replay", "traces/seqread.csv", "--format", "json"]);
    let off = replay_json(&[
        "replay",
        "traces/seqread.csv",
        "--set",
        "vfs.max_readahead=0",
        "--format",
        "json",
    ]);
    assert_eq!(text(&on, &["config", "knobs", "vfs.max_readahead"]), "2M");
    assert_eq!(text(&off, &["config", "knobs", "vfs.max_readahead"]), "0");

    // Without read-ahead each 16 KiB block (f_iosize) is read on demand when the first
    // of its four 4 KiB reads arrives: 1 MiB / 16 KiB = 64 device reads of 16 KiB, all
    // of demand origin.
    assert_eq!(num(&off, &["device", "reads"]), 64);
    assert_eq!(num(&off, &["device", "read_bytes"]), 1 << 20);
    assert_eq!(num(&off, &["device", "by_origin", "demand", "reads"]), 64);
    assert_eq!(num(&off, &["device", "by_origin", "readahead", "reads"]), 0);
    assert_eq!(num(&off, &["counters", "readahead_blocks"]), 0);

    // With the default 2M window the same megabyte is read in fewer, larger clusters
    // (each byte still exactly once).
    assert!(
        num(&on, &["device", "reads"]) < 64,
        "read-ahead did not merge reads: {}",
        num(&on, &["device", "reads"])
    );
    assert_eq!(num(&on, &["device", "read_bytes"]), 1 << 20);
    assert!(num(&on, &["device", "by_origin", "readahead", "reads"]) > 0);
}

// ---------------------------------------------------------------------------------
// Other formats and --output

#[test]
fn csv_format_is_one_header_and_one_row() {
    let o = vpsim(&["replay", "traces/seqread.csv", "--format", "csv"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "expected 2 lines:\n{out}");
    let header = csv_fields(lines[0]);
    let row = csv_fields(lines[1]);
    assert_eq!(header.len(), row.len(), "header and row differ in fields");
    for k in ["counters.v_vnodein", "latency_ns.read.p99", "config.device"] {
        assert!(header.iter().any(|h| h == k), "header lacks {k}");
    }
    let mut unique = header.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), header.len(), "duplicate header keys");
    let get = |k: &str| {
        let i = header.iter().position(|h| h == k).expect("key in header");
        row[i].as_str()
    };
    assert_eq!(get("counters.events"), SEQREAD_EVENTS.to_string());
    // The device spec contains commas: it must survive quoting.
    assert_eq!(
        get("config.device"),
        "ssd:lat=80us,rbw=500M,wbw=450M,sched=disksort"
    );
}

#[test]
fn table_is_the_default_format() {
    let o = vpsim(&["replay", "traces/seqread.csv"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    let headings: Vec<&str> = out.lines().map(str::trim_end).collect();
    for h in ["pages", "pager", "faults", "buffer cache", "device"] {
        assert!(headings.contains(&h), "no heading {h:?} in:\n{out}");
    }
    assert!(
        out.lines().any(|l| l.starts_with("latency")),
        "no latency heading in:\n{out}"
    );
    assert!(out.contains("v_vnodein"), "no v_vnodein in:\n{out}");
    let explicit = vpsim(&["replay", "traces/seqread.csv", "--format", "table"]);
    assert_code(&explicit, 0);
    assert_eq!(
        explicit.stdout, o.stdout,
        "--format table differs from default"
    );
}

#[test]
fn output_file_is_written_atomically() {
    let dir = test_dir("output_file");
    let file = dir.join("out.json");
    let o = vpsim(&[
        "replay",
        "traces/seqread.csv",
        "--format",
        "json",
        "--output",
        path_str(&file),
    ]);
    assert_code(&o, 0);
    assert!(o.stdout.is_empty(), "stdout not empty: {}", stdout(&o));
    let written = std::fs::read(&file).expect("output file written");
    let v: Value = serde_json::from_slice(&written).expect("output file is JSON");
    assert_eq!(num(&v, &["counters", "events"]), SEQREAD_EVENTS);
    // Same bytes as on stdout.
    let direct = vpsim(&["replay", "traces/seqread.csv", "--format", "json"]);
    assert_code(&direct, 0);
    assert_eq!(written, direct.stdout);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("read the test directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["out.json".to_string()], "leftover files");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unwritable_output_is_exit_3() {
    let dir = test_dir("unwritable_output");
    let file = dir.join("no-such-dir").join("out.json");
    let o = vpsim(&["replay", "traces/seqread.csv", "--output", path_str(&file)]);
    assert_code(&o, 3);
    assert!(o.stdout.is_empty());
    assert!(stderr(&o).contains("out.json"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------
// Configuration flags

#[test]
fn mem_sizes() {
    let v = replay_json(&[
        "replay",
        "traces/seqread.csv",
        "--mem",
        "256M",
        "--format",
        "json",
    ]);
    assert_eq!(num(&v, &["config", "mem"]), 268_435_456);
    let v = replay_json(&[
        "replay",
        "traces/seqread.csv",
        "--mem",
        "64MiB",
        "--format",
        "json",
    ]);
    assert_eq!(num(&v, &["config", "mem"]), 64 << 20);

    let o = vpsim(&["replay", "traces/seqread.csv", "--mem", "12Q"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("--mem"), "{}", stderr(&o));
    assert!(stderr(&o).contains("12Q"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());

    let o = vpsim(&["replay", "traces/seqread.csv", "--mem", "1M"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("--mem"), "{}", stderr(&o));
    assert!(stderr(&o).contains("too small"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());

    let o = vpsim(&["replay", "traces/seqread.csv", "--unavailable", "12Q"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("--unavailable"), "{}", stderr(&o));
}

#[test]
fn bad_knobs_are_usage_errors() {
    let o = vpsim(&["replay", "traces/seqread.csv", "--set", "vfs.bogus=1"]);
    assert_code(&o, 2);
    let e = stderr(&o);
    assert!(e.contains("vfs.bogus"), "{e}");
    assert!(e.contains("vm.prefault_pages"), "{e}");
    for k in KNOBS {
        assert!(e.contains(k.name), "knob list lacks {}: {e}", k.name);
    }
    assert!(o.stdout.is_empty());

    let o = vpsim(&["replay", "traces/seqread.csv", "--set", "f_iosize=3000"]);
    assert_code(&o, 2);
    let e = stderr(&o);
    assert!(e.contains("f_iosize") && e.contains("3000"), "{e}");

    let o = vpsim(&["replay", "traces/seqread.csv", "--set", "noequals"]);
    assert_code(&o, 2);
}

#[test]
fn device_specs() {
    let v = replay_json(&[
        "replay",
        "traces/seqread.csv",
        "--device",
        "ssd:lat=80us,bw=2GB/s",
        "--format",
        "json",
    ]);
    // GB is binary here (powers of 1024): bw=2GB/s sets both directions to 2 GiB/s.
    assert_eq!(
        text(&v, &["config", "device"]),
        "ssd:lat=80us,rbw=2G,wbw=2G,sched=disksort"
    );
    assert_eq!(
        text(&v, &["config", "device_params", "read_bw_bytes_per_s"]),
        (2u64 << 30).to_string()
    );
    assert_eq!(text(&v, &["config", "device_params", "lat_ns"]), "80000");

    let o = vpsim(&["replay", "traces/seqread.csv", "--device", "floppy"]);
    assert_code(&o, 2);
    let e = stderr(&o);
    assert!(e.contains("--device") && e.contains("floppy"), "{e}");
    for p in ["nvme", "ssd", "hdd"] {
        assert!(e.contains(p), "preset list lacks {p}: {e}");
    }
}

#[test]
fn models() {
    for model in ["lru", "opt"] {
        let v = replay_json(&[
            "replay",
            "traces/small-random.csv",
            "--model",
            model,
            "--format",
            "json",
        ]);
        assert_eq!(text(&v, &["config", "model"]), model);
        // The reference models have no kernel knobs to report.
        assert!(v["config"].get("knobs").is_none(), "{model} reports knobs");
        assert_eq!(num(&v, &["counters", "events"]), 504);
    }

    let o = vpsim(&["replay", "traces/seqread.csv", "--model", "bogus"]);
    assert_code(&o, 2);
    let e = stderr(&o);
    assert!(e.contains("bogus"), "{e}");
    for m in ["dragonfly", "lru", "opt"] {
        assert!(e.contains(m), "model list lacks {m}: {e}");
    }

    let o = vpsim(&[
        "replay",
        "traces/seqread.csv",
        "--model",
        "lru",
        "--set",
        "vfs.max_readahead=0",
    ]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("--set"), "{}", stderr(&o));

    // The reference models' capacity is --mem / 4096 pages: --unavailable would be
    // silently ignored, so it is rejected.
    let o = vpsim(&[
        "replay",
        "traces/seqread.csv",
        "--model",
        "opt",
        "--unavailable",
        "1M",
    ]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("--unavailable"), "{}", stderr(&o));
}

#[test]
fn check_invariants_flag_runs() {
    let v = replay_json(&[
        "replay",
        "traces/mixed.csv",
        "--check-invariants",
        "--format",
        "json",
    ]);
    assert_eq!(num(&v, &["counters", "events"]), 22);
}

// ---------------------------------------------------------------------------------
// Bad input

#[test]
fn malformed_trace_names_file_line_column_and_text() {
    let dir = test_dir("malformed_trace");
    let trace = dir.join("bad-op.csv");
    std::fs::write(
        &trace,
        "time_ns,pid,op,file,offset,length\n\
         0,1,open,a.dat,,8192\n\
         1000,1,frobnicate,a.dat,0,4096\n\
         2000,1,close,a.dat,,\n",
    )
    .expect("write the trace");
    let out_file = dir.join("out.json");
    let o = vpsim(&[
        "replay",
        path_str(&trace),
        "--format",
        "json",
        "--output",
        path_str(&out_file),
    ]);
    assert_code(&o, 1);
    let e = stderr(&o);
    for part in [path_str(&trace), "line 3", "column op", "frobnicate"] {
        assert!(e.contains(part), "error lacks {part:?}: {e}");
    }
    assert!(o.stdout.is_empty());
    // No result, not even a partial one.
    assert!(!out_file.exists(), "output written for a failed run");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_trace_is_exit_1() {
    let dir = test_dir("missing_trace");
    let trace = dir.join("does-not-exist.csv");
    let o = vpsim(&["replay", path_str(&trace)]);
    assert_code(&o, 1);
    assert!(stderr(&o).contains(path_str(&trace)), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------
// Standard input

fn seqread_bytes() -> Vec<u8> {
    std::fs::read(root().join("traces/seqread.csv")).expect("read traces/seqread.csv")
}

#[test]
fn stdin_replay_reads_every_event_and_warns() {
    let file = replay_json(&["replay", "traces/seqread.csv", "--format", "json"]);
    let o = vpsim_stdin(&["replay", "-", "--format", "json"], seqread_bytes());
    assert_code(&o, 0);
    let piped: Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    assert_eq!(num(&piped, &["counters", "events"]), SEQREAD_EVENTS);
    assert_eq!(
        num(&piped, &["counters", "events"]),
        num(&file, &["counters", "events"])
    );
    assert_eq!(text(&piped, &["trace", "path"]), "-");
    // The pipe cannot be prescanned, and the warning says so.
    assert!(stderr(&o).contains("pipe"), "{}", stderr(&o));

    // The LRU model sees the same page touches and device reads either way.
    let file = replay_json(&[
        "replay",
        "traces/seqread.csv",
        "--model",
        "lru",
        "--format",
        "json",
    ]);
    let o = vpsim_stdin(
        &["replay", "-", "--model", "lru", "--format", "json"],
        seqread_bytes(),
    );
    assert_code(&o, 0);
    let piped: Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    assert_eq!(touches(&piped), touches(&file));
    assert_eq!(
        num(&piped, &["device", "reads"]),
        num(&file, &["device", "reads"])
    );
}

#[test]
fn stdin_replay_matches_file_replay() {
    // stdin gets no prescan, but seqread.csv declares its file's size (1 MiB) in its
    // `open`, and trace-format.md says a declared size is the file's size: the prescan
    // adds nothing here, so the dragonfly model must give exactly the same results.
    let file = replay_json(&["replay", "traces/seqread.csv", "--format", "json"]);
    let o = vpsim_stdin(&["replay", "-", "--format", "json"], seqread_bytes());
    assert_code(&o, 0);
    let piped: Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    assert_eq!(
        num(&piped, &["counters", "events"]),
        num(&file, &["counters", "events"])
    );
    for k in ["reads", "read_bytes"] {
        assert_eq!(
            num(&piped, &["device", k]),
            num(&file, &["device", k]),
            "device.{k}"
        );
    }
    assert_eq!(piped["counters"], file["counters"]);
}

// ---------------------------------------------------------------------------------
// check, knobs, help

#[test]
fn check_lists_every_bad_line() {
    let o = vpsim(&["check", "traces/bad.csv"]);
    assert_code(&o, 1);
    let out = stdout(&o);
    assert!(out.contains("6 bad lines"), "{out}");
    let errors: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("traces/bad.csv: line "))
        .collect();
    assert_eq!(errors.len(), 6, "{out}");
    // Lines 4, 5, 6, 8, 9, 10 of the file are the bad ones (see traces/README.md).
    for (e, line) in errors.iter().zip([4, 5, 6, 8, 9, 10]) {
        assert!(
            e.contains(&format!("line {line}")),
            "{e} is not line {line}"
        );
    }
    assert!(errors[0].contains("column op") && errors[0].contains("pread"));

    let o = vpsim(&["check", "traces/mixed.csv"]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("OK"), "{}", stdout(&o));
}

#[test]
fn knobs_lists_every_knob_with_its_default() {
    let o = vpsim(&["knobs"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    let defaults = Knobs::default().entries();
    assert_eq!(defaults.len(), KNOBS.len());
    for (name, default) in defaults {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("knob {name} not listed:\n{out}"));
        assert_eq!(
            line.split_whitespace().nth(1),
            Some(default.as_str()),
            "default of {name}: {line}"
        );
    }
}

#[test]
fn help() {
    let o = vpsim(&["--help"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    for c in ["replay", "check", "knobs"] {
        assert!(out.contains(c), "--help lacks {c}:\n{out}");
    }

    let o = vpsim(&["replay", "--help"]);
    assert_code(&o, 0);
    let out = stdout(&o);
    for f in [
        "--model",
        "--mem",
        "--unavailable",
        "--device",
        "--set",
        "--format",
        "--output",
        "--check-invariants",
    ] {
        assert!(out.contains(f), "replay --help lacks {f}:\n{out}");
    }
}

#[test]
fn identical_runs_give_identical_json() {
    let args = ["replay", "traces/pyio.events.csv.zst", "--format", "json"];
    let a = vpsim(&args);
    let b = vpsim(&args);
    assert_code(&a, 0);
    assert_code(&b, 0);
    assert!(!a.stdout.is_empty());
    assert!(a.stdout == b.stdout, "two runs of the same replay differ");
}

#[test]
fn timeline_and_final_sync() {
    let dir = test_dir("timeline_and_final_sync");
    let tl = dir.join("tl.csv");
    let v = replay_json(&[
        "replay",
        "traces/pyio.events.csv.zst",
        "--mem",
        "64M",
        "--final-sync",
        "--timeline",
        path_str(&tl),
        "--timeline-step",
        "100ms",
        "--format",
        "json",
    ]);
    assert_eq!(v["config"]["final_sync"], Value::Bool(true));
    assert_eq!(num(&v, &["counters", "dirty_bytes_at_end"]), 0);
    assert!(num(&v, &["device", "by_origin", "final_sync", "writes"]) > 0);
    let text = std::fs::read_to_string(&tl).expect("timeline written");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    for col in [
        "time_s",
        "free",
        "cache",
        "inactive",
        "active",
        "wired",
        "dirty_pages",
        "dirtybufspace",
        "runningbufspace",
        "queue_depth",
        "reads",
        "writes",
    ] {
        assert!(header.split(',').any(|h| h == col), "{col} in {header}");
    }
    let rows: Vec<Vec<f64>> = lines
        .map(|l| {
            l.split(',')
                .map(|x| x.parse::<f64>().expect("number"))
                .collect()
        })
        .collect();
    // pyio spans ≈1.15 s: about a dozen 100 ms rows, in time order.
    assert!(rows.len() >= 5, "{} rows", rows.len());
    assert!(rows.windows(2).all(|w| w[0][0] < w[1][0]));
    // The reads column adds up to the device's reads.
    let reads: f64 = rows.iter().map(|r| r[10]).sum();
    assert_eq!(reads as u64, num(&v, &["device", "reads"]));

    // Without --final-sync dirty data may remain and is reported.
    let v = replay_json(&["replay", "traces/mixed.csv", "--format", "json"]);
    assert_eq!(v["config"]["final_sync"], Value::Bool(false));
    assert!(v["counters"].get("dirty_bytes_at_end").is_some());

    // Both flags belong to the kernel model.
    let o = vpsim(&[
        "replay",
        "traces/seqread.csv",
        "--model",
        "lru",
        "--final-sync",
    ]);
    assert_code(&o, 2);
    let o = vpsim(&[
        "replay",
        "traces/seqread.csv",
        "--timeline-step",
        "0s",
        "--timeline",
        "x.csv",
    ]);
    assert_code(&o, 2);
}

/// `--output` names a results file by extension in any case, as the results writer
/// reads it: `R.PARQUET` is Parquet (magic `PAR1`), not the text report under that
/// name, and `vpsim plot`/`report` can read it back.
#[test]
fn output_extension_is_read_in_any_case() {
    let d = test_dir("output-case");
    let out = d.join("R.PARQUET");
    let o = vpsim(&[
        "replay",
        path_str(&root().join("traces/seqread.csv")),
        "--output",
        path_str(&out),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..4], b"PAR1", "R.PARQUET is not Parquet");
    let rows = vpsim::report::results::read_results(&out).unwrap();
    assert_eq!(rows.len(), 1);
}
