//! `--timeline` CSVs → charts of page queues, dirty data and device I/O over time.

use super::*;

/// The columns of a `--timeline` CSV that the charts use.
pub(super) const TIMELINE_COLS: [&str; 10] = [
    "time_s",
    "free",
    "cache",
    "inactive",
    "active",
    "wired",
    "dirty_pages",
    "dirtybufspace",
    "runningbufspace",
    "queue_depth",
];

/// Parse a `--timeline` CSV into columns (by [`TIMELINE_COLS`] order).
pub(super) fn read_timeline(path: &Path) -> Result<Vec<Vec<f64>>, String> {
    let shown = path.display();
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_path(path)
        .map_err(|e| format!("{shown}: {e}"))?;
    let header = r.headers().map_err(|e| format!("{shown}: {e}"))?.clone();
    if header.iter().all(str::is_empty) {
        return Err(format!("{shown}: empty timeline file"));
    }
    let idx: Vec<usize> = TIMELINE_COLS
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == *c)
                .ok_or_else(|| format!("{shown}: not a vpsim --timeline CSV (no \"{c}\" column)"))
        })
        .collect::<Result<_, _>>()?;
    let mut cols = vec![Vec::new(); TIMELINE_COLS.len()];
    let mut rec = csv::StringRecord::new();
    loop {
        match r.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(format!("{shown}: {e}")),
        }
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let line = rec.position().map_or(0, |p| p.line());
        for (k, &i) in idx.iter().enumerate() {
            let v = rec
                .get(i)
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    format!(
                        "{shown}: line {line}: bad or missing \"{}\" value",
                        TIMELINE_COLS[k]
                    )
                })?;
            cols[k].push(v);
        }
    }
    if cols[0].is_empty() {
        return Err(format!(
            "{shown}: the timeline has no rows (nothing happened, or the step is longer than the trace)"
        ));
    }
    Ok(cols)
}

/// The two timeline charts: page queues, and device queue depth with buffer space.
pub fn timeline_charts(timeline_csv: &Path) -> Result<Vec<Chart>, String> {
    let cols = read_timeline(timeline_csv)?;
    let t = &cols[0];
    let (t0, t1) = (
        t.iter().copied().fold(f64::INFINITY, f64::min).min(0.0),
        t.iter().copied().fold(0.0, f64::max),
    );
    let t1 = if t1 > t0 { t1 } else { t0 + 1.0 };
    let x = Axis {
        desc: "simulated time (s)".into(),
        min: t0,
        max: t1,
        scale: Scale::Linear,
        fmt: Fmt::Secs,
        ticks: None,
        zero_floor: false,
    };
    let sub = format!(
        "{} · {} samples",
        timeline_csv
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        t.len()
    );
    // Idle intervals have no row, and nothing changed during them: hold the last
    // value until one step before the next sample instead of drawing a ramp.
    // (The last row ends at the end of the trace, not on a step boundary.)
    let body = &t[..t.len().saturating_sub(1)];
    let step = body
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min);
    let mk = |k: usize, label: &str, i: usize, scale: f64, secondary: bool| {
        let mut points = Vec::with_capacity(t.len());
        let mut synthetic = Vec::with_capacity(t.len());
        for (j, (a, b)) in t.iter().zip(&cols[k]).enumerate() {
            if j > 0 && step.is_finite() && *a - t[j - 1] > step * 1.5 {
                points.push((*a - step, cols[k][j - 1] / scale));
                synthetic.push(true);
            }
            points.push((*a, b / scale));
            synthetic.push(false);
        }
        Series {
            label: label.into(),
            points,
            look: look(i),
            secondary,
            synthetic,
        }
    };
    let queues = vec![
        mk(1, "free", 0, 1.0, false),
        mk(2, "cache", 1, 1.0, false),
        mk(3, "inactive", 2, 1.0, false),
        mk(4, "active", 3, 1.0, false),
        mk(5, "wired", 4, 1.0, false),
        mk(6, "dirty pages", 5, 1.0, false),
    ];
    let all: Vec<f64> = queues
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .collect();
    let y = log_axis("pages (log scale)", &all, Fmt::Count, 1.0);
    let mib = 1048576.0;
    let dev = vec![
        mk(9, "device queue depth", 0, 1.0, false),
        mk(7, "dirtybufspace", 1, mib, true),
        mk(8, "runningbufspace", 2, mib, true),
    ];
    let qmax = cols[9].iter().copied().fold(0.0, f64::max);
    let bmax = cols[7].iter().chain(&cols[8]).copied().fold(0.0, f64::max) / mib;
    let mut y_q = linear_axis("device queue depth (requests)", qmax.max(1.0), Fmt::Count);
    y_q.max = y_q.max.max(1.0);
    let y_b = linear_axis("buffer space (MiB)", bmax.max(0.1), Fmt::Mib);
    let zero_note = if y.zero_floor {
        " · 0 drawn on the bottom line"
    } else {
        ""
    };
    Ok(vec![
        Chart {
            name: "timeline-queues".into(),
            title: "Page queues over time".into(),
            subtitle: format!("{sub}{zero_note}"),
            caption: "Pages on each VM page queue, and dirty pages, sampled at the end of each interval (intervals in which nothing happened have no sample; the value is held across them). A shrinking free queue and a growing inactive queue show the cache filling up and the pageout daemon at work.".into(),
            size: SIZE,
            kind: Kind::Lines(Lines {
                x: x.clone(),
                y,
                y2: None,
                series: queues,
            }),
        },
        Chart {
            name: "timeline-device".into(),
            title: "Device queue and buffer space over time".into(),
            subtitle: format!("{sub} · queue depth on the left axis, MiB on the right"),
            caption: "Requests queued at the device (left axis), and the buffer cache's dirty (dirtybufspace) and in-flight write (runningbufspace) bytes (right axis). Writers wait while runningbufspace is above hirunningspace.".into(),
            size: SIZE,
            kind: Kind::Lines(Lines {
                x,
                y: y_q,
                y2: Some(y_b),
                series: dev,
            }),
        },
    ])
}
