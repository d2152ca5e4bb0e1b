//! `vpsim query RESULTS "SQL"`.

use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::Path;
use vpsim::error::{CmdError, CmdResult};
use vpsim::report::query::{self, QueryError};
use vpsim::report::results::write_results;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    /// Aligned columns, numbers right-aligned, and the row count.
    Table,
    /// A header line and one line per row.
    Csv,
}

#[derive(Args, Debug)]
pub struct QueryArgs {
    /// A results file (.parquet, .csv or .json, from sweep, compare --output or replay --output).
    results: String,
    /// The query, over the table `results`; quote dotted column names, e.g.
    /// 'SELECT "config.mem_h", MIN("device.reads") FROM results GROUP BY 1'.
    sql: String,
    /// How to print the result, e.g. --format csv.
    #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
    format: QueryFormat,
    /// Write the result as a results file instead (.parquet, .csv or .json, atomically), e.g. -o best.parquet.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<String>,
}

pub fn cmd_query(a: &QueryArgs) -> CmdResult {
    let r = query::query(Path::new(&a.results), &a.sql).map_err(|e| match e {
        QueryError::Sql(_) => CmdError::Usage(e.to_string()),
        QueryError::Results(_) => CmdError::Input(e.to_string()),
    })?;
    if let Some(out) = &a.output {
        return write_results(&r.rows, Path::new(out))
            .map_err(|e| CmdError::Output(format!("cannot write {e}")));
    }
    let text = match a.format {
        QueryFormat::Table => query::to_table(&r),
        QueryFormat::Csv => query::to_csv(&r),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|_| CmdError::Reported(3))
}
