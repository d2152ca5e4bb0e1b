//! `vpsim convert` and `vpsim info`: working with trace files themselves.

use clap::{Args, ValueEnum};
use vpsim::error::{CmdError, CmdResult};
use vpsim::run::Progress;
use vpsim::units::parse_size;

use super::Bar;

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// The trace to read (CSV, .gz, .zst, binary, or - for standard input).
    pub input: String,
    /// The trace to write. Its extension picks the form: .vpt binary; .csv, .csv.gz,
    /// .csv.zst text; - for CSV on standard output. Written under a temporary name and
    /// renamed into place when complete.
    pub output: String,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum InfoFormat {
    /// A one-screen summary.
    Table,
    /// One JSON object (the same figures, unrounded).
    Json,
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// The trace (CSV, .gz, .zst, binary .vpt, or - for standard input).
    pub trace: String,
    /// Memory sizes of the LRU miss-ratio curve, comma separated (K/M/G suffixes).
    /// Default: powers of four from 1M up to the total size of the trace's files.
    #[arg(long, value_name = "SIZES")]
    pub mem: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InfoFormat::Table)]
    pub format: InfoFormat,
}

pub fn cmd_convert(a: &ConvertArgs) -> CmdResult {
    let mut bar = Bar::doing("converting");
    let res = vpsim::trace::convert(&a.input, &a.output, &mut |n| {
        bar.update(Progress {
            events: n,
            total_events: None,
        })
    });
    bar.finish();
    match res {
        Ok(n) => {
            if a.output != "-" {
                eprintln!("vpsim convert: {n} events -> {}", a.output);
            }
            Ok(())
        }
        // An error on the output side is a write failure (exit 3), else the input's.
        Err(e) if e.path() == a.output || e.path() == "<stdout>" => {
            Err(CmdError::Output(e.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn cmd_info(a: &InfoArgs) -> CmdResult {
    let mut sizes = Vec::new();
    for s in a.mem.iter().flat_map(|m| m.split(',')) {
        match parse_size(s.trim()) {
            Ok(v) if v > 0 => sizes.push(v),
            Ok(_) => {
                return Err(CmdError::Usage(
                    "--mem: a memory size must be above 0".into(),
                ));
            }
            Err(e) => return Err(CmdError::Usage(format!("--mem: {e}"))),
        }
    }
    let mut bar = Bar::doing("reading");
    let res = vpsim::info::info(&a.trace, &sizes, &mut |n, total| {
        bar.update(Progress {
            events: n,
            total_events: total,
        })
    });
    bar.finish();
    let info = res.map_err(|e| CmdError::Input(e.to_string()))?;
    match a.format {
        InfoFormat::Table => print!("{}", vpsim::report::info::to_table(&info)),
        InfoFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&vpsim::report::info::to_json(&info)).unwrap_or_default()
        ),
    }
    Ok(())
}
