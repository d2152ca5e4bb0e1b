//! The shared real traces, and the two `vpsim record` made, replay through the full
//! model with every invariant checked after every event (page conservation, buffer
//! accounting, no data lost), at a small and a large memory, and `--final-sync` leaves
//! nothing dirty.

use vpsim::run::{RunConfig, run_trace};
use vpsim::stats::Origin;

fn replay(name: &str, mem: u64) {
    replay_events(name, mem, None);
}

/// [`replay`], with the exact event count of a small trace.
fn replay_events(name: &str, mem: u64, events: Option<u64>) {
    let path = format!("{}/traces/{name}", env!("CARGO_MANIFEST_DIR"));
    let cfg = RunConfig {
        mem,
        check_invariants: true,
        final_sync: true,
        timeline_step_ns: Some(100_000_000),
        ..RunConfig::default()
    };
    let out = run_trace(&path, &cfg, &mut |_| {}).expect("replays");
    let c = &out.stats.counters;
    match events {
        Some(n) => assert_eq!(c.events, n, "{name}"),
        None => assert!(c.events > 5000, "{name}"),
    }
    assert_eq!(
        c.dirty_bytes_at_end, 0,
        "{name} at {mem}: final sync left dirty data"
    );
    assert!(c.page_hits + c.page_misses > 0);
    assert_eq!(c.getnewbuf_overcommits, 0);
    assert_eq!(c.alloc_reserve_overrides, 0);
    let d = &out.stats.device;
    let by_origin_writes: u64 = Origin::ALL.iter().map(|o| d.by_origin[o.index()][2]).sum();
    assert_eq!(by_origin_writes, d.writes, "every write has an origin");
    assert!(!out.timeline.is_empty(), "timeline sampled");
    assert!(
        out.timeline.windows(2).all(|w| w[0].time_ns < w[1].time_ns),
        "timeline rows in time order"
    );
    assert!(
        !out.warnings.iter().any(|w| w.contains("invariant")),
        "{:?}",
        out.warnings
    );
}

#[test]
fn git_at_64m() {
    replay("git.events.csv.zst", 64 << 20);
}

#[test]
fn git_at_1g() {
    replay("git.events.csv.zst", 1 << 30);
}

#[test]
fn pyio_at_64m() {
    replay("pyio.events.csv.zst", 64 << 20);
}

#[test]
fn pyio_at_1g() {
    replay("pyio.events.csv.zst", 1 << 30);
}

/// The traces `vpsim record` made on the project's machine (traces/README.md).
#[test]
fn recorded_sqlite_mmap_and_pymmap() {
    replay_events("sqlite-mmap.events.csv.zst", 64 << 20, Some(791));
    replay_events("pymmap.events.csv.zst", 4 << 20, Some(359));
    replay_events("pymmap.events.csv.zst", 1 << 30, Some(359));
}
