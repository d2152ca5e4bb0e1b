//! `vpsim import strace`: raw strace logs (plus, optionally, perf page faults) to
//! traces.
//!
//! The log is read line by line, never whole. Each line is taken apart (`parse`,
//! `values`), timed (`clock`), and its call replayed against a model of the
//! kernel's bookkeeping (`procs`: fd tables, open file descriptions and their
//! offsets, address spaces; `files`: inodes by path, sizes, renames). Calls on
//! regular files become rows (`calls`, `fds`, `meta`, `mem`); rows pass a small
//! reorder buffer (`emit`) so they come out in time order although split calls and
//! open sizes are only known later. Page faults are merged in by time (`faults`).
//!
//! Rules (those of the independent converter that made `traces/*.events.csv.zst`, which
//! these rows match, except where marked *differs*):
//! * only successful calls on regular files make rows (not /dev, /proc, /sys, pipes,
//!   sockets, anon inodes, memfds, directories); everything skipped, failed or not
//!   understood is counted in [`ImportReport::notes`];
//! * time 0 is the first timestamped line; a call is timed when it was issued (a
//!   `<... resumed>` call at its `<unfinished ...>` line) and its effects on the model
//!   count from then;
//! * read/write lengths are the bytes transferred (0-byte reads kept); offsets come from
//!   the open file description (shared across dup, fork and threads, set by lseek;
//!   pread/pwrite leave it alone); readv/writev make one row; O_APPEND writes go to the
//!   known end of file (offset empty when unknown). With `-y`, an fd the log never
//!   showed opened is taken from its annotation (offset unknown until an lseek);
//! * `open` length: 0 for O_TRUNC, O_CREAT|O_EXCL and creat; else the size the log last
//!   showed for the file (stat, write, truncate); else the first fstat of that open file
//!   description, whenever it comes; else empty. O_SYNC/O_DSYNC, O_DIRECT and O_APPEND
//!   become the flags `sync`, `direct`, `append`;
//! * mmap/munmap/msync lengths are rounded up to 4 KiB; MAP_PRIVATE gives `private`;
//!   mremap is a munmap then an mmap; a MAP_FIXED mapping over a file mapping replaces
//!   it without a row; msync's MS_ASYNC/MS_INVALIDATE give `async`/`invalidate`;
//! * fsync/fdatasync → fsync; ftruncate/truncate → truncate; sendfile/copy_file_range →
//!   a read then a write; close → close, one row per close call (none for the implicit
//!   closes of dup2, execve or exit);
//! * *differs*: unlink/unlinkat of a file some row named → `unlink` (the reference
//!   writes no unlink rows);
//! * *differs*: fadvise64/fadvise64_64/arm_fadvise64_64 → `fadvise` on the fd's file
//!   (offset and length as given), madvise → `madvise` for each file mapping piece of
//!   the range, at its file offset (the reference writes neither); the advice
//!   (`POSIX_FADV_*`, `MADV_*`) becomes the one flag word; other advice (MADV_FREE,
//!   MADV_HUGEPAGE, ...), anonymous ranges and zero lengths make no row;
//! * *differs*: names follow [`NameRule`]: by default a renamed file keeps the name of
//!   its first row and the file a rename replaces gets an `unlink` row; `Current`
//!   names files by their path at the time, as the reference does;
//! * faults (`faults`) are resolved against the mappings of their process at their
//!   time; a write fault in a private mapping is copy-on-write and becomes
//!   `fault_read`; faults outside file mappings are dropped and counted. Rows:
//!   page-aligned offset, length 4096.

mod calls;
mod clock;
mod emit;
mod faults;
mod fds;
mod files;
mod mem;
mod meta;
mod parse;
mod procs;
mod values;

use std::io::{BufRead, Read, Write};

use rustc_hash::FxHashMap;

use super::{ImportReport, TraceError, TraceWriter};
use clock::{Clock, ClockError, Form};
use emit::{Emitter, Key, Row};
pub use faults::{ClockPair, FaultClock};
use faults::{Fault, FaultSource};
use files::Files;
pub use files::NameRule;
use parse::{Body, parse_call, parse_line};
use procs::World;

use crate::trace::{Flags, Op};

/// Longest line read (a `-s` of a few MB still fits; anything longer is garbage).
const MAX_LINE_BYTES: u64 = 64 << 20;
/// Page size used for rounding mapping lengths and aligning faults.
pub(crate) const PAGE: u64 = 4096;
/// The pid standing for lines without a pid prefix until the log tells the real one.
const LONE_PID: u32 = 0;

/// Options of the strace importer.
#[derive(Clone, Debug, Default)]
pub struct StraceOptions {
    /// A perf page-fault list to merge (`perf script` output or `time,pid,address,error_code` CSV).
    pub faults: Option<String>,
}

/// Knobs beyond [`StraceOptions`] (kept apart so the CLI's struct literal of
/// `StraceOptions` stays valid): for library users and tests.
#[derive(Clone, Debug, Default)]
pub struct StraceTuning {
    /// perf faults only: trace ns = perf ns + this. Without it the shift is found as
    /// the `faults` module describes.
    pub perf_offset_ns: Option<i64>,
    /// How rows name files that get renamed.
    pub names: NameRule,
    /// The fault list's clock (`--faults-clock`), over what the file says.
    pub faults_clock: Option<FaultClock>,
    /// A clock pair read while recording, over the fault list's perf reference time.
    pub clock_pair: Option<ClockPair>,
}

/// A call seen `<unfinished ...>`, waiting for its `<... resumed>` line.
struct Pending {
    name: String,
    args: String,
    key: Key,
    /// It changes mappings (mmap, execve, fork, ...): faults after its start wait
    /// for its result, as its effect counts from when it was issued.
    holds_faults: bool,
}

/// A fork-like call in flight whose child may show up before its result.
struct PendingFork {
    parent: u32,
    share_files: bool,
    share_vm: bool,
}

/// The whole conversion state.
struct Importer {
    path: String,
    perf_offset_ns: Option<i64>,
    report: ImportReport,
    clock: Clock,
    world: World,
    emit: Emitter,
    pending: FxHashMap<u32, Pending>,
    forks: Vec<PendingFork>,
    faults: Option<FaultSource>,
    faults_aligned: bool,
    /// Issue counter: a line's rows get keys `(time, seq << 16 | n)`.
    seq: u64,
    lineno: u64,
    /// Rows before (this time, any seq) may already be written.
    floor: u64,
    last_fault: u64,
    /// Trace time of the latest log line, and whether the log has ended (faults
    /// merged after that are past its last line).
    log_last: u64,
    log_ended: bool,
    /// Faults read, and those outside the log's time span with the first of them
    /// (time, line): a fault list on another clock falls outside almost entirely.
    faults_seen: u64,
    faults_outside: u64,
    first_outside: Option<(i128, u64)>,
    /// Faults dropped for falling before the first line / after the last one: count
    /// and the first (time, line), reported with the numbers at the end.
    dropped_before: (u64, Option<(i128, u64)>),
    dropped_after: (u64, Option<(i128, u64)>),
    /// Processes the log showed exiting (a fault of theirs is late, not unknown).
    exited: rustc_hash::FxHashSet<u32>,
    /// Whether the log's first process (the one not created by a logged fork) exists.
    first_pid_seen: bool,
    untimed_noted: bool,
}

/// Convert the strace log read from `input` (named `path` in messages) into rows.
pub fn import<W: Write>(
    input: &mut dyn BufRead,
    path: &str,
    opts: &StraceOptions,
    out: &mut TraceWriter<W>,
) -> Result<ImportReport, TraceError> {
    import_tuned(input, path, opts, &StraceTuning::default(), out)
}

/// [`import`] with the extra knobs of [`StraceTuning`].
pub fn import_tuned<W: Write>(
    input: &mut dyn BufRead,
    path: &str,
    opts: &StraceOptions,
    tuning: &StraceTuning,
    out: &mut TraceWriter<W>,
) -> Result<ImportReport, TraceError> {
    let faults = match &opts.faults {
        Some(f) => {
            let mut src = FaultSource::open(f)?;
            src.set_clock(tuning.faults_clock, tuning.clock_pair);
            Some(src)
        }
        None => None,
    };
    let mut imp = Importer {
        path: path.to_string(),
        perf_offset_ns: tuning.perf_offset_ns,
        report: ImportReport::default(),
        clock: Clock::default(),
        world: World::new(Files::new(tuning.names)),
        emit: Emitter::default(),
        pending: FxHashMap::default(),
        forks: Vec::new(),
        faults,
        faults_aligned: false,
        seq: 0,
        lineno: 0,
        floor: 0,
        last_fault: 0,
        log_last: 0,
        log_ended: false,
        faults_seen: 0,
        faults_outside: 0,
        first_outside: None,
        dropped_before: (0, None),
        dropped_after: (0, None),
        exited: Default::default(),
        first_pid_seen: false,
        untimed_noted: false,
    };
    let mut buf = Vec::with_capacity(512);
    loop {
        buf.clear();
        let n = input
            .take(MAX_LINE_BYTES)
            .read_until(b'\n', &mut buf)
            .map_err(|e| TraceError::io(path, format!("cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        imp.lineno += 1;
        imp.report.lines += 1;
        if n as u64 == MAX_LINE_BYTES && buf.last() != Some(&b'\n') {
            return Err(TraceError::parse(
                path,
                imp.lineno,
                None,
                &String::from_utf8_lossy(&buf[..80]),
                format!("line longer than {MAX_LINE_BYTES} bytes"),
            ));
        }
        let text = String::from_utf8_lossy(&buf);
        imp.line(&text, out)?;
    }
    imp.finish(out)?;
    Ok(imp.report)
}

impl Importer {
    fn parse_error(&self, column: &str, text: &str, message: String) -> TraceError {
        TraceError::parse(
            &self.path,
            self.lineno,
            Some(column),
            text.trim_end(),
            message,
        )
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq << 16
    }

    fn line<W: Write>(&mut self, text: &str, out: &mut TraceWriter<W>) -> Result<(), TraceError> {
        let line = parse_line(text).map_err(|m| self.parse_error(m.column, text, m.message))?;
        if let Body::Other = line.body {
            let kind = if text.trim().is_empty() {
                "blank line"
            } else {
                "strace message line (ignored)"
            };
            self.report.note(kind);
            return Ok(());
        }
        let t = match self.clock.stamp(line.time, self.lineno) {
            Ok(t) => t,
            Err(ClockError::Bad) => {
                let tok = line.time.unwrap_or("");
                return Err(self.parse_error("timestamp", tok, format!("bad timestamp \"{tok}\"")));
            }
            Err(ClockError::Missing) => {
                let msg = if line.time.is_some() {
                    "a timestamp in a log whose first line had none"
                } else {
                    "no timestamp, but the log's first line had one"
                };
                return Err(self.parse_error("timestamp", text, msg.into()));
            }
        };
        if !self.untimed_noted && self.clock.form() == Some(Form::Untimed) {
            self.untimed_noted = true;
            self.report
                .note("no timestamps in the log: times are line numbers, 1 us apart");
        }
        // Lines without a pid prefix (strace writing to stderr before the first fork)
        // belong to a stand-in until the log names the process.
        let pid = line.pid.unwrap_or(LONE_PID);
        if !self.faults_aligned {
            self.faults_aligned = true;
            let ret = match &line.body {
                Body::Call(c) => t + c.ret.dur_ns.unwrap_or(0),
                _ => t,
            };
            let offset = self.perf_offset_ns;
            if let Some(f) = self.faults.as_mut() {
                f.align(pid, ret, &self.clock, offset)?;
                if let Some(how) = f.alignment() {
                    self.report.note(how);
                }
            }
        }
        self.log_last = self.log_last.max(t);
        self.merge_faults(t)?;
        self.ensure_process(pid, line.pid.is_some());
        match line.body {
            Body::Call(c) => {
                let key = (t, self.next_seq());
                self.call(pid, key, &c);
            }
            Body::Unfinished { name, args } => {
                let key = (t, self.next_seq());
                if is_fork(name) {
                    let (share_files, share_vm) = calls::clone_sharing(name, args);
                    self.forks.push(PendingFork {
                        parent: pid,
                        share_files,
                        share_vm,
                    });
                }
                let old = self.pending.insert(
                    pid,
                    Pending {
                        name: name.to_string(),
                        args: args.to_string(),
                        key,
                        holds_faults: changes_mappings(name),
                    },
                );
                if old.is_some() {
                    self.report
                        .note("unfinished call never resumed (another call started)");
                }
            }
            Body::Resumed { name, rest } => self.resumed(pid, name, rest, text)?,
            Body::Signal => self.report.note("signal line (no effect on files)"),
            Body::Exit => {
                self.pending.remove(&pid);
                self.forks.retain(|f| f.parent != pid);
                self.world.exit(pid);
                self.exited.insert(pid);
                // A thread's execve makes it the leader: it goes on under this pid.
                if let Some(p) = text.split("superseded by execve in pid ").nth(1) {
                    let tid = p.trim_end_matches(['+', ' ', '\n', '\r']);
                    if let Ok(tid) = tid.parse::<u32>() {
                        self.world.repid(tid, pid);
                        if let Some(call) = self.pending.remove(&tid) {
                            self.pending.insert(pid, call);
                        }
                    }
                }
            }
            Body::Other => {}
        }
        self.after_line(t, out)
    }

    /// Make sure `pid` has a process: a child of a fork in flight, the first process,
    /// or (counted) one the log shows no fork for.
    fn ensure_process(&mut self, pid: u32, prefixed: bool) {
        if self.world.exists(pid) {
            return;
        }
        if let Some(f) = self.forks.pop() {
            self.world.fork(f.parent, pid, f.share_files, f.share_vm);
            return;
        }
        if prefixed && self.world.exists(LONE_PID) && pid != LONE_PID {
            // stderr output (`[pid N]`) gives no prefix until the first fork: the
            // unprefixed process is this one.
            self.world.repid(LONE_PID, pid);
            if let Some(p) = self.pending.remove(&LONE_PID) {
                self.pending.insert(pid, p);
            }
            for f in &mut self.forks {
                if f.parent == LONE_PID {
                    f.parent = pid;
                }
            }
            self.report
                .note("first process's pid learned late: its earlier rows carry pid 0");
            return;
        }
        if self.first_pid_seen {
            self.report
                .note("process without a logged fork/clone (starts with no fds)");
        }
        self.first_pid_seen = true;
        self.world.spawn(pid);
    }

    fn resumed(&mut self, pid: u32, name: &str, rest: &str, text: &str) -> Result<(), TraceError> {
        let Some(mut p) = self.pending.remove(&pid) else {
            self.report.note("resumed call without its start (skipped)");
            return Ok(());
        };
        if p.name != name {
            self.report
                .note("resumed call does not match its start (both skipped)");
            return Ok(());
        }
        if let Some(more) = rest.trim_end().strip_suffix("<unfinished ...>") {
            p.args.push_str(more);
            self.pending.insert(pid, p);
            return Ok(());
        }
        let mut full = p.args;
        full.push_str(rest);
        let c = parse_call(name, &full).map_err(|m| self.parse_error(m.column, text, m.message))?;
        self.call(pid, p.key, &c);
        Ok(())
    }

    /// Merge faults that happened before trace time `t`, except those after the start
    /// of a call in flight that changes mappings: they wait for its result.
    fn merge_faults(&mut self, t: u64) -> Result<(), TraceError> {
        let held = self.pending.values().filter(|p| p.holds_faults);
        let before = held.map(|p| p.key.0).min().map_or(t, |h| h.min(t));
        self.merge_faults_before(i128::from(before))
    }

    fn merge_faults_before(&mut self, before: i128) -> Result<(), TraceError> {
        while let Some(src) = self.faults.as_mut() {
            let Some(f) = src.next_before(before, &self.clock)? else {
                break;
            };
            self.fault(f);
        }
        Ok(())
    }

    fn fault(&mut self, f: Fault) {
        self.faults_seen += 1;
        self.report.faults_read += 1;
        let after = self.log_ended && f.time > i128::from(self.log_last);
        if f.time < 0 || after {
            self.faults_outside += 1;
            self.first_outside.get_or_insert((f.time, f.line));
        }
        if after {
            self.dropped_after.0 += 1;
            self.dropped_after.1.get_or_insert((f.time, f.line));
            return;
        }
        let Ok(mut t) = u64::try_from(f.time) else {
            self.dropped_before.0 += 1;
            self.dropped_before.1.get_or_insert((f.time, f.line));
            return;
        };
        if t < self.last_fault {
            self.report.note("fault out of time order (time clamped)");
        }
        t = t.max(self.floor).max(self.last_fault);
        self.last_fault = t;
        if !self.world.exists(f.pid) {
            self.report.note(if self.exited.contains(&f.pid) {
                "fault of a process after the log showed it exit (dropped)"
            } else {
                "fault of a process the log does not show (dropped)"
            });
            return;
        }
        let Some(piece) = self.world.piece_at(f.pid, f.addr) else {
            self.report.note("fault outside file mappings (dropped)");
            return;
        };
        let op = if f.write && !piece.private {
            Op::FaultWrite
        } else {
            Op::FaultRead
        };
        let page = f.addr / PAGE * PAGE;
        let offset = piece
            .offset
            .saturating_add(page.saturating_sub(piece.start));
        let key = (t, self.next_seq());
        let file = self.world.files.name(piece.inode);
        self.report.faults_kept += 1;
        self.emit.push(Row {
            key,
            pid: f.pid,
            op,
            file,
            offset: Some(offset),
            length: Some(PAGE),
            flags: Flags::NONE,
        });
    }

    fn after_line<W: Write>(&mut self, t: u64, out: &mut TraceWriter<W>) -> Result<(), TraceError> {
        // Faults held behind a call this line completed go before anything is written.
        self.merge_faults(t)?;
        for k in std::mem::take(&mut self.world.unsettled) {
            self.emit.settle(k, None);
        }
        let mut upto = (t, (self.seq + 1) << 16);
        for p in self.pending.values() {
            upto = upto.min(p.key);
        }
        self.floor = upto.0;
        self.emit.flush(upto, out, &mut self.report)?;
        Ok(())
    }

    fn finish<W: Write>(&mut self, out: &mut TraceWriter<W>) -> Result<(), TraceError> {
        self.log_ended = true;
        self.merge_faults_before(i128::MAX)?;
        self.check_fault_clock()?;
        self.note_dropped_outside();
        for _ in self.pending.drain() {
            self.report
                .note("unfinished call never resumed (log ends first)");
        }
        for k in std::mem::take(&mut self.world.unsettled) {
            self.emit.settle(k, None);
        }
        self.emit.finish(out, &mut self.report)
    }
}

impl Importer {
    /// Refuse a fault list most of whose faults fall outside the log's time span
    /// (before its first line or after its last): its clock is not the log's, and
    /// replaying what is left would silently drop nearly every fault.
    fn check_fault_clock(&self) -> Result<(), TraceError> {
        let (Some(src), Some((time, line))) = (self.faults.as_ref(), self.first_outside) else {
            return Ok(());
        };
        if self.faults_outside * MAX_OUTSIDE.1 <= self.faults_seen * MAX_OUTSIDE.0 {
            return Ok(());
        }
        let s = |ns: i128| ns as f64 / 1e9;
        let at = s(time);
        let last = s(i128::from(self.log_last));
        let side = if time < 0 {
            "before the log's first line (0 s)".to_string()
        } else {
            format!("after the log's last line at {last:.1} s")
        };
        Err(TraceError::parse(
            src.path(),
            line,
            Some("time"),
            &format!("{at:.1}"),
            format!(
                "{} of {} faults fall outside the log's time span (0 to {last:.1} s of trace time); the fault at {at:.1} s is {side}: is the clock right? \
                 Without a stated clock a CSV's time_ns is taken as trace time (ns since the first strace line) and its time column as the log's clock; \
                 state the list's clock with --faults-clock realtime|monotonic (or a clock column, or a `# clock: monotonic` line; monotonic times need \
                 perf's `# reference time` line from `perf script --header`, else they are matched on the first fault), \
                 or shift any form with --perf-offset-ns (trace ns = fault ns + offset)",
                self.faults_outside, self.faults_seen
            ),
        ))
    }
}

impl Importer {
    /// Say how many faults fell outside the log's time span, with the first of each
    /// side and the numbers to judge the clock by.
    fn note_dropped_outside(&mut self) {
        let s = |ns: i128| ns as f64 / 1e9;
        let last = s(i128::from(self.log_last));
        if let (n, Some((t, line))) = self.dropped_before {
            let what = format!(
                "fault before the log's first line (dropped; the first, line {line} of the fault list, at {:.6} s, the log starts at 0 s)",
                s(t)
            );
            self.report.notes.insert(what, n);
        }
        if let (n, Some((t, line))) = self.dropped_after {
            let what = format!(
                "fault after the log's last line (dropped; the first, line {line} of the fault list, at {:.6} s, the log ends at {last:.6} s: is the clock right?)",
                s(t)
            );
            self.report.notes.insert(what, n);
        }
    }
}

/// At most this fraction (numerator, denominator) of a fault list may fall outside
/// the log's time span before the import is refused.
const MAX_OUTSIDE: (u64, u64) = (1, 2);

/// Calls that create a process or thread.
fn is_fork(name: &str) -> bool {
    matches!(name, "clone" | "clone3" | "fork" | "vfork")
}

/// Calls whose effect on address spaces faults must see.
fn changes_mappings(name: &str) -> bool {
    is_fork(name)
        || matches!(
            name,
            "mmap" | "mmap2" | "munmap" | "mremap" | "execve" | "execveat"
        )
}
