//! Binary trace form: `BinaryTrace::from_bytes`, then every record by index and by the
//! sequential reader; an index past the end must be an error, not a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpsim::trace::BinaryTrace;

fuzz_target!(|data: &[u8]| {
    let Ok(t) = BinaryTrace::from_bytes("fuzz.vpt", data.to_vec()) else {
        return;
    };
    let _ = format!("{t:?}");
    let _ = t.time_span();
    let _ = t.warnings();
    let n = t.events();
    let nfiles = t.files().len();
    for i in 0..n.min(vpsim_fuzz::MAX_EVENTS as u64) {
        match t.event(i) {
            Ok(ev) => assert!((ev.file as usize) < nfiles),
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    for i in [n, n.saturating_add(1), u64::MAX / 40, u64::MAX] {
        assert!(t.event(i).is_err(), "record {i} of {n} decoded");
    }
    let mut r = t.reader();
    for _ in 0..vpsim_fuzz::MAX_EVENTS {
        match r.next_event() {
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    let _ = r.position();
});
