//! Parsing of the sizes, durations and bandwidths users type on the command line.
//!
//! Sizes accept a plain byte count or a K/M/G/T suffix in powers of 1024 (an optional
//! trailing `B`/`iB` is allowed: `64M`, `64MiB`, `1g`). Durations accept ns/us/ms/s/m/h
//! (`80us`, `4ms`, `30s`). Bandwidths are sizes per second (`2GB/s`, `500M`).

/// Parse a size such as `4096`, `16K`, `64MiB`, `1G` into bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, suf) = t.split_at(split);
    if num.is_empty() {
        return Err(format!(
            "invalid size \"{s}\": expected a number such as 4096, 64M or 1G"
        ));
    }
    let mult: u64 = match suf.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => {
            return Err(format!(
                "invalid size \"{s}\": unknown suffix \"{other}\" (use K, M, G or T, powers of 1024)"
            ));
        }
    };
    let v = if num.contains('.') {
        let f: f64 = num
            .parse()
            .map_err(|_| format!("invalid size \"{s}\": bad number \"{num}\""))?;
        let b = f * mult as f64;
        if !b.is_finite() || b < 0.0 || b >= u64::MAX as f64 {
            return Err(format!("invalid size \"{s}\": out of range"));
        }
        b.round() as u64
    } else {
        let n: u64 = num
            .parse()
            .map_err(|_| format!("invalid size \"{s}\": number out of range"))?;
        n.checked_mul(mult)
            .ok_or_else(|| format!("invalid size \"{s}\": out of range"))?
    };
    Ok(v)
}

/// Parse a duration such as `80us`, `4ms`, `1.5s`, `250ns` into nanoseconds.
/// A bare number is nanoseconds.
pub fn parse_duration_ns(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, suf) = t.split_at(split);
    let mult: f64 = match suf.trim().to_ascii_lowercase().as_str() {
        "" | "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        other => {
            return Err(format!(
                "invalid duration \"{s}\": unknown unit \"{other}\" (use ns, us, ms, s, m or h)"
            ));
        }
    };
    let f: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration \"{s}\": expected e.g. 80us, 4ms or 30s"))?;
    let v = f * mult;
    if !v.is_finite() || v < 0.0 || v >= u64::MAX as f64 {
        return Err(format!("invalid duration \"{s}\": out of range"));
    }
    Ok(v.round() as u64)
}

/// Parse a bandwidth such as `2GB/s`, `500M`, `3.2G/s` into bytes per second.
pub fn parse_bandwidth(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t.strip_suffix("/s").unwrap_or(t);
    let v = parse_size(t).map_err(|e| e.replace("size", "bandwidth"))?;
    if v == 0 {
        return Err(format!(
            "invalid bandwidth \"{s}\": must be greater than zero"
        ));
    }
    Ok(v)
}

/// Render bytes with the largest binary suffix that shows them exactly (`16K`, `2G`,
/// `300000`), so [`parse_size`] reads back the same number: for values that are
/// parsed again (policy specs), where [`format_size`]'s `293.0K` would not be.
pub fn format_size_exact(b: u64) -> String {
    for (m, u) in [
        (1u64 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "K"),
    ] {
        if b != 0 && b.is_multiple_of(m) {
            return format!("{}{u}", b / m);
        }
    }
    b.to_string()
}

/// Render bytes with a binary suffix (`16K`, `1.5M`, `2G`), exact where possible.
pub fn format_size(b: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "K"),
    ];
    for (m, u) in UNITS {
        if b >= m {
            if b.is_multiple_of(m) {
                return format!("{}{u}", b / m);
            }
            let s = format!("{:.1}{u}", b as f64 / m as f64);
            // Within 0.05T of u64::MAX the rounding reaches 2^64 ("16777216.0T"), which
            // parse_size rightly refuses: show the byte count instead.
            if parse_size(&s).is_err() {
                return b.to_string();
            }
            return s;
        }
    }
    format!("{b}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("16K"), Ok(16384));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("2T"), Ok(2 << 40));
        assert_eq!(parse_size("1.5K"), Ok(1536));
        assert!(parse_size("").is_err());
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("99999999999999999999").is_err());
        assert!(parse_size("100000000T").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ns("80us"), Ok(80_000));
        assert_eq!(parse_duration_ns("4ms"), Ok(4_000_000));
        assert_eq!(parse_duration_ns("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration_ns("250"), Ok(250));
        assert!(parse_duration_ns("fast").is_err());
    }

    #[test]
    fn bandwidths() {
        assert_eq!(parse_bandwidth("2GB/s"), Ok(2 << 30));
        assert_eq!(parse_bandwidth("500M"), Ok(500 << 20));
        assert!(parse_bandwidth("0").is_err());
    }

    #[test]
    fn formatting() {
        assert_eq!(format_size(16384), "16K");
        assert_eq!(format_size(1536 * 1024), "1.5M");
        assert_eq!(format_size(100), "100");
    }
}
