//! Golden outputs: what the command line writes for the shipped traces, byte for byte
//! — replay (JSON, CSV, text, timeline), compare, sweep (JSON, CSV, the table), the
//! plots' SVGs, the HTML report and `info` — against the files in `tests/golden/`.
//! Restructuring must not move a byte; a change meant to alter an output regenerates
//! them with `VPSIM_BLESS=1 cargo test --test golden` and says why in its commit.

mod common;

use common::{root, stderr, vpsim};
use std::path::{Path, PathBuf};

/// One command: its name (the golden files' prefix), its arguments (`{dir}` is a
/// fresh temporary directory) and the files it writes there (besides stdout).
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    files: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "replay-seqread",
        args: &["replay", "traces/seqread.csv", "--format", "json"],
        files: &[],
    },
    Case {
        name: "replay-small-random",
        args: &["replay", "traces/small-random.csv", "--format", "json"],
        files: &[],
    },
    Case {
        name: "replay-mmap-scan",
        args: &["replay", "traces/mmap-scan.csv", "--format", "json"],
        files: &[],
    },
    Case {
        name: "replay-mixed",
        args: &[
            "replay",
            "traces/mixed.csv",
            "--format",
            "json",
            "--timeline",
            "{dir}/timeline.csv",
            "--final-sync",
        ],
        files: &["timeline.csv"],
    },
    Case {
        name: "replay-mixed-text",
        args: &["replay", "traces/mixed.csv"],
        files: &[],
    },
    Case {
        name: "replay-mixed-csv",
        args: &["replay", "traces/mixed.csv", "--format", "csv"],
        files: &[],
    },
    Case {
        name: "replay-mixed-linux",
        args: &[
            "replay",
            "traces/mixed.csv",
            "--profile",
            "linux",
            "--format",
            "json",
        ],
        files: &[],
    },
    Case {
        name: "replay-small-random-lru",
        args: &[
            "replay",
            "traces/small-random.csv",
            "--model",
            "lru",
            "--format",
            "json",
        ],
        files: &[],
    },
    Case {
        name: "compare-json",
        args: &[
            "compare",
            "traces/small-random.csv",
            "--readahead",
            "none,dragonfly",
            "--sync",
            "dragonfly,linux",
            "--profile",
            "dragonfly",
            "--profile",
            "linux",
            "--jobs",
            "2",
            "--format",
            "json",
        ],
        files: &[],
    },
    Case {
        name: "compare-text",
        args: &[
            "compare",
            "traces/mixed.csv",
            "--readahead",
            "none,dragonfly",
            "--cluster",
            "dragonfly,none",
        ],
        files: &[],
    },
    // Labels long enough that the default table splits into stacked parts to fit
    // 100 columns; --wide keeps each table in one part.
    Case {
        name: "compare-split",
        args: &[
            "compare",
            "traces/mixed.csv",
            "--readahead",
            "none,linux,dragonfly",
            "--sync",
            "dragonfly",
            "--sync",
            "periodic:interval=1s",
        ],
        files: &[],
    },
    Case {
        name: "compare-split-wide",
        args: &[
            "compare",
            "traces/mixed.csv",
            "--readahead",
            "none,linux,dragonfly",
            "--sync",
            "dragonfly",
            "--sync",
            "periodic:interval=1s",
            "--wide",
        ],
        files: &[],
    },
    Case {
        name: "compare-csv",
        args: &[
            "compare",
            "traces/mixed.csv",
            "--readahead",
            "none,dragonfly",
            "--format",
            "csv",
        ],
        files: &[],
    },
    Case {
        name: "sweep",
        args: &[
            "sweep",
            "traces/small-random.csv",
            "--mem",
            "64M,256M",
            "--readahead",
            "none,dragonfly",
            "--model",
            "dragonfly,lru",
            "--jobs",
            "2",
            "--output",
            "{dir}/results.json",
        ],
        files: &["results.json"],
    },
    Case {
        name: "sweep-csv",
        args: &[
            "sweep",
            "traces/mixed.csv",
            "--mem",
            "16M,64M",
            "--sync",
            "dragonfly,linux",
            "--output",
            "{dir}/results.csv",
        ],
        files: &["results.csv"],
    },
    Case {
        name: "sweep-wide",
        args: &[
            "sweep",
            "traces/mixed.csv",
            "--mem",
            "16M,64M",
            "--sync",
            "dragonfly,linux",
            "--wide",
        ],
        files: &[],
    },
    Case {
        name: "info-mixed",
        args: &["info", "traces/mixed.csv"],
        files: &[],
    },
];

fn golden_dir() -> PathBuf {
    root().join("tests/golden")
}

fn bless() -> bool {
    std::env::var_os("VPSIM_BLESS").is_some_and(|v| v == "1")
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vpsim-golden-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Outputs may name the temporary directory: stand `{dir}` in for it.
fn normalise(bytes: Vec<u8>, dir: &Path) -> Vec<u8> {
    let d = dir.to_string_lossy().into_owned();
    match String::from_utf8(bytes) {
        Ok(s) => s.replace(&d, "{dir}").into_bytes(),
        Err(e) => e.into_bytes(),
    }
}

/// Compare (or, blessing, write) one output; returns a description of a mismatch.
fn check(file: &str, got: Vec<u8>) -> Option<String> {
    let path = golden_dir().join(file);
    if bless() {
        std::fs::write(&path, &got).expect("write golden file");
        return None;
    }
    let want = match std::fs::read(&path) {
        Ok(w) => w,
        Err(e) => return Some(format!("{file}: {e} (VPSIM_BLESS=1 writes it)")),
    };
    if want == got {
        return None;
    }
    let (w, g) = (
        String::from_utf8_lossy(&want),
        String::from_utf8_lossy(&got),
    );
    let line = w
        .lines()
        .zip(g.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| w.lines().count().min(g.lines().count()));
    Some(format!(
        "{file}: differs from line {} on\n  want: {:?}\n  got:  {:?}",
        line + 1,
        w.lines().nth(line).unwrap_or("<end>"),
        g.lines().nth(line).unwrap_or("<end>")
    ))
}

fn run_case(c: &Case, dir: &Path) -> Vec<String> {
    let d = dir.to_string_lossy().into_owned();
    let args: Vec<String> = c.args.iter().map(|a| a.replace("{dir}", &d)).collect();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = vpsim(&refs);
    assert!(
        o.status.success(),
        "{}: exit {:?}\n{}",
        c.name,
        o.status.code(),
        stderr(&o)
    );
    let mut bad = Vec::new();
    let ext = match c.args.iter().position(|a| *a == "--format") {
        Some(i) => c.args[i + 1],
        None => "txt",
    };
    bad.extend(check(
        &format!("{}.out.{ext}", c.name),
        normalise(o.stdout, dir),
    ));
    for f in c.files {
        let got = std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{}: {f}: {e}", c.name));
        bad.extend(check(&format!("{}.{f}", c.name), normalise(got, dir)));
    }
    bad
}

#[test]
fn outputs_are_byte_identical_to_the_golden_files() {
    let mut bad = Vec::new();
    for c in CASES {
        let dir = temp(c.name);
        bad.extend(run_case(c, &dir));
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The plots and the HTML report of a sweep's results: every SVG `vpsim plot` writes
/// and the report, byte for byte (PNGs are rasterised from the same charts).
#[test]
fn plots_and_report_are_byte_identical_to_the_golden_files() {
    let dir = temp("plots");
    let d = dir.to_string_lossy().into_owned();
    let results = format!("{d}/results.json");
    let o = vpsim(&[
        "sweep",
        "traces/small-random.csv",
        "--mem",
        "64M,256M",
        "--readahead",
        "none,dragonfly",
        "--output",
        &results,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let plots = format!("{d}/plots");
    let o = vpsim(&["plot", &results, "--out", &plots]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = format!("{d}/report.html");
    let o = vpsim(&["report", &results, "--out", &report]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut svgs: Vec<PathBuf> = std::fs::read_dir(&plots)
        .expect("plots written")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
        .collect();
    svgs.sort();
    assert!(!svgs.is_empty(), "no SVG written");
    let mut bad = Vec::new();
    let mut names = Vec::new();
    for p in &svgs {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        let got = std::fs::read(p).expect("read svg");
        bad.extend(check(&format!("plot.{name}"), normalise(got, &dir)));
        names.push(name);
    }
    bad.extend(check(
        "plot.list.txt",
        format!("{}\n", names.join("\n")).into_bytes(),
    ));
    let got = std::fs::read(&report).expect("report written");
    bad.extend(check("report.html", normalise(got, &dir)));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
