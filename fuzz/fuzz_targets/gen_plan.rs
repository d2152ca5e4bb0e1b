//! `vpsim gen` workload specs and options: `workloads::plan`, the canonical spec's
//! round trip, and for small plans `generate`, whose trace must read back with no
//! error and hold exactly `--events` data rows.
//!
//! Input layout: 16 option bytes, then the spec (lossy UTF-8):
//! `seed u64 LE | events u8 | files u8 | size: mantissa u8, shift u8 | io_size:
//! mantissa u8 (0 = default), shift u8 | pids u8 | interval u8 (µs)`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpsim::trace::TraceWriter;
use vpsim::workloads::{GenOptions, generate, parse, plan};

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 {
        return;
    }
    let (o, spec) = data.split_at(16);
    let spec = String::from_utf8_lossy(spec);
    let opts = GenOptions {
        seed: u64::from_le_bytes(o[0..8].try_into().unwrap()),
        events: u64::from(o[8]),
        files: u64::from(o[9]),
        size: u64::from(o[10]) << (o[11] % 48),
        io_size: (o[12] != 0).then(|| u64::from(o[12]) << (o[13] % 32)),
        pids: u32::from(o[14]),
        interval_ns: u64::from(o[15]) * 1000,
    };
    let Ok(p) = plan(&spec, &opts) else {
        return;
    };
    let _ = p.describe();
    let canon = &p.workload.canonical;
    let again =
        parse(canon).unwrap_or_else(|e| panic!("canonical spec {canon:?} does not parse: {e}"));
    assert_eq!(
        &again.canonical, canon,
        "canonical spec of {spec:?} does not round-trip"
    );
    let mut w = TraceWriter::new(Vec::new()).unwrap();
    let summary = generate(&p, &mut w).unwrap();
    assert_eq!(summary.events, p.events, "{canon}: data rows != --events");
    let text = w.finish().unwrap();
    vpsim_fuzz::assert_valid_trace("gen", &text);
});
