//! The page-reference stream of a trace: the one definition of "which pages does this
//! event touch, and which does it throw away" shared by the LRU and OPT yardsticks (and
//! `vpsim info`). Keeping it in one place is what makes the two models, and OPT's first
//! pass and its replay, see exactly the same references.
//!
//! Rules (issue text of `--model lru|opt`):
//! * `read`/`write` reference every page of `[offset, offset+length)` in increasing
//!   order (none when `length == 0`); a `write` without an offset appends at the file's
//!   current size.
//! * `fault_read`/`fault_write` reference the single page holding `offset`.
//! * `truncate` to `n` drops pages `ceil(n / 4096)..`; `unlink` drops every page.
//! * Nothing else references or drops pages (`fadvise` and `madvise` included: the
//!   yardsticks ignore advice).
//!
//! Reads are not clipped at EOF: recorded traces carry the bytes actually transferred,
//! and a yardstick counts what the trace says was touched.

use crate::trace::{Event, FileId, FileTable, Op};
use std::ops::Range;

/// Page size of the reference models (bytes).
pub const PAGE_SIZE: u64 = 4096;

/// One page of one file. Ordered by file, then page index, so per-file ranges are
/// contiguous in ordered containers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageKey {
    pub file: FileId,
    /// Page index inside the file (byte offset / 4096).
    pub pindex: u64,
}

/// Whether a reference reads the page or stores to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefKind {
    Read,
    Write,
}

/// One page reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageRef {
    pub key: PageKey,
    pub kind: RefKind,
}

/// What one event does to the page-reference stream. Returned by value (no allocation):
/// a range of page indexes, not a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventRefs {
    /// The event references `pages` of `file`, in increasing order.
    Touch {
        file: FileId,
        kind: RefKind,
        pages: Range<u64>,
    },
    /// The event removes every page of `file` with index `>= from` (no write-back).
    Drop { file: FileId, from: u64 },
    /// The event neither references nor drops pages.
    Nothing,
}

impl EventRefs {
    /// The references, in stream order (empty for `Drop` and `Nothing`).
    pub fn refs(&self) -> impl Iterator<Item = PageRef> + use<> {
        let (file, kind, pages) = match self {
            EventRefs::Touch { file, kind, pages } => (*file, *kind, pages.clone()),
            _ => (0, RefKind::Read, 0..0),
        };
        pages.map(move |pindex| PageRef {
            key: PageKey { file, pindex },
            kind,
        })
    }

    /// Number of references this event makes.
    pub fn len(&self) -> u64 {
        match self {
            EventRefs::Touch { pages, .. } => pages.end - pages.start,
            _ => 0,
        }
    }

    /// Whether the event makes no reference.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Per-file size as the reference stream needs it (only appends and re-creation read it).
#[derive(Clone, Copy, Debug, Default)]
struct FileSize {
    /// Current size in bytes; for a file of unknown size, the furthest byte seen so far.
    size: u64,
    /// The size was never declared: grow it with every byte a read, write or fault
    /// touches, the causal version of the prescan's "furthest byte touched".
    unknown: bool,
    /// Unlinked since its last sizing open: the next open with a length is a new file.
    unlinked: bool,
}

/// Turns events into page references, tracking each file's size so that appends land
/// where write(2) would put them.
#[derive(Clone, Debug, Default)]
pub struct PageRefs {
    files: Vec<FileSize>,
}

impl PageRefs {
    /// Sizes start at `files.initial_size` (None = not known).
    pub fn new(files: &FileTable) -> Self {
        Self::with_sizes((0..files.len()).map(|id| files.initial_size(id as FileId)))
    }

    /// Sizes given directly, indexed by `FileId` (None = not known). Ids past the end
    /// behave as files of unknown size.
    pub fn with_sizes(sizes: impl IntoIterator<Item = Option<u64>>) -> Self {
        let files = sizes
            .into_iter()
            .map(|s| FileSize {
                size: s.unwrap_or(0),
                unknown: s.is_none(),
                unlinked: false,
            })
            .collect();
        PageRefs { files }
    }

    /// The current size of `file` in bytes (for a file of unknown size, the furthest
    /// byte seen so far).
    pub fn size(&self, file: FileId) -> u64 {
        self.files.get(file as usize).map_or(0, |f| f.size)
    }

    fn file_mut(&mut self, file: FileId) -> &mut FileSize {
        let i = file as usize;
        if i >= self.files.len() {
            // Only ids interned after construction get here (a streaming reader);
            // growth is per new file, never per event.
            self.files.resize(
                i + 1,
                FileSize {
                    size: 0,
                    unknown: true,
                    unlinked: false,
                },
            );
        }
        &mut self.files[i]
    }

    /// Apply `ev` to the tracked sizes and return the pages it references or drops.
    /// Must be called for every event, in trace order.
    pub fn apply(&mut self, ev: &Event) -> EventRefs {
        let file = ev.file;
        match ev.op {
            Op::Read | Op::Write => {
                let f = self.file_mut(file);
                let start = if ev.op == Op::Write && !ev.has_offset {
                    f.size
                } else {
                    ev.offset
                };
                let end = start.saturating_add(ev.length);
                if ev.op == Op::Write || f.unknown {
                    f.size = f.size.max(end);
                }
                let kind = if ev.op == Op::Write {
                    RefKind::Write
                } else {
                    RefKind::Read
                };
                EventRefs::Touch {
                    file,
                    kind,
                    pages: byte_range_pages(start, ev.length),
                }
            }
            Op::FaultRead | Op::FaultWrite => {
                let f = self.file_mut(file);
                let p = ev.offset / PAGE_SIZE;
                if f.unknown {
                    f.size = f.size.max(p.saturating_add(1).saturating_mul(PAGE_SIZE));
                }
                let kind = if ev.op == Op::FaultWrite {
                    RefKind::Write
                } else {
                    RefKind::Read
                };
                EventRefs::Touch {
                    file,
                    kind,
                    pages: p..p + 1,
                }
            }
            Op::Truncate => {
                let f = self.file_mut(file);
                f.size = ev.length;
                f.unknown = false;
                EventRefs::Drop {
                    file,
                    from: ev.length.div_ceil(PAGE_SIZE),
                }
            }
            Op::Unlink => {
                let f = self.file_mut(file);
                f.size = 0;
                f.unknown = false;
                f.unlinked = true;
                EventRefs::Drop { file, from: 0 }
            }
            Op::Open => {
                // First-open sizes are already in the initial sizes; only a file
                // re-created after an unlink, or one whose size was not known when the
                // replay started (a trace from a pipe, no prescan), takes it from here.
                let f = self.file_mut(file);
                if (f.unlinked || f.unknown) && ev.has_length {
                    f.size = ev.length;
                    f.unlinked = false;
                    f.unknown = false;
                }
                EventRefs::Nothing
            }
            // Advice references no page: the reference models ignore it.
            Op::Close
            | Op::Mmap
            | Op::Munmap
            | Op::Fsync
            | Op::Msync
            | Op::Fadvise
            | Op::Madvise => EventRefs::Nothing,
        }
    }
}

/// Pages overlapping the bytes `[offset, offset+length)`; empty when `length == 0`.
pub fn byte_range_pages(offset: u64, length: u64) -> Range<u64> {
    if length == 0 {
        return 0..0;
    }
    let last = offset.saturating_add(length - 1) / PAGE_SIZE;
    offset / PAGE_SIZE..last + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Flags;

    pub(crate) fn ev(op: Op, file: FileId, offset: Option<u64>, length: Option<u64>) -> Event {
        Event {
            time_ns: 0,
            offset: offset.unwrap_or(0),
            length: length.unwrap_or(0),
            file,
            pid: 1,
            op,
            flags: Flags::NONE,
            has_offset: offset.is_some(),
            has_length: length.is_some(),
        }
    }

    fn touch(file: FileId, kind: RefKind, pages: Range<u64>) -> EventRefs {
        EventRefs::Touch { file, kind, pages }
    }

    #[test]
    fn read_and_write_cover_every_overlapping_page() {
        let mut r = PageRefs::with_sizes([Some(1 << 20)]);
        let e = ev(Op::Read, 0, Some(4095), Some(2));
        assert_eq!(r.apply(&e), touch(0, RefKind::Read, 0..2));
        let e = ev(Op::Read, 0, Some(8192), Some(4096));
        assert_eq!(r.apply(&e), touch(0, RefKind::Read, 2..3));
        let e = ev(Op::Write, 0, Some(100), Some(0));
        assert!(r.apply(&e).is_empty());
        let e = ev(Op::Write, 0, Some(4096 * 3 + 1), Some(4096 * 2));
        let got = r.apply(&e);
        assert_eq!(got, touch(0, RefKind::Write, 3..6));
        let keys: Vec<u64> = got.refs().map(|p| p.key.pindex).collect();
        assert_eq!(keys, vec![3, 4, 5]);
        let e = ev(Op::FaultWrite, 0, Some(40960), Some(4096));
        assert_eq!(r.apply(&e), touch(0, RefKind::Write, 10..11));
        let e = ev(Op::FaultRead, 0, Some(40961), None);
        assert_eq!(r.apply(&e), touch(0, RefKind::Read, 10..11));
        for op in [
            Op::Close,
            Op::Mmap,
            Op::Munmap,
            Op::Fsync,
            Op::Msync,
            Op::Fadvise,
            Op::Madvise,
        ] {
            assert_eq!(r.apply(&ev(op, 0, Some(0), Some(4096))), EventRefs::Nothing);
        }
    }

    #[test]
    fn writes_without_offset_append_at_current_size() {
        let mut r = PageRefs::with_sizes([Some(5000), Some(0)]);
        // Appends at 5000: bytes 5000..5100 are in page 1.
        let e = ev(Op::Write, 0, None, Some(100));
        assert_eq!(r.apply(&e), touch(0, RefKind::Write, 1..2));
        assert_eq!(r.size(0), 5100);
        // A positioned write past EOF extends the size.
        r.apply(&ev(Op::Write, 0, Some(20000), Some(480)));
        assert_eq!(r.size(0), 20480);
        // A positioned write inside does not shrink it.
        r.apply(&ev(Op::Write, 0, Some(0), Some(10)));
        assert_eq!(r.size(0), 20480);
        // Next append starts exactly at page 5.
        let e = ev(Op::Write, 0, None, Some(4096));
        assert_eq!(r.apply(&e), touch(0, RefKind::Write, 5..6));
        // Reads do not extend a file of known size.
        r.apply(&ev(Op::Read, 0, Some(1 << 20), Some(10)));
        assert_eq!(r.size(0), 24576);
        // The other file is untouched.
        assert_eq!(r.size(1), 0);
        let e = ev(Op::Write, 1, None, Some(10));
        assert_eq!(r.apply(&e), touch(1, RefKind::Write, 0..1));
    }

    #[test]
    fn unknown_size_grows_with_every_touch() {
        let mut r = PageRefs::with_sizes([None]);
        r.apply(&ev(Op::Read, 0, Some(10000), Some(100)));
        assert_eq!(r.size(0), 10100);
        r.apply(&ev(Op::FaultRead, 0, Some(16384), Some(4096)));
        assert_eq!(r.size(0), 20480);
        let e = ev(Op::Write, 0, None, Some(1));
        assert_eq!(r.apply(&e), touch(0, RefKind::Write, 5..6));
        // Ids never seen at construction behave the same way.
        let e = ev(Op::Write, 7, None, Some(1));
        assert_eq!(r.apply(&e), touch(7, RefKind::Write, 0..1));
        assert_eq!(r.size(7), 1);
        // An open with a length declares an unknown size (streamed trace, no prescan).
        r.apply(&ev(Op::Open, 7, None, Some(8192)));
        assert_eq!(r.size(7), 8192);
        r.apply(&ev(Op::Open, 7, None, Some(1)));
        assert_eq!(r.size(7), 8192);
    }

    #[test]
    fn truncate_drops_pages_from_ceil_and_sets_size() {
        let mut r = PageRefs::with_sizes([Some(100_000)]);
        assert_eq!(
            r.apply(&ev(Op::Truncate, 0, None, Some(8193))),
            EventRefs::Drop { file: 0, from: 3 }
        );
        assert_eq!(r.size(0), 8193);
        assert_eq!(
            r.apply(&ev(Op::Truncate, 0, None, Some(8192))),
            EventRefs::Drop { file: 0, from: 2 }
        );
        assert_eq!(
            r.apply(&ev(Op::Truncate, 0, None, Some(0))),
            EventRefs::Drop { file: 0, from: 0 }
        );
        let e = ev(Op::Write, 0, None, Some(1));
        assert_eq!(r.apply(&e), touch(0, RefKind::Write, 0..1));
    }

    #[test]
    fn unlink_drops_all_and_recreation_takes_open_length() {
        let mut r = PageRefs::with_sizes([Some(50_000)]);
        assert_eq!(
            r.apply(&ev(Op::Unlink, 0, None, None)),
            EventRefs::Drop { file: 0, from: 0 }
        );
        assert_eq!(r.size(0), 0);
        // Re-created by an open declaring a length: that is its size.
        r.apply(&ev(Op::Open, 0, None, Some(9000)));
        assert_eq!(r.size(0), 9000);
        // Later opens do not resize (their length is the first open's business).
        r.apply(&ev(Op::Open, 0, None, Some(1)));
        assert_eq!(r.size(0), 9000);
        let e = ev(Op::Write, 0, None, Some(1));
        assert_eq!(r.apply(&e), touch(0, RefKind::Write, 2..3));
    }

    #[test]
    fn first_open_does_not_resize() {
        let mut r = PageRefs::with_sizes([Some(12288)]);
        r.apply(&ev(Op::Open, 0, None, Some(0)));
        assert_eq!(r.size(0), 12288);
    }
}
