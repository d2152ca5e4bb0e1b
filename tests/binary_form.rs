//! The binary form (`.vpt`), `vpsim convert` and `vpsim info`, end to end.

mod common;

use common::{assert_code, root, stderr, stdout, vpsim};
use std::path::PathBuf;
use vpsim::trace::{Event, FileTable, Flags, Op, TraceReader, TraceSource};

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    common::scratch("bin", name)
}

fn p(path: &std::path::Path) -> &str {
    path.to_str().unwrap()
}

/// Every event of a trace (either form) with its file name.
fn events_of(path: &str) -> Vec<(Event, String)> {
    let mut src = TraceSource::open(path).unwrap();
    let mut files = src.prescan(path).unwrap().files;
    let mut v = Vec::new();
    while let Some(ev) = src.next_event(&mut files).unwrap() {
        v.push((ev, files.name(ev.file).to_string()));
    }
    v
}

/// The same through the CSV reader alone (the reference the binary must reproduce).
fn csv_events(path: &str) -> Vec<(Event, String)> {
    let mut r = TraceReader::open(path).unwrap();
    let mut files = FileTable::new();
    let mut v = Vec::new();
    while let Some(ev) = r.next_event(&mut files).unwrap() {
        v.push((ev, files.name(ev.file).to_string()));
    }
    v
}

#[test]
fn csv_to_binary_to_csv_is_lossless() {
    let d = scratch("roundtrip");
    for t in [
        "traces/mixed.csv",
        "traces/seqread.csv",
        "traces/pyio.events.csv.zst",
        "traces/git.events.csv.zst",
    ] {
        let src = root().join(t);
        let vpt = d.join("t.vpt");
        let back = d.join("back.csv.gz");
        assert_code(&vpsim(&["convert", p(&src), p(&vpt)]), 0);
        assert_code(&vpsim(&["convert", p(&vpt), p(&back)]), 0);
        let want = csv_events(p(&src));
        assert!(!want.is_empty());
        assert_eq!(events_of(p(&vpt)), want, "{t}: binary differs");
        assert_eq!(csv_events(p(&back)), want, "{t}: CSV written back differs");
        // The binary header carries what the prescan would compute.
        let a = vpsim::trace::prescan(p(&src)).unwrap();
        let b = TraceSource::open(p(&vpt)).unwrap().known_prescan().unwrap();
        assert_eq!(b.events, a.events);
        assert_eq!((b.first_time, b.last_time), (a.first_time, a.last_time));
        for (id, name) in a.files.iter() {
            assert_eq!(b.files.name(id), name);
            assert_eq!(
                b.files.initial_size(id),
                a.files.initial_size(id),
                "{t} {name}"
            );
            assert_eq!(b.files.declared(id), a.files.declared(id), "{t} {name}");
        }
    }
    // Flags survive (mixed.csv has open, mmap and msync flags).
    let flagged = events_of(p(&d.join("back.csv.gz")))
        .iter()
        .filter(|(e, _)| !e.flags.is_empty())
        .count();
    assert!(
        flagged == 0,
        "the last round trip was git, which has no flags"
    );
    assert_code(
        &vpsim(&["convert", "traces/mixed.csv", p(&d.join("m.vpt"))]),
        0,
    );
    let m = events_of(p(&d.join("m.vpt")));
    assert!(m.iter().filter(|(e, _)| !e.flags.is_empty()).count() >= 4);
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn advice_rows_round_trip_through_the_binary_form() {
    let d = scratch("advice");
    let csv = d.join("a.csv");
    std::fs::write(
        &csv,
        "time_ns,pid,op,file,offset,length,flags\n\
         0,1,open,f,,65536,\n\
         10,1,fadvise,f,0,0,sequential\n\
         20,1,fadvise,f,4096,8192,noreuse\n\
         30,1,fadvise,f,0,65536,willneed\n\
         40,1,fadvise,f,0,0,dontneed\n\
         50,1,fadvise,f,0,0,random\n\
         60,1,fadvise,f,0,0,normal\n\
         70,1,mmap,f,0,65536,\n\
         80,1,madvise,f,0,16384,random\n\
         90,1,madvise,f,16384,16384,sequential\n\
         100,1,madvise,f,0,65536,willneed\n\
         110,1,madvise,f,0,65536,dontneed\n\
         120,1,madvise,f,0,65536,normal\n\
         130,1,fault_read,f,8192,4096,\n\
         140,1,munmap,f,0,65536,\n\
         150,1,close,f,,,\n",
    )
    .unwrap();
    let vpt = d.join("a.vpt");
    let back = d.join("back.csv");
    assert_code(&vpsim(&["convert", p(&csv), p(&vpt)]), 0);
    assert_code(&vpsim(&["convert", p(&vpt), p(&back)]), 0);
    let want = csv_events(p(&csv));
    assert_eq!(want.len(), 16);
    assert_eq!(events_of(p(&vpt)), want, "binary differs");
    assert_eq!(csv_events(p(&back)), want, "CSV written back differs");
    assert_eq!(want[2].0.op, Op::Fadvise);
    assert_eq!(want[2].0.flags, Flags::NOREUSE);
    assert_eq!(want[9].0.op, Op::Madvise);
    assert_eq!(want[9].0.flags, Flags::SEQUENTIAL);
    // Records: op 12 (fadvise) and 13 (madvise), the advice as one flag bit; the op
    // numbers of the first version are unchanged, so older files read the same.
    let bytes = std::fs::read(&vpt).unwrap();
    let rec = |i: usize| &bytes[64 + i * 40..64 + (i + 1) * 40];
    let flags = |i: usize| u16::from_le_bytes([rec(i)[34], rec(i)[35]]);
    assert_eq!(rec(0)[32], 0, "open");
    assert_eq!(rec(1)[32], 12);
    assert_eq!(flags(1), Flags::SEQUENTIAL.0);
    assert_eq!(rec(8)[32], 13);
    assert_eq!(flags(8), Flags::RANDOM.0);
    assert_eq!(rec(14)[32], 5, "munmap");
    // The CSV written back spells the advice as the format's words.
    let text = std::fs::read_to_string(&back).unwrap();
    assert!(text.contains(",1,fadvise,f,4096,8192,noreuse\n"), "{text}");
    assert!(
        text.contains(",1,madvise,f,16384,16384,sequential\n"),
        "{text}"
    );
    // `info` and `check` count them like any op, from either form.
    for t in [&csv, &vpt] {
        let o = vpsim(&["info", p(t), "--format", "json"]);
        assert_code(&o, 0);
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(v["ops"]["fadvise"], 6);
        assert_eq!(v["ops"]["madvise"], 5);
        let o = vpsim(&["check", p(t)]);
        assert_code(&o, 0);
        let out = stdout(&o);
        let count = |op: &str| {
            out.lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>())
                .find(|w| w.first() == Some(&op))
                .and_then(|w| w.get(1).map(|n| n.to_string()))
        };
        assert_eq!(count("fadvise").as_deref(), Some("6"), "{out}");
        assert_eq!(count("madvise").as_deref(), Some("5"), "{out}");
    }
    // The kernel model replays them: fadvise and madvise willneed/dontneed counted.
    let o = vpsim(&["replay", p(&vpt), "--format", "json", "--check-invariants"]);
    assert_code(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["counters"]["fadvise_ignored"], 6);
    assert_eq!(v["counters"]["madvise_ignored"], 2);
    assert_eq!(v["latency_ns"]["madvise"]["count"], 5);
    // A record with two advice bits is corrupt, and named.
    let mut bad = bytes.clone();
    let two = (Flags::RANDOM | Flags::WILLNEED).0.to_le_bytes();
    bad[64 + 8 * 40 + 34..64 + 8 * 40 + 36].copy_from_slice(&two);
    let badp = d.join("bad.vpt");
    std::fs::write(&badp, &bad).unwrap();
    let o = vpsim(&["replay", p(&badp)]);
    assert_code(&o, 1);
    assert!(
        stderr(&o).contains("record 9 of") && stderr(&o).contains("not one advice"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(d);
}

/// The replay JSON minus the one field that names the trace file.
fn replay_json(trace: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["replay", trace, "--format", "json"];
    args.extend_from_slice(extra);
    let o = vpsim(&args);
    assert_code(&o, 0);
    let mut v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    v.as_object_mut().unwrap().remove("trace");
    v
}

#[test]
fn replay_of_either_form_is_identical() {
    let d = scratch("replay");
    let vpt = d.join("pyio.vpt");
    assert_code(
        &vpsim(&["convert", "traces/pyio.events.csv.zst", p(&vpt)]),
        0,
    );
    for extra in [
        &["--mem", "64M", "--final-sync"][..],
        &["--mem", "16M", "--model", "lru"][..],
    ] {
        let a = replay_json("traces/pyio.events.csv.zst", extra);
        let b = replay_json(p(&vpt), extra);
        assert_eq!(a, b, "{extra:?}");
        assert!(a["counters"]["page_misses"].as_u64().unwrap() > 0);
    }
    // compare and the in-memory loader read it too.
    let o = vpsim(&[
        "compare",
        p(&vpt),
        "--readahead",
        "none,dragonfly",
        "--format",
        "csv",
    ]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o).lines().count(), 3);
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn backwards_times_keep_their_warning_in_the_binary_form() {
    let d = scratch("warn");
    let csv = d.join("w.csv");
    std::fs::write(
        &csv,
        "time_ns,pid,op,file,offset,length\n5,1,read,f,0,10\n3,1,read,f,10,10\n",
    )
    .unwrap();
    let vpt = d.join("w.vpt");
    assert_code(&vpsim(&["convert", p(&csv), p(&vpt)]), 0);
    let ev = events_of(p(&vpt));
    assert_eq!(
        ev[1].0.time_ns, 5,
        "stored clamped, as the CSV reader replays it"
    );
    let o = vpsim(&["check", p(&vpt)]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains("time_ns went backwards"),
        "{}",
        stdout(&o)
    );
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn compressed_and_piped_binary_traces_are_read() {
    let d = scratch("zst");
    let vpt = d.join("s.vpt");
    assert_code(&vpsim(&["convert", "traces/seqread.csv", p(&vpt)]), 0);
    let bytes = std::fs::read(&vpt).unwrap();
    let zst = d.join("s.vpt.zst");
    std::fs::write(&zst, zstd::encode_all(&bytes[..], 3).unwrap()).unwrap();
    assert_eq!(events_of(p(&zst)), events_of(p(&vpt)));
    let a = replay_json(p(&vpt), &[]);
    let b = replay_json(p(&zst), &[]);
    assert_eq!(a, b);
    // Standard input.
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vpsim"))
        .args(["info", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_code(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["form"], "binary");
    assert_eq!(v["events"].as_u64(), Some(events_of(p(&vpt)).len() as u64));
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn corrupt_binary_traces_are_clear_errors() {
    let d = scratch("corrupt");
    let vpt = d.join("c.vpt");
    assert_code(&vpsim(&["convert", "traces/mixed.csv", p(&vpt)]), 0);
    let good = std::fs::read(&vpt).unwrap();

    // Cut short: the records no longer reach the file table.
    let cut = d.join("cut.vpt");
    std::fs::write(&cut, &good[..good.len() - 50]).unwrap();
    let o = vpsim(&["replay", p(&cut)]);
    assert_code(&o, 1);
    assert!(
        stderr(&o).contains("not a valid binary trace"),
        "{}",
        stderr(&o)
    );

    // A bad op byte in record 3: replay stops naming it, check lists it and goes on.
    let mut bad = good.clone();
    bad[64 + 2 * 40 + 32] = 200;
    let badp = d.join("bad.vpt");
    std::fs::write(&badp, &bad).unwrap();
    let o = vpsim(&["replay", p(&badp)]);
    assert_code(&o, 1);
    assert!(
        stderr(&o).contains("record 3 of") && stderr(&o).contains("op byte 200"),
        "{}",
        stderr(&o)
    );
    let o = vpsim(&["check", p(&badp)]);
    assert_code(&o, 1);
    assert!(stdout(&o).contains("1 bad line"), "{}", stdout(&o));

    // Another version.
    let mut v2 = good.clone();
    v2[8] = 9;
    let v2p = d.join("v2.vpt");
    std::fs::write(&v2p, &v2).unwrap();
    let o = vpsim(&["info", p(&v2p)]);
    assert_code(&o, 1);
    assert!(stderr(&o).contains("version 9"), "{}", stderr(&o));

    // A file id past the table.
    let mut f = good;
    f[64 + 24..64 + 28].copy_from_slice(&1000u32.to_le_bytes());
    let fp = d.join("f.vpt");
    std::fs::write(&fp, &f).unwrap();
    let o = vpsim(&["replay", p(&fp)]);
    assert_code(&o, 1);
    assert!(stderr(&o).contains("file id 1000"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn convert_errors_and_atomic_output() {
    let d = scratch("conv");
    let out = d.join("x.vpt");
    // Bad input: exit 1 naming the line, and no output file left behind.
    let o = vpsim(&["convert", "traces/bad.csv", p(&out)]);
    assert_code(&o, 1);
    assert!(stderr(&o).contains("line "), "{}", stderr(&o));
    let left: Vec<_> = std::fs::read_dir(&d).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // Unwritable output: exit 3.
    let o = vpsim(&["convert", "traces/seqread.csv", "/nonexistent-dir/x.vpt"]);
    assert_code(&o, 3);
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn info_reports_the_shape_of_a_trace() {
    let d = scratch("info");
    let t = d.join("i.csv");
    // File a: 4 sequential 4 KiB reads, a random one, a re-read of page 0; file b: two writes and a
    // fault. Pages: a 0..3 and 10 (5), b 0 and 2 (written) plus page 5 (fault) = 8.
    std::fs::write(
        &t,
        "time_ns,pid,op,file,offset,length\n\
         0,1,open,a,,65536\n\
         10,1,read,a,0,4096\n\
         20,1,read,a,4096,4096\n\
         30,1,read,a,8192,4096\n\
         40,1,read,a,12288,4096\n\
         50,1,read,a,40960,4096\n\
         60,2,write,b,0,100\n\
         70,2,write,b,8192,4096\n\
         80,2,fault_read,b,20480,4096\n\
         90,1,read,a,0,4096\n\
         2000000000,1,close,a,,\n",
    )
    .unwrap();
    let o = vpsim(&["info", p(&t), "--format", "json", "--mem", "8K,1M"]);
    assert_code(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["events"], 11);
    assert_eq!(v["ops"]["read"], 6);
    assert_eq!(v["ops"]["write"], 2);
    assert_eq!(v["ops"]["fault_read"], 1);
    assert_eq!(v["files"], 2);
    assert_eq!(v["bytes_read"], 6 * 4096);
    assert_eq!(v["bytes_written"], 4196);
    assert_eq!(v["footprint_pages"], 8);
    // 16 KiB blocks: a 0 and 2, b 0 and 1.
    assert_eq!(v["footprint_blocks"], 4);
    assert_eq!(v["span_ns"], 2_000_000_000u64);
    // 3 of the 5 reads that follow another read continue it.
    assert_eq!(v["sequential_reads"], 3);
    assert_eq!(v["followed_reads"], 5);
    let files = v["largest_files"].as_array().unwrap();
    assert_eq!(files[0]["file"], "a");
    assert_eq!(files[0]["size"], 65536);
    assert_eq!(files[1]["file"], "b");
    // b's size is inferred from the furthest byte touched (the fault), as the format says.
    assert_eq!(files[1]["size"], 20481);
    // The curve agrees with `replay --model lru` at each size.
    for point in v["lru_mrc"].as_array().unwrap() {
        let mem = point["mem_bytes"].as_u64().unwrap().to_string();
        let r = vpsim(&[
            "replay",
            p(&t),
            "--model",
            "lru",
            "--mem",
            &mem,
            "--format",
            "json",
        ]);
        assert_code(&r, 0);
        let rv: serde_json::Value = serde_json::from_str(&stdout(&r)).unwrap();
        assert_eq!(point["misses"], rv["counters"]["page_misses"], "{mem}");
        assert_eq!(point["hits"], rv["counters"]["page_hits"], "{mem}");
    }
    let big = &v["lru_mrc"][1];
    assert_eq!(big["misses"], 8, "1 MiB holds everything: only cold misses");
    let small = &v["lru_mrc"][0];
    assert!(small["misses"].as_u64() > big["misses"].as_u64());
    // The table form shows the same figures.
    let o = vpsim(&["info", p(&t)]);
    assert_code(&o, 0);
    let s = stdout(&o);
    assert!(s.contains("footprint 8 pages"), "{s}");
    assert!(s.contains("sequential reads 60.0%"), "{s}");
    assert!(s.contains("LRU miss-ratio curve"), "{s}");
    let _ = std::fs::remove_dir_all(d);
}

/// Issue 17: a fault list holds only the touches that faulted, so `info` shows how
/// sparse it is against what was mapped.
#[test]
fn info_reports_faults_per_mapped_page() {
    let d = scratch("info-faults");
    let t = d.join("f.csv");
    // a: pages 0..8 and 4..12 mapped (12 pages), b: pages 0..2 (2): 14 mapped pages.
    // Faults: a page 5 twice and page 9, b page 1: 4 faults on 3 distinct pages.
    std::fs::write(
        &t,
        "time_ns,pid,op,file,offset,length\n\
         0,1,mmap,a,0,32768\n\
         1,1,mmap,a,16384,32768\n\
         2,1,mmap,b,0,5000\n\
         3,1,fault_read,a,20480,4096\n\
         4,1,fault_write,a,20480,4096\n\
         5,1,fault_read,a,36864,4096\n\
         6,1,fault_read,b,4096,4096\n",
    )
    .unwrap();
    let o = vpsim(&["info", p(&t), "--format", "json", "--mem", "1M"]);
    assert_code(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["mapped_pages"], 14);
    assert_eq!(v["faulted_pages"], 3);
    assert_eq!(v["faults"], 4);
    assert_eq!(v["faults_per_mapped_page"], 4.0 / 14.0);
    let o = vpsim(&["info", p(&t), "--mem", "1M"]);
    let s = stdout(&o);
    assert!(
        s.contains(
            "  mmap: 14 pages mapped (56K), 4 faults on 3 of them: 0.286 faults per mapped page"
        ),
        "{s}"
    );
    // Nothing mapped: no such line, and null in JSON.
    let o = vpsim(&["info", "traces/seqread.csv", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (
            v["mapped_pages"].as_u64(),
            v["faults_per_mapped_page"].is_null()
        ),
        (Some(0), true)
    );
    assert!(!stdout(&vpsim(&["info", "traces/seqread.csv"])).contains("mmap:"));
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn info_on_bad_input_and_bad_flags() {
    let o = vpsim(&["info", "traces/bad.csv"]);
    assert_code(&o, 1);
    assert!(stderr(&o).contains("line "), "{}", stderr(&o));
    let o = vpsim(&["info", "traces/seqread.csv", "--mem", "lots"]);
    assert_code(&o, 2);
    let o = vpsim(&["info", "/nonexistent.csv"]);
    assert_code(&o, 1);
}

#[test]
fn gen_and_import_write_the_binary_form_directly() {
    let d = scratch("direct");
    let csv = d.join("g.csv");
    let vpt = d.join("g.vpt");
    for out in [&csv, &vpt] {
        let o = vpsim(&[
            "gen",
            "mixed:read=0.5",
            "--events",
            "500",
            "--seed",
            "3",
            "-o",
            p(out),
        ]);
        assert_code(&o, 0);
    }
    assert_eq!(&std::fs::read(&vpt).unwrap()[..8], b"VPSIMTRC");
    assert_eq!(events_of(p(&vpt)), csv_events(p(&csv)));
    let log = d.join("a.iolog");
    std::fs::write(
        &log,
        "fio version 2 iolog\nf add\nf open\nf write 0 8192\nf read 0 4096\nf close\n",
    )
    .unwrap();
    let ivpt = d.join("i.vpt");
    assert_code(&vpsim(&["import", "fio", p(&log), "-o", p(&ivpt)]), 0);
    let ev = events_of(p(&ivpt));
    assert_eq!(ev.len(), 4);
    assert_eq!(ev[1].0.op, vpsim::trace::Op::Write);
    // Nothing but the outputs is left behind (no temporary files).
    let mut names: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["a.iolog", "g.csv", "g.vpt", "i.vpt"]);
    let _ = std::fs::remove_dir_all(d);
}

/// The public CloudPhysics sample of ../shared/traces/public (GPL-3.0, so it is read
/// from there and never copied into the repository): imported as a block trace, its
/// LRU curve must match the figures published with it (exact LRU, 4 KiB pages).
#[test]
fn info_matches_the_published_lru_curve_of_a_public_block_trace() {
    let src = root().join("../shared/traces/public/cloudPhysicsIO.csv.zst");
    if !src.exists() {
        eprintln!("skipped: {} is not on this machine", src.display());
        return;
    }
    let d = scratch("cloudphysics");
    let vpt = d.join("cp.vpt");
    let o = vpsim(&[
        "import",
        "blk",
        p(&src),
        "--format",
        "csv",
        "--columns",
        "version,time_s,op,size,lbn",
        "-o",
        p(&vpt),
    ]);
    assert_code(&o, 0);
    let o = vpsim(&[
        "info",
        p(&vpt),
        "--mem",
        "1M,4M,16M,64M",
        "--format",
        "json",
    ]);
    assert_code(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["footprint_pages"], 269_210);
    let misses: Vec<u64> = v["lru_mrc"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["misses"].as_u64().unwrap())
        .collect();
    assert_eq!(misses, [1_040_289, 1_028_965, 1_022_509, 1_009_752]);
    let hits = v["lru_mrc"][0]["hits"].as_u64().unwrap();
    assert_eq!(hits + misses[0], 1_141_869);
    let _ = std::fs::remove_dir_all(d);
}
