//! strace importer with a faults file: the input is `LOG \0 FAULTS` (no NUL: all log,
//! empty faults file). The faults part is written to a scratch file, as the importer
//! takes a path. A perf offset is used when the first byte of the log is odd.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpsim::import::strace::{StraceOptions, StraceTuning, import_tuned};
use vpsim::trace::TraceWriter;

fuzz_target!(|data: &[u8]| {
    let (log, faults) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let path = vpsim_fuzz::scratch_path("faults");
    std::fs::write(&path, faults).unwrap();
    let opts = StraceOptions {
        faults: Some(path.to_string_lossy().into_owned()),
    };
    let tuning = StraceTuning {
        perf_offset_ns: (log.first().is_some_and(|b| b & 1 == 1)).then_some(-1_000_000),
        ..StraceTuning::default()
    };
    let mut out = TraceWriter::new(Vec::new()).unwrap();
    match import_tuned(&mut &log[..], "f", &opts, &tuning, &mut out) {
        Ok(_) => {
            let text = out.finish().unwrap();
            vpsim_fuzz::assert_valid_trace("import strace --faults", &text);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
