//! The io-log as CSV, written through the `csv` crate a row at a time.

use super::{COLUMNS, dir_name, file_name, sync_name};
use crate::device::IoRecord;
use crate::run::IoSink;
use crate::trace::FileTable;
use std::path::{Path, PathBuf};

pub(super) struct CsvSink {
    w: Option<::csv::Writer<std::io::BufWriter<tempfile::NamedTempFile>>>,
    dest: PathBuf,
}

impl CsvSink {
    pub(super) fn create(path: &Path) -> std::io::Result<CsvSink> {
        let tmp = crate::atomic::temp_beside(path)?;
        let mut w = ::csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 16, tmp));
        w.write_record(COLUMNS)?;
        Ok(CsvSink {
            w: Some(w),
            dest: path.to_path_buf(),
        })
    }
}

/// Optional numbers as text, empty for None.
fn opt(v: Option<u64>, buf: &mut itoa_buf::Buf) -> &str {
    match v {
        Some(x) => buf.format(x),
        None => "",
    }
}

mod itoa_buf {
    /// A small reusable decimal formatter (no allocation per field).
    #[derive(Default)]
    pub(super) struct Buf([u8; 20]);
    impl Buf {
        pub(super) fn format(&mut self, mut v: u64) -> &str {
            let mut i = self.0.len();
            loop {
                i -= 1;
                self.0[i] = b'0' + (v % 10) as u8;
                v /= 10;
                if v == 0 {
                    break;
                }
            }
            std::str::from_utf8(&self.0[i..]).unwrap_or("")
        }
    }
}

impl IoSink for CsvSink {
    fn write(&mut self, records: &[IoRecord], files: &FileTable) -> Result<(), String> {
        let Some(w) = self.w.as_mut() else {
            return Err("the io-log is already closed".into());
        };
        let mut b: [itoa_buf::Buf; 12] = Default::default();
        for r in records {
            let [b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, _] = &mut b;
            w.write_record([
                b0.format(r.id),
                b1.format(r.issue_ns),
                b2.format(r.complete_ns),
                b3.format(r.wait_ns()),
                b4.format(r.service_ns()),
                dir_name(r.dir),
                sync_name(r.sync),
                r.origin.name(),
                file_name(r, files),
                opt(r.file_offset, b5),
                b6.format(r.disk_offset),
                b7.format(r.bytes),
                b8.format(u64::from(r.bios)),
                b9.format(u64::from(r.queue_depth)),
                opt(r.event, b10),
            ])
            .map_err(|e| format!("{}: {e}", self.dest.display()))?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), String> {
        let shown = self.dest.display();
        let Some(w) = self.w.take() else {
            return Ok(());
        };
        let buf = w.into_inner().map_err(|e| format!("{shown}: {e}"))?;
        let tmp = buf.into_inner().map_err(|e| format!("{shown}: {e}"))?;
        crate::atomic::persist(tmp, &self.dest).map_err(|e| format!("{shown}: {e}"))
    }
}
