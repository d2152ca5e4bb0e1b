//! The cluster examples in `examples/` run as shipped (issue 18): each script, with
//! the vpsim of this build first on PATH, on a shipped trace; the shards' merged
//! results must equal one unsharded sweep of the same grid, row for row.

mod common;

use common::{assert_code, root, scratch, stderr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use vpsim::report::results::read_results;

/// A small shipped trace, so the 48-configuration grids stay quick in a debug build.
const TRACE: &str = "traces/seqread.csv";

/// `bash -c CMD` in `dir` (which holds a `traces` link and `examples` link to the
/// crate's), this build's vpsim first on PATH, with `env` set.
fn sh(dir: &Path, cmd: &str, env: &[(&str, String)]) -> Output {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_vpsim"));
    let bin_dir = bin.parent().expect("the binary has a directory");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = Command::new("bash");
    c.arg("-c").arg(cmd).current_dir(dir).env("PATH", path);
    for (k, v) in env {
        c.env(k, v);
    }
    c.stdin(Stdio::null()).output().expect("cannot run bash")
}

/// A scratch directory that sees the crate's traces and examples.
fn workdir(name: &str) -> PathBuf {
    let d = scratch("examples", name);
    for sub in ["traces", "examples"] {
        std::os::unix::fs::symlink(root().join(sub), d.join(sub)).expect("symlink");
    }
    d
}

/// The rows of two results files are the same, row for row (the grid fingerprint,
/// configuration ids and every figure included).
#[track_caller]
fn same_rows(a: &Path, b: &Path) {
    let ra = read_results(a).unwrap_or_else(|e| panic!("{e}"));
    let rb = read_results(b).unwrap_or_else(|e| panic!("{e}"));
    assert!(!ra.is_empty(), "{} holds no rows", a.display());
    assert_eq!(ra.len(), rb.len(), "{} vs {}", a.display(), b.display());
    for (x, y) in ra.iter().zip(&rb) {
        assert_eq!(x, y, "rows differ: {} vs {}", a.display(), b.display());
    }
}

#[test]
fn slurm_array_tasks_merge_to_the_unsharded_sweep() {
    let d = workdir("slurm");
    let n = 16;
    for i in 1..=n {
        let env = [
            ("SLURM_ARRAY_TASK_ID", i.to_string()),
            ("SLURM_CPUS_PER_TASK", "1".to_string()),
            ("TRACE", TRACE.to_string()),
        ];
        let o = sh(&d, "bash examples/sweep-slurm.sh", &env);
        assert_code(&o, 0);
    }
    // The merge line the script gives, then the report.
    let o = sh(
        &d,
        "vpsim merge all.parquet part-*.parquet && vpsim report all.parquet --out report.html",
        &[],
    );
    assert_code(&o, 0);
    assert!(
        stderr(&o).contains("48 configurations from 16 files"),
        "{}",
        stderr(&o)
    );
    assert!(d.join("report.html").exists());
    // The same script as one task of one shard: the whole grid.
    let one = workdir("slurm-one");
    let env = [
        ("SLURM_ARRAY_TASK_ID", "1".to_string()),
        ("N", "1".to_string()),
        ("TRACE", TRACE.to_string()),
    ];
    assert_code(&sh(&one, "bash examples/sweep-slurm.sh", &env), 0);
    same_rows(&d.join("all.parquet"), &one.join("part-1.parquet"));
}

#[test]
fn gnu_parallel_script_runs_as_written() {
    if sh(Path::new("."), "command -v parallel", &[]).status.code() != Some(0) {
        // .ci/run installs it; a machine without it says so instead of failing.
        eprintln!("SKIPPED: GNU parallel is not installed (apt-get install parallel)");
        return;
    }
    let d = workdir("parallel");
    let cmd = format!("bash examples/sweep-parallel.sh {TRACE}");
    let o = sh(&d, &cmd, &[]);
    assert_code(&o, 0);
    assert!(d.join("report.html").exists());
    let one = workdir("parallel-one");
    let cmd = format!(
        "vpsim sweep {TRACE} --mem 64M,256M,1G --readahead none,linux,dragonfly \
         --shard 1/1 --output one.parquet"
    );
    assert_code(&sh(&one, &cmd, &[]), 0);
    same_rows(&d.join("all.parquet"), &one.join("one.parquet"));
}

#[test]
fn kubernetes_indexed_job_shards_merge_to_the_unsharded_sweep() {
    let d = workdir("k8s");
    let n = 8;
    for i in 0..n {
        let env = [
            ("JOB_COMPLETION_INDEX", i.to_string()),
            ("N", n.to_string()),
            ("TRACE", TRACE.to_string()),
        ];
        assert_code(&sh(&d, "bash examples/sweep-k8s.sh", &env), 0);
    }
    assert_code(&sh(&d, "vpsim merge all.parquet part-*.parquet", &[]), 0);
    let one = workdir("k8s-one");
    let env = [
        ("JOB_COMPLETION_INDEX", "0".to_string()),
        ("N", "1".to_string()),
        ("TRACE", TRACE.to_string()),
    ];
    assert_code(&sh(&one, "bash examples/sweep-k8s.sh", &env), 0);
    same_rows(&d.join("all.parquet"), &one.join("part-1.parquet"));
    // The manifest runs that script with the index Kubernetes sets.
    let yaml = std::fs::read_to_string(root().join("examples/sweep-k8s.yaml")).expect("yaml");
    assert!(yaml.contains("completionMode: Indexed") && yaml.contains("sweep-k8s.sh"));
}
