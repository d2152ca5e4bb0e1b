//! Cold-cache exactness on the real traces: with read-ahead off and memory larger than
//! the footprint, the device reads exactly the distinct f_iosize blocks that reads and
//! faults touch — no more (nothing read twice, nothing read ahead), no less (no touch
//! served without I/O from a block never read).

use std::collections::HashSet;
use vpsim::device::DeviceSpec;
use vpsim::engine::Simulator;
use vpsim::params::{Knobs, Params};
use vpsim::trace::{Event, FileTable, Op, TraceReader};

const BSIZE: u64 = 16384;

/// The read-only part of a real trace: opens (sizes from the accesses), reads, maps and
/// faults (stores turned into loads), in trace order.
fn read_only(path: &str) -> (FileTable, Vec<Event>) {
    let mut files = FileTable::new();
    let mut r = TraceReader::open(path).expect("trace opens");
    let mut evs = Vec::new();
    while let Some(mut e) = r.next_event(&mut files).expect("trace parses") {
        match e.op {
            Op::Open => {
                e.has_length = false;
                e.length = 0;
            }
            Op::Close | Op::Read | Op::Mmap | Op::Munmap | Op::FaultRead => {}
            Op::FaultWrite => e.op = Op::FaultRead,
            _ => continue,
        }
        evs.push(e);
    }
    // Sizes as the format's first pass would infer them for undeclared files.
    let mut size = vec![0u64; files.len()];
    for e in &evs {
        let end = match e.op {
            Op::Read => e.offset + e.length,
            Op::FaultRead => e.offset + 1,
            _ => continue,
        };
        let s = &mut size[e.file as usize];
        *s = (*s).max(end);
    }
    for (id, s) in size.iter().enumerate() {
        files.set_initial_size(id as u32, Some(*s), false);
    }
    (files, evs)
}

fn distinct_blocks(evs: &[Event]) -> usize {
    let mut blocks = HashSet::new();
    for e in evs {
        match e.op {
            Op::Read if e.length > 0 => {
                for b in e.offset / BSIZE..=(e.offset + e.length - 1) / BSIZE {
                    blocks.insert((e.file, b));
                }
            }
            Op::FaultRead => {
                blocks.insert((e.file, e.offset / BSIZE));
            }
            _ => {}
        }
    }
    blocks.len()
}

fn check(name: &str) {
    let path = format!("{}/traces/{name}", env!("CARGO_MANIFEST_DIR"));
    let (files, evs) = read_only(&path);
    let mut k = Knobs::default();
    k.set("vfs.max_readahead=0").unwrap();
    let p = Params::derive(1 << 30, 0, k).unwrap();
    let mut sim = Simulator::new(p, DeviceSpec::ssd(), &files);
    for e in &evs {
        sim.step_event(e);
    }
    let expected = distinct_blocks(&evs);
    assert!(
        expected > 100,
        "{name}: a real footprint ({expected} blocks)"
    );
    assert_eq!(sim.device.stats().reads as usize, expected, "{name}");
    assert_eq!(sim.c.readahead_blocks, 0);
    sim.check().unwrap();
}

#[test]
fn git_trace_reads_each_touched_block_once() {
    check("git.events.csv.zst");
}

#[test]
fn pyio_trace_reads_each_touched_block_once() {
    check("pyio.events.csv.zst");
}
