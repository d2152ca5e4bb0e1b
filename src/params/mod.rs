//! Tunables: the thresholds DragonFly derives from the memory size (pager-model.md §4),
//! from the knobs of [`knobs`].

mod knobs;

pub use knobs::*;

use crate::units::format_size;

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
    /// `desiredvnodes` (`kern.maxvnodes`): past it, vnlru recycles unused vnodes.
    pub desiredvnodes: u32,
}

/// `sizeof(struct vnode) + sizeof(struct vm_object)` on x86_64 at the snapshot (480 +
/// 176 bytes, the v2.10 headers compiled for x86_64).
const VNODE_AND_OBJECT_BYTES: u64 = 656;

/// `desiredvnodes` as `vfs_subr_init` (sys/kern/vfs_subr.c) sets it for `pages` pages:
/// the vnodes whose vnode and VM object take 1/20 of memory, but at least `maxproc`·8,
/// `maxproc` being `NPROC` = 20 + 16·`maxusers` capped at pages/12 and `maxusers` =
/// pages/512 within 32..=384 (`init_param2`, sys/kern/subr_param.c). The kernel-VA
/// bound (`KvaSize` / 22·656, about 9.5 M vnodes on x86_64) binds only past ~116 GiB.
pub fn desiredvnodes(pages: u64) -> u32 {
    const KVA_SIZE: u64 = 128 << 30;
    let by_memory = (pages * 4096 / (20 * VNODE_AND_OBJECT_BYTES))
        .min(KVA_SIZE / (22 * VNODE_AND_OBJECT_BYTES));
    let maxusers = (pages / 512).clamp(32, 384);
    let maxproc = (20 + 16 * maxusers).min(pages / 12);
    by_memory.max(maxproc * 8).min(u32::MAX as u64) as u32
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
        let desiredvnodes = knobs.maxvnodes.unwrap_or(desiredvnodes(p as u64));
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
            desiredvnodes,
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
            ("desiredvnodes", self.desiredvnodes as u64),
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

    /// `desiredvnodes` worked by hand from vfs_subr_init and init_param2: 256 MiB =
    /// 65,536 pages: 65536·4096 / 13120 = 20,460 vnodes by memory; maxusers = 128,
    /// maxproc = 20 + 2048 = 2068, floor 16,544: 20,460. 1 GiB: 81,840 by memory,
    /// maxusers 384 (capped), maxproc 6164, floor 49,312: 81,840. 8 MiB = 2048 pages:
    /// 639 by memory; maxusers 32, maxproc = min(532, 170) = 170, floor 1360: 1360.
    #[test]
    fn desiredvnodes_follows_vfs_subr_init() {
        assert_eq!(desiredvnodes(65536), 20460);
        assert_eq!(desiredvnodes(262144), 81840);
        assert_eq!(desiredvnodes(2048), 1360);
        let p = Params::derive(256 << 20, 0, Knobs::default()).unwrap();
        assert_eq!(p.desiredvnodes, 20460);
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
