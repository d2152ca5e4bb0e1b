//! The summary analysis behind the printed tables — a comparison's change of each
//! number against its baseline, a sweep's ranking by `--sort`, the best value of each
//! metric — as polars lazy queries over the results frame
//! ([`super::results::to_dataframe`]).
//!
//! Why polars: each summary is column arithmetic over a frame that every results file
//! (a compare's, a sweep's, a merge of both) already is, the same kind of query a
//! `vpsim query` user writes in SQL, planned by one engine instead of loops over cells
//! in each table. Formatting stays in Rust, with the tables.

use super::results::{Cell, cell_of};
use polars::prelude::*;

/// Why a summary could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    /// `--sort` names no column of the results: the user's to fix.
    #[error(
        "no metric \"{0}\" in the results; try device_reads, device_writes, counters.page_misses, latency_ns.read.p99"
    )]
    UnknownMetric(String),
    /// The rows could not be made a frame.
    #[error("{0}")]
    Frame(String),
    /// A query failed: a bug, not the user's doing.
    #[error("summarising the results: {0}")]
    Query(#[from] PolarsError),
}

/// A column as a number, the way the tables read a cell ([`Cell::as_f64`]): integers
/// and floats as `f64`, no number for an absent column or a text cell. A column of
/// mixed integers and text is a text column in the frame: its numeric texts count.
fn number(schema: &Schema, name: &str) -> Expr {
    match schema.get(name) {
        Some(dt) if dt.is_primitive_numeric() || *dt == DataType::String => {
            // Non-strict: a text that is no number becomes null.
            col(name).cast(DataType::Float64)
        }
        _ => lit(NULL).cast(DataType::Float64),
    }
}

/// A column as it is, or nulls when no row has it (every run failed).
fn column(schema: &Schema, name: &str) -> Expr {
    if schema.contains(name) {
        col(name)
    } else {
        lit(NULL).cast(DataType::Int64)
    }
}

/// The order of the rows ranked by `metric` (a column of `df`), ascending: rows
/// without a number for it last, ties in their original order (a stable sort).
pub fn ranking(df: &DataFrame, metric: &str) -> Result<Vec<usize>, SummaryError> {
    const ROW: &str = "__vpsim_row";
    const KEY: &str = "__vpsim_key";
    let key = number(df.schema(), metric)
        .fill_null(lit(f64::INFINITY))
        .alias(KEY);
    let out = df
        .clone()
        .lazy()
        .with_row_index(ROW, None)
        .select([col(ROW), key])
        .sort(
            [KEY],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .select([col(ROW)])
        .collect()?;
    Ok(out
        .column(ROW)?
        .idx()?
        .iter()
        .flatten()
        .map(|i| i as usize)
        .collect())
}

/// The lowest value of each of `metrics` over the rows without an `error` (`None`
/// where no such row has a number for it): what a sweep's table marks as best.
pub fn best(df: &DataFrame, metrics: &[&str]) -> Result<Vec<Option<f64>>, SummaryError> {
    let schema = df.schema();
    let mut lf = df.clone().lazy();
    if schema.contains("error") {
        lf = lf.filter(col("error").is_null());
    }
    let name = |i: usize| format!("best{i}");
    let exprs: Vec<Expr> = metrics
        .iter()
        .enumerate()
        .map(|(i, m)| number(schema, m).min().alias(name(i)))
        .collect();
    let out = lf.select(exprs).collect()?;
    (0..metrics.len())
        .map(|i| Ok(out.column(&name(i))?.f64()?.get(0)))
        .collect()
}

/// What one number of a comparison table is, in terms of the results columns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Source {
    /// A column as it is.
    Column(&'static str),
    /// `part / whole`, when `whole` > 0 (e.g. the share of read-ahead pages used).
    Fraction {
        part: &'static str,
        whole: &'static str,
    },
    /// An op's p99 latency, when the op occurred (`latency_ns.OP.count` > 0).
    P99(&'static str),
    /// The larger p99 of two ops, when either occurred (the other counting as 0).
    P99Max(&'static str, &'static str),
}

impl Source {
    /// The results columns it reads.
    pub fn inputs(self) -> Vec<String> {
        let latency = |op: &str| {
            [
                format!("latency_ns.{op}.count"),
                format!("latency_ns.{op}.p99"),
            ]
        };
        match self {
            Source::Column(c) => vec![c.to_string()],
            Source::Fraction { part, whole } => vec![part.to_string(), whole.to_string()],
            Source::P99(op) => latency(op).to_vec(),
            Source::P99Max(a, b) => latency(a).into_iter().chain(latency(b)).collect(),
        }
    }

    fn expr(self, schema: &Schema) -> Expr {
        let occurred = |op: &str| column(schema, &format!("latency_ns.{op}.count")).gt(lit(0));
        let p99 = |op: &str| column(schema, &format!("latency_ns.{op}.p99"));
        match self {
            Source::Column(c) => column(schema, c),
            Source::Fraction { part, whole } => when(column(schema, whole).gt(lit(0)))
                .then(
                    column(schema, part).cast(DataType::Float64)
                        / column(schema, whole).cast(DataType::Float64),
                )
                .otherwise(lit(NULL).cast(DataType::Float64)),
            Source::P99(op) => when(occurred(op))
                .then(p99(op))
                .otherwise(lit(NULL).cast(DataType::Int64)),
            Source::P99Max(a, b) => {
                let or0 = |op: &str| when(occurred(op)).then(p99(op)).otherwise(lit(0i64));
                when(occurred(a).or(occurred(b)))
                    .then(when(or0(a).gt_eq(or0(b))).then(or0(a)).otherwise(or0(b)))
                    .otherwise(lit(NULL).cast(DataType::Int64))
            }
        }
    }
}

/// One number of a comparison and how it differs from the baseline's (row 0).
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// The number ([`Cell::Null`] when it does not apply or the run failed).
    pub value: Cell,
    /// `(value − base) / base · 100`; `None` when either is missing or the base is 0.
    pub percent: Option<f64>,
    /// The value equals the baseline's (both present).
    pub same: bool,
}

/// Every row's numbers for `sources` with their change against row 0, as
/// `[row][source]`: one lazy query selecting, per source, its value, the percentage
/// and whether it is unchanged.
pub fn changes(df: &DataFrame, sources: &[Source]) -> Result<Vec<Vec<Change>>, SummaryError> {
    let schema = df.schema();
    let mut exprs = Vec::with_capacity(sources.len() * 3);
    for (i, s) in sources.iter().enumerate() {
        let v = s.expr(schema);
        let x = v.clone().cast(DataType::Float64);
        let base = x.clone().first();
        let percent = when(base.clone().eq(lit(0.0)))
            .then(lit(NULL).cast(DataType::Float64))
            .otherwise((x.clone() - base.clone()) / base.clone() * lit(100.0));
        exprs.push(v.alias(format!("value{i}")));
        exprs.push(percent.alias(format!("percent{i}")));
        exprs.push(x.eq(base).alias(format!("same{i}")));
    }
    let out = df.clone().lazy().select(exprs).collect()?;
    let mut cols = Vec::with_capacity(sources.len());
    for i in 0..sources.len() {
        cols.push((
            out.column(&format!("value{i}"))?,
            out.column(&format!("percent{i}"))?.f64()?,
            out.column(&format!("same{i}"))?.bool()?,
        ));
    }
    (0..out.height())
        .map(|r| {
            cols.iter()
                .map(|(v, p, s)| {
                    Ok(Change {
                        value: cell_of(v.get(r)?),
                        percent: p.get(r),
                        same: s.get(r).unwrap_or(false),
                    })
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::results::{Row, to_dataframe};

    /// Rows with the given cells; `None` leaves a cell out.
    fn frame(cols: &[&str], rows: &[&[Option<Cell>]]) -> DataFrame {
        let rows: Vec<Row> = rows
            .iter()
            .map(|cells| {
                let mut r = Row::default();
                for (c, v) in cols.iter().zip(cells.iter()) {
                    if let Some(v) = v {
                        r.push(c, v.clone());
                    }
                }
                r
            })
            .collect();
        to_dataframe(&rows).unwrap()
    }

    fn int(i: i64) -> Option<Cell> {
        Some(Cell::Int(i))
    }

    /// Against a baseline of 4 reads: 5 is +25%, 2 is −50%, 4 is unchanged, a failed
    /// run has nothing. The read-ahead share: 2 of 8 pages = 0.25 against a baseline
    /// that read nothing ahead (no percentage), 4 of 4 = 1.0.
    #[test]
    fn changes_against_the_first_row() {
        let cols = [
            "device.reads",
            "counters.readahead_pages_used",
            "counters.readahead_pages",
            "error",
        ];
        let df = frame(
            &cols,
            &[
                &[int(4), int(0), int(0), None],
                &[int(5), int(2), int(8), None],
                &[int(2), int(4), int(4), None],
                &[int(4), int(0), int(0), None],
                &[None, None, None, Some(Cell::Str("bad".into()))],
            ],
        );
        let ch = changes(
            &df,
            &[
                Source::Column("device.reads"),
                Source::Fraction {
                    part: "counters.readahead_pages_used",
                    whole: "counters.readahead_pages",
                },
            ],
        )
        .unwrap();
        let reads: Vec<(Cell, Option<f64>, bool)> = ch
            .iter()
            .map(|r| (r[0].value.clone(), r[0].percent, r[0].same))
            .collect();
        assert_eq!(
            reads,
            [
                (Cell::Int(4), Some(0.0), true),
                (Cell::Int(5), Some(25.0), false),
                (Cell::Int(2), Some(-50.0), false),
                (Cell::Int(4), Some(0.0), true),
                (Cell::Null, None, false),
            ]
        );
        let ra: Vec<(Cell, Option<f64>)> = ch
            .iter()
            .map(|r| (r[1].value.clone(), r[1].percent))
            .collect();
        assert_eq!(
            ra,
            [
                (Cell::Null, None),
                (Cell::Float(0.25), None),
                (Cell::Float(1.0), None),
                (Cell::Null, None),
                (Cell::Null, None),
            ]
        );
    }

    /// A baseline of 0 gives no percentage (a change from nothing has no ratio), but
    /// 0 against 0 is still unchanged; 100000 → 100001 is +0.001% (shown +0.0%), not unchanged.
    #[test]
    fn zero_and_tiny_baselines() {
        let df = frame(
            &["a", "b"],
            &[
                &[int(0), int(100_000)],
                &[int(5), int(100_001)],
                &[int(0), int(100_000)],
            ],
        );
        let ch = changes(&df, &[Source::Column("a"), Source::Column("b")]).unwrap();
        let a: Vec<(Option<f64>, bool)> = ch.iter().map(|r| (r[0].percent, r[0].same)).collect();
        assert_eq!(a, [(None, true), (None, false), (None, true)]);
        assert_eq!(
            (ch[1][1].percent, ch[1][1].same),
            (Some((100_001.0 - 100_000.0) / 100_000.0 * 100.0), false)
        );
    }

    /// p99 only where the op occurred; the fault column is the larger of the read and
    /// write fault p99s, a missing one counting as 0; an absent column is no number.
    #[test]
    fn p99_sources() {
        let cols = [
            "latency_ns.read.count",
            "latency_ns.read.p99",
            "latency_ns.fault_read.count",
            "latency_ns.fault_read.p99",
            "latency_ns.fault_write.count",
            "latency_ns.fault_write.p99",
        ];
        let df = frame(
            &cols,
            &[
                &[int(3), int(700), int(0), int(0), int(2), int(300)],
                &[int(0), int(0), int(0), int(0), int(0), int(0)],
                &[int(1), int(800), int(4), int(900), int(2), int(300)],
            ],
        );
        let ch = changes(
            &df,
            &[
                Source::P99("read"),
                Source::P99Max("fault_read", "fault_write"),
                Source::Column("latency_ns.fsync.p99"),
            ],
        )
        .unwrap();
        let got: Vec<Vec<Cell>> = ch
            .iter()
            .map(|r| r.iter().map(|c| c.value.clone()).collect())
            .collect();
        assert_eq!(
            got,
            [
                [Cell::Int(700), Cell::Int(300), Cell::Null],
                [Cell::Null, Cell::Null, Cell::Null],
                [Cell::Int(800), Cell::Int(900), Cell::Null],
            ]
        );
        // 300 → 900 is +200%; 700 → 800 is +14.2857...%, as Rust computes it.
        assert_eq!(ch[2][1].percent, Some(200.0));
        assert_eq!(ch[2][0].percent, Some((800.0 - 700.0) / 700.0 * 100.0));
    }

    /// Ascending by the metric, ties in their first order, no number last: reads
    /// 10, 5, (failed), 7, 5 rank as rows 1, 4, 3, 0, 2.
    #[test]
    fn ranking_is_stable_with_missing_last() {
        let df = frame(
            &["device.reads"],
            &[&[int(10)], &[int(5)], &[None], &[int(7)], &[int(5)]],
        );
        assert_eq!(ranking(&df, "device.reads").unwrap(), [1, 4, 3, 0, 2]);
        // A text column ranks nothing: the order stays.
        let df = frame(
            &["name"],
            &[
                &[Some(Cell::Str("b".into()))],
                &[Some(Cell::Str("a".into()))],
            ],
        );
        assert_eq!(ranking(&df, "name").unwrap(), [0, 1]);
    }

    /// The best is the lowest among rows without an error: 3 belongs to a failed row,
    /// so the best of 10, 5, 7 is 5; a column no row has has no best.
    #[test]
    fn best_skips_failed_rows() {
        let df = frame(
            &["device.reads", "latency_ns.read.mean", "error"],
            &[
                &[int(10), Some(Cell::Float(2.5)), None],
                &[int(5), Some(Cell::Float(1.5)), None],
                &[int(3), Some(Cell::Float(0.5)), Some(Cell::Str("x".into()))],
                &[int(7), Some(Cell::Float(3.0)), None],
            ],
        );
        assert_eq!(
            best(&df, &["device.reads", "latency_ns.read.mean", "missing"]).unwrap(),
            [Some(5.0), Some(1.5), None]
        );
    }
}
