//! Unit tests of the parent module.

use super::test_event as ev;
use super::*;
use crate::trace::Flags;

/// An op that could make no progress stops the replay at that event: it is
/// named with the reason, and nothing after it is replayed.
#[test]
fn no_progress_stops_the_replay_at_its_event() {
    let b = SimBuilder::new(&[1 << 20]).mem(256 << 20);
    let mut s = b.check_invariants(false).build();
    s.step_event(&ev(0, Op::Open, 0, 1 << 20));
    assert!(s.stuck().is_none());
    // As getnewbuf does when nothing can ever free a header.
    s.no_progress("no buffer header".into());
    let w = ev(10, Op::Write, 4096, 4096);
    s.step_event(&w);
    let st = s.stuck().unwrap();
    assert_eq!(
        (st.event, st.ev, st.reason.as_str()),
        (2, w, "no buffer header")
    );
    s.step_event(&ev(20, Op::Read, 0, 4096));
    assert_eq!(s.c.events, 2, "nothing replayed after it");
    assert_eq!(s.stuck().unwrap().event, 2);
}

fn advised(t: u64, op: Op, first_page: u64, pages: u64, flags: Flags) -> Event {
    Event {
        flags,
        ..ev(t, op, first_page * PAGE_SIZE, pages * PAGE_SIZE)
    }
}

/// The live explicit mappings of file 0 as (start, end, random, sequential).
fn entries(s: &Simulator) -> Vec<(u64, u64, bool, bool)> {
    let object = s.vnodes[s.file_vnode[0] as usize].object;
    let mut v: Vec<_> = s.objects[object as usize]
        .maps
        .iter()
        .map(|&id| &s.maps[id as usize])
        .filter(|m| m.live && !m.implicit)
        .map(|m| (m.start, m.end, m.random, m.sequential))
        .collect();
    v.sort_unstable();
    v
}

/// The object and vnode references of file 0.
fn refs(s: &Simulator) -> (u32, u32) {
    let vn = s.file_vnode[0];
    let v = &s.vnodes[vn as usize];
    let o = &s.objects[v.object as usize];
    (o.ref_count, v.refs)
}

/// madvise `random`/`sequential`/`normal` clip the pid's map entries at the range
/// and set the advice inside (faults there read their block only); equal neighbours
/// of one mmap merge back, dropping the references the clips took. `willneed`,
/// `dontneed` and fadvise are counted only.
#[test]
fn madvise_clips_sets_and_merges_map_entries() {
    let (f, t) = (false, true);
    let b = SimBuilder::new(&[1 << 20]).mem(256 << 20);
    let mut s = b.check_invariants(false).build();
    s.step_event(&ev(0, Op::Open, 0, 1 << 20));
    s.step_event(&ev(10, Op::Mmap, 0, 64 * PAGE_SIZE));
    let mapped = refs(&s);
    assert_eq!(entries(&s), vec![(0, 64, f, f)]);

    s.step_event(&advised(20, Op::Madvise, 16, 8, Flags::RANDOM));
    assert_eq!(
        entries(&s),
        vec![(0, 16, f, f), (16, 24, t, f), (24, 64, f, f)]
    );
    assert_eq!(
        refs(&s),
        (mapped.0 + 2, mapped.1 + 2),
        "a reference per clip"
    );
    // A fault in the MADV_RANDOM piece reads its one block, no more.
    s.step_event(&ev(30, Op::FaultRead, 20 * PAGE_SIZE, PAGE_SIZE));
    assert_eq!(s.device.stats().read_bytes, 16384);

    s.step_event(&advised(40, Op::Madvise, 20, 8, Flags::SEQUENTIAL));
    assert_eq!(
        entries(&s),
        vec![
            (0, 16, f, f),
            (16, 20, t, f),
            (20, 28, f, t),
            (28, 64, f, f),
        ]
    );
    s.step_event(&advised(50, Op::Madvise, 0, 64, Flags::WILLNEED));
    s.step_event(&advised(60, Op::Madvise, 0, 64, Flags::DONTNEED));
    s.step_event(&advised(70, Op::Fadvise, 0, 0, Flags::RANDOM));
    assert_eq!((s.c.madvise_ignored, s.c.fadvise_ignored), (2, 1));
    assert_eq!(entries(&s).len(), 4);

    // Normal over all of it: one entry again, with the references of the mmap.
    s.step_event(&advised(80, Op::Madvise, 0, 64, Flags::NORMAL));
    assert_eq!(entries(&s), vec![(0, 64, f, f)]);
    assert_eq!(refs(&s), mapped);
    // Outside the pid's mapping: ignored, with a warning.
    s.step_event(&advised(90, Op::Madvise, 128, 4, Flags::RANDOM));
    assert_eq!(s.warnings.madvise_unmapped, 1);
    assert_eq!(entries(&s), vec![(0, 64, f, f)]);
    // A fault in the normal mapping asks for read-ahead again.
    s.step_event(&ev(100, Op::FaultRead, 40 * PAGE_SIZE, PAGE_SIZE));
    assert!(s.device.stats().read_bytes > 3 * 16384);
    s.step_event(&ev(110, Op::Munmap, 0, 64 * PAGE_SIZE));
    assert!(entries(&s).is_empty());
    s.check().unwrap();
}

/// The no-data-lost shadow sees recycling: vgone of a vnode whose written page never
/// went to the device is reported (vnlru itself passes such vnodes over, so this
/// calls vgone directly, as a bug in `goneable` would), while recycling a clean one
/// is not.
#[test]
fn shadow_reports_a_dirty_vnode_recycled() {
    let mut s = SimBuilder::new(&[1 << 20, 1 << 20])
        .mem(256 << 20)
        .check_invariants(true)
        .build();
    s.step_event(&ev(0, Op::Open, 0, 1 << 20));
    s.step_event(&ev(10, Op::Write, 0, 4096));
    s.step_event(&ev(20, Op::Close, 0, 0));
    assert_eq!(s.check(), Ok(()));
    let mut clean = ev(30, Op::Read, 0, 4096);
    clean.file = 1;
    s.step_event(&clean);
    let (dirty_vn, clean_vn) = (s.file_vnode[0], s.file_vnode[1]);
    s.vgone(clean_vn);
    assert_eq!(s.check(), Ok(()), "a clean vnode loses nothing");
    s.vgone(dirty_vn);
    let err = s.check().unwrap_err();
    assert!(
        err.contains("vnlru recycled vnode 0 of file 0 with page 0 written"),
        "{err}"
    );
}
