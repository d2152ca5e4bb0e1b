//! strace importer (`vpsim import strace`) without a faults file: any log either fails
//! with a clean error or produces a trace that reads back with no error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpsim::import::strace::{StraceOptions, import};
use vpsim::trace::TraceWriter;

fuzz_target!(|data: &[u8]| {
    let mut out = TraceWriter::new(Vec::new()).unwrap();
    match import(&mut &data[..], "f", &StraceOptions::default(), &mut out) {
        Ok(report) => {
            let _ = report.summary();
            let text = out.finish().unwrap();
            vpsim_fuzz::assert_valid_trace("import strace", &text);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
