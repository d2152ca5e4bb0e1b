//! The binary trace form (`.vpt`): parse once, replay many times.
//!
//! Users replay the same trace hundreds of times (sweeps); parsing CSV each time is the
//! largest cost outside the engine. `vpsim convert` writes the events as the CSV reader
//! produced them (times already clamped, file ids already interned) into fixed-size
//! little-endian records, and stores what the first pass would compute (file names,
//! initial sizes, event count, time span, the reader's warnings) in the file, so a
//! replay memory-maps it and decodes records without parsing and without a prescan.
//!
//! Layout (all integers little-endian):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0  | 8 | magic `VPSIMTRC` |
//! | 8  | 4 | version (1) |
//! | 12 | 4 | record size (40) |
//! | 16 | 8 | event count |
//! | 24 | 8 | file count |
//! | 32 | 8 | byte offset of the records (64) |
//! | 40 | 8 | byte offset of the file table (after the records) |
//! | 48 | 8 | time_ns of the first event |
//! | 56 | 8 | time_ns of the last event |
//!
//! A record is `time_ns u64, offset u64, length u64, file u32, pid u32, op u8,
//! presence u8 (1 = offset, 2 = length), flags u16, reserved u32 (0)`. `op` is the
//! op's position in [`Op::ALL`] (`open` 0 … `unlink` 11, then `fadvise` 12 and
//! `madvise` 13, added later without a version change: every older file reads the
//! same); `flags` is the [`Flags`] bit set, and an advice op has exactly one advice
//! bit. The file table follows the records, so a trace can be converted in one
//! streaming pass: per file `initial size u64 (u64::MAX = unknown), declared u8, name
//! length u32, name (UTF-8)`, then `warning count u32` and per warning `length u32,
//! text`.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use super::error::TraceError;
use super::event::{Event, Flags, MAX_RW_COUNT, Op};
use super::input::display_name;
use super::intern::FileTable;
use super::prescan::SizeTracker;

/// The first bytes of every binary trace.
pub const MAGIC: &[u8; 8] = b"VPSIMTRC";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;
/// Bytes per event record.
pub const RECORD_SIZE: usize = 40;
const HEADER_SIZE: usize = 64;
/// Header value for "no time" (a trace without events).
const NO_TIME: u64 = u64::MAX;

/// Whether `head` (the first bytes of a file) is a binary trace.
pub fn is_binary(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

/// The bytes of a binary trace: memory-mapped when it is a plain file, in memory when
/// it came compressed or from a pipe.
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// An open binary trace: header and file table decoded, records still in the map.
pub struct BinaryTrace {
    shown: String,
    bytes: Bytes,
    events: u64,
    first_time: Option<u64>,
    last_time: Option<u64>,
    files: FileTable,
    /// `files.len()`, kept here: every record's file id is checked against it.
    nfiles: usize,
    warnings: Vec<String>,
    /// Allowed flag bits per op (a record with others is corrupt).
    flag_masks: [u16; Op::ALL.len()],
    /// Reads/writes longer than `MAX_RW_COUNT` cut so far, and the first one's record
    /// number + 1. (vpsim's own writers never store one; a hand-made file
    /// may.) Atomic: `event` takes `&self`.
    long_transfers: std::sync::atomic::AtomicU64,
    first_long_transfer: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for BinaryTrace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BinaryTrace")
            .field("path", &self.shown)
            .field("events", &self.events)
            .field("files", &self.files.len())
            .finish()
    }
}

impl BinaryTrace {
    /// Map the binary trace at `path` (a plain file).
    pub fn open(path: &str) -> Result<BinaryTrace, TraceError> {
        let shown = display_name(path);
        let file =
            File::open(path).map_err(|e| TraceError::io(shown, format!("cannot open: {e}")))?;
        // SAFETY: the map is read-only and private to this process. Another process
        // truncating the file while we read it would fault; vpsim never writes a trace
        // in place (outputs are renamed into place), which is the case users hit.
        let map = unsafe { memmap2::Mmap::map(&file) }
            .map_err(|e| TraceError::io(shown, format!("cannot map: {e}")))?;
        // Records are read front to back: let the kernel read ahead (a hint only).
        let _ = map.advise(memmap2::Advice::Sequential);
        BinaryTrace::parse(shown, Bytes::Mapped(map))
    }

    /// A binary trace held in memory (decompressed, or read from a pipe).
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Result<BinaryTrace, TraceError> {
        BinaryTrace::parse(display_name(name), Bytes::Owned(bytes))
    }

    fn parse(shown: &str, bytes: Bytes) -> Result<BinaryTrace, TraceError> {
        let corrupt =
            |what: String| TraceError::io(shown, format!("not a valid binary trace: {what}"));
        let b = bytes.as_slice();
        if b.len() < HEADER_SIZE || !is_binary(b) {
            return Err(corrupt("the header is missing or cut short".into()));
        }
        let version = le_u32(b, 8);
        if version != VERSION {
            return Err(TraceError::io(
                shown,
                format!(
                    "binary trace version {version}; this vpsim reads version {VERSION} (convert it again from the CSV)"
                ),
            ));
        }
        let record_size = le_u32(b, 12) as usize;
        let events = le_u64(b, 16);
        let nfiles = le_u64(b, 24);
        let records_at = le_u64(b, 32);
        let table_at = le_u64(b, 40);
        if record_size != RECORD_SIZE {
            return Err(corrupt(format!(
                "record size {record_size}, expected {RECORD_SIZE}"
            )));
        }
        let records_end = events
            .checked_mul(RECORD_SIZE as u64)
            .and_then(|n| n.checked_add(records_at));
        if records_at != HEADER_SIZE as u64
            || records_end != Some(table_at)
            || table_at > b.len() as u64
            || nfiles > u64::from(u32::MAX)
        {
            return Err(corrupt(format!(
                "{events} records at byte {records_at} do not end at the file table (byte {table_at}) of a {}-byte file",
                b.len()
            )));
        }
        let mut cur = Cursor {
            b,
            pos: table_at as usize,
        };
        let mut files = FileTable::new();
        for i in 0..nfiles {
            let (Some(size), Some(declared), Some(name)) = (cur.u64(), cur.u8(), cur.string())
            else {
                return Err(corrupt(format!("file table cut short at file {i}")));
            };
            let id = files.intern(&name);
            if id as u64 != i {
                return Err(corrupt(format!("file name {name:?} appears twice")));
            }
            let size = (size != u64::MAX).then_some(size);
            files.set_initial_size(id, size, declared == 1);
        }
        let Some(nwarn) = cur.u32() else {
            return Err(corrupt("warning table missing".into()));
        };
        let mut warnings = Vec::new();
        for _ in 0..nwarn {
            let Some(w) = cur.string() else {
                return Err(corrupt("warning table cut short".into()));
            };
            warnings.push(w);
        }
        let time = |t: u64| (t != NO_TIME && events > 0).then_some(t);
        let mut flag_masks = [0u16; Op::ALL.len()];
        for op in Op::ALL {
            for w in Flags::words_for(op) {
                if let Some(f) = Flags::parse_word(op, w.as_bytes()) {
                    flag_masks[op.index()] |= f.0;
                }
            }
        }
        Ok(BinaryTrace {
            shown: shown.to_string(),
            events,
            first_time: time(le_u64(b, 48)),
            last_time: time(le_u64(b, 56)),
            nfiles: files.len(),
            files,
            warnings,
            flag_masks,
            long_transfers: Default::default(),
            first_long_transfer: std::sync::atomic::AtomicU64::new(u64::MAX),
            bytes,
        })
    }

    /// The path as shown in messages.
    pub fn path(&self) -> &str {
        &self.shown
    }

    /// Number of events.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Every file with its initial size (the table a replay needs).
    pub fn files(&self) -> &FileTable {
        &self.files
    }

    /// The reader warnings recorded when the trace was converted, and one for the
    /// over-long reads/writes met so far.
    pub fn warnings(&self) -> Vec<String> {
        use std::sync::atomic::Ordering::Relaxed;
        let mut w = self.warnings.clone();
        let n = self.long_transfers.load(Relaxed);
        if n > 0 {
            let first = self.first_long_transfer.load(Relaxed);
            w.push(super::csv::long_transfer_warning(
                &self.shown,
                n,
                &format!("record {first}"),
            ));
        }
        w
    }

    /// `time_ns` of the first and last events.
    pub fn time_span(&self) -> (Option<u64>, Option<u64>) {
        (self.first_time, self.last_time)
    }

    /// Decode event `i` (0-based), checking it as the CSV reader would have. The
    /// checks are branch-light on purpose: this is the replay's whole "parser".
    #[inline]
    pub fn event(&self, i: u64) -> Result<Event, TraceError> {
        let at = HEADER_SIZE.wrapping_add((i as usize).wrapping_mul(RECORD_SIZE));
        let rec: Option<&[u8; RECORD_SIZE]> = if i < self.events {
            self.bytes
                .as_slice()
                .get(at..at.wrapping_add(RECORD_SIZE))
                .and_then(|s| s.try_into().ok())
        } else {
            None
        };
        let Some(rec) = rec else {
            return Err(self.bad_record(i, "past the last record".into()));
        };
        let op_byte = rec[32] as usize;
        let Some(&op) = Op::ALL.get(op_byte) else {
            return Err(self.bad_record(i, format!("op byte {op_byte} is not an op")));
        };
        let ev = decode_fields(rec, op);
        let presence_ok =
            (!op.needs_offset() || ev.has_offset) && (!op.needs_length() || ev.has_length);
        let ok = (ev.file as usize) < self.nfiles
            && ev.flags.0 & !self.flag_masks[op_byte] == 0
            && presence_ok
            && (!op.takes_advice() || ev.flags.0.count_ones() == 1)
            && (!(ev.has_offset && ev.has_length) || ev.offset.checked_add(ev.length).is_some());
        // One branch on the fast path: over-long transfers go the slow way too.
        if ok && ev.length <= MAX_RW_COUNT {
            return Ok(ev);
        }
        self.event_slow(i, ev, ok)
    }

    /// A record that failed the checks (an error) or is longer than a read/write may
    /// be (cut, counted).
    #[cold]
    fn event_slow(&self, i: u64, mut ev: Event, ok: bool) -> Result<Event, TraceError> {
        if !ok {
            return Err(self.record_error(i, &ev));
        }
        if ev.clamp_transfer() {
            self.note_long_transfer(i);
        }
        Ok(ev)
    }

    #[cold]
    fn note_long_transfer(&self, i: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.long_transfers.fetch_add(1, Relaxed);
        self.first_long_transfer.fetch_min(i + 1, Relaxed);
    }

    /// What is wrong with a decoded record that failed [`BinaryTrace::event`]'s checks.
    #[cold]
    fn record_error(&self, i: u64, ev: &Event) -> TraceError {
        let op = ev.op;
        if ev.file as usize >= self.files.len() {
            return self.bad_record(i, format!("file id {} past the file table", ev.file));
        }
        if ev.flags.0 & !self.flag_masks[op.index()] != 0 {
            return self.bad_record(
                i,
                format!("flags {:#x} not valid for {}", ev.flags.0, op.name()),
            );
        }
        if op.takes_advice() && ev.flags.0.count_ones() != 1 {
            return self.bad_record(
                i,
                format!("{} with flags {:#x}, not one advice", op.name(), ev.flags.0),
            );
        }
        if ev.has_offset && ev.has_length && ev.offset.checked_add(ev.length).is_none() {
            return self.bad_record(i, "offset + length overflows".into());
        }
        self.bad_record(i, format!("{} without its offset or length", op.name()))
    }

    #[cold]
    fn bad_record(&self, i: u64, what: String) -> TraceError {
        TraceError::io(
            &self.shown,
            format!(
                "record {} of {}: {what} (corrupt binary trace?)",
                i.saturating_add(1),
                self.events
            ),
        )
    }

    /// Drop the mapped pages of the records before `record` from this process (a
    /// streaming replay never reads them again), so the resident set stays the same
    /// however long the trace is. The file's pages stay in the page cache; touching
    /// them again would map them back, so this is only a memory hint.
    pub fn release_before(&self, record: u64) {
        #[cfg(unix)]
        if let Bytes::Mapped(m) = &self.bytes {
            let page = 4096usize;
            let end = HEADER_SIZE.saturating_add((record as usize).saturating_mul(RECORD_SIZE));
            let end = (end / page * page).min(m.len() / page * page);
            if end > 0 {
                // SAFETY: the map is read-only and backed by a file nobody writes
                // while it is mapped (outputs are renamed into place), so dropping
                // pages loses nothing: a later access reads the same bytes back.
                let _ =
                    unsafe { m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, 0, end) };
            }
        }
    }

    /// A sequential reader over the records.
    pub fn reader(&self) -> BinaryReader<'_> {
        BinaryReader {
            trace: self,
            next: 0,
        }
    }
}

/// Reads the records of a [`BinaryTrace`] in order.
pub struct BinaryReader<'a> {
    trace: &'a BinaryTrace,
    next: u64,
}

impl BinaryReader<'_> {
    /// The next event, `Ok(None)` after the last.
    #[inline]
    pub fn next_event(&mut self) -> Result<Option<Event>, TraceError> {
        if self.next >= self.trace.events {
            return Ok(None);
        }
        let ev = self.trace.event(self.next)?;
        self.next += 1;
        Ok(Some(ev))
    }

    /// Records read so far.
    pub fn position(&self) -> u64 {
        self.next
    }
}

/// Decode a record (`None` for a bad op byte).
#[cfg(test)]
fn decode(r: &[u8; RECORD_SIZE]) -> Option<Event> {
    Some(decode_fields(r, *Op::ALL.get(r[32] as usize)?))
}

/// Decode a record whose op byte the caller has turned into `op`.
#[inline(always)]
fn decode_fields(r: &[u8; RECORD_SIZE], op: Op) -> Event {
    let presence = r[33];
    Event {
        time_ns: u64::from_le_bytes([r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]]),
        offset: u64::from_le_bytes([r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]]),
        length: u64::from_le_bytes([r[16], r[17], r[18], r[19], r[20], r[21], r[22], r[23]]),
        file: u32::from_le_bytes([r[24], r[25], r[26], r[27]]),
        pid: u32::from_le_bytes([r[28], r[29], r[30], r[31]]),
        op,
        flags: Flags(u16::from_le_bytes([r[34], r[35]])),
        has_offset: presence & 1 != 0,
        has_length: presence & 2 != 0,
    }
}

fn encode(ev: &Event) -> [u8; RECORD_SIZE] {
    let mut r = [0u8; RECORD_SIZE];
    r[0..8].copy_from_slice(&ev.time_ns.to_le_bytes());
    r[8..16].copy_from_slice(&ev.offset.to_le_bytes());
    r[16..24].copy_from_slice(&ev.length.to_le_bytes());
    r[24..28].copy_from_slice(&ev.file.to_le_bytes());
    r[28..32].copy_from_slice(&ev.pid.to_le_bytes());
    r[32] = ev.op as u8;
    r[33] = u8::from(ev.has_offset) | (u8::from(ev.has_length) << 1);
    r[34..36].copy_from_slice(&ev.flags.0.to_le_bytes());
    r
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        a.copy_from_slice(s);
    }
    u32::from_le_bytes(a)
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    if let Some(s) = b.get(at..at + 8) {
        a.copy_from_slice(s);
    }
    u64::from_le_bytes(a)
}

/// Bounds-checked reads from the file table.
struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.b.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|s| s[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|s| le_u32(s, 0))
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|s| le_u64(s, 0))
    }
    fn string(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        let s = self.take(n)?;
        String::from_utf8(s.to_vec()).ok()
    }
}

/// Writes a binary trace in one pass: header placeholder, records as they come, then
/// the file table, then the real header.
pub struct BinaryWriter {
    out: BufWriter<File>,
    events: u64,
    first_time: Option<u64>,
    last_time: Option<u64>,
    sizes: SizeTracker,
}

impl BinaryWriter {
    /// Create (truncate) `path` and reserve the header.
    pub fn create(path: &str) -> std::io::Result<BinaryWriter> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        out.write_all(&[0u8; HEADER_SIZE])?;
        Ok(BinaryWriter {
            out,
            events: 0,
            first_time: None,
            last_time: None,
            sizes: SizeTracker::default(),
        })
    }

    /// Append one event (its file id must be in the table given to `finish`).
    pub fn push(&mut self, ev: &Event) -> std::io::Result<()> {
        self.out.write_all(&encode(ev))?;
        self.events += 1;
        self.first_time.get_or_insert(ev.time_ns);
        self.last_time = Some(ev.time_ns);
        self.sizes.note(ev);
        Ok(())
    }

    /// Write the file table (initial sizes completed from the events seen, as the
    /// prescan would) and the header. `files` is the table the events were interned
    /// into; `warnings` are the reader's.
    pub fn finish(mut self, files: &FileTable, warnings: &[String]) -> std::io::Result<u64> {
        let mut files = files.clone();
        self.sizes.complete(&mut files);
        let table_at = HEADER_SIZE as u64 + self.events * RECORD_SIZE as u64;
        for (id, name) in files.iter() {
            let size = files.initial_size(id).unwrap_or(u64::MAX);
            self.out.write_all(&size.to_le_bytes())?;
            self.out.write_all(&[u8::from(files.declared(id))])?;
            write_string(&mut self.out, name)?;
        }
        self.out.write_all(&(warnings.len() as u32).to_le_bytes())?;
        for w in warnings {
            write_string(&mut self.out, w)?;
        }
        let mut h = [0u8; HEADER_SIZE];
        h[0..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&VERSION.to_le_bytes());
        h[12..16].copy_from_slice(&(RECORD_SIZE as u32).to_le_bytes());
        h[16..24].copy_from_slice(&self.events.to_le_bytes());
        h[24..32].copy_from_slice(&(files.len() as u64).to_le_bytes());
        h[32..40].copy_from_slice(&(HEADER_SIZE as u64).to_le_bytes());
        h[40..48].copy_from_slice(&table_at.to_le_bytes());
        h[48..56].copy_from_slice(&self.first_time.unwrap_or(NO_TIME).to_le_bytes());
        h[56..64].copy_from_slice(&self.last_time.unwrap_or(NO_TIME).to_le_bytes());
        self.out.flush()?;
        let mut f = self.out.into_inner().map_err(|e| e.into_error())?;
        f.seek(SeekFrom::Start(0))?;
        f.write_all(&h)?;
        f.sync_all()?;
        Ok(self.events)
    }
}

fn write_string(out: &mut impl Write, s: &str) -> std::io::Result<()> {
    out.write_all(&(s.len() as u32).to_le_bytes())?;
    out.write_all(s.as_bytes())
}

/// Read a whole stream that starts with [`MAGIC`] into memory (compressed or piped
/// binary traces).
pub(crate) fn read_all(name: &str, r: &mut dyn Read) -> Result<BinaryTrace, TraceError> {
    let mut v = Vec::new();
    r.read_to_end(&mut v)
        .map_err(|e| TraceError::io(display_name(name), format!("cannot read: {e}")))?;
    BinaryTrace::from_bytes(name, v)
}

/// Convert the CSV trace at `csv` into the binary form at `out` (written in place:
/// callers that need atomicity write to a temporary name and rename). Returns the
/// number of events.
pub fn convert_csv_to_binary(csv: &str, out: &str) -> Result<u64, TraceError> {
    let mut reader = super::csv::TraceReader::open(csv)?;
    let mut files = FileTable::new();
    let out_err = |e: std::io::Error| TraceError::io(out, format!("cannot write: {e}"));
    let mut w = BinaryWriter::create(out).map_err(out_err)?;
    while let Some(ev) = reader.next_event(&mut files)? {
        w.push(&ev).map_err(out_err)?;
    }
    w.finish(&files, &reader.warnings()).map_err(out_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trip() {
        let ev = Event {
            time_ns: u64::MAX - 1,
            offset: 1 << 62,
            length: 4096,
            file: 7,
            pid: u32::MAX,
            op: Op::Msync,
            flags: Flags::ASYNC | Flags::INVALIDATE,
            has_offset: true,
            has_length: false,
        };
        assert_eq!(decode(&encode(&ev)), Some(ev));
        let mut bad = encode(&ev);
        bad[32] = Op::ALL.len() as u8;
        assert_eq!(decode(&bad), None);
        let advice = Event {
            op: Op::Madvise,
            flags: Flags::WILLNEED,
            has_length: true,
            ..ev
        };
        let r = encode(&advice);
        assert_eq!((r[32], r[34], r[35]), (13, 0, 4));
        assert_eq!(decode(&r), Some(advice));
    }

    #[test]
    fn truncated_and_foreign_files_are_refused() {
        assert!(BinaryTrace::from_bytes("x.vpt", b"VPSIMTRC".to_vec()).is_err());
        assert!(BinaryTrace::from_bytes("x.vpt", vec![0; 100]).is_err());
        let mut h = vec![0u8; 64];
        h[0..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&2u32.to_le_bytes());
        let e = BinaryTrace::from_bytes("x.vpt", h).unwrap_err();
        assert!(e.to_string().contains("version 2"), "{e}");
    }
}
