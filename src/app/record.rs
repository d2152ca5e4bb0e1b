//! `vpsim record -- CMD`: run a program under strace (and, where perf may, with its
//! user page faults recorded), import both with the strace importer and write the
//! trace, in one command.
//!
//! The tracers' logs go to a private temporary directory on tmpfs when there is one
//! (`$XDG_RUNTIME_DIR`, `/dev/shm`), so recording adds no I/O to the device being
//! studied; it is removed at the end unless `--keep-logs DIR` copies the logs out.
//! perf runs with `-k CLOCK_MONOTONIC` (this kind of machine refuses CLOCK_REALTIME)
//! and wraps strace, so it sees the command and everything it starts; `perf script
//! --header` then gives its `# reference time` clock pair, which puts the faults on
//! strace's `-ttt` wall clock exactly. A clock pair read here just before the command
//! starts stands in when perf prints none. strace's own faults (perf's child is
//! strace) are left out by pid before the import.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use crate::error::CmdError;
use crate::import::ImportReport;
use crate::import::strace::{self, ClockPair, StraceOptions, StraceTuning};
use crate::trace::{Op, TraceSource};

/// The syscalls strace records: those the importer turns into rows or needs for its
/// model of fds, mappings and processes. `?` marks calls some architectures lack.
pub const TRACED_CALLS: &str = "?open,openat,?openat2,?creat,close,read,write,pread64,pwrite64,\
readv,writev,preadv,pwritev,?preadv2,?pwritev2,lseek,?_llseek,mmap,?mmap2,munmap,mremap,\
msync,madvise,?fadvise64,?fadvise64_64,?arm_fadvise64_64,fsync,fdatasync,?sync_file_range,\
?sync_file_range2,ftruncate,?truncate,fallocate,fstat,?stat,?newfstatat,?fstatat64,statx,dup,\
?dup2,dup3,fcntl,clone,?clone3,?fork,?vfork,execve,execveat,?unlink,unlinkat,?rename,renameat,\
?renameat2,copy_file_range,sendfile,chdir,fchdir";

/// The strace flags for the importer: follow forks, wall-clock timestamps (`-ttt`,
/// the clock perf's reference time names), durations, fd paths, no string contents;
/// stop only at the calls traced (seccomp-bpf), which keeps the overhead down.
pub fn strace_args(log: &Path) -> Vec<String> {
    let mut v: Vec<String> = ["-f", "-ttt", "-T", "-y", "-s", "0", "--seccomp-bpf", "-o"]
        .map(String::from)
        .to_vec();
    v.push(log.to_string_lossy().into_owned());
    v.push("-e".into());
    v.push(format!("trace={TRACED_CALLS}"));
    v
}

/// The perf event and clock.
const PERF_EVENT: &str = "exceptions:page_fault_user";
const PERF_CLOCK: &str = "CLOCK_MONOTONIC";

/// Whether to record page faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FaultsMode {
    /// With perf when it is installed and permitted; otherwise say why and go on.
    Auto,
    /// With perf, or fail (exit 2) saying why not.
    On,
    /// Syscalls only.
    Off,
}

/// What to record and where the trace goes.
#[derive(Clone, Debug)]
pub struct RecordJob<'a> {
    /// The command and its arguments.
    pub command: &'a [String],
    /// The trace to write (.vpt binary, .csv/.csv.gz/.csv.zst text).
    pub output: &'a str,
    pub faults: FaultsMode,
    /// Copy the raw logs (strace log, perf data, perf script output) here.
    pub keep_logs: Option<&'a Path>,
}

/// What `vpsim record` did.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Lines to show on stderr.
    pub lines: Vec<String>,
    /// The command's exit status (128 + N when signal N ended it).
    pub status: u8,
    pub report: ImportReport,
    /// Events per op of the written trace, in [`Op::ALL`] order.
    pub per_op: [u64; Op::ALL.len()],
    /// Why faults were not recorded (`None` when they were).
    pub no_faults: Option<String>,
}

/// A program on `PATH`.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A private temporary directory, on tmpfs when one is at hand.
fn temp_dir() -> Result<tempfile::TempDir, CmdError> {
    let mut places: Vec<PathBuf> = Vec::new();
    if let Some(x) = std::env::var_os("XDG_RUNTIME_DIR") {
        places.push(PathBuf::from(x));
    }
    places.push(PathBuf::from("/dev/shm"));
    places.push(std::env::temp_dir());
    let mut last = None;
    for p in places.iter().filter(|p| p.is_dir()) {
        match tempfile::Builder::new()
            .prefix("vpsim-record-")
            .tempdir_in(p)
        {
            Ok(d) => return Ok(d),
            Err(e) => last = Some(format!("{}: {e}", p.display())),
        }
    }
    Err(CmdError::Output(format!(
        "cannot create a temporary directory for the logs ({})",
        last.unwrap_or_else(|| "no temporary directory".into())
    )))
}

fn paranoid() -> Option<i32> {
    std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
}

/// perf, if it can record user page faults on CLOCK_MONOTONIC here: tried once on
/// `true`. `Err` says why not and how to fix it.
fn probe_perf(dir: &Path) -> Result<PathBuf, String> {
    let Some(perf) = find_tool("perf") else {
        return Err("perf is not installed (Debian/Ubuntu: apt-get install linux-perf or linux-tools-$(uname -r); Fedora: dnf install perf)".into());
    };
    let data = dir.join("probe.data");
    let out = Command::new(&perf)
        .args(["record", "-q", "-k", PERF_CLOCK, "-e", PERF_EVENT, "-o"])
        .arg(&data)
        .args(["--", "true"])
        .stdin(Stdio::null())
        .output();
    let _ = std::fs::remove_file(&data);
    match out {
        Ok(o) if o.status.success() => Ok(perf),
        Ok(o) => {
            let msg = String::from_utf8_lossy(&o.stderr);
            let first = msg
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("no message");
            let level = paranoid().map_or("unknown".to_string(), |p| p.to_string());
            Err(format!(
                "perf cannot record {PERF_EVENT} on {PERF_CLOCK} here (perf says: \"{first}\"; kernel.perf_event_paranoid is {level}); \
                 to allow it run as root, or `sudo sysctl kernel.perf_event_paranoid=-1` and make /sys/kernel/tracing readable"
            ))
        }
        Err(e) => Err(format!("perf cannot be run: {e}")),
    }
}

/// The exit status as a shell reports it.
fn status_code(s: ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (s.code(), s.signal()) {
        (Some(c), _) => (c & 0xff) as u8,
        (None, Some(sig)) => (128 + sig).clamp(0, 255) as u8,
        _ => 1,
    }
}

/// Copy `perf_script` to `out` without the faults of strace itself (the first
/// fault's pid: perf's child is strace, and counting starts at its exec). Returns
/// how many were left out.
fn drop_tracer_faults(perf_script: &Path, out: &Path) -> std::io::Result<u64> {
    let input = BufReader::new(File::open(perf_script)?);
    let mut w = BufWriter::new(File::create(out)?);
    let mut tracer: Option<String> = None;
    let mut dropped = 0;
    for line in input.lines() {
        let line = line?;
        if line.contains(PERF_EVENT) && !line.trim_start().starts_with('#') {
            let pid = perf_pid(&line);
            let t = tracer.get_or_insert_with(|| pid.clone().unwrap_or_default());
            if pid.as_ref() == Some(t) {
                dropped += 1;
                continue;
            }
        }
        writeln!(w, "{line}")?;
    }
    w.flush()?;
    Ok(dropped)
}

/// The pid (or pid/tid) token of a `perf script` line: the one before `[cpu]`.
fn perf_pid(line: &str) -> Option<String> {
    let toks: Vec<&str> = line.split_whitespace().collect();
    let cpu = toks
        .iter()
        .position(|t| t.starts_with('[') && t.ends_with(']'))?;
    let tok = toks.get(cpu.checked_sub(1)?)?;
    Some(tok.rsplit('/').next().unwrap_or(tok).to_string())
}

/// Events per op of the trace at `path`.
fn count_ops(path: &str) -> Result<[u64; Op::ALL.len()], CmdError> {
    let mut src = TraceSource::open(path)?;
    let pre = src.prescan(path)?;
    let mut files = pre.files.clone();
    let mut per_op = [0u64; Op::ALL.len()];
    while let Some(ev) = src.next_event(&mut files)? {
        per_op[ev.op.index()] += 1;
    }
    Ok(per_op)
}

fn keep_logs(dir: &Path, to: &Path) -> Result<Vec<PathBuf>, CmdError> {
    std::fs::create_dir_all(to)
        .map_err(|e| CmdError::Output(format!("--keep-logs {}: {e}", to.display())))?;
    let mut kept = Vec::new();
    for name in ["strace.log", "perf.data", "faults.perf"] {
        let from = dir.join(name);
        if from.exists() {
            let dest = to.join(name);
            std::fs::copy(&from, &dest)
                .map_err(|e| CmdError::Output(format!("{}: {e}", dest.display())))?;
            kept.push(dest);
        }
    }
    Ok(kept)
}

/// Run the job: the command under the tracers, then the import. An `Err` is vpsim's
/// own failure (no strace, an unwritable output, a log it cannot read); the
/// command's failure is only its status in [`Recorded`].
pub fn record(job: &RecordJob) -> Result<Recorded, CmdError> {
    if job.command.is_empty() {
        return Err(CmdError::Usage(
            "no command to record (vpsim record -- CMD ARGS...)".into(),
        ));
    }
    if job.output == "-" {
        return Err(CmdError::Usage(
            "-o -: the command's own output goes to standard output; give a file (-o trace.vpt)"
                .into(),
        ));
    }
    let prog = &job.command[0];
    let found = if prog.contains('/') {
        is_executable(Path::new(prog))
    } else {
        find_tool(prog).is_some()
    };
    if !found {
        return Err(CmdError::Usage(format!(
            "{prog}: no such program{} (nothing recorded)",
            if prog.contains('/') {
                ", or not executable"
            } else {
                " on PATH"
            }
        )));
    }
    let Some(strace_bin) = find_tool("strace") else {
        return Err(CmdError::Usage(
            "strace is not installed or not on PATH (Debian/Ubuntu: apt-get install strace; Fedora: dnf install strace)".into(),
        ));
    };
    let dir = temp_dir()?;
    let log = dir.path().join("strace.log");
    let perf = match job.faults {
        FaultsMode::Off => Err("--faults off".to_string()),
        _ => probe_perf(dir.path()),
    };
    if let (FaultsMode::On, Err(why)) = (job.faults, &perf) {
        return Err(CmdError::Usage(format!("--faults on: {why}")));
    }
    let data = dir.path().join("perf.data");
    let mut cmd = match &perf {
        Ok(p) => {
            let mut c = Command::new(p);
            c.args(["record", "-q", "-k", PERF_CLOCK, "-e", PERF_EVENT, "-o"])
                .arg(&data)
                .arg("--")
                .arg(&strace_bin);
            c
        }
        Err(_) => Command::new(&strace_bin),
    };
    cmd.args(strace_args(&log)).arg("--").args(job.command);
    let pair = ClockPair::now();
    let status = cmd
        .status()
        .map_err(|e| CmdError::Usage(format!("cannot run {}: {e}", strace_bin.display())))?;
    // Ctrl-C while the command ran was for the command: the import still runs.
    crate::interrupt::reset();
    let status = status_code(status);
    let log_len = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    if log_len == 0 {
        return Err(CmdError::Input(format!(
            "strace recorded nothing (exit status {status}; its message, if any, is above). \
             If tracing is not permitted here: run as root, or `sudo sysctl kernel.yama.ptrace_scope=0`, \
             or give the container CAP_SYS_PTRACE"
        )));
    }
    let mut lines = Vec::new();
    let mut tracer_faults = 0;
    let mut faults = None;
    let mut no_faults = perf.as_ref().err().cloned();
    if perf.is_ok() {
        let script = dir.path().join("perf.script");
        let out = dir.path().join("faults.perf");
        let ran = match (&perf, File::create(&script)) {
            (Ok(p), Ok(f)) => Command::new(p)
                .args(["script", "--header", "-i"])
                .arg(&data)
                .stdout(f)
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false),
            _ => false,
        };
        if !ran || !data.exists() {
            no_faults = Some("perf recorded no readable data (perf script failed)".into());
        } else {
            tracer_faults = drop_tracer_faults(&script, &out)
                .map_err(|e| CmdError::Output(format!("{}: {e}", out.display())))?;
            let _ = std::fs::remove_file(&script);
            faults = Some(out.to_string_lossy().into_owned());
        }
    }
    // perf's own reference time wins; the pair read here is for a perf without one.
    let header_pair = faults.as_ref().is_some_and(|f| {
        File::open(f).is_ok_and(|f| {
            BufReader::new(f)
                .lines()
                .map_while(Result::ok)
                .take_while(|l| l.starts_with('#'))
                .any(|l| ClockPair::from_perf_header(&l).is_some())
        })
    });
    let opts = StraceOptions {
        faults: faults.clone(),
    };
    let tuning = StraceTuning {
        clock_pair: if header_pair { None } else { pair },
        ..StraceTuning::default()
    };
    let log_name = log.to_string_lossy().into_owned();
    let (report, name) = super::import::import_report(&log_name, Some(job.output), |i, p, w| {
        strace::import_tuned(i, p, &opts, &tuning, w)
    })?;
    let per_op = count_ops(&name)?;
    lines.push(format!(
        "vpsim record: {} exited with status {status}; {} strace lines -> {} events in {name}",
        job.command[0], report.lines, report.events
    ));
    let ops: Vec<String> = Op::ALL
        .iter()
        .filter(|op| per_op[op.index()] > 0)
        .map(|op| format!("{} {}", op.name(), per_op[op.index()]))
        .collect();
    lines.push(format!(
        "  events per op: {}",
        if ops.is_empty() {
            "none".to_string()
        } else {
            ops.join(", ")
        }
    ));
    match &no_faults {
        Some(why) => lines.push(format!("  page faults: not recorded: {why}")),
        None => {
            let dropped = report.faults_read - report.faults_kept;
            lines.push(format!(
                "  page faults: {} of the command's recorded, {} kept as fault rows, {dropped} dropped; {tracer_faults} of strace itself left out",
                report.faults_read, report.faults_kept
            ));
        }
    }
    let summary = report.summary();
    if !summary.is_empty() {
        lines.push("  skipped, dropped or adjusted (count, what):".into());
        lines.extend(summary.into_iter().map(|l| format!("  {l}")));
    }
    if let Some(to) = job.keep_logs {
        let kept = keep_logs(dir.path(), to)?;
        let names: Vec<String> = kept.iter().map(|p| p.display().to_string()).collect();
        lines.push(format!("  logs kept: {}", names.join(", ")));
    }
    Ok(Recorded {
        lines,
        status,
        report,
        per_op,
        no_faults,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perf_pids_and_the_tracer_left_out() {
        assert_eq!(
            perf_pid(
                "  python3 x  1888 [000] 30370.719072: exceptions:page_fault_user: address=0x1"
            ),
            Some("1888".into())
        );
        assert_eq!(perf_pid("p 20/21 [1] 5.0: x"), Some("21".into()));
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(
            &a,
            "# reference time: x\n\
             strace 10 [000] 1.0: exceptions:page_fault_user: address=0x1 error_code=0x4\n\
             sh 11 [001] 1.1: exceptions:page_fault_user: address=0x2 error_code=0x4\n\
             strace 10 [000] 1.2: exceptions:page_fault_user: address=0x3 error_code=0x4\n",
        )
        .unwrap();
        assert_eq!(drop_tracer_faults(&a, &b).unwrap(), 2);
        assert_eq!(
            std::fs::read_to_string(&b).unwrap(),
            "# reference time: x\nsh 11 [001] 1.1: exceptions:page_fault_user: address=0x2 error_code=0x4\n"
        );
    }

    #[test]
    fn strace_is_asked_for_what_the_importer_reads() {
        let a = strace_args(Path::new("/x/log"));
        assert_eq!(
            &a[..9],
            [
                "-f",
                "-ttt",
                "-T",
                "-y",
                "-s",
                "0",
                "--seccomp-bpf",
                "-o",
                "/x/log"
            ]
        );
        assert_eq!(a[9], "-e");
        assert!(a[10].starts_with("trace=?open,openat,"), "{}", a[10]);
        for call in [
            "fadvise64",
            "madvise",
            "mmap",
            "msync",
            "execve",
            "clone3",
            "pread64",
        ] {
            assert!(a[10].split([',', '=', '?']).any(|c| c == call), "{call}");
        }
    }
}
