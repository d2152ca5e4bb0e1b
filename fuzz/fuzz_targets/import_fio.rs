//! fio iolog importer (`vpsim import fio`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpsim::import::fio::import;
use vpsim::trace::TraceWriter;

fuzz_target!(|data: &[u8]| {
    let mut out = TraceWriter::new(Vec::new()).unwrap();
    match import(&mut &data[..], "f", &mut out) {
        Ok(report) => {
            let _ = report.summary();
            let text = out.finish().unwrap();
            vpsim_fuzz::assert_valid_trace("import fio", &text);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
