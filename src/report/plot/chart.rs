//! The chart model: pure data (categories, series, axes, looks, already-formatted
//! labels) that any backend can draw.

use super::*;

/// How tick and value labels are written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Fmt {
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
pub(super) enum Scale {
    Linear,
    Log10,
    Log2,
}

/// One axis of a line chart, in data units (the renderer applies the scale).
#[derive(Clone, Debug)]
pub(super) struct Axis {
    pub(super) desc: String,
    pub(super) min: f64,
    pub(super) max: f64,
    pub(super) scale: Scale,
    pub(super) fmt: Fmt,
    /// Explicit ticks (value, label); automatic when `None`.
    pub(super) ticks: Option<Vec<(f64, String)>>,
    /// On a log axis: values <= 0 are drawn on the bottom line, labelled "0".
    pub(super) zero_floor: bool,
}

impl Axis {
    pub(super) fn t(&self, v: f64) -> f64 {
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

    pub(super) fn ticks(&self) -> Vec<(f64, String)> {
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
pub(super) struct Look {
    pub(super) color: RGBColor,
    /// On/off lengths in pixels; empty = solid.
    pub(super) dash: &'static [f64],
    pub(super) marker: Marker,
    pub(super) width: u32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Marker {
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
pub(super) const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(153, 153, 51),
];
pub(super) const DASHES: [&[f64]; 5] = [
    &[],
    &[12.0, 6.0],
    &[3.0, 4.0],
    &[12.0, 4.0, 3.0, 4.0],
    &[22.0, 6.0],
];
pub(super) const MARKERS: [Marker; 8] = [
    Marker::Circle,
    Marker::SquareOpen,
    Marker::Triangle,
    Marker::DiamondOpen,
    Marker::Cross,
    Marker::SquareFilled,
    Marker::TriangleDownOpen,
    Marker::Plus,
];
pub(super) const GREY: RGBColor = RGBColor(90, 90, 90);
pub(super) const GRID: RGBColor = RGBColor(225, 225, 225);
pub(super) const SUBTLE: RGBColor = RGBColor(85, 85, 85);

/// Series `i` of a chart: colour, dash and marker all cycle (with coprime periods),
/// so neighbours differ in all three.
pub(super) fn look(i: usize) -> Look {
    Look {
        color: PALETTE[i % PALETTE.len()],
        dash: DASHES[i % DASHES.len()],
        marker: MARKERS[i % MARKERS.len()],
        width: 2,
    }
}

/// A solid-line look (policies in the memory curves; dashes are kept for references).
pub(super) fn solid_look(i: usize) -> Look {
    Look {
        dash: &[],
        ..look(i)
    }
}

/// Looks of the reference models: grey/black and dashed, so they read as yardsticks.
pub(super) fn reference_look(model: &str) -> Look {
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
pub(super) struct Series {
    pub(super) label: String,
    pub(super) points: Vec<(f64, f64)>,
    pub(super) look: Look,
    /// Plotted against the right-hand axis.
    pub(super) secondary: bool,
    /// Points added only to shape the line (no marker); empty = none.
    pub(super) synthetic: Vec<bool>,
}

#[derive(Clone, Debug)]
pub(super) struct Lines {
    pub(super) x: Axis,
    pub(super) y: Axis,
    pub(super) y2: Option<Axis>,
    pub(super) series: Vec<Series>,
}

/// How a bar series is filled: solid, or a light fill with dark hatching (so two
/// series differ in texture, not only in hue).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct BarLook {
    pub(super) fill: RGBColor,
    pub(super) hatch: Option<RGBColor>,
}

pub(super) const BAR_LOOKS: [BarLook; 3] = [
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
pub(super) struct Bars {
    /// One group per category, top to bottom.
    pub(super) categories: Vec<String>,
    pub(super) cat_desc: String,
    pub(super) value_desc: String,
    pub(super) fmt: Fmt,
    /// (label, one value per category).
    pub(super) series: Vec<(String, Vec<Option<f64>>)>,
}

#[derive(Clone, Debug)]
pub(super) struct Heat {
    pub(super) xs: Vec<String>,
    pub(super) ys: Vec<String>,
    pub(super) x_desc: String,
    pub(super) y_desc: String,
    /// values[y][x]
    pub(super) values: Vec<Vec<Option<f64>>>,
    pub(super) fmt: Fmt,
    pub(super) metric: String,
}

/// Markers on a log axis, one row per category: the latency chart when there are
/// too many configurations for one line each.
#[derive(Clone, Debug)]
pub(super) struct Dots {
    pub(super) categories: Vec<String>,
    pub(super) cat_desc: String,
    pub(super) axis: Axis,
    /// (label, look, one value per category).
    pub(super) series: Vec<(String, Look, Vec<Option<f64>>)>,
}

#[derive(Clone, Debug)]
pub(super) enum Kind {
    Lines(Lines),
    Bars(Bars),
    Heat(Heat),
    Dots(Dots),
    Scatter(Scatter),
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
    pub(super) kind: Kind,
}

/// One set of points of a scatter chart: small marks, no line.
#[derive(Clone, Debug)]
pub(super) struct PointSet {
    pub(super) label: String,
    pub(super) look: Look,
    pub(super) points: Vec<(f64, f64)>,
}

/// Points in x/y (the seekwatcher chart: disk offset over time).
#[derive(Clone, Debug)]
pub(super) struct Scatter {
    pub(super) x: Axis,
    pub(super) y: Axis,
    pub(super) sets: Vec<PointSet>,
}
