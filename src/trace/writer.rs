//! Writing traces in the CSV form of trace-format.md.
//!
//! Every producer of traces (the `import` converters, the `gen` generators, `convert`
//! back from the binary form) writes through this one writer, so quoting, the header
//! and the empty-column conventions are decided in one place and always read back.

use std::io::{self, Write};

use super::{Event, FileTable, Flags, Op};

/// The header every written trace starts with (the optional `flags` column included,
/// so a round trip keeps flags).
pub const HEADER: &str = "time_ns,pid,op,file,offset,length,flags";

/// One row to write: an [`crate::trace::Event`] with its file name instead of an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub time_ns: u64,
    pub pid: u32,
    pub op: Op,
    pub file: &'a str,
    /// `None` writes an empty offset column (an append, for `write`).
    pub offset: Option<u64>,
    /// `None` writes an empty length column (unknown size, for `open`).
    pub length: Option<u64>,
    pub flags: Flags,
}

impl<'a> Record<'a> {
    /// The row of a parsed event, its file named from `files` (convert, write-back).
    pub fn from_event(ev: &Event, files: &'a FileTable) -> Record<'a> {
        Record {
            time_ns: ev.time_ns,
            pid: ev.pid,
            op: ev.op,
            file: files.name(ev.file),
            offset: ev.offset(),
            length: ev.length(),
            flags: ev.flags,
        }
    }

    /// A row with no offset, no length and no flags (close, fsync, unlink, ...).
    pub fn bare(time_ns: u64, pid: u32, op: Op, file: &'a str) -> Record<'a> {
        Record {
            time_ns,
            pid,
            op,
            file,
            offset: None,
            length: None,
            flags: Flags::NONE,
        }
    }

    /// A row with an offset and a length (read, write, mmap, munmap, msync, faults).
    pub fn range(time_ns: u64, pid: u32, op: Op, file: &'a str, offset: u64, length: u64) -> Self {
        Record {
            offset: Some(offset),
            length: Some(length),
            ..Record::bare(time_ns, pid, op, file)
        }
    }
}

/// Streams [`Record`]s as CSV text. Buffer the `W` yourself if it is a file.
pub struct TraceWriter<W: Write> {
    out: W,
    events: u64,
    line: Vec<u8>,
}

impl<W: Write> TraceWriter<W> {
    /// Start a trace: writes the header line.
    pub fn new(mut out: W) -> io::Result<TraceWriter<W>> {
        out.write_all(HEADER.as_bytes())?;
        out.write_all(b"\n")?;
        Ok(TraceWriter {
            out,
            events: 0,
            line: Vec::with_capacity(128),
        })
    }

    /// Write one row. A file name holding a line break cannot be represented (the
    /// format is line based) and is refused with `InvalidInput`; callers count or
    /// report it.
    pub fn write(&mut self, rec: &Record<'_>) -> io::Result<()> {
        // Ctrl-C: stop here; the caller abandons the output (see `crate::interrupt`).
        if self.events % 4096 == 4095 && crate::interrupt::requested() {
            return Err(crate::interrupt::io_error());
        }
        if rec.file.contains(['\n', '\r']) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("file name {:?} holds a line break", rec.file),
            ));
        }
        let line = &mut self.line;
        line.clear();
        push_u64(line, rec.time_ns);
        line.push(b',');
        push_u64(line, u64::from(rec.pid));
        line.push(b',');
        line.extend_from_slice(rec.op.name().as_bytes());
        line.push(b',');
        push_field(line, rec.file);
        line.push(b',');
        if let Some(o) = rec.offset {
            push_u64(line, o);
        }
        line.push(b',');
        if let Some(l) = rec.length {
            push_u64(line, l);
        }
        line.push(b',');
        if !rec.flags.is_empty() {
            line.extend_from_slice(rec.flags.to_words().as_bytes());
        }
        line.push(b'\n');
        self.out.write_all(line)?;
        self.events += 1;
        Ok(())
    }

    /// Rows written so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Flush and hand back the sink.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn push_u64(line: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    line.extend_from_slice(&buf[i..]);
}

/// A CSV field, quoted when it holds a comma, a quote or leading/trailing blanks.
fn push_field(line: &mut Vec<u8>, s: &str) {
    let needs_quotes = s.contains([',', '"'])
        || s.starts_with([' ', '\t'])
        || s.ends_with([' ', '\t'])
        || s.starts_with('#');
    if !needs_quotes {
        line.extend_from_slice(s.as_bytes());
        return;
    }
    line.push(b'"');
    for b in s.bytes() {
        if b == b'"' {
            line.push(b'"');
        }
        line.push(b);
    }
    line.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(recs: &[Record<'_>]) -> String {
        let mut w = TraceWriter::new(Vec::new()).unwrap();
        for r in recs {
            w.write(r).unwrap();
        }
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    #[test]
    fn rows_and_empty_columns() {
        let mut open = Record::bare(5, 7, Op::Open, "a,b \"c\"");
        open.flags = Flags::APPEND | Flags::SYNC;
        let text = render(&[
            open,
            Record::range(6, 7, Op::Read, "x", 0, 4096),
            Record {
                length: Some(10),
                ..Record::bare(7, 7, Op::Write, "x")
            },
        ]);
        assert_eq!(
            text,
            "time_ns,pid,op,file,offset,length,flags\n\
             5,7,open,\"a,b \"\"c\"\"\",,,sync|append\n\
             6,7,read,x,0,4096,\n\
             7,7,write,x,,10,\n"
        );
    }

    #[test]
    fn line_breaks_in_names_are_refused() {
        let mut w = TraceWriter::new(Vec::new()).unwrap();
        let err = w.write(&Record::bare(0, 1, Op::Close, "a\nb")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(w.events(), 0);
        assert_eq!(push_check(u64::MAX), u64::MAX.to_string());
    }

    fn push_check(v: u64) -> String {
        let mut l = Vec::new();
        push_u64(&mut l, v);
        String::from_utf8(l).unwrap()
    }
}
