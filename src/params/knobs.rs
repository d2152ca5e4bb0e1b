//! The `--set KNOB=VALUE` knobs of pager-model.md §8.1 that the model implements.
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
    /// `kern.maxvnodes` (`desiredvnodes`); None = the vfs_subr.c formula.
    pub maxvnodes: Option<u32>,
    /// `debug.wantfreevnodes`: free vnodes needed before allocvnode reuses one.
    pub wantfreevnodes: u32,
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
            maxvnodes: None,
            wantfreevnodes: 25,
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
        name: "kern.maxvnodes",
        help: "vnodes kept before vnlru recycles unused ones (auto = vfs_subr.c's formula from --mem)",
        set: |k, v| {
            k.maxvnodes = match v {
                "auto" => None,
                _ => {
                    let n = u32_of(v)?;
                    if n < 1 {
                        return Err("must be at least 1".into());
                    }
                    Some(n)
                }
            };
            Ok(())
        },
        get: |k| k.maxvnodes.map_or_else(|| "auto".into(), |v| v.to_string()),
    },
    Knob {
        name: "debug.wantfreevnodes",
        help: "free vnodes needed before a new file reuses one instead of allocating (vfs_lock.c)",
        set: |k, v| {
            k.wantfreevnodes = u32_of(v)?;
            Ok(())
        },
        get: |k| k.wantfreevnodes.to_string(),
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
