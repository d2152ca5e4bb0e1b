//! Page faults to merge: `perf script` output or a CSV, put on the trace's clock.
//!
//! Two forms are read, told apart by the first data line:
//!
//! * `perf script` of `exceptions:page_fault_user` (`comm pid[/tid] [cpu] secs:
//!   exceptions:page_fault_user: address=0x.. ip=0x.. error_code=0x..`);
//! * CSV `time,pid,address,error_code` (header optional, columns found by name, extra
//!   columns such as `tid` ignored).
//!
//! Each fault time is on some clock ([`FaultClock`]), stated by `--faults-clock`
//! (which wins), else by a `clock` column, else by a header comment (`# clock:
//! monotonic`, or perf's own `# clockid: monotonic (1)` that `perf script --header`
//! prints), else not at all (the forms' old meanings below). It is put on the trace's
//! clock (ns since the first strace line):
//!
//! * `--perf-offset-ns` given: trace ns = fault ns + offset, for every form and clock;
//! * `strace`: a CSV `time` is written like the log's timestamps (`18:08:58.2453` for
//!   `-tt`, epoch seconds for `-ttt`, seconds since the first line for `-r` or
//!   untimed logs); a `time_ns` is trace time already. This is what an unstated CSV
//!   clock means;
//! * `realtime` (CLOCK_REALTIME, epoch): exact against a `-ttt` log; against a `-tt`
//!   log (time of day, time zone unknown) the first fault of the log's first process
//!   is matched to the moment that process's first logged call returned (its execve:
//!   a new program faults at once), rounded to whole quarter hours (the time zone);
//! * `monotonic` (CLOCK_MONOTONIC, since boot): moved onto the wall clock by a clock
//!   pair, one instant read on both clocks — perf's `# reference time: ... (TOD) =
//!   ... (monotonic)` header line (in `perf script --header` output, or copied into a
//!   CSV) or one given by the caller (`vpsim record` takes its own) — then as
//!   `realtime`. Without a pair, the first-fault match above (an estimate, good to
//!   that fault's latency: microseconds);
//! * unstated perf output: epoch-sized times are `realtime`, others are matched on
//!   the first fault.
//!
//! How the times were aligned is reported ([`FaultSource::alignment`]). CSV `time`
//! values on `realtime`/`monotonic` are seconds (`8185.201`), `time_ns` values ns.
//! Addresses and error codes are hex (`0x..`) or decimal; bit 1 of the error code
//! (value 2) marks a write.

use std::collections::VecDeque;

use super::clock::{Clock, EPOCH_MIN_S, Form};
use super::values::{parse_int, parse_seconds, parse_u64};
use crate::trace::{Input, TraceError};

/// Faults read ahead at most while looking for the one to align on.
const ALIGN_LOOKAHEAD: usize = 1_000_000;
const QUARTER_HOUR_NS: i128 = 900_000_000_000;
const EPOCH_MIN_NS: i128 = EPOCH_MIN_S as i128 * 1_000_000_000;

/// The clock a fault list's times are on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FaultClock {
    /// CLOCK_REALTIME: since the epoch, like strace -ttt (perf record -k CLOCK_REALTIME).
    Realtime,
    /// CLOCK_MONOTONIC: since boot (perf record -k CLOCK_MONOTONIC).
    Monotonic,
    /// The strace log's own clock: `time` written like its timestamps, `time_ns` in ns since its first line.
    Strace,
}

impl FaultClock {
    /// The clock a `clock` column value, `# clock:` comment or perf `# clockid:` names.
    pub fn from_name(s: &str) -> Option<FaultClock> {
        let s = s.trim().to_ascii_lowercase();
        let s = s.strip_prefix("clock_").unwrap_or(&s);
        let word = s.split([' ', '(']).next().unwrap_or("");
        match word {
            "realtime" | "tod" | "wall" => Some(FaultClock::Realtime),
            "monotonic" => Some(FaultClock::Monotonic),
            "strace" | "log" | "trace" => Some(FaultClock::Strace),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            FaultClock::Realtime => "CLOCK_REALTIME",
            FaultClock::Monotonic => "CLOCK_MONOTONIC",
            FaultClock::Strace => "the log's clock",
        }
    }
}

/// One instant read on both clocks: realtime = monotonic + (realtime_ns - monotonic_ns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockPair {
    pub realtime_ns: i128,
    pub monotonic_ns: i128,
}

impl ClockPair {
    /// perf's `# reference time: 2026-12-04 20:10:25.683492 = 1796415025.683492 (TOD)
    /// = 30370.621520246 (monotonic)` header line (`None` for other lines and clocks).
    pub fn from_perf_header(line: &str) -> Option<ClockPair> {
        let rest = line.trim_start_matches('#').trim();
        let rest = rest.strip_prefix("reference time:")?;
        let parts: Vec<&str> = rest.split('=').map(str::trim).collect();
        let [_, tod, mono] = parts[..] else {
            return None;
        };
        let (tod, unit) = tod.split_once(' ')?;
        let (mono, clock) = mono.split_once(' ')?;
        if unit != "(TOD)"
            || FaultClock::from_name(clock.trim_matches(['(', ')'])) != Some(FaultClock::Monotonic)
        {
            return None;
        }
        Some(ClockPair {
            realtime_ns: i128::from(parse_seconds(tod)?),
            monotonic_ns: i128::from(parse_seconds(mono)?),
        })
    }

    /// Read both clocks now (back to back: the pair is good to well under a microsecond).
    pub fn now() -> Option<ClockPair> {
        fn read(id: libc::clockid_t) -> Option<i128> {
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: `ts` is a valid, writable timespec; the clock ids are constants.
            let r = unsafe { libc::clock_gettime(id, &mut ts) };
            (r == 0).then(|| i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec))
        }
        let monotonic_ns = read(libc::CLOCK_MONOTONIC)?;
        let realtime_ns = read(libc::CLOCK_REALTIME)?;
        Some(ClockPair {
            realtime_ns,
            monotonic_ns,
        })
    }

    fn delta(self) -> i128 {
        self.realtime_ns - self.monotonic_ns
    }
}

/// One fault, on the trace's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Trace time (ns since the first strace line; negative = before it).
    pub time: i128,
    pub pid: u32,
    pub addr: u64,
    pub write: bool,
    /// Line of the fault list it came from.
    pub line: u64,
}

#[derive(Clone, Debug)]
enum RawTime {
    /// ns on a stated clock (realtime or monotonic).
    On(FaultClock, i128),
    /// perf seconds on an unstated clock, as ns.
    Perf(u64),
    /// CSV `time_ns` on the log's clock: trace time already.
    Trace(i128),
    /// CSV `time` on the log's clock: its notation, converted once the clock is known.
    Log(String),
}

#[derive(Clone, Debug)]
struct Raw {
    time: RawTime,
    pid: u32,
    addr: u64,
    write: bool,
    line: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Unknown,
    Perf,
    /// Column indexes of time, pid, address, error_code, clock (if any); whether time is `time_ns`.
    Csv([usize; 4], Option<usize>, bool),
}

/// The shifts (trace ns = clock ns + shift) found by [`FaultSource::align`].
#[derive(Clone, Copy, Debug, Default)]
struct Shifts {
    realtime: Option<i128>,
    monotonic: Option<i128>,
    perf: Option<i128>,
    /// The first-fault match, for anything left without a shift.
    fallback: i128,
}

/// A fault file being read, with the shifts that put its times on the trace.
pub struct FaultSource {
    input: Input,
    path: String,
    lineno: u64,
    shape: Shape,
    ahead: VecDeque<Raw>,
    eof: bool,
    /// `--faults-clock`: wins over what the file says.
    forced: Option<FaultClock>,
    /// The clock a header comment states.
    header_clock: Option<FaultClock>,
    /// A clock pair from the caller, else from perf's `# reference time` line.
    pair: Option<ClockPair>,
    header_pair: Option<ClockPair>,
    shifts: Shifts,
    /// `--perf-offset-ns` when given: added to times of every form and clock.
    offset: Option<i128>,
    alignment: Option<String>,
    buf: Vec<u8>,
}

fn err(path: &str, line: u64, column: &str, text: &str, msg: String) -> TraceError {
    TraceError::parse(path, line, Some(column), text, msg)
}

impl FaultSource {
    /// The fault list's path, as messages name it.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn open(path: &str) -> Result<FaultSource, TraceError> {
        Ok(FaultSource::new(Input::open(path)?, path))
    }

    fn new(input: Input, path: &str) -> FaultSource {
        FaultSource {
            input,
            path: path.to_string(),
            lineno: 0,
            shape: Shape::Unknown,
            ahead: VecDeque::new(),
            eof: false,
            forced: None,
            header_clock: None,
            pair: None,
            header_pair: None,
            shifts: Shifts::default(),
            offset: None,
            alignment: None,
            buf: Vec::new(),
        }
    }

    /// State the clock (`--faults-clock`, over anything the file says) and a clock
    /// pair taken by the caller (over the file's perf reference time).
    pub fn set_clock(&mut self, clock: Option<FaultClock>, pair: Option<ClockPair>) {
        self.forced = clock;
        self.pair = pair;
    }

    /// How the fault times were put on the log's clock, once [`FaultSource::align`] ran
    /// and found a fault.
    pub fn alignment(&self) -> Option<&str> {
        self.alignment.as_deref()
    }

    /// A `#` line: perf's `# clockid:` and `# reference time:`, or `# clock: NAME`.
    fn comment(&mut self, line: &str) -> Result<(), TraceError> {
        let body = line.trim_start_matches('#').trim();
        if let Some(p) = ClockPair::from_perf_header(line) {
            self.header_pair = Some(p);
        } else if let Some(v) = body
            .strip_prefix("clockid:")
            .or_else(|| body.strip_prefix("clock:"))
        {
            let c = FaultClock::from_name(v);
            if c.is_none() && body.starts_with("clock:") {
                return Err(err(
                    &self.path,
                    self.lineno,
                    "clock",
                    line,
                    format!(
                        "unknown clock \"{}\" (realtime, monotonic or strace)",
                        v.trim()
                    ),
                ));
            }
            // perf's other clocks (boottime, tai, ...) stay unstated: matched on the first fault.
            self.header_clock = c;
        }
        Ok(())
    }

    /// The clock stated for a row whose `clock` column (if any) says `col`.
    fn row_clock(&self, col: Option<&str>) -> Result<Option<FaultClock>, TraceError> {
        if self.forced.is_some() {
            return Ok(self.forced);
        }
        if let Some(c) = col.filter(|c| !c.is_empty()) {
            return FaultClock::from_name(c).map(Some).ok_or_else(|| {
                err(
                    &self.path,
                    self.lineno,
                    "clock",
                    c,
                    format!("unknown clock \"{c}\" (realtime, monotonic or strace)"),
                )
            });
        }
        Ok(self.header_clock)
    }

    /// Read one more fault into `ahead`; false at the end of the file.
    fn read_one(&mut self) -> Result<bool, TraceError> {
        loop {
            if self.eof {
                return Ok(false);
            }
            self.buf.clear();
            let n = self
                .input
                .reader()
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| TraceError::io(&self.path, format!("cannot read: {e}")))?;
            if n == 0 {
                self.eof = true;
                return Ok(false);
            }
            self.lineno += 1;
            let text = String::from_utf8_lossy(&self.buf).into_owned();
            let line = text.trim();
            if line.starts_with('#') {
                self.comment(line)?;
                continue;
            }
            if line.is_empty() {
                continue;
            }
            if self.shape == Shape::Unknown {
                self.shape = if line.contains("page_fault_user") {
                    Shape::Perf
                } else {
                    let (shape, header) = csv_shape(line);
                    if header {
                        self.shape = shape;
                        continue;
                    }
                    shape
                };
            }
            let raw = match self.shape {
                Shape::Perf => {
                    if !line.contains("page_fault_user") {
                        continue;
                    }
                    self.perf_line(line)?
                }
                Shape::Csv(cols, clock, ns) => self.csv_line(line, cols, clock, ns)?,
                Shape::Unknown => continue,
            };
            self.ahead.push_back(raw);
            return Ok(true);
        }
    }

    fn perf_line(&self, line: &str) -> Result<Raw, TraceError> {
        let l = self.lineno;
        let toks: Vec<&str> = line.split_whitespace().collect();
        let ev = toks
            .iter()
            .position(|t| t.contains("page_fault_user"))
            .unwrap_or(toks.len());
        let ti = toks[..ev]
            .iter()
            .rposition(|t| t.ends_with(':') && parse_seconds(&t[..t.len() - 1]).is_some())
            .ok_or_else(|| err(&self.path, l, "time", line, "no perf timestamp".into()))?;
        let t = parse_seconds(&toks[ti][..toks[ti].len() - 1]).unwrap_or(0);
        let mut pi = ti;
        if pi > 0 && toks[pi - 1].starts_with('[') {
            pi -= 1;
        }
        let pid_tok = pi
            .checked_sub(1)
            .map(|i| toks[i])
            .ok_or_else(|| err(&self.path, l, "pid", line, "no pid".into()))?;
        let tid = pid_tok.rsplit('/').next().unwrap_or(pid_tok);
        let pid = tid.parse::<u32>().map_err(|_| {
            err(
                &self.path,
                l,
                "pid",
                pid_tok,
                format!("bad pid \"{pid_tok}\""),
            )
        })?;
        let val = |key: &str| toks[ev..].iter().find_map(|t| t.strip_prefix(key));
        let a = val("address=")
            .ok_or_else(|| err(&self.path, l, "address", line, "no address=".into()))?;
        let addr = parse_u64(a)
            .ok_or_else(|| err(&self.path, l, "address", a, format!("bad address \"{a}\"")))?;
        let e = val("error_code=").unwrap_or("0");
        let code = parse_u64(e).ok_or_else(|| {
            err(
                &self.path,
                l,
                "error_code",
                e,
                format!("bad error code \"{e}\""),
            )
        })?;
        let time = match self.row_clock(None)? {
            Some(c @ (FaultClock::Realtime | FaultClock::Monotonic)) => {
                RawTime::On(c, i128::from(t))
            }
            // perf seconds on the log's clock: read like a -ttt/-r timestamp.
            Some(FaultClock::Strace) => RawTime::Log(toks[ti][..toks[ti].len() - 1].to_string()),
            None => RawTime::Perf(t),
        };
        Ok(Raw {
            time,
            pid,
            addr,
            write: code & 2 != 0,
            line: l,
        })
    }

    fn csv_line(
        &self,
        line: &str,
        cols: [usize; 4],
        clock_col: Option<usize>,
        ns: bool,
    ) -> Result<Raw, TraceError> {
        let l = self.lineno;
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let get = |i: usize, name: &str| {
            f.get(cols[i])
                .copied()
                .ok_or_else(|| err(&self.path, l, name, line, format!("missing column {name}")))
        };
        let t = get(0, "time")?;
        let clock = self.row_clock(clock_col.and_then(|i| f.get(i).copied()))?;
        let column = if ns { "time_ns" } else { "time" };
        let bad = || err(&self.path, l, column, t, format!("bad time \"{t}\""));
        let time = match (clock, ns) {
            (Some(FaultClock::Strace) | None, true) => {
                RawTime::Trace(i128::from(parse_int(t).ok_or_else(bad)?))
            }
            (Some(FaultClock::Strace) | None, false) => RawTime::Log(t.to_string()),
            (Some(c), true) => RawTime::On(c, i128::from(parse_int(t).ok_or_else(bad)?)),
            (Some(c), false) => RawTime::On(c, i128::from(parse_seconds(t).ok_or_else(bad)?)),
        };
        let p = get(1, "pid")?;
        let pid = p
            .parse::<u32>()
            .map_err(|_| err(&self.path, l, "pid", p, format!("bad pid \"{p}\"")))?;
        let a = get(2, "address")?;
        let addr = parse_u64(a)
            .ok_or_else(|| err(&self.path, l, "address", a, format!("bad address \"{a}\"")))?;
        let e = get(3, "error_code")?;
        let code = parse_u64(e).ok_or_else(|| {
            err(
                &self.path,
                l,
                "error_code",
                e,
                format!("bad error code \"{e}\""),
            )
        })?;
        Ok(Raw {
            time,
            pid,
            addr,
            write: code & 2 != 0,
            line: l,
        })
    }

    /// Fix the shifts of the clocks, once the log's first line is known: `pid` is its
    /// process and `ret_time` (trace ns) when its call returned.
    pub fn align(
        &mut self,
        pid: u32,
        ret_time: u64,
        clock: &Clock,
        offset: Option<i64>,
    ) -> Result<(), TraceError> {
        if let Some(o) = offset {
            let o = i128::from(o);
            self.offset = Some(o);
            self.shifts = Shifts {
                realtime: Some(o),
                monotonic: Some(o),
                perf: Some(o),
                fallback: o,
            };
            self.alignment = Some(format!(
                "fault times shifted by --perf-offset-ns {o} (trace ns = fault ns + offset)"
            ));
            return Ok(());
        }
        // Find the first fault of `pid` (else the first of all).
        let mut i = 0;
        let mut found = None;
        while found.is_none() && i < ALIGN_LOOKAHEAD {
            if i >= self.ahead.len() && !self.read_one()? {
                break;
            }
            if self.ahead[i].pid == pid {
                found = Some(i);
            }
            i += 1;
        }
        let Some(first) = found.or(if self.ahead.is_empty() { None } else { Some(0) }) else {
            return Ok(());
        };
        let pair = self.pair.or(self.header_pair);
        let pair_from = if self.pair.is_some() {
            "a clock pair read when recording began"
        } else {
            "perf's reference time (a clock pair)"
        };
        let e = i128::from(ret_time);
        let origin = i128::from(clock.to_abs(0));
        let form = clock.form();
        // The first fault on its own clock, and on the wall clock when that is known.
        let (own, stated) = match &self.ahead[first].time {
            RawTime::On(c, t) => (Some(*t), Some(*c)),
            RawTime::Perf(t) => (Some(i128::from(*t)), None),
            RawTime::Trace(_) | RawTime::Log(_) => (None, Some(FaultClock::Strace)),
        };
        let wall = match (stated, own) {
            (Some(FaultClock::Realtime), f) => f,
            (Some(FaultClock::Monotonic), Some(f)) => pair.map(|p| f + p.delta()),
            (None, Some(f)) if f >= EPOCH_MIN_NS => Some(f),
            _ => None,
        };
        let fallback = own.map_or(0, |f| e - f);
        let (realtime, how) = match form {
            Some(Form::Epoch) => (Some(-origin), "exactly (the log has -ttt wall-clock times)"),
            Some(Form::TimeOfDay) => (
                wall.map(|f| {
                    let est = origin + e - f;
                    let q = (est + QUARTER_HOUR_NS / 2).div_euclid(QUARTER_HOUR_NS);
                    q * QUARTER_HOUR_NS - origin
                }),
                "to the quarter hour (the log has -tt times of day, its time zone unknown) by the first fault of the log's first process, exact within it",
            ),
            _ => (
                wall.map(|f| e - f),
                "estimated: the log's times are relative, so the first fault of its first process is matched to its first call's return",
            ),
        };
        let monotonic = match (pair, realtime) {
            (Some(p), Some(r)) => Some(r + p.delta()),
            _ if stated == Some(FaultClock::Monotonic) => Some(fallback),
            _ => None,
        };
        let perf = match own {
            Some(f) if f >= EPOCH_MIN_NS && stated.is_none() => realtime,
            _ => None,
        }
        .or(Some(fallback));
        self.shifts = Shifts {
            realtime,
            monotonic,
            perf,
            fallback,
        };
        self.alignment = Some(match stated {
            Some(FaultClock::Strace) => "fault times on the log's clock, taken as they are".into(),
            Some(FaultClock::Realtime) => format!("fault times on CLOCK_REALTIME, aligned {how}"),
            Some(FaultClock::Monotonic) if pair.is_some() && realtime.is_some() => format!(
                "fault times on CLOCK_MONOTONIC, moved to the wall clock by {pair_from}, then aligned {how}"
            ),
            Some(c) => format!(
                "fault times on {}, no clock pair: estimated, the first fault of the log's first process matched to its first call's return",
                c.name()
            ),
            None if perf == realtime && realtime.is_some() => {
                format!("perf fault times on the wall clock (epoch-sized), aligned {how}")
            }
            None => "perf fault times on an unstated clock: estimated, the first fault of the log's first process matched to its first call's return (state the clock with --faults-clock or perf script --header for exact times)".into(),
        });
        Ok(())
    }

    /// The next fault, if its trace time is before `before`. `Err` for malformed
    /// lines; faults whose `time` cannot be read on the log's clock are errors too.
    pub fn next_before(
        &mut self,
        before: i128,
        clock: &Clock,
    ) -> Result<Option<Fault>, TraceError> {
        if self.ahead.is_empty() && !self.read_one()? {
            return Ok(None);
        }
        let Some(raw) = self.ahead.front() else {
            return Ok(None);
        };
        let s = self.shifts;
        let offset = self.offset.unwrap_or(0);
        let time = match &raw.time {
            RawTime::Perf(t) => i128::from(*t) + s.perf.unwrap_or(s.fallback),
            RawTime::On(FaultClock::Realtime, t) => t + s.realtime.unwrap_or(s.fallback),
            RawTime::On(FaultClock::Monotonic, t) => t + s.monotonic.unwrap_or(s.fallback),
            RawTime::On(FaultClock::Strace, t) | RawTime::Trace(t) => *t + offset,
            RawTime::Log(s) => {
                offset
                    + clock.parse_log_time(s).ok_or_else(|| {
                        err(
                            &self.path,
                            raw.line,
                            "time",
                            s,
                            format!("time \"{s}\" is not written like the log's timestamps"),
                        )
                    })?
            }
        };
        if time >= before {
            return Ok(None);
        }
        let f = Fault {
            time,
            pid: raw.pid,
            addr: raw.addr,
            write: raw.write,
            line: raw.line,
        };
        self.ahead.pop_front();
        Ok(Some(f))
    }
}

/// The CSV columns (time, pid, address, error_code; clock) from a header, or the
/// default order; and whether `line` was a header.
fn csv_shape(line: &str) -> (Shape, bool) {
    let first = line.chars().next().unwrap_or('0');
    if !first.is_ascii_alphabetic() {
        return (Shape::Csv([0, 1, 2, 3], None, false), false);
    }
    let names: Vec<String> = line
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    let pos = |cands: &[&str]| names.iter().position(|n| cands.contains(&n.as_str()));
    let ns = names.iter().any(|n| n == "time_ns");
    let cols = [
        pos(&["time", "time_ns", "timestamp"]).unwrap_or(0),
        pos(&["pid"]).or(pos(&["tid"])).unwrap_or(1),
        pos(&["address", "addr"]).unwrap_or(2),
        pos(&["error_code", "error", "err", "code"]).unwrap_or(3),
    ];
    (Shape::Csv(cols, pos(&["clock"]), ns), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> FaultSource {
        let input = Input::from_read(
            "f.txt",
            Box::new(std::io::Cursor::new(text.to_string().into_bytes())),
            None,
        )
        .unwrap();
        FaultSource::new(input, "f.txt")
    }

    fn clock(first: &str) -> Clock {
        let mut c = Clock::default();
        c.stamp(Some(first), 1).unwrap();
        c
    }

    #[test]
    fn perf_lines_aligned_on_the_first_process() {
        let mut s = source(
            "# comment\n  sh 7 [000] 99.000100: exceptions:page_fault_user: address=0x1000 ip=0x1 error_code=0x4\n\
             python3 x 20/21 [001] 100.000500: exceptions:page_fault_user: address=0x7f00 ip=0x2 error_code=0x6\n",
        );
        let c = clock("18:00:00.000000");
        s.align(21, 300_000, &c, None).unwrap();
        let f = s.next_before(i128::MAX, &c).unwrap().unwrap();
        assert_eq!((f.pid, f.addr, f.write), (7, 0x1000, false));
        assert_eq!(f.time, 300_000 - 1_000_400_000);
        let f = s.next_before(i128::MAX, &c).unwrap().unwrap();
        assert_eq!(
            (f.pid, f.addr, f.write, f.time),
            (21, 0x7f00, true, 300_000)
        );
        assert_eq!(s.next_before(i128::MAX, &c).unwrap(), None);
    }

    #[test]
    fn perf_wall_clock_is_exact() {
        let mut s = source(
            "a 5 [0] 1700000000.000200: exceptions:page_fault_user: address=0x1 error_code=0x0\n",
        );
        let c = clock("1700000000.000100");
        s.align(5, 999_999, &c, None).unwrap();
        assert_eq!(s.next_before(i128::MAX, &c).unwrap().unwrap().time, 100_000);
        // Time of day in the log, epoch in perf: aligned to the quarter hour (UTC+1 here).
        let mut s = source(
            "a 5 [0] 1700000000.000200: exceptions:page_fault_user: address=0x1 error_code=0x0\n",
        );
        let tod = (1_700_000_000u64 % 86_400) + 3600;
        let first = format!(
            "{:02}:{:02}:{:02}.000100",
            tod / 3600,
            tod / 60 % 60,
            tod % 60
        );
        let c = clock(&first);
        s.align(5, 5_000_000, &c, None).unwrap();
        assert_eq!(s.next_before(i128::MAX, &c).unwrap().unwrap().time, 100_000);
    }

    #[test]
    fn csv_forms_and_errors() {
        let c = clock("18:08:58.244370");
        let mut s = source("time,pid,address,error_code\n18:08:58.245053,3,0x10,2\n");
        let f = s.next_before(i128::MAX, &c).unwrap().unwrap();
        assert_eq!((f.time, f.pid, f.addr, f.write), (683_000, 3, 16, true));
        let mut s = source("pid,time_ns,error_code,address\n3,500,0,4096\n");
        let f = s.next_before(600, &c).unwrap().unwrap();
        assert_eq!((f.time, f.addr), (500, 4096));
        let mut s = source("1.5,3,0x10,0\n");
        let e = s.next_before(i128::MAX, &c).unwrap_err();
        assert_eq!((e.line(), e.column()), (Some(1), Some("time")));
        let mut s = source("x 1 [0] 5.0: exceptions:page_fault_user: ip=0x1\n");
        let e = s.next_before(i128::MAX, &c).unwrap_err();
        assert_eq!(e.column(), Some("address"));
        let mut s = source("time,pid,address,error_code\n18:08:58.245053,zz,0x10,2\n");
        assert_eq!(
            s.next_before(i128::MAX, &c).unwrap_err().column(),
            Some("pid")
        );
    }

    #[test]
    fn clock_names_and_perf_reference_time() {
        // The line `perf script --header` printed on the project's machine.
        let line = "# reference time: 2026-12-04 20:10:25.683492 = 1796415025.683492 (TOD) = 30370.621520246 (monotonic)";
        let p = ClockPair::from_perf_header(line).unwrap();
        assert_eq!(p.realtime_ns, 1_796_415_025_683_492_000);
        assert_eq!(p.monotonic_ns, 30_370_621_520_246);
        assert_eq!(p.delta(), 1_796_384_655_061_971_754);
        assert_eq!(
            ClockPair::from_perf_header("# reference time: x = 1.0 (TOD) = 2.0 (tai)"),
            None
        );
        assert_eq!(ClockPair::from_perf_header("# captured on: Fri"), None);
        assert_eq!(
            FaultClock::from_name("monotonic (1)"),
            Some(FaultClock::Monotonic)
        );
        assert_eq!(
            FaultClock::from_name(" CLOCK_REALTIME"),
            Some(FaultClock::Realtime)
        );
        assert_eq!(FaultClock::from_name("strace"), Some(FaultClock::Strace));
        assert_eq!(FaultClock::from_name("boottime (7)"), None);
        // A `# clock:` comment naming no clock is an error naming its line.
        let c = clock("1700000000.0");
        let mut s = source("# clock: sundial\n1,2,3,4\n");
        let e = s.next_before(i128::MAX, &c).unwrap_err();
        assert_eq!((e.line(), e.column()), (Some(1), Some("clock")));
        // A bad `clock` column value too.
        let mut s = source("time_ns,pid,address,error_code,clock\n5,1,0x10,0,boot\n");
        let e = s.next_before(i128::MAX, &c).unwrap_err();
        assert_eq!((e.line(), e.column()), (Some(2), Some("clock")));
    }
}
