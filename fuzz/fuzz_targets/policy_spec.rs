//! Policy spec strings (`--readahead`, `--cluster`, `--sync`): `Spec::parse`,
//! `split_list`, each family's `parse`, and the documented round trip: a parsed
//! policy's `spec()` parses again (in fresh knobs) to the same `spec()`. Knobs the
//! dragonfly keys set must then derive parameters without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpsim::params::{Knobs, Params};
use vpsim::policies::{cluster, readahead, sync};
use vpsim::spec::{Spec, split_list};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(spec) = Spec::parse(&s) {
        let params: Vec<(&'static str, String)> = Vec::new();
        let _ = Spec::render(&spec.name, &params);
    }
    for item in split_list(&s).iter().chain(std::iter::once(&s.to_string())) {
        let mut knobs = Knobs::default();
        if let Ok(p) = readahead::parse(item, &mut knobs) {
            let spec = p.spec();
            let again = readahead::parse(&spec, &mut Knobs::default()).unwrap_or_else(|e| {
                panic!("read-ahead spec {spec:?} (from {item:?}) does not parse: {e}")
            });
            assert_eq!(
                again.spec(),
                spec,
                "read-ahead spec of {item:?} does not round-trip"
            );
        }
        if let Ok(p) = cluster::parse(item, &mut knobs) {
            let spec = p.spec();
            let again = cluster::parse(&spec, &mut Knobs::default()).unwrap_or_else(|e| {
                panic!("cluster spec {spec:?} (from {item:?}) does not parse: {e}")
            });
            assert_eq!(
                again.spec(),
                spec,
                "cluster spec of {item:?} does not round-trip"
            );
        }
        if let Ok(p) = sync::parse(item, &mut knobs) {
            let spec = p.spec();
            let again = sync::parse(&spec, &mut Knobs::default()).unwrap_or_else(|e| {
                panic!("sync spec {spec:?} (from {item:?}) does not parse: {e}")
            });
            assert_eq!(
                again.spec(),
                spec,
                "sync spec of {item:?} does not round-trip"
            );
        }
        for mem in [4u64 << 20, 64 << 20, 1 << 30, 1 << 44] {
            if let Ok(p) = Params::derive(mem, 0, knobs.clone()) {
                let _ = p.derived_entries();
            }
        }
    }
});
