//! `vpsim import`: open another tool's log, convert it with one of the importers,
//! commit the trace only when complete, and say what was skipped.

use crate::error::CmdError;
use crate::import::{self, ImportReport};
use crate::trace::{Input, Sink, TraceError, TraceOutput, TraceWriter};

/// The trace writer an importer writes into.
pub type Writer = TraceWriter<Sink>;

fn out_name(output: Option<&str>) -> &str {
    match output {
        None | Some("-") => "<stdout>",
        Some(p) => p,
    }
}

/// An importer run on an opened input: reads it (named as shown), writes events.
pub trait Converter:
    FnOnce(&mut dyn std::io::BufRead, &str, &mut Writer) -> Result<ImportReport, TraceError>
{
}

impl<F> Converter for F where
    F: FnOnce(&mut dyn std::io::BufRead, &str, &mut Writer) -> Result<ImportReport, TraceError>
{
}

/// Open `path` (or standard input for `-`) and `output`, run `convert`, commit the
/// output; returns the lines to show on stderr (what was converted, then every kind
/// of skipped or adjusted line with its count).
pub fn import(
    what: &str,
    path: &str,
    output: Option<&str>,
    convert: impl Converter,
) -> Result<Vec<String>, CmdError> {
    let (report, name) = import_report(path, output, convert)?;
    let mut lines = vec![format!(
        "vpsim import {what}: {} lines -> {} events{}",
        report.lines,
        report.events,
        if name == "<stdout>" {
            String::new()
        } else {
            format!(" in {name}")
        }
    )];
    let summary = report.summary();
    if !summary.is_empty() {
        lines.push("skipped or adjusted (count, what):".into());
        lines.extend(summary);
    }
    Ok(lines)
}

/// [`import`] returning what the importer reported and the output's name, for
/// callers that say it their own way (`vpsim record`).
pub fn import_report(
    path: &str,
    output: Option<&str>,
    convert: impl Converter,
) -> Result<(ImportReport, String), CmdError> {
    let mut input = Input::open(path)?;
    let mut sink = TraceOutput::create(output).map_err(|e| {
        let name = output.unwrap_or("<stdout>");
        CmdError::Output(format!("{name}: cannot create: {e}"))
    })?;
    let shown = if path == "-" { "<stdin>" } else { path };
    let report = match convert(input.reader(), shown, sink.writer()) {
        Ok(r) => r,
        Err(e) => {
            sink.abandon();
            let out = out_name(output);
            if e.is_io() && (e.path() == import::OUTPUT || e.path() == out) {
                return Err(CmdError::Output(format!("{out}: {}", e.message())));
            }
            return Err(e.into());
        }
    };
    let name = sink.name().to_string();
    sink.commit().map_err(CmdError::Output)?;
    Ok((report, name))
}
