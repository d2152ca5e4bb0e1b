//! Helpers shared by the fuzz targets (see `fuzz/README.md`).
//!
//! Everything here is deliberately small and mirrors what `tests/fuzz_regressions.rs`
//! does, so a crashing input can be replayed there as inline bytes.

use std::io::Cursor;

use vpsim::trace::{Event, FileTable, Record, TraceError, TraceReader, TraceWriter};

/// Most lines / records a target looks at, so one input stays fast.
pub const MAX_EVENTS: usize = 4096;

/// Read a CSV trace the way `vpsim check` does: keep going after a bad data line,
/// stop at a fatal (header or I/O) error. Returns the events, the file table and the
/// errors; every error is rendered once (rendering must not panic either).
pub fn read_csv(name: &str, bytes: &[u8]) -> (Vec<Event>, FileTable, Vec<TraceError>) {
    let mut files = FileTable::new();
    let mut events = Vec::new();
    let mut errors = Vec::new();
    let Ok(mut reader) = TraceReader::from_read(name, Cursor::new(bytes.to_vec())) else {
        return (events, files, errors);
    };
    // Each call consumes at least one physical line, so this is bounded by the input,
    // but cap it anyway (a decompressed input can be large).
    for _ in 0..MAX_EVENTS * 4 {
        match reader.next_event(&mut files) {
            Ok(Some(ev)) => {
                assert!(
                    (ev.file as usize) < files.len(),
                    "event names file {} of {}",
                    ev.file,
                    files.len()
                );
                events.push(ev);
                if events.len() >= MAX_EVENTS {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                let _ = e.to_string();
                let fatal = e.is_io() || reader.is_fatal();
                errors.push(e);
                if fatal {
                    break;
                }
            }
        }
    }
    let _ = reader.warnings();
    let _ = reader.line();
    (events, files, errors)
}

/// Write `events` back through [`TraceWriter`] (the writer every producer uses) and
/// check the reader gives the same events back. Events whose file name the writer
/// refuses (a line break) are skipped, as the writer documents.
pub fn assert_round_trip(events: &[Event], files: &FileTable) {
    let mut w = TraceWriter::new(Vec::new()).expect("writing to a Vec");
    let mut kept = Vec::new();
    for ev in events {
        let rec = Record::from_event(ev, files);
        if w.write(&rec).is_ok() {
            kept.push((
                rec.time_ns,
                rec.pid,
                rec.op,
                rec.file.to_string(),
                rec.offset,
                rec.length,
                rec.flags,
            ));
        }
    }
    let text = w.finish().expect("flushing a Vec");
    let (back, back_files, errors) = read_csv("roundtrip.csv", &text);
    assert!(
        errors.is_empty(),
        "the writer produced a trace the reader rejects: {:?}\n{}",
        errors.first().map(|e| e.to_string()),
        String::from_utf8_lossy(&text)
    );
    assert_eq!(
        back.len(),
        kept.len(),
        "row count changed in the round trip"
    );
    for (ev, k) in back.iter().zip(&kept) {
        let got = (
            ev.time_ns,
            ev.pid,
            ev.op,
            back_files.name(ev.file).to_string(),
            ev.offset(),
            ev.length(),
            ev.flags,
        );
        assert_eq!(&got, k, "row changed in the round trip");
    }
}

/// A trace written by one of vpsim's own producers (importers, `gen`) must read back
/// with no error at all.
pub fn assert_valid_trace(what: &str, text: &[u8]) {
    let (_, _, errors) = read_csv("produced.csv", text);
    assert!(
        errors.is_empty(),
        "{what} wrote a trace the reader rejects: {}\n--- trace ---\n{}",
        errors.first().map(|e| e.to_string()).unwrap_or_default(),
        String::from_utf8_lossy(&text[..text.len().min(4000)])
    );
}

/// A scratch file for the entry points that take a path, one per process (libFuzzer
/// workers are processes), in the fastest temporary directory there is.
pub fn scratch_path(tag: &str) -> std::path::PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("vpsim-fuzz-{tag}-{}", std::process::id()))
}
