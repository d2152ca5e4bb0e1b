//! The renderer: a canvas over any plotters backend, the header (title, subtitle,
//! legend), the frame and its ticks, and the dispatch to each chart kind.

use super::*;

pub(super) type R = Result<(), String>;

/// A drawing surface in pixels. PNG text from plotters' ab_glyph backend sits about
/// a fifth of the font size higher than its anchor says (SVG text does not), so the
/// bitmap case is nudged to make both pictures agree.
pub(super) struct Canvas<'a, DB: DrawingBackend> {
    pub(super) area: &'a DrawingArea<DB, Shift>,
    pub(super) bitmap: bool,
    /// Open markers are see-through (where markers of equal values overlap) rather
    /// than white inside (where they sit on lines).
    pub(super) see_through: bool,
}

pub(super) fn style(color: RGBColor, width: u32) -> ShapeStyle {
    ShapeStyle::from(&color).stroke_width(width)
}

impl<DB: DrawingBackend> Canvas<'_, DB> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn text(
        &self,
        s: &str,
        (x, y): (i32, i32),
        size: f64,
        h: HPos,
        v: VPos,
        color: RGBColor,
        rotate: bool,
    ) -> R {
        let nudge = if self.bitmap { (size * 0.22) as i32 } else { 0 };
        let mut st = TextStyle::from(("sans-serif", size).into_font())
            .color(&color)
            .pos(Pos::new(h, v));
        let pos = if rotate {
            st = st.transform(FontTransform::Rotate270);
            (x + nudge, y)
        } else {
            (x, y + nudge)
        };
        self.area
            .draw_text(s, &st, pos)
            .map_err(|e| format!("drawing text: {e}"))
    }

    /// A category's label, right-aligned left of the frame at height `cy`.
    pub(super) fn category_label(&self, f: &Frame, label: &str, cy: f64) -> R {
        self.text(
            label,
            (f.left - 10, cy.round() as i32),
            TICK_SIZE,
            HPos::Right,
            VPos::Center,
            BLACK_TEXT,
            false,
        )
    }

    /// The frame's axes: its left and bottom edges.
    pub(super) fn axes(&self, f: &Frame) -> R {
        self.path(
            vec![(f.left, f.top), (f.left, f.bottom), (f.right, f.bottom)],
            BLACK_TEXT,
            1,
        )
    }

    /// The axis descriptions of a chart `h` pixels high: `x` centred under the frame,
    /// `y` turned up along the left edge.
    pub(super) fn axis_titles(&self, f: &Frame, h: i32, x: &str, y: &str) -> R {
        self.text(
            x,
            ((f.left + f.right) / 2, h - MARGIN),
            DESC_SIZE,
            HPos::Center,
            VPos::Bottom,
            BLACK_TEXT,
            false,
        )?;
        self.text(
            y,
            (MARGIN + DESC_SIZE as i32 / 2, (f.top + f.bottom) / 2),
            DESC_SIZE,
            HPos::Center,
            VPos::Center,
            BLACK_TEXT,
            true,
        )
    }

    pub(super) fn path(&self, pts: Vec<(i32, i32)>, color: RGBColor, width: u32) -> R {
        self.area
            .draw(&PathElement::new(pts, style(color, width)))
            .map_err(|e| format!("drawing: {e}"))
    }

    pub(super) fn rect(
        &self,
        a: (i32, i32),
        b: (i32, i32),
        color: RGBColor,
        filled: bool,
        width: u32,
    ) -> R {
        let st = if filled {
            style(color, width).filled()
        } else {
            style(color, width)
        };
        self.area
            .draw(&Rectangle::new([a, b], st))
            .map_err(|e| format!("drawing: {e}"))
    }

    pub(super) fn polygon(&self, pts: Vec<(i32, i32)>, color: RGBColor) -> R {
        self.area
            .draw(&Polygon::new(pts, style(color, 1).filled()))
            .map_err(|e| format!("drawing: {e}"))
    }

    pub(super) fn circle(&self, c: (i32, i32), r: i32, color: RGBColor, filled: bool) -> R {
        let st = if filled {
            style(color, 1).filled()
        } else {
            style(color, 2)
        };
        self.area
            .draw(&Circle::new(c, r, st))
            .map_err(|e| format!("drawing: {e}"))
    }

    pub(super) fn marker(&self, m: Marker, (x, y): (i32, i32), color: RGBColor) -> R {
        let s = 5;
        let white = RGBColor(255, 255, 255);
        let blank = !self.see_through;
        let outline = |pts: Vec<(i32, i32)>| -> R {
            if blank {
                self.polygon(pts.clone(), white)?;
            }
            let mut closed = pts;
            closed.push(closed[0]);
            self.path(closed, color, 2)
        };
        match m {
            Marker::Circle => self.circle((x, y), s, color, true),
            Marker::CircleOpen => {
                if blank {
                    self.circle((x, y), s, white, true)?;
                }
                self.circle((x, y), s, color, false)
            }
            Marker::SquareFilled => self.rect((x - s, y - s), (x + s, y + s), color, true, 1),
            Marker::SquareOpen => outline(vec![
                (x - s, y - s),
                (x + s, y - s),
                (x + s, y + s),
                (x - s, y + s),
            ]),
            Marker::Triangle => self.polygon(
                vec![(x, y - s - 1), (x + s + 1, y + s), (x - s - 1, y + s)],
                color,
            ),
            Marker::TriangleDownOpen => {
                outline(vec![(x - s - 1, y - s), (x + s + 1, y - s), (x, y + s + 1)])
            }
            Marker::DiamondOpen => outline(vec![
                (x, y - s - 1),
                (x + s + 1, y),
                (x, y + s + 1),
                (x - s - 1, y),
            ]),
            Marker::Cross => {
                self.path(vec![(x - s, y - s), (x + s, y + s)], color, 2)?;
                self.path(vec![(x - s, y + s), (x + s, y - s)], color, 2)
            }
            Marker::Plus => {
                self.path(vec![(x - s - 1, y), (x + s + 1, y)], color, 2)?;
                self.path(vec![(x, y - s - 1), (x, y + s + 1)], color, 2)
            }
        }
    }

    /// A polyline with the look's dash pattern (dashes continue across vertices).
    pub(super) fn styled_line(&self, pts: &[(f64, f64)], lk: &Look) -> R {
        if pts.len() < 2 {
            return Ok(());
        }
        if lk.dash.is_empty() {
            let p: Vec<(i32, i32)> = pts
                .iter()
                .map(|&(x, y)| (x.round() as i32, y.round() as i32))
                .collect();
            return self.path(p, lk.color, lk.width);
        }
        let mut idx = 0;
        let mut left = lk.dash[0];
        for w in pts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
            let mut t = 0.0;
            while t < len {
                let step = (len - t).min(left);
                if idx % 2 == 0 {
                    let p0 = (a.0 + (b.0 - a.0) * t / len, a.1 + (b.1 - a.1) * t / len);
                    let p1 = (
                        a.0 + (b.0 - a.0) * (t + step) / len,
                        a.1 + (b.1 - a.1) * (t + step) / len,
                    );
                    self.path(
                        vec![
                            (p0.0.round() as i32, p0.1.round() as i32),
                            (p1.0.round() as i32, p1.1.round() as i32),
                        ],
                        lk.color,
                        lk.width,
                    )?;
                }
                t += step;
                left -= step;
                if left <= 1e-9 {
                    idx = (idx + 1) % lk.dash.len();
                    left = lk.dash[idx];
                }
            }
        }
        Ok(())
    }

    /// Light fill plus diagonal hatching clipped to the rectangle.
    pub(super) fn bar(&self, (x0, y0): (i32, i32), (x1, y1): (i32, i32), bl: &BarLook) -> R {
        if x1 <= x0 || y1 <= y0 {
            return Ok(());
        }
        self.rect((x0, y0), (x1, y1), bl.fill, true, 1)?;
        if let Some(h) = bl.hatch {
            // Lines x + y = c, for c every 7 px, clipped to the box.
            let mut c = x0 + y0 + 4;
            while c < x1 + y1 {
                let xa = x0.max(c - y1);
                let xb = x1.min(c - y0);
                if xa < xb {
                    self.path(vec![(xa, c - xa), (xb, c - xb)], h, 1)?;
                }
                c += 7;
            }
            self.rect((x0, y0), (x1, y1), h, false, 1)?;
        }
        Ok(())
    }
}

pub(super) enum Glyph {
    Line(Look),
    Bar(BarLook),
    Marker(Look),
}

/// Title, subtitle and legend; returns the y where the plot may start.
pub(super) fn header<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    chart: &Chart,
    legend: &[(String, Glyph)],
) -> Result<i32, String> {
    let w = chart.size.0 as i32;
    cv.text(
        &chart.title,
        (w / 2, 10),
        TITLE_SIZE,
        HPos::Center,
        VPos::Top,
        RGBColor(0, 0, 0),
        false,
    )?;
    let mut y = 10 + TITLE_SIZE as i32 + 6;
    if !chart.subtitle.is_empty() {
        cv.text(
            &chart.subtitle,
            (w / 2, y),
            SUBTITLE_SIZE,
            HPos::Center,
            VPos::Top,
            SUBTLE,
            false,
        )?;
        y += SUBTITLE_SIZE as i32 + 8;
    }
    if legend.is_empty() {
        return Ok(y + 4);
    }
    let labels: Vec<String> = legend.iter().map(|(l, _)| l.clone()).collect();
    let rows = legend_layout(&labels, w);
    for row in &rows {
        let total: i32 = row
            .iter()
            .map(|&i| legend_entry_width(&labels[i]))
            .sum::<i32>()
            - 22;
        let mut x = ((w - total) / 2).max(MARGIN);
        let cy = y + LEGEND_ROW / 2;
        for &i in row {
            match &legend[i].1 {
                Glyph::Line(lk) => {
                    cv.styled_line(
                        &[(x as f64, cy as f64), ((x + GLYPH_W) as f64, cy as f64)],
                        lk,
                    )?;
                    cv.marker(lk.marker, (x + GLYPH_W / 2, cy), lk.color)?;
                }
                Glyph::Bar(bl) => cv.bar((x + 4, cy - 7), (x + GLYPH_W - 4, cy + 7), bl)?,
                Glyph::Marker(lk) => cv.marker(lk.marker, (x + GLYPH_W / 2, cy), lk.color)?,
            }
            cv.text(
                &labels[i],
                (x + GLYPH_W + 6, cy),
                LEGEND_SIZE,
                HPos::Left,
                VPos::Center,
                RGBColor(0, 0, 0),
                false,
            )?;
            x += legend_entry_width(&labels[i]);
        }
        y += LEGEND_ROW;
    }
    Ok(y + 6)
}

/// The plot rectangle in pixels and the linear maps into it.
/// Category labels down the left of a horizontal chart `w` pixels wide, cut to fit
/// 42 % of the width, and the frame that leaves them room (`right_pad` pixels free
/// at the right, the frame's top at `top`).
pub(super) fn category_frame(
    categories: &[String],
    (w, h): (i32, i32),
    top: i32,
    right_pad: i32,
) -> (Vec<String>, Frame) {
    let max_label = (w as f64 * 0.42) as i32;
    let cats: Vec<String> = categories
        .iter()
        .map(|c| fit(c, TICK_SIZE, max_label))
        .collect();
    let cat_w = cats
        .iter()
        .map(|c| text_width(c, TICK_SIZE))
        .max()
        .unwrap_or(0);
    let f = Frame {
        left: frame_left(cat_w, 12),
        right: w - MARGIN - right_pad,
        top,
        bottom: frame_bottom(h),
    };
    (cats, f)
}

/// Black, for axes and text.
pub(super) const BLACK_TEXT: RGBColor = RGBColor(0, 0, 0);

/// The frame's bottom edge in a chart `h` pixels high: room below for the tick
/// labels and the x description.
pub(super) fn frame_bottom(h: i32) -> i32 {
    h - (MARGIN + DESC_SIZE as i32 + 8 + TICK_SIZE as i32 + 14)
}

/// The frame's left edge: room for the turned y description, then labels `label_w`
/// wide and `gap` pixels before the frame.
pub(super) fn frame_left(label_w: i32, gap: i32) -> i32 {
    MARGIN + DESC_SIZE as i32 + 10 + label_w + gap
}

#[derive(Clone, Copy)]
pub(super) struct Frame {
    pub(super) left: i32,
    pub(super) right: i32,
    pub(super) top: i32,
    pub(super) bottom: i32,
}

impl Frame {
    pub(super) fn px(&self, lo: f64, hi: f64, v: f64) -> f64 {
        let f = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
        self.left as f64 + f * (self.right - self.left) as f64
    }
    pub(super) fn py(&self, lo: f64, hi: f64, v: f64) -> f64 {
        let f = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
        self.bottom as f64 - f * (self.bottom - self.top) as f64
    }
}

pub(super) fn max_width(labels: &[(f64, String)], size: f64) -> i32 {
    labels
        .iter()
        .map(|(_, l)| text_width(l, size))
        .max()
        .unwrap_or(0)
}

/// X tick labels under the frame, skipping any that would overlap its neighbour.
pub(super) fn x_ticks<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    f: &Frame,
    ticks: &[(f64, String)],
    map: &dyn Fn(f64) -> f64,
    grid: bool,
) -> R {
    let mut last_right = i32::MIN;
    for (v, l) in ticks {
        let x = map(*v).round() as i32;
        if x < f.left - 1 || x > f.right + 1 {
            continue;
        }
        if grid {
            cv.path(vec![(x, f.top), (x, f.bottom)], GRID, 1)?;
        }
        cv.path(vec![(x, f.bottom), (x, f.bottom + 5)], RGBColor(0, 0, 0), 1)?;
        let w = text_width(l, TICK_SIZE);
        if x - w / 2 > last_right + 6 {
            cv.text(
                l,
                (x, f.bottom + 8),
                TICK_SIZE,
                HPos::Center,
                VPos::Top,
                RGBColor(0, 0, 0),
                false,
            )?;
            last_right = x + w / 2;
        }
    }
    Ok(())
}

pub(super) fn y_ticks<DB: DrawingBackend>(
    cv: &Canvas<DB>,
    f: &Frame,
    ticks: &[(f64, String)],
    map: &dyn Fn(f64) -> f64,
    right: bool,
    grid: bool,
) -> R {
    let mut last = i32::MAX;
    for (v, l) in ticks {
        let y = map(*v).round() as i32;
        if y < f.top - 1 || y > f.bottom + 1 {
            continue;
        }
        if grid {
            cv.path(vec![(f.left, y), (f.right, y)], GRID, 1)?;
        }
        let (x0, x1, tx, hp) = if right {
            (f.right, f.right + 5, f.right + 8, HPos::Left)
        } else {
            (f.left - 5, f.left, f.left - 8, HPos::Right)
        };
        cv.path(vec![(x0, y), (x1, y)], RGBColor(0, 0, 0), 1)?;
        if (last - y).abs() >= TICK_SIZE as i32 + 2 {
            cv.text(
                l,
                (tx, y),
                TICK_SIZE,
                hp,
                VPos::Center,
                RGBColor(0, 0, 0),
                false,
            )?;
            last = y;
        }
    }
    Ok(())
}

/// Thin a long polyline (in pixels) to what a screen can show: per pixel column the
/// first, lowest, highest and last point, so spikes survive and SVGs stay small.
pub(super) fn decimate(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if pts.len() <= 2000 {
        return pts.to_vec();
    }
    let mut out: Vec<(f64, f64)> = Vec::new();
    let mut i = 0;
    while i < pts.len() {
        let col = pts[i].0.round();
        let mut j = i;
        while j < pts.len() && pts[j].0.round() == col {
            j += 1;
        }
        let run = &pts[i..j];
        let lo = run
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.1.total_cmp(&b.1.1));
        let hi = run
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.1.total_cmp(&b.1.1));
        let mut keep: Vec<usize> = vec![0, run.len() - 1];
        keep.extend(lo.map(|(k, _)| k));
        keep.extend(hi.map(|(k, _)| k));
        keep.sort_unstable();
        keep.dedup();
        out.extend(keep.into_iter().map(|k| run[k]));
        i = j;
    }
    out
}

/// Shorten `s` with an ellipsis until it fits `max` pixels.
pub(super) fn fit(s: &str, size: f64, max: i32) -> String {
    if text_width(s, size) <= max {
        return s.to_string();
    }
    let mut chars: Vec<char> = s.chars().collect();
    while chars.len() > 1 {
        chars.pop();
        let t: String = chars.iter().collect::<String>() + "…";
        if text_width(&t, size) <= max {
            return t;
        }
    }
    "…".into()
}

pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
    bitmap: bool,
) -> R {
    area.fill(&WHITE).map_err(|e| format!("drawing: {e}"))?;
    let cv = Canvas {
        area,
        bitmap,
        see_through: matches!(chart.kind, Kind::Dots(_)),
    };
    match &chart.kind {
        Kind::Lines(l) => draw_lines(&cv, chart, l),
        Kind::Bars(b) => draw_bars(&cv, chart, b),
        Kind::Heat(h) => draw_heat(&cv, chart, h),
        Kind::Dots(d) => draw_dots(&cv, chart, d),
        Kind::Scatter(s) => draw_scatter(&cv, chart, s),
    }
}

/// The chart as an SVG document (for files and for inlining into HTML).
pub fn render_svg(chart: &Chart) -> Result<String, String> {
    ensure_font()?;
    let mut s = String::new();
    {
        let area = SVGBackend::with_string(&mut s, chart.size).into_drawing_area();
        draw(&area, chart, false)?;
        area.present().map_err(|e| format!("{}: {e}", chart.name))?;
    }
    Ok(s)
}

/// Write `bytes` to `path` atomically ([`crate::atomic`]).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    crate::atomic::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Render `chart` to `path` as PNG.
pub fn render_png(chart: &Chart, path: &Path) -> Result<(), String> {
    ensure_font()?;
    let res = (|| -> R {
        let tmp = crate::atomic::temp_beside(path)
            .map_err(|e| e.to_string())?
            .into_temp_path();
        let area = BitMapBackend::new(&tmp, chart.size).into_drawing_area();
        draw(&area, chart, true)?;
        area.present().map_err(|e| e.to_string())?;
        drop(area);
        crate::atomic::persist_path(tmp, path).map_err(|e| e.to_string())
    })();
    res.map_err(|e| format!("{}: {e}", path.display()))
}

/// Write every chart as `<name>.png` and `<name>.svg` in `out_dir` (created if
/// needed); returns the files written.
pub fn write_charts(charts: &[Chart], out_dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let mut out = Vec::new();
    for c in charts {
        let png = out_dir.join(format!("{}.png", c.name));
        render_png(c, &png)?;
        out.push(png);
        let svg = out_dir.join(format!("{}.svg", c.name));
        write_atomic(&svg, render_svg(c)?.as_bytes())?;
        out.push(svg);
    }
    Ok(out)
}

/// Plot a results file (`.parquet`, `.csv` or `.json` from replay, compare or
/// sweep) into `out_dir`: device I/O bars, latency percentiles per op, a heatmap of
/// the first two swept dimensions and memory-size curves, as far as the data allows.
pub fn plot_results(results: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, String> {
    plot_results_with(results, out_dir, PlotOptions::default())
}

/// [`plot_results`] with options (the heatmap metric).
pub fn plot_results_with(
    results: &Path,
    out_dir: &Path,
    opts: PlotOptions,
) -> Result<Vec<PathBuf>, String> {
    let mut rows = read_results(results)?;
    grid_order(&mut rows);
    let charts = results_charts(&rows, &opts).map_err(|e| format!("{}: {e}", results.display()))?;
    write_charts(&charts, out_dir)
}

/// Plot a `--timeline` CSV into `out_dir`: page queues over time, and device queue
/// depth with dirty/running buffer space.
pub fn plot_timeline(timeline_csv: &Path, out_dir: &Path) -> Result<Vec<PathBuf>, String> {
    let charts = timeline_charts(timeline_csv)?;
    write_charts(&charts, out_dir)
}
