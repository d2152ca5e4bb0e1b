//! The settings of the Linux personality (`--profile linux[:key=value,...]`): the
//! sysfs/procfs values a real Linux box is tuned with, read by the validation harness
//! from the machine it measures.

use crate::units::parse_duration_ns;

/// `--profile linux` settings, Linux's names and defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinuxParams {
    /// `/sys/block/DEV/queue/read_ahead_kb` (bdi `ra_pages` = this / 4).
    pub read_ahead_kb: u64,
    /// `/sys/block/DEV/queue/max_sectors_kb`: the most one request carries.
    pub max_sectors_kb: u64,
    /// `/sys/kernel/mm/transparent_hugepage/..`-independent `fault_around_bytes`
    /// (debugfs), in KiB: pages mapped around a read fault without faulting.
    pub fault_around_kb: u64,
    /// `vm.dirty_background_ratio` (% of dirtyable memory).
    pub dirty_background_ratio: u64,
    /// `vm.dirty_ratio` (% of dirtyable memory).
    pub dirty_ratio: u64,
    /// `vm.dirty_expire_centisecs`, in ns.
    pub dirty_expire_ns: u64,
    /// `vm.dirty_writeback_centisecs`, in ns (0 = no periodic write-back).
    pub dirty_writeback_ns: u64,
    /// Large folios in the page cache (ext4 since 6.16: up to 2 MiB); `false` = every
    /// folio one 4 KiB page, as on filesystems without large-folio support.
    pub large_folios: bool,
}

impl Default for LinuxParams {
    fn default() -> Self {
        LinuxParams {
            read_ahead_kb: 128,
            max_sectors_kb: 1280,
            fault_around_kb: 64,
            dirty_background_ratio: 10,
            dirty_ratio: 20,
            dirty_expire_ns: 30_000_000_000,
            dirty_writeback_ns: 5_000_000_000,
            large_folios: true,
        }
    }
}

/// The keys `--profile linux:` accepts, with their defaults and meaning (for `--help`
/// and error messages).
pub const KEYS: &[(&str, &str, &str)] = &[
    (
        "read_ahead_kb",
        "128",
        "read-ahead window limit (bdi ra_pages × 4)",
    ),
    (
        "max_sectors_kb",
        "1280",
        "largest request the block layer builds",
    ),
    (
        "fault_around_kb",
        "64",
        "fault-around: pages mapped around a read fault",
    ),
    (
        "dirty_background_ratio",
        "10",
        "% of memory dirty before background write-back",
    ),
    (
        "dirty_ratio",
        "20",
        "% of memory dirty at which writers are throttled",
    ),
    (
        "dirty_expire",
        "30s",
        "age at which dirty data is written back",
    ),
    (
        "dirty_writeback",
        "5s",
        "interval of the periodic write-back (0 = never)",
    ),
    (
        "large_folios",
        "1",
        "1 = folios up to 2 MiB (ext4 on 6.16+), 0 = 4 KiB pages only",
    ),
];

fn whole(key: &str, v: &str) -> Result<u64, String> {
    v.trim()
        .parse::<u64>()
        .map_err(|_| format!("profile linux: {key}={v} is not a whole number"))
}

impl LinuxParams {
    /// Parse the part after `linux:` (`key=value,...`, may be empty).
    pub fn parse(keys: &str) -> Result<LinuxParams, String> {
        let mut p = LinuxParams::default();
        for kv in keys.split(',').filter(|s| !s.trim().is_empty()) {
            let Some((k, v)) = kv.split_once('=') else {
                return Err(format!(
                    "profile linux: \"{kv}\" is not key=value; keys: {}",
                    key_names()
                ));
            };
            let k = k.trim();
            match k {
                "read_ahead_kb" => p.read_ahead_kb = whole(k, v)?,
                "max_sectors_kb" => p.max_sectors_kb = whole(k, v)?,
                "fault_around_kb" => p.fault_around_kb = whole(k, v)?,
                "dirty_background_ratio" => p.dirty_background_ratio = whole(k, v)?,
                "dirty_ratio" => p.dirty_ratio = whole(k, v)?,
                "dirty_expire" => {
                    p.dirty_expire_ns =
                        parse_duration_ns(v).map_err(|e| format!("profile linux: {k}: {e}"))?
                }
                "dirty_writeback" => {
                    p.dirty_writeback_ns =
                        parse_duration_ns(v).map_err(|e| format!("profile linux: {k}: {e}"))?
                }
                "large_folios" => {
                    p.large_folios = match v.trim() {
                        "1" => true,
                        "0" => false,
                        _ => {
                            return Err(format!(
                                "profile linux: large_folios={v}: expected 0 or 1"
                            ));
                        }
                    }
                }
                _ => {
                    return Err(format!(
                        "profile linux: unknown key \"{k}\"; keys: {}",
                        key_names()
                    ));
                }
            }
        }
        if !(4..=1 << 20).contains(&p.max_sectors_kb) || p.max_sectors_kb % 4 != 0 {
            return Err(
                "profile linux: max_sectors_kb must be a multiple of 4 from 4 to 1048576".into(),
            );
        }
        if p.read_ahead_kb > 1 << 20 || p.read_ahead_kb % 4 != 0 {
            return Err(
                "profile linux: read_ahead_kb must be a multiple of 4 up to 1048576".into(),
            );
        }
        if p.fault_around_kb % 4 != 0 || p.fault_around_kb > 2048 {
            return Err("profile linux: fault_around_kb must be a multiple of 4 up to 2048".into());
        }
        if p.dirty_background_ratio > 100 || p.dirty_ratio > 100 || p.dirty_ratio == 0 {
            return Err("profile linux: dirty ratios are percentages (dirty_ratio 1..100)".into());
        }
        Ok(p)
    }

    /// Read-ahead limit in pages (`bdi->ra_pages`).
    pub fn ra_pages(&self) -> u64 {
        self.read_ahead_kb / 4
    }

    /// Most pages in one request.
    pub fn max_request_pages(&self) -> u64 {
        (self.max_sectors_kb / 4).max(1)
    }

    /// Pages fault-around may map (`fault_around_pages`).
    pub fn fault_around_pages(&self) -> u64 {
        (self.fault_around_kb / 4).max(1)
    }

    /// Every key with its effective value, as the spec renders them.
    pub fn entries(&self) -> Vec<(&'static str, String)> {
        vec![
            ("read_ahead_kb", self.read_ahead_kb.to_string()),
            ("max_sectors_kb", self.max_sectors_kb.to_string()),
            ("fault_around_kb", self.fault_around_kb.to_string()),
            (
                "dirty_background_ratio",
                self.dirty_background_ratio.to_string(),
            ),
            ("dirty_ratio", self.dirty_ratio.to_string()),
            (
                "dirty_expire",
                crate::device::fmt_duration(self.dirty_expire_ns),
            ),
            (
                "dirty_writeback",
                crate::device::fmt_duration(self.dirty_writeback_ns),
            ),
            ("large_folios", u8::from(self.large_folios).to_string()),
        ]
    }

    /// `linux:key=value,...` with every key (parses back to `self`).
    pub fn spec(&self) -> String {
        let keys: Vec<String> = self
            .entries()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("linux:{}", keys.join(","))
    }
}

fn key_names() -> String {
    KEYS.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_round_trip() {
        let p = LinuxParams::parse("").unwrap();
        assert_eq!(p, LinuxParams::default());
        assert_eq!((p.ra_pages(), p.max_request_pages()), (32, 320));
        let q = LinuxParams::parse(p.spec().trim_start_matches("linux:")).unwrap();
        assert_eq!(q, p);
        let r =
            LinuxParams::parse("read_ahead_kb=8192,max_sectors_kb=4096,dirty_expire=3s").unwrap();
        assert_eq!((r.ra_pages(), r.max_request_pages()), (2048, 1024));
        assert_eq!(r.dirty_expire_ns, 3_000_000_000);
        assert!(r.large_folios);
        assert!(!LinuxParams::parse("large_folios=0").unwrap().large_folios);
        assert!(LinuxParams::parse("large_folios=2").is_err());
    }

    #[test]
    fn bad_keys_say_what_is_valid() {
        let e = LinuxParams::parse("readahead=1").unwrap_err();
        assert!(
            e.contains("unknown key \"readahead\"") && e.contains("read_ahead_kb"),
            "{e}"
        );
        assert!(LinuxParams::parse("max_sectors_kb=3").is_err());
        assert!(LinuxParams::parse("read_ahead_kb=x").is_err());
        assert!(LinuxParams::parse("dirty_ratio=0").is_err());
    }
}
