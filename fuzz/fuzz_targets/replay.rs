//! Whole replays: the input is a trace (CSV, or binary if it starts with the magic)
//! replayed under a configuration its first two bytes pick, with the engine's
//! invariant checks on. The engine must never panic on a trace the reader accepts.
//!
//! Byte 0: bits 0-1 model (dragonfly, lru, opt, dragonfly), bits 2-3 read-ahead
//! (dragonfly, none, fixed:pages=4, linux:max=8), bits 4-5 clustering/sync pair,
//! bit 6 final sync, bit 7 hdd (else ssd). Byte 1: bits 0-2 memory (4..11 MiB),
//! bit 4 a timeline, bits 5-7 a knob preset. Rest: the trace, cut after 100 lines
//! (the trace is written to a scratch file: `load_trace` takes a path, and reading
//! it twice, prescan then events, is part of what is tested).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpsim::device::DeviceSpec;
use vpsim::params::Knobs;
use vpsim::run::{ModelKind, RunConfig, load_trace, run_loaded};
use vpsim::trace::{Event, Op};

const MAX_LINES: usize = 100;

/// Inputs with a read or write longer than this are skipped, for throughput only: the
/// engine's work is linear in a transfer's length (block by block, and the invariant
/// checks shadow every page), and a row may move up to `MAX_RW_COUNT` (2 GiB − 4 KiB),
/// which takes ~0.1 s in release and far longer in this build. Without this filter the
/// target ran at 346 exec/s instead of ~2,200 (fuzz/README.md). The 2 GiB case itself
/// is `replay_write_of_2_pow_57_bytes_finishes` in tests/fuzz_regressions.rs.
const TRANSFER_CAP: u64 = 16 << 20;

fuzz_target!(|data: &[u8]| {
    let [a, b, trace @ ..] = data else {
        return;
    };
    let cut = trace
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c == b'\n')
        .nth(MAX_LINES - 1)
        .map_or(trace.len(), |(i, _)| i + 1);
    let trace = &trace[..cut];
    let path = vpsim_fuzz::scratch_path("replay");
    std::fs::write(&path, trace).unwrap();
    let loaded = load_trace(&path.to_string_lossy());
    let _ = std::fs::remove_file(&path);
    let Ok(loaded) = loaded else {
        return;
    };
    let long = |ev: &Event| matches!(ev.op, Op::Read | Op::Write) && ev.length > TRANSFER_CAP;
    if loaded.events.iter().any(long) {
        return;
    }
    let (cl, sy) = match (a >> 4) & 3 {
        0 => ("dragonfly", "dragonfly"),
        1 => ("none", "linux"),
        2 => ("contiguous:max=16", "periodic:interval=1s"),
        _ => ("dragonfly", "writethrough"),
    };
    let mut knobs = Knobs::default();
    let preset: &[&str] = match b >> 5 {
        0 => &[],
        1 => &["f_iosize=4K", "mnt_iosize_max=4K"],
        2 => &["f_iosize=64K", "vm.prefault_pages=0", "seqaccess=never"],
        3 => &["truncate=generic", "forced_sync=x4", "vfs.write_behind=2"],
        4 => &["noclusterr=1", "noclusterw=1", "kern.nbuf=16"],
        5 => &[
            "launder_forward=1",
            "pageout_dirty_lap=0",
            "vm_pageout_algorithm=1",
        ],
        6 => &[
            "vfs.max_readahead=0",
            "vm_shared_fault=0",
            "prefault_dirty=0",
        ],
        _ => &["kern.filedelay=1", "kern.syncdelay=1", "lazy_limit=4K"],
    };
    for s in preset {
        knobs.set(s).unwrap();
    }
    let cfg = RunConfig {
        model: match a & 3 {
            1 => ModelKind::Lru,
            2 => ModelKind::Opt,
            _ => ModelKind::Dragonfly,
        },
        mem: (4 + u64::from(b & 7)) << 20,
        unavailable: 0,
        knobs,
        device: if a & 0x80 != 0 {
            DeviceSpec::hdd()
        } else {
            DeviceSpec::ssd()
        },
        check_invariants: true,
        final_sync: a & 0x40 != 0,
        timeline_step_ns: (b & 0x10 != 0).then_some(1_000_000),
        readahead: ["dragonfly", "none", "fixed:pages=4", "linux:max=8"][usize::from((a >> 2) & 3)]
            .into(),
        cluster: cl.into(),
        sync: sy.into(),
    };
    match run_loaded(&loaded, &cfg) {
        Ok(out) => {
            let _ = out.stats;
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
