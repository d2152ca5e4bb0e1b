//! Shared by the whole-trace benches: generate a deterministic trace with `vpsim gen`'s
//! library, convert it to the binary form and load it, so every bench measures the same
//! kind of input the CLI would read.

use vpsim::run::{LoadedTrace, load_trace};
use vpsim::trace::convert;
use vpsim::workloads::{GenOptions, generate_to_vec, plan};

/// `vpsim gen zipf:alpha=1.0 --seed 7 --events EVENTS --size SIZE`, through CSV and
/// `.vpt` in a temporary directory (removed afterwards), loaded into memory.
pub fn zipf_trace(tag: &str, events: u64, size: u64) -> LoadedTrace {
    let dir = std::env::temp_dir().join(format!("vpsim-bench-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let opts = GenOptions {
        seed: 7,
        events,
        size,
        ..GenOptions::default()
    };
    let p = plan("zipf:alpha=1.0", &opts).expect("workload");
    let csv = dir.join("zipf.csv").to_string_lossy().into_owned();
    let vpt = dir.join("zipf.vpt").to_string_lossy().into_owned();
    std::fs::write(&csv, generate_to_vec(&p).expect("generate")).expect("write csv");
    convert(&csv, &vpt, &mut |_| {}).expect("convert");
    let t = load_trace(&vpt).expect("load");
    let _ = std::fs::remove_dir_all(&dir);
    t
}
