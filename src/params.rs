//! Tunables: the thresholds DragonFly derives from the memory size (pager-model.md §4)
//! and the `--set KNOB=VALUE` knobs of §8.1 that the model implements.
//!
//! Every knob has one entry in [`KNOBS`] (name, default, meaning), which drives parsing,
//! `--help`-style listings, error messages and the `config` section of the output, so a
//! knob cannot exist in one place and be missing from another.

use crate::units::{format_size, parse_size};

/// How faults ask for read-ahead (`seqaccess` in vm_fault).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqAccess {
    /// The snapshot: every mapping not marked MADV_RANDOM asks for the maximum window.
    Max,
    /// Never ask for read-ahead from faults (one block per major fault).
    Never,
}

/// The forced-sync threshold of `vnode_pager_putpages`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForcedSync {
    Off,
    /// free+cache < v_pageout_free_min (the seed).
    X1,
    /// free+cache < 4 · v_pageout_free_min.
    X4,
}

/// Which truncation path a `truncate` takes (§6.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TruncatePath {
    /// `ffs_truncate`: read/zero/rewrite of the straddling block, block-rounded object.
    Ufs,
    /// The seed's `vnode_pager_setsize` via `vtruncbuf`.
    Generic,
}

/// User-settable values. `None` for a derived threshold means "the §4 formula".
#[derive(Clone, Debug, PartialEq)]
pub struct Knobs {
    pub max_readahead: u64,
    pub seq_unit: u64,
    pub io_seqmax: u32,
    pub seqaccess: SeqAccess,
    pub vm_shared_fault: bool,
    pub prefault_pages: u32,
    pub prefault_dirty: bool,
    pub f_iosize: u64,
    pub mnt_iosize_max: u64,
    pub noclusterr: bool,
    pub vm_cycle_point: u8,
    pub nbuf: Option<u64>,
    pub v_free_min: Option<u32>,
    pub v_free_target: Option<u32>,
    pub v_cache_min: Option<u32>,
    pub v_inactive_target: Option<u32>,
    pub kernel_pct: u32,
    pub max_launder: u32,
    pub noclusterw: bool,
    pub write_behind: u8,
    pub hidirtybufspace: Option<u64>,
    pub lodirtybufspace: Option<u64>,
    pub hirunningspace: Option<u64>,
    pub filedelay: u64,
    pub syncdelay: u64,
    pub lazy_limit: u64,
    pub pageout_page_count: Option<u32>,
    pub launder_fixed: bool,
    pub dirty_lap: bool,
    pub pageout_algorithm: bool,
    pub stats_interval: u64,
    pub forced_sync: ForcedSync,
    pub msync_needs_cleanchk: bool,
    pub truncate: TruncatePath,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            max_readahead: 2 << 20,
            seq_unit: 16 << 10,
            io_seqmax: 127,
            seqaccess: SeqAccess::Max,
            vm_shared_fault: true,
            prefault_pages: 8,
            prefault_dirty: true,
            f_iosize: 16 << 10,
            mnt_iosize_max: 128 << 10,
            noclusterr: false,
            vm_cycle_point: 40,
            nbuf: None,
            v_free_min: None,
            v_free_target: None,
            v_cache_min: None,
            v_inactive_target: None,
            kernel_pct: 3,
            max_launder: 32,
            noclusterw: false,
            write_behind: 1,
            hidirtybufspace: None,
            lodirtybufspace: None,
            hirunningspace: None,
            filedelay: 30,
            syncdelay: 30,
            lazy_limit: 1 << 20,
            pageout_page_count: None,
            launder_fixed: false,
            dirty_lap: true,
            pageout_algorithm: false,
            stats_interval: 5,
            forced_sync: ForcedSync::X1,
            msync_needs_cleanchk: true,
            truncate: TruncatePath::Ufs,
        }
    }
}

/// One `--set` knob: its name, what it means, and how to read and show it.
pub struct Knob {
    pub name: &'static str,
    pub help: &'static str,
    set: fn(&mut Knobs, &str) -> Result<(), String>,
    get: fn(&Knobs) -> String,
}

fn bool_of(v: &str) -> Result<bool, String> {
    match v {
        "1" | "on" | "true" | "yes" => Ok(true),
        "0" | "off" | "false" | "no" => Ok(false),
        _ => Err(format!("expected 0/1 (or on/off), got \"{v}\"")),
    }
}

fn u32_of(v: &str) -> Result<u32, String> {
    v.parse::<u32>()
        .map_err(|_| format!("expected a whole number, got \"{v}\""))
}

fn onoff(b: bool) -> String {
    if b { "1".into() } else { "0".into() }
}

fn opt_size(o: Option<u64>) -> String {
    o.map_or_else(|| "auto".into(), format_size)
}

fn opt_size_of(v: &str) -> Result<Option<u64>, String> {
    if v == "auto" {
        Ok(None)
    } else {
        parse_size(v).map(Some)
    }
}

fn secs_of(v: &str) -> Result<u64, String> {
    let n = u32_of(v.strip_suffix('s').unwrap_or(v))? as u64;
    if !(1..=3600).contains(&n) {
        return Err("must be from 1 to 3600 seconds".into());
    }
    Ok(n)
}

fn opt_u32(o: Option<u32>) -> String {
    o.map_or_else(|| "auto".into(), |v| v.to_string())
}

fn opt_u32_of(v: &str) -> Result<Option<u32>, String> {
    if v == "auto" {
        Ok(None)
    } else {
        u32_of(v).map(Some)
    }
}

/// Every knob the model implements, in the order of pager-model.md §8.1.
pub const KNOBS: &[Knob] = &[
    Knob {
        name: "vfs.max_readahead",
        help: "cap on cluster_readx read-ahead in bytes (0 = one block; hard cap 16M)",
        set: |k, v| {
            k.max_readahead = parse_size(v)?.min(16 << 20);
            Ok(())
        },
        get: |k| format_size(k.max_readahead),
    },
    Knob {
        name: "seq_unit",
        help: "bytes per f_seqcount step in the read/write sequential heuristic (BKVASIZE)",
        set: |k, v| {
            let s = parse_size(v)?;
            if s == 0 {
                return Err("must be greater than zero".into());
            }
            k.seq_unit = s;
            Ok(())
        },
        get: |k| format_size(k.seq_unit),
    },
    Knob {
        name: "io_seqmax",
        help: "cap of f_seqcount (IO_SEQMAX), also the seqcount of fault read-ahead",
        set: |k, v| {
            let n = u32_of(v)?;
            if !(1..=127).contains(&n) {
                return Err("must be in 1..=127".into());
            }
            k.io_seqmax = n;
            Ok(())
        },
        get: |k| k.io_seqmax.to_string(),
    },
    Knob {
        name: "seqaccess",
        help: "fault read-ahead request: max (snapshot: maximum unless MADV_RANDOM) | never",
        set: |k, v| {
            k.seqaccess = match v {
                "max" => SeqAccess::Max,
                "never" => SeqAccess::Never,
                _ => return Err(format!("expected max or never, got \"{v}\"")),
            };
            Ok(())
        },
        get: |k| match k.seqaccess {
            SeqAccess::Max => "max".into(),
            SeqAccess::Never => "never".into(),
        },
    },
    Knob {
        name: "vm_shared_fault",
        help: "1 = quick fault path (blind to PG_RAM); 0 = always the slow path",
        set: |k, v| {
            k.vm_shared_fault = bool_of(v)?;
            Ok(())
        },
        get: |k| onoff(k.vm_shared_fault),
    },
    Knob {
        name: "vm.prefault_pages",
        help: "pages probed around a fault for prefaulting (alternating +1,-1,+2,...; cap 1024)",
        set: |k, v| {
            k.prefault_pages = u32_of(v)?.min(1024);
            Ok(())
        },
        get: |k| k.prefault_pages.to_string(),
    },
    Knob {
        name: "prefault_dirty",
        help: "1 = a write fault enters prefaulted neighbours writable and dirties them",
        set: |k, v| {
            k.prefault_dirty = bool_of(v)?;
            Ok(())
        },
        get: |k| onoff(k.prefault_dirty),
    },
    Knob {
        name: "f_iosize",
        help: "filesystem block size in bytes (4K..64K, power of two; fragments are 1/8)",
        set: |k, v| {
            let b = parse_size(v)?;
            if !(4096..=65536).contains(&b) || !b.is_power_of_two() {
                return Err("must be a power of two from 4K to 64K".into());
            }
            k.f_iosize = b;
            Ok(())
        },
        get: |k| format_size(k.f_iosize),
    },
    Knob {
        name: "mnt_iosize_max",
        help: "largest cluster I/O in bytes (UFS: min(device max, MAXPHYS))",
        set: |k, v| {
            let b = parse_size(v)?;
            if !(4096..=(16 << 20)).contains(&b) {
                return Err("must be from 4K to 16M".into());
            }
            k.mnt_iosize_max = b;
            Ok(())
        },
        get: |k| format_size(k.mnt_iosize_max),
    },
    Knob {
        name: "noclusterr",
        help: "1 = mount without read clustering (breadn with one block of read-ahead)",
        set: |k, v| {
            k.noclusterr = bool_of(v)?;
            Ok(())
        },
        get: |k| onoff(k.noclusterr),
    },
    Knob {
        name: "vfs.vm_cycle_point",
        help: "b_act_count at or above which torn-down buffer pages go to active, not inactive",
        set: |k, v| {
            let n = u32_of(v)?;
            if n > 64 {
                return Err("must be in 0..=64".into());
            }
            k.vm_cycle_point = n as u8;
            Ok(())
        },
        get: |k| k.vm_cycle_point.to_string(),
    },
    Knob {
        name: "kern.nbuf",
        help: "buffer headers (auto = the machdep.c formula from --mem, cap 64000)",
        set: |k, v| {
            k.nbuf = match v {
                "auto" => None,
                _ => {
                    let n = u32_of(v)? as u64;
                    if n < 16 {
                        return Err("must be at least 16".into());
                    }
                    Some(n)
                }
            };
            Ok(())
        },
        get: |k| k.nbuf.map_or_else(|| "auto".into(), |v| v.to_string()),
    },
    Knob {
        name: "v_free_min",
        help: "pages; reserved/severe/pageout_free_min/interrupt_free_min follow it (auto = §4)",
        set: |k, v| {
            k.v_free_min = opt_u32_of(v)?;
            Ok(())
        },
        get: |k| opt_u32(k.v_free_min),
    },
    Knob {
        name: "v_free_target",
        help: "pages the pageout daemon frees toward (auto = §4)",
        set: |k, v| {
            k.v_free_target = opt_u32_of(v)?;
            Ok(())
        },
        get: |k| opt_u32(k.v_free_target),
    },
    Knob {
        name: "v_cache_min",
        help: "pages of cache queue the daemon keeps beyond v_free_min (auto = §4)",
        set: |k, v| {
            k.v_cache_min = opt_u32_of(v)?;
            Ok(())
        },
        get: |k| opt_u32(k.v_cache_min),
    },
    Knob {
        name: "v_inactive_target",
        help: "pages the daemon keeps on the inactive queue (auto = F0/4)",
        set: |k, v| {
            k.v_inactive_target = opt_u32_of(v)?;
            Ok(())
        },
        get: |k| opt_u32(k.v_inactive_target),
    },
    Knob {
        name: "vm.max_launder",
        help: "launder runs per pageout pass 0 (later passes: 10000)",
        set: |k, v| {
            let n = u32_of(v)?;
            if n == 0 {
                return Err("must be at least 1".into());
            }
            k.max_launder = n;
            Ok(())
        },
        get: |k| k.max_launder.to_string(),
    },
    Knob {
        name: "noclusterw",
        help: "1 = mount without write clustering (full blocks are bawrite'd at once)",
        set: |k, v| {
            k.noclusterw = bool_of(v)?;
            Ok(())
        },
        get: |k| onoff(k.noclusterw),
    },
    Knob {
        name: "vfs.write_behind",
        help: "cluster_write pushes: 0 never, 1 the full cluster (default), 2 one cluster behind",
        set: |k, v| {
            let n = u32_of(v)?;
            if n > 2 {
                return Err("must be 0, 1 or 2".into());
            }
            k.write_behind = n as u8;
            Ok(())
        },
        get: |k| k.write_behind.to_string(),
    },
    Knob {
        name: "vfs.hidirtybufspace",
        help: "dirty+running bytes at which writes turn into immediate bawrites (auto = hibufspace/2)",
        set: |k, v| {
            k.hidirtybufspace = opt_size_of(v)?;
            Ok(())
        },
        get: |k| opt_size(k.hidirtybufspace),
    },
    Knob {
        name: "vfs.lodirtybufspace",
        help: "buf_daemon flushes while dirty+running exceeds half of this (auto = hidirtybufspace/2)",
        set: |k, v| {
            k.lodirtybufspace = opt_size_of(v)?;
            Ok(())
        },
        get: |k| opt_size(k.lodirtybufspace),
    },
    Knob {
        name: "vfs.hirunningspace",
        help: "bytes of write I/O in flight before flushers wait (auto = max(hibufspace/16, 1M))",
        set: |k, v| {
            // Check before assigning: a refused value must leave the knob as it was.
            let b = opt_size_of(v)?;
            if b == Some(0) {
                return Err("must be greater than zero".into());
            }
            k.hirunningspace = b;
            Ok(())
        },
        get: |k| opt_size(k.hirunningspace),
    },
    Knob {
        name: "kern.filedelay",
        help: "seconds from a vnode's first dirty buffer to its syncer visit (1..30 used)",
        set: |k, v| {
            k.filedelay = secs_of(v)?;
            Ok(())
        },
        get: |k| k.filedelay.to_string(),
    },
    Knob {
        name: "kern.syncdelay",
        help: "seconds a vnode still dirty after its visit waits (+1: the syncer has already moved on), and the syncer vnode's period (+1)",
        set: |k, v| {
            k.syncdelay = secs_of(v)?;
            Ok(())
        },
        get: |k| k.syncdelay.to_string(),
    },
    Knob {
        name: "lazy_limit",
        help: "bytes the syncer's lazy flush issues per vnode visit",
        set: |k, v| {
            let b = parse_size(v)?;
            if b == 0 {
                return Err("must be greater than zero".into());
            }
            k.lazy_limit = b;
            Ok(())
        },
        get: |k| format_size(k.lazy_limit),
    },
    Knob {
        name: "vm_pageout_page_count",
        help: "pages per launder run and per page-clean run (auto = 16, or 8 below 2000 pages)",
        set: |k, v| {
            // Check before assigning: a refused value must leave the knob as it was.
            let n = opt_u32_of(v)?;
            if let Some(n) = n
                && !(1..=32).contains(&n)
            {
                return Err("must be from 1 to 32".into());
            }
            k.pageout_page_count = n;
            Ok(())
        },
        get: |k| opt_u32(k.pageout_page_count),
    },
    Knob {
        name: "launder_forward",
        help: "1 = repair the snapshot's launder forward scan (runs may grow upward too)",
        set: |k, v| {
            k.launder_fixed = bool_of(v)?;
            Ok(())
        },
        get: |k| onoff(k.launder_fixed),
    },
    Knob {
        name: "pageout_dirty_lap",
        help: "1 = a dirty inactive page gets one extra lap before laundering (PG_WINATCFLS)",
        set: |k, v| {
            k.dirty_lap = bool_of(v)?;
            Ok(())
        },
        get: |k| onoff(k.dirty_lap),
    },
    Knob {
        name: "vm_pageout_algorithm",
        help: "1 = the active scan deactivates every page whose act_count declines",
        set: |k, v| {
            k.pageout_algorithm = bool_of(v)?;
            Ok(())
        },
        get: |k| onoff(k.pageout_algorithm),
    },
    Knob {
        name: "vm_pageout_stats_interval",
        help: "seconds between the pageout daemon's idle stats scans",
        set: |k, v| {
            k.stats_interval = secs_of(v)?;
            Ok(())
        },
        get: |k| k.stats_interval.to_string(),
    },
    Knob {
        name: "forced_sync",
        help: "putpages goes synchronous when free+cache < v_pageout_free_min: off | x1 | x4",
        set: |k, v| {
            k.forced_sync = match v {
                "off" => ForcedSync::Off,
                "x1" => ForcedSync::X1,
                "x4" => ForcedSync::X4,
                _ => return Err(format!("expected off, x1 or x4, got \"{v}\"")),
            };
            Ok(())
        },
        get: |k| match k.forced_sync {
            ForcedSync::Off => "off".into(),
            ForcedSync::X1 => "x1".into(),
            ForcedSync::X4 => "x4".into(),
        },
    },
    Knob {
        name: "msync_needs_cleanchk",
        help: "1 = page-clean pass 2 takes only PG_CLEANCHK pages (partial msync caveat, §6.7)",
        set: |k, v| {
            k.msync_needs_cleanchk = bool_of(v)?;
            Ok(())
        },
        get: |k| onoff(k.msync_needs_cleanchk),
    },
    Knob {
        name: "truncate",
        help: "truncation path: ufs (ffs_truncate, default) | generic (the seed's setsize)",
        set: |k, v| {
            k.truncate = match v {
                "ufs" => TruncatePath::Ufs,
                "generic" => TruncatePath::Generic,
                _ => return Err(format!("expected ufs or generic, got \"{v}\"")),
            };
            Ok(())
        },
        get: |k| match k.truncate {
            TruncatePath::Ufs => "ufs".into(),
            TruncatePath::Generic => "generic".into(),
        },
    },
    Knob {
        name: "kernel_pct",
        help: "percent of RAM the kernel itself holds at boot (F0 = P minus this), 0..=50",
        set: |k, v| {
            let n = u32_of(v)?;
            if n > 50 {
                return Err("must be in 0..=50".into());
            }
            k.kernel_pct = n;
            Ok(())
        },
        get: |k| k.kernel_pct.to_string(),
    },
];

impl Knobs {
    /// Apply one `NAME=VALUE` assignment; errors list the valid knob names.
    pub fn set(&mut self, assignment: &str) -> Result<(), String> {
        let Some((name, value)) = assignment.split_once('=') else {
            return Err(format!(
                "--set expects KNOB=VALUE, got \"{assignment}\"; knobs: {}",
                knob_names()
            ));
        };
        let (name, value) = (name.trim(), value.trim());
        let Some(knob) = KNOBS.iter().find(|k| k.name == name) else {
            return Err(format!(
                "unknown knob \"{name}\"; valid knobs: {}",
                knob_names()
            ));
        };
        (knob.set)(self, value).map_err(|e| format!("--set {name}={value}: {e}"))
    }

    /// `(name, value)` of every knob, defaults included.
    pub fn entries(&self) -> Vec<(&'static str, String)> {
        KNOBS.iter().map(|k| (k.name, (k.get)(self))).collect()
    }
}

/// Comma-separated list of every knob name.
pub fn knob_names() -> String {
    KNOBS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
}

/// The thresholds of §4, derived once from `--mem`, `--unavailable` and the knobs.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub knobs: Knobs,
    pub mem: u64,
    pub unavailable: u64,
    /// `v_page_count` (P).
    pub page_count: u32,
    /// Pages free when the pageout thread starts (F0): P minus kernel minus unavailable.
    pub free0: u32,
    pub v_free_min: u32,
    pub v_free_reserved: u32,
    pub v_free_severe: u32,
    pub v_pageout_free_min: u32,
    pub v_interrupt_free_min: u32,
    pub v_free_target: u32,
    pub v_cache_min: u32,
    pub v_cache_max: u32,
    pub v_inactive_target: u32,
    pub vm_pageout_page_count: u32,
    pub nbuf: u64,
    pub maxbufspace: u64,
    pub hibufspace: u64,
    pub lobufspace: u64,
    pub hidirtybufspace: u64,
    pub lodirtybufspace: u64,
    pub hirunningspace: u64,
    pub nswbuf: u64,
    /// Cluster I/Os that may be in flight (`cluster_pbuf_freecnt` = nswbuf/2).
    pub cluster_pbufs: u64,
}

/// Smallest memory the model accepts: enough for the §4 formulas to leave a usable cache.
pub const MIN_MEM: u64 = 4 << 20;
/// Largest memory the model accepts: page indices are u32, so 2^32 - 1 pages (16 TiB
/// less one page).
pub const MAX_MEM: u64 = u32::MAX as u64 * 4096;

impl Params {
    /// Derive every threshold from the memory size, as sys/vm/vm_pageout.c and
    /// machdep.c/vfs_bio.c do at boot.
    pub fn derive(mem: u64, unavailable: u64, knobs: Knobs) -> Result<Params, String> {
        if mem < MIN_MEM {
            return Err(format!(
                "--mem {} is too small: at least {} is needed",
                format_size(mem),
                format_size(MIN_MEM)
            ));
        }
        if mem > MAX_MEM {
            return Err(format!(
                "--mem {} is too large: at most {MAX_MEM} bytes (16T less 4K: {} pages of 4 KiB, the largest page count the model indexes) is supported",
                format_size(mem),
                u32::MAX
            ));
        }
        let p = (mem / 4096) as u32;
        let kernel = (p as u64 * knobs.kernel_pct as u64 / 100) as u32;
        let unavail_pages = (unavailable.div_ceil(4096)).min(u32::MAX as u64) as u32;
        let free0 = p.saturating_sub(kernel).saturating_sub(unavail_pages);
        // The page-count formulas run in u64: the knobs may set any u32 page count, and
        // the formulas multiply them. Every value is checked to fit a u32 below.
        let v_free_min = u64::from(knobs.v_free_min.unwrap_or(if p <= 1024 {
            64
        } else {
            64 + (p - 1024) / 200
        }));
        let v_free_reserved = v_free_min * 4 / 8 + 7;
        let v_free_severe = v_free_min * 4 / 8;
        let v_pageout_free_min = v_free_min * 2 / 8 + 7;
        let v_interrupt_free_min = v_free_min / 8 + 7;
        let v_free_target = knobs.v_free_target.map_or(
            if free0 > 6144 {
                4 * v_free_min + v_free_reserved
            } else {
                2 * v_free_min + v_free_reserved
            },
            u64::from,
        );
        let (cmin, cmax) = if free0 > 2048 {
            (v_free_target, 2 * v_free_target)
        } else {
            (0, 0)
        };
        let v_cache_min = knobs.v_cache_min.map_or(cmin, u64::from);
        let v_cache_max = cmax.max(v_cache_min);
        let v_inactive_target = knobs.v_inactive_target.unwrap_or(free0 / 4);
        if u64::from(free0) < v_free_min + v_cache_min + 64 {
            return Err(format!(
                "--mem {} leaves only {free0} pages for the file cache after the kernel and \
                 --unavailable; the pageout thresholds need more than {} (raise --mem or lower --unavailable)",
                format_size(mem),
                v_free_min + v_cache_min + 64
            ));
        }
        let pages = |name: &str, v: u64| {
            u32::try_from(v).map_err(|_| {
                format!("{name} would be {v} pages, more than a u32 page count: lower the knobs")
            })
        };
        let v_free_min = pages("v_free_min", v_free_min)?;
        let v_free_reserved = pages("v_free_reserved", v_free_reserved)?;
        let v_free_severe = pages("v_free_severe", v_free_severe)?;
        let v_pageout_free_min = pages("v_pageout_free_min", v_pageout_free_min)?;
        let v_interrupt_free_min = pages("v_interrupt_free_min", v_interrupt_free_min)?;
        let v_free_target = pages("v_free_target", v_free_target)?;
        let v_cache_min = pages("v_cache_min", v_cache_min)?;
        let v_cache_max = pages("v_cache_max", v_cache_max)?;
        let vm_pageout_page_count =
            knobs
                .pageout_page_count
                .unwrap_or(if p < 2000 { 8 } else { 16 });

        // machdep.c: nbuf from physical memory in KiB, factor = 4·BKVASIZE/1024 = 64.
        let k = mem / 1024;
        let mut nbuf: u64 = 50;
        if k > 4096 {
            nbuf += ((k - 4096) / 64).min(65536 / 64);
        }
        if k > 65536 {
            nbuf += (k - 65536) * 2 / (64 * 5);
        }
        nbuf = nbuf.min((1000 << 20) / (16 << 10));
        if let Some(n) = knobs.nbuf {
            nbuf = n;
        }
        let maxbufspace = nbuf * (16 << 10);
        let hibufspace = (maxbufspace * 3 / 4).max(maxbufspace.saturating_sub(640 << 10));
        let lobufspace = hibufspace.saturating_sub(64 << 10);
        let hidirtybufspace = knobs.hidirtybufspace.unwrap_or(hibufspace / 2);
        let lodirtybufspace = knobs.lodirtybufspace.unwrap_or(hidirtybufspace / 2);
        let hirunningspace = knobs
            .hirunningspace
            .unwrap_or((hibufspace / 16).max(1 << 20));
        let nswbuf = (nbuf / 4).clamp(16, 256);
        Ok(Params {
            knobs,
            mem,
            unavailable,
            page_count: p,
            free0,
            v_free_min,
            v_free_reserved,
            v_free_severe,
            v_pageout_free_min,
            v_interrupt_free_min,
            v_free_target,
            v_cache_min,
            v_cache_max,
            v_inactive_target,
            vm_pageout_page_count,
            nbuf,
            maxbufspace,
            hibufspace,
            lobufspace,
            hidirtybufspace,
            lodirtybufspace,
            hirunningspace,
            nswbuf,
            cluster_pbufs: nswbuf / 2,
        })
    }

    /// The derived values, for the `config` section of the output.
    pub fn derived_entries(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("v_page_count", self.page_count as u64),
            ("free0", self.free0 as u64),
            ("v_free_min", self.v_free_min as u64),
            ("v_free_reserved", self.v_free_reserved as u64),
            ("v_free_severe", self.v_free_severe as u64),
            ("v_pageout_free_min", self.v_pageout_free_min as u64),
            ("v_interrupt_free_min", self.v_interrupt_free_min as u64),
            ("v_free_target", self.v_free_target as u64),
            ("v_cache_min", self.v_cache_min as u64),
            ("v_cache_max", self.v_cache_max as u64),
            ("v_inactive_target", self.v_inactive_target as u64),
            ("vm_pageout_page_count", self.vm_pageout_page_count as u64),
            ("nbuf", self.nbuf),
            ("maxbufspace", self.maxbufspace),
            ("hibufspace", self.hibufspace),
            ("lobufspace", self.lobufspace),
            ("hidirtybufspace", self.hidirtybufspace),
            ("lodirtybufspace", self.lodirtybufspace),
            ("hirunningspace", self.hirunningspace),
            ("nswbuf", self.nswbuf),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knobs_1g() -> Knobs {
        Knobs::default()
    }

    #[test]
    fn one_gib_matches_the_table() {
        // pager-model.md §4, 1 GiB column.
        let p = Params::derive(1 << 30, 0, knobs_1g()).unwrap();
        assert_eq!(p.page_count, 262144);
        assert_eq!(p.v_free_min, 1369);
        assert_eq!(p.v_free_reserved, 691);
        assert_eq!(p.v_free_severe, 684);
        assert_eq!(p.v_pageout_free_min, 349);
        assert_eq!(p.v_interrupt_free_min, 178);
        assert_eq!(p.v_free_target, 6167);
        assert_eq!((p.v_cache_min, p.v_cache_max), (6167, 12334));
        // "≈63.6 K" pages.
        assert_eq!(tenths(p.v_inactive_target as f64 / 1000.0), 636);
        // Paging starts below 7536 pages, 29 MiB.
        assert_eq!(p.v_free_min + p.v_cache_min, 7536);
        let mib = ((p.v_free_min + p.v_cache_min) * 4096) as f64 / (1u64 << 20) as f64;
        assert_eq!(mib.round(), 29.0);
        assert_eq!(p.v_free_target + p.v_cache_min, 12334);
        assert_eq!(p.nbuf, 7218);
        // The buffer-cache table, in MiB to one decimal as printed there.
        assert_eq!(
            buffer_mib(&p),
            [1122, 561, 280, 140, 70],
            "hibufspace, hidirty, lodirty, buf_daemon floor, hirunning"
        );
        assert_eq!(p.vm_pageout_page_count, 16);
    }

    /// `x` in tenths, rounded to nearest (the table prints one decimal).
    fn tenths(x: f64) -> u64 {
        (x * 10.0).round() as u64
    }

    /// hibufspace, hidirtybufspace, lodirtybufspace, the buf_daemon floor and
    /// hirunningspace in tenths of a MiB.
    fn buffer_mib(p: &Params) -> [u64; 5] {
        let m = |b: u64| tenths(b as f64 / (1u64 << 20) as f64);
        [
            m(p.hibufspace),
            m(p.hidirtybufspace),
            m(p.lodirtybufspace),
            m(p.lodirtybufspace / 2),
            m(p.hirunningspace),
        ]
    }

    #[test]
    fn four_gib_matches_the_table() {
        let p = Params::derive(4 << 30, 0, knobs_1g()).unwrap();
        assert_eq!(p.v_free_min, 5301);
        assert_eq!(p.v_free_reserved, 2657);
        assert_eq!(p.v_free_severe, 2650);
        assert_eq!(p.v_pageout_free_min, 1332);
        assert_eq!(p.v_interrupt_free_min, 669);
        assert_eq!(p.v_free_target, 23861);
        assert_eq!(p.v_cache_max, 47722);
        assert_eq!(p.v_free_min + p.v_cache_min, 29162);
        let mib = ((p.v_free_min + p.v_cache_min) * 4096) as f64 / (1u64 << 20) as f64;
        assert_eq!(mib.round(), 114.0);
        assert_eq!(p.nbuf, 26878);
        // The digest prints hibufspace as 419.4 MiB, but its own formula gives
        // 26878 × 16 KiB − 640 KiB = 419.34 MiB (the other figures agree).
        assert_eq!(buffer_mib(&p), [4193, 2097, 1048, 524, 262]);
        // ≥ 16 GiB: nbuf capped by maxbcache (1000 MiB); the table rounds the dirty
        // figures to whole MiB (500 / 250 / 125) and hirunning to 62.5.
        for gib in [16u64, 24, 64] {
            let big = Params::derive(gib << 30, 0, knobs_1g()).unwrap();
            assert_eq!(big.nbuf, 64000);
            let [hi, hid, lod, floor, run] = buffer_mib(&big);
            assert_eq!(hi, 9994);
            let whole = |t: u64| (t + 5) / 10;
            assert_eq!(
                (whole(hid), whole(lod), whole(floor), run),
                (500, 250, 125, 625)
            );
        }
    }

    #[test]
    fn unavailable_memory_shrinks_f0() {
        let a = Params::derive(1 << 30, 0, knobs_1g()).unwrap();
        let b = Params::derive(1 << 30, 256 << 20, knobs_1g()).unwrap();
        assert_eq!(a.free0 - b.free0, 65536);
        assert!(Params::derive(64 << 20, 63 << 20, knobs_1g()).is_err());
        assert!(Params::derive(1 << 20, 0, knobs_1g()).is_err());
    }

    #[test]
    fn knob_errors_list_names() {
        let mut k = Knobs::default();
        k.set("vfs.max_readahead=0").unwrap();
        assert_eq!(k.max_readahead, 0);
        k.set("f_iosize=4096").unwrap();
        assert_eq!(k.f_iosize, 4096);
        let e = k.set("vfs.bogus=1").unwrap_err();
        assert!(e.contains("unknown knob \"vfs.bogus\""), "{e}");
        assert!(e.contains("vm.prefault_pages"), "{e}");
        let e = k.set("f_iosize=3000").unwrap_err();
        assert!(e.contains("power of two"), "{e}");
        assert!(k.set("noequals").is_err());
        assert!(k.set("vm_shared_fault=maybe").is_err());
    }

    #[test]
    fn every_knob_round_trips_through_its_own_output() {
        let k = Knobs::default();
        for (name, value) in k.entries() {
            let mut k2 = Knobs::default();
            k2.set(&format!("{name}={value}"))
                .unwrap_or_else(|e| panic!("{name}={value}: {e}"));
            assert_eq!(k2, k, "{name}");
        }
    }
}
