//! `vpsim sweep`, `merge`, `plot` and `report` end to end.

mod common;
use common::vpsim;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn dir(test: &str) -> PathBuf {
    common::scratch("sweep", test)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn rows(p: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(p).expect("results written");
    match serde_json::from_str::<Value>(&text).expect("JSON") {
        Value::Array(a) => a,
        other => panic!("expected an array, got {other}"),
    }
}

const GRID: &[&str] = &[
    "--mem",
    "64M,256M",
    "--readahead",
    "none,dragonfly",
    "--set-grid",
    "vfs.write_behind=0,1",
];

fn sweep(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["sweep", "traces/small-random.csv"];
    args.extend_from_slice(GRID);
    args.extend_from_slice(&["--output", s(out)]);
    args.extend_from_slice(extra);
    vpsim(&args)
}

/// Every configuration of a sweep equals `vpsim replay` of that configuration alone.
#[test]
fn sweep_rows_equal_replay() {
    let d = dir("equal");
    let out = d.join("r.json");
    let o = sweep(&out, &["--jobs", "2"]);
    ok(&o);
    let rows = rows(&out);
    assert_eq!(rows.len(), 8, "2 mem x 2 readahead x 2 write_behind");
    for r in &rows {
        let mem = r["config.mem"].as_i64().expect("mem").to_string();
        let ra = r["config.readahead"]
            .as_str()
            .expect("readahead")
            .to_string();
        let wb = r["config.knobs.vfs.write_behind"].as_str().map_or_else(
            || r["config.knobs.vfs.write_behind"].to_string(),
            str::to_string,
        );
        let o = vpsim(&[
            "replay",
            "traces/small-random.csv",
            "--mem",
            &mem,
            "--readahead",
            &ra,
            "--set",
            &format!("vfs.write_behind={wb}"),
            "--format",
            "json",
        ]);
        ok(&o);
        let rep: Value = serde_json::from_slice(&o.stdout).expect("replay JSON");
        for section in ["counters", "device"] {
            for (k, v) in rep[section].as_object().expect("object") {
                if v.is_object() {
                    continue;
                }
                assert_eq!(
                    &r[&format!("{section}.{k}")],
                    v,
                    "{section}.{k} of {}",
                    r["config_key"]
                );
            }
        }
        assert_eq!(r["latency_ns.read.p99"], rep["latency_ns"]["read"]["p99"]);
    }
    // The table marks the best value of each metric.
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains('*') && table.contains("readahead="),
        "{table}"
    );
}

/// `--jobs 1` and `--jobs 2` write identical results; shards 1/2 + 2/2 merged equal the
/// whole sweep; an interrupted sweep resumed gives the full result without duplicates.
#[test]
fn jobs_shards_and_resume_agree() {
    let d = dir("agree");
    let full1 = d.join("full1.json");
    let full2 = d.join("full2.json");
    ok(&sweep(&full1, &["--jobs", "1"]));
    ok(&sweep(&full2, &["--jobs", "2"]));
    let a = std::fs::read(&full1).expect("read");
    assert_eq!(
        a,
        std::fs::read(&full2).expect("read"),
        "--jobs does not change results"
    );

    let p1 = d.join("p1.parquet");
    let p2 = d.join("p2.csv");
    ok(&sweep(&p1, &["--shard", "1/2"]));
    ok(&sweep(&p2, &["--shard", "2/2"]));
    let merged = d.join("merged.json");
    ok(&vpsim(&["merge", s(&merged), s(&p1), s(&p2)]));
    let m = rows(&merged);
    let f = rows(&full1);
    assert_eq!(m.len(), f.len());
    for (x, y) in m.iter().zip(&f) {
        for k in [
            "config_id",
            "config_key",
            "device.reads",
            "device.writes",
            "counters.page_misses",
        ] {
            assert_eq!(x[k], y[k], "{k}");
        }
    }

    let part = d.join("resume.json");
    ok(&sweep(&part, &["--limit", "3"]));
    assert_eq!(rows(&part).len(), 3, "interrupted after 3");
    ok(&sweep(&part, &["--resume"]));
    let r = rows(&part);
    assert_eq!(r.len(), 8, "resumed to the full grid");
    let mut ids: Vec<i64> = r
        .iter()
        .map(|x| x["config_id"].as_i64().expect("id"))
        .collect();
    ids.dedup();
    assert_eq!(ids, (0..8).collect::<Vec<_>>(), "no duplicates, in order");
    for (x, y) in r.iter().zip(&f) {
        assert_eq!(x["device.reads"], y["device.reads"]);
    }

    // Merging parts of different grids is refused.
    let other = d.join("other.json");
    let o = vpsim(&[
        "sweep",
        "traces/small-random.csv",
        "--mem",
        "128M",
        "--output",
        s(&other),
    ]);
    ok(&o);
    let o = vpsim(&["merge", s(&d.join("bad.json")), s(&p1), s(&other)]);
    assert_eq!(o.status.code(), Some(1));
}

/// An impossible configuration is a row with an error; the others still run.
#[test]
fn invalid_configuration_is_reported_in_its_row() {
    let d = dir("invalid");
    let out = d.join("r.json");
    let o = vpsim(&[
        "sweep",
        "traces/small-random.csv",
        "--mem",
        "1M,64M",
        "--model",
        "dragonfly,lru",
        "--output",
        s(&out),
    ]);
    ok(&o);
    let r = rows(&out);
    // dragonfly at 1M and 64M, lru at 1M and 64M.
    assert_eq!(r.len(), 4);
    let errors: Vec<&Value> = r.iter().filter(|x| x.get("error").is_some()).collect();
    assert_eq!(errors.len(), 1, "only the kernel model at 1 MiB fails");
    assert!(
        errors[0]["error"]
            .as_str()
            .unwrap_or("")
            .contains("too small")
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("too small"));
}

/// The grid can come from a TOML file; a typo in a spec is a usage error.
#[test]
fn grid_file_and_usage_errors() {
    let d = dir("toml");
    let g = d.join("g.toml");
    std::fs::write(
        &g,
        "mem = [\"64M\", \"128M\"]\nreadahead = [\"none\", \"fixed:pages=4\"]\nfinal_sync = true\n",
    )
    .expect("write grid");
    let out = d.join("r.csv");
    ok(&vpsim(&[
        "sweep",
        "traces/small-random.csv",
        "--grid",
        s(&g),
        "--output",
        s(&out),
    ]));
    let text = std::fs::read_to_string(&out).expect("csv");
    assert_eq!(text.lines().count(), 5, "header + 4 configurations");
    // A list element may be a comma list, split as the flags split it: same grid.
    std::fs::write(
        &g,
        "mem = [\"64M\", \"128M\"]\nreadahead = [\"none,fixed:pages=4\"]\nfinal_sync = true\n",
    )
    .expect("write grid");
    let out2 = d.join("r2.csv");
    ok(&vpsim(&[
        "sweep",
        "traces/small-random.csv",
        "--grid",
        s(&g),
        "--output",
        s(&out2),
    ]));
    assert_eq!(std::fs::read_to_string(&out2).expect("csv"), text);
    // A key before any spec: the error names the file's line, not a flag.
    std::fs::write(&g, "readahead = [\"pages=3\"]\n").expect("write grid");
    let o = vpsim(&["sweep", "traces/small-random.csv", "--grid", s(&g)]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("readahead (line 1, column 13)"), "{e}");
    assert!(
        e.contains("\"pages=3\" in \"pages=3\" belongs to no spec"),
        "{e}"
    );
    assert!(!e.contains("--readahead"), "{e}");
    let o = vpsim(&["sweep", "traces/small-random.csv", "--readahead", "linnux"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("linux"));
    let o = vpsim(&["sweep", "traces/small-random.csv", "--shard", "3/2"]);
    assert_eq!(o.status.code(), Some(2));
}

/// `plot` and `report` on sweep results: valid PNG and SVG files, an HTML file with
/// the expected sections and no external assets.
#[test]
fn plots_and_report_from_sweep_results() {
    let d = dir("plots");
    let out = d.join("r.parquet");
    let plots = d.join("plots");
    ok(&sweep(&out, &["--plots", s(&plots)]));
    let files: Vec<PathBuf> = std::fs::read_dir(&plots)
        .expect("plots dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    let pngs: Vec<&PathBuf> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    let svgs: Vec<&PathBuf> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    assert!(!pngs.is_empty() && !svgs.is_empty(), "{files:?}");
    for p in &pngs {
        let b = std::fs::read(p).expect("png");
        assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{}", p.display());
        let w = u32::from_be_bytes([b[16], b[17], b[18], b[19]]);
        let h = u32::from_be_bytes([b[20], b[21], b[22], b[23]]);
        assert!(w >= 400 && h >= 300, "{}: {w}x{h}", p.display());
    }
    for p in &svgs {
        let t = std::fs::read_to_string(p).expect("svg");
        assert!(
            t.contains("<svg") && t.trim_end().ends_with("</svg>"),
            "{}",
            p.display()
        );
    }
    let html = d.join("report.html");
    ok(&vpsim(&["report", s(&out), "--out", s(&html)]));
    let t = std::fs::read_to_string(&html).expect("html");
    for id in ["summary", "grid", "results", "plots"] {
        assert!(t.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    assert!(t.contains("<svg"));
    assert!(!t.contains("src=\"http") && !t.contains("href=\"http"));
    // A timeline CSV plots too.
    let tl = d.join("tl.csv");
    ok(&vpsim(&[
        "replay",
        "traces/pyio.events.csv.zst",
        "--timeline",
        s(&tl),
        "--timeline-step",
        "100ms",
    ]));
    let tplots = d.join("tplots");
    ok(&vpsim(&["plot", s(&tl), "--out", s(&tplots)]));
    assert!(std::fs::read_dir(&tplots).expect("dir").count() >= 2);
}

/// `--profile` in a sweep: the DragonFly personality gives every policy combination,
/// each Linux profile one configuration per memory size (the DragonFly policy
/// dimension does not apply, so ids skip what it would have spanned); every Linux
/// row equals `vpsim replay --profile` of it; the profile is a dimension and labels
/// every row; a bad profile, or a Linux profile without the kernel model, is a usage
/// error.
#[test]
fn sweep_profiles_sit_beside_dragonfly_configurations() {
    let d = dir("profile");
    let out = d.join("r.json");
    let o = vpsim(&[
        "sweep",
        "traces/small-random.csv",
        "--mem",
        "64M,256M",
        "--readahead",
        "none,dragonfly",
        "--profile",
        "dragonfly",
        "--profile",
        "linux",
        "--profile",
        "linux:read_ahead_kb=512",
        "--output",
        s(&out),
    ]);
    ok(&o);
    let rows = rows(&out);
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| r["config_id"].as_i64().unwrap())
        .collect();
    let profiles: Vec<&str> = rows
        .iter()
        .map(|r| r["config.profile"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [0, 1, 2, 3, 4, 6, 8, 10]);
    assert_eq!(
        profiles[3..],
        [
            "dragonfly",
            "linux:read_ahead_kb=128,max_sectors_kb=1280,fault_around_kb=64,dirty_background_ratio=10,dirty_ratio=20,dirty_expire=30s,dirty_writeback=5s,large_folios=1",
            "linux:read_ahead_kb=128,max_sectors_kb=1280,fault_around_kb=64,dirty_background_ratio=10,dirty_ratio=20,dirty_expire=30s,dirty_writeback=5s,large_folios=1",
            "linux:read_ahead_kb=512,max_sectors_kb=1280,fault_around_kb=64,dirty_background_ratio=10,dirty_ratio=20,dirty_expire=30s,dirty_writeback=5s,large_folios=1",
            "linux:read_ahead_kb=512,max_sectors_kb=1280,fault_around_kb=64,dirty_background_ratio=10,dirty_ratio=20,dirty_expire=30s,dirty_writeback=5s,large_folios=1",
        ]
    );
    assert!(rows[0]["dims"].as_str().unwrap().contains("config.profile"));
    for r in &rows[4..] {
        let mem = r["config.mem"].as_i64().unwrap().to_string();
        let o = vpsim(&[
            "replay",
            "traces/small-random.csv",
            "--mem",
            &mem,
            "--profile",
            r["config.profile"].as_str().unwrap(),
            "--format",
            "json",
        ]);
        ok(&o);
        let rep: Value = serde_json::from_slice(&o.stdout).expect("replay JSON");
        for k in ["reads", "read_bytes", "writes", "write_bytes"] {
            assert_eq!(r[&format!("device.{k}")], rep["device"][k], "{k}");
        }
        assert_eq!(r["counters.major_faults"], rep["counters"]["major_faults"]);
    }
    for (args, want) in [
        (&["--profile", "linux:read_ahead=1"][..], "read_ahead"),
        (&["--profile", "freebsd"][..], "expected dragonfly or linux"),
        (
            &["--profile", "linux", "--model", "lru"][..],
            "add --model dragonfly",
        ),
    ] {
        let mut a = vec!["sweep", "traces/small-random.csv"];
        a.extend_from_slice(args);
        let o = vpsim(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// An `--output` name no results writer knows is a usage error (exit 2) before any
/// configuration runs, not an output error (exit 3) after all of them did: nothing is
/// written and stdout stays empty.
#[test]
fn unknown_output_extension_is_refused_before_running() {
    let d = dir("badext");
    let out = d.join("r.xlsx");
    let o = sweep(&out, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown results format \".xlsx\": use .parquet, .csv or .json"),
        "{err}"
    );
    assert!(
        o.stdout.is_empty(),
        "a table was printed: nothing should have run"
    );
    assert!(!out.exists());
}
