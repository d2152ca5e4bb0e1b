//! Pixel layout shared by every chart kind: margins, text sizes and legend rows.

use super::*;

/// Legend rows needed for `labels` across a picture `width` wide.
pub(super) fn legend_layout(labels: &[String], width: i32) -> Vec<Vec<usize>> {
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

pub(super) const MARGIN: i32 = 16;
pub(super) const TITLE_SIZE: f64 = 24.0;
pub(super) const SUBTITLE_SIZE: f64 = 15.0;
pub(super) const LEGEND_SIZE: f64 = 15.0;
pub(super) const LEGEND_ROW: i32 = 22;
pub(super) const TICK_SIZE: f64 = 14.0;
pub(super) const DESC_SIZE: f64 = 17.0;
pub(super) const VALUE_SIZE: f64 = 13.0;
pub(super) const GLYPH_W: i32 = 38;

pub(super) fn legend_entry_width(label: &str) -> i32 {
    GLYPH_W + 6 + text_width(label, LEGEND_SIZE) + 22
}

/// Height grown for a legend of more than `base_rows` rows (the plot keeps its room).
pub(super) fn height_for_legend(
    labels: &[String],
    base: (u32, u32),
    base_rows: usize,
) -> (u32, u32) {
    let rows = legend_layout(labels, base.0 as i32).len();
    let extra = rows.saturating_sub(base_rows).min(40) as u32 * LEGEND_ROW as u32;
    (base.0, base.1 + extra)
}
