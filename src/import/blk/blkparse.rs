//! blkparse's default text output (blktrace's `blkparse -i DEV` without `-f`).
//!
//! Format, from blkparse(1) ("Default output", blktrace 1.3): every event line is
//! `%D %2c %8s %5T.%9t %5p %2a %3d ` — device `major,minor`, CPU, sequence number,
//! time in seconds, pid, action, RWBS — followed by the action's details; for the
//! queue/issue/complete actions (`Q G I D C`…) that is `sector + blocks [process]`
//! (`[error]` on completions). For example:
//!
//! ```text
//!   8,0    3        1     0.000000000  4162  Q   R 1234567 + 8 [cat]
//!   8,0    3        4     0.000010000  4162  D   R 1234567 + 8 [cat]
//!   8,0    1        5     0.000500000     0  C   R 1234567 + 8 [0]
//! ```
//!
//! Requests are the `D` (issued to the driver) events and their `C` completions;
//! every other action (queue, merge, plug, remap, messages) and the per-CPU summary
//! blkparse prints at the end is skipped. A D or C line that does not fit the format
//! is an error naming the line and the field.

use super::actions::{Action, ActionKind, At, rwbs_dir};
use crate::trace::TraceError;

/// `vpsim import blk --format blkparse`'s line parser.
pub(super) fn parse_line(at: &At<'_>) -> Result<Option<Action>, TraceError> {
    let f: Vec<&str> = at.line.split_whitespace().collect();
    // Event lines start with a `major,minor` device; the summary does not.
    let is_event = f.len() >= 7
        && f[0]
            .split_once(',')
            .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok());
    if !is_event {
        return Ok(None);
    }
    let kind = match f[5] {
        "D" => ActionKind::Issue,
        "C" => ActionKind::Complete,
        _ => return Ok(None),
    };
    let Some(write) = rwbs_dir(f[6]) else {
        return Ok(None);
    };
    if f.len() < 10 || f[8] != "+" {
        return Err(at.err(
            "sector",
            format!(
                "expected \"sector + blocks\" after the RWBS field of a {} event",
                f[5]
            ),
        ));
    }
    Ok(Some(Action {
        time_ns: at.seconds("time", f[3])?,
        kind,
        device: f[0].to_string(),
        write,
        sector: at.number("sector", f[7], "a sector number")?,
        sectors: at.number("blocks", f[9], "a count of 512-byte sectors")?,
    }))
}
