//! Each policy on a small trace whose I/O is worked out by hand in the comments.

use vpsim::engine::{SimBuilder, Simulator};
use vpsim::run::{LoadedTrace, RunConfig, run_loaded};
use vpsim::stats::{DeviceStats, Origin};
use vpsim::trace::{Event, Flags, Op};

const K: u64 = 1024;
const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

fn ev(t: u64, op: Op, off: Option<u64>, len: u64) -> Event {
    Event {
        time_ns: t,
        offset: off.unwrap_or(0),
        length: len,
        file: 0,
        pid: 1,
        op,
        flags: Flags::NONE,
        has_offset: off.is_some(),
        has_length: true,
    }
}

/// A simulator for one file of `size` bytes with the given policies and knobs.
fn sim(size: u64, mem: u64, ra: &str, cl: &str, sy: &str, sets: &[&str]) -> Simulator {
    SimBuilder::new(&[size])
        .mem(mem)
        .sets(sets)
        .policies(ra, cl, sy)
        .build()
}

fn writes(d: &DeviceStats, o: Origin) -> (u64, u64) {
    let x = d.by_origin[o.index()];
    (x[2], x[3])
}

/// `fixed:pages=8` on a sequential scan of 256 pages (1 MiB, 4 KiB reads, 16 KiB
/// blocks): each miss reads the needed page and the next 7 — 2 blocks, one 32 KiB
/// request — so ceil(256/8) = 32 device reads, all synchronous.
#[test]
fn fixed_reads_n_pages_per_miss() {
    let mut s = sim(
        1 << 20,
        1 << 30,
        "fixed:pages=8",
        "dragonfly",
        "dragonfly",
        &[],
    );
    s.step_event(&ev(0, Op::Open, None, 1 << 20));
    for i in 0..256u64 {
        s.step_event(&ev((i + 1) * MS, Op::Read, Some(i * 4 * K), 4 * K));
    }
    let d = s.device.stats();
    assert_eq!((d.reads, d.read_bytes), (32, 1 << 20));
    assert_eq!(d.sync_reads, 32);
    s.check().unwrap();
}

/// `none`: one block per miss and no read-ahead anywhere, so with memory larger than
/// the footprint the device reads exactly the distinct blocks touched — reads and
/// faults alike.
#[test]
fn none_reads_distinct_blocks() {
    let size = 4 << 20;
    let mut s = sim(size, 1 << 30, "none", "dragonfly", "dragonfly", &[]);
    s.step_event(&ev(0, Op::Open, None, size));
    s.step_event(&ev(1, Op::Mmap, Some(0), size));
    let mut blocks = std::collections::BTreeSet::new();
    let mut x: u64 = 99;
    for i in 0..2000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let off = x % size;
        let t = (i + 2) * MS;
        if i % 2 == 0 {
            s.step_event(&ev(t, Op::FaultRead, Some(off & !4095), 4096));
            blocks.insert(off / (16 * K));
        } else {
            let len = (x >> 33) % (20 * K) + 1;
            let len = len.min(size - off);
            s.step_event(&ev(t, Op::Read, Some(off), len));
            for b in off / (16 * K)..=(off + len - 1) / (16 * K) {
                blocks.insert(b);
            }
        }
    }
    let d = s.device.stats();
    assert_eq!(d.reads, blocks.len() as u64);
    assert_eq!(s.c.readahead_blocks, 0);
    s.check().unwrap();
}

/// `linux` (max 32 pages) on 4 KiB sequential reads, with 4 KiB blocks so pages and
/// blocks coincide. read@0: initial window 4 pages (next power of two of 1, ×4 since
/// 1 ≤ 32/32), async size 3: a sync read of page 0 and an async read of pages 1–3,
/// marker on page 1. Reaching the marker advances the window: start += size, size ×2
/// (4 ≥ 32/16), async = size, marker at the new start: pages 4–11 (8), then 12–27
/// (16), 28–59 (32), 60–91 (32, capped).
#[test]
fn linux_window_ramp() {
    let mut s = sim(
        1 << 20,
        1 << 30,
        "linux:max=32",
        "dragonfly",
        "dragonfly",
        &["f_iosize=4K"],
    );
    s.step_event(&ev(0, Op::Open, None, 1 << 20));
    let mut t = 0;
    let mut read = |s: &mut Simulator, page: u64| {
        t += 10 * MS;
        s.step_event(&ev(t, Op::Read, Some(page * 4096), 4096));
        let d = s.device.stats();
        (d.reads, d.read_bytes / 4096)
    };
    assert_eq!(read(&mut s, 0), (2, 4), "sync page 0 + async 1..3");
    assert_eq!(read(&mut s, 1), (3, 12), "marker at 1: pages 4..11");
    assert_eq!(read(&mut s, 2), (3, 12));
    assert_eq!(read(&mut s, 3), (3, 12));
    assert_eq!(read(&mut s, 4), (4, 28), "marker at 4: pages 12..27");
    for p in 5..12 {
        read(&mut s, p);
    }
    assert_eq!(read(&mut s, 12), (5, 60), "marker at 12: pages 28..59");
    for p in 13..28 {
        read(&mut s, p);
    }
    assert_eq!(
        read(&mut s, 28),
        (6, 92),
        "marker at 28: pages 60..91 (capped at 32)"
    );
    assert_eq!(s.c.page_misses, 1, "after the first page every read hits");
    s.check().unwrap();
}

/// `linux` on mmap faults: read-around of ra_pages centred on the fault.
#[test]
fn linux_mmap_read_around() {
    let mut s = sim(
        4 << 20,
        1 << 30,
        "linux:max=32",
        "dragonfly",
        "dragonfly",
        &["f_iosize=4K"],
    );
    s.step_event(&ev(0, Op::Open, None, 4 << 20));
    s.step_event(&ev(1, Op::Mmap, Some(0), 4 << 20));
    s.step_event(&ev(SEC, Op::FaultRead, Some(500 * 4096), 4096));
    // Pages 484..515 (32 centred on 500): pages up to 500 sync, the rest async.
    assert_eq!(s.device.stats().read_bytes, 32 * 4096);
    assert_eq!(s.c.major_faults, 1);
}

/// `freebsd`: a random fault reads the 16-page-aligned cluster around it in one
/// synchronous request; a fault continuing the previous one reads 7 pages ahead.
#[test]
fn freebsd_fault_clustering() {
    let mut s = sim(
        4 << 20,
        1 << 30,
        "freebsd",
        "dragonfly",
        "dragonfly",
        &["f_iosize=4K", "vm.prefault_pages=0"],
    );
    s.step_event(&ev(0, Op::Open, None, 4 << 20));
    s.step_event(&ev(1, Op::Mmap, Some(0), 4 << 20));
    s.step_event(&ev(SEC, Op::FaultRead, Some(100 * 4096), 4096));
    // Page 100: behind 100 mod 16 = 4, ahead 11 ⇒ pages 96..111, one read.
    let d = s.device.stats().clone();
    assert_eq!((d.reads, d.read_bytes, d.sync_reads), (1, 16 * 4096, 1));
    // Page 112 is not page 101 (the entry's next_read): another aligned cluster.
    s.step_event(&ev(2 * SEC, Op::FaultRead, Some(112 * 4096), 4096));
    assert_eq!(s.device.stats().read_bytes, 32 * 4096);
    // Page 113 continues 112: sequential ⇒ 7 pages ahead (113..120 is resident up to
    // 127, so fault at 128 after walking there).
    for p in 113..128 {
        s.step_event(&ev(p * SEC, Op::FaultRead, Some(p * 4096), 4096));
    }
    let before = s.device.stats().read_bytes;
    s.step_event(&ev(200 * SEC, Op::FaultRead, Some(128 * 4096), 4096));
    // Sequential: read_ahead grows 7 → … but pages 128.. were never read; the window
    // is the page plus its read_ahead pages, no read-behind.
    let got = (s.device.stats().read_bytes - before) / 4096;
    assert!((8..=32).contains(&got), "sequential window: {got} pages");
    s.check().unwrap();
}

/// `writethrough`: every write(2) is one synchronous device write.
#[test]
fn writethrough_writes_every_call_synchronously() {
    let mut s = sim(
        1 << 20,
        1 << 30,
        "dragonfly",
        "dragonfly",
        "writethrough",
        &[],
    );
    s.step_event(&ev(0, Op::Open, None, 1 << 20));
    for i in 0..40u64 {
        // Scattered full-block writes (no read-before-write).
        s.step_event(&ev(
            (i + 1) * MS,
            Op::Write,
            Some((i * 7 % 64) * 16 * K),
            16 * K,
        ));
    }
    let d = s.device.stats();
    assert_eq!((d.writes, d.sync_writes), (40, 40));
    assert_eq!(s.bufs.dirtybufspace, 0);
    s.check().unwrap();
}

/// `periodic:interval=2s`: nothing is written until the period, then everything;
/// no buf_daemon or syncer writes ever.
#[test]
fn periodic_writes_everything_every_interval() {
    // Contiguous clustering delays every block, so only the sync policy writes.
    let mut s = sim(
        4 << 20,
        1 << 30,
        "dragonfly",
        "contiguous:max=8",
        "periodic:interval=2s",
        &[],
    );
    s.step_event(&ev(0, Op::Open, None, 4 << 20));
    for i in 0..64u64 {
        s.step_event(&ev((i + 1) * MS, Op::Write, Some(i * 2 * 16 * K), 16 * K));
    }
    s.step_event(&ev(SEC + SEC / 2, Op::Read, Some(0), 4096));
    assert_eq!(s.device.stats().writes, 0, "before the period");
    s.step_event(&ev(2 * SEC + SEC / 2, Op::Read, Some(0), 4096));
    let (n, b) = writes(s.device.stats(), Origin::Writeback);
    assert_eq!(b, 64 * 16 * K, "everything at 2 s ({n} writes)");
    assert_eq!(writes(s.device.stats(), Origin::BufDaemon), (0, 0));
    assert_eq!(writes(s.device.stats(), Origin::SyncerLazy), (0, 0));
    s.check().unwrap();
}

/// `linux` sync: files dirty longer than `expire` are written at the next flusher
/// wake-up (every `interval`), and a fast writer far above the background threshold
/// is throttled.
#[test]
fn linux_writeback_expires_and_throttles() {
    let mut s = sim(
        8 << 20,
        1 << 30,
        "dragonfly",
        "dragonfly",
        "linux:expire=10s,interval=5s",
        &[],
    );
    s.step_event(&ev(0, Op::Open, None, 8 << 20));
    s.step_event(&ev(MS, Op::Write, Some(0), 16 * K));
    // Dirtied at 1 ms: not 10 s old at the 10 s wake-up, written at 15 s.
    s.step_event(&ev(12 * SEC, Op::Read, Some(64 * K), 4096));
    assert_eq!(s.device.stats().writes, 0);
    s.step_event(&ev(16 * SEC, Op::Read, Some(64 * K), 4096));
    assert_eq!(writes(s.device.stats(), Origin::Writeback), (1, 16 * K));

    // Throttling: 32 MiB of memory, background 10 % / ratio 20 %: writing 8 MiB in
    // a burst (delayed, so it stays dirty) crosses the background threshold, which
    // starts writeback, and the midpoint, which pauses the writer.
    let mut s = sim(
        8 << 20,
        32 << 20,
        "dragonfly",
        "contiguous:max=8",
        "linux",
        &[],
    );
    s.step_event(&ev(0, Op::Open, None, 8 << 20));
    for i in 0..512u64 {
        s.step_event(&ev(SEC + i * 10_000, Op::Write, Some(i * 16 * K), 16 * K));
    }
    assert!(s.c.stall_throttle_ns > 0, "writer paused");
    assert!(
        writes(s.device.stats(), Origin::Writeback).0 > 0,
        "background writeback ran"
    );
    s.check().unwrap();
}

/// Clustering `none`: every full block written alone, at once; `contiguous:max=16`:
/// all delayed, then fsync merges 16 contiguous blocks per write.
#[test]
fn clustering_none_and_contiguous() {
    let mut s = sim(0, 1 << 30, "dragonfly", "none", "dragonfly", &[]);
    s.step_event(&ev(0, Op::Open, None, 0));
    for i in 0..64u64 {
        s.step_event(&ev((i + 1) * MS, Op::Write, None, 16 * K));
    }
    let d = s.device.stats();
    assert_eq!((d.writes, d.write_bytes), (64, 1 << 20));

    let mut s = sim(
        0,
        1 << 30,
        "dragonfly",
        "contiguous:max=16",
        "dragonfly",
        &[],
    );
    s.step_event(&ev(0, Op::Open, None, 0));
    for i in 0..64u64 {
        s.step_event(&ev((i + 1) * MS, Op::Write, None, 16 * K));
    }
    assert_eq!(s.device.stats().writes, 0);
    s.step_event(&ev(SEC, Op::Fsync, None, 0));
    assert_eq!(writes(s.device.stats(), Origin::Fsync), (4, 1 << 20));
    s.check().unwrap();

    // DragonFly on the same appends: one 128 KiB cluster push per 8 blocks.
    let mut s = sim(0, 1 << 30, "dragonfly", "dragonfly", "dragonfly", &[]);
    s.step_event(&ev(0, Op::Open, None, 0));
    for i in 0..64u64 {
        s.step_event(&ev((i + 1) * MS, Op::Write, None, 16 * K));
    }
    assert_eq!(writes(s.device.stats(), Origin::ClusterPush), (8, 1 << 20));
}

fn loaded(path: &str) -> LoadedTrace {
    vpsim::run::load_trace(&format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Every policy's spec parses, runs on a real trace, round-trips through the
/// `config` section, and gives identical results when run twice.
#[test]
fn every_policy_runs_round_trips_and_is_deterministic() {
    let trace = loaded("traces/pyio.events.csv.zst");
    let specs: &[(&str, &str, &str)] = &[
        ("none", "dragonfly", "dragonfly"),
        ("fixed:pages=16", "dragonfly", "dragonfly"),
        ("linux:max=64", "dragonfly", "dragonfly"),
        ("freebsd", "dragonfly", "dragonfly"),
        ("dragonfly:seqaccess=detect", "dragonfly", "dragonfly"),
        ("dragonfly", "none", "dragonfly"),
        ("dragonfly", "contiguous:max=16", "dragonfly"),
        ("dragonfly", "dragonfly:launder=fixed", "dragonfly"),
        ("dragonfly", "dragonfly", "linux"),
        ("dragonfly", "dragonfly", "periodic:interval=1s"),
        ("dragonfly", "dragonfly", "writethrough"),
        ("dragonfly", "dragonfly", "dragonfly:forced_sync=off"),
    ];
    for &(ra, cl, sy) in specs {
        let cfg = RunConfig {
            mem: 64 << 20,
            readahead: ra.into(),
            cluster: cl.into(),
            sync: sy.into(),
            final_sync: true,
            ..RunConfig::default()
        };
        let a = run_loaded(&trace, &cfg).unwrap();
        let b = run_loaded(&trace, &cfg).unwrap();
        let ja = vpsim::report::replay::to_json(&a);
        let jb = vpsim::report::replay::to_json(&b);
        assert_eq!(ja, jb, "{ra} {cl} {sy}: deterministic");
        // The config names the policies with every key; running that spec again gives
        // the same config.
        let c = &ja["config"];
        let cfg2 = RunConfig {
            readahead: c["readahead"].as_str().unwrap().into(),
            cluster: c["cluster"].as_str().unwrap().into(),
            sync: c["sync"].as_str().unwrap().into(),
            ..cfg.clone()
        };
        let j2 = vpsim::report::replay::to_json(&run_loaded(&trace, &cfg2).unwrap());
        assert_eq!(j2["config"], ja["config"], "{ra} {cl} {sy}: round trip");
        assert_eq!(j2["counters"], ja["counters"], "{ra} {cl} {sy}: same run");
        assert_eq!(ja["counters"]["dirty_bytes_at_end"], 0);
        // No policy may leave the engine without a way to free buffers or pages.
        assert_eq!(ja["counters"]["getnewbuf_overcommits"], 0, "{ra} {cl} {sy}");
        assert_eq!(
            ja["counters"]["alloc_reserve_overrides"], 0,
            "{ra} {cl} {sy}"
        );
    }
}

/// `linux` with DragonFly's 16 KiB blocks: the 4-page initial window fits in the
/// needed block, so its marker lands on that block and fires on the next read of it;
/// from there the window ramps as with 4 KiB pages. A sequential read of 1 MiB then
/// reads every byte once, waiting only for the first block, and uses all it reads.
#[test]
fn linux_ramps_with_16k_blocks() {
    let mut s = sim(1 << 20, 1 << 30, "linux", "dragonfly", "dragonfly", &[]);
    s.step_event(&ev(0, Op::Open, None, 1 << 20));
    for i in 0..256u64 {
        s.step_event(&ev((i + 1) * 10 * MS, Op::Read, Some(i * 4096), 4096));
    }
    let d = s.device.stats();
    assert_eq!(d.read_bytes, 1 << 20);
    assert_eq!(d.sync_reads, 1);
    assert!(s.c.ra_marker_hits > 0);
    assert_eq!(s.c.readahead_pages_used, s.c.readahead_pages);
    assert_eq!(s.c.page_misses, 1);
    s.check().unwrap();
}
