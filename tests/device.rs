//! Device model (pager-model.md §8.3) through its public API: parsing, service times,
//! queueing discipline, lazy time advance and statistics.

use vpsim::device::{Completion, Device, DeviceKind, DeviceSpec, ReqId, Sched};
use vpsim::stats::{Dir, Origin};

const HIRUNNING: u64 = 16 << 20;

fn spec(s: &str) -> DeviceSpec {
    s.parse()
        .unwrap_or_else(|e| panic!("{s} should parse: {e}"))
}

fn dev(s: &str) -> Device {
    Device::new(spec(s), HIRUNNING)
}

/// Drain the device; return the completions.
fn drain(d: &mut Device) -> Vec<Completion> {
    let mut done = Vec::new();
    d.advance(u64::MAX, &mut done);
    assert!(d.is_idle());
    done
}

fn tags(done: &[Completion]) -> Vec<u32> {
    done.iter().map(|c| c.tag).collect()
}

fn read(d: &mut Device, now: u64, off: u64, bytes: u64, tag: u32) -> ReqId {
    d.submit(now, Dir::Read, off, bytes, Origin::Demand, true, tag)
}

fn write(d: &mut Device, now: u64, off: u64, bytes: u64, tag: u32) -> ReqId {
    d.submit(now, Dir::Write, off, bytes, Origin::BufDaemon, false, tag)
}

#[test]
fn presets_parse_and_round_trip() {
    for k in DeviceKind::ALL {
        let s = spec(k.name());
        assert_eq!(s, DeviceSpec::preset(k));
        assert_eq!(spec(&s.describe()), s, "{}", s.describe());
        assert_eq!(s.sched, Sched::DiskSort);
    }
    assert_eq!(
        spec("ssd").describe(),
        "ssd:lat=80us,rbw=500M,wbw=450M,sched=disksort"
    );
    let s = spec("hdd:seek=8ms,rpm=5400,sched=fifo");
    assert_eq!(
        s.describe(),
        "hdd:lat=100us,rbw=150M,wbw=150M,seek=8ms,t2t=500us,rpm=5400,span=1T,sched=fifo"
    );
    assert_eq!(spec(&s.describe()), s);
    let s = spec("ssd:lat=80us,bw=2GB/s");
    assert_eq!(s.describe(), "ssd:lat=80us,rbw=2G,wbw=2G,sched=disksort");
}

#[test]
fn parse_errors_list_choices() {
    let e = "tape".parse::<DeviceSpec>().unwrap_err();
    for p in DeviceSpec::PRESETS {
        assert!(e.contains(p), "{e}");
    }
    let e = "nvme:speed=9".parse::<DeviceSpec>().unwrap_err();
    for k in DeviceSpec::KEYS {
        assert!(e.contains(k), "{e}");
    }
    let e = "nvme:wbw=lots".parse::<DeviceSpec>().unwrap_err();
    assert!(e.contains("wbw") && e.contains("lots"), "{e}");
}

#[test]
fn single_requests_on_each_preset() {
    // nvme 4 KiB read: 20000 + ⌈4096·1e9/(3·2^30)⌉ = 20000 + 1272.
    let mut d = dev("nvme");
    let id = read(&mut d, 1000, 0, 4096, 0);
    let mut done = Vec::new();
    assert_eq!(d.wait_for(id, &mut done), 1000 + 21_272);
    // ssd 16 KiB write: 80000 + ⌈16384·1e9/(450·2^20)⌉ = 80000 + 34723.
    let mut d = dev("ssd");
    write(&mut d, 0, 0, 16384, 0);
    assert_eq!(drain(&mut d)[0].time, 114_723);
    // hdd 64 KiB at offset 0 with the head parked at 0 (sequential):
    // 100000 + ⌈65536·1e9/(150·2^20)⌉ = 100000 + 416667.
    let mut d = dev("hdd");
    read(&mut d, 0, 0, 65536, 0);
    assert_eq!(drain(&mut d)[0].time, 516_667);
    // Zero-length request: fixed latency only.
    let mut d = dev("ssd");
    read(&mut d, 0, 123, 0, 0);
    assert_eq!(drain(&mut d)[0].time, 80_000);
}

#[test]
fn three_simultaneous_requests_complete_at_the_sums() {
    // ssd 16 KiB reads: 111250 each, back to back.
    let mut d = dev("ssd");
    for i in 0..3 {
        read(&mut d, 0, i * 16384, 16384, i as u32);
    }
    assert_eq!(d.queue_depth(), 3);
    let done = drain(&mut d);
    let times: Vec<u64> = done.iter().map(|c| c.time).collect();
    assert_eq!(times, [111_250, 222_500, 333_750]);
    assert_eq!(d.busy_time_ns(), 333_750);
    assert_eq!(d.stats().max_queue_depth, 3);
    // busy_ns is the sum of latencies: 111250 + 222500 + 333750.
    assert_eq!(d.stats().busy_ns, 667_500);
}

#[test]
fn disksort_puts_reads_ahead_of_queued_writes_fifo_does_not() {
    for (s, expect) in [("ssd", [1, 4, 2, 3]), ("ssd:sched=fifo", [1, 2, 3, 4])] {
        let mut d = dev(s);
        write(&mut d, 0, 0, 65536, 1); // starts at once
        write(&mut d, 0, 65536, 65536, 2);
        write(&mut d, 0, 131072, 65536, 3);
        read(&mut d, 10, 1 << 30, 4096, 4);
        assert_eq!(tags(&drain(&mut d)), expect, "{s}");
    }
}

#[test]
fn every_fifth_read_lets_linear_writes_through() {
    let mut d = dev("ssd");
    read(&mut d, 0, 0, 4096, 100); // in service
    // Four linear 64 KiB writes (exactly the 256 KiB budget), then a far one.
    for i in 0..4u32 {
        write(&mut d, 0, (1 << 20) + u64::from(i) * 65536, 65536, i + 1);
    }
    write(&mut d, 0, 10 << 20, 65536, 5);
    for r in 0..6u32 {
        read(&mut d, 0, 0, 4096, 11 + r);
    }
    // Reads 1-5 go ahead of all writes; the 5th lets writes 1-4 through (linear, 256 KiB)
    // but not the far write 5, so read 6 lands between them.
    assert_eq!(
        tags(&drain(&mut d)),
        [100, 11, 12, 13, 14, 15, 1, 2, 3, 4, 16, 5]
    );

    // With write 5 linear as well, it also passes although the budget is spent (the
    // kernel advances past a write before checking the budget); write 6 does not.
    let mut d = dev("ssd");
    read(&mut d, 0, 0, 4096, 100);
    for i in 0..6u32 {
        write(&mut d, 0, (1 << 20) + u64::from(i) * 65536, 65536, i + 1);
    }
    for r in 0..6u32 {
        read(&mut d, 0, 0, 4096, 11 + r);
    }
    assert_eq!(
        tags(&drain(&mut d)),
        [100, 11, 12, 13, 14, 15, 1, 2, 3, 4, 5, 16, 6]
    );
}

/// Dispatch order for 20 scattered 64 KiB writes queued behind a read, then 61 reads.
fn burst_order(hirunningspace: u64) -> Vec<u32> {
    let mut d = Device::new(DeviceSpec::ssd(), hirunningspace);
    read(&mut d, 0, 0, 4096, 0);
    for w in 1..=20u32 {
        write(&mut d, 0, u64::from(w) * (10 << 20), 65536, w);
    }
    for r in 101..=161u32 {
        read(&mut d, 0, 0, 4096, r);
    }
    tags(&drain(&mut d))
}

#[test]
fn sixtieth_read_bursts_writes_only_when_running_is_severe() {
    // Writes 1-11 trickle through one per 5 reads (none is linear with the next).
    let mut head = vec![0];
    for k in 0..11u32 {
        head.extend(101 + 5 * k..=105 + 5 * k);
        head.push(k + 1);
    }
    head.extend(156..=160);

    // 20 × 64 KiB = 1.25 MiB running ≥ 4/6 of 1 MiB: read 60 flushes writes 12-20 (well
    // under 3 000 000 bytes), so read 61 goes to the tail.
    let mut severe = head.clone();
    severe.extend(12..=20);
    severe.push(161);
    assert_eq!(burst_order(1 << 20), severe);

    // Not severe: read 60 is an ordinary minor step (write 12 only); read 61 is queued
    // ahead of writes 13-20.
    let mut calm = head;
    calm.push(12);
    calm.push(161);
    calm.extend(13..=20);
    assert_eq!(burst_order(1 << 30), calm);
}

#[test]
fn hdd_sequential_is_free_of_seek_far_pays() {
    let mut d = dev("hdd");
    read(&mut d, 0, 0, 65536, 1); // head at 0: sequential, 516667
    read(&mut d, 0, 65536, 65536, 2); // starts where 1 ended: 516667 more
    // Exactly 2^38 (a quarter of the 1 TiB span) past the head: seek 0.5 ms + 14.5 ms·½
    // = 7750000, rotation 4166667, transfer 516667: 12433334.
    read(&mut d, 0, 131072 + (1 << 38), 65536, 3);
    let t: Vec<u64> = drain(&mut d).iter().map(|c| c.time).collect();
    assert_eq!(t, [516_667, 1_033_334, 1_033_334 + 12_433_334]);

    // The same far request on an ssd costs no more than a near one.
    let s = DeviceSpec::ssd();
    assert_eq!(
        s.service_ns(Dir::Read, 1 << 38, 65536, 0),
        s.service_ns(Dir::Read, 0, 65536, 0)
    );
}

/// A deterministic pseudo-random workload: (gap, dir, offset, bytes, origin, sync).
fn workload(n: usize, seed: u64) -> Vec<(u64, Dir, u64, u64, Origin, bool)> {
    let mut x = seed;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x >> 33
    };
    let mut off = 0u64;
    (0..n)
        .map(|_| {
            let gap = next() % 200_000;
            let dir = if next() % 3 == 0 {
                Dir::Write
            } else {
                Dir::Read
            };
            let bytes = 4096 << (next() % 6);
            if next() % 4 == 0 {
                off = (next() % (1 << 20)) * 4096;
            }
            let o = off;
            off += bytes;
            let origin = Origin::ALL[(next() % Origin::ALL.len() as u64) as usize];
            let sync = next() % 2 == 0;
            (gap, dir, o, bytes, origin, sync)
        })
        .collect()
}

#[test]
fn wait_for_matches_advance() {
    for s in ["nvme", "ssd", "hdd", "hdd:sched=fifo"] {
        let w = workload(300, 7);
        let mut a = dev(s);
        let mut b = dev(s);
        let mut now = 0;
        let mut ids = Vec::new();
        for (i, &(gap, dir, off, bytes, origin, sync)) in w.iter().enumerate() {
            now += gap / 4; // keep a queue building up
            ids.push(a.submit(now, dir, off, bytes, origin, sync, i as u32));
            b.submit(now, dir, off, bytes, origin, sync, i as u32);
        }
        // Wait for a request in the middle of the queue on `a`; on `b`, advance step by
        // step until it shows up.
        let target = ids[150];
        assert!(
            a.queue_depth() > 10,
            "{s}: want a backlog, got {}",
            a.queue_depth()
        );
        let mut done_a = Vec::new();
        let t = a.wait_for(target, &mut done_a);
        let mut done_b = Vec::new();
        while !done_b.iter().any(|c: &Completion| c.id == target) {
            let next = b.next_completion_time().unwrap();
            b.advance(next, &mut done_b);
        }
        assert_eq!(done_b.last().map(|c| c.time), Some(t), "{s}");
        assert_eq!(done_a, done_b, "{s}");
        assert_eq!(done_a.last().map(|c| c.id), Some(target), "{s}");
        // Asking again answers from memory and reports nothing new.
        let mut again = Vec::new();
        assert_eq!(a.wait_for(target, &mut again), t);
        assert!(again.is_empty());
        assert_eq!(a.wait_for(ids[0], &mut again), done_a[0].time);
        // The rest drains identically.
        assert_eq!(drain(&mut a), drain(&mut b), "{s}");
    }
}

#[test]
fn completions_in_time_order_and_stats_add_up() {
    for s in ["nvme", "ssd", "hdd", "ssd:sched=fifo"] {
        let w = workload(2000, 42);
        let mut d = dev(s);
        let mut done = Vec::new();
        let mut now = 0;
        for (i, &(gap, dir, off, bytes, origin, sync)) in w.iter().enumerate() {
            now += gap;
            let id = d.submit(now, dir, off, bytes, origin, sync, i as u32);
            assert_eq!(id, ReqId(i as u64));
            match i % 7 {
                0 => d.advance(now, &mut done),
                3 if sync => {
                    let t = d.wait_for(id, &mut done);
                    assert!(t >= now);
                    now = t;
                }
                _ => {}
            }
        }
        done.extend(drain(&mut d));
        assert_eq!(done.len(), w.len(), "{s}");
        assert!(done.windows(2).all(|p| p[0].time <= p[1].time), "{s}");
        let mut seen = vec![false; w.len()];
        for c in &done {
            assert!(!seen[c.tag as usize], "{s}: tag {} twice", c.tag);
            seen[c.tag as usize] = true;
            assert!(c.time > c.submitted, "{s}");
            let (_, dir, _, bytes, origin, _) = w[c.tag as usize];
            assert_eq!((c.dir, c.bytes, c.origin), (dir, bytes, origin));
        }

        let st = d.stats();
        let lat: u64 = done.iter().map(|c| c.time - c.submitted).sum();
        assert_eq!(st.busy_ns, lat, "{s}");
        assert!(d.busy_time_ns() <= done.last().unwrap().time);
        assert_eq!(st.reads + st.writes, w.len() as u64);
        assert_eq!(st.sync_reads + st.async_reads, st.reads);
        assert_eq!(st.sync_writes + st.async_writes, st.writes);
        let sum = |k: usize| st.by_origin.iter().map(|o| o[k]).sum::<u64>();
        assert_eq!(
            [sum(0), sum(1), sum(2), sum(3)],
            [st.reads, st.read_bytes, st.writes, st.write_bytes]
        );
        let exp_sync_reads = w.iter().filter(|e| e.1 == Dir::Read && e.5).count() as u64;
        assert_eq!(st.sync_reads, exp_sync_reads);
        for o in Origin::ALL {
            let wb: u64 = w
                .iter()
                .filter(|e| e.1 == Dir::Write && e.4 == o)
                .map(|e| e.3)
                .sum();
            assert_eq!(st.by_origin[o.index()][3], wb, "{s} {}", o.name());
        }
        assert!(st.max_queue_depth >= 1);
        assert_eq!(d.running_write_bytes(), 0);
    }
}

#[test]
fn lazy_submit_holds_completions_for_advance() {
    let mut d = dev("ssd");
    read(&mut d, 0, 0, 16384, 1); // completes at 111250
    // Arriving later than that: the device was idle, so 2 starts at its arrival.
    read(&mut d, 500_000, 0, 16384, 2);
    assert_eq!(d.next_completion_time(), Some(111_250));
    assert!(!d.is_idle());
    let mut done = Vec::new();
    d.advance(200_000, &mut done);
    assert_eq!(tags(&done), [1]);
    assert_eq!(d.next_completion_time(), Some(611_250));
    d.advance(611_249, &mut done);
    assert_eq!(done.len(), 1);
    d.advance(611_250, &mut done);
    assert_eq!(done[1].time, 611_250);
    assert!(d.is_idle());
    assert_eq!(d.next_completion_time(), None);
}

#[test]
fn wait_for_a_held_completion_and_late_arrivals() {
    let mut d = dev("ssd");
    let a = read(&mut d, 0, 0, 16384, 1);
    let b = read(&mut d, 0, 0, 16384, 2);
    let third = read(&mut d, 300_000, 0, 16384, 3); // 1 and 2 finished while catching up
    let mut done = Vec::new();
    assert_eq!(d.wait_for(a, &mut done), 111_250);
    assert_eq!(tags(&done), [1]);
    assert_eq!(d.wait_for(b, &mut done), 222_500);
    assert_eq!(tags(&done), [1, 2]);
    // Blocking on 3 settles the device to its completion; a request stamped earlier
    // arrives then.
    let c = d.wait_for(third, &mut done);
    assert_eq!(c, 300_000 + 111_250);
    assert_eq!(d.now(), c);
    read(&mut d, 100_000, 0, 16384, 4);
    let last = drain(&mut d);
    assert_eq!(last[0].submitted, c);
    assert_eq!(last[0].time, c + 111_250);
}
