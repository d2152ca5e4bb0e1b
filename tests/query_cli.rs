//! `vpsim query` end to end: SQL over a sweep's results file.

mod common;

use common::{assert_code, stderr, stdout, vpsim};
use serde_json::Value;

fn sweep(dir: &std::path::Path) -> (String, Vec<Value>) {
    let out = dir.join("r.json");
    let o = vpsim(&[
        "sweep",
        "traces/small-random.csv",
        "--mem",
        "64M,256M",
        "--readahead",
        "none,dragonfly",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_code(&o, 0);
    let rows: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    (
        out.to_str().unwrap().to_string(),
        rows.as_array().unwrap().clone(),
    )
}

/// The fewest device reads per memory size, by SQL, equal what the results file
/// holds (worked out here from the JSON rows); `--format csv` and `-o` give the same
/// rows; bad SQL is exit 2 naming the query, a missing file exit 1.
#[test]
fn query_groups_and_ranks_a_sweep() {
    let dir = std::env::temp_dir().join(format!("vpsim-query-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (path, rows) = sweep(&dir);
    let mut want: Vec<(i64, i64)> = Vec::new();
    for mem in [64 << 20, 256 << 20] {
        let best = rows
            .iter()
            .filter(|r| r["config.mem"].as_i64() == Some(mem))
            .filter_map(|r| r["device.reads"].as_i64())
            .min()
            .unwrap();
        want.push((mem, best));
    }
    let sql = r#"SELECT "config.mem" AS mem, MIN("device.reads") AS reads FROM results GROUP BY "config.mem" ORDER BY mem"#;
    let o = vpsim(&["query", &path, sql, "--format", "csv"]);
    assert_code(&o, 0);
    let mut expected = String::from("mem,reads\n");
    for (m, r) in &want {
        expected.push_str(&format!("{m},{r}\n"));
    }
    assert_eq!(stdout(&o), expected);
    let o = vpsim(&["query", &path, sql]);
    assert_code(&o, 0);
    let table = stdout(&o);
    assert!(
        table.trim_start().starts_with("mem") && table.ends_with("(2 rows)\n"),
        "{table}"
    );
    let out = dir.join("best.csv");
    let o = vpsim(&["query", &path, sql, "-o", out.to_str().unwrap()]);
    assert_code(&o, 0);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), expected);
    let o = vpsim(&["query", &path, "SELEC nothing"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("vpsim query: query:"), "{}", stderr(&o));
    let o = vpsim(&["query", "no/such.parquet", "SELECT * FROM results"]);
    assert_code(&o, 1);
    let _ = std::fs::remove_dir_all(&dir);
}
