//! The values inside strace arguments: numbers, quoted strings, fds with their `-y`
//! annotations, flag sets and struct fields.

use super::parse::annot_end;

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
                let hex = b
                    .get(i..i + 2)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.extend_from_slice(b"\\x"),
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

    #[test]
    fn values() {
        assert_eq!(unescape("a\\x2fb\\n\\33\\\\"), "a/b\n\x1b\\");
        assert_eq!(unescape("\\xa\u{e9}\\"), "\\xa\u{e9}\\");
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
