//! Opening a trace: a path or `-` (stdin), plain, gzip or zstd.
//!
//! Compression is recognised by extension (`.gz`, `.zst`) or by magic bytes, so a
//! renamed or piped compressed trace still works. The magic is sniffed with
//! `BufRead::fill_buf`, which looks without consuming. Progress is measured on the
//! underlying (compressed) bytes, because that is the only size known in advance.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::TraceError;

/// Buffer size for both the raw file and the decompressed stream.
const BUF_SIZE: usize = 256 * 1024;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The compression of a trace file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Plain text.
    None,
    /// gzip (`.gz` or magic `1f 8b`); concatenated members are read as one stream.
    Gzip,
    /// zstd (`.zst` or magic `28 b5 2f fd`); concatenated frames are read as one stream.
    Zstd,
}

/// An open trace: a buffered reader of the decompressed text plus progress counters.
pub struct Input {
    reader: Box<dyn BufRead + Send>,
    counter: Arc<AtomicU64>,
    total: Option<u64>,
    compression: Compression,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("bytes_read", &self.bytes_read())
            .field("total", &self.total)
            .field("compression", &self.compression)
            .finish()
    }
}

/// The name used in messages for a path: `<stdin>` for `-`.
pub(crate) fn display_name(path: &str) -> &str {
    if path == "-" { "<stdin>" } else { path }
}

impl Input {
    /// Open `path` (`-` = stdin). Fails only on I/O: missing file, directory,
    /// unreadable file, or a compressed stream whose decoder cannot start.
    pub fn open(path: &str) -> Result<Input, TraceError> {
        let shown = display_name(path);
        if path == "-" {
            return Input::from_read(path, Box::new(io::stdin()), None);
        }
        let file =
            File::open(path).map_err(|e| TraceError::io(shown, format!("cannot open: {e}")))?;
        let meta = file
            .metadata()
            .map_err(|e| TraceError::io(shown, format!("cannot stat: {e}")))?;
        if meta.is_dir() {
            return Err(TraceError::io(
                shown,
                "is a directory, not a trace file".into(),
            ));
        }
        // Pipes and character devices report length 0: no total for them.
        let total = meta.is_file().then_some(meta.len());
        Input::from_read(path, Box::new(file), total)
    }

    /// Wrap any byte source (used for stdin, and by tests for in-memory traces).
    /// `name` is used for extension-based detection and messages; `total` is the
    /// source's size if known.
    pub fn from_read(
        name: &str,
        raw: Box<dyn Read + Send>,
        total: Option<u64>,
    ) -> Result<Input, TraceError> {
        let shown = display_name(name);
        let counter = Arc::new(AtomicU64::new(0));
        let counting = CountingReader {
            inner: raw,
            count: Arc::clone(&counter),
        };
        let mut buffered = BufReader::with_capacity(BUF_SIZE, counting);
        let head = buffered
            .fill_buf()
            .map_err(|e| TraceError::io(shown, format!("cannot read: {e}")))?;
        let compression = sniff(name, head);
        let reader: Box<dyn BufRead + Send> = match compression {
            Compression::None => Box::new(buffered),
            Compression::Gzip => Box::new(BufReader::with_capacity(
                BUF_SIZE,
                flate2::bufread::MultiGzDecoder::new(buffered),
            )),
            Compression::Zstd => {
                let dec = zstd::stream::read::Decoder::with_buffer(buffered).map_err(|e| {
                    TraceError::io(shown, format!("cannot start zstd decompression: {e}"))
                })?;
                Box::new(BufReader::with_capacity(BUF_SIZE, dec))
            }
        };
        Ok(Input {
            reader,
            counter,
            total,
            compression,
        })
    }

    /// The decompressed text.
    pub fn reader(&mut self) -> &mut (dyn BufRead + Send) {
        &mut *self.reader
    }

    /// Size of the file on disk (compressed size for compressed traces); `None` for
    /// stdin and other non-regular files.
    pub fn total_bytes(&self) -> Option<u64> {
        self.total
    }

    /// Bytes of the file on disk read so far (compressed bytes for compressed traces),
    /// comparable with [`Input::total_bytes`]. Read-ahead buffering makes it run up to
    /// a few hundred KiB ahead of the parser.
    pub fn bytes_read(&self) -> u64 {
        self.counter.load(Ordering::Relaxed)
    }

    /// The shared counter behind [`Input::bytes_read`], for a progress thread.
    pub fn progress_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.counter)
    }

    /// The detected compression.
    pub fn compression(&self) -> Compression {
        self.compression
    }
}

/// Decide the compression from the magic bytes, else the extension. An empty file is
/// plain whatever its name (an empty trace, not a broken archive).
fn sniff(path: &str, head: &[u8]) -> Compression {
    if head.is_empty() {
        Compression::None
    } else if head.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else if head.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if path.ends_with(".zst") {
        Compression::Zstd
    } else if path.ends_with(".gz") {
        Compression::Gzip
    } else {
        Compression::None
    }
}

/// A `Read` that counts the bytes it returns into a shared counter.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff("a.csv", b"time_ns"), Compression::None);
        assert_eq!(sniff("a.csv", &[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(sniff("a", &[0x28, 0xb5, 0x2f, 0xfd, 0]), Compression::Zstd);
        assert_eq!(sniff("a.csv.gz", b"xx"), Compression::Gzip);
        assert_eq!(sniff("a.csv.zst", b"xx"), Compression::Zstd);
        assert_eq!(sniff("a.csv.zst", b""), Compression::None);
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let e = Input::open("/nonexistent/vpsim/trace.csv").unwrap_err();
        assert!(e.is_io());
        assert!(
            e.to_string()
                .starts_with("/nonexistent/vpsim/trace.csv: cannot open: ")
        );
        let e = Input::open("/").unwrap_err();
        assert_eq!(e.to_string(), "/: is a directory, not a trace file");
    }
}
