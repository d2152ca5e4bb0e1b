//! Helpers shared by the command-line tests: run the real binary from the crate root,
//! read its streams, check exit codes, split CSV lines.
#![allow(dead_code)] // each test file uses its own subset

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `vpsim ARGS...` run from the crate root (so `traces/...` paths work).
pub fn vpsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vpsim"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("cannot run the vpsim binary")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Assert the exit code, showing both streams when it is wrong.
#[track_caller]
pub fn assert_code(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "expected exit code {code}\n--- stdout:\n{}\n--- stderr:\n{}",
        stdout(o),
        stderr(o)
    );
}

/// Split one CSV line into fields, honouring quotes (`""` is a quote inside one).
pub fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    assert!(!quoted, "unterminated quote in {line:?}");
    fields.push(cur);
    fields
}

/// Load CSV text through the real reader and first pass (`run::load_trace` takes a
/// path, so the text goes through a temporary file, removed again).
pub fn load_csv(csv: &str) -> vpsim::run::LoadedTrace {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let p = std::env::temp_dir().join(format!(
        "vpsim-test-{}-{}.csv",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::write(&p, csv).unwrap();
    let t = vpsim::run::load_trace(p.to_str().unwrap());
    std::fs::remove_file(&p).unwrap();
    t.unwrap_or_else(|e| panic!("the trace does not load: {e}\n{csv}"))
}

/// A trace event for engine tests: file `file`, pid 1, no flags; `off: None` is an
/// event without offset (an append, for writes).
pub fn engine_ev(
    t: u64,
    op: vpsim::trace::Op,
    file: u32,
    off: Option<u64>,
    len: u64,
) -> vpsim::trace::Event {
    vpsim::trace::Event {
        time_ns: t,
        offset: off.unwrap_or(0),
        length: len,
        file,
        pid: 1,
        op,
        flags: vpsim::trace::Flags::NONE,
        has_offset: off.is_some(),
        has_length: true,
    }
}

/// A DragonFly simulator over files `f0`, `f1`, … of the given sizes, `mem` bytes of
/// RAM, an SSD, the knobs `sets` (`name=value`), every invariant checked.
pub fn engine_sim(sizes: &[u64], mem: u64, sets: &[&str]) -> vpsim::engine::Simulator {
    vpsim::engine::SimBuilder::new(sizes)
        .mem(mem)
        .sets(sets)
        .build()
}

/// (write requests, write bytes) of one origin.
pub fn origin_writes(d: &vpsim::stats::DeviceStats, o: vpsim::stats::Origin) -> (u64, u64) {
    let x = d.by_origin[o.index()];
    (x[2], x[3])
}

/// A fresh, empty scratch directory for one test: `<tmp>/vpsim-<kind>-<pid>-<name>`,
/// emptied first if an earlier run left it (the one temp-dir helper of the suite).
pub fn scratch(kind: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vpsim-{kind}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("cannot create a scratch directory");
    d
}
