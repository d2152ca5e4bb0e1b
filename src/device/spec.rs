//! What the simulated disk is: its preset (nvme, ssd, hdd), per-request cost,
//! bandwidth, seek model and queue discipline, as `--device` spells them.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use super::{
    BIOQ_REORDER_BURST_BYTES, BIOQ_REORDER_BURST_INTERVAL, BIOQ_REORDER_MINOR_BYTES,
    BIOQ_REORDER_MINOR_INTERVAL,
};
use crate::stats::Dir;
use crate::units::{parse_bandwidth, parse_duration_ns, parse_size};

const NS_PER_S: u64 = 1_000_000_000;

/// Which preset a [`DeviceSpec`] was built from; decides which keys apply (only an hdd
/// has a seek model).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    Nvme,
    Ssd,
    Hdd,
}

impl DeviceKind {
    pub const ALL: [DeviceKind; 3] = [DeviceKind::Nvme, DeviceKind::Ssd, DeviceKind::Hdd];

    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Nvme => "nvme",
            DeviceKind::Ssd => "ssd",
            DeviceKind::Hdd => "hdd",
        }
    }
}

/// Queueing discipline of the device queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sched {
    /// DragonFly's `bioqdisksort`: reads jump ahead of queued writes, with periodic write
    /// bleed-through so writes are not starved (see [`Device`]).
    #[default]
    DiskSort,
    /// Plain arrival order, to measure what the read priority buys.
    Fifo,
}

impl Sched {
    pub fn name(self) -> &'static str {
        match self {
            Sched::DiskSort => "disksort",
            Sched::Fifo => "fifo",
        }
    }
}

impl FromStr for Sched {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "disksort" => Ok(Sched::DiskSort),
            "fifo" => Ok(Sched::Fifo),
            _ => Err(format!(
                "unknown scheduler \"{s}\": valid schedulers are disksort, fifo"
            )),
        }
    }
}

/// Mechanical cost of moving the head on a rotating disk.
///
/// Seek time grows with the square root of the distance (the arm accelerates then
/// decelerates), from `track_to_track_ns` for the shortest move to `full_stroke_ns` across
/// `span_bytes`. A request that does not start exactly where the previous one ended also
/// waits half a revolution on average.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeekModel {
    pub track_to_track_ns: u64,
    pub full_stroke_ns: u64,
    /// Byte distance that costs a full stroke (the disk's capacity).
    pub span_bytes: u64,
    /// Spindle speed; 0 disables rotational latency.
    pub rpm: u32,
}

impl SeekModel {
    /// Seek time for a head move of `distance` bytes:
    /// `t2t + (full − t2t)·√(distance/span)`, 0 for no move, capped at a full stroke.
    pub fn seek_ns(&self, distance: u64) -> u64 {
        if distance == 0 {
            return 0;
        }
        // f64 division and sqrt are correctly rounded (IEEE 754), so this is deterministic
        // on every platform.
        let frac = (distance as f64 / self.span_bytes.max(1) as f64).min(1.0);
        let extra = self.full_stroke_ns.saturating_sub(self.track_to_track_ns) as f64;
        self.track_to_track_ns
            .saturating_add((extra * frac.sqrt()).round() as u64)
    }

    /// Average rotational latency: half a revolution, `30e9 / rpm` ns, rounded.
    pub fn rotational_latency_ns(&self) -> u64 {
        if self.rpm == 0 {
            return 0;
        }
        let rpm = u64::from(self.rpm);
        (30 * NS_PER_S + rpm / 2) / rpm
    }
}

/// Parameters of the simulated disk. Build one with a preset ([`DeviceSpec::nvme`],
/// [`DeviceSpec::ssd`], [`DeviceSpec::hdd`]) or parse a string (see the [`FromStr`] impl).
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceSpec {
    pub kind: DeviceKind,
    /// Fixed cost of every request (command overhead, flash access), ns.
    pub lat_ns: u64,
    /// Read bandwidth, bytes per second.
    pub read_bw: u64,
    /// Write bandwidth, bytes per second.
    pub write_bw: u64,
    /// Seek and rotation; `Some` only for an hdd.
    pub seek: Option<SeekModel>,
    pub sched: Sched,
}

impl DeviceSpec {
    /// Preset names accepted by the parser.
    pub const PRESETS: [&'static str; 3] = ["nvme", "ssd", "hdd"];
    /// Keys accepted after `preset:`; the last four only for hdd.
    pub const KEYS: [&'static str; 9] = [
        "lat", "bw", "rbw", "wbw", "sched", "seek", "t2t", "rpm", "span",
    ];

    /// A PCIe NVMe drive: 20 us per request, 3 GiB/s read, 2 GiB/s write.
    pub fn nvme() -> Self {
        DeviceSpec {
            kind: DeviceKind::Nvme,
            lat_ns: 20_000,
            read_bw: 3 << 30,
            write_bw: 2 << 30,
            seek: None,
            sched: Sched::DiskSort,
        }
    }

    /// A SATA SSD: 80 us per request, 500 MiB/s read, 450 MiB/s write.
    pub fn ssd() -> Self {
        DeviceSpec {
            kind: DeviceKind::Ssd,
            lat_ns: 80_000,
            read_bw: 500 << 20,
            write_bw: 450 << 20,
            seek: None,
            sched: Sched::DiskSort,
        }
    }

    /// A 7200 rpm SATA disk: 0.1 ms controller overhead, 150 MiB/s both ways, seek from
    /// 0.5 ms track-to-track to 15 ms full stroke over 1 TiB, 4.17 ms average rotational
    /// latency on every non-sequential request.
    pub fn hdd() -> Self {
        DeviceSpec {
            kind: DeviceKind::Hdd,
            lat_ns: 100_000,
            read_bw: 150 << 20,
            write_bw: 150 << 20,
            seek: Some(SeekModel {
                track_to_track_ns: 500_000,
                full_stroke_ns: 15_000_000,
                span_bytes: 1 << 40,
                rpm: 7200,
            }),
            sched: Sched::DiskSort,
        }
    }

    /// The preset for `kind`.
    pub fn preset(kind: DeviceKind) -> Self {
        match kind {
            DeviceKind::Nvme => Self::nvme(),
            DeviceKind::Ssd => Self::ssd(),
            DeviceKind::Hdd => Self::hdd(),
        }
    }

    /// Service time of one request with the head at `head` (the end of the previous
    /// request): `lat + ⌈bytes·1e9/bw⌉`, plus on an hdd seek and average rotational
    /// latency unless the request starts exactly at `head` (sequential).
    pub fn service_ns(&self, dir: Dir, disk_offset: u64, bytes: u64, head: u64) -> u64 {
        let bw = match dir {
            Dir::Read => self.read_bw,
            Dir::Write => self.write_bw,
        }
        .max(1) as u128;
        let xfer = (u128::from(bytes) * u128::from(NS_PER_S)).div_ceil(bw);
        let mut t = self
            .lat_ns
            .saturating_add(u64::try_from(xfer).unwrap_or(u64::MAX));
        if let Some(m) = &self.seek
            && disk_offset != head
        {
            t = t
                .saturating_add(m.seek_ns(disk_offset.abs_diff(head)))
                .saturating_add(m.rotational_latency_ns());
        }
        t
    }

    /// The effective configuration as a string [`FromStr`] parses back to `self`, e.g.
    /// `ssd:lat=80us,rbw=500M,wbw=450M,sched=disksort`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{}:lat={},rbw={},wbw={}",
            self.kind.name(),
            fmt_duration(self.lat_ns),
            crate::units::format_size_exact(self.read_bw),
            crate::units::format_size_exact(self.write_bw)
        );
        if let Some(m) = &self.seek {
            // Writing to a String cannot fail.
            let _ = write!(
                s,
                ",seek={},t2t={},rpm={},span={}",
                fmt_duration(m.full_stroke_ns),
                fmt_duration(m.track_to_track_ns),
                m.rpm,
                crate::units::format_size_exact(m.span_bytes)
            );
        }
        let _ = write!(s, ",sched={}", self.sched.name());
        s
    }

    /// Every effective parameter in base units (ns, bytes, bytes/s), for the
    /// `device_params` object of a report. Disksort also lists the kernel's reorder
    /// sysctls it models.
    pub fn params(&self) -> DeviceParams {
        DeviceParams {
            device: self.kind,
            spec: self.describe(),
            lat_ns: self.lat_ns,
            read_bw_bytes_per_s: self.read_bw,
            write_bw_bytes_per_s: self.write_bw,
            seek: self.seek.map(|m| SeekParams {
                seek_full_stroke_ns: m.full_stroke_ns,
                seek_track_to_track_ns: m.track_to_track_ns,
                seek_span_bytes: m.span_bytes,
                rpm: m.rpm,
                avg_rotational_latency_ns: m.rotational_latency_ns(),
            }),
            sched: self.sched,
            reorder: (self.sched == Sched::DiskSort).then_some(ReorderParams {
                bioq_reorder_minor_interval: BIOQ_REORDER_MINOR_INTERVAL,
                bioq_reorder_minor_bytes: BIOQ_REORDER_MINOR_BYTES,
                bioq_reorder_burst_interval: BIOQ_REORDER_BURST_INTERVAL,
                bioq_reorder_burst_bytes: BIOQ_REORDER_BURST_BYTES,
            }),
        }
    }

    /// Apply one `key=value` override.
    fn apply(&mut self, key: &str, value: &str) -> Result<(), String> {
        let bad = |e: String| format!("invalid value \"{value}\" for device key \"{key}\": {e}");
        let kind = self.kind.name();
        match key.to_ascii_lowercase().as_str() {
            "lat" => self.lat_ns = parse_duration_ns(value).map_err(bad)?,
            "bw" => {
                let b = parse_bandwidth(value).map_err(bad)?;
                self.read_bw = b;
                self.write_bw = b;
            }
            "rbw" => self.read_bw = parse_bandwidth(value).map_err(bad)?,
            "wbw" => self.write_bw = parse_bandwidth(value).map_err(bad)?,
            "sched" => self.sched = value.parse().map_err(bad)?,
            k @ ("seek" | "t2t" | "rpm" | "span") => {
                let Some(m) = self.seek.as_mut() else {
                    return Err(format!(
                        "device key \"{key}\" applies only to hdd, not {kind}: valid keys for \
                         {kind} are lat, bw, rbw, wbw, sched"
                    ));
                };
                match k {
                    "seek" => m.full_stroke_ns = parse_duration_ns(value).map_err(bad)?,
                    "t2t" => m.track_to_track_ns = parse_duration_ns(value).map_err(bad)?,
                    "rpm" => {
                        m.rpm = value.trim().parse().map_err(|_| {
                            bad("expected revolutions per minute, e.g. 7200 (0 disables \
                                 rotational latency)"
                                .into())
                        })?
                    }
                    _ => {
                        let b = parse_size(value).map_err(bad)?;
                        if b == 0 {
                            return Err(bad("must be greater than zero".into()));
                        }
                        m.span_bytes = b;
                    }
                }
            }
            _ => {
                return Err(format!(
                    "unknown device key \"{key}\": valid keys are lat, bw, rbw, wbw, sched \
                     (disksort|fifo), and for hdd also seek, t2t, rpm, span"
                ));
            }
        }
        Ok(())
    }
}

/// A spec serializes as its effective string ([`DeviceSpec::describe`]), the way
/// `--device` spells it and the `config.device` key shows it.
impl serde::Serialize for DeviceSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A number the report JSON has always shown as a string (`"lat_ns": "80000"`), kept
/// so for byte-identical output, while a results row — serialized through a
/// non-human-readable serializer — gets the number itself, so SQL and charts can
/// compare it.
fn number_text<T: Copy + Into<u64> + fmt::Display, S: serde::Serializer>(
    v: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    if s.is_human_readable() {
        s.collect_str(v)
    } else {
        s.serialize_u64((*v).into())
    }
}

/// Every effective parameter of a [`DeviceSpec`] in base units: the `device_params`
/// object of a report, in this order.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DeviceParams {
    pub device: DeviceKind,
    pub spec: String,
    #[serde(serialize_with = "number_text")]
    pub lat_ns: u64,
    #[serde(serialize_with = "number_text")]
    pub read_bw_bytes_per_s: u64,
    #[serde(serialize_with = "number_text")]
    pub write_bw_bytes_per_s: u64,
    /// Only an hdd has a seek model.
    #[serde(flatten)]
    pub seek: Option<SeekParams>,
    pub sched: Sched,
    /// Only disksort reorders.
    #[serde(flatten)]
    pub reorder: Option<ReorderParams>,
}

/// The seek model's part of [`DeviceParams`].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct SeekParams {
    #[serde(serialize_with = "number_text")]
    pub seek_full_stroke_ns: u64,
    #[serde(serialize_with = "number_text")]
    pub seek_track_to_track_ns: u64,
    #[serde(serialize_with = "number_text")]
    pub seek_span_bytes: u64,
    #[serde(serialize_with = "number_text")]
    pub rpm: u32,
    #[serde(serialize_with = "number_text")]
    pub avg_rotational_latency_ns: u64,
}

/// The kernel's `bioqdisksort` reorder sysctls, the disksort part of [`DeviceParams`].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ReorderParams {
    #[serde(serialize_with = "number_text")]
    pub bioq_reorder_minor_interval: u32,
    #[serde(serialize_with = "number_text")]
    pub bioq_reorder_minor_bytes: u64,
    #[serde(serialize_with = "number_text")]
    pub bioq_reorder_burst_interval: u32,
    #[serde(serialize_with = "number_text")]
    pub bioq_reorder_burst_bytes: u64,
}

impl FromStr for DeviceSpec {
    type Err = String;

    /// Parse `preset[:key=value,...]`. Presets: `nvme`, `ssd`, `hdd`. Keys: `lat`
    /// (per-request cost), `bw` (both directions), `rbw`, `wbw`, `sched=disksort|fifo`,
    /// and for hdd `seek` (full stroke), `t2t` (track to track), `rpm`, `span` (bytes a
    /// full stroke covers). Later keys override earlier ones (`bw=1G,rbw=2G`).
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let (name, rest) = match t.split_once(':') {
            Some((n, r)) => (n, Some(r)),
            None => (t, None),
        };
        let kind = match name.trim().to_ascii_lowercase().as_str() {
            "nvme" => DeviceKind::Nvme,
            "ssd" => DeviceKind::Ssd,
            "hdd" => DeviceKind::Hdd,
            _ => {
                return Err(format!(
                    "unknown device \"{}\" in \"{s}\": valid presets are nvme, ssd, hdd, \
                     optionally followed by :key=value,... (e.g. ssd:lat=80us,bw=2GB/s)",
                    name.trim()
                ));
            }
        };
        let mut spec = DeviceSpec::preset(kind);
        for item in rest.unwrap_or("").split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let Some((k, v)) = item.split_once('=') else {
                return Err(format!(
                    "invalid device setting \"{item}\" in \"{s}\": expected key=value with key \
                     one of lat, bw, rbw, wbw, sched, and for hdd seek, t2t, rpm, span"
                ));
            };
            spec.apply(k.trim(), v.trim())?;
        }
        if let Some(m) = &spec.seek
            && m.track_to_track_ns > m.full_stroke_ns
        {
            return Err(format!(
                "invalid device \"{s}\": t2t ({}) must not exceed seek ({})",
                fmt_duration(m.track_to_track_ns),
                fmt_duration(m.full_stroke_ns)
            ));
        }
        Ok(spec)
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Largest unit that represents `ns` exactly, so `parse_duration_ns` reads it back.
pub(crate) fn fmt_duration(ns: u64) -> String {
    for (m, u) in [(NS_PER_S, "s"), (1_000_000, "ms"), (1_000, "us")] {
        if ns != 0 && ns.is_multiple_of(m) {
            return format!("{}{u}", ns / m);
        }
    }
    format!("{ns}ns")
}
