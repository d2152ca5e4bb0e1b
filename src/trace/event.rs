//! The replay unit: one trace row, parsed once into a small `Copy` value.
//!
//! Strings never reach the engine: file names are interned into `FileId`s by the reader
//! (see `intern.rs`), and ops and flags are small enums and bit sets.

/// Index of an interned file name (see [`crate::trace::FileTable`]).
pub type FileId = u32;

/// The ops of trace-format.md, in the order the format lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Op {
    Open,
    Close,
    Read,
    Write,
    Mmap,
    Munmap,
    FaultRead,
    FaultWrite,
    Truncate,
    Fsync,
    Msync,
    Unlink,
    /// posix_fadvise(2) on the pid's open file; the advice is the one flag word.
    /// (Appended after the first version's ops, so op numbers stay as they were.)
    Fadvise,
    /// madvise(2) on the pid's live mapping(s) of a file range; the advice is the one
    /// flag word.
    Madvise,
}

impl Op {
    /// Every op, in format order (also the order of per-op tables).
    pub const ALL: [Op; 14] = [
        Op::Open,
        Op::Close,
        Op::Read,
        Op::Write,
        Op::Mmap,
        Op::Munmap,
        Op::FaultRead,
        Op::FaultWrite,
        Op::Truncate,
        Op::Fsync,
        Op::Msync,
        Op::Unlink,
        Op::Fadvise,
        Op::Madvise,
    ];

    /// The lower-case name used in traces.
    pub fn name(self) -> &'static str {
        match self {
            Op::Open => "open",
            Op::Close => "close",
            Op::Read => "read",
            Op::Write => "write",
            Op::Mmap => "mmap",
            Op::Munmap => "munmap",
            Op::FaultRead => "fault_read",
            Op::FaultWrite => "fault_write",
            Op::Truncate => "truncate",
            Op::Fsync => "fsync",
            Op::Msync => "msync",
            Op::Unlink => "unlink",
            Op::Fadvise => "fadvise",
            Op::Madvise => "madvise",
        }
    }

    /// Parse a trace op name (exact, lower case).
    pub fn parse(s: &[u8]) -> Option<Op> {
        Op::ALL.iter().copied().find(|op| op.name().as_bytes() == s)
    }

    /// Dense index 0..14, for per-op arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether the op uses the `offset` column.
    pub fn takes_offset(self) -> bool {
        matches!(
            self,
            Op::Read
                | Op::Write
                | Op::Mmap
                | Op::Munmap
                | Op::FaultRead
                | Op::FaultWrite
                | Op::Msync
                | Op::Fadvise
                | Op::Madvise
        )
    }

    /// Whether the op needs an offset (a `write` without one appends).
    pub fn needs_offset(self) -> bool {
        self.takes_offset() && self != Op::Write
    }

    /// Whether the op uses the `length` column (faults ignore it).
    pub fn takes_length(self) -> bool {
        matches!(
            self,
            Op::Open
                | Op::Read
                | Op::Write
                | Op::Mmap
                | Op::Munmap
                | Op::Truncate
                | Op::Msync
                | Op::Fadvise
                | Op::Madvise
        )
    }

    /// Whether the op needs a length (open's is optional: unknown size).
    pub fn needs_length(self) -> bool {
        self.takes_length() && self != Op::Open
    }

    /// Whether the op carries an advice: exactly one flag word, required
    /// (`fadvise`, `madvise`).
    pub fn takes_advice(self) -> bool {
        matches!(self, Op::Fadvise | Op::Madvise)
    }
}

/// The advice of a `fadvise` or `madvise` row (POSIX_FADV_* / MADV_*).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Advice {
    Normal,
    Random,
    Sequential,
    WillNeed,
    DontNeed,
    /// fadvise only.
    NoReuse,
}

/// Flag words of the optional `flags` column, as a bit set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(pub u16);

impl Flags {
    pub const NONE: Flags = Flags(0);
    /// open: O_SYNC / O_FSYNC writes.
    pub const SYNC: Flags = Flags(1 << 0);
    /// open: O_DIRECT.
    pub const DIRECT: Flags = Flags(1 << 1);
    /// open: O_APPEND.
    pub const APPEND: Flags = Flags(1 << 2);
    /// mmap: MAP_PRIVATE (default is shared).
    pub const PRIVATE: Flags = Flags(1 << 3);
    /// mmap: MADV_RANDOM.
    pub const RANDOM: Flags = Flags(1 << 4);
    /// mmap: MADV_SEQUENTIAL.
    pub const SEQUENTIAL: Flags = Flags(1 << 5);
    /// mmap: MAP_NOSYNC.
    pub const NOSYNC: Flags = Flags(1 << 6);
    /// msync: MS_ASYNC (default MS_SYNC).
    pub const ASYNC: Flags = Flags(1 << 7);
    /// msync: MS_INVALIDATE.
    pub const INVALIDATE: Flags = Flags(1 << 8);
    /// fadvise/madvise: NORMAL advice. (The advice ops share `RANDOM` and `SEQUENTIAL`
    /// with mmap; each advice row carries exactly one of the [`Flags::ADVICE`] bits.)
    pub const NORMAL: Flags = Flags(1 << 9);
    /// fadvise/madvise: WILLNEED.
    pub const WILLNEED: Flags = Flags(1 << 10);
    /// fadvise/madvise: DONTNEED.
    pub const DONTNEED: Flags = Flags(1 << 11);
    /// fadvise: POSIX_FADV_NOREUSE.
    pub const NOREUSE: Flags = Flags(1 << 12);
    /// Every advice bit.
    pub const ADVICE: Flags = Flags(
        Flags::NORMAL.0
            | Flags::RANDOM.0
            | Flags::SEQUENTIAL.0
            | Flags::WILLNEED.0
            | Flags::DONTNEED.0
            | Flags::NOREUSE.0,
    );

    const WORDS: [(&'static str, Flags, Op); 20] = [
        ("sync", Flags::SYNC, Op::Open),
        ("direct", Flags::DIRECT, Op::Open),
        ("append", Flags::APPEND, Op::Open),
        ("private", Flags::PRIVATE, Op::Mmap),
        ("random", Flags::RANDOM, Op::Mmap),
        ("sequential", Flags::SEQUENTIAL, Op::Mmap),
        ("nosync", Flags::NOSYNC, Op::Mmap),
        ("async", Flags::ASYNC, Op::Msync),
        ("invalidate", Flags::INVALIDATE, Op::Msync),
        ("normal", Flags::NORMAL, Op::Fadvise),
        ("random", Flags::RANDOM, Op::Fadvise),
        ("sequential", Flags::SEQUENTIAL, Op::Fadvise),
        ("willneed", Flags::WILLNEED, Op::Fadvise),
        ("dontneed", Flags::DONTNEED, Op::Fadvise),
        ("noreuse", Flags::NOREUSE, Op::Fadvise),
        ("normal", Flags::NORMAL, Op::Madvise),
        ("random", Flags::RANDOM, Op::Madvise),
        ("sequential", Flags::SEQUENTIAL, Op::Madvise),
        ("willneed", Flags::WILLNEED, Op::Madvise),
        ("dontneed", Flags::DONTNEED, Op::Madvise),
    ];

    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The flag a word names for `op`, or `None` if the word is not valid for that op.
    pub fn parse_word(op: Op, word: &[u8]) -> Option<Flags> {
        Flags::WORDS
            .iter()
            .find(|(w, _, o)| *o == op && w.as_bytes() == word)
            .map(|(_, f, _)| *f)
    }

    /// The words valid for `op` (for error messages).
    pub fn words_for(op: Op) -> Vec<&'static str> {
        Flags::WORDS
            .iter()
            .filter(|(_, _, o)| *o == op)
            .map(|(w, _, _)| *w)
            .collect()
    }

    /// The advice of an advice row: `Some` when exactly one advice bit is set.
    pub fn advice(self) -> Option<Advice> {
        let a = self.0 & Flags::ADVICE.0;
        if a.count_ones() != 1 {
            return None;
        }
        Some(match Flags(a) {
            Flags::NORMAL => Advice::Normal,
            Flags::RANDOM => Advice::Random,
            Flags::SEQUENTIAL => Advice::Sequential,
            Flags::WILLNEED => Advice::WillNeed,
            Flags::DONTNEED => Advice::DontNeed,
            _ => Advice::NoReuse,
        })
    }

    /// The flag of an advice (for writers of advice rows).
    pub fn from_advice(a: Advice) -> Flags {
        match a {
            Advice::Normal => Flags::NORMAL,
            Advice::Random => Flags::RANDOM,
            Advice::Sequential => Flags::SEQUENTIAL,
            Advice::WillNeed => Flags::WILLNEED,
            Advice::DontNeed => Flags::DONTNEED,
            Advice::NoReuse => Flags::NOREUSE,
        }
    }

    /// Render as the trace's `a|b` form (format order; a word shared by several ops,
    /// like `random`, once).
    pub fn to_words(self) -> String {
        let mut out = String::new();
        let mut done = 0u16;
        for (w, f, _) in Flags::WORDS.iter() {
            if self.contains(*f) && done & f.0 == 0 {
                done |= f.0;
                if !out.is_empty() {
                    out.push('|');
                }
                out.push_str(w);
            }
        }
        out
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}

/// One trace row. 40 bytes, `Copy`; `has_offset`/`has_length` say whether the optional
/// columns were present (an absent write offset means "append at EOF", an absent open
/// length means "size unknown").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub time_ns: u64,
    pub offset: u64,
    pub length: u64,
    pub file: FileId,
    pub pid: u32,
    pub op: Op,
    pub flags: Flags,
    pub has_offset: bool,
    pub has_length: bool,
}

/// The most one read(2) or write(2) moves: Linux's `MAX_RW_COUNT` (2 GiB − 4 KiB), so
/// no recorded call ever moved more. A longer `read`/`write` row is replayed as this
/// much — the short transfer the call would have made — and the readers say so. (The
/// simulated kernel works block by block: a row of 2^57 bytes would never finish.)
pub const MAX_RW_COUNT: u64 = 0x7fff_f000;

impl Event {
    /// Cut a `read`/`write` longer than [`MAX_RW_COUNT`] to that length; whether it was.
    #[inline]
    pub fn clamp_transfer(&mut self) -> bool {
        if self.length > MAX_RW_COUNT && matches!(self.op, Op::Read | Op::Write) {
            self.length = MAX_RW_COUNT;
            return true;
        }
        false
    }

    /// The byte offset, if the row had one.
    pub fn offset(&self) -> Option<u64> {
        self.has_offset.then_some(self.offset)
    }

    /// The length, if the row had one.
    pub fn length(&self) -> Option<u64> {
        self.has_length.then_some(self.length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_is_small() {
        assert!(std::mem::size_of::<Event>() <= 40);
    }

    #[test]
    fn op_names_round_trip() {
        for op in Op::ALL {
            assert_eq!(Op::parse(op.name().as_bytes()), Some(op));
        }
        assert_eq!(Op::parse(b"pwrite_is_write"), None);
        assert_eq!(Op::parse(b"READ"), None);
    }

    #[test]
    fn flag_words_belong_to_their_op() {
        assert_eq!(Flags::parse_word(Op::Open, b"sync"), Some(Flags::SYNC));
        assert_eq!(Flags::parse_word(Op::Mmap, b"sync"), None);
        assert_eq!(
            Flags::parse_word(Op::Msync, b"invalidate"),
            Some(Flags::INVALIDATE)
        );
        let f = Flags::PRIVATE | Flags::RANDOM;
        assert_eq!(f.to_words(), "private|random");
        assert!(f.contains(Flags::RANDOM));
        assert!(!f.contains(Flags::NOSYNC));
    }

    #[test]
    fn advice_words() {
        assert_eq!(Op::parse(b"fadvise"), Some(Op::Fadvise));
        assert_eq!(Op::parse(b"madvise"), Some(Op::Madvise));
        // The first version's op numbers are unchanged (the binary form stores them).
        assert_eq!(Op::Unlink as u8, 11);
        assert_eq!(Op::Fadvise as u8, 12);
        assert_eq!(Op::Madvise as u8, 13);
        assert_eq!(
            Flags::parse_word(Op::Fadvise, b"noreuse"),
            Some(Flags::NOREUSE)
        );
        assert_eq!(Flags::parse_word(Op::Madvise, b"noreuse"), None);
        assert_eq!(
            Flags::parse_word(Op::Madvise, b"random"),
            Some(Flags::RANDOM)
        );
        assert_eq!(Flags::parse_word(Op::Fadvise, b"private"), None);
        assert_eq!(Flags::RANDOM.to_words(), "random");
        assert_eq!(Flags::WILLNEED.to_words(), "willneed");
        for a in [
            Advice::Normal,
            Advice::Random,
            Advice::Sequential,
            Advice::WillNeed,
            Advice::DontNeed,
            Advice::NoReuse,
        ] {
            assert_eq!(Flags::from_advice(a).advice(), Some(a));
        }
        assert_eq!(Flags::NONE.advice(), None);
        assert_eq!((Flags::RANDOM | Flags::WILLNEED).advice(), None);
        assert_eq!(
            (Flags::PRIVATE | Flags::RANDOM).advice(),
            Some(Advice::Random)
        );
    }
}
