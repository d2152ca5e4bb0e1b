//! `vpsim query RESULTS "SQL"`: SQL over a results file (Parquet, CSV or JSON from
//! `sweep`, `compare` or `replay`), planned and run by polars' SQL engine as a lazy
//! query over the results frame — so a user can filter, group and rank a
//! 10,000-row sweep without leaving the terminal. The table is called `results`;
//! columns keep their dotted names, quoted in SQL (`"device.reads"`).

use super::results::{Cell, Row, from_dataframe, read_results, to_dataframe};
use polars::prelude::*;
use polars::sql::SQLContext;
use std::path::Path;

/// The name a query's `FROM` uses.
pub const TABLE: &str = "results";

/// What a query gave: its columns in order, and its rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
}

/// Why a query has no result: the file, or the SQL.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    Results(String),
    #[error("query: {0}")]
    Sql(String),
}

/// Run `sql` over the results file at `path`.
pub fn query(path: &Path, sql: &str) -> Result<QueryResult, QueryError> {
    let rows = read_results(path).map_err(QueryError::Results)?;
    let df = to_dataframe(&rows).map_err(QueryError::Results)?;
    query_frame(df, sql)
}

/// Run `sql` over a results frame registered as [`TABLE`].
pub fn query_frame(df: DataFrame, sql: &str) -> Result<QueryResult, QueryError> {
    let mut ctx = SQLContext::new();
    ctx.register(TABLE, df.lazy());
    let out = ctx
        .execute(sql)
        .and_then(|lf| lf.collect())
        .map_err(|e| QueryError::Sql(e.to_string()))?;
    let columns = out
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let rows = from_dataframe(&out).map_err(QueryError::Sql)?;
    Ok(QueryResult { columns, rows })
}

/// A cell as the table shows it: floats with at most 6 significant digits after the
/// point (the file keeps every digit), empty for null.
fn shown(c: Option<&Cell>) -> String {
    match c {
        Some(Cell::Float(f)) if f.fract() != 0.0 => {
            let s = format!("{f:.6}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
        Some(c) => c.text(),
        None => String::new(),
    }
}

/// The result as an aligned text table: a header of column names, numbers
/// right-aligned, text left-aligned, two spaces between columns.
pub fn to_table(r: &QueryResult) -> String {
    let cells: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|row| r.columns.iter().map(|c| shown(row.get(c))).collect())
        .collect();
    let numeric: Vec<bool> = r
        .columns
        .iter()
        .map(|c| {
            r.rows
                .iter()
                .all(|row| !matches!(row.get(c), Some(Cell::Str(_))))
        })
        .collect();
    let widths: Vec<usize> = r
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|row| row[i].chars().count())
                .chain([c.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |vals: &[String]| -> String {
        let parts: Vec<String> = vals
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if numeric[i] {
                    format!("{v:>w$}", w = widths[i])
                } else {
                    format!("{v:<w$}", w = widths[i])
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string() + "\n"
    };
    let mut s = line(&r.columns);
    for row in &cells {
        s.push_str(&line(row));
    }
    s.push_str(&format!(
        "({} row{})\n",
        r.rows.len(),
        if r.rows.len() == 1 { "" } else { "s" }
    ));
    s
}

/// The result as CSV (header, then one line per row; fields quoted where needed).
pub fn to_csv(r: &QueryResult) -> String {
    let mut c = super::csvout::CsvText::new();
    c.record(&r.columns);
    for row in &r.rows {
        c.record(
            r.columns
                .iter()
                .map(|col| row.get(col).map(Cell::text).unwrap_or_default()),
        );
    }
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> DataFrame {
        let rows: Vec<Row> = [
            ("64M", "none", 900, 1.5),
            ("64M", "dragonfly", 300, 2.25),
            ("256M", "none", 700, 1.0),
            ("256M", "dragonfly", 100, 4.0),
        ]
        .iter()
        .map(|(m, ra, reads, lat)| Row {
            cells: vec![
                ("config.mem_h".into(), Cell::Str(m.to_string())),
                ("config.readahead".into(), Cell::Str(ra.to_string())),
                ("device.reads".into(), Cell::Int(*reads)),
                ("latency_ns.read.p99".into(), Cell::Float(*lat)),
            ],
        })
        .collect();
        to_dataframe(&rows).unwrap()
    }

    /// Grouping and ranking with dotted column names: the best read-ahead per memory
    /// size is the one with the fewest device reads (300 at 64M, 100 at 256M).
    #[test]
    fn group_and_rank_over_dotted_columns() {
        let r = query_frame(
            frame(),
            r#"SELECT "config.mem_h" AS mem, MIN("device.reads") AS best, SUM("latency_ns.read.p99") AS lat
               FROM results GROUP BY "config.mem_h" ORDER BY best"#,
        )
        .unwrap();
        assert_eq!(r.columns, ["mem", "best", "lat"]);
        let got: Vec<(String, Option<f64>, Option<f64>)> = r
            .rows
            .iter()
            .map(|x| {
                (
                    x.txt("mem").unwrap_or_default(),
                    x.num("best"),
                    x.num("lat"),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("256M".to_string(), Some(100.0), Some(5.0)),
                ("64M".to_string(), Some(300.0), Some(3.75))
            ]
        );
        let t = to_table(&r);
        assert_eq!(
            t,
            "mem   best   lat\n256M   100   5.0\n64M    300  3.75\n(2 rows)\n"
        );
        assert_eq!(to_csv(&r), "mem,best,lat\n256M,100,5.0\n64M,300,3.75\n");
    }

    /// A bad query is an error naming SQL, not a panic or an empty table.
    #[test]
    fn bad_sql_and_unknown_columns_are_errors() {
        for sql in [
            "SELEC * FROM results",
            r#"SELECT "no.such" FROM results"#,
            "SELECT * FROM elsewhere",
        ] {
            match query_frame(frame(), sql) {
                Err(QueryError::Sql(m)) => assert!(!m.is_empty(), "{sql}"),
                other => panic!("{sql}: {other:?}"),
            }
        }
    }
}
