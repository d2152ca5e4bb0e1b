//! End-to-end tests of `vpsim compare` and of `vpsim replay`'s policy flags, run as a
//! user runs them: the real executable on the shipped traces, exit codes, stdout and
//! stderr, JSON parsed with serde_json.

mod common;
use common::*;
use serde_json::Value;

/// Device reads of traces/seqread.csv (1 MiB read 4 KiB at a time, 16 KiB blocks)
/// without read-ahead: each of its 64 blocks once.
const SEQREAD_BLOCKS: u64 = 64;
const MIB: u64 = 1 << 20;

/// Run, expect exit 0, parse stdout as JSON.
#[track_caller]
fn json(args: &[&str]) -> Value {
    let o = vpsim(args);
    assert_code(&o, 0);
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", stdout(&o)))
}

/// The `configs` array of a compare JSON document.
#[track_caller]
fn configs(v: &Value) -> &Vec<Value> {
    v["configs"]
        .as_array()
        .unwrap_or_else(|| panic!("no configs array in {v}"))
}

/// The policy name (before any ':') of one family in a config's JSON.
#[track_caller]
fn policy(cfg: &Value, family: &str) -> String {
    let spec = cfg["config"][family]
        .as_str()
        .unwrap_or_else(|| panic!("config.{family} is not a string: {}", cfg["config"]));
    spec.split(':').next().unwrap_or(spec).to_string()
}

#[track_caller]
fn device_reads(v: &Value) -> u64 {
    v["device"]["reads"]
        .as_u64()
        .unwrap_or_else(|| panic!("device.reads missing: {}", v["device"]))
}

// ---------------------------------------------------------------------------------
// compare

/// Two configurations in the order given; the first is the baseline and is exactly
/// what `vpsim replay` with the same flags reports (the whole JSON object, not just the
/// counters and the device: the trace is loaded once and replayed in memory, which must
/// change nothing).
#[test]
fn two_configs_in_order_and_baseline_equals_replay() {
    let trace = "traces/pyio.events.csv.zst";
    let c = json(&[
        "compare",
        trace,
        "--readahead",
        "none",
        "--readahead",
        "dragonfly",
        "--format",
        "json",
    ]);
    assert_eq!(c["baseline"], 0);
    assert_eq!(c["trace"]["path"], trace);
    assert_eq!(c["trace"]["events"], 6222);
    let cf = configs(&c);
    assert_eq!(cf.len(), 2);
    assert_eq!(cf[0]["config"]["readahead"], "none");
    assert_eq!(policy(&cf[1], "readahead"), "dragonfly");
    for k in ["cluster", "sync"] {
        assert_eq!(policy(&cf[0], k), "dragonfly");
    }
    let r = json(&["replay", trace, "--readahead", "none", "--format", "json"]);
    assert_eq!(cf[0]["counters"], r["counters"]);
    assert_eq!(cf[0]["device"], r["device"]);
    assert_eq!(cf[0], r, "the whole replay object");
    let d = json(&["replay", trace, "--format", "json"]);
    assert_eq!(cf[1], d, "config 1 is the default replay");
}

/// A plain comma list gives several configurations.
#[test]
fn comma_list_without_colon_gives_several() {
    let c = json(&[
        "compare",
        "traces/seqread.csv",
        "--readahead",
        "none,fixed,dragonfly",
        "--format",
        "json",
    ]);
    let names: Vec<String> = configs(&c).iter().map(|x| policy(x, "readahead")).collect();
    assert_eq!(names, ["none", "fixed", "dragonfly"]);
}

/// A comma list splits where a policy name starts a spec (issue 18): four read-ahead
/// specs, the second with its key, and two sync specs, the first with both keys; a
/// key=value before any name is a usage error showing the split.
#[test]
fn comma_lists_split_at_policy_names() {
    let c = json(&[
        "compare",
        "traces/seqread.csv",
        "--readahead",
        "none,fixed:pages=16,linux,dragonfly",
        "--sync",
        "linux:background=5,ratio=10,periodic",
        "--format",
        "json",
    ]);
    let cs = configs(&c);
    assert_eq!(cs.len(), 8);
    let ra: Vec<String> = cs
        .iter()
        .step_by(2)
        .map(|x| policy(x, "readahead"))
        .collect();
    assert_eq!(ra, ["none", "fixed", "linux", "dragonfly"]);
    let sy: Vec<String> = cs.iter().take(2).map(|x| policy(x, "sync")).collect();
    assert_eq!(sy, ["linux", "periodic"]);
    let text = c.to_string();
    assert!(text.contains("pages=16"), "{text}");
    assert!(
        text.contains("background=5") && text.contains("ratio=10"),
        "{text}"
    );

    let o = vpsim(&[
        "compare",
        "traces/seqread.csv",
        "--readahead",
        "pages=8,none",
    ]);
    assert_code(&o, 2);
    assert!(
        o.stdout.is_empty(),
        "no output on a usage error: {}",
        stdout(&o)
    );
    let e = stderr(&o);
    assert!(
        e.contains("\"pages=8\" in \"pages=8,none\" belongs to no spec"),
        "{e}"
    );
    for p in ["dragonfly", "none", "fixed", "linux", "freebsd"] {
        assert!(e.contains(p), "policy {p} not listed: {e}");
    }
}

/// 2 read-ahead × 2 sync = 4 configurations, read-ahead outermost.
#[test]
fn cartesian_product_order() {
    let c = json(&[
        "compare",
        "traces/small-random.csv",
        "--readahead",
        "none,dragonfly",
        "--sync",
        "dragonfly",
        "--sync",
        "linux",
        "--format",
        "json",
    ]);
    let got: Vec<(String, String, String)> = configs(&c)
        .iter()
        .map(|x| {
            (
                policy(x, "readahead"),
                policy(x, "cluster"),
                policy(x, "sync"),
            )
        })
        .collect();
    let want = [
        ("none", "dragonfly", "dragonfly"),
        ("none", "dragonfly", "linux"),
        ("dragonfly", "dragonfly", "dragonfly"),
        ("dragonfly", "dragonfly", "linux"),
    ];
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!((g.0.as_str(), g.1.as_str(), g.2.as_str()), w);
    }
}

/// Results are collected in configuration order whatever the number of threads.
#[test]
fn jobs_do_not_change_the_output() {
    let args = |jobs: &'static str, format: &'static str| {
        vec![
            "compare",
            "traces/pyio.events.csv.zst",
            "--readahead",
            "none,fixed,linux,dragonfly",
            "--sync",
            "dragonfly,periodic",
            "--mem",
            "64M",
            "--jobs",
            jobs,
            "--format",
            format,
        ]
    };
    for format in ["json", "table", "csv"] {
        let one = vpsim(&args("1", format));
        let two = vpsim(&args("2", format));
        assert_code(&one, 0);
        assert_code(&two, 0);
        assert!(!one.stdout.is_empty());
        assert!(
            one.stdout == two.stdout,
            "--format {format} differs with --jobs"
        );
    }
}

/// An unknown policy of any family is a usage error naming the valid ones, before the
/// trace is read (a missing trace would be exit code 1).
#[test]
fn unknown_policy_is_a_usage_error_listing_the_policies() {
    for (flag, valid) in [
        (
            "--readahead",
            &["dragonfly", "none", "fixed", "linux", "freebsd"][..],
        ),
        ("--cluster", &["dragonfly", "none", "contiguous"][..]),
        (
            "--sync",
            &["dragonfly", "linux", "periodic", "writethrough"][..],
        ),
    ] {
        let o = vpsim(&[
            "compare",
            "traces/no-such-trace.csv",
            flag,
            "dragonfly,bogus",
        ]);
        assert_code(&o, 2);
        let e = stderr(&o);
        assert!(e.contains("\"bogus\""), "{e}");
        for p in valid {
            assert!(e.contains(p), "{flag}: policy {p} not listed: {e}");
        }
    }
    // A bad key is caught the same way.
    let o = vpsim(&[
        "compare",
        "traces/seqread.csv",
        "--readahead",
        "fixed:pagez=8",
    ]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("pages"), "{}", stderr(&o));
}

/// The table shows every configuration and, from the second row on, each number's
/// change against the first in %.
#[test]
fn table_has_change_columns() {
    let o = vpsim(&[
        "compare",
        "traces/seqread.csv",
        "--readahead",
        "none",
        "--readahead",
        "fixed:pages=8",
    ]);
    assert_code(&o, 0);
    let t = stdout(&o);
    let rows1: Vec<&str> = t.lines().filter(|l| l.starts_with("#1 ")).collect();
    assert_eq!(rows1.len(), 4, "one #1 row per table:\n{t}");
    for l in &rows1 {
        assert!(l.contains('%'), "no change column: {l}");
    }
    for l in t.lines().filter(|l| l.starts_with("#0 ")) {
        assert!(!l.contains('%'), "the baseline has no change: {l}");
    }
    // 64 reads without read-ahead, 32 with 8 pages a miss: -50%.
    assert!(
        rows1.iter().any(|l| l.contains("(-50.0%)")),
        "device reads should halve:\n{t}"
    );
    for h in [
        "reads",
        "read bytes",
        "v_vnodein",
        "page hits",
        "RA accuracy",
        "fsync",
    ] {
        assert!(t.contains(h), "heading {h} missing:\n{t}");
    }
    assert!(
        t.lines()
            .all(|l| l.chars().count() <= 160 || l.starts_with("  ")),
        "a table line is wider than 160 columns:\n{t}"
    );
}

/// csv: one header and one row per configuration, all with the same number of fields;
/// the columns after `config_index` are exactly `replay --format csv`'s.
#[test]
fn csv_one_header_and_one_row_per_config() {
    let o = vpsim(&[
        "compare",
        "traces/small-random.csv",
        "--readahead",
        "none,fixed,dragonfly",
        "--cluster",
        "dragonfly,none",
        "--format",
        "csv",
    ]);
    assert_code(&o, 0);
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 6, "{text}");
    let header = csv_fields(lines[0]);
    assert_eq!(header[0], "config_index");
    for (i, l) in lines[1..].iter().enumerate() {
        let f = csv_fields(l);
        assert_eq!(f.len(), header.len(), "row {i}: {l}");
        assert_eq!(f[0], i.to_string());
    }
    let r = vpsim(&[
        "replay",
        "traces/small-random.csv",
        "--readahead",
        "none",
        "--format",
        "csv",
    ]);
    assert_code(&r, 0);
    let replay = stdout(&r);
    let rl: Vec<&str> = replay.lines().collect();
    assert_eq!(csv_fields(rl[0]), header[1..], "same columns as replay");
    assert_eq!(csv_fields(rl[1]), csv_fields(lines[1])[1..], "same values");
}

/// `--output` writes the file (atomically) and nothing on stdout.
#[test]
fn output_file() {
    let dir = std::env::temp_dir().join(format!("vpsim-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("cannot create the test directory");
    let path = dir.join("cmp.json");
    let p = path.to_string_lossy().into_owned();
    let o = vpsim(&[
        "compare",
        "traces/seqread.csv",
        "--readahead",
        "none,dragonfly",
        "--format",
        "json",
        "--output",
        &p,
    ]);
    assert_code(&o, 0);
    assert!(o.stdout.is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("no output file"))
        .expect("the output file is not JSON");
    assert_eq!(configs(&v).len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Configurations that all fail at run time with a configuration error (here memory
/// too small for any threshold) still print their rows, with the error, and exit 2.
#[test]
fn every_config_failing_exits_2_with_error_rows() {
    let o = vpsim(&[
        "compare",
        "traces/seqread.csv",
        "--readahead",
        "none,dragonfly",
        "--mem",
        "1M",
        "--format",
        "json",
    ]);
    assert_code(&o, 2);
    let v: Value = serde_json::from_slice(&o.stdout).expect("stdout is not JSON");
    let cf = configs(&v);
    assert_eq!(cf.len(), 2);
    for c in cf {
        let err = c["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error in {c}"));
        assert!(err.contains("too small"), "{err}");
        assert!(c["config"].is_object());
    }
    assert!(stderr(&o).contains("configuration #1"), "{}", stderr(&o));
}

#[test]
fn bad_jobs_and_missing_trace() {
    let o = vpsim(&["compare", "traces/seqread.csv", "--jobs", "0"]);
    assert_code(&o, 2);
    let o = vpsim(&["compare", "traces/no-such-trace.csv"]);
    assert_code(&o, 1);
}

// ---------------------------------------------------------------------------------
// replay --readahead / --cluster / --sync

/// Without read-ahead every block of the 1 MiB file is read once: 64 reads of 16 KiB.
#[test]
fn replay_readahead_none_reads_every_block_once() {
    let v = json(&[
        "replay",
        "traces/seqread.csv",
        "--readahead",
        "none",
        "--format",
        "json",
    ]);
    assert_eq!(v["config"]["readahead"], "none");
    assert_eq!(device_reads(&v), SEQREAD_BLOCKS);
    assert_eq!(v["device"]["read_bytes"], MIB);
    assert_eq!(v["counters"]["readahead_pages"], 0);
}

/// `fixed:pages=8`: each miss reads 8 pages = 2 blocks in one cluster, so
/// 1 MiB / (8 × 4 KiB) = 32 reads.
#[test]
fn replay_readahead_fixed_reads_eight_pages_per_miss() {
    let v = json(&[
        "replay",
        "traces/seqread.csv",
        "--readahead",
        "fixed:pages=8",
        "--format",
        "json",
    ]);
    assert_eq!(v["config"]["readahead"], "fixed:pages=8");
    assert_eq!(device_reads(&v), MIB / (8 * 4096));
    assert_eq!(v["device"]["read_bytes"], MIB);
}

/// The effective spec shows every key; the policies reach the config section.
#[test]
fn replay_policy_flags_show_in_config() {
    let v = json(&[
        "replay",
        "traces/seqread.csv",
        "--cluster",
        "contiguous:max=16",
        "--sync",
        "periodic:interval=5s",
        "--format",
        "json",
    ]);
    assert_eq!(v["config"]["cluster"], "contiguous:max=16");
    assert_eq!(v["config"]["sync"], "periodic:interval=5s");
    // `policy` reads `config.readahead` of a compare element or a replay object alike.
    assert_eq!(policy(&v, "readahead"), "dragonfly");
}

#[test]
fn replay_policy_errors_are_usage_errors() {
    // A bad spec is caught before the trace is opened: exit 2, not 1.
    let o = vpsim(&["replay", "traces/no-such-trace.csv", "--sync", "bogus"]);
    assert_code(&o, 2);
    for p in ["dragonfly", "linux", "periodic", "writethrough"] {
        assert!(stderr(&o).contains(p), "{}", stderr(&o));
    }
    // Policies belong to the dragonfly model.
    for model in ["lru", "opt"] {
        let o = vpsim(&[
            "replay",
            "traces/seqread.csv",
            "--model",
            model,
            "--readahead",
            "none",
        ]);
        assert_code(&o, 2);
        assert!(
            stderr(&o).contains("dragonfly model only"),
            "{}",
            stderr(&o)
        );
    }
    // A list is for compare.
    let o = vpsim(&["replay", "traces/seqread.csv", "--readahead", "none,linux"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("vpsim compare"), "{}", stderr(&o));
}

#[test]
fn help_lists_the_policies_with_an_example() {
    for cmd in ["replay", "compare"] {
        let o = vpsim(&[cmd, "--help"]);
        assert_code(&o, 0);
        let h = stdout(&o);
        for p in [
            "freebsd",
            "contiguous",
            "writethrough",
            "periodic",
            "--readahead fixed:pages=16",
            "--cluster contiguous:max=16",
            "--sync linux:background=5,ratio=10",
        ] {
            assert!(h.contains(p), "vpsim {cmd} --help lacks {p}:\n{h}");
        }
    }
}
