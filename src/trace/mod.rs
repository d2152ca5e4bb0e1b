//! Traces: the `Event` type, file-name interning, and the readers of trace-format.md.
//!
//! [`TraceReader`] streams a CSV trace (plain, gzip or zstd, file or stdin) into
//! [`Event`]s; [`prescan`] makes the first pass that fixes every file's id and initial
//! size; [`check`] validates a whole trace and reports every bad line.

pub mod binary;
mod check;
mod convert;
mod csv;
mod error;
mod event;
mod input;
mod intern;
mod output;
mod prescan;
mod source;
mod writer;

pub use binary::{BinaryTrace, BinaryWriter, convert_csv_to_binary};
pub use check::{CheckReport, check};
pub use convert::convert;
pub use csv::{MAX_LINE, REQUIRED_COLUMNS, TraceReader};
pub(crate) use csv::{RecordError, Records, record_text};
pub use error::TraceError;
pub use event::{Advice, Event, FileId, Flags, MAX_RW_COUNT, Op};
pub use input::{Compression, Input};
pub use intern::FileTable;
pub use output::{Sink, TraceOutput};
pub(crate) use prescan::complete_sizes;
pub use prescan::{Prescan, prescan};
pub use source::TraceSource;
pub use writer::{HEADER, Record, TraceWriter};
