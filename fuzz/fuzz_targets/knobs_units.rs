//! Command-line values: `--set KNOB=V` (`Knobs::set`), sizes, durations, bandwidths,
//! `--device` specs, `--model`, `--shard`. Each line of the input is tried as every
//! one of them; the knobs accumulate and must then derive parameters without
//! panicking. A refused `--set` must leave the knobs unchanged, and the round trips
//! the code documents are checked: a knob's shown value sets it again, a device's
//! `describe()` parses back, a size's `format_size` parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpsim::device::DeviceSpec;
use vpsim::params::{Knobs, Params};
use vpsim::run::ModelKind;
use vpsim::sweep::parse_shard;
use vpsim::units::{format_size, parse_bandwidth, parse_duration_ns, parse_size};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut knobs = Knobs::default();
    let mut unavailable = 0;
    for line in text.lines().take(64) {
        if let Ok(v) = parse_size(line) {
            unavailable = v;
            let shown = format_size(v);
            assert!(
                parse_size(&shown).is_ok(),
                "format_size({v}) = {shown:?} does not parse"
            );
        }
        let _ = parse_duration_ns(line);
        let _ = parse_bandwidth(line);
        let _ = ModelKind::parse(line);
        let _ = parse_shard(line);
        if let Ok(d) = line.parse::<DeviceSpec>() {
            let s = d.describe();
            let back: DeviceSpec = s.parse().unwrap_or_else(|e| {
                panic!("device {line:?} describes as {s:?}, which does not parse: {e}")
            });
            assert_eq!(back.describe(), s, "device {line:?} does not round-trip");
            let _ = d.config_entries();
        }
        let before = knobs.clone();
        if knobs.set(line).is_err() {
            assert_eq!(
                knobs, before,
                "the refused --set {line:?} changed the knobs"
            );
        } else {
            for (name, value) in knobs.entries() {
                let mut k = knobs.clone();
                k.set(&format!("{name}={value}")).unwrap_or_else(|e| {
                    panic!("knob {name} shows {value:?}, which does not set: {e}")
                });
            }
        }
    }
    for mem in [4u64 << 20, 64 << 20, 1 << 30, 1 << 44, unavailable] {
        for unavail in [0, unavailable] {
            if let Ok(p) = Params::derive(mem, unavail, knobs.clone()) {
                let _ = p.derived_entries();
            }
        }
    }
});
