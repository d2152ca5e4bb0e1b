//! Scatter charts: one small mark per point (the seekwatcher view of an io-log).
//! Points landing on the same 2×2-pixel cell of one set are drawn once, so a log of
//! millions of requests renders as fast, and as small an SVG, as the picture needs.

use super::*;
use rustc_hash::FxHashSet;

/// A small mark: 3 px across, so dense runs read as lines and sparse ones as dots.
fn mark<DB: DrawingBackend>(cv: &Canvas<DB>, m: Marker, (x, y): (i32, i32), c: RGBColor) -> R {
    match m {
        Marker::Cross | Marker::Plus | Marker::TriangleDownOpen | Marker::DiamondOpen => {
            cv.path(vec![(x - 2, y - 2), (x + 2, y + 2)], c, 1)?;
            cv.path(vec![(x - 2, y + 2), (x + 2, y - 2)], c, 1)
        }
        _ => cv.rect((x - 1, y - 1), (x + 1, y + 1), c, true, 1),
    }
}

pub(super) fn draw_scatter<DB: DrawingBackend>(cv: &Canvas<DB>, chart: &Chart, s: &Scatter) -> R {
    let legend: Vec<(String, Glyph)> = s
        .sets
        .iter()
        .map(|p| (p.label.clone(), Glyph::Marker(p.look)))
        .collect();
    let top = header(cv, chart, &legend)? + 8;
    let (w, h) = (chart.size.0 as i32, chart.size.1 as i32);
    let yt = s.y.ticks();
    let left = MARGIN + DESC_SIZE as i32 + 10 + max_width(&yt, TICK_SIZE).min(w / 4) + 10;
    let f = Frame {
        left,
        right: w - MARGIN - 24,
        top,
        bottom: frame_bottom(h),
    };
    if f.bottom - f.top < 40 || f.right - f.left < 40 {
        return Err("the chart is too small for its legend".into());
    }
    let (x0, x1) = (s.x.t(s.x.min), s.x.t(s.x.max));
    let (y0, y1) = (s.y.t(s.y.min), s.y.t(s.y.max));
    let mx = |v: f64| f.px(x0, x1, s.x.t(v));
    let my = |v: f64| f.py(y0, y1, s.y.t(v));
    x_ticks(cv, &f, &s.x.ticks(), &mx, true)?;
    y_ticks(cv, &f, &yt, &my, false, true)?;
    cv.axes(&f)?;
    cv.axis_titles(&f, h, &s.x.desc, &s.y.desc)?;
    let mut seen = FxHashSet::default();
    for set in &s.sets {
        seen.clear();
        for &(x, y) in &set.points {
            let (px, py) = (mx(x).round() as i32, my(y).round() as i32);
            if seen.insert((px / 2, py / 2)) {
                mark(cv, set.look.marker, (px, py), set.look.color)?;
            }
        }
    }
    Ok(())
}
