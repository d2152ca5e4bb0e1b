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

mod bars;
mod chart;
mod data;
mod dots;
mod font;
mod heat;
mod iolog;
mod layout;
mod lines;
mod render;
mod results;
mod scatter;
#[cfg(test)]
mod tests;
mod ticks;
mod timeline;

use bars::*;
pub use chart::*;
pub use data::*;
use dots::*;
use font::*;
use heat::*;
pub use iolog::*;
use layout::*;
use lines::*;
pub use render::*;
pub use results::*;
use scatter::*;
pub(crate) use ticks::*;
pub use timeline::*;
