//! `unlink`: the name goes, the file stays while it is open or mapped
//! (trace-format.md), and ops reach the file the way the kernel would — through the
//! pid's open file or mapping — while the name, once re-created, is a new file
//! (src/engine/namei.rs).

use vpsim::stats::Origin;
mod common;

use common::load_csv;
use vpsim::run::{RunConfig, RunOutput, run_loaded};

/// Replay `rows` (CSV without the header) on the DragonFly model, invariants checked.
fn replay(rows: &str) -> RunOutput {
    let trace = load_csv(&format!("time_ns,pid,op,file,offset,length,flags\n{rows}"));
    let cfg = RunConfig {
        check_invariants: true,
        ..RunConfig::default()
    };
    run_loaded(&trace, &cfg).unwrap()
}

fn written(out: &RunOutput, o: Origin) -> u64 {
    out.stats.device.by_origin[o.index()][3]
}

/// A pid that still has the old file open and opens the name again gets a second open
/// file, of the new file; its close undoes the newest open first, and the next fsync
/// goes through the older open file to the unlinked file.
#[test]
fn reopening_a_recreated_name_while_the_old_file_is_open() {
    let out = replay(
        "0,1,open,a,,0,\n\
         1,1,write,a,0,8192,\n\
         2,1,unlink,a,,,\n\
         3,1,open,a,,0,\n\
         4,1,write,a,0,4096,\n\
         5,1,close,a,,,\n\
         6,1,fsync,a,,,\n\
         7,1,close,a,,,\n",
    );
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    // fsync wrote the unlinked file's 8 KiB, not the new file's 4 KiB
    assert_eq!(written(&out, Origin::Fsync), 8192);
    // the new file (closed, not unlinked) keeps its dirty 4 KiB; the old one's last
    // reference went with the last close, nothing of it is left
    assert_eq!(out.stats.counters.dirty_bytes_at_end, 4096);
}

/// Another process re-creates the name while pid 1 still maps the unlinked file: pid 1's
/// touches reach the old file through its mapping (its data is there, no SIGBUS), pid
/// 2's reach the new one, and pid 1's munmap drops the old file's last reference.
#[test]
fn faults_through_an_old_mapping_after_the_name_is_recreated() {
    let out = replay(
        "0,1,open,m,,65536,\n\
         1,1,mmap,m,0,65536,\n\
         2,1,fault_write,m,0,4096,\n\
         3,1,unlink,m,,,\n\
         4,1,close,m,,,\n\
         5,2,open,m,,0,\n\
         6,2,write,m,0,4096,\n\
         7,1,fault_read,m,32768,4096,\n\
         8,1,munmap,m,0,65536,\n\
         9,2,fault_read,m,0,4096,\n\
         10,2,close,m,,,\n",
    );
    let c = &out.stats.counters;
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    assert_eq!(c.fault_sigbus, 0, "a touch went to the new, shorter file");
    // only pid 2's touch, which no mapping of the new file covers
    assert_eq!(c.implicit_mapping_touches, 1);
    // the old file's page 8 was read from the disk: the new file has no page 8
    assert!(c.major_faults >= 1);
    // the old file's dirty page went with its last reference, unwritten; the new
    // file's 4 KiB is still dirty
    assert_eq!(out.stats.device.writes, 0);
    assert_eq!(c.dirty_bytes_at_end, 4096);
}

/// msync (through the pid's mapping) and fsync (through its open file) after unlink
/// reach the unlinked file and write its dirty page and block: 32 KiB either way, as
/// without the unlink.
#[test]
fn msync_and_fsync_reach_the_unlinked_file() {
    for (op, origin) in [
        ("msync,m,0,65536", Origin::Msync),
        ("fsync,m,,", Origin::Fsync),
    ] {
        let out = replay(&format!(
            "0,1,open,m,,65536,\n\
                 1,1,mmap,m,0,65536,\n\
                 2,1,fault_write,m,0,4096,\n\
                 3,1,write,m,16384,4096,\n\
                 4,1,unlink,m,,,\n\
                 5,1,{op},\n\
                 6,1,munmap,m,0,65536,\n\
                 7,1,close,m,,,\n"
        ));
        assert!(out.warnings.is_empty(), "{op}: {:?}", out.warnings);
        assert_eq!(written(&out, origin), 32768, "{op}");
        assert_eq!(out.stats.device.write_bytes, 32768, "{op}");
        assert_eq!(out.stats.counters.dirty_bytes_at_end, 0, "{op}");
    }
}

// ---- vnode recycling (src/engine/vnlru.rs) ----

/// Twelve 4 KiB files f0..f11, each opened, read whole (or written, for those in
/// `written`) and closed 1 ms apart, then f2 and f5 read again; `kern.maxvnodes` as
/// given (10 in the worked examples: vlrureclaim's trigger, 16384·2/10 pages, passes
/// every file), 64 MiB. Replayed from the command line (the debug binary checks the
/// invariants, the shadow included).
fn recycle(written: &[u32], maxvnodes: &str) -> serde_json::Value {
    let mut rows = String::from("time_ns,pid,op,file,offset,length,flags\n");
    let mut t = 0u64;
    let mut access = |f: u32, write: bool, rows: &mut String| {
        let op = if write { "write" } else { "read" };
        rows.push_str(&format!(
            "{t},1,open,f{f},,4096,\n{},1,{op},f{f},0,4096,\n{},1,close,f{f},,,\n",
            t + 1,
            t + 2
        ));
        t += 1_000_000;
    };
    for f in 0..12 {
        access(f, written.contains(&f), &mut rows);
    }
    access(2, false, &mut rows);
    access(5, false, &mut rows);
    let dir = common::scratch("vnlru", &format!("w{}-{maxvnodes}", written.len()));
    let p = dir.join("t.csv");
    std::fs::write(&p, rows).unwrap();
    let o = common::vpsim(&[
        "replay",
        p.to_str().unwrap(),
        "--mem",
        "64M",
        "--set",
        &format!("kern.maxvnodes={maxvnodes}"),
        "--format",
        "json",
    ]);
    common::assert_code(&o, 0);
    serde_json::from_str(&common::stdout(&o)).unwrap()
}

/// Worked by hand from vnlru_proc/vlrureclaim/vmightfree: f10's allocvnode finds 10
/// of 10 vnodes in use (> 9/10), vnlru wakes; pass 0 walks f0, f1 (2 vnodes:
/// nvnodelistsize/10 + 1), opened once (VAGE 2) so not yet; pass 1 walks f2, f3 and reclaims both:
/// 8 in use, done. Fewer than 25 free, so f10 and f11 get new vnodes (12). f2, read
/// again, was recycled: its inode comes back (a 13th vnode; vnlru sleeps its second
/// and 10 in use is not more than 10), its page is read in again; f5 is still cached.
#[test]
fn vnlru_recycles_unused_vnodes_and_their_pages() {
    let j = recycle(&[], "10");
    let c = &j["counters"];
    assert_eq!(j["config"]["derived"]["desiredvnodes"], 10);
    assert_eq!(c["vnlru_reclaims"], 2);
    assert_eq!(c["vnodes_peak"], 13);
    assert_eq!(c["vnode_reuses"], 0);
    assert_eq!(
        (c["page_misses"].as_u64(), c["page_hits"].as_u64()),
        (Some(13), Some(1))
    );
    // Without the limit every file stays cached: the second f2 hits too.
    let j = recycle(&[], "auto");
    assert_eq!(j["counters"]["vnlru_reclaims"], 0);
    assert_eq!(j["counters"]["page_hits"], 2);
}

/// A dirty candidate is written, not dropped: with f2 written, pass 1 finds f2 dirty,
/// starts its write-back (origin `vnlru`: the 4 KiB block, one request) and reclaims
/// f3 only (9 in use, done); f10 and f11 get new vnodes (12), and f2, never
/// recycled, needs none. Nothing else writes within the trace's 14 ms.
#[test]
fn vnlru_writes_dirty_vnodes_before_recycling_them() {
    let j = recycle(&[2], "10");
    let c = &j["counters"];
    assert_eq!(c["vnlru_reclaims"], 1);
    assert_eq!(c["vnodes_peak"], 12);
    let v = &j["device"]["by_origin"]["vnlru"];
    assert_eq!(
        (v["writes"].as_u64(), v["write_bytes"].as_u64()),
        (Some(1), Some(4096))
    );
    assert_eq!(
        j["device"]["write_bytes"], 4096,
        "vnlru's write is the only one"
    );
}
