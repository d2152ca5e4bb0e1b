//! The first pass over a trace: file ids and initial file sizes.
//!
//! trace-format.md "File sizes": a file's size is what its first `open` with a length
//! says; otherwise it is the furthest byte any `read` or fault of it touches anywhere in
//! the trace, so reads are never short and the last block is fixed for the whole
//! replay; a file never declared and never read starts empty. Finding the furthest byte
//! needs the whole trace before the replay starts, hence this pass (parsing only, no
//! simulation). It interns names in the same order as the replay will, so the replay
//! can reuse [`Prescan::files`] and get the same ids.

use super::csv::TraceReader;
use super::error::TraceError;
use super::event::{Event, FileId, Op};
use super::intern::FileTable;

/// What the first pass learnt about a trace.
#[derive(Clone, Debug, Default)]
pub struct Prescan {
    /// Every file of the trace, with its initial size (pass this table to the replay's
    /// `next_event` so ids match).
    pub files: FileTable,
    /// Number of events (data rows).
    pub events: u64,
    /// Number of physical lines, including header, comments and blank lines.
    pub lines: u64,
    /// `time_ns` of the first event.
    pub first_time: Option<u64>,
    /// `time_ns` of the last event (after clamping).
    pub last_time: Option<u64>,
    /// Whether sizes are known (false for a trace read from stdin: no first pass).
    pub bounded: bool,
    /// Human-readable warnings (clamped times, unbounded files).
    pub warnings: Vec<String>,
}

impl Prescan {
    /// The stand-in for a trace read from a pipe, which cannot be read twice: no file
    /// is known yet, and every file whose size no `open` declares stays unbounded
    /// (`initial_size` is `None`), as the format says. Carries a warning saying so.
    pub fn unbounded_for_stdin() -> Prescan {
        Prescan {
            bounded: false,
            warnings: vec![Prescan::pipe_warning("<stdin>")],
            ..Prescan::default()
        }
    }

    /// The warning of a trace read from a pipe (`shown` names it): no first pass, so
    /// files whose size no `open` declares are unbounded.
    pub fn pipe_warning(shown: &str) -> String {
        format!(
            "{shown}: trace read from a pipe, no first pass: files whose size no `open` declares are treated as unbounded"
        )
    }

    /// [`prescan`] for a path, [`Prescan::unbounded_for_stdin`] for `-`.
    pub fn for_path(path: &str) -> Result<Prescan, TraceError> {
        if path != "-" {
            let src = super::TraceSource::open(path)?;
            if let Some(p) = src.known_prescan() {
                return Ok(p);
            }
        }
        if path == "-" {
            Ok(Prescan::unbounded_for_stdin())
        } else {
            prescan(path)
        }
    }
}

/// Read the whole trace once, interning every file name and computing each file's
/// initial size. Stops at the first malformed line (the replay would stop there too).
pub fn prescan(path: &str) -> Result<Prescan, TraceError> {
    let mut reader = TraceReader::open(path)?;
    let mut files = FileTable::new();
    let mut sizes = SizeTracker::default();
    let mut events = 0u64;
    let mut first_time = None;
    let mut last_time = None;
    while let Some(ev) = reader.next_event(&mut files)? {
        events += 1;
        first_time.get_or_insert(ev.time_ns);
        last_time = Some(ev.time_ns);
        sizes.note(&ev);
    }
    sizes.complete(&mut files);
    Ok(Prescan {
        files,
        events,
        lines: reader.line(),
        first_time,
        last_time,
        bounded: true,
        warnings: reader.warnings(),
    })
}

/// Give the undeclared files of `files` the sizes [`prescan`] would, from events
/// already in memory (interned into `files`, read in order): a loaded trace needs no
/// second pass.
pub(crate) fn complete_sizes(files: &mut FileTable, events: &[Event]) {
    let mut sizes = SizeTracker::default();
    for ev in events {
        sizes.note(ev);
    }
    sizes.complete(files);
}

/// The furthest byte each file's reads and faults touch, for the initial sizes of files
/// no `open` declares (shared by the prescan and the binary writer, which must agree).
#[derive(Clone, Debug, Default)]
pub(crate) struct SizeTracker {
    touched: Vec<u64>,
}

impl SizeTracker {
    pub(crate) fn note(&mut self, ev: &Event) {
        let end = match ev.op {
            Op::Read => ev.offset.saturating_add(ev.length),
            Op::FaultRead | Op::FaultWrite => ev.offset.saturating_add(1),
            _ => return,
        };
        let i = ev.file as usize;
        if self.touched.len() <= i {
            self.touched.resize(i + 1, 0);
        }
        if let Some(t) = self.touched.get_mut(i) {
            *t = (*t).max(end);
        }
    }

    /// Give every undeclared file of `files` its inferred size (0 if never touched).
    pub(crate) fn complete(&self, files: &mut FileTable) {
        let undeclared: Vec<FileId> = files
            .iter()
            .map(|(id, _)| id)
            .filter(|&id| !files.declared(id))
            .collect();
        for id in undeclared {
            let size = self.touched.get(id as usize).copied().unwrap_or(0);
            files.set_initial_size(id, Some(size), false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_is_unbounded() {
        let p = Prescan::for_path("-").unwrap();
        assert!(!p.bounded);
        assert!(p.files.is_empty());
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].contains("unbounded"));
    }
}
