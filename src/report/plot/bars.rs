//! Grouped bar charts (device I/O per configuration).

use super::*;

pub(super) fn draw_bars<DB: DrawingBackend>(cv: &Canvas<DB>, chart: &Chart, b: &Bars) -> R {
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
