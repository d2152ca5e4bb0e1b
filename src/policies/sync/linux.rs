//! Sync policy `linux`: Linux dirty throttling and periodic writeback.

use super::{DirtyState, SyncAction, SyncPolicy, dur, fmt_dur};
use crate::params::Knobs;
use crate::policies::{PolicyInfo, Registered};
use crate::spec::Spec;

pub const POLICY: Registered<dyn SyncPolicy> = Registered {
    info: PolicyInfo {
        name: "linux",
        help: "Linux dirty throttling and writeback: background/ratio % of dirtyable memory, flusher every interval writing files dirty longer than expire",
        keys: &[
            ("background", "10", "dirty_background_ratio (%)"),
            ("ratio", "20", "dirty_ratio (%)"),
            ("expire", "30s", "dirty_expire_centisecs"),
            ("interval", "5s", "dirty_writeback_centisecs"),
        ],
    },
    build,
};

fn build(spec: &Spec, _knobs: &mut Knobs) -> Result<Box<dyn SyncPolicy>, String> {
    let background = pct(spec, "background", 10)?;
    let ratio = pct(spec, "ratio", 20)?;
    if background > ratio {
        return Err("sync linux: background must not exceed ratio".into());
    }
    Ok(Box::new(Linux {
        background,
        ratio,
        expire: dur(spec, "expire", "30s")?,
        interval: dur(spec, "interval", "5s")?,
    }))
}

fn pct(spec: &Spec, key: &str, default: u64) -> Result<u64, String> {
    match spec.params.iter().find(|(k, _)| k == key) {
        Some((_, v)) => {
            let n: u64 = v
                .parse()
                .map_err(|_| format!("sync {}: {key}={v} is not a percentage", spec.name))?;
            if !(1..=100).contains(&n) {
                return Err(format!("sync {}: {key} must be from 1 to 100", spec.name));
            }
            Ok(n)
        }
        None => Ok(default),
    }
}

/// Linux dirty throttling and writeback (mm/page-writeback.c, §11.2).
pub struct Linux {
    background: u64,
    ratio: u64,
    expire: u64,
    interval: u64,
}

/// Longest pause balance_dirty_pages imposes on one write (MAX_PAUSE).
const MAX_PAUSE_NS: u64 = 200_000_000;

impl SyncPolicy for Linux {
    fn name(&self) -> &'static str {
        "linux"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("background", self.background.to_string()),
            ("ratio", self.ratio.to_string()),
            ("expire", fmt_dur(self.expire)),
            ("interval", fmt_dur(self.interval)),
        ]
    }

    /// Writers run free below the midpoint of the background and hard thresholds,
    /// and are paused proportionally above it (up to MAX_PAUSE at the hard limit).
    /// Above the background threshold the flusher starts at once.
    fn throttle(&mut self, st: &DirtyState) -> (u64, bool) {
        let bg = st.dirtyable * self.background / 100;
        let hard = st.dirtyable * self.ratio / 100;
        let mid = (bg + hard) / 2;
        let dirty = st.dirty + st.running;
        let pause = if dirty > mid && hard > mid {
            let over = (dirty - mid).min(hard - mid);
            MAX_PAUSE_NS * over / (hard - mid)
        } else if dirty > mid {
            MAX_PAUSE_NS
        } else {
            0
        };
        (pause, st.dirty > bg)
    }

    fn next_wakeup(&self, now: u64) -> Option<u64> {
        Some((now / self.interval + 1).saturating_mul(self.interval))
    }

    fn on_wakeup(&mut self, _now: u64, st: &DirtyState, out: &mut Vec<SyncAction>) {
        out.push(SyncAction::FlushOlderThan(self.expire));
        let bg = st.dirtyable * self.background / 100;
        if st.dirty > bg {
            out.push(SyncAction::FlushUntilBelow(bg));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_throttle_is_proportional_above_the_midpoint() {
        let mut l = Linux {
            background: 10,
            ratio: 20,
            expire: 30_000_000_000,
            interval: 5_000_000_000,
        };
        let st = |dirty| DirtyState {
            dirty,
            running: 0,
            dirtyable: 1000,
        };
        assert_eq!(l.throttle(&st(100)), (0, false)); // at bg: free
        assert_eq!(l.throttle(&st(150)), (0, true)); // midpoint: free, flusher on
        assert_eq!(l.throttle(&st(175)).0, MAX_PAUSE_NS / 2);
        assert_eq!(l.throttle(&st(300)).0, MAX_PAUSE_NS);
    }
}
