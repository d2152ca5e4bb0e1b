//! `vpsim merge`: the results of `sweep --shard I/N` runs combined into one file,
//! after checking that they come from the same grid and trace.

use super::sweep::config_id;
use crate::error::CmdError;
use crate::report::results::{Cell, Row, read_results, write_results};
use std::path::Path;

/// What identifies a sweep: its grid fingerprint, trace path and event count.
type Ident = (Option<Cell>, Option<Cell>, Option<Cell>);

fn ident(r: &Row) -> Ident {
    (
        r.get("grid").cloned(),
        r.get("trace.path").cloned(),
        r.get("trace_events").cloned(),
    )
}

/// Merge `parts` into `out`, each configuration once, in configuration order;
/// returns how many configurations the merged file holds.
pub fn merge(out: &Path, parts: &[String]) -> Result<usize, CmdError> {
    let mut all: Vec<Row> = Vec::new();
    let mut first: Option<Ident> = None;
    for p in parts {
        for r in read_results(Path::new(p)).map_err(CmdError::Input)? {
            let id = ident(&r);
            if id.0.is_none() {
                return Err(CmdError::Input(format!(
                    "{p}: not the output of vpsim sweep (no grid column)"
                )));
            }
            match &first {
                None => first = Some(id),
                // The trace path may be absent from one side (older files).
                Some(i)
                    if i.0 != id.0
                        || i.2 != id.2
                        || (i.1.is_some() && id.1.is_some() && i.1 != id.1) =>
                {
                    return Err(CmdError::Input(format!(
                        "{p} comes from a different grid or trace than {}",
                        parts[0]
                    )));
                }
                Some(_) => {}
            }
            if !all.iter().any(|x| x.get("config_id") == r.get("config_id")) {
                all.push(r);
            }
        }
    }
    all.sort_by_key(config_id);
    write_results(&all, out).map_err(CmdError::Output)?;
    Ok(all.len())
}
