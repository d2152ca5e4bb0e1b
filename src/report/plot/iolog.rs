//! Charts of an `--io-log` (and of a real block trace beside one): the device's-eye
//! view of a replay. Seekwatcher-style disk offset over time, throughput and queue
//! depth over time, request sizes, and device latency per origin.

use super::*;
use crate::report::iolog::IoRow;
use crate::stats::{Dir, Origin};

/// Time bins of the throughput chart.
const BINS: usize = 120;
/// Points per latency CDF line.
const CDF_POINTS: usize = 400;

/// Origins present in `rows`, in [`Origin::ALL`] order (unknown names last, sorted),
/// so an origin keeps its colour in every chart of a log.
fn origins(rows: &[IoRow]) -> Vec<String> {
    let mut names: Vec<String> = rows.iter().map(|r| r.origin.clone()).collect();
    names.sort();
    names.dedup();
    let rank = |n: &str| {
        Origin::ALL
            .iter()
            .position(|o| o.name() == n)
            .unwrap_or(usize::MAX)
    };
    names.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    names
}

/// A read mark (filled square) or write mark (cross) in the origin's colour.
fn mark_look(dir: Dir, colour: usize) -> Look {
    Look {
        color: PALETTE[colour % PALETTE.len()],
        dash: &[],
        marker: match dir {
            Dir::Read => Marker::SquareFilled,
            Dir::Write => Marker::Cross,
        },
        width: 1,
    }
}

fn dir_word(d: Dir) -> &'static str {
    match d {
        Dir::Read => "read",
        Dir::Write => "write",
    }
}

/// First issue time: the charts' time origin.
fn t0(rows: &[IoRow]) -> u64 {
    rows.iter().map(|r| r.issue_ns).min().unwrap_or(0)
}

fn secs(ns: u64, t0: u64) -> f64 {
    ns.saturating_sub(t0) as f64 / 1e9
}

/// Span of a stream in seconds (at least a millisecond, so axes have width).
fn span_s(rows: &[IoRow]) -> f64 {
    let t0 = t0(rows);
    rows.iter()
        .map(|r| secs(r.complete_ns.unwrap_or(r.issue_ns), t0))
        .fold(0.001, f64::max)
}

fn time_axis(max_s: f64) -> Axis {
    Axis {
        desc: "time since the first request (s)".into(),
        min: 0.0,
        max: nice_max(max_s),
        scale: Scale::Linear,
        fmt: Fmt::Secs,
        ticks: None,
        zero_floor: false,
    }
}

/// A linear byte axis over `[lo, hi]` with ticks at round binary sizes.
fn offset_axis(lo: u64, hi: u64) -> Axis {
    let (lo, hi) = (lo as f64, (hi as f64).max(lo as f64 + 4096.0));
    // Round steps in the binary unit of the span (2 MiB, not 1.9 MiB).
    let unit = [1u64 << 40, 1 << 30, 1 << 20, 1 << 10, 1]
        .into_iter()
        .map(|u| u as f64)
        .find(|u| hi - lo >= 2.0 * u)
        .unwrap_or(1.0);
    let step = nice_step((hi - lo) / unit, 6.0) * unit;
    let min = (lo / step).floor() * step;
    let max = (hi / step).ceil() * step;
    let n = ((max - min) / step).round() as usize;
    let ticks = (0..=n)
        .map(|i| {
            let v = min + step * i as f64;
            (v, fmt_bytes(v))
        })
        .collect();
    Axis {
        desc: "disk offset".into(),
        min,
        max,
        scale: Scale::Linear,
        fmt: Fmt::Bytes,
        ticks: Some(ticks),
        zero_floor: false,
    }
}

fn offset_range(rows: &[IoRow]) -> (u64, u64) {
    let lo = rows.iter().map(|r| r.disk_offset).min().unwrap_or(0);
    let hi = rows
        .iter()
        .map(|r| r.disk_offset.saturating_add(r.bytes))
        .max()
        .unwrap_or(4096);
    (lo, hi)
}

/// The seekwatcher chart: every request at (issue time, disk offset).
fn offset_chart(rows: &[IoRow], name: &str, what: &str, x: Axis, y: Axis) -> Chart {
    let t0 = t0(rows);
    let names = origins(rows);
    let mut sets = Vec::new();
    for (ci, o) in names.iter().enumerate() {
        for dir in [Dir::Read, Dir::Write] {
            let points: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.dir == dir && &r.origin == o)
                .map(|r| (secs(r.issue_ns, t0), r.disk_offset as f64))
                .collect();
            if points.is_empty() {
                continue;
            }
            let label = if o.is_empty() {
                format!("{}s ({})", dir_word(dir), points.len())
            } else {
                format!("{} {o} ({})", dir_word(dir), points.len())
            };
            sets.push(PointSet {
                label,
                look: mark_look(dir, ci),
                points,
            });
        }
    }
    Chart {
        name: name.into(),
        title: "Disk offset over time".into(),
        subtitle: format!("{what} · {} requests · ■ read  ✕ write", rows.len()),
        caption: "Each device request at its issue time and disk offset (seekwatcher's view): reads are filled squares, writes crosses, colour by origin. A diagonal run is a sequential stream; a staircase of jumps between bands is seeking.".into(),
        size: SIZE,
        kind: Kind::Scatter(Scatter { x, y, sets }),
    }
}

/// MiB/s read and written per time bin (by completion time when known).
fn throughput_chart(rows: &[IoRow], what: &str) -> Chart {
    let t0 = t0(rows);
    let span = span_s(rows);
    let x = time_axis(span);
    let width = x.max / BINS as f64;
    let mut bins = [vec![0.0; BINS], vec![0.0; BINS]];
    for r in rows {
        let t = secs(r.complete_ns.unwrap_or(r.issue_ns), t0);
        let b = ((t / width) as usize).min(BINS - 1);
        bins[usize::from(r.dir == Dir::Write)][b] += r.bytes as f64;
    }
    let mib = 1048576.0;
    let mut max: f64 = 0.0;
    let series: Vec<Series> = ["read", "write"]
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let points: Vec<(f64, f64)> = bins[i]
                .iter()
                .enumerate()
                .map(|(b, v)| ((b as f64 + 0.5) * width, v / mib / width))
                .collect();
            max = points.iter().map(|p| p.1).fold(max, f64::max);
            Series {
                label: format!("{label} MiB/s"),
                points,
                look: look(i),
                secondary: false,
                synthetic: Vec::new(),
            }
        })
        .collect();
    Chart {
        name: "io-throughput".into(),
        title: "Device throughput over time".into(),
        subtitle: format!("{what} · {BINS} bins of {}", fmt_ns(width * 1e9)),
        caption: "Bytes read and written per second, from the requests completing in each time bin. A write-back burst shows as a write spike; reads that drop at the same moment are waiting behind it.".into(),
        size: SIZE,
        kind: Kind::Lines(Lines {
            x,
            y: linear_axis("MiB/s", max.max(0.01), Fmt::Mib),
            y2: None,
            series,
        }),
    }
}

/// Requests queued or in service over time, from issue and completion times: per
/// time bin the deepest the queue got and its time-weighted mean (a step line of
/// every change would be unreadable at a million requests).
fn queue_chart(rows: &[IoRow], what: &str) -> Option<Chart> {
    let t0 = t0(rows);
    let mut steps: Vec<(u64, i64)> = Vec::with_capacity(rows.len() * 2);
    for r in rows {
        steps.push((r.issue_ns, 1));
        steps.push((r.complete_ns?, -1));
    }
    // Completions before arrivals at the same instant (the device's own order).
    steps.sort_unstable();
    let x = time_axis(span_s(rows));
    let n = BINS * 3;
    let width = x.max / n as f64;
    let (mut peak, mut area) = (vec![0.0f64; n], vec![0.0f64; n]);
    let bin = |t: f64| ((t / width) as usize).min(n - 1);
    let (mut depth, mut prev) = (0i64, 0.0f64);
    for (t, d) in steps {
        let now = secs(t, t0);
        // Depth `depth` held over [prev, now).
        if depth > 0 {
            for b in bin(prev)..=bin(now) {
                let lo = prev.max(b as f64 * width);
                let hi = now.min((b + 1) as f64 * width);
                if hi > lo || b == bin(prev) {
                    peak[b] = peak[b].max(depth as f64);
                    area[b] += depth as f64 * (hi - lo).max(0.0);
                }
            }
        }
        depth += d;
        prev = now;
        peak[bin(now)] = peak[bin(now)].max(depth as f64);
    }
    let max = peak.iter().copied().fold(1.0, f64::max);
    let mid = |b: usize| (b as f64 + 0.5) * width;
    let series = vec![
        Series {
            label: "deepest in the bin".into(),
            points: peak.iter().enumerate().map(|(b, v)| (mid(b), *v)).collect(),
            look: solid_look(0),
            secondary: false,
            synthetic: Vec::new(),
        },
        Series {
            label: "time-weighted mean".into(),
            points: area
                .iter()
                .enumerate()
                .map(|(b, v)| (mid(b), v / width))
                .collect(),
            look: look(1),
            secondary: false,
            synthetic: Vec::new(),
        },
    ];
    Some(Chart {
        name: "io-queue-depth".into(),
        title: "Device queue depth over time".into(),
        subtitle: format!("{what} · deepest {max:.0} · {n} bins of {}", fmt_ns(width * 1e9)),
        caption: "Requests waiting or in service at the device: the deepest the queue got in each time bin, and its mean over the bin.".into(),
        size: SIZE,
        kind: Kind::Lines(Lines {
            x,
            y: linear_axis("requests queued or in service", max, Fmt::Count),
            y2: None,
            series,
        }),
    })
}

/// Power-of-two size classes covering `streams`, smallest first: (upper bound, label).
fn size_classes(streams: &[&[IoRow]]) -> Vec<u64> {
    let class = |b: u64| b.max(512).next_power_of_two();
    let mut c: Vec<u64> = streams
        .iter()
        .flat_map(|s| s.iter().map(|r| class(r.bytes)))
        .collect();
    c.sort_unstable();
    c.dedup();
    c
}

fn class_counts(rows: &[IoRow], classes: &[u64], dir: Option<Dir>) -> Vec<f64> {
    let mut n = vec![0.0; classes.len()];
    for r in rows.iter().filter(|r| dir.is_none_or(|d| d == r.dir)) {
        let c = r.bytes.max(512).next_power_of_two();
        if let Ok(i) = classes.binary_search(&c) {
            n[i] += 1.0;
        }
    }
    n
}

fn class_labels(classes: &[u64]) -> Vec<String> {
    classes
        .iter()
        .map(|&c| {
            if c <= 512 {
                "≤ 512 B".to_string()
            } else {
                format!(
                    "{} < · ≤ {}",
                    fmt_bytes(c as f64 / 2.0),
                    fmt_bytes(c as f64)
                )
            }
        })
        .collect()
}

/// Requests per size class, reads and writes.
fn size_chart(rows: &[IoRow], what: &str) -> Chart {
    let classes = size_classes(&[rows]);
    let series = [Dir::Read, Dir::Write]
        .iter()
        .map(|&d| {
            let n = class_counts(rows, &classes, Some(d));
            let v = n.iter().map(|&x| (x > 0.0).then_some(x)).collect();
            (format!("{}s", dir_word(d)), v)
        })
        .collect();
    Chart {
        name: "io-sizes".into(),
        title: "Request sizes".into(),
        subtitle: what.into(),
        caption: "Device requests per size class (powers of two). Clustering and read-ahead show up as requests far above the page size.".into(),
        size: SIZE,
        kind: Kind::Bars(Bars {
            categories: class_labels(&classes),
            cat_desc: "request size".into(),
            value_desc: "requests".into(),
            fmt: Fmt::Count,
            series,
        }),
    }
}

/// Cumulative distribution of `lat`, at most [`CDF_POINTS`] points.
fn cdf(mut lat: Vec<u64>) -> Vec<(f64, f64)> {
    lat.sort_unstable();
    let n = lat.len();
    if n == 0 {
        return Vec::new();
    }
    let k = CDF_POINTS.min(n);
    (1..=k)
        .map(|j| {
            let i = (j * n).div_ceil(k) - 1;
            (lat[i] as f64, (i + 1) as f64 / n as f64)
        })
        .collect()
}

/// Device latency (issue to completion) per origin.
fn latency_chart(rows: &[IoRow], what: &str) -> Option<Chart> {
    let names = origins(rows);
    let mut series = Vec::new();
    let mut all = Vec::new();
    for (i, o) in names.iter().enumerate() {
        let lat: Vec<u64> = rows
            .iter()
            .filter(|r| &r.origin == o)
            .filter_map(IoRow::latency_ns)
            .collect();
        if lat.is_empty() {
            continue;
        }
        let n = lat.len();
        let points = cdf(lat);
        all.extend(points.iter().map(|p| p.0));
        let label = if o.is_empty() { "all" } else { o };
        series.push(Series {
            label: format!("{label} ({n})"),
            points,
            look: Look {
                color: PALETTE[i % PALETTE.len()],
                ..solid_look(i)
            },
            secondary: false,
            synthetic: Vec::new(),
        });
    }
    if series.is_empty() {
        return None;
    }
    Some(Chart {
        name: "io-latency-cdf".into(),
        title: "Device latency by origin".into(),
        subtitle: format!("{what} · issue to completion, queue wait included"),
        caption: "Share of requests of each origin that completed within a given time of their issue (queue wait plus service). A line far right of the others is an origin that waits behind the rest.".into(),
        size: SIZE,
        kind: Kind::Lines(Lines {
            x: log_axis("latency (log scale)", &all, Fmt::Ns, 1000.0),
            y: Axis {
                desc: "requests completed within".into(),
                min: 0.0,
                max: 1.0,
                scale: Scale::Linear,
                fmt: Fmt::Percent,
                ticks: None,
                zero_floor: false,
            },
            y2: None,
            series,
        }),
    })
}

/// The charts of one io-log (`what` names it in subtitles).
pub fn io_charts(rows: &[IoRow], what: &str) -> Result<Vec<Chart>, String> {
    if rows.is_empty() {
        return Err("the io-log has no requests (the replay did no device I/O)".into());
    }
    let (lo, hi) = offset_range(rows);
    let mut charts = vec![
        offset_chart(
            rows,
            "io-offsets",
            what,
            time_axis(span_s(rows)),
            offset_axis(lo, hi),
        ),
        throughput_chart(rows, what),
    ];
    charts.extend(queue_chart(rows, what));
    charts.push(size_chart(rows, what));
    charts.extend(latency_chart(rows, what));
    Ok(charts)
}

/// A real block trace and a simulated io-log side by side: their offset charts on the
/// same axes, and their size histograms in one chart (shares of each stream's
/// requests, since the two may differ in count).
pub fn io_compare_charts(
    real: &[IoRow],
    sim: &[IoRow],
    real_name: &str,
    sim_name: &str,
) -> Result<Vec<Chart>, String> {
    if real.is_empty() || sim.is_empty() {
        let which = if real.is_empty() { real_name } else { sim_name };
        return Err(format!("{which}: no requests"));
    }
    let span = span_s(real).max(span_s(sim));
    let (a, b) = (offset_range(real), offset_range(sim));
    let y = offset_axis(a.0.min(b.0), a.1.max(b.1));
    let x = time_axis(span);
    let mut real_chart = offset_chart(real, "io-compare-real", real_name, x.clone(), y.clone());
    real_chart.title = "Real: disk offset over time".into();
    let mut sim_chart = offset_chart(sim, "io-compare-simulated", sim_name, x, y);
    sim_chart.title = "Simulated: disk offset over time".into();
    let classes = size_classes(&[real, sim]);
    let share = |rows: &[IoRow]| -> Vec<Option<f64>> {
        let n = class_counts(rows, &classes, None);
        let total = rows.len() as f64;
        n.iter().map(|&x| (x > 0.0).then_some(x / total)).collect()
    };
    let sizes = Chart {
        name: "io-compare-sizes".into(),
        title: "Request sizes: real and simulated".into(),
        subtitle: format!(
            "{real_name} ({} requests) · {sim_name} ({} requests)",
            real.len(),
            sim.len()
        ),
        caption: "Share of each stream's requests per size class. Where the simulated bars sit at other sizes than the real ones, the model clusters or reads ahead differently from the kernel.".into(),
        size: SIZE,
        kind: Kind::Bars(Bars {
            categories: class_labels(&classes),
            cat_desc: "request size".into(),
            value_desc: "share of requests".into(),
            fmt: Fmt::Percent,
            series: vec![
                ("real".into(), share(real)),
                ("simulated".into(), share(sim)),
            ],
        }),
    };
    Ok(vec![real_chart, sim_chart, sizes])
}

/// `vpsim plot IO_LOG`: the io-log charts into `out_dir`.
pub fn plot_io_log(path: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, String> {
    let rows = crate::report::iolog::read_io_log(path)?;
    let what = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let charts = io_charts(&rows, &what).map_err(|e| format!("{}: {e}", path.display()))?;
    write_charts(&charts, out_dir)
}
