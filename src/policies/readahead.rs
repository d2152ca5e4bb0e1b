//! Read-ahead family: how much to read when a read(2) or a pagein needs a block.
//!
//! The engine calls [`ReadAhead::on_access`] for every block a read needs and for every
//! pagein, and [`ReadAhead::on_marker`] when a read or fault reaches a block the policy
//! marked. A policy answers with a [`RaPlan`]: DragonFly's own `cluster_readx` with a
//! `maxreq`, or an explicit window of blocks (synchronous part, asynchronous part,
//! marker) that the engine reads as physically contiguous clusters.

use super::{PolicyInfo, Spec, lookup};
use crate::params::{Knobs, SeqAccess};
use rustc_hash::FxHashMap;

/// madvise advice of the mapping a fault goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Advice {
    Normal,
    Random,
    Sequential,
}

/// What the engine tells a read-ahead policy about one access.
#[derive(Clone, Copy, Debug)]
pub struct RaCtx {
    /// File and process (per-open-file state is keyed by them).
    pub file: u32,
    pub pid: u32,
    /// For faults: the mapping (per-mapping state), else `None`.
    pub map: Option<u32>,
    pub advice: Advice,
    /// The block needed, the block size and the file size in bytes.
    pub lblk: u64,
    pub bsize: u64,
    pub filesize: u64,
    /// The request: byte range of the read, or the faulting page.
    pub offset: u64,
    pub len: u64,
    /// The needed block is already in memory and valid.
    pub cached: bool,
    /// DragonFly's sequential heuristic for this open file (`f_seqcount`).
    pub seqcount: u32,
    /// Whether a cached run of blocks immediately precedes `lblk` (and how long).
    pub history_blocks: u64,
    /// The kernel's read-ahead knobs in force: bytes per seqcount step, IO_SEQMAX,
    /// and whether faults may ask for read-ahead at all (`seqaccess`).
    pub seq_unit: u64,
    pub io_seqmax: u32,
    pub fault_seqaccess: bool,
}

/// How to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaPlan {
    /// DragonFly's `cluster_readx` (or `bread` for the last block) with this `maxreq`.
    Cluster { maxreq: u64 },
    /// Read blocks `[start, end)` that are not cached: those below `sync_end` (which
    /// include the needed block) synchronously, the rest asynchronously; mark block
    /// `mark` so that reaching it calls [`ReadAhead::on_marker`].
    Window {
        start: u64,
        sync_end: u64,
        end: u64,
        mark: Option<u64>,
    },
    /// Nothing to read (the block is cached and no read-ahead is due).
    Nothing,
}

/// A read-ahead policy.
pub trait ReadAhead: Send {
    fn name(&self) -> &'static str;
    /// Effective keys, for the `config` section (round-trips through the spec parser).
    fn params(&self) -> Vec<(&'static str, String)>;
    /// A read or pagein needs block `ctx.lblk`.
    fn on_access(&mut self, ctx: &RaCtx) -> RaPlan;
    /// A read or fault reached a block this policy marked.
    fn on_marker(&mut self, _ctx: &RaCtx) -> RaPlan {
        RaPlan::Nothing
    }
    /// A fault found its page resident (minor fault or no fault).
    fn on_fault_hit(&mut self, _ctx: &RaCtx) {}
    /// Whether `on_access` reads [`RaCtx::history_blocks`]. Counting the cached run
    /// before a missed block costs up to 64 buffer lookups, so the engine does it only
    /// for policies that look at it.
    fn uses_history(&self) -> bool {
        false
    }
    /// The spec string of this policy with every key.
    fn spec(&self) -> String {
        Spec::render(self.name(), &self.params())
    }
}

pub const POLICIES: &[PolicyInfo] = &[
    PolicyInfo {
        name: "dragonfly",
        help: "the snapshot: f_seqcount/IO_SEQMAX, cluster_readx with B_RAM, maximal fault read-ahead",
        keys: &[
            ("max_readahead", "2M", "vfs.max_readahead"),
            ("seq_unit", "16K", "bytes per f_seqcount step"),
            ("seqmax", "127", "IO_SEQMAX"),
            (
                "shared_fault",
                "1",
                "vm_shared_fault (quick path blind to PG_RAM)",
            ),
            ("prefault", "8", "vm.prefault_pages"),
            (
                "seqaccess",
                "max",
                "fault read-ahead: max | never | detect (per-mapping sequential detection)",
            ),
        ],
    },
    PolicyInfo {
        name: "none",
        help: "one block per miss, no read-ahead anywhere",
        keys: &[],
    },
    PolicyInfo {
        name: "fixed",
        help: "on every miss read the needed page and the pages after it, N in all, synchronously",
        keys: &[("pages", "8", "pages per miss")],
    },
    PolicyInfo {
        name: "linux",
        help: "Linux on-demand read-ahead (per-file window, ramp x4/x2, async marker, context read-ahead; mmap read-around)",
        keys: &[("max", "32", "ra_pages (read_ahead_kb/4)")],
    },
    PolicyInfo {
        name: "freebsd",
        help: "FreeBSD adaptive fault clustering for mmap faults; file reads as dragonfly",
        keys: &[],
    },
];

fn num(spec: &Spec, key: &str, default: u64) -> Result<u64, String> {
    match spec.params.iter().find(|(k, _)| k == key) {
        Some((_, v)) => v
            .parse::<u64>()
            .map_err(|_| format!("{}: {key}={v} is not a whole number", spec.name)),
        None => Ok(default),
    }
}

/// Parse a read-ahead spec; dragonfly's keys set the corresponding kernel knobs.
pub fn parse(s: &str, knobs: &mut Knobs) -> Result<Box<dyn ReadAhead>, String> {
    let (spec, info) = lookup("read-ahead", s, POLICIES)?;
    Ok(match info.name {
        "dragonfly" => {
            let mut detect = false;
            for (k, v) in &spec.params {
                let r = match k.as_str() {
                    "max_readahead" => knobs.set(&format!("vfs.max_readahead={v}")),
                    "seq_unit" => knobs.set(&format!("seq_unit={v}")),
                    "seqmax" => knobs.set(&format!("io_seqmax={v}")),
                    "shared_fault" => knobs.set(&format!("vm_shared_fault={v}")),
                    "prefault" => knobs.set(&format!("vm.prefault_pages={v}")),
                    "seqaccess" if v == "detect" => {
                        detect = true;
                        knobs.set("seqaccess=max")
                    }
                    "seqaccess" => knobs.set(&format!("seqaccess={v}")),
                    _ => Ok(()),
                };
                r.map_err(|e| format!("read-ahead dragonfly: {e}"))?;
            }
            Box::new(Dragonfly {
                knobs: knobs.clone(),
                detect,
                last_fault: FxHashMap::default(),
            })
        }
        "none" => Box::new(NoReadAhead),
        "fixed" => {
            let pages = num(&spec, "pages", 8)?;
            if !(1..=4096).contains(&pages) {
                return Err("read-ahead fixed: pages must be from 1 to 4096".into());
            }
            Box::new(Fixed { pages })
        }
        "linux" => {
            let max = num(&spec, "max", 32)?;
            if !(1..=65536).contains(&max) {
                return Err("read-ahead linux: max must be from 1 to 65536 pages".into());
            }
            Box::new(Linux {
                max,
                files: FxHashMap::default(),
                mmap_miss: FxHashMap::default(),
            })
        }
        _ => Box::new(FreeBsd {
            dragonfly: Dragonfly {
                knobs: knobs.clone(),
                detect: false,
                last_fault: FxHashMap::default(),
            },
            maps: FxHashMap::default(),
        }),
    })
}

/// Pages → the block range covering `[first_page, first_page + n)`.
fn pages_to_blocks(first_page: u64, n: u64, bsize: u64) -> (u64, u64) {
    let start = first_page * 4096 / bsize;
    let end = (first_page + n.max(1)) * 4096;
    (start, end.div_ceil(bsize))
}

/// Clip a block range to the file.
fn clip(end: u64, filesize: u64, bsize: u64) -> u64 {
    end.min(filesize.div_ceil(bsize).max(1))
}

// ---- dragonfly ----

/// DragonFly's own read-ahead: `cluster_readx` with `maxreq = seqcount · seq_unit`;
/// faults ask for IO_SEQMAX unless MADV_RANDOM (or `seqaccess=never`, or with
/// `seqaccess=detect` unless the fault continues the mapping's previous one).
pub struct Dragonfly {
    knobs: Knobs,
    detect: bool,
    last_fault: FxHashMap<u32, u64>,
}

impl ReadAhead for Dragonfly {
    fn name(&self) -> &'static str {
        "dragonfly"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let k = &self.knobs;
        let seqaccess = if self.detect {
            "detect".to_string()
        } else {
            match k.seqaccess {
                SeqAccess::Max => "max".into(),
                SeqAccess::Never => "never".into(),
            }
        };
        vec![
            (
                "max_readahead",
                crate::units::format_size_exact(k.max_readahead),
            ),
            ("seq_unit", crate::units::format_size_exact(k.seq_unit)),
            ("seqmax", k.io_seqmax.to_string()),
            (
                "shared_fault",
                if k.vm_shared_fault {
                    "1".into()
                } else {
                    "0".into()
                },
            ),
            ("prefault", k.prefault_pages.to_string()),
            ("seqaccess", seqaccess),
        ]
    }

    fn on_access(&mut self, ctx: &RaCtx) -> RaPlan {
        let seq = match ctx.map {
            Some(map) => {
                let pindex = ctx.offset / 4096;
                let sequential = if self.detect {
                    let prev = self.last_fault.insert(map, pindex);
                    prev.is_some_and(|p| p + 1 == pindex || p == pindex)
                } else {
                    true
                };
                if ctx.advice == Advice::Random || !ctx.fault_seqaccess || !sequential {
                    0
                } else {
                    ctx.io_seqmax
                }
            }
            None => ctx.seqcount,
        };
        RaPlan::Cluster {
            maxreq: seq as u64 * ctx.seq_unit,
        }
    }
}

// ---- none ----

/// No read-ahead anywhere: exactly the needed block on a miss.
pub struct NoReadAhead;

impl ReadAhead for NoReadAhead {
    fn name(&self) -> &'static str {
        "none"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn on_access(&mut self, ctx: &RaCtx) -> RaPlan {
        if ctx.cached {
            return RaPlan::Nothing;
        }
        RaPlan::Window {
            start: ctx.lblk,
            sync_end: ctx.lblk + 1,
            end: ctx.lblk + 1,
            mark: None,
        }
    }
}

// ---- fixed ----

/// On every miss, the needed page and the following ones, `pages` in all, read
/// synchronously (rounded out to blocks).
pub struct Fixed {
    pages: u64,
}

impl ReadAhead for Fixed {
    fn name(&self) -> &'static str {
        "fixed"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("pages", self.pages.to_string())]
    }

    fn on_access(&mut self, ctx: &RaCtx) -> RaPlan {
        if ctx.cached {
            return RaPlan::Nothing;
        }
        let page = (ctx.offset.max(ctx.lblk * ctx.bsize)) / 4096;
        let page = page.max(ctx.lblk * ctx.bsize / 4096);
        let (start, end) = pages_to_blocks(page, self.pages, ctx.bsize);
        let start = start.min(ctx.lblk);
        let end = clip(end.max(ctx.lblk + 1), ctx.filesize, ctx.bsize).max(ctx.lblk + 1);
        RaPlan::Window {
            start,
            sync_end: end,
            end,
            mark: None,
        }
    }
}

// ---- linux ----

/// Per-open-file read-ahead state (`struct file_ra_state`), in pages.
#[derive(Clone, Copy, Debug, Default)]
struct RaState {
    start: u64,
    size: u64,
    async_size: u64,
    /// Page after the previous read (`prev_pos` + 1), if any.
    next: Option<u64>,
}

/// Linux on-demand read-ahead (mm/readahead.c, §11.1).
pub struct Linux {
    max: u64,
    files: FxHashMap<(u32, u32), RaState>,
    mmap_miss: FxHashMap<u32, u64>,
}

impl Linux {
    /// `get_init_ra_size`: next power of two of the request, ×4 if ≤ max/32, ×2 if
    /// ≤ max/4, else max.
    fn init_size(max: u64, req: u64) -> u64 {
        let n = req.max(1).next_power_of_two();
        let size = if n <= max / 32 {
            n * 4
        } else if n <= max / 4 {
            n * 2
        } else {
            max
        };
        size.min(max)
    }

    /// `get_next_ra_size`: ×4 while small (< max/16), else ×2, capped at max.
    fn next_size(max: u64, cur: u64) -> u64 {
        let n = if cur < max / 16 { cur * 4 } else { cur * 2 };
        n.min(max)
    }

    /// The window as a plan: pages `[start, start+size)`, the first `size − async`
    /// (which hold the request) synchronously, marker on page `start + size − async`.
    fn plan(st: &RaState, ctx: &RaCtx, sync: bool) -> RaPlan {
        let (start, end) = pages_to_blocks(st.start, st.size, ctx.bsize);
        let end = clip(end, ctx.filesize, ctx.bsize).max(start + 1);
        let mark_page = st.start + st.size - st.async_size;
        let mark = (st.async_size > 0).then_some(mark_page * 4096 / ctx.bsize);
        let sync_end = if sync {
            (ctx.lblk + 1).max(start + 1).min(end)
        } else {
            start
        };
        RaPlan::Window {
            start: start.min(ctx.lblk),
            sync_end,
            end,
            // With blocks larger than pages the marker page may share the needed
            // block: marking it still works (it fires on the next access).
            mark: mark.filter(|m| *m < end && *m >= ctx.lblk),
        }
    }
}

impl ReadAhead for Linux {
    fn name(&self) -> &'static str {
        "linux"
    }

    fn uses_history(&self) -> bool {
        true
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("max", self.max.to_string())]
    }

    fn on_access(&mut self, ctx: &RaCtx) -> RaPlan {
        let first = ctx.offset / 4096;
        let req = if ctx.map.is_some() {
            1
        } else {
            (ctx.offset + ctx.len.max(1)).div_ceil(4096) - first
        };
        if let Some(map) = ctx.map {
            // mmap faults.
            match ctx.advice {
                Advice::Random => {
                    return if ctx.cached {
                        RaPlan::Nothing
                    } else {
                        RaPlan::Window {
                            start: ctx.lblk,
                            sync_end: ctx.lblk + 1,
                            end: ctx.lblk + 1,
                            mark: None,
                        }
                    };
                }
                Advice::Sequential => {}
                Advice::Normal => {
                    if ctx.cached {
                        return RaPlan::Nothing;
                    }
                    let miss = self.mmap_miss.entry(map).or_insert(0);
                    *miss += 1;
                    if *miss > 100 {
                        return RaPlan::Window {
                            start: ctx.lblk,
                            sync_end: ctx.lblk + 1,
                            end: ctx.lblk + 1,
                            mark: None,
                        };
                    }
                    // Read-around: ra_pages centred on the fault.
                    let st = RaState {
                        start: first.saturating_sub(self.max / 2),
                        size: self.max,
                        async_size: self.max / 4,
                        next: None,
                    };
                    self.files.insert((ctx.file, u32::MAX - map), st);
                    return Self::plan(&st, ctx, true);
                }
            }
        }
        let key = match ctx.map {
            Some(map) => (ctx.file, u32::MAX - map),
            None => (ctx.file, ctx.pid),
        };
        let max = self.max;
        let st = self.files.entry(key).or_default();
        let prev_next = st.next;
        st.next = Some(first + req);
        if ctx.cached {
            // A hit: read-ahead happens only at the marker (on_marker).
            return RaPlan::Nothing;
        }
        let sequential = first == 0
            || prev_next.is_some_and(|n| first == n || first + 1 == n || first == n + 1)
            || req > max;
        let mut new = if sequential {
            let size = Self::init_size(max, req);
            RaState {
                start: first,
                size,
                async_size: size.saturating_sub(req),
                next: st.next,
            }
        } else if ctx.history_blocks * ctx.bsize / 4096 >= req {
            // Context read-ahead: the cached run before us says this is a stream.
            let hist = ctx.history_blocks * ctx.bsize / 4096;
            let size = (hist * 2).clamp(req, max);
            RaState {
                start: first,
                size,
                async_size: size.saturating_sub(req),
                next: st.next,
            }
        } else {
            RaState {
                start: first,
                size: req,
                async_size: 0,
                next: st.next,
            }
        };
        new.size = new.size.max(req.min(max)).max(1);
        *self.files.entry(key).or_default() = new;
        Self::plan(&new, ctx, true)
    }

    fn on_marker(&mut self, ctx: &RaCtx) -> RaPlan {
        let key = match ctx.map {
            Some(map) => (ctx.file, u32::MAX - map),
            None => (ctx.file, ctx.pid),
        };
        if let Some(map) = ctx.map
            && let Some(m) = self.mmap_miss.get_mut(&map)
        {
            *m = m.saturating_sub(1);
        }
        let max = self.max;
        let st = self.files.entry(key).or_default();
        let first = ctx.offset / 4096;
        if st.size == 0 {
            // A marker without matching state: re-derive the window from here.
            st.start = first;
            st.size = 4.min(max);
        }
        let next = RaState {
            start: st.start + st.size,
            size: 0,
            async_size: 0,
            next: st.next,
        };
        let size = Self::next_size(max, st.size);
        let new = RaState {
            size,
            async_size: size,
            ..next
        };
        *st = new;
        let (start, end) = pages_to_blocks(new.start, new.size, ctx.bsize);
        let end = clip(end, ctx.filesize, ctx.bsize);
        if start >= end {
            return RaPlan::Nothing;
        }
        RaPlan::Window {
            start,
            sync_end: start,
            end,
            mark: Some(start).filter(|m| *m > ctx.lblk),
        }
    }
}

// ---- freebsd ----

/// Per-mapping fault clustering state (`vm_map_entry` read_ahead / next_read).
#[derive(Clone, Copy, Debug, Default)]
struct EntryRa {
    read_ahead: u64,
    next_read: Option<u64>,
}

/// FreeBSD's adaptive fault clustering (sys/vm/vm_fault.c, §11.3) for faults; file
/// reads as dragonfly. One synchronous multi-page read per fault.
pub struct FreeBsd {
    dragonfly: Dragonfly,
    maps: FxHashMap<u32, EntryRa>,
}

impl ReadAhead for FreeBsd {
    fn name(&self) -> &'static str {
        "freebsd"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn on_access(&mut self, ctx: &RaCtx) -> RaPlan {
        let Some(map) = ctx.map else {
            return self.dragonfly.on_access(ctx);
        };
        let p = ctx.offset / 4096;
        let e = self.maps.entry(map).or_default();
        let sequential = e.next_read == Some(p);
        e.next_read = Some(p + 1);
        if ctx.cached {
            return RaPlan::Nothing;
        }
        // MAXPHYS/PAGE_SIZE − 1 = 31 pages at most.
        let cap = 31;
        let (behind, ahead) = match ctx.advice {
            Advice::Random => (0, 0),
            Advice::Sequential => (0, cap),
            Advice::Normal if sequential => {
                e.read_ahead = if e.read_ahead == 0 {
                    7
                } else {
                    (e.read_ahead + 8).min(cap)
                };
                (0, e.read_ahead)
            }
            Advice::Normal => {
                e.read_ahead = 0;
                (p % 16, 15 - p % 16)
            }
        };
        let first = p - behind;
        let (start, end) = pages_to_blocks(first, behind + 1 + ahead, ctx.bsize);
        let end = clip(end, ctx.filesize, ctx.bsize).max(ctx.lblk + 1);
        RaPlan::Window {
            start: start.min(ctx.lblk),
            sync_end: end,
            end,
            mark: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_and_keys_list_the_valid_ones() {
        let mut k = Knobs::default();
        let e = parse("bogus", &mut k).err().unwrap();
        assert!(
            e.contains("dragonfly") && e.contains("fixed[:pages]") && e.contains("linux[:max]"),
            "{e}"
        );
        let e = parse("fixed:page=3", &mut k).err().unwrap();
        assert!(e.contains("no key \"page\"") && e.contains("pages"), "{e}");
        assert!(parse("fixed:pages=x", &mut k).is_err());
        assert!(parse("linux:max=0", &mut k).is_err());
    }

    #[test]
    fn dragonfly_keys_set_the_knobs_and_round_trip() {
        let mut k = Knobs::default();
        let p = parse(
            "dragonfly:max_readahead=0,prefault=0,seqaccess=detect",
            &mut k,
        )
        .unwrap();
        assert_eq!(k.max_readahead, 0);
        assert_eq!(k.prefault_pages, 0);
        let spec = p.spec();
        let mut k2 = Knobs::default();
        assert_eq!(parse(&spec, &mut k2).unwrap().spec(), spec);
        assert_eq!(k2, k);
    }

    #[test]
    fn linux_window_sizes() {
        let l = Linux {
            max: 32,
            files: FxHashMap::default(),
            mmap_miss: FxHashMap::default(),
        };
        // 1-page read: next power of two 1 ≤ 32/32 ⇒ ×4.
        assert_eq!(Linux::init_size(l.max, 1), 4);
        // 4 pages: ≤ 32/4 ⇒ ×2.
        assert_eq!(Linux::init_size(l.max, 4), 8);
        assert_eq!(Linux::init_size(l.max, 16), 32);
        // Ramp: ×4 below max/16 (2), else ×2, capped at max.
        assert_eq!(Linux::next_size(l.max, 1), 4);
        assert_eq!(Linux::next_size(l.max, 4), 8);
        assert_eq!(Linux::next_size(l.max, 16), 32);
        assert_eq!(Linux::next_size(l.max, 32), 32);
    }
}
