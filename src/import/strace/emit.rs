//! Rows in time order.
//!
//! A row is not always final when its line is read: a call split into `<unfinished
//! ...>` / `<... resumed>` is issued at the first line's time but known only at the
//! second, and an `open` waits for the first fstat of its file to learn the size. Rows
//! therefore go through a small reorder buffer keyed by (time, issue order) and leave
//! it only when nothing still pending can come before them. The buffer holds what
//! happens while a call is in flight or an open awaits its fstat, normally a handful of
//! rows; past [`MAX_HELD`] rows the oldest waiting open is let go with its size unknown.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::io::Write;
use std::rc::Rc;

use super::super::{ImportReport, Record, TraceError, TraceWriter, output_error};
use crate::trace::{Flags, Op};

/// Rows held back before a waiting open is released without its size.
pub const MAX_HELD: usize = 1 << 18;

/// Sort key of a row: (trace time, issue order).
pub type Key = (u64, u64);

/// A row waiting for its turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub key: Key,
    pub pid: u32,
    pub op: Op,
    pub file: Rc<str>,
    pub offset: Option<u64>,
    pub length: Option<u64>,
    pub flags: Flags,
}

impl Ord for Row {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

impl PartialOrd for Row {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The reorder buffer in front of the writer.
#[derive(Debug, Default)]
pub struct Emitter {
    ready: BinaryHeap<Reverse<Row>>,
    /// Opens whose size is not known yet, by key.
    waiting: BTreeMap<Key, Row>,
}

impl Emitter {
    /// Queue a finished row.
    pub fn push(&mut self, row: Row) {
        self.ready.push(Reverse(row));
    }

    /// Queue an open whose size may still come ([`Emitter::settle`]).
    pub fn push_waiting(&mut self, row: Row) {
        self.waiting.insert(row.key, row);
    }

    /// Give a waiting open its size (`None`: still unknown) and let it go.
    pub fn settle(&mut self, key: Key, length: Option<u64>) {
        if let Some(mut row) = self.waiting.remove(&key) {
            row.length = length;
            self.ready.push(Reverse(row));
        }
    }

    /// Drop a waiting open (it turned out not to be a regular file).
    pub fn cancel(&mut self, key: Key) -> bool {
        self.waiting.remove(&key).is_some()
    }

    /// Write every row that sorts before `upto` and before every waiting open (a
    /// waiting open is let go, size unknown, once [`MAX_HELD`] rows queue behind it).
    pub fn flush<W: Write>(
        &mut self,
        upto: Key,
        out: &mut TraceWriter<W>,
        report: &mut ImportReport,
    ) -> Result<(), TraceError> {
        while let Some(Reverse(top)) = self.ready.peek() {
            if top.key >= upto {
                break;
            }
            if let Some((&wk, _)) = self.waiting.first_key_value()
                && wk < top.key
            {
                if self.ready.len() <= MAX_HELD {
                    break;
                }
                report.note("open released before its fstat (reorder buffer full): size unknown");
                self.settle(wk, None);
                continue;
            }
            if let Some(Reverse(row)) = self.ready.pop() {
                write_row(&row, out, report)?;
            }
        }
        Ok(())
    }

    /// Settle every waiting open as unknown-size and write everything.
    pub fn finish<W: Write>(
        &mut self,
        out: &mut TraceWriter<W>,
        report: &mut ImportReport,
    ) -> Result<(), TraceError> {
        let keys: Vec<Key> = self.waiting.keys().copied().collect();
        for k in keys {
            self.settle(k, None);
        }
        self.flush((u64::MAX, u64::MAX), out, report)
    }

    /// Rows held now (for tests).
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.ready.len() + self.waiting.len()
    }
}

fn write_row<W: Write>(
    row: &Row,
    out: &mut TraceWriter<W>,
    report: &mut ImportReport,
) -> Result<(), TraceError> {
    if row.file.contains(['\n', '\r']) {
        report.note("file name with a line break (row skipped)");
        return Ok(());
    }
    let rec = Record {
        time_ns: row.key.0,
        pid: row.pid,
        op: row.op,
        file: &row.file,
        offset: row.offset,
        length: row.length,
        flags: row.flags,
    };
    out.write(&rec).map_err(|e| output_error("<output>", e))?;
    report.events += 1;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: u64, s: u64, op: Op) -> Row {
        Row {
            key: (t, s),
            pid: 1,
            op,
            file: Rc::from("/f"),
            offset: None,
            length: None,
            flags: Flags::NONE,
        }
    }

    fn text(w: TraceWriter<Vec<u8>>) -> String {
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    #[test]
    fn waits_for_opens_and_orders_by_key() {
        let mut e = Emitter::default();
        let mut w = TraceWriter::new(Vec::new()).unwrap();
        let mut r = ImportReport::default();
        e.push_waiting(row(5, 1, Op::Open));
        e.push(row(7, 2, Op::Close));
        e.push(row(3, 0, Op::Fsync));
        e.flush((10, 0), &mut w, &mut r).unwrap();
        assert_eq!(r.events, 1, "only the row before the waiting open");
        e.settle((5, 1), Some(42));
        e.flush((7, 2), &mut w, &mut r).unwrap();
        assert_eq!(e.held(), 1);
        e.finish(&mut w, &mut r).unwrap();
        assert_eq!(
            text(w),
            "time_ns,pid,op,file,offset,length,flags\n3,1,fsync,/f,,,\n5,1,open,/f,,42,\n7,1,close,/f,,,\n"
        );
    }

    #[test]
    fn a_full_buffer_lets_a_waiting_open_go() {
        let mut e = Emitter::default();
        let mut w = TraceWriter::new(std::io::sink()).unwrap();
        let mut r = ImportReport::default();
        e.push_waiting(row(0, 0, Op::Open));
        for i in 0..=MAX_HELD as u64 {
            e.push(row(1, i, Op::Read));
        }
        e.flush((1, 10), &mut w, &mut r).unwrap();
        assert_eq!(r.events, 11, "the open, then what sorts before the bound");
        assert_eq!(
            r.notes
                .get("open released before its fstat (reorder buffer full): size unknown"),
            Some(&1)
        );
    }

    #[test]
    fn cancelled_opens_vanish() {
        let mut e = Emitter::default();
        let mut w = TraceWriter::new(Vec::new()).unwrap();
        let mut r = ImportReport::default();
        e.push_waiting(row(1, 0, Op::Open));
        assert!(e.cancel((1, 0)));
        assert!(!e.cancel((1, 0)));
        e.finish(&mut w, &mut r).unwrap();
        assert_eq!(r.events, 0);
    }
}
