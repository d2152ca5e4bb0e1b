//! strace timestamps to trace time.
//!
//! Trace time is nanoseconds since the first timestamped line (what the reference
//! events use). The form is fixed by the first line that has a timestamp:
//! `-t`/`-tt` (`HH:MM:SS[.frac]`, wall clock of the day: a step back of more than 12
//! hours is midnight and adds a day), `-ttt` (`seconds.frac` since the epoch) or `-r`
//! (`seconds.frac` since the previous line, summed; told from `-ttt` by size: the first
//! value of a `-r` log is 0 and no epoch time is below [`EPOCH_MIN_S`]). A log without
//! timestamps is timed by line order, 1 µs per line. Times never go backwards: a
//! step back (other than midnight) is clamped to the previous line's time.

use super::values::parse_seconds;

/// Smallest `seconds.frac` value read as an epoch time (-ttt) rather than a delta (-r).
pub const EPOCH_MIN_S: u64 = 100_000_000;
const DAY_NS: u64 = 86_400_000_000_000;
const HALF_DAY_NS: u64 = DAY_NS / 2;
/// Spacing of lines in a log without timestamps.
pub const UNTIMED_STEP_NS: u64 = 1_000;

/// The timestamp form of a log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `-t`/`-tt`: time of day.
    TimeOfDay,
    /// `-ttt`: seconds since the epoch.
    Epoch,
    /// `-r`: seconds since the previous line.
    Relative,
    /// No timestamps: line order.
    Untimed,
}

/// What [`Clock::stamp`] found wrong.
#[derive(Debug, PartialEq, Eq)]
pub enum ClockError {
    /// The timestamp cannot be read.
    Bad,
    /// This line has no timestamp but the log has, or the other way round.
    Missing,
}

/// Turns each line's timestamp into trace nanoseconds.
#[derive(Debug, Default)]
pub struct Clock {
    form: Option<Form>,
    /// Absolute time of the first line on the log's own axis (ns).
    origin: u64,
    /// Last absolute time (for day rollover and `-r` sums).
    last_abs: u64,
    /// Days added for midnight crossings (-t/-tt).
    days: u64,
    /// Last trace time handed out (for clamping).
    last: u64,
    /// Lines clamped because their time went backwards.
    pub clamped: u64,
}

impl Clock {
    pub fn form(&self) -> Option<Form> {
        self.form
    }

    /// The trace time of a line with timestamp token `tok` (or none) that is line
    /// `lineno` of the log.
    pub fn stamp(&mut self, tok: Option<&str>, lineno: u64) -> Result<u64, ClockError> {
        let form = match (self.form, tok) {
            (Some(f), _) => f,
            (None, None) => Form::Untimed,
            (None, Some(t)) if t.contains(':') => Form::TimeOfDay,
            (None, Some(t)) => {
                let v = parse_seconds(t).ok_or(ClockError::Bad)?;
                if v >= EPOCH_MIN_S * 1_000_000_000 {
                    Form::Epoch
                } else {
                    Form::Relative
                }
            }
        };
        let abs = match (form, tok) {
            (Form::Untimed, None) => lineno.saturating_mul(UNTIMED_STEP_NS),
            (Form::Untimed, Some(_)) | (_, None) => return Err(ClockError::Missing),
            (Form::TimeOfDay, Some(t)) => {
                let tod = parse_time_of_day(t).ok_or(ClockError::Bad)?;
                let mut abs = self.days.saturating_mul(DAY_NS).saturating_add(tod);
                if self.form.is_some() && abs + HALF_DAY_NS < self.last_abs {
                    self.days += 1;
                    abs = abs.saturating_add(DAY_NS);
                }
                abs
            }
            (Form::Epoch, Some(t)) => parse_seconds(t).ok_or(ClockError::Bad)?,
            (Form::Relative, Some(t)) => {
                let d = parse_seconds(t).ok_or(ClockError::Bad)?;
                if self.form.is_some() {
                    self.last_abs.saturating_add(d)
                } else {
                    d
                }
            }
        };
        if self.form.is_none() {
            self.form = Some(form);
            self.origin = abs;
        }
        self.last_abs = abs;
        let t = abs.saturating_sub(self.origin);
        if t < self.last {
            self.clamped += 1;
            return Ok(self.last);
        }
        self.last = t;
        Ok(t)
    }

    /// Absolute log time (ns on the log's own axis, days included) of trace time `t`.
    pub fn to_abs(&self, t: u64) -> u64 {
        self.origin.saturating_add(t)
    }

    /// The log's clock reading for a faults-file time written the way the log writes
    /// timestamps (`HH:MM:SS.frac` or seconds), as trace time.
    pub fn parse_log_time(&self, tok: &str) -> Option<i128> {
        let form = self.form?;
        let abs: i128 = match form {
            Form::TimeOfDay => {
                let tod = i128::from(parse_time_of_day(tok)?);
                // The day of the first line; a time of day before it is the next day.
                let day0 = i128::from(self.origin / DAY_NS * DAY_NS);
                let mut a = day0 + tod;
                if a + i128::from(HALF_DAY_NS) < i128::from(self.origin) {
                    a += i128::from(DAY_NS);
                }
                a
            }
            Form::Epoch => i128::from(parse_seconds(tok)?),
            Form::Relative | Form::Untimed => {
                i128::from(self.origin) + i128::from(parse_seconds(tok)?)
            }
        };
        Some(abs - i128::from(self.origin))
    }
}

/// `HH:MM:SS[.frac]` as nanoseconds since midnight.
pub fn parse_time_of_day(s: &str) -> Option<u64> {
    let mut it = s.splitn(3, ':');
    let h: u64 = it.next()?.parse().ok()?;
    let m: u64 = it.next()?.parse().ok()?;
    let sec = parse_seconds(it.next()?)?;
    if h > 23 || m > 59 || sec >= 61_000_000_000 {
        return None;
    }
    Some((h * 3600 + m * 60) * 1_000_000_000 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_of_day_with_midnight() {
        let mut c = Clock::default();
        assert_eq!(c.stamp(Some("23:59:59.999000"), 1), Ok(0));
        assert_eq!(c.stamp(Some("00:00:00.001000"), 2), Ok(2_000_000));
        assert_eq!(c.form(), Some(Form::TimeOfDay));
        assert_eq!(c.stamp(Some("00:00:01"), 3), Ok(1_001_000_000));
        // A small step back is clamped, not a new day.
        assert_eq!(c.stamp(Some("00:00:00.5"), 4), Ok(1_001_000_000));
        assert_eq!(c.clamped, 1);
        assert_eq!(c.stamp(None, 5), Err(ClockError::Missing));
        assert_eq!(c.stamp(Some("25:00:00"), 6), Err(ClockError::Bad));
    }

    #[test]
    fn epoch_relative_untimed() {
        let mut c = Clock::default();
        assert_eq!(c.stamp(Some("1700000000.000100"), 1), Ok(0));
        assert_eq!(c.stamp(Some("1700000000.000350"), 2), Ok(250_000));
        assert_eq!(c.form(), Some(Form::Epoch));
        let mut r = Clock::default();
        assert_eq!(r.stamp(Some("0.000000"), 1), Ok(0));
        assert_eq!(r.stamp(Some("0.000010"), 2), Ok(10_000));
        assert_eq!(r.stamp(Some("0.000005"), 3), Ok(15_000));
        assert_eq!(r.form(), Some(Form::Relative));
        let mut u = Clock::default();
        assert_eq!(u.stamp(None, 1), Ok(0));
        assert_eq!(u.stamp(None, 4), Ok(3_000));
        assert_eq!(u.stamp(Some("1.0"), 5), Err(ClockError::Missing));
    }

    #[test]
    fn log_times_in_fault_files() {
        let mut c = Clock::default();
        c.stamp(Some("18:08:58.244370"), 1).unwrap();
        assert_eq!(c.parse_log_time("18:08:58.245053"), Some(683_000));
        assert_eq!(c.parse_log_time("18:08:58.244000"), Some(-370_000));
        let mut e = Clock::default();
        e.stamp(Some("1700000000.5"), 1).unwrap();
        assert_eq!(e.parse_log_time("1700000001.5"), Some(1_000_000_000));
    }
}
