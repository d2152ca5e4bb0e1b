//! Sync-threshold family: when dirty data is written back, and how writers are held
//! back. `dragonfly` keeps the kernel's own mechanisms (forced-sync putpages, the
//! buf_daemon floor, dirty-severe bawrite, the syncer); the others replace all four
//! with their own flusher, driven by [`SyncPolicy::on_wakeup`] and
//! [`SyncPolicy::throttle`].

use super::{PolicyInfo, Spec, lookup};
use crate::params::Knobs;
use crate::units::parse_duration_ns;

/// The dirty-memory picture a sync policy decides on.
#[derive(Clone, Copy, Debug, Default)]
pub struct DirtyState {
    /// Bytes dirty in pages and buffers.
    pub dirty: u64,
    /// Bytes of write I/O in flight.
    pub running: u64,
    /// Memory that could hold file data: free + cache + inactive + active pages.
    pub dirtyable: u64,
}

/// What a policy's flusher asks the engine to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncAction {
    /// Everything dirty.
    FlushAll,
    /// Every file that became dirty at least this long ago (ns).
    FlushOlderThan(u64),
    /// Oldest dirty data until at most this many bytes are dirty.
    FlushUntilBelow(u64),
}

/// A sync-threshold policy.
pub trait SyncPolicy: Send {
    fn name(&self) -> &'static str;
    fn params(&self) -> Vec<(&'static str, String)>;
    /// Whether DragonFly's own mechanisms run (buf_daemon, syncer, dirty-severe
    /// bawrite, forced-sync putpages).
    fn kernel_mechanisms(&self) -> bool {
        false
    }
    /// Every write(2) (and every store) goes to the device synchronously.
    fn writethrough(&self) -> bool {
        false
    }
    /// After a write dirtied data: how long the writer pauses (ns), and whether the
    /// flusher should run now.
    fn throttle(&mut self, _st: &DirtyState) -> (u64, bool) {
        (0, false)
    }
    /// The flusher's next wake-up after `now` (ns), if it has a timer.
    fn next_wakeup(&self, _now: u64) -> Option<u64> {
        None
    }
    /// The flusher runs at `now`.
    fn on_wakeup(&mut self, _now: u64, _st: &DirtyState, _out: &mut Vec<SyncAction>) {}
    fn spec(&self) -> String {
        Spec::render(self.name(), &self.params())
    }
}

pub const POLICIES: &[PolicyInfo] = &[
    PolicyInfo {
        name: "dragonfly",
        help: "the kernel's: forced sync below v_pageout_free_min, buf_daemon floor and 1 s wake-up, dirty-severe bawrite, syncer",
        keys: &[
            ("hidirty", "auto", "vfs.hidirtybufspace"),
            ("lodirty", "auto", "vfs.lodirtybufspace"),
            ("hirunning", "auto", "vfs.hirunningspace"),
            ("filedelay", "30", "kern.filedelay (s)"),
            ("syncdelay", "30", "kern.syncdelay (s)"),
            ("lazy", "1M", "lazy flush per syncer visit"),
            ("forced_sync", "x1", "off | x1 | x4"),
        ],
    },
    PolicyInfo {
        name: "linux",
        help: "Linux dirty throttling and writeback: background/ratio % of dirtyable memory, flusher every interval writing files dirty longer than expire",
        keys: &[
            ("background", "10", "dirty_background_ratio (%)"),
            ("ratio", "20", "dirty_ratio (%)"),
            ("expire", "30s", "dirty_expire_centisecs"),
            ("interval", "5s", "dirty_writeback_centisecs"),
        ],
    },
    PolicyInfo {
        name: "periodic",
        help: "the classic update daemon: everything dirty is written every interval, nothing else",
        keys: &[("interval", "30s", "period")],
    },
    PolicyInfo {
        name: "writethrough",
        help: "every write and store is synchronous (lower bound on dirty memory, upper bound on write I/O)",
        keys: &[],
    },
];

fn dur(spec: &Spec, key: &str, default: &str) -> Result<u64, String> {
    let v = spec
        .params
        .iter()
        .find(|(k, _)| k == key)
        .map_or(default, |(_, v)| v.as_str());
    let ns = parse_duration_ns(v).map_err(|e| format!("sync {}: {key}: {e}", spec.name))?;
    if ns == 0 {
        return Err(format!(
            "sync {}: {key} must be greater than zero",
            spec.name
        ));
    }
    Ok(ns)
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

/// The largest unit that shows `ns` exactly, so the spec parses back to the same value
/// (`interval=1500us` must not be shown as `1ms`, nor `interval=1` as an invalid `0ms`).
fn fmt_dur(ns: u64) -> String {
    for (m, u) in [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")] {
        if ns.is_multiple_of(m) {
            return format!("{}{u}", ns / m);
        }
    }
    format!("{ns}ns")
}

/// Parse a sync spec; dragonfly's keys set the corresponding kernel knobs.
pub fn parse(s: &str, knobs: &mut Knobs) -> Result<Box<dyn SyncPolicy>, String> {
    let (spec, info) = lookup("sync", s, POLICIES)?;
    Ok(match info.name {
        "dragonfly" => {
            for (k, v) in &spec.params {
                let r = match k.as_str() {
                    "hidirty" => knobs.set(&format!("vfs.hidirtybufspace={v}")),
                    "lodirty" => knobs.set(&format!("vfs.lodirtybufspace={v}")),
                    "hirunning" => knobs.set(&format!("vfs.hirunningspace={v}")),
                    "filedelay" => knobs.set(&format!("kern.filedelay={v}")),
                    "syncdelay" => knobs.set(&format!("kern.syncdelay={v}")),
                    "lazy" => knobs.set(&format!("lazy_limit={v}")),
                    "forced_sync" => knobs.set(&format!("forced_sync={v}")),
                    _ => Ok(()),
                };
                r.map_err(|e| format!("sync dragonfly: {e}"))?;
            }
            Box::new(Dragonfly {
                knobs: knobs.clone(),
            })
        }
        "linux" => {
            let background = pct(&spec, "background", 10)?;
            let ratio = pct(&spec, "ratio", 20)?;
            if background > ratio {
                return Err("sync linux: background must not exceed ratio".into());
            }
            Box::new(Linux {
                background,
                ratio,
                expire: dur(&spec, "expire", "30s")?,
                interval: dur(&spec, "interval", "5s")?,
            })
        }
        "periodic" => Box::new(Periodic {
            interval: dur(&spec, "interval", "30s")?,
        }),
        _ => Box::new(Writethrough),
    })
}

/// DragonFly's own thresholds (parts 1–2).
pub struct Dragonfly {
    knobs: Knobs,
}

impl SyncPolicy for Dragonfly {
    fn name(&self) -> &'static str {
        "dragonfly"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let k = &self.knobs;
        let opt = |o: Option<u64>| o.map_or_else(|| "auto".into(), crate::units::format_size_exact);
        vec![
            ("hidirty", opt(k.hidirtybufspace)),
            ("lodirty", opt(k.lodirtybufspace)),
            ("hirunning", opt(k.hirunningspace)),
            ("filedelay", k.filedelay.to_string()),
            ("syncdelay", k.syncdelay.to_string()),
            ("lazy", crate::units::format_size_exact(k.lazy_limit)),
            (
                "forced_sync",
                match k.forced_sync {
                    crate::params::ForcedSync::Off => "off".into(),
                    crate::params::ForcedSync::X1 => "x1".into(),
                    crate::params::ForcedSync::X4 => "x4".into(),
                },
            ),
        ]
    }

    fn kernel_mechanisms(&self) -> bool {
        true
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

/// Everything dirty written every `interval`.
pub struct Periodic {
    interval: u64,
}

impl SyncPolicy for Periodic {
    fn name(&self) -> &'static str {
        "periodic"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("interval", fmt_dur(self.interval))]
    }

    fn next_wakeup(&self, now: u64) -> Option<u64> {
        Some((now / self.interval + 1).saturating_mul(self.interval))
    }

    fn on_wakeup(&mut self, _now: u64, _st: &DirtyState, out: &mut Vec<SyncAction>) {
        out.push(SyncAction::FlushAll);
    }
}

/// Every write synchronous.
pub struct Writethrough;

impl SyncPolicy for Writethrough {
    fn name(&self) -> &'static str {
        "writethrough"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn writethrough(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_round_trip() {
        for s in [
            "dragonfly",
            "dragonfly:forced_sync=off,lazy=4M",
            "linux",
            "linux:background=5,ratio=40,expire=10s,interval=1s",
            "periodic:interval=2s",
            "writethrough",
        ] {
            let mut k = Knobs::default();
            let p = parse(s, &mut k).unwrap();
            let spec = p.spec();
            let mut k2 = Knobs::default();
            assert_eq!(parse(&spec, &mut k2).unwrap().spec(), spec, "{s}");
        }
        let mut k = Knobs::default();
        assert!(parse("linux:background=30,ratio=20", &mut k).is_err());
        assert!(parse("periodic:interval=0s", &mut k).is_err());
        let e = parse("lazy", &mut k).err().unwrap();
        assert!(
            e.contains("writethrough") && e.contains("periodic[:interval]"),
            "{e}"
        );
    }

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
