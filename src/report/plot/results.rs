//! Results rows → charts: device I/O bars, latency percentiles, heatmaps over two
//! dimensions, and curves over memory size.

use super::*;

#[allow(clippy::too_many_arguments)]
pub(super) fn bar_chart(
    p: &Prepared,
    name: &str,
    title: &str,
    caption: &str,
    value_desc: &str,
    fmt: Fmt,
    cols: [(&str, &str); 2],
    scale: f64,
) -> Option<Chart> {
    let series: Vec<(String, Vec<Option<f64>>)> = cols
        .iter()
        .filter(|(c, _)| p.rows.iter().any(|r| r.num(c).is_some()))
        .map(|(c, l)| {
            (
                l.to_string(),
                p.rows.iter().map(|r| r.num(c).map(|v| v / scale)).collect(),
            )
        })
        .collect();
    if series.is_empty() || p.rows.len() > MAX_CATEGORIES {
        return None;
    }
    let n = p.rows.len() as u32;
    let group = 16 * series.len() as u32 + 14;
    let height = (150 + n * group).max(SIZE.1);
    Some(Chart {
        name: name.into(),
        title: title.into(),
        subtitle: p.subtitle.clone(),
        caption: caption.into(),
        size: (SIZE.0, height),
        kind: Kind::Bars(Bars {
            categories: p.labels.clone(),
            cat_desc: dims_desc(&p.dims),
            value_desc: value_desc.into(),
            fmt,
            series,
        }),
    })
}

pub(super) fn op_title(op: &str) -> String {
    match op {
        "read" => "read(2) latency".into(),
        "write" => "write(2) latency".into(),
        "fault_read" => "Page-fault latency (read touches)".into(),
        "fault_write" => "Page-fault latency (write touches)".into(),
        "fsync" => "fsync(2) latency".into(),
        "msync" => "msync(2) latency".into(),
        o => format!("{o} latency"),
    }
}

/// What one latency sample is, for captions.
pub(super) fn op_noun(op: &str) -> String {
    match op {
        "fault_read" => "page touches that read (faults or not)".into(),
        "fault_write" => "page touches that write (faults or not)".into(),
        o => format!("{o}(2) calls"),
    }
}

pub(super) const PCTS: [(&str, &str); 4] = [
    ("p50", "p50"),
    ("p90", "p90"),
    ("p99", "p99"),
    ("p999", "p99.9"),
];

pub(super) fn latency_chart(p: &Prepared, op: &str) -> Option<Chart> {
    let count = format!("latency_ns.{op}.count");
    let with: Vec<usize> = (0..p.rows.len())
        .filter(|&i| p.rows[i].num(&count).unwrap_or(0.0) > 0.0)
        .collect();
    if with.is_empty() {
        return None;
    }
    let n = with.len();
    // Spread coincident points a little so every configuration's marker shows.
    let spread = if n > 1 {
        (0.36 / n as f64).min(0.06)
    } else {
        0.0
    };
    let mut series = Vec::new();
    let mut all = Vec::new();
    for (k, &i) in with.iter().enumerate() {
        let r = &p.rows[i];
        let off = (k as f64 - (n as f64 - 1.0) / 2.0) * spread;
        let pts: Vec<(f64, f64)> = PCTS
            .iter()
            .enumerate()
            .filter_map(|(j, (c, _))| {
                r.num(&format!("latency_ns.{op}.{c}"))
                    .map(|v| (j as f64 + off, v))
            })
            .collect();
        if pts.is_empty() {
            continue;
        }
        all.extend(pts.iter().map(|q| q.1));
        series.push(Series {
            label: p.labels[i].clone(),
            points: pts,
            look: look(k),
            secondary: false,
            synthetic: Vec::new(),
        });
    }
    if series.is_empty() {
        return None;
    }
    let counts: Vec<u64> = with
        .iter()
        .filter_map(|&i| p.rows[i].num(&count).map(|c| c as u64))
        .collect();
    let (lo, hi) = (
        counts.iter().copied().min().unwrap_or(0),
        counts.iter().copied().max().unwrap_or(0),
    );
    let calls = if lo == hi {
        format!("{} calls", fmt_count_exact(lo as f64, THIN))
    } else {
        format!(
            "{}–{} calls",
            fmt_count_exact(lo as f64, THIN),
            fmt_count_exact(hi as f64, THIN)
        )
    };
    let y = log_axis("latency per call (log scale)", &all, Fmt::Ns, 1000.0);
    if series.len() > MAX_CURVES {
        if with.len() > MAX_CATEGORIES {
            return None;
        }
        return Some(latency_dots(p, op, &with, y, &calls));
    }
    let zero_note = if y.zero_floor {
        " · 0 = no wait (bottom line)"
    } else {
        ""
    };
    let labels: Vec<String> = series.iter().map(|s| s.label.clone()).collect();
    Some(Chart {
        name: format!("latency-{op}"),
        title: format!("{} by percentile", op_title(op)),
        subtitle: format!("{} · {calls}{zero_note}", p.subtitle),
        caption: format!(
            "Simulated latency of {} at the 50th, 90th, 99th and 99.9th percentile, per configuration; lower is better. 0 means no wait for the device.",
            op_noun(op)
        ),
        size: height_for_legend(&labels, SIZE, 3),
        kind: Kind::Lines(Lines {
            x: Axis {
                desc: "percentile of calls".into(),
                min: -0.35,
                max: 3.35,
                scale: Scale::Linear,
                fmt: Fmt::Count,
                ticks: Some(
                    PCTS.iter()
                        .enumerate()
                        .map(|(j, (_, l))| (j as f64, l.to_string()))
                        .collect(),
                ),
                zero_floor: false,
            },
            y,
            y2: None,
            series,
        }),
    })
}

/// Charts with one row per configuration (bars, latency markers) are left out
/// above this many configurations: the picture would be taller than anyone reads,
/// and the heatmap and memory curves summarise such sweeps instead.
pub(super) const MAX_CATEGORIES: usize = 150;

/// Above this many configurations a latency chart shows percentiles as markers per
/// configuration instead of one curve each (the legend alone would fill the picture).
pub(super) const MAX_CURVES: usize = 10;

pub(super) fn latency_dots(
    p: &Prepared,
    op: &str,
    with: &[usize],
    axis: Axis,
    calls: &str,
) -> Chart {
    let series: Vec<(String, Look, Vec<Option<f64>>)> = PCTS
        .iter()
        .enumerate()
        .map(|(j, (c, l))| {
            let col = format!("latency_ns.{op}.{c}");
            (
                l.to_string(),
                Look {
                    dash: &[],
                    ..look(j)
                },
                with.iter().map(|&i| p.rows[i].num(&col)).collect(),
            )
        })
        .collect();
    let n = with.len() as u32;
    let zero_note = if axis.zero_floor {
        " · 0 = no wait (left edge)"
    } else {
        ""
    };
    Chart {
        name: format!("latency-{op}"),
        title: format!("{} by percentile", op_title(op)),
        subtitle: format!("{} · {calls}{zero_note}", p.subtitle),
        caption: format!(
            "Simulated latency of {} at the 50th, 90th, 99th and 99.9th percentile, per configuration; lower is better. 0 means no wait for the device.",
            op_noun(op)
        ),
        size: (SIZE.0, (150 + n * 24).max(SIZE.1)),
        kind: Kind::Dots(Dots {
            categories: with.iter().map(|&i| p.labels[i].clone()).collect(),
            cat_desc: dims_desc(&p.dims),
            axis,
            series,
        }),
    }
}

/// Values of a dimension in plotting order: numeric order when every value is a
/// number, else first-seen order (the sweep's order).
pub(super) fn dim_values(rows: &[Row], col: &str) -> Vec<String> {
    let mut v: Vec<(Option<f64>, String)> = Vec::new();
    for r in rows {
        if let Some(t) = r.txt(col)
            && !v.iter().any(|(_, s)| *s == t)
        {
            v.push((r.num(col), t));
        }
    }
    if v.iter().all(|(n, _)| n.is_some()) {
        v.sort_by(|a, b| a.0.unwrap_or(0.0).total_cmp(&b.0.unwrap_or(0.0)));
    }
    v.into_iter().map(|(_, s)| s).collect()
}

pub(super) fn heatmap_chart(p: &Prepared, metric: &str) -> Option<Chart> {
    // The reference models have no policies: with the model as an axis, the other
    // axis would average over policies, so the model is used only as a last resort.
    let non_model: Vec<&String> = p.dims.iter().filter(|d| *d != "config.model").collect();
    let pick: Vec<&String> = if non_model.len() >= 2 {
        non_model
    } else {
        p.dims.iter().collect()
    };
    if pick.len() < 2 {
        return None;
    }
    let (dx, dy) = (pick[0], pick[1]);
    let xs = dim_values(&p.rows, dx);
    let ys = dim_values(&p.rows, dy);
    if xs.len() < 2 && ys.len() < 2 {
        return None;
    }
    let short = |col: &str, vals: &[String]| -> Vec<String> {
        let sx = short_values(&p.rows, col);
        vals.iter()
            .map(|v| {
                p.rows
                    .iter()
                    .position(|r| r.txt(col).as_deref() == Some(v.as_str()))
                    .and_then(|i| sx[i].clone())
                    .unwrap_or_else(|| v.clone())
            })
            .collect()
    };
    let mut values = vec![vec![None; xs.len()]; ys.len()];
    let mut most = 0;
    for (yi, yv) in ys.iter().enumerate() {
        for (xi, xv) in xs.iter().enumerate() {
            let vals: Vec<f64> = p
                .rows
                .iter()
                .filter(|r| {
                    r.txt(dx).as_deref() == Some(xv.as_str())
                        && r.txt(dy).as_deref() == Some(yv.as_str())
                })
                .filter_map(|r| r.num(metric))
                .collect();
            most = most.max(vals.len());
            if !vals.is_empty() {
                values[yi][xi] = Some(vals.iter().sum::<f64>() / vals.len() as f64);
            }
        }
    }
    if values.iter().flatten().all(Option::is_none) {
        return None;
    }
    let mut subtitle = p.subtitle.clone();
    if most > 1 {
        subtitle.push_str(&format!(
            " · each cell: mean of up to {most} configurations"
        ));
    }
    let present: Vec<f64> = values.iter().flatten().flatten().copied().collect();
    if present.iter().any(|v| *v != present[0]) {
        subtitle.push_str(" · outlined: lowest");
    }
    Some(Chart {
        name: format!("heatmap-{}", safe_name(metric)),
        title: format!(
            "{} by {} and {}",
            capitalized(&metric_name(metric)),
            dim_name(dx),
            dim_name(dy)
        ),
        subtitle,
        caption: format!(
            "{} for each pair of {} and {}; darker is higher, the lowest cell is outlined.{}",
            capitalized(&metric_name(metric)),
            dim_name(dx),
            dim_name(dy),
            if most > 1 {
                " Where other swept dimensions vary too, a cell is their mean."
            } else {
                ""
            }
        ),
        size: SIZE,
        kind: Kind::Heat(Heat {
            xs: short(dx, &xs),
            ys: short(dy, &ys),
            x_desc: dim_name(dx),
            y_desc: dim_name(dy),
            values,
            fmt: metric_fmt(metric),
            metric: metric_name(metric),
        }),
    })
}

/// Memory-size curves: one line per policy combination (the label over the other
/// dims), the reference models dashed.
pub(super) fn mem_charts(p: &Prepared) -> Vec<Chart> {
    let mems = dim_values(&p.rows, "config.mem");
    if mems.len() < 2 {
        return Vec::new();
    }
    let others: Vec<String> = p
        .dims
        .iter()
        .filter(|d| *d != "config.mem" && *d != "config.model")
        .cloned()
        .collect();
    let policy_dims: Vec<String> = others
        .iter()
        .filter(|d| {
            !matches!(
                d.as_str(),
                "config.readahead" | "config.cluster" | "config.sync"
            ) && !d.starts_with("config.knobs.")
        })
        .cloned()
        .collect();
    let kernel_labels = raw_labels(&p.rows, &others);
    let ref_labels = raw_labels(&p.rows, &policy_dims);
    // (label, model, row indices)
    let mut groups: Vec<(String, String, Vec<usize>)> = Vec::new();
    for (i, r) in p.rows.iter().enumerate() {
        let model = r.txt("config.model").unwrap_or_else(|| "dragonfly".into());
        let label = if model == "lru" || model == "opt" {
            let rest = if policy_dims.is_empty() {
                String::new()
            } else {
                format!(" · {}", ref_labels[i])
            };
            format!("{} (reference){rest}", model.to_uppercase())
        } else if others.is_empty() {
            model.clone()
        } else {
            kernel_labels[i].clone()
        };
        match groups.iter_mut().find(|g| g.0 == label) {
            Some(g) => g.2.push(i),
            None => groups.push((label, model, vec![i])),
        }
    }
    let x_vals: Vec<f64> = p.rows.iter().filter_map(|r| r.num("config.mem")).collect();
    let (lo, hi) = (
        x_vals.iter().copied().fold(f64::INFINITY, f64::min),
        x_vals.iter().copied().fold(0.0, f64::max),
    );
    if !(lo > 0.0 && hi > lo) {
        return Vec::new();
    }
    let mut ticks: Vec<f64> = x_vals.clone();
    ticks.sort_by(f64::total_cmp);
    ticks.dedup();
    let x_axis = Axis {
        desc: "simulated memory (--mem, log scale)".into(),
        min: lo / 2f64.powf(0.35),
        max: hi * 2f64.powf(0.35),
        scale: Scale::Log2,
        fmt: Fmt::Bytes,
        ticks: Some(ticks.iter().map(|v| (*v, fmt_bytes(*v))).collect()),
        zero_floor: false,
    };
    let metric = |r: &Row, which: usize| -> Option<f64> {
        if which == 0 {
            r.num("device.reads")
        } else {
            let h = r.num("counters.page_hits")?;
            let m = r.num("counters.page_misses")?;
            if h + m > 0.0 { Some(m / (h + m)) } else { None }
        }
    };
    let mut out = Vec::new();
    for which in 0..2 {
        let mut series = Vec::new();
        let mut all = Vec::new();
        let mut kernel_i = 0;
        for (label, model, idx) in &groups {
            let mut pts: Vec<(f64, f64)> = idx
                .iter()
                .filter_map(|&i| {
                    let r = &p.rows[i];
                    Some((r.num("config.mem")?, metric(r, which)?))
                })
                .collect();
            if pts.is_empty() {
                continue;
            }
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            all.extend(pts.iter().map(|q| q.1));
            let reference = model == "lru" || model == "opt";
            let lk = if reference {
                reference_look(model)
            } else {
                kernel_i += 1;
                solid_look(kernel_i - 1)
            };
            series.push(Series {
                label: label.clone(),
                points: pts,
                look: lk,
                secondary: false,
                synthetic: Vec::new(),
            });
        }
        if series.is_empty() {
            continue;
        }
        let has_reference = series.iter().any(|s| s.label.contains("(reference)"));
        // Draw the references first so the kernel's lines are on top.
        series.sort_by_key(|s| !s.label.contains("(reference)"));
        let hi = all.iter().copied().fold(0.0, f64::max);
        let lo_pos = all
            .iter()
            .copied()
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        let caption = if which == 0 {
            "Device reads as the simulated memory grows, one line per policy combination. Where the curve flattens the working set fits; the reference models (dashed, when swept: exact LRU and Belady's OPT page caches) show what a plain page cache of the same size would do."
        } else {
            "Share of page lookups that missed the page cache (misses / (hits + misses)) as memory grows, one line per policy combination; OPT (dashed, when swept) is the best any demand-paging replacement policy can do with that memory."
        };
        let (name, title, y) = if which == 0 {
            let y = if lo_pos.is_finite() && hi / lo_pos > 30.0 {
                log_axis("device reads (log scale)", &all, Fmt::Count, 1.0)
            } else {
                linear_axis("device reads (requests)", hi, Fmt::Count)
            };
            ("mem-device-reads", "Device reads vs. memory size", y)
        } else {
            let mut y = linear_axis(
                "page miss ratio (misses / (hits + misses))",
                hi,
                Fmt::Percent,
            );
            y.max = y.max.min(1.0);
            ("mem-miss-ratio", "Page miss ratio vs. memory size", y)
        };
        let labels: Vec<String> = series.iter().map(|s| s.label.clone()).collect();
        out.push(Chart {
            name: name.into(),
            title: title.into(),
            subtitle: if has_reference {
                format!("{} · dashed: reference models", p.subtitle)
            } else {
                p.subtitle.clone()
            },
            caption: caption.into(),
            size: height_for_legend(&labels, SIZE, 3),
            kind: Kind::Lines(Lines {
                x: x_axis.clone(),
                y,
                y2: None,
                series,
            }),
        });
    }
    out
}

/// Every chart the results support. `metric` selects the heatmap metric; an unknown
/// metric is an error only when the caller asked for it.
pub fn results_charts(all: &[Row], opts: &PlotOptions) -> Result<Vec<Chart>, String> {
    let p = prepare(all)?;
    let metric = match &opts.metric {
        Some(m) => Some(resolve_metric(&p.rows, m)?),
        None => resolve_metric(&p.rows, "device.reads").ok(),
    };
    let mut charts = Vec::new();
    charts.extend(bar_chart(
        &p,
        "device-io",
        "Device requests per configuration",
        "Requests the simulated device served, all origins (demand reads, read-ahead, write-back, pageout, fsync); fewer is better. Read-ahead and clustering trade more bytes per request for fewer requests.",
        "device requests (count)",
        Fmt::Count,
        [("device.reads", "reads"), ("device.writes", "writes")],
        1.0,
    ));
    charts.extend(bar_chart(
        &p,
        "device-bytes",
        "Device transfer per configuration",
        "Bytes moved to and from the simulated device. Bytes read grow with read-ahead (used or not) and with pages read again after eviction.",
        "bytes transferred (MiB)",
        Fmt::Mib,
        [
            ("device.read_bytes", "bytes read"),
            ("device.write_bytes", "bytes written"),
        ],
        1048576.0,
    ));
    for op in LATENCY_OPS {
        charts.extend(latency_chart(&p, op));
    }
    if let Some(m) = &metric {
        charts.extend(heatmap_chart(&p, m));
    }
    charts.extend(mem_charts(&p));
    if charts.is_empty() {
        return Err(
            "nothing to plot: the results have none of device.reads, device.read_bytes, latency_ns.<op>.* or counters.page_misses (is this a vpsim results file?)"
                .into(),
        );
    }
    Ok(charts)
}
