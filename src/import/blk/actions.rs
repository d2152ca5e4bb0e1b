//! Block-layer event logs (blkparse text, `perf script` of the block tracepoints):
//! lines read one at a time, each turned into a request issue or completion by the
//! format's parser. `vpsim import blk` turns the issues into trace rows; `vpsim plot
//! --compare` pairs them with their completions ([`read_requests`]).

use std::io::BufRead;

use crate::trace::{MAX_LINE, TraceError};

/// What a line of a block event log says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub time_ns: u64,
    pub kind: ActionKind,
    /// `major,minor` as the log writes it.
    pub device: String,
    pub write: bool,
    /// Start in 512-byte sectors.
    pub sector: u64,
    pub sectors: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// Dispatched to the driver (blkparse `D`, `block_rq_issue`).
    Issue,
    /// Completed (blkparse `C`, `block_rq_complete`).
    Complete,
}

/// Where a parser is: the file and line, for errors.
pub(super) struct At<'a> {
    pub path: &'a str,
    pub no: u64,
    pub line: &'a str,
}

impl At<'_> {
    pub fn err(&self, column: &str, message: String) -> TraceError {
        TraceError::parse(self.path, self.no, Some(column), self.line, message)
    }

    pub fn number(&self, column: &str, text: &str, what: &str) -> Result<u64, TraceError> {
        text.parse::<u64>()
            .map_err(|_| self.err(column, format!("bad number \"{text}\" (expected {what})")))
    }

    /// Seconds with up to nine decimals (`12.000345678`) as nanoseconds.
    pub fn seconds(&self, column: &str, text: &str) -> Result<u64, TraceError> {
        super::super::text::parse_decimal(text, 1_000_000_000)
            .ok_or_else(|| self.err(column, format!("bad time \"{text}\" (expected seconds)")))
    }
}

/// The direction in an `rwbs` string (`R`, `WS`, `RA`, `FWS`...): None for requests
/// that move no data (flush `F` alone, discard `D`, `N`).
pub(super) fn rwbs_dir(rwbs: &str) -> Option<bool> {
    if rwbs.contains('D') {
        return None;
    }
    if rwbs.contains('W') {
        Some(true)
    } else if rwbs.contains('R') {
        Some(false)
    } else {
        None
    }
}

/// A line parser: Ok(None) for lines that are not issues or completions.
pub(super) type ParseLine = fn(&At<'_>) -> Result<Option<Action>, TraceError>;

/// Call `f` with every issue and completion in `input`, in file order, and with None
/// for every other non-blank line (so the caller can count what it skips). Returns
/// the lines read.
pub(super) fn each_action(
    input: &mut dyn BufRead,
    path: &str,
    parse: ParseLine,
    mut f: impl FnMut(Option<Action>) -> Result<(), TraceError>,
) -> Result<u64, TraceError> {
    let mut buf = Vec::with_capacity(256);
    let mut no = 0u64;
    loop {
        buf.clear();
        let n = std::io::Read::take(&mut *input, MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| TraceError::io(path, e.to_string()))?;
        if n == 0 {
            return Ok(no);
        }
        no += 1;
        if buf.len() > MAX_LINE && !buf.ends_with(b"\n") {
            return Err(TraceError::parse(
                path,
                no,
                None,
                "",
                format!("line longer than {MAX_LINE} bytes"),
            ));
        }
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let at = At { path, no, line };
        f(parse(&at)?)?;
    }
}

/// One request of a real block log: issue, completion if the log has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlkRequest {
    pub device: String,
    pub issue_ns: u64,
    pub complete_ns: Option<u64>,
    pub write: bool,
    /// Byte offset on the device.
    pub offset: u64,
    pub bytes: u64,
}

/// Every request of the block log `input` (blkparse text or `perf script` output),
/// its completion matched by device, direction and sector (the oldest issue still
/// open wins, as the kernel completes a request once).
pub fn read_requests(
    input: &mut dyn BufRead,
    path: &str,
    format: super::BlkFormat,
) -> Result<Vec<BlkRequest>, TraceError> {
    let parse = parser(format).ok_or_else(|| {
        TraceError::parse(
            path,
            0,
            None,
            "",
            "only blkparse and perf block logs have issues and completions to draw".into(),
        )
    })?;
    let mut out: Vec<BlkRequest> = Vec::new();
    let mut open: rustc_hash::FxHashMap<(String, bool, u64), std::collections::VecDeque<usize>> =
        Default::default();
    each_action(input, path, parse, |a| {
        let Some(a) = a else {
            return Ok(());
        };
        let key = (a.device.clone(), a.write, a.sector);
        match a.kind {
            ActionKind::Issue => {
                open.entry(key).or_default().push_back(out.len());
                out.push(BlkRequest {
                    device: a.device,
                    issue_ns: a.time_ns,
                    complete_ns: None,
                    write: a.write,
                    offset: a.sector.saturating_mul(512),
                    bytes: a.sectors.saturating_mul(512),
                });
            }
            ActionKind::Complete => {
                if let Some(i) = open.get_mut(&key).and_then(|q| q.pop_front()) {
                    out[i].complete_ns = Some(a.time_ns.max(out[i].issue_ns));
                }
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// The line parser of a line-oriented format.
pub(super) fn parser(format: super::BlkFormat) -> Option<ParseLine> {
    match format {
        super::BlkFormat::Blkparse => Some(super::blkparse::parse_line),
        super::BlkFormat::Perf => Some(super::perf::parse_line),
        _ => None,
    }
}
