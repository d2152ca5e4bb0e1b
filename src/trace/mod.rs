//! Traces: the `Event` type, file-name interning, and the readers of trace-format.md.

mod event;

pub use event::{Event, FileId, Flags, Op};
