//! Heatmaps (a metric over two swept dimensions).

use super::*;

/// Sequential light-to-dark scale (YlGnBu): lightness falls monotonically, so the
/// order survives greyscale.
pub(super) fn heat_color(f: f64) -> RGBColor {
    pub(super) const STOPS: [(f64, f64, f64); 5] = [
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

pub(super) fn draw_heat<DB: DrawingBackend>(cv: &Canvas<DB>, chart: &Chart, hm: &Heat) -> R {
    let top = header(cv, chart, &[])? + 8;
    let (w, h) = (chart.size.0 as i32, chart.size.1 as i32);
    let black = BLACK_TEXT;
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
        left: frame_left(ylab_w, 10),
        right: w - MARGIN - scale_w - 16,
        top,
        bottom: frame_bottom(h),
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
    cv.axis_titles(&f, h, &hm.x_desc, &hm.y_desc)?;
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
