//! Counters and latency histograms: what a replay reports.
//!
//! Counter names are the kernel's own (`struct vmmeter` in sys/sys/vmmeter.h, plus the
//! buffer-cache and pageout statistics of pager-model.md §9), so a kernel developer can
//! read the output like `vmstat -s`. Every model (dragonfly, lru, opt) fills the same
//! structure, so their outputs are comparable key for key.

use crate::trace::Op;
use hdrhistogram::Histogram;

/// Why a device request was issued. Every device I/O carries exactly one origin, so
/// "who caused this I/O" can be answered for any policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Origin {
    /// The block a read(2) or fault asked for (synchronous part of cluster_readx).
    Demand,
    /// Blocks read ahead of the request (asynchronous part of cluster_readx, breadn).
    Readahead,
    /// A partial-block write, or putpages of a block not fully resident, read it first.
    ReadBeforeWrite,
    /// cluster_write pushing a full write cluster (B4).
    ClusterPush,
    /// buf_daemon flushing dirty buffers above lodirtybufspace/2 (§7.2).
    BufDaemon,
    /// The syncer's 1 MiB lazy flush per vnode (§7.3).
    SyncerLazy,
    /// The per-mount syncer vnode's vfs_msync (§7.3).
    SyncerMsync,
    /// fsync(2) (§6.6).
    Fsync,
    /// msync(2) (§6.7).
    Msync,
    /// The pageout daemon laundering dirty inactive pages (§7.1).
    PageoutLaunder,
    /// putpages forced synchronous below v_pageout_free_min (the seed).
    ForcedSync,
    /// Truncation (UFS path: rewrite of the straddling block, new last block).
    Truncate,
    /// `--final-sync` at the end of the trace.
    FinalSync,
    /// write(2) with IO_SYNC (O_SYNC files): bwrite.
    IoSync,
    /// write(2) disposed with bawrite (severe memory or dirty space, IO_ASYNC, O_DIRECT).
    Bawrite,
    /// Inode and indirect-block I/O.
    Metadata,
    /// A sync policy's own flusher (linux writeback, periodic update daemon).
    Writeback,
    /// vnlru writing a vnode's dirty buffers and pages before recycling it
    /// (`vinvalbuf(V_SAVE)`, `vm_object_page_clean` from `vm_object_terminate`).
    Vnlru,
}

impl Origin {
    pub const ALL: [Origin; 18] = [
        Origin::Demand,
        Origin::Readahead,
        Origin::ReadBeforeWrite,
        Origin::ClusterPush,
        Origin::BufDaemon,
        Origin::SyncerLazy,
        Origin::SyncerMsync,
        Origin::Fsync,
        Origin::Msync,
        Origin::PageoutLaunder,
        Origin::ForcedSync,
        Origin::Truncate,
        Origin::FinalSync,
        Origin::IoSync,
        Origin::Bawrite,
        Origin::Metadata,
        Origin::Writeback,
        Origin::Vnlru,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Origin::Demand => "demand",
            Origin::Readahead => "readahead",
            Origin::ReadBeforeWrite => "read_before_write",
            Origin::ClusterPush => "cluster_push",
            Origin::BufDaemon => "buf_daemon",
            Origin::SyncerLazy => "syncer_lazy",
            Origin::SyncerMsync => "syncer_msync",
            Origin::Fsync => "fsync",
            Origin::Msync => "msync",
            Origin::PageoutLaunder => "pageout_launder",
            Origin::ForcedSync => "forced_sync",
            Origin::Truncate => "truncate",
            Origin::FinalSync => "final_sync",
            Origin::IoSync => "io_sync",
            Origin::Bawrite => "bawrite",
            Origin::Metadata => "metadata",
            Origin::Writeback => "writeback",
            Origin::Vnlru => "vnlru",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Direction of a device request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    Read,
    Write,
}

/// Device I/O totals, split by origin and by sync/async. Serialized in field order
/// (the `device` object of the replay JSON), `by_origin` as one object per origin.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeviceStats {
    pub reads: u64,
    pub read_bytes: u64,
    pub writes: u64,
    pub write_bytes: u64,
    pub sync_reads: u64,
    pub async_reads: u64,
    pub sync_writes: u64,
    pub async_writes: u64,
    /// Deepest the queue (waiting + in service) ever got.
    pub max_queue_depth: u64,
    /// Bios merged into a request already queued (`/sys/block/DEV/stat`'s read and
    /// write merges; only the Linux personality's block layer merges).
    pub read_merges: u64,
    pub write_merges: u64,
    /// Sum over requests of (completion − submission), for mean device latency.
    pub busy_ns: u64,
    /// Per origin: [reads, read_bytes, writes, write_bytes].
    #[serde(serialize_with = "by_origin_objects")]
    pub by_origin: [[u64; 4]; Origin::ALL.len()],
}

/// `by_origin` as `{origin: {reads, read_bytes, writes, write_bytes}}`, every origin in
/// [`Origin::ALL`] order.
fn by_origin_objects<S: serde::Serializer>(
    v: &[[u64; 4]; Origin::ALL.len()],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    #[derive(serde::Serialize)]
    struct Totals {
        reads: u64,
        read_bytes: u64,
        writes: u64,
        write_bytes: u64,
    }
    let mut m = s.serialize_map(Some(Origin::ALL.len()))?;
    for o in Origin::ALL {
        let [reads, read_bytes, writes, write_bytes] = v[o.index()];
        m.serialize_entry(
            o.name(),
            &Totals {
                reads,
                read_bytes,
                writes,
                write_bytes,
            },
        )?;
    }
    m.end()
}

impl DeviceStats {
    /// Account a bio merged into a queued request: its bytes, no new request.
    pub fn record_merge(&mut self, dir: Dir, bytes: u64, origin: Origin) {
        let o = &mut self.by_origin[origin.index()];
        match dir {
            Dir::Read => {
                self.read_merges += 1;
                self.read_bytes += bytes;
                o[1] += bytes;
            }
            Dir::Write => {
                self.write_merges += 1;
                self.write_bytes += bytes;
                o[3] += bytes;
            }
        }
    }

    /// Account one submitted request.
    pub fn record(&mut self, dir: Dir, bytes: u64, origin: Origin, sync: bool) {
        let o = &mut self.by_origin[origin.index()];
        match dir {
            Dir::Read => {
                self.reads += 1;
                self.read_bytes += bytes;
                o[0] += 1;
                o[1] += bytes;
                if sync {
                    self.sync_reads += 1
                } else {
                    self.async_reads += 1
                }
            }
            Dir::Write => {
                self.writes += 1;
                self.write_bytes += bytes;
                o[2] += 1;
                o[3] += bytes;
                if sync {
                    self.sync_writes += 1
                } else {
                    self.async_writes += 1
                }
            }
        }
    }
}

/// Per-op latency histograms (nanoseconds), kept with hdrhistogram: exact counts and
/// 3 significant digits over 1 ns … 1 hour in a few KiB per op, no per-event allocation.
///
/// Recording is batched by runs: most events repeat the previous one's op and latency
/// (cache hits cost 0 ns), so a run of equal values is counted here and handed to the
/// histogram once, with `record_n`, when a different value arrives. A histogram is a
/// multiset of values, so the batching changes no count and no quantile; every read
/// ([`Latencies::summary`]) includes the open run.
#[derive(Clone, Debug)]
pub struct Latencies {
    hist: Vec<Histogram<u64>>,
    /// The open run: op index, value, and how many times it was recorded (0: none).
    run_op: usize,
    run_value: u64,
    run_len: u64,
}

/// A float to one decimal place.
fn tenths<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((v * 10.0).round() / 10.0)
}

/// Summary of one op's latency histogram (serialized as the replay JSON's
/// `latency_ns.OP` object, the mean to 0.1 ns).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct LatencySummary {
    pub count: u64,
    #[serde(serialize_with = "tenths")]
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl LatencySummary {
    /// The summary of one histogram (all zeros when it is empty).
    pub fn of(h: &Histogram<u64>) -> LatencySummary {
        if h.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            count: h.len(),
            mean: h.mean(),
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        }
    }
}

impl Default for Latencies {
    fn default() -> Self {
        Self::new()
    }
}

impl Latencies {
    const HIGHEST: u64 = 3_600_000_000_000; // one hour in ns

    pub fn new() -> Self {
        let hist = Op::ALL
            .iter()
            .map(|_| {
                // Bounds are constants known to be valid, so construction cannot fail.
                Histogram::new_with_bounds(1, Self::HIGHEST, 3)
                    .unwrap_or_else(|_| unreachable!("constant histogram bounds are valid"))
            })
            .collect();
        Latencies {
            hist,
            run_op: 0,
            run_value: 0,
            run_len: 0,
        }
    }

    /// Record one op's latency; values past an hour saturate at an hour.
    #[inline]
    pub fn record(&mut self, op: Op, ns: u64) {
        let v = ns.min(Self::HIGHEST);
        let i = op.index();
        if self.run_len != 0 && self.run_op == i && self.run_value == v {
            self.run_len += 1;
            return;
        }
        self.close_run();
        self.run_op = i;
        self.run_value = v;
        self.run_len = 1;
    }

    /// Hand the open run to its histogram.
    fn close_run(&mut self) {
        if self.run_len != 0 {
            // Values are clamped into range, so recording cannot fail.
            let _ = self.hist[self.run_op].record_n(self.run_value, self.run_len);
            self.run_len = 0;
        }
    }

    /// Op `op`'s histogram with the open run counted in.
    fn histogram(&self, op: Op) -> std::borrow::Cow<'_, Histogram<u64>> {
        let h = &self.hist[op.index()];
        if self.run_len == 0 || self.run_op != op.index() {
            return std::borrow::Cow::Borrowed(h);
        }
        let mut h = h.clone();
        let _ = h.record_n(self.run_value, self.run_len);
        std::borrow::Cow::Owned(h)
    }

    pub fn summary(&self, op: Op) -> LatencySummary {
        LatencySummary::of(&self.histogram(op))
    }
}

/// Declares [`Counters`]: one `u64` per kernel counter, grouped the way `vmstat -s`
/// readers scan them. The declaration order is the output order.
macro_rules! counters {
    ($( $group:literal => { $( $(#[$doc:meta])* $name:ident ),* $(,)? } )*) => {
        /// Every event counter of a replay, named after the kernel's where one exists.
        /// Serialized as one object of every counter, in declaration order.
        #[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
        pub struct Counters { $( $( $(#[$doc])* pub $name: u64, )* )* }

        impl Counters {
            /// `(group, name, value)` for every counter, in declaration order.
            pub fn entries(&self) -> Vec<(&'static str, &'static str, u64)> {
                vec![ $( $( ($group, stringify!($name), self.$name), )* )* ]
            }

            /// Every counter name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[ $( $( stringify!($name), )* )* ];
        }
    };
}

counters! {
    "trace" => {
        /// Trace events replayed.
        events,
    }
    "pages" => {
        /// Page touches (one per page a read, write or fault covers) that found the page
        /// resident and valid for the touched bytes without waiting for I/O.
        page_hits,
        /// Every other page touch.
        page_misses,
    }
    "pager" => {
        /// vnode_pager_generic_getpages calls (pager calls, not device reads).
        v_vnodein,
        /// Pages those calls asked for.
        v_vnodepgsin,
        /// vnode_pager_generic_putpages calls.
        v_vnodeout,
        /// Pages those calls wrote (after EOF clipping).
        v_vnodepgsout,
        /// Pages putpages returned VM_PAGER_BAD (past EOF).
        pager_bad_pages,
        /// getpages calls that failed because the page is at or past EOF.
        getpages_errors,
        /// putpages calls made synchronous because free+cache < v_pageout_free_min.
        putpages_forced_sync,
        /// putpages calls whose write could not be done (no buffer or memory); the
        /// pages stay dirty.
        putpages_errors,
        /// putpages calls by mode: VM_PAGER_PUT_SYNC (or INVAL), CLUSTER_OK, neither (IO_ASYNC).
        putpages_sync,
        putpages_cluster_ok,
        putpages_async,
        /// putpages calls by origin.
        putpages_pageout,
        putpages_fsync,
        putpages_msync,
        putpages_syncer_msync,
    }
    "faults" => {
        /// vm_fault calls that entered a page (prefaulted entries included, as the kernel counts).
        v_vm_faults,
        /// Faults that called the pager (hardfault).
        major_faults,
        /// Faults satisfied from a resident page.
        minor_faults,
        /// Touches of a page already mapped with enough rights: no fault.
        touches_no_fault,
        /// Pages entered by prefault.
        prefault_pages,
        /// Neighbours dirtied by a write fault's prefault.
        prefault_dirtied,
        /// Faults that waited for a page under I/O.
        v_intrans,
        /// Pages reactivated from the cache queue.
        v_reactivated,
        /// Faults that slept waiting for free memory.
        fault_memory_waits,
        /// Faults past EOF (SIGBUS in the kernel; no counters move).
        fault_sigbus,
        /// Touches outside any explicit mapping, replayed through an implicit one.
        implicit_mapping_touches,
    }
    "advice" => {
        /// `fadvise` rows, counted and otherwise ignored: DragonFly at `005cf293e4` has
        /// no posix_fadvise, so a program's call had no effect on that kernel.
        fadvise_ignored,
        /// `madvise` rows with `willneed` or `dontneed`, counted and otherwise ignored.
        /// In `vm_map_madvise` these are object advice, not map-entry advice:
        /// `vm_object_madvise` moves the range's resident, fully valid, unwired pages
        /// between queues (MADV_WILLNEED `vm_page_activate`, MADV_DONTNEED
        /// `vm_page_dontneed`: usually deactivated, mostly to the head of the inactive
        /// queue) and MADV_WILLNEED maps them with `pmap_object_init_pt`; neither starts
        /// I/O. The model does not do these queue moves.
        madvise_ignored,
    }
    "buffer cache" => {
        /// getblk found the buffer.
        getblk_hits,
        /// getblk built a buffer whose pages were all resident and valid (no I/O).
        getblk_page_hits,
        /// getblk built a buffer that needed I/O.
        getblk_misses,
        /// Waits on a buffer locked by I/O in flight.
        getblk_waits,
        /// Buffer headers recycled by getnewbuf.
        getnewbuf_recycles,
        /// Sleeps in getnewbuf waiting for a buffer (the write throttle).
        getnewbuf_waits,
        /// Dirty buffers a writer asleep in getnewbuf had written (with their
        /// clusters) because no flusher would: the buf_daemon's `needsbuffer` duty.
        getnewbuf_flushes,
        /// getnewbuf handed out a header past hibufspace because only locked buffers
        /// (the op's own) held the space, nothing dirty or in flight (should stay 0).
        getnewbuf_overcommits,
        /// Blocks that were holes: zero-filled, no device I/O.
        hole_reads,
        /// Partial-block writes (and putpages of partly resident blocks) that read first.
        read_before_write,
        /// Buffers torn down (vfs_vmio_release).
        buf_teardowns,
        /// Blocks read ahead (asynchronously or as the extra blocks of a cluster).
        readahead_blocks,
        /// Pages those blocks brought in.
        readahead_pages,
        /// Read-ahead pages later touched by a read, write or fault.
        readahead_pages_used,
        /// Read-ahead pages freed before any touch (wasted I/O).
        readahead_pages_evicted_unused,
        /// Reads that hit a B_RAM buffer and triggered read-ahead.
        bram_hits,
        /// Reads or faults that reached a read-ahead policy's marker.
        ra_marker_hits,
        /// Peak bufspace in bytes.
        bufspace_peak,
        /// Peak dirtybufspace and runningbufspace in bytes.
        dirtybufspace_peak,
        runningbufspace_peak,
        /// Cluster writes that waited for a cluster pbuf.
        cluster_pbuf_waits,
        /// Clusters made contiguous by VOP_REALLOCBLKS.
        reallocblks,
        /// Flushers that waited in waitrunningbufspace.
        runningbufspace_waits,
        /// buf_daemon wake-ups that found work.
        bufdaemon_runs,
    }
    "pageout" => {
        /// Pageout daemon passes.
        v_pdwakeups,
        /// Pages examined by the inactive scan.
        v_pdpages,
        /// Pages freed by the daemon.
        v_dfree,
        /// Pages moved to the cache queue.
        pages_cached,
        /// Pages deactivated by the active scan.
        pages_deactivated,
        /// Cache-queue pages freed by vm_page_alloc to satisfy an allocation.
        alloc_cache_reclaims,
        /// Allocations that found no page (vm_pageout_deficit).
        alloc_failures,
        /// Allocations that had to dip into the free reserve because nothing could ever
        /// free a page (should stay 0; non-zero means memory is absurdly small).
        alloc_reserve_overrides,
        /// Dirty pages skipped because their vnode was locked by a running op.
        vnodes_skipped,
        /// Idle stats scans of the active queue.
        stats_scans,
        /// Launder clusters written by vm_pageout_clean.
        launder_runs,
        /// Pages in those clusters.
        launder_pages,
    }
    "syncer" => {
        /// Vnodes the syncer visited.
        syncer_vnodes,
        /// Visits that stopped at the lazy flush limit.
        syncer_lazy_limit_hits,
        /// Runs of the syncer vnode (vfs_msync + VFS_SYNC).
        syncer_msync_runs,
        /// Extra syncer slots requested by pageout.
        rushjobs,
        /// Runs of a sync policy's own flusher.
        writeback_runs,
    }
    "vnodes" => {
        /// Most vnodes allocated at once (`numvnodes`).
        vnodes_peak,
        /// Unused vnodes vnlru reclaimed (`vgone`): their cached pages and buffers
        /// dropped, the file read in again on its next use.
        vnlru_reclaims,
        /// New vnodes taken from the free list rather than allocated (`allocfreevnode`).
        vnode_reuses,
    }
    "stalls" => {
        /// Time ops waited for their own synchronous I/O (ns).
        stall_sync_io_ns,
        /// Time ops waited for pages or buffers under someone else's I/O (ns).
        stall_busy_ns,
        /// Time ops waited for free memory (ns).
        stall_memory_ns,
        /// Time ops waited for a buffer header in getnewbuf (ns).
        stall_getnewbuf_ns,
        /// Time writers were paused by a sync policy's dirty throttling (ns).
        stall_throttle_ns,
        /// Bytes still dirty when the trace ended (pages and buffers; 0 with --final-sync).
        dirty_bytes_at_end,
    }
}

/// A replay that stopped because an op could make no progress (nothing could ever
/// free the buffer or page it waited for): continuing would silently drop its data.
#[derive(Clone, Debug)]
pub struct Stuck {
    /// 1-based number of the event in the trace.
    pub event: u64,
    /// The event itself.
    pub ev: crate::trace::Event,
    /// What could not be had.
    pub reason: String,
}

/// Everything a replay produces, the same for every model.
#[derive(Clone, Debug, Default)]
pub struct RunStats {
    pub counters: Counters,
    pub device: DeviceStats,
    pub latency: Latencies,
    /// Simulated time at the end of the replay (ns, trace clock).
    pub end_time_ns: u64,
    pub warnings: Vec<String>,
}

/// One sample, taken at the end of an interval.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimelineRow {
    /// End of the interval (ns, trace clock).
    pub time_ns: u64,
    pub free: u32,
    pub cache: u32,
    pub inactive: u32,
    pub active: u32,
    pub wired: u32,
    pub dirty_pages: u32,
    pub dirtybufspace: u64,
    pub runningbufspace: u64,
    pub queue_depth: u32,
    /// Device I/O completed... issued during the interval.
    pub reads: u64,
    pub writes: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
}

impl TimelineRow {
    pub const HEADER: &'static str = "time_s,free,cache,inactive,active,wired,dirty_pages,dirtybufspace,runningbufspace,queue_depth,reads,writes,read_bytes,write_bytes";

    /// The sample's fields, in [`TimelineRow::HEADER`] order (time in seconds, to
    /// the millisecond).
    pub fn fields(&self) -> [String; 14] {
        [
            format!("{:.3}", self.time_ns as f64 / 1e9),
            self.free.to_string(),
            self.cache.to_string(),
            self.inactive.to_string(),
            self.active.to_string(),
            self.wired.to_string(),
            self.dirty_pages.to_string(),
            self.dirtybufspace.to_string(),
            self.runningbufspace.to_string(),
            self.queue_depth.to_string(),
            self.reads.to_string(),
            self.writes.to_string(),
            self.read_bytes.to_string(),
            self.write_bytes.to_string(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Batched recording gives the summaries one `record` per value would: runs that
    /// switch op, switch value, return to an earlier value, and one still open at the
    /// read.
    #[test]
    fn batched_latencies_equal_one_record_per_value() {
        let seq: Vec<(Op, u64)> = [
            (Op::Read, 0),
            (Op::Read, 0),
            (Op::Read, 0),
            (Op::Write, 0),
            (Op::Read, 0),
            (Op::Read, 150_000),
            (Op::Read, 150_000),
            (Op::FaultRead, 7),
            (Op::Read, 0),
            (Op::Read, 5_000_000_000_000), // past an hour: saturates
        ]
        .into_iter()
        .chain((0..1000).map(|i| (Op::Read, if i % 10 == 0 { 90_000 } else { 0 })))
        .chain(std::iter::repeat_n((Op::Write, 42), 500))
        .collect();
        let mut batched = Latencies::new();
        let mut plain: Vec<Histogram<u64>> = Op::ALL
            .iter()
            .map(|_| Histogram::new_with_bounds(1, Latencies::HIGHEST, 3).unwrap())
            .collect();
        for &(op, v) in &seq {
            batched.record(op, v);
            plain[op.index()].record(v.min(Latencies::HIGHEST)).unwrap();
        }
        for op in Op::ALL {
            let want = LatencySummary::of(&plain[op.index()]);
            assert_eq!(batched.summary(op), want, "{}", op.name());
        }
        // The open run (500 writes of 42 ns) is counted: 1 + 500 writes.
        assert_eq!(batched.summary(Op::Write).count, 501);
        assert_eq!(batched.summary(Op::Read).count, 1008);
        // 905 of the 1008 reads took 0 ns.
        assert_eq!(batched.summary(Op::Read).p50, 0);
    }
}
