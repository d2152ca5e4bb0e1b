//! `vpsim convert`: between the CSV and binary forms, losslessly.
//!
//! Events go through exactly as the reader produces them, so a replay of the converted
//! trace is the replay of the original. The one thing a CSV written from a binary trace
//! cannot carry is the original's "time went backwards" warning: its times were clamped
//! when the binary form was made, so they are non-decreasing now.

use super::binary::BinaryWriter;
use super::error::TraceError;
use super::input::display_name;
use super::intern::FileTable;
use super::output::TraceOutput;
use super::source::TraceSource;
use super::writer::Record;

/// Convert the trace at `input` (either form) to `output`, whose extension picks the
/// form (`.vpt` binary; `.csv`, `.csv.gz`, `.csv.zst` or `-` CSV). The output appears
/// only when complete. `progress` gets the events converted so far, now and then.
/// Returns the number of events.
pub fn convert(
    input: &str,
    output: &str,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, TraceError> {
    let mut src = TraceSource::open(input)?;
    let mut files = FileTable::new();
    let mut n = 0u64;
    let shown_out = display_name(output).replace("<stdin>", "<stdout>");
    let out_err = |e: std::io::Error| TraceError::io(&shown_out, format!("cannot write: {e}"));
    if output.to_ascii_lowercase().ends_with(".vpt") {
        if std::fs::metadata(output).is_ok_and(|m| !m.is_file()) {
            return Err(TraceError::io(
                &shown_out,
                "cannot write: the binary form needs a regular file (it is finished by seeking back)".into(),
            ));
        }
        let tmp = crate::atomic::temp_beside(std::path::Path::new(output))
            .map_err(out_err)?
            .into_temp_path();
        let result = (|| {
            let Some(tmp_name) = tmp.to_str() else {
                return Err(out_err(std::io::Error::other(
                    "the output's directory is not valid UTF-8",
                )));
            };
            let mut w = BinaryWriter::create(tmp_name).map_err(out_err)?;
            while let Some(ev) = src.next_event(&mut files)? {
                w.push(&ev).map_err(out_err)?;
                n += 1;
                if n.is_multiple_of(1 << 16) {
                    progress(n);
                }
            }
            w.finish(&files, &src.warnings()).map_err(out_err)?;
            Ok(())
        })();
        result?;
        crate::atomic::persist_path(tmp, std::path::Path::new(output)).map_err(out_err)?;
        return Ok(n);
    }
    let mut out = TraceOutput::create(Some(output)).map_err(out_err)?;
    while let Some(ev) = src.next_event(&mut files)? {
        let rec = Record::from_event(&ev, &files);
        out.writer().write(&rec).map_err(out_err)?;
        n += 1;
        if n.is_multiple_of(1 << 16) {
            progress(n);
        }
    }
    out.commit().map_err(|e| TraceError::io(&shown_out, e))?;
    Ok(n)
}
