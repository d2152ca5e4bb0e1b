//! One strace output line, split into its parts without interpreting the call.
//!
//! strace's text is regular enough to take apart by hand: an optional pid prefix
//! (`1234 ` with `-o` and `-f`, `[pid 1234] ` on stderr), an optional timestamp, then
//! a call (`name(args) = ret`), half a call (`name(args <unfinished ...>`), the other
//! half (`<... name resumed>args) = ret`), a signal (`--- SIG... ---`) or an exit
//! (`+++ exited with 0 +++`). Arguments are split at top-level commas, skipping
//! quoted strings, brackets, `-y` annotations (`3</path>`) and `/* comments */`, so a
//! comma or a parenthesis inside a file name never splits anything.

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
        let mut depth = 1usize;
        while self.i < self.s.len() {
            let b = self.s[self.i];
            self.i += 1;
            if b == b'<' {
                depth += 1;
            } else if b == b'>' && self.s[self.i - 2] != b'-' {
                depth -= 1;
                if depth == 0 {
                    return;
                }
            }
        }
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
/// `<` and `>` in paths, so raw ones only come from `-yy` details: nested
/// `<char 1:3>` and the `->` of socket peers (which never closes anything).
fn annot_end(s: &str) -> Option<usize> {
    let mut depth = 1usize;
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'<' {
            depth += 1;
        } else if c == b'>' && (i == 0 || b[i - 1] != b'-') {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
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
    let vend = rest
        .find(|c: char| c == ' ' || c == '<')
        .unwrap_or(rest.len());
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

/// `12.000345` seconds (up to 9 decimals) as nanoseconds.
pub fn parse_seconds(s: &str) -> Option<u64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || frac.len() > 9 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: u64 = int.parse().ok()?;
    let mut ns: u64 = 0;
    for (k, b) in frac.bytes().enumerate() {
        ns += u64::from(b - b'0') * 10u64.pow(8 - k as u32);
    }
    secs.checked_mul(1_000_000_000)?.checked_add(ns)
}

/// A decimal (possibly negative) or `0x` hex integer.
pub fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x") {
        return u64::from_str_radix(h, 16).ok().map(|v| v as i64);
    }
    s.parse::<i64>().ok()
}

/// A non-negative integer argument: decimal or hex; `None` for anything else.
pub fn parse_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x") {
        return u64::from_str_radix(h, 16).ok();
    }
    s.parse::<u64>().ok()
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

/// An fd argument: `3`, `3</path>`, `AT_FDCWD`, `AT_FDCWD</dir>`, `-1`.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct FdArg<'a> {
    /// The number; `None` for `AT_FDCWD`.
    pub fd: Option<i64>,
    pub annot: Option<&'a str>,
}

pub fn parse_fd(s: &str) -> Option<FdArg<'_>> {
    let (num, annot) = match s.find('<') {
        Some(lt) => {
            let r = &s[lt + 1..];
            let end = annot_end(r)?;
            (&s[..lt], Some(&r[..end]))
        }
        None => (s, None),
    };
    let num = num.trim();
    let fd = if num == "AT_FDCWD" {
        None
    } else {
        Some(num.parse::<i64>().ok()?)
    };
    Some(FdArg { fd, annot })
}

/// A quoted string argument, unescaped. `truncated` when strace cut it (`"..."...`).
#[derive(Debug, PartialEq, Eq)]
pub struct Str {
    pub text: String,
    pub truncated: bool,
}

pub fn parse_str(s: &str) -> Option<Str> {
    let s = s.trim();
    let inner = s.strip_prefix('"')?;
    let (body, tail) = split_quoted(inner)?;
    let truncated = tail.trim() == "...";
    if !truncated && !tail.trim().is_empty() {
        return None;
    }
    Some(Str {
        text: unescape(body),
        truncated,
    })
}

/// The quoted body (up to the closing quote) and what follows it.
fn split_quoted(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some((&s[..i], &s[i + 1..])),
            _ => i += 1,
        }
    }
    None
}

/// Undo strace's C-style escapes (`\n`, `\"`, `\\`, `\x2f`, octal `\33`).
pub fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let c = b[i + 1];
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'v' => out.push(0x0b),
            b'f' => out.push(0x0c),
            b'x' => {
                let hex = &s[i..(i + 2).min(s.len())];
                match u8::from_str_radix(hex, 16) {
                    Ok(v) if hex.len() == 2 => {
                        out.push(v);
                        i += 2;
                    }
                    _ => out.extend_from_slice(b"\\x"),
                }
            }
            b'0'..=b'7' => {
                let mut v: u32 = u32::from(c - b'0');
                let mut n = 1;
                while n < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + u32::from(b[i] - b'0');
                    i += 1;
                    n += 1;
                }
                out.push((v & 0xff) as u8);
            }
            other => out.push(other),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a `|`-joined flag set (`O_RDWR|O_CREAT`) holds `name`.
pub fn has_flag(flags: &str, name: &str) -> bool {
    flags.split('|').any(|f| f.trim() == name)
}

/// The value of `key=` inside a struct (`{st_mode=S_IFREG|0644, st_size=5, ...}`).
pub fn field<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(pos) = s[from..].find(key) {
        let at = from + pos;
        let before_ok = at == 0 || matches!(s.as_bytes()[at - 1], b'{' | b' ' | b',');
        let after = &s[at + key.len()..];
        if before_ok && let Some(v) = after.strip_prefix('=') {
            let end = v.find([',', '}']).unwrap_or(v.len());
            return Some(v[..end].trim());
        }
        from = at + key.len();
    }
    None
}

/// `[123]` or `[0] => [123]` (in/out values): the value before and after the call.
pub fn parse_inout(s: &str) -> Option<(u64, u64)> {
    let s = s.trim();
    let (a, b) = match s.split_once("=>") {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (s, s),
    };
    let a = parse_u64(a.strip_prefix('[')?.strip_suffix(']')?)?;
    let b = parse_u64(b.strip_prefix('[')?.strip_suffix(']')?)?;
    Some((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let l = parse_line("20746 18:08:58.247864 read(6<pipe:[34061]>,  <unfinished ...>").unwrap();
        assert_eq!(
            l.body,
            Body::Unfinished {
                name: "read",
                args: "6<pipe:[34061]>,  "
            }
        );
        let l = parse_line("20745 18:08:58.249332 <... vfork resumed>) = 20746 <0.001736>").unwrap();
        assert_eq!(
            l.body,
            Body::Resumed {
                name: "vfork",
                rest: ") = 20746 <0.001736>"
            }
        );
        assert_eq!(
            parse_line("1 1.0 --- SIGCHLD {si_signo=SIGCHLD} ---").unwrap().body,
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
        let c = call(
            "1 write(3</a, (b)<x>.txt>, \"a,b)\\\"\"..., 4) = 4</odd>",
        );
        let a = split_args(c.args);
        assert_eq!(a.len(), 3);
        assert_eq!(parse_fd(a[0]).unwrap().annot, Some("/a, (b)<x>.txt"));
        let s = parse_str(a[1]).unwrap();
        assert_eq!(s.text, "a,b)\"");
        assert!(s.truncated);
        assert_eq!(parse_str("\"\"...").unwrap().truncated, true);
        let c = call("1 execve(\"/bin/sh\", [...], 0x7ff /* 39 vars, (x */) = 0");
        assert_eq!(split_args(c.args).len(), 3);
    }

    #[test]
    fn malformed_lines() {
        assert_eq!(parse_line("1 1.0 read(3, \"x\", 5 = 5").unwrap_err().column, "args");
        assert_eq!(parse_line("1 1.0 read(3) 5").unwrap_err().column, "result");
        assert_eq!(parse_line("1 1.0 read(3) = five").unwrap_err().column, "result");
        assert_eq!(parse_line("1 1.0 garbage").unwrap_err().column, "syscall");
        assert_eq!(parse_line("[pid x] read(3) = 1").unwrap_err().column, "pid");
        assert_eq!(parse_line("1 1.0 <... read resu").unwrap_err().column, "syscall");
    }

    #[test]
    fn values() {
        assert_eq!(unescape("a\\x2fb\\n\\33\\\\"), "a/b\n\x1b\\");
        assert_eq!(parse_seconds("0.000012"), Some(12_000));
        assert_eq!(parse_seconds("1.5"), Some(1_500_000_000));
        assert_eq!(parse_seconds("x"), None);
        assert_eq!(parse_inout("[0] => [13]"), Some((0, 13)));
        assert_eq!(parse_inout("[7]"), Some((7, 7)));
        let st = "{st_mode=S_IFREG|0644, st_size=34983, ...}";
        assert_eq!(field(st, "st_size"), Some("34983"));
        assert_eq!(field(st, "st_mode"), Some("S_IFREG|0644"));
        assert_eq!(field("{stx_size=5}", "st_size"), None);
        assert!(has_flag("O_RDWR|O_CREAT|O_EXCL", "O_CREAT"));
        assert!(!has_flag("O_RDWR", "O_RD"));
    }
}
