//! Dot plots (latency percentiles per configuration).

use super::*;

pub(super) fn draw_dots<DB: DrawingBackend>(cv: &Canvas<DB>, chart: &Chart, d: &Dots) -> R {
    let legend: Vec<(String, Glyph)> = d
        .series
        .iter()
        .map(|(l, lk, _)| (l.clone(), Glyph::Marker(*lk)))
        .collect();
    let top = header(cv, chart, &legend)? + 8;
    let (w, h) = (chart.size.0 as i32, chart.size.1 as i32);
    let (cats, f) = category_frame(&d.categories, (w, h), top, 24);
    let a = &d.axis;
    let (x0, x1) = (a.t(a.min), a.t(a.max));
    let mx = |v: f64| f.px(x0, x1, a.t(v));
    x_ticks(cv, &f, &a.ticks(), &mx, true)?;
    let band = (f.bottom - f.top) as f64 / cats.len().max(1) as f64;
    let k = d.series.len() as f64;
    for (i, c) in cats.iter().enumerate() {
        let cy = f.top as f64 + band * (i as f64 + 0.5);
        cv.category_label(&f, c, cy)?;
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
    cv.axes(&f)?;
    cv.axis_titles(&f, h, &a.desc, &d.cat_desc)
}
