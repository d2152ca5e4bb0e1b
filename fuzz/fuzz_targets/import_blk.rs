//! Block trace importer (`vpsim import blk`). The first byte picks the dialect:
//! 0 msr, 1 snia, 2 csv, 3 csv with `--columns` = the first line of the rest (the
//! remaining lines are the trace). Other values wrap around.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpsim::import::blk::{BlkFormat, BlkOptions, import};
use vpsim::trace::TraceWriter;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let (opts, input) = match sel % 4 {
        0 => (
            BlkOptions {
                format: BlkFormat::Msr,
                columns: None,
            },
            rest,
        ),
        1 => (
            BlkOptions {
                format: BlkFormat::Snia,
                columns: None,
            },
            rest,
        ),
        2 => (
            BlkOptions {
                format: BlkFormat::Csv,
                columns: None,
            },
            rest,
        ),
        _ => {
            let nl = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let columns = String::from_utf8_lossy(&rest[..nl]).into_owned();
            let input = rest.get(nl + 1..).unwrap_or_default();
            (
                BlkOptions {
                    format: BlkFormat::Csv,
                    columns: Some(columns),
                },
                input,
            )
        }
    };
    let mut out = TraceWriter::new(Vec::new()).unwrap();
    match import(&mut &input[..], "f", &opts, &mut out) {
        Ok(_) => {
            let text = out.finish().unwrap();
            vpsim_fuzz::assert_valid_trace("import blk", &text);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
