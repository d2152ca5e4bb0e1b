//! CSV trace reader: `TraceReader::from_read` + `next_event`, read the way `vpsim check`
//! reads (on past bad lines, stop at a fatal error), then every good event is written
//! back through `TraceWriter` and must read back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (events, files, _errors) = vpsim_fuzz::read_csv("fuzz.csv", data);
    vpsim_fuzz::assert_round_trip(&events, &files);
});
