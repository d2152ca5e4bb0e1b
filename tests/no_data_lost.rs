//! No write is ever lost (issue 13): a writer that cannot get a buffer waits for
//! write-back instead of dropping the rest of its write, the "no data lost" invariant
//! sees every byte write(2) accepted, and every read-ahead × cluster × sync policy
//! writes every byte by the end of a `--final-sync` replay.

mod common;

use common::{assert_code, load_csv, stderr, stdout, vpsim};
use rayon::prelude::*;
use vpsim::run::{RunConfig, RunError, run_loaded};
use vpsim::workloads::{GenOptions, generate_to_vec, plan};

const K: u64 = 1024;

/// A fresh scratch directory of this test process.
fn tmp(name: &str) -> std::path::PathBuf {
    common::scratch("nodataloss", name)
}
const M: u64 = 1024 * K;

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}\n{}", stdout(o)))
}

fn writes(j: &serde_json::Value, origin: &str) -> (u64, u64) {
    let o = &j["device"]["by_origin"][origin];
    (
        o["writes"].as_u64().unwrap(),
        o["write_bytes"].as_u64().unwrap(),
    )
}

/// The repro, scaled down: 16 sequential 1 MiB writes and an fsync, with the
/// `linux` sync policy (whose thresholds, a tenth of 1 GiB, never trip here) and
/// clusters that are never pushed at write time (`write_behind=0`), over a buffer
/// cache of 256 headers. `maxbufspace` = 256 × 16 KiB = 4 MiB, so `hibufspace` =
/// max(3/4 of it, 4 MiB − 640 KiB) = 3,538,944 bytes = 216 blocks, and getnewbuf
/// hands out a new header only while `bufspace + 16 KiB < hibufspace`: 215 buffers.
///
/// The other 1024 − 215 = 809 blocks each need a header freed: every sleep in
/// getnewbuf has the oldest dirty buffer written with its cluster (8 blocks, 128 KiB,
/// `buf_daemon`), which frees 8 headers, so ⌈809 / 8⌉ = 102 sleeps write 816 blocks.
/// fsync writes the other 208 blocks as 26 clusters of 8. Every byte reaches the disk.
/// (Before: getnewbuf overcommitted up to the 256th header, then returned nothing
/// and ffs_write dropped the rest — 4 MiB of 16 written, no warning.)
#[test]
fn a_writer_without_a_buffer_waits_for_write_back() {
    let dir = tmp("repro");
    let trace = dir.join("sw.csv");
    let t = trace.to_str().unwrap();
    let o = vpsim(&[
        "gen",
        "seqwrite:fsync=1",
        "--size",
        "16M",
        "--io-size",
        "1M",
        "--events",
        "16",
        "-o",
        t,
    ]);
    assert_code(&o, 0);
    for (cluster, daemon, fsync) in [
        (
            "dragonfly:write_behind=0",
            (102, 102 * 128 * K),
            (26, 26 * 128 * K),
        ),
        // Clusters of up to 1024 blocks, pushed only when full: each sleep writes
        // all 215 buffered blocks (contiguous, dirty) as one request, and they are
        // recycled for the next 215. Sleeps at blocks 215, 430, 645 and 860; fsync
        // writes the last 164 blocks as one request.
        (
            "contiguous:max=1024",
            (4, 4 * 215 * 16 * K),
            (1, 164 * 16 * K),
        ),
    ] {
        let o = vpsim(&[
            "replay",
            t,
            "--mem",
            "1G",
            "--set",
            "kern.nbuf=256",
            "--sync",
            "linux",
            "--cluster",
            cluster,
            "--final-sync",
            "--check-invariants",
            "--format",
            "json",
        ]);
        assert_code(&o, 0);
        let j = json(&o);
        assert_eq!(j["device"]["write_bytes"], 16 * M, "{cluster}: every byte");
        let c = &j["counters"];
        assert_eq!(c["dirty_bytes_at_end"], 0, "{cluster}");
        assert_eq!(c["getnewbuf_overcommits"], 0, "{cluster}");
        assert!(c["stall_getnewbuf_ns"].as_u64().unwrap() > 0, "{cluster}");
        let bd = writes(&j, "buf_daemon");
        let fs = writes(&j, "fsync");
        assert_eq!(c["getnewbuf_waits"], daemon.0, "{cluster}");
        assert_eq!(c["getnewbuf_flushes"], daemon.0, "{cluster}");
        assert_eq!(bd.0, daemon.0, "{cluster}");
        assert_eq!(fs.0, fsync.0, "{cluster}");
        assert_eq!((bd.1, fs.1), (daemon.1, fsync.1), "{cluster}");
        assert!(j["warnings"].as_array().unwrap().is_empty(), "{cluster}");
    }
}

/// A trace of several write-heavy workloads one after the other (times shifted so
/// they do not overlap): sequential 1 MiB writes with fsync, random 4 KiB
/// overwrites, appends with fsync, a database with group commits and checkpoints,
/// truncate churn, and stores through a shared mapping.
fn write_heavy_trace() -> String {
    let parts: &[(&str, u64, u64, Option<u64>)] = &[
        ("seqwrite:fsync=1", 12, 12 * M, Some(M)),
        ("randwrite", 300, 6 * M, None),
        ("append-log:fsync=4", 200, 2 * M, None),
        ("db:read=0.3,fsync=20,checkpoint=150", 300, 4 * M, None),
        ("truncate-churn:read=0.2,truncate=8", 200, 2 * M, None),
        ("mmap-random:write=0.7", 300, 4 * M, None),
    ];
    let mut out = String::new();
    let mut base = 0u64;
    for (i, &(spec, events, size, io)) in parts.iter().enumerate() {
        let opts = GenOptions {
            seed: 7 + i as u64,
            events,
            files: 2,
            size,
            io_size: io,
            interval_ns: 20_000,
            ..GenOptions::default()
        };
        let p = plan(spec, &opts).unwrap();
        let text = String::from_utf8(generate_to_vec(&p).unwrap()).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        if out.is_empty() {
            out.push_str(header);
            out.push('\n');
        }
        let mut last = base;
        for line in lines {
            let (t, rest) = line.split_once(',').unwrap();
            last = base + t.parse::<u64>().unwrap();
            out.push_str(&format!("{last},{rest}\n"));
        }
        base = last + 1_000_000_000;
    }
    out
}

/// Every read-ahead × cluster × sync policy (with `write_behind=0` and huge
/// `contiguous` clusters among the cluster policies) at memories from 4 to 64 MiB,
/// plus every cluster × sync pair over a 256-header buffer cache in 1 GiB, replays
/// the write-heavy trace with the invariants checked after every event and a final
/// sync: no byte lost at any event, every byte on the device at the end, nothing
/// dirty, no overcommit, no configuration stuck.
#[test]
fn every_policy_combination_writes_every_byte() {
    let trace = load_csv(&write_heavy_trace());
    let ras = [
        "none",
        "fixed:pages=16",
        "linux:max=64",
        "freebsd",
        "dragonfly",
    ];
    let clusters = [
        "dragonfly",
        "dragonfly:write_behind=0",
        "none",
        "contiguous:max=16",
        "contiguous:max=1024",
        "dragonfly:launder=fixed",
    ];
    let syncs = [
        "dragonfly",
        "dragonfly:forced_sync=off",
        "linux",
        "periodic:interval=1s",
        "writethrough",
    ];
    let mems = [4 * M, 8 * M, 16 * M, 32 * M, 64 * M];
    let mut cfgs = Vec::new();
    for ra in ras {
        for cl in clusters {
            for sy in syncs {
                let i = cfgs.len();
                cfgs.push(RunConfig {
                    mem: mems[i % mems.len()],
                    readahead: ra.into(),
                    cluster: cl.into(),
                    sync: sy.into(),
                    check_invariants: true,
                    final_sync: true,
                    ..RunConfig::default()
                });
            }
        }
    }
    for cl in clusters {
        for sy in syncs {
            let mut cfg = RunConfig {
                mem: 1 << 30,
                cluster: cl.into(),
                sync: sy.into(),
                check_invariants: true,
                final_sync: true,
                ..RunConfig::default()
            };
            cfg.knobs.set("kern.nbuf=256").unwrap();
            cfgs.push(cfg);
        }
    }
    let failures: Vec<String> = cfgs
        .par_iter()
        .filter_map(|cfg| {
            let name = format!(
                "--mem {} --readahead {} --cluster {} --sync {}",
                cfg.mem, cfg.readahead, cfg.cluster, cfg.sync
            );
            let r = std::panic::catch_unwind(|| run_loaded(&trace, cfg));
            let out = match r {
                Ok(Ok(o)) => o,
                Ok(Err(RunError::Config(e))) if e.contains("memory") => return None,
                Ok(Err(e)) => return Some(format!("{name}: {e}")),
                Err(_) => return Some(format!("{name}: invariant violated (panic above)")),
            };
            let c = &out.stats.counters;
            if c.dirty_bytes_at_end != 0 {
                return Some(format!("{name}: {} bytes dirty", c.dirty_bytes_at_end));
            }
            if c.getnewbuf_overcommits != 0 {
                return Some(format!("{name}: {} overcommits", c.getnewbuf_overcommits));
            }
            if out.stats.device.write_bytes == 0 {
                return Some(format!("{name}: wrote nothing"));
            }
            None
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// An empty trace says so, in replay, compare and sweep alike, on stderr and in the
/// JSON `warnings`.
#[test]
fn an_empty_trace_says_so() {
    let dir = tmp("empty");
    let p = dir.join("empty.csv");
    std::fs::write(&p, "").unwrap();
    let t = p.to_str().unwrap();
    let want = "the trace has no events: nothing was replayed";
    let o = vpsim(&["replay", t, "--format", "json"]);
    assert_code(&o, 0);
    assert!(stderr(&o).contains(want), "{}", stderr(&o));
    let w = json(&o)["warnings"].clone();
    assert!(
        w.as_array()
            .unwrap()
            .iter()
            .any(|x| x.as_str().unwrap().contains(want))
    );
    let o = vpsim(&["replay", t]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains(want), "table warnings: {}", stdout(&o));
    let o = vpsim(&[
        "compare",
        t,
        "--sync",
        "dragonfly",
        "--sync",
        "linux",
        "--format",
        "json",
    ]);
    assert_code(&o, 0);
    assert!(stderr(&o).contains(want), "{}", stderr(&o));
    assert!(stdout(&o).contains(want), "{}", stdout(&o));
    let out = dir.join("r.json");
    let o = vpsim(&[
        "sweep",
        t,
        "--mem",
        "64M,128M",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_code(&o, 0);
    assert!(stderr(&o).contains(want), "{}", stderr(&o));
}
