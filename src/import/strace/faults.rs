//! Page faults to merge: `perf script` output or a CSV, put on the trace's clock.
//!
//! Two forms are read, told apart by the first data line:
//!
//! * `perf script` of `exceptions:page_fault_user` (`comm pid[/tid] [cpu] secs:
//!   exceptions:page_fault_user: address=0x.. ip=0x.. error_code=0x..`). perf's
//!   clock is not strace's, so its times are shifted onto the trace: by
//!   `perf_offset_ns` when given (trace ns = perf ns + offset); else, when perf
//!   recorded wall-clock time (`perf record -k CLOCK_REALTIME`: epoch seconds) and the
//!   log has `-ttt`, exactly; else by aligning the first fault of the log's first
//!   process with the moment that process's first logged call returned (its execve:
//!   a new program faults at once), rounded to whole quarter hours when perf has epoch
//!   times and the log only the time of day (the time zone). The last is an estimate,
//!   good to the latency of that first fault (microseconds).
//! * CSV `time,pid,address,error_code` (header optional, columns found by name).
//!   `time` is on the log's clock, written like the log's timestamps (`18:08:58.2453`
//!   for `-tt`, epoch seconds for `-ttt`, seconds since the first line for `-r` or
//!   untimed logs); a column named `time_ns` instead is already trace time.
//!
//! Addresses and error codes are hex (`0x..`) or decimal; bit 1 of the error code
//! (value 2) marks a write.

use std::collections::VecDeque;

use super::clock::{Clock, EPOCH_MIN_S, Form};
use super::values::{parse_int, parse_seconds, parse_u64};
use crate::trace::{Input, TraceError};

/// Faults read ahead at most while looking for the one to align on.
const ALIGN_LOOKAHEAD: usize = 1_000_000;
const QUARTER_HOUR_NS: i128 = 900_000_000_000;

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
    /// perf seconds, as ns.
    Perf(u64),
    /// CSV `time_ns`: trace time already.
    Trace(i128),
    /// CSV `time`: the log's notation, converted once the log's clock is known.
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
    /// Column indexes of time, pid, address, error_code; whether time is `time_ns`.
    Csv([usize; 4], bool),
}

/// A fault file being read, with the shift that puts perf times on the trace.
pub struct FaultSource {
    input: Input,
    path: String,
    lineno: u64,
    shape: Shape,
    ahead: VecDeque<Raw>,
    eof: bool,
    /// trace ns = perf ns + shift (set by [`FaultSource::align`]).
    shift: Option<i128>,
    /// `--perf-offset-ns` when given: added to times of every form, so a CSV on
    /// another clock can be shifted too.
    offset: i128,
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
        Ok(FaultSource {
            input: Input::open(path)?,
            path: path.to_string(),
            lineno: 0,
            shape: Shape::Unknown,
            ahead: VecDeque::new(),
            eof: false,
            shift: None,
            offset: 0,
            buf: Vec::new(),
        })
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
            if line.is_empty() || line.starts_with('#') {
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
                Shape::Csv(cols, ns) => self.csv_line(line, cols, ns)?,
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
        Ok(Raw {
            time: RawTime::Perf(t),
            pid,
            addr,
            write: code & 2 != 0,
            line: l,
        })
    }

    fn csv_line(&self, line: &str, cols: [usize; 4], ns: bool) -> Result<Raw, TraceError> {
        let l = self.lineno;
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let get = |i: usize, name: &str| {
            f.get(cols[i])
                .copied()
                .ok_or_else(|| err(&self.path, l, name, line, format!("missing column {name}")))
        };
        let t = get(0, "time")?;
        let time = if ns {
            RawTime::Trace(i128::from(parse_int(t).ok_or_else(|| {
                err(&self.path, l, "time_ns", t, format!("bad time \"{t}\""))
            })?))
        } else {
            RawTime::Log(t.to_string())
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

    /// Fix the shift for perf times, once the log's first line is known: `pid` is its
    /// process and `ret_time` (trace ns) when its call returned.
    pub fn align(
        &mut self,
        pid: u32,
        ret_time: u64,
        clock: &Clock,
        offset: Option<i64>,
    ) -> Result<(), TraceError> {
        if let Some(o) = offset {
            self.shift = Some(i128::from(o));
            self.offset = i128::from(o);
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
        let RawTime::Perf(f) = self.ahead[first].time else {
            return Ok(());
        };
        let f = i128::from(f);
        let e = i128::from(ret_time);
        let origin = i128::from(clock.to_abs(0));
        let perf_epoch = f >= i128::from(EPOCH_MIN_S) * 1_000_000_000;
        self.shift = Some(match clock.form() {
            Some(Form::Epoch) if perf_epoch => -origin,
            Some(Form::TimeOfDay) if perf_epoch => {
                let est = origin + e - f;
                let q = (est + QUARTER_HOUR_NS / 2).div_euclid(QUARTER_HOUR_NS);
                q * QUARTER_HOUR_NS - origin
            }
            _ => e - f,
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
        let time = match &raw.time {
            RawTime::Perf(t) => i128::from(*t) + self.shift.unwrap_or(0),
            RawTime::Trace(t) => *t + self.offset,
            RawTime::Log(s) => {
                self.offset
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

/// The CSV columns (time, pid, address, error_code) from a header, or the default
/// order; and whether `line` was a header.
fn csv_shape(line: &str) -> (Shape, bool) {
    let first = line.chars().next().unwrap_or('0');
    if !first.is_ascii_alphabetic() {
        return (Shape::Csv([0, 1, 2, 3], false), false);
    }
    let names: Vec<String> = line
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    let find = |cands: &[&str], dflt: usize| {
        names
            .iter()
            .position(|n| cands.contains(&n.as_str()))
            .unwrap_or(dflt)
    };
    let ns = names.iter().any(|n| n == "time_ns");
    let cols = [
        find(&["time", "time_ns", "timestamp"], 0),
        find(&["pid", "tid"], 1),
        find(&["address", "addr"], 2),
        find(&["error_code", "error", "err", "code"], 3),
    ];
    (Shape::Csv(cols, ns), true)
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
        FaultSource {
            input,
            path: "f.txt".into(),
            lineno: 0,
            shape: Shape::Unknown,
            ahead: VecDeque::new(),
            eof: false,
            shift: None,
            offset: 0,
            buf: Vec::new(),
        }
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
}
