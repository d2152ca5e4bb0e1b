//! One strace output line, split into its parts without interpreting the call.
//!
//! strace's text is regular enough to take apart by hand: an optional pid prefix
//! (`1234 ` with `-o` and `-f`, `[pid 1234] ` on stderr), an optional timestamp, then
//! a call (`name(args) = ret`), half a call (`name(args <unfinished ...>`), the other
//! half (`<... name resumed>args) = ret`), a signal (`--- SIG... ---`) or an exit
//! (`+++ exited with 0 +++`). Arguments are split at top-level commas, skipping
//! quoted strings, brackets, `-y` annotations (`3</path>`) and `/* comments */`, so a
//! comma or a parenthesis inside a file name never splits anything.

use super::values::{parse_int, parse_seconds};

/// A line taken apart. Borrowed from the line text.
#[derive(Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// The pid prefix, when the line has one.
    pub pid: Option<u32>,
    /// The timestamp token, when the line has one (interpreted by the clock).
    pub time: Option<&'a str>,
    pub body: Body<'a>,
}

/// What follows the prefix.
#[derive(Debug, PartialEq, Eq)]
pub enum Body<'a> {
    /// A complete call.
    Call(Call<'a>),
    /// `name(args <unfinished ...>`: the arguments printed so far.
    Unfinished { name: &'a str, args: &'a str },
    /// `<... name resumed>rest`: the rest of the arguments, `)` and the result.
    Resumed { name: &'a str, rest: &'a str },
    /// `--- SIGCHLD {...} ---` and the like.
    Signal,
    /// `+++ exited with 0 +++`, `+++ killed by SIGKILL +++`, `+++ superseded ... +++`.
    Exit,
    /// A message of strace itself (`strace: Process 12 attached`), or a blank line.
    Other,
}

/// A complete call: name, raw argument text and the parsed result.
#[derive(Debug, PartialEq, Eq)]
pub struct Call<'a> {
    pub name: &'a str,
    pub args: &'a str,
    pub ret: Ret<'a>,
}

/// The result part after `=`.
#[derive(Debug, PartialEq, Eq, Default)]
pub struct Ret<'a> {
    /// The value (`?` gives `None`); hex results (mmap) are read as hex.
    pub value: Option<i64>,
    /// The `-y` annotation right after the value: `3</path>` gives `/path`.
    pub annot: Option<&'a str>,
    /// The error name of a failed call (`ENOENT`), or of `= ? ERESTARTSYS`.
    pub errno: Option<&'a str>,
    /// The `-T` duration in nanoseconds.
    pub dur_ns: Option<u64>,
}

/// Why a line could not be taken apart, with the column name for the error.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed {
    pub column: &'static str,
    pub message: String,
}

fn bad(column: &'static str, message: impl Into<String>) -> Malformed {
    Malformed {
        column,
        message: message.into(),
    }
}

/// Take one line apart (without its line break).
pub fn parse_line(line: &str) -> Result<Line<'_>, Malformed> {
    let mut rest = line.trim_end_matches(['\r', '\n']);
    let trimmed = rest.trim();
    if trimmed.is_empty() || trimmed.starts_with("strace: ") || trimmed.starts_with("[ Process") {
        return Ok(Line {
            pid: None,
            time: None,
            body: Body::Other,
        });
    }
    let mut pid = None;
    if let Some(r) = rest.strip_prefix("[pid") {
        let r = r.trim_start();
        let end = r.find(']').ok_or_else(|| bad("pid", "no ] after [pid"))?;
        pid = Some(parse_pid(&r[..end])?);
        rest = r[end + 1..].trim_start();
    } else {
        rest = rest.trim_start();
        let tok_end = rest.find(' ').unwrap_or(rest.len());
        let tok = &rest[..tok_end];
        if !tok.is_empty() && tok.bytes().all(|b| b.is_ascii_digit()) && tok_end < rest.len() {
            pid = Some(parse_pid(tok)?);
            rest = rest[tok_end..].trim_start();
        }
    }
    let mut time = None;
    let first = rest.as_bytes().first().copied().unwrap_or(b' ');
    if first.is_ascii_digit() {
        let end = rest.find(' ').unwrap_or(rest.len());
        time = Some(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    let body = parse_body(rest)?;
    Ok(Line { pid, time, body })
}

fn parse_pid(s: &str) -> Result<u32, Malformed> {
    s.trim()
        .parse::<u32>()
        .map_err(|_| bad("pid", format!("bad pid \"{}\"", s.trim())))
}

fn parse_body(s: &str) -> Result<Body<'_>, Malformed> {
    if s.starts_with("---") {
        return Ok(Body::Signal);
    }
    if s.starts_with("+++") {
        return Ok(Body::Exit);
    }
    if let Some(r) = s.strip_prefix("<... ") {
        let end = r
            .find(" resumed>")
            .ok_or_else(|| bad("syscall", "\"<...\" without \"resumed>\""))?;
        let name = &r[..end];
        if !is_name(name) {
            return Err(bad("syscall", format!("bad syscall name \"{name}\"")));
        }
        return Ok(Body::Resumed {
            name,
            rest: &r[end + " resumed>".len()..],
        });
    }
    let open = s.find('(').ok_or_else(|| bad("syscall", "no call here"))?;
    let name = &s[..open];
    if !is_name(name) {
        return Err(bad("syscall", format!("bad syscall name \"{name}\"")));
    }
    let after = &s[open + 1..];
    if let Some(args) = after.trim_end().strip_suffix("<unfinished ...>") {
        return Ok(Body::Unfinished { name, args });
    }
    Ok(Body::Call(parse_call(name, after)?))
}

/// `after` is everything after `name(`: the arguments, `)`, `= result`.
pub fn parse_call<'a>(name: &'a str, after: &'a str) -> Result<Call<'a>, Malformed> {
    let close = closing_paren(after).ok_or_else(|| bad("args", "unbalanced parentheses"))?;
    let args = &after[..close];
    let tail = after[close + 1..].trim_start();
    let ret_text = tail
        .strip_prefix('=')
        .ok_or_else(|| bad("result", "no \"=\" after the arguments"))?;
    let ret = parse_ret(ret_text.trim())?;
    Ok(Call { name, args, ret })
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() < 64
        && (s == "???" || s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

/// Where the `)` closing the argument list is (the list's `(` already consumed).
fn closing_paren(s: &str) -> Option<usize> {
    let mut sc = Scanner::new(s);
    let mut depth = 0usize;
    while let Some((i, b)) = sc.next_outside() {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                if depth == 0 {
                    return (b == b')').then_some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    None
}

/// Walks bytes, reporting only those outside strings, `-y` annotations and comments.
struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn new(s: &'a str) -> Self {
        Scanner {
            s: s.as_bytes(),
            i: 0,
        }
    }

    fn next_outside(&mut self) -> Option<(usize, u8)> {
        while self.i < self.s.len() {
            let i = self.i;
            let b = self.s[i];
            self.i += 1;
            match b {
                b'"' => self.skip_string(),
                b'<' if i > 0 && is_annot_owner(self.s[i - 1]) => self.skip_annot(),
                b'/' if self.s.get(i + 1) == Some(&b'*') => self.skip_comment(),
                _ => return Some((i, b)),
            }
        }
        None
    }

    fn skip_string(&mut self) {
        while self.i < self.s.len() {
            let b = self.s[self.i];
            self.i += 1;
            if b == b'\\' {
                self.i += 1;
            } else if b == b'"' {
                return;
            }
        }
    }

    fn skip_annot(&mut self) {
        let rest = &self.s[self.i..];
        self.i += annot_len(rest).unwrap_or(rest.len());
    }

    fn skip_comment(&mut self) {
        self.i += 1;
        while self.i + 1 < self.s.len() {
            if self.s[self.i] == b'*' && self.s[self.i + 1] == b'/' {
                self.i += 2;
                return;
            }
            self.i += 1;
        }
        self.i = self.s.len();
    }
}

/// A `<` right after an fd number or `AT_FDCWD` opens a `-y` annotation.
fn is_annot_owner(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// The matching `>` of an annotation starting right after its `<`. strace escapes
/// `<`, `>` and `"` in paths, so raw ones only come from `-yy` details: nested
/// `<char 1:3>`, the `->` of socket peers (which never closes anything) and quoted
/// socket paths (skipped whole).
pub(super) fn annot_end(s: &str) -> Option<usize> {
    annot_len(s.as_bytes()).map(|n| n - 1)
}

/// Bytes up to and including the `>` closing an annotation.
fn annot_len(b: &[u8]) -> Option<usize> {
    let mut depth = 1usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'<' => depth += 1,
            b'>' if i == 0 || b[i - 1] != b'-' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn parse_ret(s: &str) -> Result<Ret<'_>, Malformed> {
    let mut ret = Ret::default();
    let mut rest = s;
    // -T duration at the very end.
    if rest.ends_with('>')
        && let Some(lt) = rest.rfind(" <")
    {
        let inner = &rest[lt + 2..rest.len() - 1];
        if let Some(ns) = parse_seconds(inner) {
            ret.dur_ns = Some(ns);
            rest = rest[..lt].trim_end();
        }
    }
    let vend = rest.find([' ', '<']).unwrap_or(rest.len());
    let vtext = &rest[..vend];
    ret.value = if vtext == "?" {
        None
    } else {
        Some(parse_int(vtext).ok_or_else(|| bad("result", format!("bad result \"{vtext}\"")))?)
    };
    rest = &rest[vend..];
    if let Some(r) = rest.strip_prefix('<') {
        let end = annot_end(r).ok_or_else(|| bad("result", "unclosed <...> after the result"))?;
        ret.annot = Some(&r[..end]);
        rest = &r[end + 1..];
    }
    let rest = rest.trim_start();
    let word_end = rest.find(' ').unwrap_or(rest.len());
    let word = &rest[..word_end];
    if word.len() > 1
        && word.starts_with('E')
        && word
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        ret.errno = Some(word);
    }
    Ok(ret)
}

/// Split an argument list at top-level commas; each piece trimmed.
pub fn split_args(args: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(6);
    let mut sc = Scanner::new(args);
    let mut depth = 0usize;
    let mut start = 0;
    while let Some((i, b)) = sc.next_outside() {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                out.push(args[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = args[start..].trim();
    if !last.is_empty() || !out.is_empty() {
        out.push(last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::strace::values::{FdArg, parse_fd, parse_str};

    fn call(line: &str) -> Call<'_> {
        match parse_line(line).unwrap().body {
            Body::Call(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn full_line_with_everything() {
        let l = parse_line(
            "20745 18:08:58.245053 openat(AT_FDCWD</scratch/w2>, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache> <0.000017>",
        )
        .unwrap();
        assert_eq!(l.pid, Some(20745));
        assert_eq!(l.time, Some("18:08:58.245053"));
        let Body::Call(c) = l.body else { panic!() };
        assert_eq!(c.name, "openat");
        assert_eq!(c.ret.value, Some(3));
        assert_eq!(c.ret.annot, Some("/etc/ld.so.cache"));
        assert_eq!(c.ret.dur_ns, Some(17_000));
        let a = split_args(c.args);
        assert_eq!(
            a,
            vec![
                "AT_FDCWD</scratch/w2>",
                "\"/etc/ld.so.cache\"",
                "O_RDONLY|O_CLOEXEC"
            ]
        );
        assert_eq!(
            parse_fd(a[0]),
            Some(FdArg {
                fd: None,
                annot: Some("/scratch/w2")
            })
        );
    }

    #[test]
    fn prefixes_and_timestamps() {
        let l = parse_line("[pid  4242] 1700000000.123456 close(3) = 0").unwrap();
        assert_eq!((l.pid, l.time), (Some(4242), Some("1700000000.123456")));
        let l = parse_line("     0.000123 close(3) = 0").unwrap();
        assert_eq!((l.pid, l.time), (None, Some("0.000123")));
        let l = parse_line("close(3) = 0").unwrap();
        assert_eq!((l.pid, l.time), (None, None));
        let l = parse_line("77   close(3)                      = 0").unwrap();
        assert_eq!(l.pid, Some(77));
        assert_eq!(call("77 close(3) = 0").ret.value, Some(0));
    }

    #[test]
    fn failed_unknown_and_hex_results() {
        let c = call("1 openat(AT_FDCWD, \"x\", O_RDONLY) = -1 ENOENT (No such file or directory)");
        assert_eq!((c.ret.value, c.ret.errno), (Some(-1), Some("ENOENT")));
        let c = call("1 exit_group(0) = ?");
        assert_eq!(c.ret.value, None);
        let c = call("1 read(3, 0x1, 5) = ? ERESTARTSYS (To be restarted) <0.1>");
        assert_eq!((c.ret.value, c.ret.errno), (None, Some("ERESTARTSYS")));
        let c = call("1 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, 3, 0) = 0x7f5b0817b000");
        assert_eq!(c.ret.value, Some(0x7f5b0817b000));
        let c = call("1 fcntl(3, F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE)");
        assert_eq!((c.ret.value, c.ret.errno), (Some(0x8002), None));
    }

    #[test]
    fn unfinished_resumed_signal_exit() {
        let l =
            parse_line("20746 18:08:58.247864 read(6<pipe:[34061]>,  <unfinished ...>").unwrap();
        assert_eq!(
            l.body,
            Body::Unfinished {
                name: "read",
                args: "6<pipe:[34061]>,  "
            }
        );
        let l =
            parse_line("20745 18:08:58.249332 <... vfork resumed>) = 20746 <0.001736>").unwrap();
        assert_eq!(
            l.body,
            Body::Resumed {
                name: "vfork",
                rest: ") = 20746 <0.001736>"
            }
        );
        assert_eq!(
            parse_line("1 1.0 --- SIGCHLD {si_signo=SIGCHLD} ---")
                .unwrap()
                .body,
            Body::Signal
        );
        assert_eq!(
            parse_line("1 1.0 +++ exited with 0 +++").unwrap().body,
            Body::Exit
        );
        assert_eq!(
            parse_line("strace: Process 5 attached").unwrap().body,
            Body::Other
        );
    }

    #[test]
    fn nasty_file_names_do_not_split() {
        let c = call("1 write(3</a, (b)<x>.txt>, \"a,b)\\\"\"..., 4) = 4</odd>");
        let u = call("1 write(5<UNIX:[1->2,\"/x,y>.s\"]>, \"\", 2) = 2");
        assert_eq!(split_args(u.args).len(), 3);
        assert_eq!(
            parse_fd(split_args(u.args)[0]).unwrap().annot,
            Some("UNIX:[1->2,\"/x,y>.s\"]")
        );
        let a = split_args(c.args);
        assert_eq!(a.len(), 3);
        assert_eq!(parse_fd(a[0]).unwrap().annot, Some("/a, (b)<x>.txt"));
        let s = parse_str(a[1]).unwrap();
        assert_eq!(s.text, "a,b)\"");
        assert!(s.truncated);
        assert!(parse_str("\"\"...").unwrap().truncated);
        let c = call("1 execve(\"/bin/sh\", [...], 0x7ff /* 39 vars, (x */) = 0");
        assert_eq!(split_args(c.args).len(), 3);
    }

    #[test]
    fn malformed_lines() {
        assert_eq!(
            parse_line("1 1.0 read(3, \"x\", 5 = 5").unwrap_err().column,
            "args"
        );
        assert_eq!(parse_line("1 1.0 read(3) 5").unwrap_err().column, "result");
        assert_eq!(
            parse_line("1 1.0 read(3) = five").unwrap_err().column,
            "result"
        );
        assert_eq!(parse_line("1 1.0 garbage").unwrap_err().column, "syscall");
        assert_eq!(parse_line("[pid x] read(3) = 1").unwrap_err().column, "pid");
        assert_eq!(
            parse_line("1 1.0 <... read resu").unwrap_err().column,
            "syscall"
        );
    }
}
