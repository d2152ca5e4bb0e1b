//! The one error type of the trace readers.
//!
//! trace-format.md promises that a malformed line is reported with the file, the line
//! number, the column and the offending text, so a user can fix the recorder or the
//! converter without guessing. Everything needed to print that is kept here as plain
//! owned data (no `io::Error` inside) so errors can be cloned, compared in tests and
//! collected by `check`.

use std::fmt;

/// How much of the offending text an error keeps (in characters).
pub(crate) const MAX_TEXT_CHARS: usize = 80;

/// An error while reading a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceError {
    /// A malformed line: the replay stops here; `check` collects these and goes on.
    Parse {
        /// The trace path as the user gave it (`<stdin>` for `-`).
        path: String,
        /// 1-based physical line number in the (decompressed) file.
        line: u64,
        /// Name of the column at fault, when one is.
        column: Option<String>,
        /// The offending text, truncated to about 80 characters, control characters
        /// escaped.
        text: String,
        /// What is wrong; embeds `text` in double quotes where there is one.
        message: String,
    },
    /// The file cannot be opened or read, or its compression is broken. Nothing after
    /// this point of the file can be read, so `check` stops too.
    Io {
        /// The trace path as the user gave it (`<stdin>` for `-`).
        path: String,
        /// What failed, including the OS or decompressor message.
        message: String,
    },
}

impl TraceError {
    /// A line error. `text` is truncated and sanitised here.
    pub(crate) fn parse(
        path: &str,
        line: u64,
        column: Option<&str>,
        text: &str,
        message: String,
    ) -> TraceError {
        TraceError::Parse {
            path: path.to_string(),
            line,
            column: column.map(str::to_string),
            text: clip(text),
            message,
        }
    }

    /// An I/O or decompression error.
    pub(crate) fn io(path: &str, message: String) -> TraceError {
        TraceError::Io {
            path: path.to_string(),
            message,
        }
    }

    /// The trace path the error refers to.
    pub fn path(&self) -> &str {
        match self {
            TraceError::Parse { path, .. } | TraceError::Io { path, .. } => path,
        }
    }

    /// The 1-based line number, for line errors.
    pub fn line(&self) -> Option<u64> {
        match self {
            TraceError::Parse { line, .. } => Some(*line),
            TraceError::Io { .. } => None,
        }
    }

    /// The column name, when the error is about one column.
    pub fn column(&self) -> Option<&str> {
        match self {
            TraceError::Parse { column, .. } => column.as_deref(),
            TraceError::Io { .. } => None,
        }
    }

    /// The offending text (empty for I/O errors).
    pub fn text(&self) -> &str {
        match self {
            TraceError::Parse { text, .. } => text,
            TraceError::Io { .. } => "",
        }
    }

    /// The message without the path/line/column prefix.
    pub fn message(&self) -> &str {
        match self {
            TraceError::Parse { message, .. } | TraceError::Io { message, .. } => message,
        }
    }

    /// Whether this is an I/O-level failure rather than a malformed line.
    pub fn is_io(&self) -> bool {
        matches!(self, TraceError::Io { .. })
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::Parse {
                path,
                line,
                column,
                message,
                ..
            } => {
                write!(f, "{path}: line {line}")?;
                if let Some(c) = column {
                    write!(f, ", column {c}")?;
                }
                write!(f, ": {message}")
            }
            TraceError::Io { path, message } => write!(f, "{path}: {message}"),
        }
    }
}

impl std::error::Error for TraceError {}

/// Truncate to [`MAX_TEXT_CHARS`] characters (adding `...`) and escape control
/// characters, so binary garbage cannot mess up a terminal.
pub(crate) fn clip(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT_CHARS + 8));
    for (n, c) in text.chars().enumerate() {
        if n == MAX_TEXT_CHARS {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// `clip` of bytes that may not be UTF-8 (invalid sequences become U+FFFD).
pub(crate) fn clip_bytes(bytes: &[u8]) -> String {
    // Decode at most a bounded prefix: a 1 MiB garbage line must not cost 1 MiB here.
    let end = bytes.len().min(MAX_TEXT_CHARS * 4 + 4);
    let s = String::from_utf8_lossy(&bytes[..end]);
    let mut c = clip(&s);
    if end < bytes.len() && !c.ends_with("...") {
        c.push_str("...");
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_the_format_page() {
        let e = TraceError::parse(
            "trace.csv",
            4,
            Some("op"),
            "pwrite_is_write",
            "unknown op \"pwrite_is_write\"".into(),
        );
        assert_eq!(
            e.to_string(),
            "trace.csv: line 4, column op: unknown op \"pwrite_is_write\""
        );
        let e = TraceError::parse("t.csv", 1, None, "", "no header".into());
        assert_eq!(e.to_string(), "t.csv: line 1: no header");
        let e = TraceError::io("t.csv", "cannot open: gone".into());
        assert_eq!(e.to_string(), "t.csv: cannot open: gone");
        assert!(e.is_io());
        assert_eq!(e.line(), None);
    }

    #[test]
    fn clipping() {
        let long = "x".repeat(200);
        let c = clip(&long);
        assert_eq!(c.chars().count(), MAX_TEXT_CHARS + 3);
        assert!(c.ends_with("..."));
        assert_eq!(clip("a\0b\x07"), "a\\0b\\u{7}");
        assert_eq!(clip_bytes(b"ab\xffc"), "ab\u{fffd}c");
        assert!(clip_bytes(&[b'a'; 5000]).ends_with("..."));
    }
}
