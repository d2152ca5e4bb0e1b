//! Unit tests of the plot module.

use super::*;

#[test]
fn number_formats() {
    assert_eq!(fmt_count_exact(1956.0, ','), "1,956");
    assert_eq!(fmt_count_exact(123456789.0, ','), "123,456,789");
    assert_eq!(fmt_count_exact(6526.75, ','), "6,527");
    assert_eq!(fmt_count_exact(69.5, ','), "69.5");
    assert_eq!(fmt_compact(20000.0), "20k");
    assert_eq!(fmt_compact(1500.0), "1.5k");
    assert_eq!(fmt_compact(800.0), "800");
    assert_eq!(fmt_ns(1000.0), "1 µs");
    assert_eq!(fmt_ns(50921471.0), "50.92 ms");
    assert_eq!(fmt_bytes(268435456.0), "256 MiB");
    assert_eq!(fmt_bytes(1073741824.0), "1 GiB");
    assert_eq!(
        linear_ticks(0.0, 100.0),
        vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    );
    assert_eq!(log10_ticks(1.0, 1000.0), vec![1.0, 10.0, 100.0, 1000.0]);
    // A 5000-point line keeps its spike and shrinks to a few points per column.
    let pts: Vec<(f64, f64)> = (0..5000)
        .map(|i| (i as f64 / 10.0, if i == 2345 { 99.0 } else { 1.0 }))
        .collect();
    let d = decimate(&pts);
    assert!(d.len() < 1500 && d.iter().any(|p| p.1 == 99.0));
}

#[test]
fn specs_shorten_to_what_differs() {
    let mk = |s: &str| {
        let mut r = Row::default();
        r.push("config.readahead", Cell::Str(s.into()));
        r
    };
    let rows = vec![
        mk("dragonfly:max_readahead=2M,seq_unit=16K"),
        mk("fixed:pages=8"),
        mk("fixed:pages=16"),
        mk("none"),
    ];
    let v: Vec<String> = short_values(&rows, "config.readahead")
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(v, ["dragonfly", "fixed:pages=8", "fixed:pages=16", "none"]);
}

#[test]
fn dims_skip_columns_that_restate_others() {
    let mk = |mem: i64, ra: &str| {
        let mut r = Row::default();
        r.push("config.mem", Cell::Int(mem));
        r.push("config.mem_h", Cell::Str(format!("{mem}")));
        r.push("config.readahead", Cell::Str(ra.into()));
        r.push(
            "config.knobs.vfs.max_readahead",
            Cell::Int(if ra == "none" { 0 } else { 8 }),
        );
        r
    };
    let rows = vec![
        mk(1, "none"),
        mk(1, "dragonfly"),
        mk(2, "none"),
        mk(2, "dragonfly"),
    ];
    assert_eq!(varying_dims(&rows), ["config.mem", "config.readahead"]);
}

#[test]
fn heat_colors_darken_monotonically() {
    let lum = |c: RGBColor| 0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * c.2 as f64;
    let mut prev = f64::INFINITY;
    for i in 0..=20 {
        let l = lum(heat_color(i as f64 / 20.0));
        assert!(l < prev);
        prev = l;
    }
}
