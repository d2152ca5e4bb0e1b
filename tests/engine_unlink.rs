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
