//! The read side of the DragonFly model against pager-model.md's worked examples.

use vpsim::engine::buf::bf;
use vpsim::engine::{SimBuilder, Simulator};
use vpsim::stats::Origin;
use vpsim::trace::{Event, Flags, Op};

const K: u64 = 1024;
const SEC: u64 = 1_000_000_000;

fn ev(t: u64, op: Op, off: u64, len: u64) -> Event {
    Event {
        time_ns: t,
        offset: off,
        length: len,
        file: 0,
        pid: 1,
        op,
        flags: Flags::NONE,
        has_offset: true,
        has_length: true,
    }
}

/// One file `f0` of `size` bytes, 1 GiB of RAM; invariants are not checked per event
/// here (the exactness tests count blocks, and run long).
fn sim_for(size: u64, sets: &[&str]) -> Simulator {
    SimBuilder::new(&[size])
        .sets(sets)
        .check_invariants(false)
        .build()
}

fn has_bram(sim: &Simulator, lblk: u64) -> bool {
    match sim.bufs.lookup(0, lblk) {
        Some(b) => sim.bufs.bufs[b as usize].flags & bf::RAM != 0,
        None => false,
    }
}

fn cached(sim: &Simulator, lblk: u64) -> bool {
    sim.bufs.lookup(0, lblk).is_some()
}

/// pager-model.md §6.2 worked example: fresh fd, 4 KiB sequential reads of a
/// contiguous file. Events are a second apart so every I/O completes in between.
#[test]
fn worked_example_sequential_4k_reads() {
    let mut sim = sim_for(4 << 20, &[]);
    let mut t = 0;
    sim.step_event(&ev(t, Op::Open, 0, 4 << 20));
    // read@0: seqcount 2 ⇒ maxra 2 ⇒ one synchronous 32 KiB cluster (blocks 0–1),
    // B_RAM on block 1 only.
    t += SEC;
    sim.step_event(&ev(t, Op::Read, 0, 4 * K));
    let d = sim.device.stats().clone();
    assert_eq!((d.reads, d.read_bytes, d.sync_reads), (1, 32 * K, 1));
    assert!(cached(&sim, 0) && cached(&sim, 1) && !cached(&sim, 2));
    assert!(!has_bram(&sim, 0));
    assert!(has_bram(&sim, 1));
    // The rest of block 0: hits, no read-ahead (block 0 has no B_RAM).
    for off in [4 * K, 8 * K, 12 * K] {
        t += SEC;
        sim.step_event(&ev(t, Op::Read, off, 4 * K));
    }
    assert_eq!(sim.device.stats().reads, 1);
    // First read in block 1 (seqcount 6): B_RAM hit ⇒ async read-ahead of blocks 2–6
    // as one 80 KiB cluster, B_RAM on 2, 3 and 6; block 1 loses its mark.
    t += SEC;
    sim.step_event(&ev(t, Op::Read, 16 * K, 4 * K));
    let d = sim.device.stats().clone();
    assert_eq!((d.reads, d.read_bytes), (2, 112 * K));
    assert_eq!((d.sync_reads, d.async_reads), (1, 1));
    assert_eq!(d.by_origin[Origin::Readahead.index()][1], 80 * K);
    assert!(!has_bram(&sim, 1));
    for (blk, mark) in [(2, true), (3, true), (4, false), (5, false), (6, true)] {
        assert!(cached(&sim, blk), "block {blk} read ahead");
        assert_eq!(has_bram(&sim, blk), mark, "B_RAM on block {blk}");
    }
    assert!(!cached(&sim, 7));
    assert_eq!(sim.c.bram_hits, 1);
    // Rest of block 1: no I/O. Block 2 (seqcount 10): B_RAM ⇒ read ahead from the
    // first uncached block (7) for maxra − 5 = 5 blocks: 7–11.
    for off in [20 * K, 24 * K, 28 * K] {
        t += SEC;
        sim.step_event(&ev(t, Op::Read, off, 4 * K));
    }
    assert_eq!(sim.device.stats().reads, 2);
    t += SEC;
    sim.step_event(&ev(t, Op::Read, 32 * K, 4 * K));
    let d = sim.device.stats().clone();
    assert_eq!((d.reads, d.read_bytes), (3, 192 * K));
    assert!(cached(&sim, 11) && !cached(&sim, 12));
    // No page touched so far waited for I/O except the very first read's page.
    assert_eq!(sim.c.page_misses, 1);
    assert_eq!(sim.c.page_hits, 8);
    sim.check().unwrap();
}

/// The window grows with seqcount up to IO_SEQMAX (≈2 MiB ahead). A sequential read of
/// the whole file reads every block exactly once, almost all of it asynchronously; in
/// the steady state each B_RAM hit reads ahead only the blocks the reader consumed since
/// the previous hit, so the read-ahead I/Os are small (a property of cluster_readx's
/// shortcut scan that the model keeps).
#[test]
fn sequential_read_reads_each_block_once() {
    let size = 16 << 20;
    let mut sim = sim_for(size, &[]);
    sim.step_event(&ev(0, Op::Open, 0, size));
    let mut t = 0;
    for i in 0..size / (4 * K) {
        t += 1_000_000; // 1 ms per 4 KiB: every I/O completes before the next read
        sim.step_event(&ev(t, Op::Read, i * 4 * K, 4 * K));
    }
    let st = sim.device.stats();
    assert_eq!(st.read_bytes, size, "every byte read once");
    assert_eq!(st.sync_reads, 1, "only the first read waits for the device");
    assert!(
        st.reads > 1 && st.reads < size / (16 * K),
        "reads are clustered: {}",
        st.reads
    );
    assert_eq!(sim.c.page_misses, 1);
    // Everything but the requested block 0 came in as read-ahead (block 1 as the extra
    // block of the first, synchronous cluster), and all of it was used.
    assert_eq!(sim.c.readahead_pages, size / 4096 - 4);
    assert_eq!(sim.c.readahead_pages_used, size / 4096 - 4);
    sim.check().unwrap();
}

/// §6.4: a cold sequential scan of a shared mapping — a major fault per ~2 MiB
/// (sync 128 KiB + async ≈1.9 MiB), in between one minor fault per 5 pages (1 + 4
/// prefaulted), every page entered exactly once.
#[test]
fn sequential_mmap_scan_faults() {
    let size: u64 = 8 << 20;
    let mut sim = sim_for(size, &[]);
    sim.step_event(&ev(0, Op::Open, 0, size));
    sim.step_event(&ev(1, Op::Mmap, 0, size));
    let pages = size / 4096;
    let mut t = 1;
    // 1 ms per page: every read-ahead completes before the scan reaches it.
    for p in 0..pages {
        t += 1_000_000;
        sim.step_event(&ev(t, Op::FaultRead, p * 4096, 4096));
    }
    // Majors at blocks 0, 127, 254, 381, 508 (maxra = IO_SEQMAX = 127 blocks).
    assert_eq!(sim.c.major_faults, 5);
    assert_eq!(sim.c.v_vnodein, 5);
    assert_eq!(sim.c.v_vnodepgsin, 5);
    // Every page is entered once, by a fault or by prefault.
    assert_eq!(sim.c.v_vm_faults, pages);
    let faults = sim.c.major_faults + sim.c.minor_faults;
    assert!(
        faults.abs_diff(pages / 5) <= 5,
        "≈ one fault per 5 pages: {faults} faults for {pages} pages"
    );
    assert_eq!(sim.c.prefault_pages, pages - faults);
    assert_eq!(sim.device.stats().read_bytes, size);
    assert_eq!(sim.c.v_intrans, 0);
    sim.check().unwrap();
}

/// The same scan at 20 µs per page outruns the first 1.9 MiB read-ahead: the fault on
/// the first read-ahead page waits for it (v_intrans) and, taking the slow path, sees
/// its PG_RAM and calls the pager again — an extra major fault with little I/O. Resident
/// pages that are not busy take the quick path, which never sees PG_RAM.
#[test]
fn mmap_scan_outrunning_readahead_waits_and_meets_pg_ram() {
    let size: u64 = 8 << 20;
    let mut sim = sim_for(size, &[]);
    sim.step_event(&ev(0, Op::Open, 0, size));
    sim.step_event(&ev(1, Op::Mmap, 0, size));
    let mut t = 1;
    for p in 0..size / 4096 {
        t += 20_000;
        sim.step_event(&ev(t, Op::FaultRead, p * 4096, 4096));
    }
    assert!(sim.c.v_intrans > 0);
    // Each 127-block window costs its own major plus one at its first read-ahead page.
    assert_eq!(sim.c.major_faults, 8);
    assert_eq!(sim.device.stats().read_bytes, size);
    sim.check().unwrap();
}

/// MADV_RANDOM: exactly one 16 KiB block per major fault, no read-ahead.
#[test]
fn random_advice_reads_one_block_per_fault() {
    let size: u64 = 4 << 20;
    let mut sim = sim_for(size, &[]);
    sim.step_event(&ev(0, Op::Open, 0, size));
    let mut m = ev(1, Op::Mmap, 0, size);
    m.flags = Flags::RANDOM;
    sim.step_event(&m);
    let mut t = 1;
    for blk in [10u64, 3, 200, 77] {
        t += SEC;
        sim.step_event(&ev(t, Op::FaultRead, blk * 16 * K, 4096));
    }
    let d = sim.device.stats();
    assert_eq!((d.reads, d.read_bytes), (4, 64 * K));
    assert_eq!(sim.c.major_faults, 4);
}

/// A fault past EOF is SIGBUS and moves no pager counter; a fault on the EOF page
/// (file not a page multiple) zero-fills its tail and is a normal major fault.
#[test]
fn faults_at_and_past_eof() {
    let size = 10_000; // 2 pages and a bit; object is block-rounded to 4 pages
    let mut sim = sim_for(size, &[]);
    sim.step_event(&ev(0, Op::Open, 0, size));
    sim.step_event(&ev(1, Op::Mmap, 0, 16384));
    sim.step_event(&ev(SEC, Op::FaultRead, 8192, 4096));
    assert_eq!(sim.c.major_faults, 1);
    assert_eq!(sim.c.v_vnodein, 1);
    // A 10000-byte file's only block is a 10 KiB fragment.
    assert_eq!(sim.device.stats().read_bytes, 10 * K);
    sim.step_event(&ev(2 * SEC, Op::FaultRead, 12288, 4096));
    assert_eq!(sim.c.fault_sigbus, 1);
    assert_eq!(sim.c.v_vnodein, 1, "no pager call counted past EOF... ");
    assert_eq!(sim.c.getpages_errors, 1);
}

/// Cold cache, no read-ahead, memory larger than the footprint: device reads equal
/// the distinct f_iosize blocks touched.
#[test]
fn cold_cache_exactness_without_readahead() {
    let size = 3 << 20;
    let mut sim = sim_for(size, &["vfs.max_readahead=0"]);
    sim.step_event(&ev(0, Op::Open, 0, size));
    sim.step_event(&ev(1, Op::Mmap, 0, size));
    let mut blocks = std::collections::BTreeSet::new();
    let mut x: u64 = 12345;
    let mut t = 1;
    for i in 0..3000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let off = x % size;
        t += 50_000;
        if i % 3 == 0 {
            sim.step_event(&ev(t, Op::FaultRead, off & !4095, 4096));
            blocks.insert(off / (16 * K));
        } else {
            let len = (x >> 40) % (40 * K) + 1;
            let len = len.min(size - off);
            sim.step_event(&ev(t, Op::Read, off, len));
            for b in off / (16 * K)..=(off + len - 1) / (16 * K) {
                blocks.insert(b);
            }
        }
    }
    assert_eq!(sim.device.stats().reads, blocks.len() as u64);
    sim.check().unwrap();
}
