//! Ctrl-C (SIGINT) end to end: a sweep keeps what it finished and `--resume` runs the
//! rest; a command writing a trace leaves nothing behind; both exit 130.

mod common;

use common::{root, stderr};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn scratch(name: &str) -> PathBuf {
    common::scratch("int", name)
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vpsim"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vpsim")
}

fn sigint(child: &Child) {
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(st.success());
}

fn rows(p: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(p).expect("results written");
    match serde_json::from_str::<Value>(&text).expect("JSON") {
        Value::Array(a) => a,
        other => panic!("expected an array, got {other}"),
    }
}

/// Wait until `cond` holds (or fail after a generous deadline).
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

const GRID: &[&str] = &[
    "--mem",
    "8M,12M,16M,24M,32M,48M,64M,96M",
    "--readahead",
    "none,dragonfly",
    "--jobs",
    "1",
];

#[test]
fn ctrl_c_keeps_finished_sweep_configurations_and_resume_finishes() {
    let d = scratch("sweep");
    let out = d.join("r.json");
    let outs = out.to_str().unwrap();
    let mut args = vec!["sweep", "traces/pyio.events.csv.zst", "--output", outs];
    args.extend_from_slice(GRID);
    let child = spawn(&args);
    // The first finished configuration is written as soon as it completes.
    wait_for("the first result", || out.exists());
    sigint(&child);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "stderr: {}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("interrupted") && err.contains("--resume"),
        "{err}"
    );
    let kept = rows(&out);
    assert!(
        !kept.is_empty() && kept.len() < 16,
        "{} rows kept of 16",
        kept.len()
    );
    assert!(
        kept.iter().all(|r| r.get("error").is_none()),
        "a run cut short must not leave an error row"
    );
    // Nothing half-written beside it.
    let names: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["r.json"]);

    let mut args = vec![
        "sweep",
        "traces/pyio.events.csv.zst",
        "--output",
        outs,
        "--resume",
    ];
    args.extend_from_slice(GRID);
    let o = spawn(&args).wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let all = rows(&out);
    assert_eq!(all.len(), 16);
    let mut ids: Vec<i64> = all
        .iter()
        .map(|r| r["config_id"].as_i64().unwrap())
        .collect();
    ids.dedup();
    assert_eq!(ids, (0..16).collect::<Vec<i64>>());
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn ctrl_c_while_writing_a_trace_leaves_nothing() {
    let d = scratch("gen");
    let out = d.join("big.csv.zst");
    let child = spawn(&[
        "gen",
        "zipf",
        "--events",
        "1000000000",
        "-o",
        out.to_str().unwrap(),
    ]);
    // Running: its temporary file exists.
    wait_for("the temporary output", || {
        std::fs::read_dir(&d).unwrap().next().is_some()
    });
    sigint(&child);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "stderr: {}", stderr(&o));
    assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
    let left: Vec<_> = std::fs::read_dir(&d).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let _ = std::fs::remove_dir_all(d);
}
