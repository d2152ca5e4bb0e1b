//! Plots and the HTML report, through the library: small results files made by
//! really replaying a shipped trace, then every picture checked for what a reader
//! relies on (PNG of the size drawn, well-formed SVG with its axis titles, a
//! self-contained HTML page) and every bad input checked to be an error, not a panic.
//!
//! Set `VPSIM_PLOTS_KEEP=DIR` to keep the pictures in DIR for a look.

use std::path::{Path, PathBuf};
use vpsim::report::html::write_report;
use vpsim::report::plot::{self, PlotOptions, plot_results, plot_results_with, plot_timeline};
use vpsim::report::results::{Cell, Row, read_results, write_results};
use vpsim::run::{ModelKind, RunConfig, load_trace, run_loaded};
use vpsim::stats::TimelineRow;

/// A fresh directory for one test (or `$VPSIM_PLOTS_KEEP/<name>`).
fn dir(name: &str) -> PathBuf {
    let d = match std::env::var_os("VPSIM_PLOTS_KEEP") {
        Some(k) => PathBuf::from(k).join(name),
        None => std::env::temp_dir().join(format!("vpsim-plots-{name}-{}", std::process::id())),
    };
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn cleanup(d: &Path) {
    if std::env::var_os("VPSIM_PLOTS_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// A 2x2 sweep of traces/small-random.csv (mem 64M/256M x readahead none/dragonfly),
/// plus LRU rows when `reference` is set, shaped like `vpsim sweep` rows.
fn sweep_rows(reference: bool) -> Vec<Row> {
    let trace = load_trace("traces/small-random.csv").unwrap();
    let dims = if reference {
        "config.model,config.mem,config.readahead"
    } else {
        "config.mem,config.readahead"
    };
    let mut rows = Vec::new();
    let mut id = 0;
    let mut push = |cfg: RunConfig, rows: &mut Vec<Row>| {
        let out = run_loaded(&trace, &cfg).unwrap();
        rows.push(Row::from_output(
            &out,
            vec![
                ("config_id".into(), Cell::Int(id)),
                ("dims".into(), Cell::Str(dims.into())),
            ],
        ));
        id += 1;
    };
    for mem in [64u64 << 20, 256 << 20] {
        for ra in ["none", "dragonfly"] {
            let cfg = RunConfig {
                mem,
                readahead: ra.into(),
                ..RunConfig::default()
            };
            push(cfg, &mut rows);
        }
        if reference {
            let cfg = RunConfig {
                mem,
                model: ModelKind::Lru,
                ..RunConfig::default()
            };
            push(cfg, &mut rows);
        }
    }
    rows
}

fn results_file(d: &Path, reference: bool, ext: &str) -> PathBuf {
    let p = d.join(format!("results.{ext}"));
    write_results(&sweep_rows(reference), &p).unwrap();
    p
}

/// Width and height from a PNG's IHDR chunk (after checking the signature).
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() > 33, "PNG too short");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "first chunk is IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

/// A small XML well-formedness check: every tag closed in order, quoted attribute
/// values, entities well formed, one root element.
fn check_xml(xml: &str) -> Result<(), String> {
    let b = xml.as_bytes();
    let mut stack: Vec<&str> = Vec::new();
    let mut roots = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                let rest = &xml[i..];
                if rest.starts_with("<!--") {
                    i += rest.find("-->").ok_or("unterminated comment")? + 3;
                    continue;
                }
                if rest.starts_with("<?") || rest.starts_with("<!") {
                    i += rest.find('>').ok_or("unterminated declaration")? + 1;
                    continue;
                }
                let mut j = i + 1;
                let mut quote = None;
                while j < b.len() {
                    match (quote, b[j]) {
                        (None, b'"' | b'\'') => quote = Some(b[j]),
                        (Some(q), c) if c == q => quote = None,
                        (Some(_), b'<') => return Err(format!("'<' in an attribute at {j}")),
                        (None, b'>') => break,
                        _ => {}
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return Err(format!("unterminated tag at {i}"));
                }
                let inner = &xml[i + 1..j];
                if let Some(name) = inner.strip_prefix('/') {
                    let open = stack.pop().ok_or(format!("stray </{name}> at {i}"))?;
                    if open != name.trim() {
                        return Err(format!("<{open}> closed by </{name}> at {i}"));
                    }
                } else {
                    let name = inner
                        .split(|c: char| c.is_whitespace() || c == '/')
                        .next()
                        .unwrap_or("");
                    if name.is_empty()
                        || !name
                            .chars()
                            .all(|c| c.is_alphanumeric() || "-_:.".contains(c))
                    {
                        return Err(format!("bad tag name {name:?} at {i}"));
                    }
                    if stack.is_empty() {
                        roots += 1;
                    }
                    if !inner.ends_with('/') {
                        stack.push(name);
                    }
                }
                i = j + 1;
            }
            b'&' => {
                let semi = xml[i..].find(';').ok_or(format!("bare '&' at {i}"))?;
                let ent = &xml[i + 1..i + semi];
                let ok = matches!(ent, "lt" | "gt" | "amp" | "quot" | "apos")
                    || (ent.starts_with('#') && ent.len() > 1);
                if !ok {
                    return Err(format!("unknown entity &{ent}; at {i}"));
                }
                i += semi + 1;
            }
            b'>' if stack.is_empty() => return Err(format!("'>' outside any element at {i}")),
            _ => i += 1,
        }
    }
    if let Some(open) = stack.pop() {
        return Err(format!("<{open}> never closed"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(())
}

#[test]
fn xml_checker_catches_bad_documents() {
    assert!(check_xml("<svg a=\"1\"><text>x &amp; y</text><rect/></svg>").is_ok());
    assert!(check_xml("<svg><text>x</svg>").is_err());
    assert!(check_xml("<svg>a & b</svg>").is_err());
    assert!(check_xml("<svg></svg><svg></svg>").is_err());
    assert!(check_xml("<svg a=\"1></svg>").is_err());
}

fn names(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn results_plots_are_valid_pictures_of_the_drawn_size() {
    let d = dir("results");
    let res = results_file(&d, false, "parquet");
    let out = d.join("plots");
    let files = plot_results(&res, &out).unwrap();
    let n = names(&files);
    for want in [
        "device-io.png",
        "device-io.svg",
        "device-bytes.png",
        "device-bytes.svg",
        "latency-read.png",
        "latency-read.svg",
        "heatmap-device-reads.png",
        "heatmap-device-reads.svg",
        "mem-device-reads.png",
        "mem-miss-ratio.svg",
    ] {
        assert!(n.iter().any(|x| x == want), "{want} missing from {n:?}");
    }
    let charts =
        plot::results_charts(&read_results(&res).unwrap(), &PlotOptions::default()).unwrap();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert!(!bytes.is_empty(), "{} is empty", f.display());
        let stem = f.file_stem().unwrap().to_string_lossy();
        let chart = charts.iter().find(|c| c.name == stem).unwrap();
        if f.extension().unwrap() == "png" {
            assert_eq!(png_size(&bytes), chart.size, "{}", f.display());
        } else {
            let svg = String::from_utf8(bytes).unwrap();
            check_xml(&svg).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert!(svg.contains(&format!("width=\"{}\"", chart.size.0)));
            assert!(
                svg.contains(&chart.title.replace('\'', "&apos;")),
                "{}",
                f.display()
            );
        }
    }
    // The default picture size, and the axis titles a reader needs.
    assert_eq!(
        png_size(&std::fs::read(out.join("device-io.png")).unwrap()),
        plot::SIZE
    );
    let text = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    assert!(text("device-io.svg").contains("device requests (count)"));
    assert!(text("device-io.svg").contains("configuration (memory · read-ahead)"));
    assert!(text("latency-read.svg").contains("percentile of calls"));
    assert!(text("latency-read.svg").contains("latency per call (log scale)"));
    assert!(text("mem-device-reads.svg").contains("simulated memory"));
    assert!(text("mem-device-reads.svg").contains("256 MiB"));
    assert!(text("heatmap-device-reads.svg").contains("read-ahead"));
    // No temporary files left behind.
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    cleanup(&d);
}

#[test]
fn reference_models_and_other_formats() {
    let d = dir("reference");
    // CSV and JSON results plot too; the LRU rows become a reference curve.
    for ext in ["csv", "json"] {
        let res = results_file(&d, true, ext);
        let out = d.join(format!("plots-{ext}"));
        let files = plot_results_with(
            &res,
            &out,
            PlotOptions {
                metric: Some("counters.page_misses".into()),
            },
        )
        .unwrap();
        let n = names(&files);
        assert!(
            n.contains(&"heatmap-counters-page_misses.svg".to_string()),
            "{n:?}"
        );
        let svg = std::fs::read_to_string(out.join("mem-device-reads.svg")).unwrap();
        assert!(
            svg.contains("LRU (reference)"),
            "the LRU curve has a legend entry"
        );
    }
    let res = d.join("results.json");
    let err = plot_results_with(
        &res,
        &d.join("x"),
        PlotOptions {
            metric: Some("bogus".into()),
        },
    )
    .unwrap_err();
    assert!(err.contains("bogus"), "{err}");
    cleanup(&d);
}

/// A timeline CSV of the Python I/O trace at 100 ms steps, built through the library
/// the way `vpsim replay --timeline` writes it.
fn timeline_csv(d: &Path) -> PathBuf {
    let trace = load_trace("traces/pyio.events.csv.zst").unwrap();
    let cfg = RunConfig {
        timeline_step_ns: Some(100_000_000),
        ..RunConfig::default()
    };
    let out = run_loaded(&trace, &cfg).unwrap();
    assert!(out.timeline.len() > 3);
    let csv = vpsim::report::replay::timeline_csv(&out.timeline);
    let p = d.join("timeline.csv");
    std::fs::write(&p, csv).unwrap();
    p
}

#[test]
fn timeline_plots() {
    let d = dir("timeline");
    let t = timeline_csv(&d);
    let files = plot_timeline(&t, &d.join("plots")).unwrap();
    assert_eq!(
        names(&files),
        [
            "timeline-queues.png",
            "timeline-queues.svg",
            "timeline-device.png",
            "timeline-device.svg"
        ]
    );
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        if f.extension().unwrap() == "png" {
            assert_eq!(png_size(&bytes), plot::SIZE);
        } else {
            let svg = String::from_utf8(bytes).unwrap();
            check_xml(&svg).unwrap();
            assert!(svg.contains("simulated time (s)"));
        }
    }
    let q = std::fs::read_to_string(d.join("plots/timeline-queues.svg")).unwrap();
    for s in ["inactive", "dirty pages", "pages (log scale)"] {
        assert!(q.contains(s), "{s}");
    }
    let dev = std::fs::read_to_string(d.join("plots/timeline-device.svg")).unwrap();
    assert!(dev.contains("buffer space (MiB)") && dev.contains("device queue depth"));
    cleanup(&d);
}

#[test]
fn html_report_is_self_contained() {
    let d = dir("html");
    let res = results_file(&d, false, "parquet");
    let t = timeline_csv(&d);
    let out = d.join("report.html");
    write_report(&res, &out, Some(&t)).unwrap();
    let html = std::fs::read_to_string(&out).unwrap();
    for id in ["summary", "grid", "results", "plots", "timeline"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    assert!(html.contains("<svg"));
    assert!(html.contains("traces/small-random.csv"));
    for bad in [
        "src=\"http",
        "href=\"http",
        "<link",
        "<script",
        "<img",
        "url(",
    ] {
        assert!(!html.contains(bad), "external reference {bad}");
    }
    // Every inlined SVG is well formed.
    let mut rest = html.as_str();
    let mut n = 0;
    while let Some(a) = rest.find("<svg") {
        let len = rest[a..].find("</svg>").unwrap() + "</svg>".len();
        check_xml(&rest[a..a + len]).unwrap();
        rest = &rest[a + len..];
        n += 1;
    }
    assert!(n >= 6, "{n} svgs");
    // Without a timeline there is no timeline section.
    write_report(&res, &out, None).unwrap();
    assert!(
        !std::fs::read_to_string(&out)
            .unwrap()
            .contains("id=\"timeline\"")
    );
    cleanup(&d);
}

#[test]
fn report_escapes_text_from_the_results() {
    let d = dir("escape");
    let mut rows = sweep_rows(false);
    rows[0].cells.retain(|(c, _)| c != "trace.path");
    rows[0].push(
        "trace.path",
        Cell::Str("<script>alert('x')</script> & co".into()),
    );
    rows[1].push("error", Cell::Str("bad <config> \"here\"".into()));
    // The best (lowest) value of a column that varies is in bold.
    rows[2].cells.retain(|(c, _)| c != "device.reads");
    rows[2].push("device.reads", Cell::Int(1));
    let res = d.join("r.json");
    write_results(&rows, &res).unwrap();
    let out = d.join("r.html");
    write_report(&res, &out, None).unwrap();
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(!html.contains("<script"));
    assert!(!html.contains("<config>"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
    assert!(html.contains("failed: bad &lt;config&gt; &quot;here&quot;"));
    assert!(html.contains("<b>1</b>"), "best value in bold");
    // The failed configuration is left out of the plots, not fatal.
    assert!(html.contains("1 failed"));
    cleanup(&d);
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let d = dir("bad");
    let out = d.join("plots");
    // No rows at all.
    let empty = d.join("empty.json");
    std::fs::write(&empty, "[]").unwrap();
    let e = plot_results(&empty, &out).unwrap_err();
    assert!(e.contains("no configurations"), "{e}");
    assert!(write_report(&empty, &d.join("e.html"), None).is_err());
    // Every configuration failed.
    let failed = d.join("failed.json");
    std::fs::write(
        &failed,
        r#"[{"config_id": 0, "config.mem": 1024, "error": "mem too small"}]"#,
    )
    .unwrap();
    let e = plot_results(&failed, &out).unwrap_err();
    assert!(e.contains("no successful configurations"), "{e}");
    // A report of only failures still renders, saying why there are no plots.
    write_report(&failed, &d.join("f.html"), None).unwrap();
    // Columns vpsim does not write.
    let other = d.join("other.csv");
    std::fs::write(&other, "a,b\n1,2\n3,4\n").unwrap();
    let e = plot_results(&other, &out).unwrap_err();
    assert!(e.contains("nothing to plot"), "{e}");
    // Odd values from a hand-edited file: text for numbers, negative counts,
    // absurd latencies. Plots may look odd; they must not panic.
    let odd = d.join("odd.json");
    std::fs::write(
        &odd,
        r#"[{"config_id": 0, "device.reads": "many", "device.writes": -5,
             "latency_ns.read.count": 3, "latency_ns.read.p50": 0, "latency_ns.read.p99": 1e300},
            {"config_id": 1, "config.mem": "lots", "device.writes": 7,
             "latency_ns.read.count": 0}]"#,
    )
    .unwrap();
    plot_results(&odd, &out).unwrap();
    // Hundreds of configurations: the per-configuration charts are left out, the
    // summaries (heatmap, memory curves) stay.
    let many: Vec<String> = (0..400)
        .map(|i| {
            format!(
                r#"{{"config_id": {i}, "dims": "config.mem,config.knobs.x", "config.mem": {}, "config.knobs.x": {}, "device.reads": {}, "counters.page_hits": 5, "counters.page_misses": {}}}"#,
                (16u64 << 20) << (i % 4),
                i / 4,
                1000 - i,
                i + 1
            )
        })
        .collect();
    let big = d.join("many.json");
    std::fs::write(&big, format!("[{}]", many.join(","))).unwrap();
    let n = names(&plot_results(&big, &out).unwrap());
    assert!(!n.iter().any(|f| f.starts_with("device-io")), "{n:?}");
    assert!(n.iter().any(|f| f == "heatmap-device-reads.png"), "{n:?}");
    assert!(n.iter().any(|f| f == "mem-device-reads.png"), "{n:?}");
    // Missing and unknown files.
    assert!(plot_results(&d.join("missing.parquet"), &out).is_err());
    assert!(plot_results(&d.join("results.xlsx"), &out).is_err());
    // Timelines: missing, not a timeline, header only, a bad number.
    assert!(plot_timeline(&d.join("missing.csv"), &out).is_err());
    let t = d.join("t.csv");
    std::fs::write(&t, "time_s,free\n0.1,5\n").unwrap();
    let e = plot_timeline(&t, &out).unwrap_err();
    assert!(e.contains("not a vpsim --timeline CSV"), "{e}");
    std::fs::write(&t, format!("{}\n", TimelineRow::HEADER)).unwrap();
    assert!(plot_timeline(&t, &out).unwrap_err().contains("no rows"));
    std::fs::write(
        &t,
        format!("{}\n0.1,x,0,0,0,0,0,0,0,0,0,0,0,0\n", TimelineRow::HEADER),
    )
    .unwrap();
    assert!(plot_timeline(&t, &out).unwrap_err().contains("line 2"));
    assert!(write_report(&failed, &d.join("g.html"), Some(&t)).is_err());
    cleanup(&d);
}

/// A timeline CSV is read as CSV (the csv crate): quoted fields are fine, and a bad
/// value is an error naming the file's line and the column; a file without the
/// columns is not a timeline.
#[test]
fn timeline_reader_names_bad_lines() {
    let d = dir("timeline-bad");
    let good = "time_s,free,cache,inactive,active,wired,dirty_pages,dirtybufspace,runningbufspace,queue_depth,reads,writes,read_bytes,write_bytes\n\
                0.100,\"10\",0,0,0,0,0,0,0,0,0,0,0,0\n";
    let p = d.join("t.csv");
    std::fs::write(&p, format!("{good}0.200,x,0,0,0,0,0,0,0,0,0,0,0,0\n")).unwrap();
    let e = plot_timeline(&p, &d.join("out")).unwrap_err();
    assert!(e.ends_with("line 3: bad or missing \"free\" value"), "{e}");
    std::fs::write(&p, format!("{good}0.200,20,0,0,0,0,0,0,0,0,0,0,0,0\n")).unwrap();
    let files = plot_timeline(&p, &d.join("out")).unwrap();
    assert!(!files.is_empty());
    std::fs::write(&p, "a,b\n1,2\n").unwrap();
    let e = plot_timeline(&p, &d.join("out")).unwrap_err();
    assert!(e.contains("not a vpsim --timeline CSV"), "{e}");
    cleanup(&d);
}
