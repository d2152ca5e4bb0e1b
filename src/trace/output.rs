//! Where a written trace goes: stdout, or a file that appears only when complete.
//!
//! Every command that writes a trace (`import`, `gen`, `convert`) takes `-o FILE`.
//! The file is written under a temporary name beside it and renamed into place by
//! [`TraceOutput::commit`], so an interrupted run never leaves a half-written trace that
//! looks complete. The extension picks the encoding: `.gz` and `.zst` compress the CSV,
//! `.vpt` writes the binary form (through a temporary CSV, converted at commit).
//! An existing device or FIFO (`-o /dev/null`) is written to directly, never replaced.

use std::io::{self, BufWriter, Write};
use std::path::Path;
use tempfile::TempPath;

use super::TraceWriter;

/// How the CSV text is encoded on its way out.
enum Encoder {
    Plain(BufWriter<Box<dyn Write + Send>>),
    Gzip(flate2::write::GzEncoder<BufWriter<Box<dyn Write + Send>>>),
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<Box<dyn Write + Send>>>),
}

/// The byte sink under a [`TraceWriter`]: plain, gzip or zstd.
pub struct Sink(Encoder);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.0 {
            Encoder::Plain(w) => w.write(buf),
            Encoder::Gzip(w) => w.write(buf),
            Encoder::Zstd(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.0 {
            Encoder::Plain(w) => w.flush(),
            Encoder::Gzip(w) => w.flush(),
            Encoder::Zstd(w) => w.flush(),
        }
    }
}

impl Sink {
    fn finish(self) -> io::Result<()> {
        match self.0 {
            Encoder::Plain(mut w) => w.flush(),
            Encoder::Gzip(w) => w.finish()?.flush(),
            Encoder::Zstd(w) => w.finish()?.flush(),
        }
    }
}

/// An output trace being written; nothing is visible at `path` until [`commit`].
///
/// [`commit`]: TraceOutput::commit
pub struct TraceOutput {
    /// Always `Some` until [`TraceOutput::commit`] takes it.
    writer: Option<TraceWriter<Sink>>,
    /// Final path; `None` for stdout.
    path: Option<String>,
    /// Temporary file written now (the CSV text, even for `.vpt`); removed when
    /// dropped unless committed.
    tmp: Option<TempPath>,
    binary: bool,
}

impl TraceOutput {
    /// Open `path` (`None` or `-` = stdout) for writing a trace.
    pub fn create(path: Option<&str>) -> io::Result<TraceOutput> {
        let path = path.filter(|p| *p != "-");
        let (raw, tmp): (Box<dyn Write + Send>, Option<TempPath>) = match path {
            None => (Box::new(io::stdout()), None),
            // A device or FIFO (`-o /dev/null`, a named pipe) is written to directly:
            // renaming a temporary file over it would replace the device.
            Some(p) if std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir()) => {
                if p.to_ascii_lowercase().ends_with(".vpt") {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "the binary form needs a regular file (it is finished by seeking back)",
                    ));
                }
                (
                    Box::new(std::fs::OpenOptions::new().write(true).open(p)?),
                    None,
                )
            }
            Some(p) => {
                let (f, tmp) = crate::atomic::temp_beside(Path::new(p))?.into_parts();
                (Box::new(f), Some(tmp))
            }
        };
        let buffered = BufWriter::with_capacity(1 << 16, raw);
        let lower = path.map(str::to_ascii_lowercase).unwrap_or_default();
        let binary = lower.ends_with(".vpt");
        let enc = if lower.ends_with(".gz") {
            Encoder::Gzip(flate2::write::GzEncoder::new(
                buffered,
                flate2::Compression::default(),
            ))
        } else if lower.ends_with(".zst") {
            Encoder::Zstd(zstd::stream::write::Encoder::new(buffered, 3)?)
        } else {
            Encoder::Plain(buffered)
        };
        Ok(TraceOutput {
            writer: Some(TraceWriter::new(Sink(enc))?),
            path: path.map(str::to_string),
            tmp,
            binary,
        })
    }

    /// The writer to send rows to.
    pub fn writer(&mut self) -> &mut TraceWriter<Sink> {
        self.writer
            .as_mut()
            .expect("the writer is present until commit consumes the output")
    }

    /// The name to use in messages about the output.
    pub fn name(&self) -> &str {
        self.path.as_deref().unwrap_or("<stdout>")
    }

    /// Finish the encoding and move the file into place. Returns the rows written.
    pub fn commit(mut self) -> Result<u64, String> {
        let shown = self.name().to_string();
        let Some(writer) = self.writer.take() else {
            return Err(format!("{shown}: already committed"));
        };
        let events = writer.events();
        let sink = writer
            .finish()
            .map_err(|e| format!("{shown}: cannot write: {e}"))?;
        sink.finish()
            .map_err(|e| format!("{shown}: cannot write: {e}"))?;
        let (Some(path), Some(tmp)) = (self.path.take(), self.tmp.take()) else {
            return Ok(events);
        };
        let dest = Path::new(&path);
        let placed = if self.binary {
            let btmp = crate::atomic::temp_beside(dest)
                .map_err(|e| e.to_string())?
                .into_temp_path();
            match (tmp.to_str(), btmp.to_str()) {
                (Some(csv), Some(bin)) => super::binary::convert_csv_to_binary(csv, bin)
                    .map_err(|e| e.to_string())
                    .and_then(|_| {
                        crate::atomic::persist_path(btmp, dest).map_err(|e| e.to_string())
                    }),
                _ => Err("the output's directory is not valid UTF-8".to_string()),
            }
        } else {
            crate::atomic::persist_path(tmp, dest).map_err(|e| e.to_string())
        };
        placed.map_err(|e| format!("{shown}: cannot write: {e}"))?;
        Ok(events)
    }

    /// Give up: the temporary file goes (as it does when dropped without commit).
    pub fn abandon(self) {}
}
