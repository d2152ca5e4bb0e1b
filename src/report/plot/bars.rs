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
    let (cats, f) = category_frame(&b.categories, (w, h), top, 16);
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
    let black = BLACK_TEXT;
    for (i, c) in cats.iter().enumerate() {
        let cy = f.top as f64 + band * (i as f64 + 0.5);
        cv.category_label(&f, c, cy)?;
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
    cv.axes(&f)?;
    cv.axis_titles(&f, h, &b.value_desc, &b.cat_desc)?;
    Ok(())
}
