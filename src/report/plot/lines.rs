//! Line charts (timelines, curves over memory size).

use super::*;

pub(super) fn draw_lines<DB: DrawingBackend>(cv: &Canvas<DB>, chart: &Chart, l: &Lines) -> R {
    let legend: Vec<(String, Glyph)> = l
        .series
        .iter()
        .map(|s| (s.label.clone(), Glyph::Line(s.look)))
        .collect();
    let top = header(cv, chart, &legend)? + 8;
    let (w, h) = (chart.size.0 as i32, chart.size.1 as i32);
    let yt = l.y.ticks();
    let y2t = l.y2.as_ref().map(|a| a.ticks()).unwrap_or_default();
    let left = MARGIN + DESC_SIZE as i32 + 10 + max_width(&yt, TICK_SIZE).min(w / 4) + 10;
    let right = if l.y2.is_some() {
        w - (MARGIN + DESC_SIZE as i32 + 10 + max_width(&y2t, TICK_SIZE).min(w / 4) + 10)
    } else {
        w - MARGIN - 24
    };
    let f = Frame {
        left,
        right,
        top,
        bottom: frame_bottom(h),
    };
    if f.bottom - f.top < 40 || f.right - f.left < 40 {
        return Err("the chart is too small for its legend".into());
    }
    let (x0, x1) = (l.x.t(l.x.min), l.x.t(l.x.max));
    let (y0, y1) = (l.y.t(l.y.min), l.y.t(l.y.max));
    let mx = |v: f64| f.px(x0, x1, l.x.t(v));
    let my = |v: f64| f.py(y0, y1, l.y.t(v));
    x_ticks(cv, &f, &l.x.ticks(), &mx, true)?;
    y_ticks(cv, &f, &yt, &my, false, true)?;
    let black = BLACK_TEXT;
    if let Some(a2) = &l.y2 {
        let (u0, u1) = (a2.t(a2.min), a2.t(a2.max));
        let my2 = |v: f64| f.py(u0, u1, a2.t(v));
        y_ticks(cv, &f, &y2t, &my2, true, false)?;
        cv.path(vec![(f.right, f.top), (f.right, f.bottom)], black, 1)?;
        cv.text(
            &a2.desc,
            (w - MARGIN - DESC_SIZE as i32 / 2, (f.top + f.bottom) / 2),
            DESC_SIZE,
            HPos::Center,
            VPos::Center,
            black,
            true,
        )?;
    }
    cv.axes(&f)?;
    cv.axis_titles(&f, h, &l.x.desc, &l.y.desc)?;
    for (si, s) in l.series.iter().enumerate() {
        let ax = if s.secondary {
            l.y2.as_ref().unwrap_or(&l.y)
        } else {
            &l.y
        };
        let (u0, u1) = (ax.t(ax.min), ax.t(ax.max));
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|&(x, y)| (mx(x), f.py(u0, u1, ax.t(y))))
            .collect();
        cv.styled_line(&decimate(&pts), &s.look)?;
        let real: Vec<&(f64, f64)> = pts
            .iter()
            .enumerate()
            .filter(|(i, _)| !s.synthetic.get(*i).copied().unwrap_or(false))
            .map(|(_, p)| p)
            .collect();
        // At most ~16 markers per series, staggered between series.
        let every = real.len().div_ceil(16).max(1);
        let shift = if every > 1 {
            (si * every / 3) % every
        } else {
            0
        };
        for (i, p) in real.into_iter().enumerate() {
            if i % every == shift {
                cv.marker(
                    s.look.marker,
                    (p.0.round() as i32, p.1.round() as i32),
                    s.look.color,
                )?;
            }
        }
    }
    Ok(())
}
