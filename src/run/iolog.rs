//! `--io-log` plumbing of a run: switch the model's device log on, tell it which
//! trace event is being replayed, and move the finished request records to a sink
//! in batches, so memory stays bounded whatever the trace length. The sinks (CSV,
//! Parquet) live in the report layer; this module only knows the trait.

use super::RunError;
use crate::device::IoRecord;
use crate::model::Model;
use crate::trace::FileTable;

/// Where the request records of one run go.
pub trait IoSink: Send {
    /// Write `records` (completion order); file ids are names in `files`.
    fn write(&mut self, records: &[IoRecord], files: &FileTable) -> Result<(), String>;
    /// The run is over: flush and close.
    fn finish(&mut self) -> Result<(), String>;
}

/// Makes the sink of configuration `i` of a batch (compare, sweep).
pub type SinkFactory<'a> =
    &'a (dyn Fn(usize, &super::RunConfig) -> Result<Box<dyn IoSink>, String> + Sync);

/// Records are handed to the sink this many at a time.
const BATCH: usize = 8192;

/// The logging side of one run.
pub(crate) struct Logger<'s> {
    sink: &'s mut dyn IoSink,
    buf: Vec<IoRecord>,
}

fn output_error(e: String) -> RunError {
    RunError::Output(format!("--io-log: {e}"))
}

impl<'s> Logger<'s> {
    /// Switch `model`'s device log on.
    pub(crate) fn start(model: &mut dyn Model, sink: &'s mut dyn IoSink) -> Result<Self, RunError> {
        let Some(dev) = model.device_mut() else {
            return Err(RunError::Config(
                "--io-log: this model has no simulated device".into(),
            ));
        };
        dev.enable_io_log();
        Ok(Logger {
            sink,
            buf: Vec::with_capacity(BATCH),
        })
    }

    /// Event `n` (1-based; 0 = after the last) is about to be replayed.
    pub(crate) fn before(&mut self, model: &mut dyn Model, n: u64) {
        if let Some(dev) = model.device_mut() {
            dev.note_event(n);
        }
    }

    /// Collect what completed; write a batch when one is full.
    pub(crate) fn after(
        &mut self,
        model: &mut dyn Model,
        files: &FileTable,
    ) -> Result<(), RunError> {
        if let Some(dev) = model.device_mut() {
            dev.drain_io_log(&mut self.buf);
        }
        if self.buf.len() >= BATCH {
            self.sink.write(&self.buf, files).map_err(output_error)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// After `Model::finish`: write the rest and close the sink.
    pub(crate) fn end(mut self, model: &mut dyn Model, files: &FileTable) -> Result<(), RunError> {
        if let Some(dev) = model.device_mut() {
            dev.drain_io_log(&mut self.buf);
        }
        if !self.buf.is_empty() {
            self.sink.write(&self.buf, files).map_err(output_error)?;
        }
        self.sink.finish().map_err(output_error)
    }
}

/// `io-{config}.csv` with `{config}` replaced by `id`; an error when a batch of
/// several configurations is given a name without `{config}` (they would all write
/// the same file).
pub fn template_path(template: &str, id: usize, many: bool) -> Result<String, String> {
    if !template.contains("{config}") {
        if many {
            return Err(format!(
                "--io-log {template}: several configurations would write the same file; put {{config}} in the name (e.g. io-{{config}}.csv)"
            ));
        }
        return Ok(template.to_string());
    }
    Ok(template.replace("{config}", &id.to_string()))
}
