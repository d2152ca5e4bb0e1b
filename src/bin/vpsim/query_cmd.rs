//! `vpsim query RESULTS "SQL"`.

use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
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

pub fn cmd_query(a: &QueryArgs) -> ExitCode {
    let r = match query::query(Path::new(&a.results), &a.sql) {
        Ok(r) => r,
        Err(e @ QueryError::Sql(_)) => {
            eprintln!("vpsim query: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("vpsim query: {e}");
            return ExitCode::from(1);
        }
    };
    if let Some(out) = &a.output {
        if let Err(e) = write_results(&r.rows, Path::new(out)) {
            eprintln!("vpsim query: cannot write {e}");
            return ExitCode::from(3);
        }
        return ExitCode::SUCCESS;
    }
    let text = match a.format {
        QueryFormat::Table => query::to_table(&r),
        QueryFormat::Csv => query::to_csv(&r),
    };
    if std::io::stdout().lock().write_all(text.as_bytes()).is_err() {
        return ExitCode::from(3);
    }
    ExitCode::SUCCESS
}
