//! Charts of results files and `--timeline` CSVs, as PNG and SVG.
//!
//! Charts are built in two steps: a [`Chart`] is pure data (categories, series,
//! axes, already-formatted labels) made from the results rows, and a renderer draws
//! it on any plotters backend. The HTML report renders the same charts to SVG
//! strings, so `vpsim plot` and `vpsim report` always show identical pictures.
//!
//! Everything is laid out in pixel space by this module (ticks, legends, labels)
//! rather than by plotters' chart builder: that is what lets the legend sit above
//! the plot where it can never hide data, category labels be as long as the swept
//! specs need, log axes show a "0" floor for cache hits, and every series differ in
//! dash pattern and marker shape as well as colour, so a greyscale printout still
//! tells the lines apart.
//!
//! Text is drawn with the bundled DejaVu Sans (registered once), so PNG rendering
//! needs no system fonts.

use crate::report::results::{Cell, Row, read_results};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, FontTransform, RGBColor, register_font};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

/// The default picture size: readable on a screen and in a two-column print.
pub const SIZE: (u32, u32) = (1024, 640);

/// The operations whose latency gets a percentile chart, in this order.
pub const LATENCY_OPS: [&str; 6] = [
    "read",
    "write",
    "fault_read",
    "fault_write",
    "fsync",
    "msync",
];

/// Options of [`plot_results_with`].
#[derive(Clone, Debug, Default)]
pub struct PlotOptions {
    /// Metric of the heatmap (a results column such as `device.reads`,
    /// `counters.page_misses` or `latency_ns.read.p99`, or an alias like
    /// `device_reads`); `device.reads` when `None`.
    pub metric: Option<String>,
}

// ---------------------------------------------------------------------------------
// Font

static FONT_ONCE: Once = Once::new();
static FONT_OK: AtomicBool = AtomicBool::new(false);

/// Register the bundled font under "sans-serif" (once per process): plotters'
/// ab_glyph text backend has no system-font fallback and fails without it.
fn ensure_font() -> Result<(), String> {
    FONT_ONCE.call_once(|| {
        let ok = register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        )
        .is_ok();
        FONT_OK.store(ok, Ordering::SeqCst);
    });
    if FONT_OK.load(Ordering::SeqCst) {
        Ok(())
    } else {
        Err("the bundled font assets/fonts/DejaVuSans.ttf could not be loaded".into())
    }
}

/// Width in pixels of `s` at font size `size` (an estimate when the font is missing).
fn text_width(s: &str, size: f64) -> i32 {
    ("sans-serif", size)
        .into_font()
        .box_size(s)
        .map(|(w, _)| w as i32)
        .unwrap_or((s.chars().count() as f64 * size * 0.55) as i32)
}

// ---------------------------------------------------------------------------------
// Chart model

/// How tick and value labels are written.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fmt {
    /// Counts: 1,234 as a value, 20k as a tick.
    Count,
    /// Nanoseconds shown as ns/µs/ms/s.
    Ns,
    /// Bytes shown in binary units (KiB/MiB/GiB).
    Bytes,
    /// Mebibytes (values already divided by 2^20).
    Mib,
    /// A ratio in 0..1 shown as a percentage.
    Percent,
    /// Seconds.
    Secs,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Scale {
    Linear,
    Log10,
    Log2,
}

/// One axis of a line chart, in data units (the renderer applies the scale).
#[derive(Clone, Debug)]
struct Axis {
    desc: String,
    min: f64,
    max: f64,
    scale: Scale,
    fmt: Fmt,
    /// Explicit ticks (value, label); automatic when `None`.
    ticks: Option<Vec<(f64, String)>>,
    /// On a log axis: values <= 0 are drawn on the bottom line, labelled "0".
    zero_floor: bool,
}

impl Axis {
    fn t(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Linear => v,
            Scale::Log10 => {
                if v <= 0.0 {
                    self.min.log10()
                } else {
                    v.log10()
                }
            }
            Scale::Log2 => {
                if v <= 0.0 {
                    self.min.log2()
                } else {
                    v.log2()
                }
            }
        }
    }

    fn ticks(&self) -> Vec<(f64, String)> {
        if let Some(t) = &self.ticks {
            return t.clone();
        }
        let mut out: Vec<(f64, String)> = match self.scale {
            Scale::Linear => linear_ticks(self.min, self.max)
                .into_iter()
                .map(|v| (v, fmt_tick(v, self.fmt)))
                .collect(),
            Scale::Log10 => log10_ticks(self.min, self.max)
                .into_iter()
                .filter(|v| !(self.zero_floor && (*v - self.min).abs() < self.min * 1e-9))
                .map(|v| (v, fmt_tick(v, self.fmt)))
                .collect(),
            Scale::Log2 => {
                let (a, b) = (
                    self.min.log2().ceil() as i32,
                    self.max.log2().floor() as i32,
                );
                let every = ((b - a) / 10 + 1).max(1);
                (a..=b)
                    .filter(|e| (e - a) % every == 0)
                    .map(|e| {
                        let v = 2f64.powi(e);
                        (v, fmt_tick(v, self.fmt))
                    })
                    .collect()
            }
        };
        if self.zero_floor && self.scale != Scale::Linear {
            out.insert(0, (self.min, "0".into()));
        }
        out
    }
}

/// The visual identity of one series: colour, dash pattern and marker shape.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Look {
    color: RGBColor,
    /// On/off lengths in pixels; empty = solid.
    dash: &'static [f64],
    marker: Marker,
    width: u32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Marker {
    Circle,
    SquareOpen,
    Triangle,
    DiamondOpen,
    Cross,
    SquareFilled,
    TriangleDownOpen,
    Plus,
    CircleOpen,
}

/// Colour-blind-safe (Okabe–Ito), and every one readable on white.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(153, 153, 51),
];
const DASHES: [&[f64]; 5] = [
    &[],
    &[12.0, 6.0],
    &[3.0, 4.0],
    &[12.0, 4.0, 3.0, 4.0],
    &[22.0, 6.0],
];
const MARKERS: [Marker; 8] = [
    Marker::Circle,
    Marker::SquareOpen,
    Marker::Triangle,
    Marker::DiamondOpen,
    Marker::Cross,
    Marker::SquareFilled,
    Marker::TriangleDownOpen,
    Marker::Plus,
];
const GREY: RGBColor = RGBColor(90, 90, 90);
const GRID: RGBColor = RGBColor(225, 225, 225);
const SUBTLE: RGBColor = RGBColor(85, 85, 85);

/// Series `i` of a chart: colour, dash and marker all cycle (with coprime periods),
/// so neighbours differ in all three.
fn look(i: usize) -> Look {
    Look {
        color: PALETTE[i % PALETTE.len()],
        dash: DASHES[i % DASHES.len()],
        marker: MARKERS[i % MARKERS.len()],
        width: 2,
    }
}

/// A solid-line look (policies in the memory curves; dashes are kept for references).
fn solid_look(i: usize) -> Look {
    Look {
        dash: &[],
        ..look(i)
    }
}

/// Looks of the reference models: grey/black and dashed, so they read as yardsticks.
fn reference_look(model: &str) -> Look {
    if model == "opt" {
        Look {
            color: RGBColor(0, 0, 0),
            dash: &[3.0, 4.0],
            marker: Marker::Cross,
            width: 2,
        }
    } else {
        Look {
            color: GREY,
            dash: &[12.0, 6.0],
            marker: Marker::CircleOpen,
            width: 2,
        }
    }
}

#[derive(Clone, Debug)]
struct Series {
    label: String,
    points: Vec<(f64, f64)>,
    look: Look,
    /// Plotted against the right-hand axis.
    secondary: bool,
    /// Points added only to shape the line (no marker); empty = none.
    synthetic: Vec<bool>,
}

#[derive(Clone, Debug)]
struct Lines {
    x: Axis,
    y: Axis,
    y2: Option<Axis>,
    series: Vec<Series>,
}

/// How a bar series is filled: solid, or a light fill with dark hatching (so two
/// series differ in texture, not only in hue).
#[derive(Clone, Copy, Debug, PartialEq)]
struct BarLook {
    fill: RGBColor,
    hatch: Option<RGBColor>,
}

const BAR_LOOKS: [BarLook; 3] = [
    BarLook {
        fill: RGBColor(0, 90, 160),
        hatch: None,
    },
    BarLook {
        fill: RGBColor(250, 200, 120),
        hatch: Some(RGBColor(150, 80, 0)),
    },
    BarLook {
        fill: RGBColor(200, 200, 200),
        hatch: Some(RGBColor(40, 40, 40)),
    },
];

#[derive(Clone, Debug)]
struct Bars {
    /// One group per category, top to bottom.
    categories: Vec<String>,
    cat_desc: String,
    value_desc: String,
    fmt: Fmt,
    /// (label, one value per category).
    series: Vec<(String, Vec<Option<f64>>)>,
}

#[derive(Clone, Debug)]
struct Heat {
    xs: Vec<String>,
    ys: Vec<String>,
    x_desc: String,
    y_desc: String,
    /// values[y][x]
    values: Vec<Vec<Option<f64>>>,
    fmt: Fmt,
    metric: String,
}

/// Markers on a log axis, one row per category: the latency chart when there are
/// too many configurations for one line each.
#[derive(Clone, Debug)]
struct Dots {
    categories: Vec<String>,
    cat_desc: String,
    axis: Axis,
    /// (label, look, one value per category).
    series: Vec<(String, Look, Vec<Option<f64>>)>,
}

#[derive(Clone, Debug)]
enum Kind {
    Lines(Lines),
    Bars(Bars),
    Heat(Heat),
    Dots(Dots),
}

/// One picture: what it shows (title, subtitle), its file basename and its size.
#[derive(Clone, Debug)]
pub struct Chart {
    /// File basename (no extension), e.g. `device-io`.
    pub name: String,
    pub title: String,
    pub subtitle: String,
    /// How to read the chart, for a caption under it (the HTML report uses it).
    pub caption: String,
    pub size: (u32, u32),
    kind: Kind,
}

// ---------------------------------------------------------------------------------
// Number formatting

/// Trim trailing zeros of a fixed-point number ("1.50" → "1.5", "2.0" → "2").
fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// An exact-looking value: integers (and means of 100 or more, rounded) with
/// thousands separators, smaller fractions with two decimals.
pub(crate) fn fmt_count_exact(v: f64, sep: char) -> String {
    if (v.fract() == 0.0 || v.abs() >= 100.0) && v.abs() < 1e15 {
        let s = format!("{}", v.abs().round() as u64);
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        if v < 0.0 { format!("-{out}") } else { out }
    } else {
        trim(format!("{v:.2}"))
    }
}

/// The thousands separator in pictures: a thin space, because plotters' bitmap text
/// draws a comma raised enough to pass for a decimal point.
const THIN: char = '\u{2009}';

fn fmt_compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        trim(format!("{:.2}", v / 1e9)) + "G"
    } else if a >= 1e6 {
        trim(format!("{:.2}", v / 1e6)) + "M"
    } else if a >= 1e3 {
        trim(format!("{:.1}", v / 1e3)) + "k"
    } else if a >= 10.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        trim(format!("{v:.2}"))
    }
}

fn fmt_ns(v: f64) -> String {
    let (d, u) = if v >= 1e9 {
        (1e9, "s")
    } else if v >= 1e6 {
        (1e6, "ms")
    } else if v >= 1e3 {
        (1e3, "µs")
    } else {
        (1.0, "ns")
    };
    format!("{} {u}", trim(format!("{:.2}", v / d)))
}

fn fmt_bytes(v: f64) -> String {
    const U: [(f64, &str); 4] = [
        (1099511627776.0, "TiB"),
        (1073741824.0, "GiB"),
        (1048576.0, "MiB"),
        (1024.0, "KiB"),
    ];
    for (m, u) in U {
        if v >= m {
            return format!("{} {u}", trim(format!("{:.1}", v / m)));
        }
    }
    format!("{v:.0} B")
}

/// A tick label.
fn fmt_tick(v: f64, f: Fmt) -> String {
    if v.abs() >= 1e15 {
        // Nonsense from a hand-edited file: keep the label short.
        return format!("{v:.1e}");
    }
    match f {
        Fmt::Count => fmt_compact(v),
        Fmt::Ns => fmt_ns(v),
        Fmt::Bytes => fmt_bytes(v),
        Fmt::Mib => trim(format!("{v:.2}")),
        Fmt::Percent => trim(format!("{:.1}", v * 100.0)) + "%",
        Fmt::Secs => trim(format!("{v:.3}")),
    }
}

/// A value label (on a bar or in a heatmap cell): as exact as fits.
fn fmt_value(v: f64, f: Fmt) -> String {
    if v.abs() >= 1e15 {
        return format!("{v:.1e}");
    }
    match f {
        Fmt::Count => fmt_count_exact(v, THIN),
        Fmt::Mib => {
            if v >= 100.0 {
                format!("{v:.0}")
            } else {
                trim(format!("{v:.2}"))
            }
        }
        Fmt::Percent => format!("{:.2}%", v * 100.0),
        other => fmt_tick(v, other),
    }
}

fn nice_step(range: f64, target: f64) -> f64 {
    let raw = (range / target).max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let n = if f < 1.5 {
        1.0
    } else if f < 3.0 {
        2.0
    } else if f < 7.0 {
        5.0
    } else {
        10.0
    };
    n * mag
}

fn linear_ticks(min: f64, max: f64) -> Vec<f64> {
    if max.is_nan() || min.is_nan() || max <= min {
        return vec![min];
    }
    let step = nice_step(max - min, 6.0);
    let mut t = (min / step).ceil() * step;
    let mut out = Vec::new();
    while t <= max + step * 1e-6 && out.len() < 50 {
        out.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        t += step;
    }
    out
}

/// A linear axis maximum a little above `max`, on a nice step.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let step = nice_step(max, 6.0);
    ((max / step).ceil() * step).max(step)
}

fn log10_ticks(min: f64, max: f64) -> Vec<f64> {
    let (a, b) = (min.log10().ceil() as i32, max.log10().floor() as i32);
    let mut out: Vec<f64> = (a..=b).map(|e| 10f64.powi(e)).collect();
    if out.len() < 3 {
        // Less than two decades: 2x and 5x ticks too.
        let lo = min.log10().floor() as i32;
        out = (lo..=b + 1)
            .flat_map(|e| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(e)))
            .filter(|v| *v >= min * (1.0 - 1e-9) && *v <= max * (1.0 + 1e-9))
            .collect();
    }
    out
}

/// A log10 axis over the positive values of `vals` (zeros get a floor one decade
/// below the smallest positive decade).
fn log_axis(desc: &str, vals: &[f64], fmt: Fmt, default_min: f64) -> Axis {
    let pos: Vec<f64> = vals.iter().copied().filter(|v| *v > 0.0).collect();
    let has_zero = vals.iter().any(|v| *v <= 0.0);
    let lo = pos.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = pos.iter().copied().fold(0.0, f64::max);
    let lo = if lo.is_finite() { lo } else { default_min };
    let hi = if hi > 0.0 { hi } else { lo * 10.0 };
    let mut min = 10f64.powf(lo.log10().floor());
    if has_zero {
        min /= 10.0;
    }
    let mut max = 10f64.powf((hi * 1.05).log10().ceil());
    if max <= min * 10.0 {
        max = min * 10.0;
    }
    Axis {
        desc: desc.into(),
        min,
        max,
        scale: Scale::Log10,
        fmt,
        ticks: None,
        zero_floor: has_zero,
    }
}

fn linear_axis(desc: &str, max: f64, fmt: Fmt) -> Axis {
    Axis {
        desc: desc.into(),
        min: 0.0,
        max: nice_max(max * 1.05),
        scale: Scale::Linear,
        fmt,
        ticks: None,
        zero_floor: false,
    }
}

// ---------------------------------------------------------------------------------
// Rows → labels

/// A finite number (NaN or infinity from a hand-edited file is treated as missing).
fn num(r: &Row, c: &str) -> Option<f64> {
    r.get(c).and_then(Cell::as_f64).filter(|v| v.is_finite())
}

fn txt(r: &Row, c: &str) -> Option<String> {
    r.get(c).map(Cell::text).filter(|s| !s.trim().is_empty())
}

/// A row of a configuration that failed (it has a non-empty `error` cell).
pub(crate) fn failed(r: &Row) -> bool {
    txt(r, "error").is_some()
}

/// A human name of a results column, for axis titles and table headers.
pub(crate) fn dim_name(col: &str) -> String {
    match col {
        "config.model" => "model".into(),
        "config.mem" => "memory".into(),
        "config.device" => "device".into(),
        "config.readahead" => "read-ahead".into(),
        "config.cluster" => "write clustering".into(),
        "config.sync" => "sync policy".into(),
        "config.unavailable" => "unavailable memory".into(),
        "config.final_sync" => "final sync".into(),
        c => match c.strip_prefix("config.knobs.") {
            Some(k) => k.to_string(),
            None => c.strip_prefix("config.").unwrap_or(c).to_string(),
        },
    }
}

/// The config columns worth labelling by, most important first.
const PREFERRED_DIMS: [&str; 8] = [
    "config.model",
    "config.mem",
    "config.device",
    "config.readahead",
    "config.cluster",
    "config.sync",
    "config.unavailable",
    "config.final_sync",
];

/// Whether `col` takes a value not determined by the values of `chosen` (two rows
/// agree on every chosen column but differ on `col`). Used to leave out columns
/// that only restate another (`config.mem_h`, `config.derived.*`, a knob a policy
/// spec sets).
fn adds_information(rows: &[Row], chosen: &[String], col: &str) -> bool {
    let mut seen: Vec<(Vec<String>, String)> = Vec::new();
    for r in rows {
        let key: Vec<String> = chosen
            .iter()
            .map(|c| txt(r, c).unwrap_or_default())
            .collect();
        let v = txt(r, col).unwrap_or_default();
        match seen.iter().find(|(k, _)| *k == key) {
            Some((_, v0)) if *v0 != v => return true,
            Some(_) => {}
            None => seen.push((key, v)),
        }
    }
    false
}

fn distinct(rows: &[Row], col: &str) -> usize {
    let mut v: Vec<String> = rows.iter().filter_map(|r| txt(r, col)).collect();
    v.sort();
    v.dedup();
    v.len()
}

/// The columns that tell the configurations apart: the `dims` cells of a sweep
/// (those that vary among `rows`), or else the config columns that vary, minus those
/// that only restate another one.
pub(crate) fn varying_dims(rows: &[Row]) -> Vec<String> {
    let mut dims: Vec<String> = Vec::new();
    for r in rows {
        if let Some(d) = txt(r, "dims") {
            for c in d.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                if !dims.iter().any(|x| x == c) {
                    dims.push(c.to_string());
                }
            }
        }
    }
    let dims: Vec<String> = dims.into_iter().filter(|c| distinct(rows, c) > 1).collect();
    if !dims.is_empty() {
        return dims;
    }
    let cols = crate::report::results::columns(rows);
    let mut candidates: Vec<String> = PREFERRED_DIMS
        .iter()
        .filter(|c| cols.iter().any(|x| x == *c))
        .map(|c| c.to_string())
        .collect();
    candidates.extend(
        cols.iter()
            .filter(|c| c.starts_with("config.knobs."))
            .cloned(),
    );
    let mut chosen: Vec<String> = Vec::new();
    for c in candidates {
        if distinct(rows, &c) > 1 && adds_information(rows, &chosen, &c) {
            chosen.push(c);
        }
    }
    chosen
}

/// Split a policy spec `name:k=v,k=v` into its name and parameters.
fn split_spec(s: &str) -> (&str, Vec<&str>) {
    match s.split_once(':') {
        Some((n, rest)) => (n, rest.split(',').filter(|p| !p.is_empty()).collect()),
        None => (s, Vec::new()),
    }
}

/// The spec of a policy family (`readahead`, `cluster`, `sync`, `device`) as the
/// user wrote it, from a sweep's `config_key` (`model=…;mem=…;readahead=linux;…`).
fn spec_from_key(r: &Row, family: &str) -> Option<String> {
    let key = txt(r, "config_key")?;
    key.split(';')
        .find_map(|part| part.strip_prefix(family)?.strip_prefix('='))
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Short labels for the values of one column: sizes in binary units, and policy
/// specs as the sweep's user wrote them (from `config_key`), or else reduced to
/// their name plus the parameters that tell same-named specs apart
/// (`dragonfly:max_readahead=2M,seq_unit=16K,...` → `dragonfly`; a short spec
/// whose name is unique, like `fixed:pages=16`, is kept whole).
pub(crate) fn short_values(rows: &[Row], col: &str) -> Vec<Option<String>> {
    let vals: Vec<Option<String>> = rows.iter().map(|r| txt(r, col)).collect();
    if let Some(family) = col.strip_prefix("config.")
        && matches!(family, "readahead" | "cluster" | "sync" | "device")
        && rows
            .iter()
            .all(|r| txt(r, col).is_none() || spec_from_key(r, family).is_some())
    {
        return rows
            .iter()
            .map(|r| txt(r, col).and_then(|_| spec_from_key(r, family)))
            .collect();
    }
    if col == "config.mem" || col == "config.unavailable" {
        return rows
            .iter()
            .map(|r| match r.get(col) {
                Some(Cell::Int(i)) if *i >= 0 => Some(crate::units::format_size(*i as u64)),
                other => other.map(Cell::text),
            })
            .collect();
    }
    let is_spec = vals
        .iter()
        .flatten()
        .any(|v| v.contains(':') && v.contains('='));
    if !is_spec {
        // A bare knob value ("0") means nothing on its own: name it.
        if let Some(knob) = col.strip_prefix("config.knobs.") {
            return vals
                .into_iter()
                .map(|v| v.map(|v| format!("{knob}={v}")))
                .collect();
        }
        return vals;
    }
    let mut uniq: Vec<&String> = vals.iter().flatten().collect();
    uniq.sort();
    uniq.dedup();
    vals.iter()
        .map(|v| {
            let v = v.as_ref()?;
            let (name, params) = split_spec(v);
            let same_name: Vec<Vec<&str>> = uniq
                .iter()
                .map(|o| split_spec(o))
                .filter(|(n, _)| *n == name)
                .map(|(_, p)| p)
                .collect();
            let keep: Vec<&str> = params
                .iter()
                .copied()
                .filter(|p| !same_name.iter().all(|o| o.contains(p)))
                .collect();
            Some(if same_name.len() == 1 && v.len() <= 24 {
                v.clone()
            } else if keep.is_empty() {
                name.to_string()
            } else {
                format!("{name}:{}", keep.join(","))
            })
        })
        .collect()
}

/// A label per row from the given columns' short values, joined with " · " (rows
/// that agree on those columns get the same label: this is how lines are grouped).
fn raw_labels(rows: &[Row], dims: &[String]) -> Vec<String> {
    let cols: Vec<Vec<Option<String>>> = dims.iter().map(|d| short_values(rows, d)).collect();
    (0..rows.len())
        .map(|i| {
            cols.iter()
                .filter_map(|c| c[i].clone())
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .collect()
}

/// A label per configuration from the given columns, unique (duplicates get their
/// `config_id`).
fn labels_for(rows: &[Row], dims: &[String]) -> Vec<String> {
    let mut labels = raw_labels(rows, dims);
    // Nothing varies (or not for this row): say what the configuration is.
    for (i, (l, r)) in labels.iter_mut().zip(rows).enumerate() {
        if l.is_empty() {
            *l = {
                let mut parts: Vec<String> = Vec::new();
                let model = txt(r, "config.model");
                if let Some(m) = model.as_deref().filter(|m| *m != "dragonfly") {
                    parts.push(m.to_string());
                }
                if let Some(Cell::Int(mem)) = r.get("config.mem") {
                    parts.push(crate::units::format_size((*mem).max(0) as u64));
                }
                for (c, name) in [
                    ("config.readahead", "read-ahead"),
                    ("config.cluster", "cluster"),
                    ("config.sync", "sync"),
                ] {
                    if let Some(v) = txt(r, c) {
                        parts.push(format!("{name} {}", split_spec(&v).0));
                    }
                }
                if !parts.is_empty() {
                    parts.join(" · ")
                } else if let Some(k) = txt(r, "config_key") {
                    k
                } else {
                    format!("configuration #{i}")
                }
            };
        }
    }
    // Make duplicates distinguishable by their id.
    let dup: Vec<bool> = labels
        .iter()
        .map(|l| labels.iter().filter(|m| *m == l).count() > 1)
        .collect();
    for (i, l) in labels.iter_mut().enumerate() {
        if dup[i] {
            let id = rows[i]
                .get("config_id")
                .or_else(|| rows[i].get("config_index"))
                .map(Cell::text)
                .unwrap_or_else(|| i.to_string());
            *l = format!("{l} #{id}");
        }
    }
    labels
}

/// The successful rows of a results set and what labels them.
pub(crate) struct Prepared {
    pub rows: Vec<Row>,
    /// Each row's position among all rows (failed ones included).
    pub index: Vec<usize>,
    pub dims: Vec<String>,
    pub labels: Vec<String>,
    pub subtitle: String,
}

/// Put rows in grid order (`config_id`, or `config_index` of compare) when every row
/// has one: a sweep writes rows as configurations finish, so file order varies
/// from run to run, and plots and tables should not.
pub fn grid_order(rows: &mut [Row]) {
    for key in ["config_id", "config_index"] {
        if rows
            .iter()
            .all(|r| matches!(r.get(key), Some(Cell::Int(_))))
        {
            rows.sort_by_key(|r| match r.get(key) {
                Some(Cell::Int(i)) => *i,
                _ => i64::MAX,
            });
            return;
        }
    }
}

/// Keep the successful configurations and label them; an error when none is left.
pub(crate) fn prepare(all: &[Row]) -> Result<Prepared, String> {
    if all.is_empty() {
        return Err("the results contain no configurations".into());
    }
    let index: Vec<usize> = (0..all.len()).filter(|&i| !failed(&all[i])).collect();
    let rows: Vec<Row> = index.iter().map(|&i| all[i].clone()).collect();
    let failed = all.len() - rows.len();
    if rows.is_empty() {
        return Err(format!(
            "no successful configurations to plot (all {failed} failed)"
        ));
    }
    let dims = varying_dims(&rows);
    let labels = labels_for(&rows, &dims);
    let mut traces: Vec<String> = rows.iter().filter_map(|r| txt(r, "trace.path")).collect();
    traces.dedup();
    let trace = match traces.len() {
        0 => String::new(),
        1 => format!("trace {}", traces[0]),
        n => format!("{n} traces"),
    };
    let mut subtitle = format!(
        "{}{} configuration{}",
        if trace.is_empty() {
            String::new()
        } else {
            format!("{trace} · ")
        },
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    if failed > 0 {
        subtitle.push_str(&format!(" ({failed} failed, not shown)"));
    }
    Ok(Prepared {
        rows,
        index,
        dims,
        labels,
        subtitle,
    })
}

fn dims_desc(dims: &[String]) -> String {
    if dims.is_empty() {
        "configuration".into()
    } else {
        format!(
            "configuration ({})",
            dims.iter()
                .map(|d| dim_name(d))
                .collect::<Vec<_>>()
                .join(" · ")
        )
    }
}

/// Resolve a metric name the way `sort_rows` does: exact column, `_` for the first
/// dot, or a unique suffix.
pub(crate) fn resolve_metric(rows: &[Row], metric: &str) -> Result<String, String> {
    let cols = crate::report::results::columns(rows);
    let numeric = |c: &String| rows.iter().any(|r| num(r, c).is_some());
    if let Some(c) = cols.iter().find(|c| *c == metric && numeric(c)) {
        return Ok(c.clone());
    }
    if let Some(c) = cols
        .iter()
        .find(|c| c.replacen('.', "_", 1) == metric && numeric(c))
    {
        return Ok(c.clone());
    }
    if let Some(c) = cols
        .iter()
        .find(|c| c.ends_with(&format!(".{metric}")) && numeric(c))
    {
        return Ok(c.clone());
    }
    Err(format!(
        "no numeric metric \"{metric}\" in the results; try device.reads, device.writes, counters.page_misses, latency_ns.read.p99"
    ))
}

fn metric_fmt(col: &str) -> Fmt {
    if col.starts_with("latency_ns.") && !col.ends_with(".count") {
        Fmt::Ns
    } else if col.ends_with("bytes") || col.ends_with("bufspace") {
        Fmt::Bytes
    } else {
        Fmt::Count
    }
}

fn metric_name(col: &str) -> String {
    match col {
        "device.reads" => "device reads".into(),
        "device.writes" => "device writes".into(),
        "device.read_bytes" => "bytes read from the device".into(),
        "device.write_bytes" => "bytes written to the device".into(),
        "counters.page_misses" => "page misses".into(),
        c => {
            if let Some(rest) = c.strip_prefix("latency_ns.")
                && let Some((op, p)) = rest.split_once('.')
            {
                return format!("{op} latency {p}");
            }
            c.strip_prefix("counters.").unwrap_or(c).replace('_', " ")
        }
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------
// Rows → charts

/// Legend rows needed for `labels` across a picture `width` wide.
fn legend_layout(labels: &[String], width: i32) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut x = 0;
    let avail = width - 2 * MARGIN;
    for (i, l) in labels.iter().enumerate() {
        let w = legend_entry_width(l);
        if rows.is_empty() || (x + w > avail && x > 0) {
            rows.push(Vec::new());
            x = 0;
        }
        if let Some(last) = rows.last_mut() {
            last.push(i);
        }
        x += w;
    }
    rows
}

const MARGIN: i32 = 16;
const TITLE_SIZE: f64 = 24.0;
const SUBTITLE_SIZE: f64 = 15.0;
const LEGEND_SIZE: f64 = 15.0;
const LEGEND_ROW: i32 = 22;
const TICK_SIZE: f64 = 14.0;
const DESC_SIZE: f64 = 17.0;
const VALUE_SIZE: f64 = 13.0;
const GLYPH_W: i32 = 38;

fn legend_entry_width(label: &str) -> i32 {
    GLYPH_W + 6 + text_width(label, LEGEND_SIZE) + 22
}

/// Height grown for a legend of more than `base_rows` rows (the plot keeps its room).
fn height_for_legend(labels: &[String], base: (u32, u32), base_rows: usize) -> (u32, u32) {
    let rows = legend_layout(labels, base.0 as i32).len();
    let extra = rows.saturating_sub(base_rows).min(40) as u32 * LEGEND_ROW as u32;
    (base.0, base.1 + extra)
}

#[allow(clippy::too_many_arguments)]
fn bar_chart(
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
        .filter(|(c, _)| p.rows.iter().any(|r| num(r, c).is_some()))
        .map(|(c, l)| {
            (
                l.to_string(),
                p.rows
                    .iter()
                    .map(|r| num(r, c).map(|v| v / scale))
                    .collect(),
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

fn op_title(op: &str) -> String {
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
fn op_noun(op: &str) -> String {
    match op {
        "fault_read" => "page touches that read (faults or not)".into(),
        "fault_write" => "page touches that write (faults or not)".into(),
        o => format!("{o}(2) calls"),
    }
}

const PCTS: [(&str, &str); 4] = [
    ("p50", "p50"),
    ("p90", "p90"),
    ("p99", "p99"),
    ("p999", "p99.9"),
];

fn latency_chart(p: &Prepared, op: &str) -> Option<Chart> {
    let count = format!("latency_ns.{op}.count");
    let with: Vec<usize> = (0..p.rows.len())
        .filter(|&i| num(&p.rows[i], &count).unwrap_or(0.0) > 0.0)
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
                num(r, &format!("latency_ns.{op}.{c}")).map(|v| (j as f64 + off, v))
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
        .filter_map(|&i| num(&p.rows[i], &count).map(|c| c as u64))
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
const MAX_CATEGORIES: usize = 150;

/// Above this many configurations a latency chart shows percentiles as markers per
/// configuration instead of one curve each (the legend alone would fill the picture).
const MAX_CURVES: usize = 10;

fn latency_dots(p: &Prepared, op: &str, with: &[usize], axis: Axis, calls: &str) -> Chart {
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
                with.iter().map(|&i| num(&p.rows[i], &col)).collect(),
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
fn dim_values(rows: &[Row], col: &str) -> Vec<String> {
    let mut v: Vec<(Option<f64>, String)> = Vec::new();
    for r in rows {
        if let Some(t) = txt(r, col)
            && !v.iter().any(|(_, s)| *s == t)
        {
            v.push((num(r, col), t));
        }
    }
    if v.iter().all(|(n, _)| n.is_some()) {
        v.sort_by(|a, b| a.0.unwrap_or(0.0).total_cmp(&b.0.unwrap_or(0.0)));
    }
    v.into_iter().map(|(_, s)| s).collect()
}

fn heatmap_chart(p: &Prepared, metric: &str) -> Option<Chart> {
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
                    .position(|r| txt(r, col).as_deref() == Some(v.as_str()))
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
                    txt(r, dx).as_deref() == Some(xv.as_str())
                        && txt(r, dy).as_deref() == Some(yv.as_str())
                })
                .filter_map(|r| num(r, metric))
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
fn mem_charts(p: &Prepared) -> Vec<Chart> {
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
        let model = txt(r, "config.model").unwrap_or_else(|| "dragonfly".into());
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
    let x_vals: Vec<f64> = p.rows.iter().filter_map(|r| num(r, "config.mem")).collect();
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
            num(r, "device.reads")
        } else {
            let h = num(r, "counters.page_hits")?;
            let m = num(r, "counters.page_misses")?;
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
                    Some((num(r, "config.mem")?, metric(r, which)?))
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

// ---------------------------------------------------------------------------------
// Timeline

/// The columns of a `--timeline` CSV that the charts use.
const TIMELINE_COLS: [&str; 10] = [
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
fn read_timeline(path: &Path) -> Result<Vec<Vec<f64>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| format!("{}: empty timeline file", path.display()))?
        .split(',')
        .map(str::trim)
        .collect();
    let idx: Vec<usize> = TIMELINE_COLS
        .iter()
        .map(|c| {
            header.iter().position(|h| h == c).ok_or_else(|| {
                format!(
                    "{}: not a vpsim --timeline CSV (no \"{c}\" column)",
                    path.display()
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let mut cols = vec![Vec::new(); TIMELINE_COLS.len()];
    for (n, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        for (k, &i) in idx.iter().enumerate() {
            let v = f
                .get(i)
                .and_then(|s| s.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    format!(
                        "{}: line {}: bad or missing \"{}\" value",
                        path.display(),
                        n + 2,
                        TIMELINE_COLS[k]
                    )
                })?;
            cols[k].push(v);
        }
    }
    if cols[0].is_empty() {
        return Err(format!(
            "{}: the timeline has no rows (nothing happened, or the step is longer than the trace)",
            path.display()
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

// ---------------------------------------------------------------------------------
// Rendering

type R = Result<(), String>;

/// A drawing surface in pixels. PNG text from plotters' ab_glyph backend sits about
/// a fifth of the font size higher than its anchor says (SVG text does not), so the
/// bitmap case is nudged to make both pictures agree.
struct Canvas<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
    bitmap: bool,
    /// Open markers are see-through (where markers of equal values overlap) rather
    /// than white inside (where they sit on lines).
    see_through: bool,
}

fn style(color: RGBColor, width: u32) -> ShapeStyle {
    ShapeStyle::from(&color).stroke_width(width)
}

impl<DB: DrawingBackend> Canvas<'_, DB> {
    #[allow(clippy::too_many_arguments)]
    fn text(
        &self,
        s: &str,
        (x, y): (i32, i32),
        size: f64,
        h: HPos,
        v: VPos,
        color: RGBColor,
        rotate: bool,
    ) -> R {
        let nudge = if self.bitmap { (size * 0.22) as i32 } else { 0 };
        let mut st = TextStyle::from(("sans-serif", size).into_font())
            .color(&color)
            .pos(Pos::new(h, v));
        let pos = if rotate {
            st = st.transform(FontTransform::Rotate270);
            (x + nudge, y)
        } else {
            (x, y + nudge)
        };
        self.area
            .draw_text(s, &st, pos)
            .map_err(|e| format!("drawing text: {e}"))
    }

    fn path(&self, pts: Vec<(i32, i32)>, color: RGBColor, width: u32) -> R {
        self.area
            .draw(&PathElement::new(pts, style(color, width)))
            .map_err(|e| format!("drawing: {e}"))
    }

    fn rect(&self, a: (i32, i32), b: (i32, i32), color: RGBColor, filled: bool, width: u32) -> R {
        let st = if filled {
            style(color, width).filled()
        } else {
            style(color, width)
        };
        self.area
            .draw(&Rectangle::new([a, b], st))
            .map_err(|e| format!("drawing: {e}"))
    }

    fn polygon(&self, pts: Vec<(i32, i32)>, color: RGBColor) -> R {
        self.area
            .draw(&Polygon::new(pts, style(color, 1).filled()))
            .map_err(|e| format!("drawing: {e}"))
    }

    fn circle(&self, c: (i32, i32), r: i32, color: RGBColor, filled: bool) -> R {
        let st = if filled {
            style(color, 1).filled()
        } else {
            style(color, 2)
        };
        self.area
            .draw(&Circle::new(c, r, st))
            .map_err(|e| format!("drawing: {e}"))
    }

    fn marker(&self, m: Marker, (x, y): (i32, i32), color: RGBColor) -> R {
        let s = 5;
        let white = RGBColor(255, 255, 255);
        let blank = !self.see_through;
        let outline = |pts: Vec<(i32, i32)>| -> R {
            if blank {
                self.polygon(pts.clone(), white)?;
            }
            let mut closed = pts;
            closed.push(closed[0]);
            self.path(closed, color, 2)
        };
        match m {
            Marker::Circle => self.circle((x, y), s, color, true),
            Marker::CircleOpen => {
                if blank {
                    self.circle((x, y), s, white, true)?;
                }
                self.circle((x, y), s, color, false)
            }
            Marker::SquareFilled => self.rect((x - s, y - s), (x + s, y + s), color, true, 1),
            Marker::SquareOpen => outline(vec![
                (x - s, y - s),
                (x + s, y - s),
                (x + s, y + s),
                (x - s, y + s),
            ]),
            Marker::Triangle => self.polygon(
                vec![(x, y - s - 1), (x + s + 1, y + s), (x - s - 1, y + s)],
                color,
            ),
            Marker::TriangleDownOpen => {
                outline(vec![(x - s - 1, y - s), (x + s + 1, y - s), (x, y + s + 1)])
            }
            Marker::DiamondOpen => outline(vec![
                (x, y - s - 1),
                (x + s + 1, y),
                (x, y + s + 1),
                (x - s - 1, y),
            ]),
            Marker::Cross => {
                self.path(vec![(x - s, y - s), (x + s, y + s)], color, 2)?;
                self.path(vec![(x - s, y + s), (x + s, y - s)], color, 2)
            }
            Marker::Plus => {
                self.path(vec![(x - s - 1, y), (x + s + 1, y)], color, 2)?;
                self.path(vec![(x, y - s - 1), (x, y + s + 1)], color, 2)
            }
        }
    }

    /// A polyline with the look's dash pattern (dashes continue across vertices).
    fn styled_line(&self, pts: &[(f64, f64)], lk: &Look) -> R {
        if pts.len() < 2 {
            return Ok(());
        }
        if lk.dash.is_empty() {
            let p: Vec<(i32, i32)> = pts
                .iter()
                .map(|&(x, y)| (x.round() as i32, y.round() as i32))
                .collect();
            return self.path(p, lk.color, lk.width);
        }
        let mut idx = 0;
        let mut left = lk.dash[0];
        for w in pts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
            let mut t = 0.0;
            while t < len {
                let step = (len - t).min(left);
                if idx % 2 == 0 {
                    let p0 = (a.0 + (b.0 - a.0) * t / len, a.1 + (b.1 - a.1) * t / len);
                    let p1 = (
                        a.0 + (b.0 - a.0) * (t + step) / len,
                        a.1 + (b.1 - a.1) * (t + step) / len,
                    );
                    self.path(
                        vec![
                            (p0.0.round() as i32, p0.1.round() as i32),
                            (p1.0.round() as i32, p1.1.round() as i32),
                        ],
                        lk.color,
                        lk.width,
                    )?;
                }
                t += step;
                left -= step;
                if left <= 1e-9 {
                    idx = (idx + 1) % lk.dash.len();
                    left = lk.dash[idx];
                }
            }
        }
        Ok(())
    }

    /// Light fill plus diagonal hatching clipped to the rectangle.
    fn bar(&self, (x0, y0): (i32, i32), (x1, y1): (i32, i32), bl: &BarLook) -> R {
        if x1 <= x0 || y1 <= y0 {
            return Ok(());
        }
        self.rect((x0, y0), (x1, y1), bl.fill, true, 1)?;
        if let Some(h) = bl.hatch {
            // Lines x + y = c, for c every 7 px, clipped to the box.
            let mut c = x0 + y0 + 4;
            while c < x1 + y1 {
                let xa = x0.max(c - y1);
                let xb = x1.min(c - y0);
                if xa < xb {
                    self.path(vec![(xa, c - xa), (xb, c - xb)], h, 1)?;
                }
                c += 7;
            }
            self.rect((x0, y0), (x1, y1), h, false, 1)?;
        }
        Ok(())
    }
}

enum Glyph {
    Line(Look),
    Bar(BarLook),
    Marker(Look),
}

/// Title, subtitle and legend; returns the y where the plot may start.
fn header<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    chart: &Chart,
    legend: &[(String, Glyph)],
) -> Result<i32, String> {
    let w = chart.size.0 as i32;
    cv.text(
        &chart.title,
        (w / 2, 10),
        TITLE_SIZE,
        HPos::Center,
        VPos::Top,
        RGBColor(0, 0, 0),
        false,
    )?;
    let mut y = 10 + TITLE_SIZE as i32 + 6;
    if !chart.subtitle.is_empty() {
        cv.text(
            &chart.subtitle,
            (w / 2, y),
            SUBTITLE_SIZE,
            HPos::Center,
            VPos::Top,
            SUBTLE,
            false,
        )?;
        y += SUBTITLE_SIZE as i32 + 8;
    }
    if legend.is_empty() {
        return Ok(y + 4);
    }
    let labels: Vec<String> = legend.iter().map(|(l, _)| l.clone()).collect();
    let rows = legend_layout(&labels, w);
    for row in &rows {
        let total: i32 = row
            .iter()
            .map(|&i| legend_entry_width(&labels[i]))
            .sum::<i32>()
            - 22;
        let mut x = ((w - total) / 2).max(MARGIN);
        let cy = y + LEGEND_ROW / 2;
        for &i in row {
            match &legend[i].1 {
                Glyph::Line(lk) => {
                    cv.styled_line(
                        &[(x as f64, cy as f64), ((x + GLYPH_W) as f64, cy as f64)],
                        lk,
                    )?;
                    cv.marker(lk.marker, (x + GLYPH_W / 2, cy), lk.color)?;
                }
                Glyph::Bar(bl) => cv.bar((x + 4, cy - 7), (x + GLYPH_W - 4, cy + 7), bl)?,
                Glyph::Marker(lk) => cv.marker(lk.marker, (x + GLYPH_W / 2, cy), lk.color)?,
            }
            cv.text(
                &labels[i],
                (x + GLYPH_W + 6, cy),
                LEGEND_SIZE,
                HPos::Left,
                VPos::Center,
                RGBColor(0, 0, 0),
                false,
            )?;
            x += legend_entry_width(&labels[i]);
        }
        y += LEGEND_ROW;
    }
    Ok(y + 6)
}

/// The plot rectangle in pixels and the linear maps into it.
#[derive(Clone, Copy)]
struct Frame {
    left: i32,
    right: i32,
    top: i32,
    bottom: i32,
}

impl Frame {
    fn px(&self, lo: f64, hi: f64, v: f64) -> f64 {
        let f = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
        self.left as f64 + f * (self.right - self.left) as f64
    }
    fn py(&self, lo: f64, hi: f64, v: f64) -> f64 {
        let f = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
        self.bottom as f64 - f * (self.bottom - self.top) as f64
    }
}

fn max_width(labels: &[(f64, String)], size: f64) -> i32 {
    labels
        .iter()
        .map(|(_, l)| text_width(l, size))
        .max()
        .unwrap_or(0)
}

/// X tick labels under the frame, skipping any that would overlap its neighbour.
fn x_ticks<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    f: &Frame,
    ticks: &[(f64, String)],
    map: &dyn Fn(f64) -> f64,
    grid: bool,
) -> R {
    let mut last_right = i32::MIN;
    for (v, l) in ticks {
        let x = map(*v).round() as i32;
        if x < f.left - 1 || x > f.right + 1 {
            continue;
        }
        if grid {
            cv.path(vec![(x, f.top), (x, f.bottom)], GRID, 1)?;
        }
        cv.path(vec![(x, f.bottom), (x, f.bottom + 5)], RGBColor(0, 0, 0), 1)?;
        let w = text_width(l, TICK_SIZE);
        if x - w / 2 > last_right + 6 {
            cv.text(
                l,
                (x, f.bottom + 8),
                TICK_SIZE,
                HPos::Center,
                VPos::Top,
                RGBColor(0, 0, 0),
                false,
            )?;
            last_right = x + w / 2;
        }
    }
    Ok(())
}

fn y_ticks<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    f: &Frame,
    ticks: &[(f64, String)],
    map: &dyn Fn(f64) -> f64,
    right: bool,
    grid: bool,
) -> R {
    let mut last = i32::MAX;
    for (v, l) in ticks {
        let y = map(*v).round() as i32;
        if y < f.top - 1 || y > f.bottom + 1 {
            continue;
        }
        if grid {
            cv.path(vec![(f.left, y), (f.right, y)], GRID, 1)?;
        }
        let (x0, x1, tx, hp) = if right {
            (f.right, f.right + 5, f.right + 8, HPos::Left)
        } else {
            (f.left - 5, f.left, f.left - 8, HPos::Right)
        };
        cv.path(vec![(x0, y), (x1, y)], RGBColor(0, 0, 0), 1)?;
        if (last - y).abs() >= TICK_SIZE as i32 + 2 {
            cv.text(
                l,
                (tx, y),
                TICK_SIZE,
                hp,
                VPos::Center,
                RGBColor(0, 0, 0),
                false,
            )?;
            last = y;
        }
    }
    Ok(())
}

fn draw_lines<DB: DrawingBackend>(cv: &Canvas<DB>, chart: &Chart, l: &Lines) -> R {
    let legend: Vec<(String, Glyph)> = l
        .series
        .iter()
        .map(|s| (s.label.clone(), Glyph::Line(s.look)))
        .collect();
    let top = header(cv, chart, &legend)? + 8;
    let (w, h) = (chart.size.0 as i32, chart.size.1 as i32);
    let yt = l.y.ticks();
    let y2t = l.y2.as_ref().map(|a| a.ticks()).unwrap_or_default();
    let left = MARGIN + DESC_SIZE as i32 + 10 + max_width(&yt, TICK_SIZE).min(w / 4) + 10;
    let right = if l.y2.is_some() {
        w - (MARGIN + DESC_SIZE as i32 + 10 + max_width(&y2t, TICK_SIZE).min(w / 4) + 10)
    } else {
        w - MARGIN - 24
    };
    let f = Frame {
        left,
        right,
        top,
        bottom: h - (MARGIN + DESC_SIZE as i32 + 8 + TICK_SIZE as i32 + 14),
    };
    if f.bottom - f.top < 40 || f.right - f.left < 40 {
        return Err("the chart is too small for its legend".into());
    }
    let (x0, x1) = (l.x.t(l.x.min), l.x.t(l.x.max));
    let (y0, y1) = (l.y.t(l.y.min), l.y.t(l.y.max));
    let mx = |v: f64| f.px(x0, x1, l.x.t(v));
    let my = |v: f64| f.py(y0, y1, l.y.t(v));
    x_ticks(cv, &f, &l.x.ticks(), &mx, true)?;
    y_ticks(cv, &f, &yt, &my, false, true)?;
    let black = RGBColor(0, 0, 0);
    if let Some(a2) = &l.y2 {
        let (u0, u1) = (a2.t(a2.min), a2.t(a2.max));
        let my2 = |v: f64| f.py(u0, u1, a2.t(v));
        y_ticks(cv, &f, &y2t, &my2, true, false)?;
        cv.path(vec![(f.right, f.top), (f.right, f.bottom)], black, 1)?;
        cv.text(
            &a2.desc,
            (w - MARGIN - DESC_SIZE as i32 / 2, (f.top + f.bottom) / 2),
            DESC_SIZE,
            HPos::Center,
            VPos::Center,
            black,
            true,
        )?;
    }
    cv.path(
        vec![(f.left, f.top), (f.left, f.bottom), (f.right, f.bottom)],
        black,
        1,
    )?;
    cv.text(
        &l.x.desc,
        ((f.left + f.right) / 2, h - MARGIN),
        DESC_SIZE,
        HPos::Center,
        VPos::Bottom,
        black,
        false,
    )?;
    cv.text(
        &l.y.desc,
        (MARGIN + DESC_SIZE as i32 / 2, (f.top + f.bottom) / 2),
        DESC_SIZE,
        HPos::Center,
        VPos::Center,
        black,
        true,
    )?;
    for (si, s) in l.series.iter().enumerate() {
        let ax = if s.secondary {
            l.y2.as_ref().unwrap_or(&l.y)
        } else {
            &l.y
        };
        let (u0, u1) = (ax.t(ax.min), ax.t(ax.max));
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|&(x, y)| (mx(x), f.py(u0, u1, ax.t(y))))
            .collect();
        cv.styled_line(&decimate(&pts), &s.look)?;
        let real: Vec<&(f64, f64)> = pts
            .iter()
            .enumerate()
            .filter(|(i, _)| !s.synthetic.get(*i).copied().unwrap_or(false))
            .map(|(_, p)| p)
            .collect();
        // At most ~16 markers per series, staggered between series.
        let every = real.len().div_ceil(16).max(1);
        let shift = if every > 1 {
            (si * every / 3) % every
        } else {
            0
        };
        for (i, p) in real.into_iter().enumerate() {
            if i % every == shift {
                cv.marker(
                    s.look.marker,
                    (p.0.round() as i32, p.1.round() as i32),
                    s.look.color,
                )?;
            }
        }
    }
    Ok(())
}

/// Thin a long polyline (in pixels) to what a screen can show: per pixel column the
/// first, lowest, highest and last point, so spikes survive and SVGs stay small.
fn decimate(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if pts.len() <= 2000 {
        return pts.to_vec();
    }
    let mut out: Vec<(f64, f64)> = Vec::new();
    let mut i = 0;
    while i < pts.len() {
        let col = pts[i].0.round();
        let mut j = i;
        while j < pts.len() && pts[j].0.round() == col {
            j += 1;
        }
        let run = &pts[i..j];
        let lo = run
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.1.total_cmp(&b.1.1));
        let hi = run
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.1.total_cmp(&b.1.1));
        let mut keep: Vec<usize> = vec![0, run.len() - 1];
        keep.extend(lo.map(|(k, _)| k));
        keep.extend(hi.map(|(k, _)| k));
        keep.sort_unstable();
        keep.dedup();
        out.extend(keep.into_iter().map(|k| run[k]));
        i = j;
    }
    out
}

/// Shorten `s` with an ellipsis until it fits `max` pixels.
fn fit(s: &str, size: f64, max: i32) -> String {
    if text_width(s, size) <= max {
        return s.to_string();
    }
    let mut chars: Vec<char> = s.chars().collect();
    while chars.len() > 1 {
        chars.pop();
        let t: String = chars.iter().collect::<String>() + "…";
        if text_width(&t, size) <= max {
            return t;
        }
    }
    "…".into()
}

fn draw_bars<DB: DrawingBackend>(cv: &Canvas<DB>, chart: &Chart, b: &Bars) -> R {
    let legend: Vec<(String, Glyph)> = b
        .series
        .iter()
        .enumerate()
        .map(|(i, (l, _))| (l.clone(), Glyph::Bar(BAR_LOOKS[i % BAR_LOOKS.len()])))
        .collect();
    let top = header(cv, chart, &legend)? + 8;
    let (w, h) = (chart.size.0 as i32, chart.size.1 as i32);
    let max_label = (w as f64 * 0.42) as i32;
    let cats: Vec<String> = b
        .categories
        .iter()
        .map(|c| fit(c, TICK_SIZE, max_label))
        .collect();
    let cat_w = cats
        .iter()
        .map(|c| text_width(c, TICK_SIZE))
        .max()
        .unwrap_or(0);
    let f = Frame {
        left: MARGIN + DESC_SIZE as i32 + 10 + cat_w + 12,
        right: w - MARGIN - 16,
        top,
        bottom: h - (MARGIN + DESC_SIZE as i32 + 8 + TICK_SIZE as i32 + 14),
    };
    let vmax = b
        .series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten())
        .copied()
        .fold(0.0, f64::max);
    // Room right of the longest bar for its value label.
    let longest = b
        .series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten())
        .map(|v| text_width(&fmt_value(*v, b.fmt), VALUE_SIZE))
        .max()
        .unwrap_or(0);
    let room = (f.right - f.left - longest - 12).max(40) as f64 / (f.right - f.left) as f64;
    let xmax = nice_max(vmax / room);
    let mx = |v: f64| f.px(0.0, xmax, v);
    let ticks: Vec<(f64, String)> = linear_ticks(0.0, xmax)
        .into_iter()
        .map(|v| (v, fmt_tick(v, b.fmt)))
        .collect();
    x_ticks(cv, &f, &ticks, &mx, true)?;
    let n = cats.len().max(1) as f64;
    let band = (f.bottom - f.top) as f64 / n;
    let k = b.series.len().max(1) as f64;
    let bar_h = (band * 0.8 / k).min(26.0);
    let black = RGBColor(0, 0, 0);
    for (i, c) in cats.iter().enumerate() {
        let cy = f.top as f64 + band * (i as f64 + 0.5);
        cv.text(
            c,
            (f.left - 10, cy.round() as i32),
            TICK_SIZE,
            HPos::Right,
            VPos::Center,
            black,
            false,
        )?;
        if i > 0 {
            let y = (f.top as f64 + band * i as f64).round() as i32;
            cv.path(vec![(f.left, y), (f.right, y)], RGBColor(240, 240, 240), 1)?;
        }
        let y_start = cy - bar_h * k / 2.0;
        for (j, (_, vals)) in b.series.iter().enumerate() {
            let Some(v) = vals.get(i).copied().flatten() else {
                continue;
            };
            let y0 = (y_start + bar_h * j as f64).round() as i32;
            let y1 = (y_start + bar_h * (j as f64 + 1.0)).round() as i32 - 1;
            let x1 = mx(v).round() as i32;
            cv.bar(
                (f.left, y0),
                (x1.max(f.left + 1), y1),
                &BAR_LOOKS[j % BAR_LOOKS.len()],
            )?;
            cv.text(
                &fmt_value(v, b.fmt),
                (x1 + 5, (y0 + y1) / 2),
                VALUE_SIZE,
                HPos::Left,
                VPos::Center,
                black,
                false,
            )?;
        }
    }
    cv.path(
        vec![(f.left, f.top), (f.left, f.bottom), (f.right, f.bottom)],
        black,
        1,
    )?;
    cv.text(
        &b.value_desc,
        ((f.left + f.right) / 2, h - MARGIN),
        DESC_SIZE,
        HPos::Center,
        VPos::Bottom,
        black,
        false,
    )?;
    cv.text(
        &b.cat_desc,
        (MARGIN + DESC_SIZE as i32 / 2, (f.top + f.bottom) / 2),
        DESC_SIZE,
        HPos::Center,
        VPos::Center,
        black,
        true,
    )?;
    Ok(())
}

/// Sequential light-to-dark scale (YlGnBu): lightness falls monotonically, so the
/// order survives greyscale.
fn heat_color(f: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] = [
        (255.0, 255.0, 217.0),
        (199.0, 233.0, 180.0),
        (65.0, 182.0, 196.0),
        (34.0, 94.0, 168.0),
        (8.0, 29.0, 88.0),
    ];
    let f = if f.is_finite() {
        f.clamp(0.0, 1.0)
    } else {
        0.0
    } * (STOPS.len() - 1) as f64;
    let i = (f.floor() as usize).min(STOPS.len() - 2);
    let t = f - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn draw_heat<DB: DrawingBackend>(cv: &Canvas<DB>, chart: &Chart, hm: &Heat) -> R {
    let top = header(cv, chart, &[])? + 8;
    let (w, h) = (chart.size.0 as i32, chart.size.1 as i32);
    let black = RGBColor(0, 0, 0);
    let ylab_w = hm
        .ys
        .iter()
        .map(|s| text_width(s, TICK_SIZE))
        .max()
        .unwrap_or(0)
        .min(w / 3);
    let bar_w = 22;
    let vals: Vec<f64> = hm.values.iter().flatten().flatten().copied().collect();
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let scale_labels: Vec<(f64, String)> = if lo.is_finite() && hi > lo {
        linear_ticks(lo, hi)
            .into_iter()
            .map(|v| (v, fmt_tick(v, hm.fmt)))
            .collect()
    } else if lo.is_finite() {
        vec![(lo, fmt_tick(lo, hm.fmt))]
    } else {
        Vec::new()
    };
    let scale_w = bar_w + 8 + max_width(&scale_labels, TICK_SIZE) + 8 + DESC_SIZE as i32 + 8;
    let f = Frame {
        left: MARGIN + DESC_SIZE as i32 + 10 + ylab_w + 10,
        right: w - MARGIN - scale_w - 16,
        top,
        bottom: h - (MARGIN + DESC_SIZE as i32 + 8 + TICK_SIZE as i32 + 14),
    };
    let (nx, ny) = (hm.xs.len().max(1) as f64, hm.ys.len().max(1) as f64);
    let cw = (f.right - f.left) as f64 / nx;
    let ch = (f.bottom - f.top) as f64 / ny;
    let norm = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
    // Small cells (many values on an axis): no value labels, thinner separators,
    // and only every n-th row label.
    let labelled = ch >= 20.0 && cw >= 36.0;
    let sep = if ch >= 12.0 && cw >= 12.0 { 2 } else { 0 };
    let y_every = ((TICK_SIZE + 4.0) / ch.max(1.0)).ceil().max(1.0) as usize;
    let best = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let mut best_cells = Vec::new();
    for (yi, row) in hm.values.iter().enumerate() {
        // First y value at the top.
        let y0 = (f.top as f64 + ch * yi as f64).round() as i32;
        let y1 = (f.top as f64 + ch * (yi as f64 + 1.0)).round() as i32;
        for (xi, v) in row.iter().enumerate() {
            let x0 = (f.left as f64 + cw * xi as f64).round() as i32;
            let x1 = (f.left as f64 + cw * (xi as f64 + 1.0)).round() as i32;
            match v {
                Some(v) => {
                    let c = heat_color(norm(*v));
                    cv.rect((x0, y0), (x1, y1), c, true, 1)?;
                    let lum = 0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * c.2 as f64;
                    let tc = if lum < 140.0 {
                        RGBColor(255, 255, 255)
                    } else {
                        black
                    };
                    if labelled {
                        let label = fit(&fmt_value(*v, hm.fmt), 16.0, x1 - x0 - 6);
                        cv.text(
                            &label,
                            ((x0 + x1) / 2, (y0 + y1) / 2),
                            16.0,
                            HPos::Center,
                            VPos::Center,
                            tc,
                            false,
                        )?;
                    }
                    if *v == best && hi > lo {
                        best_cells.push(((x0, y0), (x1, y1)));
                    }
                }
                None => {
                    cv.rect((x0, y0), (x1, y1), RGBColor(245, 245, 245), true, 1)?;
                    if labelled {
                        cv.text(
                            "n/a",
                            ((x0 + x1) / 2, (y0 + y1) / 2),
                            14.0,
                            HPos::Center,
                            VPos::Center,
                            SUBTLE,
                            false,
                        )?;
                    }
                }
            }
            if sep > 0 {
                cv.rect((x0, y0), (x1, y1), RGBColor(255, 255, 255), false, sep)?;
            }
        }
        if yi % y_every != 0 {
            continue;
        }
        let label = fit(&hm.ys[yi], TICK_SIZE, ylab_w);
        cv.text(
            &label,
            (f.left - 8, (y0 + y1) / 2),
            TICK_SIZE,
            HPos::Right,
            VPos::Center,
            black,
            false,
        )?;
    }
    let inset = if labelled { 3 } else { 0 };
    for (a, b) in best_cells {
        cv.rect(
            (a.0 + inset, a.1 + inset),
            (b.0 - inset, b.1 - inset),
            RGBColor(213, 94, 0),
            false,
            3,
        )?;
    }
    let xw = hm
        .xs
        .iter()
        .map(|l| text_width(l, TICK_SIZE))
        .max()
        .unwrap_or(0);
    let x_every = if cw >= 40.0 {
        1
    } else {
        ((xw.min(120) + 8) as f64 / cw.max(1.0)).ceil() as usize
    };
    for (xi, l) in hm.xs.iter().enumerate() {
        if xi % x_every.max(1) != 0 {
            continue;
        }
        let x = (f.left as f64 + cw * (xi as f64 + 0.5)).round() as i32;
        let room = if x_every > 1 { 120 } else { cw as i32 - 6 };
        let label = fit(l, TICK_SIZE, room);
        cv.text(
            &label,
            (x, f.bottom + 8),
            TICK_SIZE,
            HPos::Center,
            VPos::Top,
            black,
            false,
        )?;
    }
    cv.text(
        &hm.x_desc,
        ((f.left + f.right) / 2, h - MARGIN),
        DESC_SIZE,
        HPos::Center,
        VPos::Bottom,
        black,
        false,
    )?;
    cv.text(
        &hm.y_desc,
        (MARGIN + DESC_SIZE as i32 / 2, (f.top + f.bottom) / 2),
        DESC_SIZE,
        HPos::Center,
        VPos::Center,
        black,
        true,
    )?;
    // Colour scale.
    let bx = f.right + 24;
    let steps = 64;
    for s in 0..steps {
        let ya = f.bottom - (f.bottom - f.top) * s / steps;
        let yb = f.bottom - (f.bottom - f.top) * (s + 1) / steps;
        cv.rect(
            (bx, yb),
            (bx + bar_w, ya),
            heat_color((s as f64 + 0.5) / steps as f64),
            true,
            1,
        )?;
    }
    cv.rect((bx, f.top), (bx + bar_w, f.bottom), black, false, 1)?;
    let sf = Frame {
        left: bx,
        right: bx + bar_w,
        top: f.top,
        bottom: f.bottom,
    };
    let (slo, shi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 1.0, lo + 1.0)
    };
    y_ticks(cv, &sf, &scale_labels, &|v| sf.py(slo, shi, v), true, false)?;
    cv.text(
        &hm.metric,
        (w - MARGIN - DESC_SIZE as i32 / 2, (f.top + f.bottom) / 2),
        DESC_SIZE,
        HPos::Center,
        VPos::Center,
        black,
        true,
    )?;
    Ok(())
}

fn draw_dots<DB: DrawingBackend>(cv: &Canvas<DB>, chart: &Chart, d: &Dots) -> R {
    let legend: Vec<(String, Glyph)> = d
        .series
        .iter()
        .map(|(l, lk, _)| (l.clone(), Glyph::Marker(*lk)))
        .collect();
    let top = header(cv, chart, &legend)? + 8;
    let (w, h) = (chart.size.0 as i32, chart.size.1 as i32);
    let max_label = (w as f64 * 0.42) as i32;
    let cats: Vec<String> = d
        .categories
        .iter()
        .map(|c| fit(c, TICK_SIZE, max_label))
        .collect();
    let cat_w = cats
        .iter()
        .map(|c| text_width(c, TICK_SIZE))
        .max()
        .unwrap_or(0);
    let f = Frame {
        left: MARGIN + DESC_SIZE as i32 + 10 + cat_w + 12,
        right: w - MARGIN - 24,
        top,
        bottom: h - (MARGIN + DESC_SIZE as i32 + 8 + TICK_SIZE as i32 + 14),
    };
    let a = &d.axis;
    let (x0, x1) = (a.t(a.min), a.t(a.max));
    let mx = |v: f64| f.px(x0, x1, a.t(v));
    x_ticks(cv, &f, &a.ticks(), &mx, true)?;
    let band = (f.bottom - f.top) as f64 / cats.len().max(1) as f64;
    let black = RGBColor(0, 0, 0);
    let k = d.series.len() as f64;
    for (i, c) in cats.iter().enumerate() {
        let cy = f.top as f64 + band * (i as f64 + 0.5);
        cv.text(
            c,
            (f.left - 10, cy.round() as i32),
            TICK_SIZE,
            HPos::Right,
            VPos::Center,
            black,
            false,
        )?;
        let xs: Vec<f64> = d
            .series
            .iter()
            .filter_map(|(_, _, v)| v.get(i).copied().flatten())
            .map(mx)
            .collect();
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() {
            let y = cy.round() as i32;
            cv.path(vec![(f.left, y), (f.right, y)], RGBColor(240, 240, 240), 1)?;
            cv.path(
                vec![(lo.round() as i32, y), (hi.round() as i32, y)],
                GREY,
                1,
            )?;
        }
        // Percentiles a few pixels apart vertically, so equal values all show.
        let step = (band / (k + 1.0)).min(6.0);
        for (j, (_, lk, vals)) in d.series.iter().enumerate() {
            if let Some(v) = vals.get(i).copied().flatten() {
                let y = cy + (j as f64 - (k - 1.0) / 2.0) * step;
                cv.marker(
                    lk.marker,
                    (mx(v).round() as i32, y.round() as i32),
                    lk.color,
                )?;
            }
        }
    }
    cv.path(
        vec![(f.left, f.top), (f.left, f.bottom), (f.right, f.bottom)],
        black,
        1,
    )?;
    cv.text(
        &a.desc,
        ((f.left + f.right) / 2, h - MARGIN),
        DESC_SIZE,
        HPos::Center,
        VPos::Bottom,
        black,
        false,
    )?;
    cv.text(
        &d.cat_desc,
        (MARGIN + DESC_SIZE as i32 / 2, (f.top + f.bottom) / 2),
        DESC_SIZE,
        HPos::Center,
        VPos::Center,
        black,
        true,
    )
}

fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &Chart, bitmap: bool) -> R {
    area.fill(&WHITE).map_err(|e| format!("drawing: {e}"))?;
    let cv = Canvas {
        area,
        bitmap,
        see_through: matches!(chart.kind, Kind::Dots(_)),
    };
    match &chart.kind {
        Kind::Lines(l) => draw_lines(&cv, chart, l),
        Kind::Bars(b) => draw_bars(&cv, chart, b),
        Kind::Heat(h) => draw_heat(&cv, chart, h),
        Kind::Dots(d) => draw_dots(&cv, chart, d),
    }
}

/// The chart as an SVG document (for files and for inlining into HTML).
pub fn render_svg(chart: &Chart) -> Result<String, String> {
    ensure_font()?;
    let mut s = String::new();
    {
        let area = SVGBackend::with_string(&mut s, chart.size).into_drawing_area();
        draw(&area, chart, false)?;
        area.present().map_err(|e| format!("{}: {e}", chart.name))?;
    }
    Ok(s)
}

/// Write `bytes` to `path` atomically ([`crate::atomic`]).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    crate::atomic::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Render `chart` to `path` as PNG.
pub fn render_png(chart: &Chart, path: &Path) -> Result<(), String> {
    ensure_font()?;
    let res = (|| -> R {
        let tmp = crate::atomic::temp_beside(path)
            .map_err(|e| e.to_string())?
            .into_temp_path();
        let area = BitMapBackend::new(&tmp, chart.size).into_drawing_area();
        draw(&area, chart, true)?;
        area.present().map_err(|e| e.to_string())?;
        drop(area);
        crate::atomic::persist_path(tmp, path).map_err(|e| e.to_string())
    })();
    res.map_err(|e| format!("{}: {e}", path.display()))
}

/// Write every chart as `<name>.png` and `<name>.svg` in `out_dir` (created if
/// needed); returns the files written.
pub fn write_charts(charts: &[Chart], out_dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let mut out = Vec::new();
    for c in charts {
        let png = out_dir.join(format!("{}.png", c.name));
        render_png(c, &png)?;
        out.push(png);
        let svg = out_dir.join(format!("{}.svg", c.name));
        write_atomic(&svg, render_svg(c)?.as_bytes())?;
        out.push(svg);
    }
    Ok(out)
}

/// Plot a results file (`.parquet`, `.csv` or `.json` from replay, compare or
/// sweep) into `out_dir`: device I/O bars, latency percentiles per op, a heatmap of
/// the first two swept dimensions and memory-size curves, as far as the data allows.
pub fn plot_results(results: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, String> {
    plot_results_with(results, out_dir, PlotOptions::default())
}

/// [`plot_results`] with options (the heatmap metric).
pub fn plot_results_with(
    results: &Path,
    out_dir: &Path,
    opts: PlotOptions,
) -> Result<Vec<PathBuf>, String> {
    let mut rows = read_results(results)?;
    grid_order(&mut rows);
    let charts = results_charts(&rows, &opts).map_err(|e| format!("{}: {e}", results.display()))?;
    write_charts(&charts, out_dir)
}

/// Plot a `--timeline` CSV into `out_dir`: page queues over time, and device queue
/// depth with dirty/running buffer space.
pub fn plot_timeline(timeline_csv: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, String> {
    let charts = timeline_charts(timeline_csv)?;
    write_charts(&charts, out_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(fmt_count_exact(1956.0, ','), "1,956");
        assert_eq!(fmt_count_exact(123456789.0, ','), "123,456,789");
        assert_eq!(fmt_count_exact(6526.75, ','), "6,527");
        assert_eq!(fmt_count_exact(69.5, ','), "69.5");
        assert_eq!(fmt_compact(20000.0), "20k");
        assert_eq!(fmt_compact(1500.0), "1.5k");
        assert_eq!(fmt_compact(800.0), "800");
        assert_eq!(fmt_ns(1000.0), "1 µs");
        assert_eq!(fmt_ns(50921471.0), "50.92 ms");
        assert_eq!(fmt_bytes(268435456.0), "256 MiB");
        assert_eq!(fmt_bytes(1073741824.0), "1 GiB");
        assert_eq!(
            linear_ticks(0.0, 100.0),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(log10_ticks(1.0, 1000.0), vec![1.0, 10.0, 100.0, 1000.0]);
        // A 5000-point line keeps its spike and shrinks to a few points per column.
        let pts: Vec<(f64, f64)> = (0..5000)
            .map(|i| (i as f64 / 10.0, if i == 2345 { 99.0 } else { 1.0 }))
            .collect();
        let d = decimate(&pts);
        assert!(d.len() < 1500 && d.iter().any(|p| p.1 == 99.0));
    }

    #[test]
    fn specs_shorten_to_what_differs() {
        let mk = |s: &str| {
            let mut r = Row::default();
            r.push("config.readahead", Cell::Str(s.into()));
            r
        };
        let rows = vec![
            mk("dragonfly:max_readahead=2M,seq_unit=16K"),
            mk("fixed:pages=8"),
            mk("fixed:pages=16"),
            mk("none"),
        ];
        let v: Vec<String> = short_values(&rows, "config.readahead")
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(v, ["dragonfly", "fixed:pages=8", "fixed:pages=16", "none"]);
    }

    #[test]
    fn dims_skip_columns_that_restate_others() {
        let mk = |mem: i64, ra: &str| {
            let mut r = Row::default();
            r.push("config.mem", Cell::Int(mem));
            r.push("config.mem_h", Cell::Str(format!("{mem}")));
            r.push("config.readahead", Cell::Str(ra.into()));
            r.push(
                "config.knobs.vfs.max_readahead",
                Cell::Int(if ra == "none" { 0 } else { 8 }),
            );
            r
        };
        let rows = vec![
            mk(1, "none"),
            mk(1, "dragonfly"),
            mk(2, "none"),
            mk(2, "dragonfly"),
        ];
        assert_eq!(varying_dims(&rows), ["config.mem", "config.readahead"]);
    }

    #[test]
    fn heat_colors_darken_monotonically() {
        let lum = |c: RGBColor| 0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * c.2 as f64;
        let mut prev = f64::INFINITY;
        for i in 0..=20 {
            let l = lum(heat_color(i as f64 / 20.0));
            assert!(l < prev);
            prev = l;
        }
    }
}
