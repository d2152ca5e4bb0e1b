//! `perf script` output of the block tracepoints `block:block_rq_issue` and
//! `block:block_rq_complete`, recorded with
//! `perf record -e block:block_rq_issue -e block:block_rq_complete -a -- CMD`.
//!
//! Format: perf script's default fields for a tracepoint, `COMM PID [CPU] TIME: EVENT:
//! PAYLOAD` (the command name may hold spaces, so the line is split at the event
//! name), and the payload as the kernel's TP_printk in include/trace/events/block.h
//! writes it:
//!
//! * `block_rq_issue`: `%d,%d %s %u (%s) %llu + %u [%s]` — device, rwbs, bytes,
//!   (command), sector + sectors, [comm]; since Linux 6.x an ioprio field
//!   (`%s,%u,%u`) sits before the comm.
//! * `block_rq_complete`: `%d,%d %s (%s) %llu + %u [%d]` — no byte count; the error
//!   in brackets, the ioprio field likewise.
//!
//! A sample recorded on this project's machine (Linux 6.x, a dd with O_DIRECT):
//!
//! ```text
//!   dd 15472 [000] 31599.242812:    block:block_rq_issue: 254,0 WS 262144 () 321704448 + 512 0x2,0,4 [dd]
//!   opt cgu.06 15457 [001] 31599.243397: block:block_rq_complete: 254,0 WS () 321704448 + 512 0x2,0,4 [0]
//! ```
//!
//! Lines of other events are skipped; a block line that does not fit is an error.

use super::actions::{Action, ActionKind, At, rwbs_dir};
use crate::trace::TraceError;

const ISSUE: &str = "block:block_rq_issue:";
const COMPLETE: &str = "block:block_rq_complete:";

/// `vpsim import blk --format perf`'s line parser.
pub(super) fn parse_line(at: &At<'_>) -> Result<Option<Action>, TraceError> {
    let (kind, pos, name) = if let Some(p) = at.line.find(ISSUE) {
        (ActionKind::Issue, p, ISSUE)
    } else if let Some(p) = at.line.find(COMPLETE) {
        (ActionKind::Complete, p, COMPLETE)
    } else {
        return Ok(None);
    };
    let time = at.line[..pos]
        .split_whitespace()
        .next_back()
        .map(|t| t.trim_end_matches(':'))
        .unwrap_or("");
    let time_ns = at.seconds("time", time)?;
    let f: Vec<&str> = at.line[pos + name.len()..].split_whitespace().collect();
    let device = f.first().copied().unwrap_or("");
    if !device.contains(',') {
        return Err(at.err(
            "device",
            format!("expected major,minor after {name}, found \"{device}\""),
        ));
    }
    let Some(write) = f.get(1).and_then(|r| rwbs_dir(r)) else {
        return Ok(None);
    };
    let Some(plus) = f.iter().position(|t| *t == "+") else {
        return Err(at.err(
            "sector",
            format!("expected \"sector + sectors\" in the {name} payload"),
        ));
    };
    let sector = f.get(plus.wrapping_sub(1)).copied().unwrap_or("");
    let sectors = f.get(plus + 1).copied().unwrap_or("");
    Ok(Some(Action {
        time_ns,
        kind,
        device: device.to_string(),
        write,
        sector: at.number("sector", sector, "a sector number")?,
        sectors: at.number("sectors", sectors, "a count of 512-byte sectors")?,
    }))
}
