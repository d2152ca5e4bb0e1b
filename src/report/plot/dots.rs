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
