//! Numbers on axes and in labels: exact and compact counts, durations, sizes, and
//! linear and logarithmic tick positions.

use super::*;

/// Trim trailing zeros of a fixed-point number ("1.50" → "1.5", "2.0" → "2").
pub(super) fn trim(s: String) -> String {
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
pub(super) const THIN: char = '\u{2009}';

pub(super) fn fmt_compact(v: f64) -> String {
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

pub(super) fn fmt_ns(v: f64) -> String {
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

pub(super) fn fmt_bytes(v: f64) -> String {
    pub(super) const U: [(f64, &str); 4] = [
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
pub(super) fn fmt_tick(v: f64, f: Fmt) -> String {
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
pub(super) fn fmt_value(v: f64, f: Fmt) -> String {
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

pub(super) fn nice_step(range: f64, target: f64) -> f64 {
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

pub(super) fn linear_ticks(min: f64, max: f64) -> Vec<f64> {
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
pub(super) fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let step = nice_step(max, 6.0);
    ((max / step).ceil() * step).max(step)
}

pub(super) fn log10_ticks(min: f64, max: f64) -> Vec<f64> {
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
pub(super) fn log_axis(desc: &str, vals: &[f64], fmt: Fmt, default_min: f64) -> Axis {
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

pub(super) fn linear_axis(desc: &str, max: f64, fmt: Fmt) -> Axis {
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
