//! `vpsim report`: one self-contained HTML page of a results file.
//!
//! The page must survive being mailed, attached to a ticket or opened offline years
//! later, so it has no external assets: the style sheet is inline and the charts are
//! the same SVGs `vpsim plot` writes, inlined. Every piece of text that comes from
//! the results (trace paths, specs, error messages) is escaped. Sections have fixed
//! ids (`summary`, `grid`, `results`, `plots`, `timeline`, `device`) so links and scripts can
//! point into a report.

use super::plot::{self, Prepared};
use crate::report::results::{Row, read_results};
use std::fmt::Write as _;
use std::path::Path;

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body { font-family: 'DejaVu Sans', Verdana, sans-serif; margin: 2em auto; max-width: 1100px;
       padding: 0 1em; color: #111; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.failed { color: #a00; }
tr:nth-child(even) td { background: #f7f7f7; }
figure { margin: 1.5em 0; }
figure svg { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: #444; }
.note { color: #555; font-size: 0.9em; }
code { background: #f2f2f2; padding: 0 0.2em; }
";

/// Distinct non-empty values of a column, in first-seen order.
fn distinct(rows: &[Row], col: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rows {
        if let Some(v) = r.txt(col)
            && !out.contains(&v)
        {
            out.push(v);
        }
    }
    out
}

fn summary(all: &[Row], results: &Path, p: Option<&Prepared>) -> String {
    let mut s = String::new();
    let mut kv: Vec<(String, String)> = Vec::new();
    kv.push(("results file".into(), results.display().to_string()));
    let traces = distinct(all, "trace.path");
    kv.push((
        "trace".into(),
        if traces.is_empty() {
            "(not recorded)".into()
        } else {
            traces.join(", ")
        },
    ));
    let first = |c: &str| distinct(all, c).into_iter().next();
    let count = |c: &str| {
        first(c).map(|v| match v.parse::<f64>() {
            Ok(n) => plot::fmt_count_exact(n, ','),
            Err(_) => v,
        })
    };
    if let Some(e) = count("trace.events") {
        kv.push(("events".into(), e));
    }
    if let Some(f) = count("trace.files") {
        kv.push(("files".into(), f));
    }
    if let Some(ns) = all.iter().find_map(|r| r.num("trace.end_time_ns")) {
        kv.push((
            "time span".into(),
            format!("{:.3} s of trace time", ns / 1e9),
        ));
    }
    let failed = all.iter().filter(|r| plot::failed(r)).count();
    kv.push((
        "configurations".into(),
        if failed > 0 {
            format!("{} ({} failed)", all.len(), failed)
        } else {
            all.len().to_string()
        },
    ));
    if let Some(p) = p
        && !p.dims.is_empty()
    {
        kv.push((
            "varied".into(),
            p.dims
                .iter()
                .map(|d| plot::dim_name(d))
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    let _ = writeln!(s, "<table>");
    for (k, v) in kv {
        let _ = writeln!(s, "<tr><th>{}</th><td>{}</td></tr>", escape(&k), escape(&v));
    }
    let _ = writeln!(s, "</table>");
    let mut warnings: Vec<String> = Vec::new();
    for r in all {
        if let Some(w) = r.txt("warnings") {
            for part in w.split("; ").filter(|x| !x.trim().is_empty()) {
                if !warnings.iter().any(|x| x == part) {
                    warnings.push(part.to_string());
                }
            }
        }
    }
    if !warnings.is_empty() {
        let _ = writeln!(s, "<p>Warnings:</p><ul>");
        for w in warnings.iter().take(20) {
            let _ = writeln!(s, "<li>{}</li>", escape(w));
        }
        if warnings.len() > 20 {
            let _ = writeln!(s, "<li>… {} more</li>", warnings.len() - 20);
        }
        let _ = writeln!(s, "</ul>");
    }
    s
}

fn id_of(r: &Row, i: usize) -> String {
    r.txt("config_id")
        .or_else(|| r.txt("config_index"))
        .unwrap_or_else(|| i.to_string())
}

/// The configurations: the varying dimensions as columns (the short form shown, the
/// full spec as a tooltip), and the error of any that failed.
fn grid(all: &[Row], dims: &[String]) -> String {
    let mut s = String::new();
    let cols: Vec<String> = if dims.is_empty() {
        [
            "config.model",
            "config.mem",
            "config.device",
            "config.readahead",
            "config.cluster",
            "config.sync",
        ]
        .iter()
        .filter(|c| all.iter().any(|r| r.txt(c).is_some()))
        .map(|c| c.to_string())
        .collect()
    } else {
        dims.to_vec()
    };
    let short: Vec<Vec<Option<String>>> = cols.iter().map(|c| plot::short_values(all, c)).collect();
    let _ = write!(s, "<table>\n<tr><th>#</th>");
    for c in &cols {
        let _ = write!(
            s,
            "<th title=\"{}\">{}</th>",
            escape(c),
            escape(&plot::dim_name(c))
        );
    }
    let _ = writeln!(s, "<th>status</th></tr>");
    for (i, r) in all.iter().enumerate() {
        let _ = write!(s, "<tr><td class=\"num\">{}</td>", escape(&id_of(r, i)));
        for (k, c) in cols.iter().enumerate() {
            let full = r.txt(c).unwrap_or_default();
            let shown = short[k][i].clone().unwrap_or_else(|| "—".into());
            let _ = write!(s, "<td title=\"{}\">{}</td>", escape(&full), escape(&shown));
        }
        match r.txt("error") {
            Some(e) => {
                let _ = writeln!(s, "<td class=\"failed\">failed: {}</td></tr>", escape(&e));
            }
            None => {
                let _ = writeln!(s, "<td>ok</td></tr>");
            }
        }
    }
    let _ = writeln!(s, "</table>");
    s
}

/// How a results-table column gets its value from a row.
type Getter = Box<dyn Fn(&Row) -> Option<f64>>;

/// One column of the results table: header, how to get the value, how to show it.
struct Col {
    head: String,
    get: Getter,
    show: fn(f64) -> String,
}

fn show_count(v: f64) -> String {
    plot::fmt_count_exact(v, ',')
}

fn show_mib(v: f64) -> String {
    format!("{:.1}", v / 1048576.0)
}

fn show_pct(v: f64) -> String {
    format!("{:.2}%", v * 100.0)
}

fn show_us(v: f64) -> String {
    let us = v / 1000.0;
    if v == 0.0 {
        "0".into()
    } else if us < 10.0 {
        format!("{us:.2}")
    } else {
        plot::fmt_count_exact(us.round(), ',')
    }
}

fn results_table(p: &Prepared) -> String {
    let rows = &p.rows;
    let has = |c: &str| rows.iter().any(|r| r.num(c).is_some());
    let mut cols: Vec<Col> = Vec::new();
    for (c, h, show) in [
        (
            "device.reads",
            "device reads",
            show_count as fn(f64) -> String,
        ),
        ("device.read_bytes", "read MiB", show_mib),
        ("device.writes", "device writes", show_count),
        ("device.write_bytes", "write MiB", show_mib),
        ("counters.page_misses", "page misses", show_count),
        ("counters.major_faults", "major faults", show_count),
    ] {
        if has(c) {
            let col = c.to_string();
            cols.push(Col {
                head: h.into(),
                get: Box::new(move |r| r.num(&col)),
                show,
            });
        }
    }
    if has("counters.page_hits") && has("counters.page_misses") {
        cols.push(Col {
            head: "miss ratio".into(),
            get: Box::new(|r| {
                let h = r.num("counters.page_hits")?;
                let m = r.num("counters.page_misses")?;
                (h + m > 0.0).then(|| m / (h + m))
            }),
            show: show_pct,
        });
    }
    for op in plot::LATENCY_OPS {
        let count = format!("latency_ns.{op}.count");
        if rows.iter().any(|r| r.num(&count).unwrap_or(0.0) > 0.0) {
            let c = format!("latency_ns.{op}.p99");
            cols.push(Col {
                head: format!("{op} p99 (µs)"),
                get: Box::new(move |r| {
                    (r.num(&count).unwrap_or(0.0) > 0.0)
                        .then(|| r.num(&c))
                        .flatten()
                }),
                show: show_us,
            });
        }
    }
    let vals: Vec<Vec<Option<f64>>> = cols
        .iter()
        .map(|c| rows.iter().map(|r| (c.get)(r)).collect())
        .collect();
    // Lower is better for every column; bold the best when the column varies.
    let best: Vec<Option<f64>> = vals
        .iter()
        .map(|v| {
            let present: Vec<f64> = v.iter().flatten().copied().collect();
            let lo = present.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (lo.is_finite() && hi > lo).then_some(lo)
        })
        .collect();
    let mut s = String::new();
    let _ = write!(s, "<table>\n<tr><th>#</th><th>configuration</th>");
    for c in &cols {
        let _ = write!(s, "<th>{}</th>", escape(&c.head));
    }
    let _ = writeln!(s, "</tr>");
    for (i, label) in p.labels.iter().enumerate() {
        let _ = write!(
            s,
            "<tr><td class=\"num\">{}</td><td>{}</td>",
            escape(&id_of(&p.rows[i], p.index[i])),
            escape(label)
        );
        for (k, c) in cols.iter().enumerate() {
            match vals[k][i] {
                Some(v) => {
                    let text = escape(&(c.show)(v));
                    if best[k] == Some(v) {
                        let _ = write!(s, "<td class=\"num\"><b>{text}</b></td>");
                    } else {
                        let _ = write!(s, "<td class=\"num\">{text}</td>");
                    }
                }
                None => {
                    let _ = write!(s, "<td class=\"num\">—</td>");
                }
            }
        }
        let _ = writeln!(s, "</tr>");
    }
    let _ = writeln!(s, "</table>");
    let _ = writeln!(
        s,
        "<p class=\"note\">Lower is better in every column; the best value of a column is in bold when the configurations differ. Latencies are simulated (µs); a p99 of 0 means 99% of the calls never waited for the device.</p>"
    );
    s
}

fn figures(charts: &[plot::Chart]) -> Result<String, String> {
    let mut s = String::new();
    for c in charts {
        let svg = plot::render_svg(c)?;
        let _ = writeln!(
            s,
            "<figure id=\"plot-{}\">\n{}<figcaption><b>{}.</b> {}</figcaption>\n</figure>",
            escape(&c.name),
            svg,
            escape(&c.title),
            escape(&c.caption)
        );
    }
    Ok(s)
}

/// Write the HTML report of `results` (and of a `--timeline` CSV) to `out`,
/// atomically.
pub fn write_report(results: &Path, out: &Path, timeline: Option<&Path>) -> Result<(), String> {
    write_report_with(results, out, timeline, None)
}

/// [`write_report`] with an `--io-log` too: its charts (offsets over time,
/// throughput, queue depth, sizes, latency by origin) in a "device" section.
pub fn write_report_with(
    results: &Path,
    out: &Path,
    timeline: Option<&Path>,
    io_log: Option<&Path>,
) -> Result<(), String> {
    let io_charts = match io_log {
        Some(p) => {
            let rows = crate::report::iolog::read_io_log(p)?;
            let name = p
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            Some(plot::io_charts(&rows, &name).map_err(|e| format!("{}: {e}", p.display()))?)
        }
        None => None,
    };
    let mut all = read_results(results)?;
    plot::grid_order(&mut all);
    if all.is_empty() {
        return Err(format!(
            "{}: the results contain no configurations",
            results.display()
        ));
    }
    let prepared = plot::prepare(&all);
    let timeline_charts = match timeline {
        Some(t) => Some(plot::timeline_charts(t)?),
        None => None,
    };
    let traces = distinct(&all, "trace.path");
    let title = match traces.first() {
        Some(t) => format!("vpsim report: {t}"),
        None => "vpsim report".into(),
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        escape(&title)
    );
    let _ = writeln!(s, "<h1>{}</h1>", escape(&title));
    let _ = write!(
        s,
        "<nav><a href=\"#summary\">summary</a><a href=\"#grid\">configurations</a><a href=\"#results\">results</a><a href=\"#plots\">plots</a>"
    );
    if timeline_charts.is_some() {
        let _ = write!(s, "<a href=\"#timeline\">timeline</a>");
    }
    if io_charts.is_some() {
        let _ = write!(s, "<a href=\"#device\">device</a>");
    }
    let _ = writeln!(s, "</nav>");

    let _ = writeln!(s, "<section id=\"summary\">\n<h2>Summary</h2>");
    s.push_str(&summary(&all, results, prepared.as_ref().ok()));
    let _ = writeln!(s, "</section>");

    let dims = prepared
        .as_ref()
        .map(|p| p.dims.clone())
        .unwrap_or_else(|_| plot::varying_dims(&all));
    let _ = writeln!(s, "<section id=\"grid\">\n<h2>Configurations</h2>");
    s.push_str(&grid(&all, &dims));
    let _ = writeln!(s, "</section>");

    let _ = writeln!(s, "<section id=\"results\">\n<h2>Results</h2>");
    match &prepared {
        Ok(p) => s.push_str(&results_table(p)),
        Err(e) => {
            let _ = writeln!(s, "<p class=\"note\">{}</p>", escape(e));
        }
    }
    let _ = writeln!(s, "</section>");

    let _ = writeln!(s, "<section id=\"plots\">\n<h2>Plots</h2>");
    match plot::results_charts(&all, &plot::PlotOptions::default()) {
        Ok(charts) => s.push_str(&figures(&charts)?),
        Err(e) => {
            let _ = writeln!(s, "<p class=\"note\">No plots: {}</p>", escape(&e));
        }
    }
    let _ = writeln!(s, "</section>");

    if let (Some(charts), Some(t)) = (&timeline_charts, timeline) {
        let _ = writeln!(s, "<section id=\"timeline\">\n<h2>Timeline</h2>");
        let _ = writeln!(
            s,
            "<p class=\"note\">From <code>{}</code>.</p>",
            escape(&t.display().to_string())
        );
        s.push_str(&figures(charts)?);
        let _ = writeln!(s, "</section>");
    }
    if let (Some(charts), Some(p)) = (&io_charts, io_log) {
        let _ = writeln!(s, "<section id=\"device\">\n<h2>Device requests</h2>");
        let _ = writeln!(
            s,
            "<p class=\"note\">Every simulated device request, from the io-log <code>{}</code>.</p>",
            escape(&p.display().to_string())
        );
        s.push_str(&figures(charts)?);
        let _ = writeln!(s, "</section>");
    }
    let _ = writeln!(
        s,
        "<p class=\"note\">Made by vpsim {}.</p>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    plot::write_atomic(out, s.as_bytes())
}
