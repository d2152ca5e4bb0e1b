//! `vpsim record -- CMD` on real programs: a trivial one, failing ones (their exit
//! status passed through), a Python script that maps a file and touches four pages
//! (exactly those four faults kept when perf can record here), the paths without perf
//! or strace, and `--keep-logs` reproducing the trace with `vpsim import strace`.
//! Tests that need strace print SKIPPED and pass where it is missing; clock
//! alignment on synthetic perf output is in tests/import_strace.rs.

mod common;

use common::{assert_code, scratch, stderr};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn have(tool: &str) -> bool {
    vpsim::app::record::find_tool(tool).is_some()
}

/// Skip (loudly) without strace.
fn need_strace(test: &str) -> bool {
    if have("strace") {
        return true;
    }
    eprintln!("SKIPPED {test}: strace is not installed (apt-get install strace)");
    false
}

/// Whether perf can record user page faults here, as `vpsim record` finds out.
fn perf_works() -> bool {
    have("perf")
        && Command::new("perf")
            .args([
                "record",
                "-q",
                "-k",
                "CLOCK_MONOTONIC",
                "-e",
                "exceptions:page_fault_user",
            ])
            .args(["-o", "/dev/null", "--", "true"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

fn record(dir: &Path, args: &[&str], path_env: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vpsim"));
    c.arg("record")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null());
    if let Some(p) = path_env {
        c.env("PATH", p);
    }
    c.output().expect("cannot run the vpsim binary")
}

fn rows(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(String::from)
        .collect()
}

#[test]
fn record_true_writes_a_trace_and_says_what_it_holds() {
    if !need_strace("record_true") {
        return;
    }
    let d = scratch("record", "true");
    let o = record(&d, &["-o", "t.csv", "--", "true"], None);
    assert_code(&o, 0);
    let err = stderr(&o);
    assert!(
        err.contains("vpsim record: true exited with status 0;"),
        "{err}"
    );
    assert!(err.contains("  events per op: open "), "{err}");
    let text = std::fs::read_to_string(d.join("t.csv")).unwrap();
    assert!(
        text.starts_with("time_ns,pid,op,file,offset,length,flags\n"),
        "{text}"
    );
    // The dynamic loader opens and maps the C library before `true` does anything.
    let libc = rows(&d.join("t.csv"))
        .into_iter()
        .filter(|r| r.contains("libc.so") && r.contains(",mmap,"))
        .count();
    assert!(libc >= 1, "{text}");
    // The events-per-op line adds up to the rows written.
    let line = err
        .lines()
        .find(|l| l.starts_with("  events per op: "))
        .unwrap();
    let sum: u64 = line["  events per op: ".len()..]
        .split(", ")
        .map(|p| p.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(sum as usize, rows(&d.join("t.csv")).len());
    // The binary form by extension, readable by every command.
    let o = record(&d, &["-o", "t.vpt", "true"], None);
    assert_code(&o, 0);
    let o = common::vpsim(&["check", d.join("t.vpt").to_str().unwrap()]);
    assert_code(&o, 0);
}

#[test]
fn a_failing_command_passes_its_exit_status_through() {
    if !need_strace("failing_command") {
        return;
    }
    let d = scratch("record", "fail");
    let o = record(&d, &["-o", "f.csv", "--", "sh", "-c", "exit 3"], None);
    assert_code(&o, 3);
    assert!(
        stderr(&o).contains("sh exited with status 3;"),
        "{}",
        stderr(&o)
    );
    assert!(
        d.join("f.csv").exists(),
        "the trace is written all the same"
    );
    // Killed by a signal: 128 + SIGTERM, as a shell says.
    let o = record(
        &d,
        &["-o", "k.csv", "--", "sh", "-c", "kill -TERM $$"],
        None,
    );
    assert_code(&o, 143);
    assert!(
        stderr(&o).contains("sh exited with status 143;"),
        "{}",
        stderr(&o)
    );
}

const TOUCH_PY: &str = "import mmap, os, sys
path = sys.argv[1]
with open(path, 'wb') as f:
    f.write(b'x' * (64 * 4096))
fd = os.open(path, os.O_RDONLY)
m = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
s = 0
for page in (0, 16, 32, 48):
    s += m[page * 4096]
m.close()
os.close(fd)
";

/// A script maps a 64-page file read-only and reads one byte of pages 0, 16, 32 and
/// 48: each lies in its own 64 KiB fault-around window, so Linux takes exactly four
/// faults, and the trace holds exactly those four `fault_read` rows, between the
/// mmap and the munmap, at offsets 0, 64, 128 and 192 KiB.
#[test]
fn a_program_touching_mapped_pages_gets_its_faults() {
    if !need_strace("touching_mapped_pages") {
        return;
    }
    if !have("python3") {
        eprintln!("SKIPPED touching_mapped_pages: python3 is not installed");
        return;
    }
    let d = scratch("record", "touch");
    std::fs::write(d.join("touch.py"), TOUCH_PY).unwrap();
    let data = d.join("data.bin");
    let data_s = data.to_str().unwrap();
    let o = record(
        &d,
        &["-o", "m.csv", "--", "python3", "touch.py", data_s],
        None,
    );
    assert_code(&o, 0);
    let err = stderr(&o);
    let mine: Vec<String> = rows(&d.join("m.csv"))
        .into_iter()
        .filter(|r| r.contains(&format!(",{data_s},")))
        .collect();
    let ops: Vec<&str> = mine.iter().map(|r| r.split(',').nth(2).unwrap()).collect();
    let mmap = ops.iter().position(|&o| o == "mmap").expect("an mmap row");
    let munmap = ops
        .iter()
        .position(|&o| o == "munmap")
        .expect("a munmap row");
    let faults: Vec<&String> = mine.iter().filter(|r| r.contains(",fault_")).collect();
    if !perf_works() {
        assert!(err.contains("  page faults: not recorded: perf "), "{err}");
        assert!(faults.is_empty());
        eprintln!(
            "SKIPPED the fault part of touching_mapped_pages: perf cannot record page faults here"
        );
        return;
    }
    assert!(err.contains("kept as fault rows"), "{err}");
    let offsets: Vec<&str> = faults
        .iter()
        .map(|r| r.split(',').nth(4).unwrap())
        .collect();
    assert_eq!(offsets, ["0", "65536", "131072", "196608"], "{mine:#?}");
    assert!(
        faults
            .iter()
            .all(|r| r.contains(",fault_read,") && r.ends_with(",4096,"))
    );
    let first = ops.iter().position(|o| o.starts_with("fault_")).unwrap();
    let last = ops.iter().rposition(|o| o.starts_with("fault_")).unwrap();
    assert!(mmap < first && last < munmap, "{mine:#?}");
}

/// A directory holding only a link to strace: a PATH without perf.
fn path_without_perf(d: &Path) -> Option<std::path::PathBuf> {
    let strace = vpsim::app::record::find_tool("strace")?;
    let bin = d.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(strace, bin.join("strace")).unwrap();
    Some(bin)
}

#[test]
fn without_perf_syscalls_are_recorded_and_faults_said_missing() {
    if !need_strace("without_perf") {
        return;
    }
    let d = scratch("record", "noperf");
    let bin = path_without_perf(&d).unwrap();
    let o = record(
        &d,
        &["-o", "n.csv", "--", "/bin/sh", "-c", "exit 0"],
        Some(&bin),
    );
    assert_code(&o, 0);
    let err = stderr(&o);
    assert!(err.contains("  page faults: not recorded: perf is not installed (Debian/Ubuntu: apt-get install linux-perf"), "{err}");
    assert!(
        !std::fs::read_to_string(d.join("n.csv"))
            .unwrap()
            .contains(",fault_")
    );
    // Asked for faults, it refuses with the reason instead (exit 2), before running.
    let o = record(
        &d,
        &[
            "--faults", "on", "-o", "n2.csv", "--", "/bin/sh", "-c", "exit 0",
        ],
        Some(&bin),
    );
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("vpsim record: --faults on: perf is not installed"),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("n2.csv").exists());
    // --faults off does not look for perf at all.
    let o = record(
        &d,
        &["--faults", "off", "-o", "n3.csv", "--", "/bin/true"],
        None,
    );
    assert_code(&o, 0);
    assert!(
        stderr(&o).contains("  page faults: not recorded: --faults off"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn without_strace_the_error_says_how_to_get_it() {
    let d = scratch("record", "nostrace");
    let o = record(&d, &["-o", "x.csv", "--", "/bin/true"], Some(&d));
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("vpsim record: strace is not installed or not on PATH (Debian/Ubuntu: apt-get install strace"),
        "{}",
        stderr(&o)
    );
    let o = record(&d, &["-o", "-", "--", "/bin/true"], None);
    assert_code(&o, 2);
    let o = record(&d, &["-o", "x.csv", "--", "no-such-program-here"], None);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains(
            "vpsim record: no-such-program-here: no such program on PATH (nothing recorded)"
        ),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("x.csv").exists());
}

/// The kept logs are the raw material: importing them gives the same trace.
#[test]
fn kept_logs_reimport_to_the_same_trace() {
    if !need_strace("kept_logs") {
        return;
    }
    let d = scratch("record", "keep");
    let o = record(
        &d,
        &[
            "--keep-logs",
            "logs",
            "-o",
            "r.csv",
            "--",
            "sh",
            "-c",
            "cat /etc/hostname >/dev/null",
        ],
        None,
    );
    assert_code(&o, 0);
    assert!(d.join("logs/strace.log").exists());
    let mut args = vec!["import", "strace", "logs/strace.log", "-o", "i.csv"];
    if d.join("logs/faults.perf").exists() {
        args.extend(["--faults", "logs/faults.perf"]);
    }
    let o = Command::new(env!("CARGO_BIN_EXE_vpsim"))
        .args(&args)
        .current_dir(&d)
        .output()
        .unwrap();
    assert_code(&o, 0);
    assert_eq!(
        std::fs::read_to_string(d.join("r.csv")).unwrap(),
        std::fs::read_to_string(d.join("i.csv")).unwrap()
    );
}
