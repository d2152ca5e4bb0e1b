//! The Linux personality (`--profile linux`) against figures worked out by hand from
//! the kernel's rules: ext4's write_begin, write-back (mm/page-writeback.c,
//! fs/fs-writeback.c), the block layer's request size, and the command line.

mod common;

use common::{assert_code, load_csv, stderr, stdout, vpsim};
use vpsim::models::linux::LinuxParams;
use vpsim::run::{ModelKind, RunConfig, RunOutput, run_loaded};

const K: u64 = 1024;
const M: u64 = 1024 * K;
const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

fn run(csv: &str, keys: &str, mem: u64) -> RunOutput {
    let trace = load_csv(csv);
    let cfg = RunConfig {
        model: ModelKind::Linux,
        mem,
        linux: LinuxParams::parse(keys).unwrap(),
        ..RunConfig::default()
    };
    run_loaded(&trace, &cfg).unwrap()
}

fn origin(o: &RunOutput, name: &str) -> [u64; 4] {
    let i = vpsim::stats::Origin::ALL
        .iter()
        .position(|x| x.name() == name)
        .unwrap();
    o.stats.device.by_origin[i]
}

/// `n` writes of `size` bytes from offset 0, `gap` ns apart, then fsync at the end.
fn seq_writes(n: u64, size: u64, gap: u64, fsync: bool) -> String {
    let mut s = String::from("time_ns,pid,op,file,offset,length,flags\n0,1,open,f,,0,\n");
    for i in 0..n {
        s.push_str(&format!(
            "{},1,write,f,{},{size},\n",
            (i + 1) * gap,
            i * size
        ));
    }
    if fsync {
        s.push_str(&format!("{},1,fsync,f,,,\n", (n + 1) * gap));
    }
    s
}

/// 64 sequential 4 KiB writes (256 KiB) of a new file, then fsync: nothing is written
/// at write time (no cluster pushes); fsync hands the one contiguous dirty run to the
/// block layer as a single 256 KiB request (below max_sectors_kb 1280) and writes the
/// changed inode (ext4 without journal: `sync_inode_metadata`), 2 writes in all, no
/// read (whole pages past EOF need none).
#[test]
fn fsync_writes_one_request_per_contiguous_run_and_the_inode() {
    let o = run(&seq_writes(64, 4 * K, MS, true), "", 1 << 30);
    let d = &o.stats.device;
    assert_eq!(origin(&o, "fsync")[2..], [1, 256 * K]);
    assert_eq!(origin(&o, "metadata")[2..], [1, 4 * K]);
    assert_eq!((d.writes, d.reads), (2, 0));
    assert_eq!(o.stats.counters.dirty_bytes_at_end, 0);
}

/// 8 MiB in 1 MiB writes, then fsync: the run is split at max_sectors_kb. With 1280
/// KiB: 8192 / 1280 = 6.4 → six 1280 KiB requests and one of 512 KiB; with 4096 KiB:
/// two requests.
#[test]
fn requests_are_cut_at_max_sectors_kb() {
    let t = seq_writes(8, M, 10 * MS, true);
    let o = run(&t, "", 1 << 30);
    assert_eq!(origin(&o, "fsync")[2..], [7, 8 * M]);
    let o = run(&t, "max_sectors_kb=4096", 1 << 30);
    assert_eq!(origin(&o, "fsync")[2..], [2, 8 * M]);
}

/// ext4's write_begin on a cold 1 MiB file: a whole-page overwrite reads nothing; a
/// partial write of a page that holds data reads that one page (4 KiB, no
/// read-ahead); a partial write of the page past EOF reads nothing.
#[test]
fn only_partial_writes_of_existing_pages_read_them() {
    let t = "time_ns,pid,op,file,offset,length,flags\n\
             0,1,open,f,,1048576,\n\
             1000000,1,write,f,40960,4096,\n\
             2000000,1,write,f,81920,100,\n\
             3000000,1,write,f,1048576,100,\n";
    let o = run(t, "", 1 << 30);
    assert_eq!(origin(&o, "read_before_write")[..2], [1, 4 * K]);
    assert_eq!(o.stats.device.reads, 1);
    assert_eq!(o.stats.counters.read_before_write, 1);
}

/// Dirty data ages out: one 4 KiB write at 1 ms, nothing else until 40 s. The
/// periodic write-back wakes every 5 s and writes inodes dirtied more than 30 s ago
/// (`wb_check_old_data_flush`): the wake-up at 30 s finds it 29.999 s old, the one at
/// 35 s writes it. One 4 KiB write, origin writeback.
#[test]
fn dirty_pages_are_written_once_expired() {
    let at = |t: u64| {
        format!(
            "time_ns,pid,op,file,offset,length,flags\n0,1,open,f,,0,\n{MS},1,write,f,0,4096,\n{t},1,close,f,,,\n"
        )
    };
    let o = run(&at(34 * SEC), "", 1 << 30);
    assert_eq!(o.stats.device.writes, 0, "not yet at 34 s");
    let o = run(&at(36 * SEC), "", 1 << 30);
    assert_eq!(origin(&o, "writeback")[2..], [1, 4 * K]);
    // With dirty_expire=10s the wake-up at 15 s (the first past 10.001 s) writes it.
    let o = run(&at(16 * SEC), "dirty_expire=10s", 1 << 30);
    assert_eq!(origin(&o, "writeback")[2..], [1, 4 * K]);
    let o = run(&at(14 * SEC), "dirty_expire=10s", 1 << 30);
    assert_eq!(o.stats.device.writes, 0);
}

/// A temporary file: written, closed and unlinked within a second, never reaches
/// the disk — not even with --final-sync (its pages go at the last close after the
/// unlink, `evict` → `truncate_inode_pages_final`).
#[test]
fn a_file_unlinked_while_dirty_is_never_written() {
    let t = "time_ns,pid,op,file,offset,length,flags\n\
             0,1,open,tmp,,0,\n\
             1000000,1,write,tmp,0,1048576,\n\
             2000000,1,unlink,tmp,,,\n\
             3000000,1,close,tmp,,,\n";
    let trace = load_csv(t);
    let cfg = RunConfig {
        model: ModelKind::Linux,
        final_sync: true,
        ..RunConfig::default()
    };
    let o = run_loaded(&trace, &cfg).unwrap();
    assert_eq!(o.stats.device.writes, 0);
    assert_eq!(o.stats.counters.dirty_bytes_at_end, 0);
}

/// The command line: `--profile linux[:keys]` replays through the Linux model and shows
/// every key in `config.profile`; a bad key names the valid ones; DragonFly policies
/// are refused under it.
#[test]
fn profile_flag_on_the_command_line() {
    let o = vpsim(&[
        "replay",
        "traces/seqread.csv",
        "--profile",
        "linux:read_ahead_kb=512",
        "--format",
        "json",
    ]);
    assert_code(&o, 0);
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["config"]["model"], "linux");
    let p = j["config"]["profile"].as_str().unwrap();
    assert!(
        p.starts_with("linux:read_ahead_kb=512,max_sectors_kb=1280"),
        "{p}"
    );
    assert!(p.ends_with(",large_folios=1"), "{p}");
    let o = vpsim(&["replay", "traces/seqread.csv", "--profile", "linux:ra=1"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("read_ahead_kb"), "{}", stderr(&o));
    let o = vpsim(&[
        "replay",
        "traces/seqread.csv",
        "--profile",
        "linux",
        "--readahead",
        "none",
    ]);
    assert_code(&o, 2);
    let o = vpsim(&["replay", "traces/seqread.csv", "--profile", "freebsd"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("dragonfly or linux"), "{}", stderr(&o));
}

/// `n` sequential reads of `size` bytes of a `file_size` file, `gap` ns apart.
fn seq_reads(file_size: u64, size: u64, gap: u64) -> String {
    let mut s = format!("time_ns,pid,op,file,offset,length,flags\n0,1,open,f,,{file_size},\n");
    for i in 0..file_size / size {
        s.push_str(&format!(
            "{},1,read,f,{},{size},\n",
            (i + 1) * gap,
            i * size
        ));
    }
    s
}

/// `dd bs=4k` of a cold 256 MiB file (mm/readahead.c on ext4 with large folios): at
/// read_ahead_kb 128 the windows are 4, 8, 4, 8, 8, 16, 16 pages (to page 64), then
/// 32 for ever: 7 + (65,536 − 64)/32 = 2,053 requests — what the real kernel gives.
/// At read_ahead_kb 8192 with max_sectors_kb 4096 the windows are 4, 16, 60, 240, 448,
/// 256, 512, 512, 1024, 1024 (to page 4096), then 2048 pages split into two 4 MiB
/// requests: 10 + 30 × 2 = 70 requests (the real kernel: 70). A reader faster than
/// the disk (3 µs apart) waits for pages under read instead of reading them again:
/// the same requests.
#[test]
fn sequential_reads_follow_the_kernels_windows() {
    for gap in [30_000, 3_000] {
        let t = seq_reads(256 * M, 4 * K, gap);
        let o = run(&t, "", 24 << 30);
        assert_eq!(
            (o.stats.device.reads, o.stats.device.read_bytes),
            (2053, 256 * M),
            "gap {gap}"
        );
        let o = run(&t, "read_ahead_kb=8192,max_sectors_kb=4096", 24 << 30);
        assert_eq!(
            (o.stats.device.reads, o.stats.device.read_bytes),
            (70, 256 * M),
            "gap {gap}"
        );
    }
}

/// A cold random 4 KiB pread is read alone (page_cache_sync_ra: no history, not
/// sequential → `do_page_cache_ra(req_count, 0)`), whatever read_ahead_kb says.
#[test]
fn a_random_read_reads_one_page() {
    let t = "time_ns,pid,op,file,offset,length,flags\n\
             0,1,open,f,,268435456,\n\
             1000000,1,read,f,104857600,4096,\n\
             2000000,1,read,f,4096000,4096,\n";
    for keys in ["", "read_ahead_kb=8192"] {
        let o = run(t, keys, 1 << 30);
        assert_eq!(
            (o.stats.device.reads, o.stats.device.read_bytes),
            (2, 8 * K),
            "{keys}"
        );
    }
}

/// A read fault on a cold page of a 1 MiB mapping (read_ahead_kb 128, ra_pages 32):
/// `do_sync_mmap_readahead` reads around it — pages 84..116 (start 100 − 16, 32
/// pages), one 128 KiB request — and it is a major fault. The retry's fault-around
/// maps the aligned 16-page block 96..112 except 108 (it carries PG_readahead, at
/// 84 + 32 − 8), so a load of 101 is no fault at all; a load of 108 is a minor fault
/// that starts the next asynchronous window.
#[test]
fn a_read_fault_reads_around_and_maps_around() {
    let t = "time_ns,pid,op,file,offset,length,flags\n\
             0,1,open,f,,1048576,\n\
             1,1,mmap,f,0,1048576,\n\
             1000000,1,fault_read,f,409600,4096,\n\
             2000000,1,fault_read,f,413696,4096,\n";
    let o = run(t, "", 1 << 30);
    let (d, c) = (&o.stats.device, &o.stats.counters);
    assert_eq!((d.reads, d.read_bytes), (1, 128 * K));
    assert_eq!(
        (c.major_faults, c.minor_faults, c.touches_no_fault),
        (1, 0, 1)
    );
    let t2 = format!("{t}3000000,1,fault_read,f,{},4096,\n", 108 * 4096);
    let o = run(&t2, "", 1 << 30);
    let (d, c) = (&o.stats.device, &o.stats.counters);
    assert_eq!((c.major_faults, c.minor_faults), (1, 1));
    assert_eq!(c.ra_marker_hits, 1);
    assert_eq!(d.reads, 2, "the marker started one more window");
}

/// posix_fadvise (`generic_fadvise`): RANDOM sets FMODE_RANDOM, so each miss of a
/// sequential 4 KiB reader reads just its page (`force_page_cache_ra` of 1 page): 256
/// requests for 1 MiB. WILLNEED over the whole 1 MiB file reads it now
/// (`force_page_cache_ra`: 256 pages ≤ max(io_pages 320, ra_pages 32)), one 1 MiB
/// request, and the reads then find their pages. The trace format carries the advice.
#[test]
fn fadvise_random_and_willneed() {
    let base = seq_reads(M, 4 * K, 30_000);
    let with = |line: &str| {
        let mut lines: Vec<&str> = base.lines().collect();
        lines.insert(2, line);
        lines.join("\n") + "\n"
    };
    let o = run(&with("1,1,fadvise,f,0,0,random"), "", 1 << 30);
    assert_eq!((o.stats.device.reads, o.stats.device.read_bytes), (256, M));
    let o = run(&with("1,1,fadvise,f,0,1048576,willneed"), "", 1 << 30);
    assert_eq!((o.stats.device.reads, o.stats.device.read_bytes), (1, M));
    // The first read (30 µs later) finds its page still under the 1 MiB read and
    // waits for it; the other 255 hit.
    assert_eq!(
        (o.stats.counters.page_hits, o.stats.counters.v_intrans),
        (255, 1)
    );
    // NORMAL after RANDOM restores read-ahead: back to the windows of a plain reader.
    let plain = run(&base, "", 1 << 30);
    let o = run(
        &with("1,1,fadvise,f,0,0,random\n2,1,fadvise,f,0,0,normal"),
        "",
        1 << 30,
    );
    assert_eq!(o.stats.device.reads, plain.stats.device.reads);
}

/// Stores to every page of a 4 MiB shared mapping in order, then fsync (read_ahead_kb
/// 128). ext4 on 6.18 caches read-ahead data in large folios, a fault maps its whole
/// folio (`finish_fault`) and a store dirties the whole folio: the first fault reads
/// around page 0 (32 pages in 4 KiB folios: 1 major + 31 minor faults, stores take no
/// fault-around); the store to the mark (page 24) starts the next window, pages 32..64
/// in order-2 folios (8 faults), whose mark starts 64..96 in order-4 folios (2 faults),
/// then every window is one 32-page folio (order capped by the window): (1024 − 96)/32
/// = 29 faults. 1 major + 70 minor, 953 stores without a fault — the real kernel's
/// pattern (the harness's mmap_seqwrite_fsync: 2,086 minor faults for 256 MiB, model
/// and kernel alike). Reads: 32 windows of 32 pages; fsync: 4 MiB cut at 1280 KiB = 4
/// requests, plus the inode.
#[test]
fn stores_fault_once_per_folio() {
    let mut s = String::from(
        "time_ns,pid,op,file,offset,length,flags\n0,1,open,f,,4194304,\n1,1,mmap,f,0,4194304,\n",
    );
    let mut t = 1000;
    for i in 0..1024u64 {
        t += 100_000;
        s.push_str(&format!("{t},1,fault_write,f,{},4096,\n", i * 4096));
    }
    s.push_str(&format!("{},1,fsync,f,,,\n", t + MS));
    let o = run(&s, "", 1 << 30);
    let (d, c) = (&o.stats.device, &o.stats.counters);
    assert_eq!(
        (c.major_faults, c.minor_faults, c.touches_no_fault),
        (1, 70, 953)
    );
    assert_eq!((d.reads, d.read_bytes), (32, 4 * M));
    assert_eq!((d.writes, d.write_bytes), (5, 4 * M + 4 * K));
    // With 4 KiB folios only, every store faults (stores take no fault-around): 1
    // major + 1,023 minor; the same reads and writes.
    let o = run(&s, "large_folios=0", 1 << 30);
    let (d, c) = (&o.stats.device, &o.stats.counters);
    assert_eq!(
        (c.major_faults, c.minor_faults, c.touches_no_fault),
        (1, 1023, 0)
    );
    assert_eq!((d.reads, d.writes), (32, 5));
}

/// `vpsim compare --profile dragonfly --profile linux...`: the DragonFly rows (every
/// policy combination) and one row per Linux profile, side by side; each row's config
/// names its personality; DragonFly policies without a DragonFly profile are refused.
#[test]
fn compare_puts_personalities_side_by_side() {
    let o = vpsim(&[
        "compare",
        "traces/seqread.csv",
        "--profile",
        "dragonfly",
        "--profile",
        "linux",
        "--profile",
        "linux:read_ahead_kb=512",
        "--readahead",
        "none",
        "--readahead",
        "dragonfly",
        "--format",
        "json",
    ]);
    assert_code(&o, 0);
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let models: Vec<&str> = j["configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["config"]["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, ["dragonfly", "dragonfly", "linux", "linux"]);
    let p = j["configs"][3]["config"]["profile"].as_str().unwrap();
    assert!(p.starts_with("linux:read_ahead_kb=512,"), "{p}");
    let o = vpsim(&["compare", "traces/seqread.csv", "--profile", "linux"]);
    assert_code(&o, 0);
    // The specs block: the profile as given, then in effect with every key.
    assert!(
        stdout(&o).contains("  profile  linux  linux:read_ahead_kb=128,"),
        "{}",
        stdout(&o)
    );
    let o = vpsim(&[
        "compare",
        "traces/seqread.csv",
        "--profile",
        "linux",
        "--sync",
        "linux",
    ]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("--profile dragonfly"), "{}", stderr(&o));
}

/// Trace oddities are worked around and said, as in the DragonFly model: a close the
/// pid never opened, a munmap that matches no mapping, a store through MAP_PRIVATE
/// (copy-on-write: the file is not written).
#[test]
fn oddities_are_warned_not_hidden() {
    let t = "time_ns,pid,op,file,offset,length,flags\n\
             0,1,open,f,,1048576,\n\
             1,1,mmap,f,0,1048576,private\n\
             2,1,fault_write,f,0,4096,\n\
             3,1,munmap,f,65536,4096,\n\
             4,2,close,f,,,\n";
    let o = run(t, "", 1 << 30);
    assert_eq!(o.stats.device.writes, 0);
    let w = o.warnings.join("\n");
    for want in [
        "1 fault_write touches went through MAP_PRIVATE",
        "1 closes of files the pid had not opened",
        "1 munmaps matched no mapping",
    ] {
        assert!(w.contains(want), "{want}: {w}");
    }
    let o = run(&seq_writes(4, 4 * K, MS, true), "", 1 << 30);
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
}

/// write(2) makes its folios as ext4's `write_begin` asks `__filemap_get_folio` for
/// them (`fgf_set_order(len)`, capped by the index's alignment): file `a` gets one
/// aligned 1 MiB write (one order-8 folio) then 16 writes of 4 KiB (single pages);
/// file `b` one 1 MiB write at offset 4 KiB: pages 1, 2–3, 4–7, 8–15, 16–31, 32–63,
/// 64–127, 128–255 and 256 (orders 0, 1, …, 7, 0: each folio as large as the index's
/// alignment and the bytes left allow). Storing to every page of shared mappings of
/// both: a store fault maps and dirties its whole folio (`finish_fault`), so `a` takes
/// 1 + 16 minor faults and `b` 9; every other store needs none. With 4 KiB folios
/// only, every one of the 528 stores faults. fsync of `a`: 1 MiB + 64 KiB in one
/// request (below 1280 KiB) plus the inode.
#[test]
fn writes_make_folios_as_write_begin_asks() {
    let mut s = String::from(
        "time_ns,pid,op,file,offset,length,flags\n0,1,open,a,,0,\n0,1,open,b,,0,\n\
         1,1,write,a,0,1048576,\n",
    );
    for i in 0..16u64 {
        s.push_str(&format!("2,1,write,a,{},4096,\n", M + i * 4 * K));
    }
    s.push_str("3,1,write,b,4096,1048576,\n4,1,mmap,a,0,1114112,\n4,1,mmap,b,0,1052672,\n");
    let mut t = 1000;
    for (f, pages) in [("a", 272u64), ("b", 257)] {
        for i in 0..pages {
            t += 1000;
            s.push_str(&format!("{t},1,fault_write,{f},{},4096,\n", i * 4096));
        }
    }
    s.push_str(&format!("{},1,fsync,a,,,\n", t + MS));
    let o = run(&s, "", 1 << 30);
    let (d, c) = (&o.stats.device, &o.stats.counters);
    // Page 0 of b was never written: a hole below EOF, read as a major fault.
    assert_eq!(
        (c.major_faults, c.minor_faults, c.touches_no_fault),
        (1, 26, 502)
    );
    assert_eq!(origin(&o, "fsync")[2..], [1, M + 64 * K]);
    assert_eq!(d.reads, 1);
    let o = run(&s, "large_folios=0", 1 << 30);
    let c = &o.stats.counters;
    assert_eq!(
        (c.major_faults, c.minor_faults, c.touches_no_fault),
        (1, 528, 0)
    );
}

/// The block layer merges a bio into a request still waiting in the queue that it
/// adjoins (`elv_merge`: back and front merges), up to `max_sectors_kb`. 1 MiB of `g`
/// and 64 KiB of `f` (16 writes of 4 KiB: single-page folios) are dirtied;
/// `fadvise(DONTNEED)` starts asynchronous write-back:
/// `g`'s 1 MiB request goes straight to the idle device; `f`'s halves arrive while it
/// is in service, the first is queued, the second adjoins it and merges: 2 write
/// requests, 1 merge, all 1,088 KiB written. In the other order the second half merges
/// at the front. With `max_sectors_kb=32` the halves are each a full request and
/// cannot merge, and `g` goes as 32 requests: 34 writes, no merge. Written by one
/// 64 KiB write, `f` is one 64 KiB folio, and write-back takes folios whole: the first
/// half's fadvise writes all of it, the second finds nothing dirty — 2 writes, no
/// merge.
#[test]
fn adjacent_queued_requests_merge_up_to_max_sectors_kb() {
    let trace = |halves: [u64; 2]| {
        let mut s = String::from(
            "time_ns,pid,op,file,offset,length,flags\n0,1,open,g,,0,\n0,1,open,f,,0,\n\
             1,1,write,g,0,1048576,\n",
        );
        for i in 0..16 {
            s.push_str(&format!("2,1,write,f,{},4096,\n", i * 4096));
        }
        s.push_str("3,1,fadvise,g,0,0,dontneed\n");
        for (i, h) in halves.iter().enumerate() {
            s.push_str(&format!("{},1,fadvise,f,{h},32768,dontneed\n", 4 + i));
        }
        s
    };
    for halves in [[0, 32 * K], [32 * K, 0]] {
        let o = run(&trace(halves), "", 1 << 30);
        let d = &o.stats.device;
        assert_eq!(
            (d.writes, d.write_merges, d.write_bytes),
            (2, 1, M + 64 * K),
            "{halves:?}"
        );
        assert_eq!(origin(&o, "writeback")[2..], [2, M + 64 * K]);
        assert_eq!(o.stats.counters.dirty_bytes_at_end, 0);
    }
    let o = run(&trace([0, 32 * K]), "max_sectors_kb=32", 1 << 30);
    let d = &o.stats.device;
    assert_eq!(
        (d.writes, d.write_merges, d.write_bytes),
        (34, 0, M + 64 * K)
    );
    let one_folio = trace([0, 32 * K]).replace(
        &(0..16)
            .map(|i| format!("2,1,write,f,{},4096,\n", i * 4096))
            .collect::<String>(),
        "2,1,write,f,0,65536,\n",
    );
    let o = run(&one_folio, "", 1 << 30);
    let d = &o.stats.device;
    assert_eq!(
        (d.writes, d.write_merges, d.write_bytes),
        (2, 0, M + 64 * K)
    );
}

/// Bios and extents (include/linux/bio.h `BIO_MAX_VECS`, fs/ext4/inode.c
/// `MAX_WRITEPAGES_EXTENT_LEN`, `blk_attempt_plug_merge`), fsync of 12 MiB:
/// * a new file written in 1 MiB writes (1 MiB folios) is delayed allocation, mapped
///   in extents of 2,048 blocks each sent as its own bio: 8 MiB → 6 × 1280 KiB + 512
///   KiB, 4 MiB → 3 × 1280 KiB + 256 KiB (its first piece does not fit beside the 512
///   KiB one): 11 requests;
/// * the same writes over an existing 12 MiB file need no mapping: one run, 12 MiB /
///   1280 KiB → 10 requests;
/// * a new file written in 4 KiB writes has 4 KiB folios: bios of 256 folios (1 MiB),
///   and two do not fit in 1280 KiB: 12 requests of 1 MiB; with `max_sectors_kb=4096`
///   four bios merge under the plug into each request: 8 MiB extent → 2, 4 MiB
///   extent → 1.
#[test]
fn bios_and_delayed_allocation_extents_shape_write_requests() {
    let new_1m = seq_writes(12, M, MS, true);
    let o = run(&new_1m, "", 1 << 30);
    assert_eq!(origin(&o, "fsync")[2..], [11, 12 * M]);
    let existing = new_1m.replace("0,1,open,f,,0,", "0,1,open,f,,12582912,");
    let o = run(&existing, "", 1 << 30);
    assert_eq!(origin(&o, "fsync")[2..], [10, 12 * M]);
    let new_4k = seq_writes(3072, 4 * K, 1000, true);
    let o = run(&new_4k, "", 1 << 30);
    assert_eq!(origin(&o, "fsync")[2..], [12, 12 * M]);
    let o = run(&new_4k, "max_sectors_kb=4096", 1 << 30);
    assert_eq!(origin(&o, "fsync")[2..], [3, 12 * M]);
}

/// Read-around at `read_ahead_kb=8192` reads 2,048 pages centred on the fault in
/// 4 KiB folios (`do_sync_mmap_readahead`): bios of 256 folios, 1 MiB each, that do
/// not merge in 1280 KiB: 8 requests, not 8 MiB / 1280 KiB = 7.
#[test]
fn read_around_goes_out_in_bios_of_256_folios() {
    let t = "time_ns,pid,op,file,offset,length,flags\n\
             0,1,open,f,,16777216,\n1,1,mmap,f,0,16777216,\n\
             1000,1,fault_read,f,4194304,4096,\n";
    let o = run(t, "read_ahead_kb=8192", 1 << 30);
    assert_eq!(
        (o.stats.device.reads, o.stats.device.read_bytes),
        (8, 8 * M)
    );
    assert_eq!(o.stats.counters.major_faults, 1);
}
