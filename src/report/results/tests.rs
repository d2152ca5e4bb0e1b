//! The results model: accessors, every file format, typed rows, sorting.

use super::*;

/// One accessor for every table and chart: NaN and infinities are no number
/// (html.rs once plotted NaN where plot.rs did not), blanks are no text.
#[test]
fn row_accessors_agree_on_nan_and_blanks() {
    let r = Row {
        cells: vec![
            ("a".into(), Cell::Float(f64::NAN)),
            ("b".into(), Cell::Float(f64::INFINITY)),
            ("c".into(), Cell::Int(7)),
            ("d".into(), Cell::Str("  ".into())),
            ("e".into(), Cell::Str("x".into())),
        ],
    };
    assert_eq!(
        (r.num("a"), r.num("b"), r.num("c")),
        (None, None, Some(7.0))
    );
    assert_eq!(r.num("missing"), None);
    assert_eq!((r.txt("d"), r.txt("e")), (None, Some("x".into())));
}

fn row(id: i64, reads: i64, name: &str) -> Row {
    let mut r = Row::default();
    r.push("config_id", Cell::Int(id));
    r.push("config.readahead", Cell::Str(name.into()));
    r.push("device.reads", Cell::Int(reads));
    r.push("latency_ns.read.mean", Cell::Float(12.5));
    r
}

#[test]
fn every_format_round_trips() {
    let dir = std::env::temp_dir().join(format!("vpsim-results-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rows = vec![row(0, 10, "none"), row(1, 5, "linux:max=32")];
    for ext in ["parquet", "csv", "json"] {
        let p = dir.join(format!("r.{ext}"));
        write_results(&rows, &p).unwrap();
        let back = read_results(&p).unwrap();
        assert_eq!(back, rows, "{ext}");
    }
    let e = write_results(&rows, &dir.join("r.xlsx")).unwrap_err();
    assert!(
        e.ends_with("r.xlsx: unknown results format \".xlsx\": use .parquet, .csv or .json"),
        "{e}"
    );
    assert!(!dir.join("r.xlsx").exists());
    assert_eq!(
        Format::of(Path::new("a/R.Parquet")).ok(),
        Some(Format::Parquet)
    );
    assert!(matches!(
        Format::of(Path::new("noext")),
        Err(ResultsError::UnknownFormat(e)) if e.is_empty()
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A `.json` file's rows: numbers typed, nulls and non-objects empty, a repeated
/// key's last value; anything but an array is refused, saying what was expected.
#[test]
fn json_rows_read_leniently() {
    let dir = std::env::temp_dir().join(format!("vpsim-results-json-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("r.json");
    std::fs::write(
        &p,
        r#"[{"a": 1, "b": 2.5, "c": null, "d": true, "a": 3, "e": [1]}, 7]"#,
    )
    .unwrap();
    let rows = read_results(&p).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].cells,
        [
            ("a".to_string(), Cell::Int(3)),
            ("b".to_string(), Cell::Float(2.5)),
            ("d".to_string(), Cell::Str("true".into())),
            ("e".to_string(), Cell::Str("[1]".into())),
        ]
    );
    assert_eq!(rows[1], Row::default());
    std::fs::write(&p, r#"{"a": 1}"#).unwrap();
    let e = read_results(&p).unwrap_err();
    assert!(e.contains("expected a JSON array of result rows"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The typed row of a run is the row the replay JSON's text used to be parsed
/// into, cell for cell — same columns, order and types — for every model and an
/// hdd (whose device_params has the seek keys).
#[test]
fn typed_rows_match_the_replay_json() {
    use crate::run::{ModelKind, RunConfig, run_trace};
    /// The old way: the JSON's leaves as text, each parsed back.
    fn parsed(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, Cell)>) {
        use serde_json::Value;
        let key = |k: &str| {
            if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}.{k}")
            }
        };
        let text = match v {
            Value::Object(m) => {
                for (k, v) in m {
                    parsed(&key(k), v, out);
                }
                return;
            }
            Value::Array(a) => a
                .iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join("; "),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let cell = if let Ok(i) = text.parse::<i64>() {
            Cell::Int(i)
        } else if let Ok(f) = text.parse::<f64>()
            && text.chars().any(|c| c.is_ascii_digit())
        {
            Cell::Float(f)
        } else {
            Cell::Str(text)
        };
        out.push((prefix.to_string(), cell));
    }
    for (model, device) in [
        (ModelKind::Dragonfly, "hdd"),
        (ModelKind::Linux, "ssd"),
        (ModelKind::Lru, "nvme:sched=fifo"),
    ] {
        let cfg = RunConfig {
            model,
            device: device.parse().unwrap(),
            ..RunConfig::default()
        };
        let out = run_trace("traces/mixed.csv", &cfg, &mut |_| {}).unwrap();
        let mut want = vec![("id".to_string(), Cell::Int(1))];
        parsed("", &crate::report::replay::to_json(&out), &mut want);
        let got = Row::from_output(&out, vec![("id".into(), Cell::Int(1))]);
        assert_eq!(got.cells, want, "{model:?}");
        assert!(matches!(
            got.get("latency_ns.read.mean"),
            Some(Cell::Float(_))
        ));
        assert!(matches!(
            got.get("config.device_params.lat_ns"),
            Some(Cell::Int(_))
        ));
    }
}

/// Rows whose columns come in different orders, or are missing, still land in the
/// right columns (the lookup starts where the last column was found, then wraps).
#[test]
fn frames_of_rows_in_any_column_order() {
    let a = Row {
        cells: vec![("x".into(), Cell::Int(1)), ("y".into(), Cell::Int(2))],
    };
    let b = Row {
        cells: vec![("y".into(), Cell::Int(4)), ("x".into(), Cell::Int(3))],
    };
    let c = Row {
        cells: vec![("y".into(), Cell::Int(6))],
    };
    let df = to_dataframe(&[a, b, c]).unwrap();
    let ints = |name: &str| -> Vec<Option<i64>> {
        df.column(name).unwrap().i64().unwrap().iter().collect()
    };
    assert_eq!(ints("x"), [Some(1), Some(3), None]);
    assert_eq!(ints("y"), [Some(2), Some(4), Some(6)]);
}

#[test]
fn sorting_by_metric_aliases() {
    let mut rows = vec![row(0, 10, "a"), row(1, 5, "b")];
    assert_eq!(
        sort_rows(&mut rows, "device_reads").unwrap(),
        "device.reads"
    );
    assert_eq!(rows[0].get("config_id"), Some(&Cell::Int(1)));
    assert!(sort_rows(&mut rows, "bogus").is_err());
}

/// The sweep table labels rows with the dimensions as given (`linux`, not the
/// effective `linux:max=32` of the row), lists the effective spec once above the
/// table, tags a spec given once but in effect twice with the dimensions its rows
/// share (here one row each: all of them), and marks the fewest reads `*`. Hand-made rows: #1 reads 5, #0 reads 10.
#[test]
fn sweep_table_labels_rows_as_given_and_lists_effective_specs() {
    let mut rows = vec![row(0, 10, "none"), row(1, 5, "linux:max=32")];
    for (r, wb) in rows.iter_mut().zip(["0", "1"]) {
        r.push(
            "config.cluster",
            Cell::Str(format!("dragonfly:write_behind={wb}")),
        );
    }
    let given: Vec<Vec<(String, String)>> = [("none", "0"), ("linux", "1")]
        .iter()
        .map(|(ra, wb)| {
            vec![
                ("config.readahead".to_string(), ra.to_string()),
                ("config.cluster".to_string(), "dragonfly".to_string()),
                ("config.knobs.vfs.write_behind".to_string(), wb.to_string()),
            ]
        })
        .collect();
    let dims = [
        "config.readahead".to_string(),
        "config.knobs.vfs.write_behind".to_string(),
    ];
    let t = rows_table(&rows, &dims, &given, Some(100));
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(
        lines[0],
        "2 configurations; * marks the best (lowest) value of each column"
    );
    assert_eq!(
        lines[1..6],
        [
            "specs as given, and in effect (every key)",
            "  readahead  none   none",
            "             linux  linux:max=32",
            "  cluster    dragonfly (readahead=none write_behind=0)",
            "                    dragonfly:write_behind=0",
        ]
    );
    // Table rows: id, readahead as given, write_behind, then reads with the best marked.
    let row1 = lines.iter().find(|l| l.starts_with(" 1  ")).unwrap();
    assert!(
        row1.starts_with(" 1  linux      1                5*"),
        "{t}"
    );
    let row0 = lines.iter().find(|l| l.starts_with(" 0  ")).unwrap();
    assert!(
        row0.starts_with(" 0  none       0               10 "),
        "{t}"
    );
    assert!(
        !t.contains("linux:max=32 "),
        "an effective spec labels a row:\n{t}"
    );
    assert!(t.lines().all(|l| l.chars().count() <= 100), "{t}");
    // Too narrow for the labels beside even one metric: ids only in the table, the
    // dimensions listed above it.
    let narrow = rows_table(&rows, &dims, &given, Some(30));
    assert!(
        narrow.contains("\n  1  readahead=linux\n       write_behind=1\n"),
        "{narrow}"
    );
    assert!(narrow.contains("\nid  reads  bytes  writes\n"), "{narrow}");
    // (The specs above cannot all fit 30 columns: `dragonfly:write_behind=0` has no
    // comma to break at.)
    let from = narrow.find("dimensions as given").unwrap_or(0);
    assert!(
        narrow[from..].lines().all(|l| l.chars().count() <= 30),
        "{narrow}"
    );
}
