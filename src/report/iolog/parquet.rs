//! The io-log as Parquet: rows gathered into columns and written a row group at a
//! time through polars' batched writer, so memory is one row group, not the log.

use super::{COLUMNS, dir_name, file_name, sync_name};
use crate::device::IoRecord;
use crate::run::IoSink;
use crate::trace::FileTable;
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// Rows per Parquet row group.
const ROW_GROUP: usize = 1 << 16;

/// One row group being gathered.
#[derive(Default)]
struct Cols {
    nums: [Vec<u64>; 7],
    dir: Vec<&'static str>,
    sync: Vec<&'static str>,
    origin: Vec<&'static str>,
    file: Vec<String>,
    file_offset: Vec<Option<u64>>,
    bios: Vec<u64>,
    queue_depth: Vec<u64>,
    event: Vec<Option<u64>>,
}

impl Cols {
    fn len(&self) -> usize {
        self.dir.len()
    }

    fn push(&mut self, r: &IoRecord, files: &FileTable) {
        let n = [
            r.id,
            r.issue_ns,
            r.complete_ns,
            r.wait_ns(),
            r.service_ns(),
            r.disk_offset,
            r.bytes,
        ];
        for (c, v) in self.nums.iter_mut().zip(n) {
            c.push(v);
        }
        self.dir.push(dir_name(r.dir));
        self.sync.push(sync_name(r.sync));
        self.origin.push(r.origin.name());
        self.file.push(file_name(r, files).to_string());
        self.file_offset.push(r.file_offset);
        self.bios.push(u64::from(r.bios));
        self.queue_depth.push(u64::from(r.queue_depth));
        self.event.push(r.event);
    }

    /// The gathered rows as a frame in [`COLUMNS`] order; the columns are emptied.
    fn take_frame(&mut self) -> PolarsResult<DataFrame> {
        let c = std::mem::take(self);
        let [id, issue, complete, wait, service, disk, bytes] = c.nums;
        let u = |i: usize, v: Vec<u64>| Column::new(COLUMNS[i].into(), v);
        let cols = vec![
            u(0, id),
            u(1, issue),
            u(2, complete),
            u(3, wait),
            u(4, service),
            Column::new(COLUMNS[5].into(), c.dir),
            Column::new(COLUMNS[6].into(), c.sync),
            Column::new(COLUMNS[7].into(), c.origin),
            Column::new(COLUMNS[8].into(), c.file),
            Column::new(COLUMNS[9].into(), c.file_offset),
            u(10, disk),
            u(11, bytes),
            u(12, c.bios),
            u(13, c.queue_depth),
            Column::new(COLUMNS[14].into(), c.event),
        ];
        DataFrame::new_infer_height(cols)
    }
}

pub(super) struct ParquetSink {
    dest: PathBuf,
    tmp: Option<tempfile::TempPath>,
    writer: Option<polars::io::parquet::write::BatchedWriter<std::fs::File>>,
    cols: Cols,
}

impl ParquetSink {
    pub(super) fn create(path: &Path) -> std::io::Result<ParquetSink> {
        let tmp = crate::atomic::temp_beside(path)?;
        let (_, tmp) = tmp.into_parts();
        Ok(ParquetSink {
            dest: path.to_path_buf(),
            tmp: Some(tmp),
            writer: None,
            cols: Cols::default(),
        })
    }

    fn flush(&mut self) -> Result<(), String> {
        let shown = self.dest.display();
        let df = self
            .cols
            .take_frame()
            .map_err(|e| format!("{shown}: {e}"))?;
        if self.writer.is_none() {
            let Some(tmp) = self.tmp.as_ref() else {
                return Err(format!("{shown}: the io-log is already closed"));
            };
            let f = std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(tmp)
                .map_err(|e| format!("{shown}: {e}"))?;
            let w = ParquetWriter::new(f)
                .batched(df.schema())
                .map_err(|e| format!("{shown}: {e}"))?;
            self.writer = Some(w);
        }
        if let Some(w) = self.writer.as_mut() {
            w.write_batch(&df).map_err(|e| format!("{shown}: {e}"))?;
        }
        Ok(())
    }
}

impl IoSink for ParquetSink {
    fn write(&mut self, records: &[IoRecord], files: &FileTable) -> Result<(), String> {
        for r in records {
            self.cols.push(r, files);
            if self.cols.len() >= ROW_GROUP {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), String> {
        let shown = self.dest.display().to_string();
        // Even an empty log gets its schema (a file with no rows).
        if self.cols.len() > 0 || self.writer.is_none() {
            self.flush()?;
        }
        if let Some(w) = self.writer.take() {
            w.finish().map_err(|e| format!("{shown}: {e}"))?;
        }
        match self.tmp.take() {
            Some(tmp) => {
                crate::atomic::persist_path(tmp, &self.dest).map_err(|e| format!("{shown}: {e}"))
            }
            None => Ok(()),
        }
    }
}
