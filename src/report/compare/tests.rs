//! The comparison's outputs on a small hand-made comparison: four configurations, the
//! last failed.

use super::table::change;
use super::*;
use crate::report::results::Cell;
use crate::report::summary::Change;
use crate::stats::RunStats;
use crate::trace::Op;

fn out(cfg: &RunConfig, reads: u64, ra: u64, used: u64) -> RunOutput {
    let mut stats = RunStats::default();
    stats.device.reads = reads;
    stats.device.read_bytes = reads * 16384;
    stats.counters.readahead_pages = ra;
    stats.counters.readahead_pages_used = used;
    stats.latency.record(Op::Read, 100_000 + reads);
    RunOutput {
        trace_path: "t.csv".into(),
        events: 3,
        files: 1,
        config: cfg.clone(),
        stats,
        warnings: vec!["w".into()],
        timeline: Vec::new(),
    }
}

fn comparison() -> Comparison {
    let base = RunConfig::default();
    let cfgs = crate::run::config::compare_configs(
        &base,
        &[
            vec!["none".into(), "fixed:pages=8".into()],
            vec!["dragonfly".into()],
            vec!["dragonfly".into(), "linux".into()],
        ],
        &[],
        false,
    )
    .unwrap();
    let rows = cfgs
        .into_iter()
        .enumerate()
        .map(|(i, cfg)| Row {
            result: if i == 3 {
                Err(RowError::Run(crate::run::RunError::Config(
                    "bad sync".into(),
                )))
            } else {
                Ok(out(&cfg, 64 / (i as u64 + 1), 8 * i as u64, 4 * i as u64))
            },
            config: cfg,
        })
        .collect();
    Comparison {
        trace_path: "t.csv".into(),
        events: 3,
        files: 1,
        rows,
    }
}

#[test]
fn product_order_is_readahead_then_cluster_then_sync() {
    let base = RunConfig::default();
    let v = crate::run::config::compare_configs(
        &base,
        &[
            vec!["a".into(), "b".into()],
            vec!["c".into()],
            vec!["x".into(), "y".into()],
        ],
        &[],
        false,
    )
    .unwrap();
    let got: Vec<(String, String, String)> = v
        .iter()
        .map(|c| (c.readahead.clone(), c.cluster.clone(), c.sync.clone()))
        .collect();
    let want = [
        ("a", "c", "x"),
        ("a", "c", "y"),
        ("b", "c", "x"),
        ("b", "c", "y"),
    ];
    assert_eq!(got.len(), 4);
    for (g, w) in got.iter().zip(want) {
        assert_eq!((g.0.as_str(), g.1.as_str(), g.2.as_str()), w);
    }
}

/// Change texts: `+0%` for equal, one decimal under 1000%, none above, `n/a` without a
/// percentage, nothing for row 0 or a number that does not apply.
#[test]
fn change_formatting() {
    let ch = |value: Cell, percent: Option<f64>, same: bool| Change {
        value,
        percent,
        same,
    };
    let c = |p: f64| change(1, &ch(Cell::Int(1), Some(p), false));
    assert_eq!(
        change(1, &ch(Cell::Int(100), Some(0.0), true)).as_deref(),
        Some("+0%")
    );
    assert_eq!(c(12.5).as_deref(), Some("+12.5%"));
    assert_eq!(c(-50.0).as_deref(), Some("-50.0%"));
    assert_eq!(c(9900.0).as_deref(), Some("+9900%"));
    assert_eq!(c(0.001).as_deref(), Some("+0.0%"));
    assert_eq!(
        change(1, &ch(Cell::Int(5), None, false)).as_deref(),
        Some("n/a")
    );
    assert_eq!(
        change(1, &ch(Cell::Int(0), None, true)).as_deref(),
        Some("+0%")
    );
    assert_eq!(change(1, &ch(Cell::Null, None, false)), None);
    assert_eq!(change(0, &ch(Cell::Int(5), Some(0.0), true)), None);
}

#[test]
fn table_shows_changes_failures_and_shared_specs_once() {
    let t = to_table(&comparison(), Some(100));
    assert!(t.contains("(-50.0%)"), "{t}");
    assert!(t.contains("#3: bad sync"), "{t}");
    assert!(t.contains("(failed, see below)"), "{t}");
    // cluster is the same everywhere: one entry, its effective spec every key.
    let cluster: Vec<&str> = t.lines().filter(|l| l.starts_with("  cluster ")).collect();
    assert_eq!(cluster.len(), 1, "{t}");
    assert!(cluster[0].starts_with("  cluster    dragonfly "), "{t}");
    assert!(cluster[0].contains(" dragonfly:max=128K,"), "{t}");
    // Rows are labelled with the varying families as given, not their effective specs.
    assert!(t.contains("\nrows: #N readahead / sync, as given\n"), "{t}");
    assert!(t.contains("\n#2 fixed:pages=8 / dragonfly "), "{t}");
    // read-ahead accuracy: no read-ahead in #0, 0.5 elsewhere.
    assert!(t.contains("0.500 (n/a)"), "{t}");
    // the shared warning is printed once, without row tags.
    assert_eq!(t.lines().filter(|l| l.trim() == "w").count(), 1, "{t}");
    for l in t.lines() {
        assert!(l.chars().count() <= 100, "line too wide: {l}");
    }
    // --wide: every table in one part, one line per configuration in each.
    let wide = to_table(&comparison(), None);
    assert!(!wide.contains("(cont.)"), "{wide}");
    assert_eq!(
        wide.lines().filter(|l| l.starts_with("#1 ")).count(),
        4,
        "{wide}"
    );
    let io = wide
        .lines()
        .find(|l| l.starts_with("device I/O"))
        .unwrap_or("");
    for h in ["reads", "read bytes", "writes", "write bytes"] {
        assert!(io.contains(h), "{io}");
    }
}

#[test]
fn csv_has_union_of_keys_and_equal_field_counts() {
    let csv = to_csv(&comparison());
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5);
    assert!(lines[0].starts_with("config_index,trace.path,"));
    assert!(lines[0].ends_with(",error"), "{}", lines[0]);
    // naive split is fine: no field of this comparison contains a comma... except
    // the specs, which csv_field quotes; count with a quote-aware split.
    let fields = |l: &str| {
        let mut n = 1;
        let mut q = false;
        for ch in l.chars() {
            match ch {
                '"' => q = !q,
                ',' if !q => n += 1,
                _ => {}
            }
        }
        n
    };
    let n = fields(lines[0]);
    for l in &lines[1..] {
        assert_eq!(fields(l), n, "{l}");
    }
    assert!(lines[4].starts_with("3,,"), "{}", lines[4]);
}

#[test]
fn json_has_baseline_and_error_rows() {
    let v = to_json(&comparison());
    assert_eq!(v["baseline"], 0);
    let cfgs = v["configs"].as_array().map_or(0, Vec::len);
    assert_eq!(cfgs, 4);
    assert_eq!(v["configs"][3]["error"], "bad sync");
    assert_eq!(v["configs"][2]["config"]["readahead"], "fixed:pages=8");
    assert_eq!(v["configs"][0]["device"]["reads"], 64);
}

/// Linux rows are labelled by the profile keys set apart from the defaults, and their
/// DragonFly families (`-`) make no family look varied: only `profile` labels rows.
#[test]
fn linux_profiles_label_rows_by_the_keys_given() {
    let base = RunConfig::default();
    let profiles = ["dragonfly", "linux", "linux:read_ahead_kb=8192"].map(String::from);
    let lists = [
        vec!["dragonfly".into()],
        vec!["dragonfly".into()],
        vec!["dragonfly".into()],
    ];
    let cfgs = crate::run::config::compare_configs(&base, &lists, &profiles, false).unwrap();
    let rows = cfgs
        .into_iter()
        .map(|cfg| Row {
            result: Ok(out(&cfg, 8, 0, 0)),
            config: cfg,
        })
        .collect();
    let c = Comparison {
        trace_path: "t.csv".into(),
        events: 3,
        files: 1,
        rows,
    };
    let t = to_table(&c, Some(100));
    assert!(t.contains("\nrows: #N profile, as given\n"), "{t}");
    for label in ["#0 dragonfly ", "#1 linux ", "#2 linux:read_ahead_kb=8192 "] {
        assert!(t.contains(&format!("\n{label}")), "{label}:\n{t}");
    }
    // The effective profile, every key, is in the specs block (wrapped at commas).
    assert!(t.contains("  profile    dragonfly "), "{t}");
    assert!(
        t.contains("linux:read_ahead_kb=8192,max_sectors_kb=1280,"),
        "{t}"
    );
    assert!(t.lines().all(|l| l.chars().count() <= 100), "{t}");
}
