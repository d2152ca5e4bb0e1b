//! Sweep grid files (`vpsim sweep --grid FILE.toml`): `Grid::from_toml`, and for a
//! grid of at most 256 points its points, their configurations and their JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpsim::sweep::{Grid, SweepOptions, todo};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(grid) = Grid::from_toml(text) else {
        return;
    };
    let _ = grid.dims();
    let _ = grid.fingerprint();
    let size = [
        grid.models.len(),
        grid.mems.len(),
        grid.devices.len(),
        grid.readahead.len(),
        grid.cluster.len(),
        grid.sync.len(),
    ]
    .into_iter()
    .chain(grid.knob_dims.iter().map(|(_, v)| v.len()))
    .try_fold(1usize, |a, n| a.checked_mul(n));
    if !size.is_some_and(|n| n <= 256) {
        return;
    }
    let points = grid.points();
    for p in &points {
        if let Ok(cfg) = &p.config {
            let _ = cfg.params();
            let _ = cfg.to_json();
        }
    }
    let opts = SweepOptions {
        shard: Some((1, 2)),
        ..SweepOptions::default()
    };
    let _ = todo(&points, &opts);
});
