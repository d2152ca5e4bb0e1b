//! Read-ahead policy `dragonfly`: the kernel's own (`f_seqcount`, `cluster_readx`).

use super::{Advice, RaCtx, RaPlan, ReadAhead};
use crate::params::{Knobs, SeqAccess};
use crate::policies::{PolicyInfo, Registered};
use crate::spec::Spec;
use rustc_hash::FxHashMap;

pub const POLICY: Registered<dyn ReadAhead> = Registered {
    info: PolicyInfo {
        name: "dragonfly",
        help: "the snapshot: f_seqcount/IO_SEQMAX, cluster_readx with B_RAM, maximal fault read-ahead",
        keys: &[
            ("max_readahead", "2M", "vfs.max_readahead"),
            ("seq_unit", "16K", "bytes per f_seqcount step"),
            ("seqmax", "127", "IO_SEQMAX"),
            (
                "shared_fault",
                "1",
                "vm_shared_fault (quick path blind to PG_RAM)",
            ),
            ("prefault", "8", "vm.prefault_pages"),
            (
                "seqaccess",
                "max",
                "fault read-ahead: max | never | detect (per-mapping sequential detection)",
            ),
        ],
    },
    build,
};

/// The keys set the corresponding kernel knobs; the policy keeps a copy of them.
fn build(spec: &Spec, knobs: &mut Knobs) -> Result<Box<dyn ReadAhead>, String> {
    let mut detect = false;
    for (k, v) in &spec.params {
        let r = match k.as_str() {
            "max_readahead" => knobs.set(&format!("vfs.max_readahead={v}")),
            "seq_unit" => knobs.set(&format!("seq_unit={v}")),
            "seqmax" => knobs.set(&format!("io_seqmax={v}")),
            "shared_fault" => knobs.set(&format!("vm_shared_fault={v}")),
            "prefault" => knobs.set(&format!("vm.prefault_pages={v}")),
            "seqaccess" if v == "detect" => {
                detect = true;
                knobs.set("seqaccess=max")
            }
            "seqaccess" => knobs.set(&format!("seqaccess={v}")),
            _ => Ok(()),
        };
        r.map_err(|e| format!("read-ahead dragonfly: {e}"))?;
    }
    Ok(Box::new(Dragonfly::new(knobs.clone(), detect)))
}

/// DragonFly's own read-ahead: `cluster_readx` with `maxreq = seqcount · seq_unit`;
/// faults ask for IO_SEQMAX unless MADV_RANDOM (or `seqaccess=never`, or with
/// `seqaccess=detect` unless the fault continues the mapping's previous one).
pub struct Dragonfly {
    knobs: Knobs,
    detect: bool,
    last_fault: FxHashMap<u32, u64>,
}

impl Dragonfly {
    /// The policy with these knobs in force; `detect` is `seqaccess=detect`.
    /// (freebsd reads files through one.)
    pub(super) fn new(knobs: Knobs, detect: bool) -> Dragonfly {
        Dragonfly {
            knobs,
            detect,
            last_fault: FxHashMap::default(),
        }
    }
}

impl ReadAhead for Dragonfly {
    fn name(&self) -> &'static str {
        "dragonfly"
    }

    fn uses_cached(&self) -> bool {
        false
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let k = &self.knobs;
        let seqaccess = if self.detect {
            "detect".to_string()
        } else {
            match k.seqaccess {
                SeqAccess::Max => "max".into(),
                SeqAccess::Never => "never".into(),
            }
        };
        vec![
            (
                "max_readahead",
                crate::units::format_size_exact(k.max_readahead),
            ),
            ("seq_unit", crate::units::format_size_exact(k.seq_unit)),
            ("seqmax", k.io_seqmax.to_string()),
            (
                "shared_fault",
                if k.vm_shared_fault {
                    "1".into()
                } else {
                    "0".into()
                },
            ),
            ("prefault", k.prefault_pages.to_string()),
            ("seqaccess", seqaccess),
        ]
    }

    fn on_access(&mut self, ctx: &RaCtx) -> RaPlan {
        let seq = match ctx.map {
            Some(map) => {
                let pindex = ctx.offset / 4096;
                let sequential = if self.detect {
                    let prev = self.last_fault.insert(map, pindex);
                    prev.is_some_and(|p| p + 1 == pindex || p == pindex)
                } else {
                    true
                };
                if ctx.advice == Advice::Random || !ctx.fault_seqaccess || !sequential {
                    0
                } else {
                    ctx.io_seqmax
                }
            }
            None => ctx.seqcount,
        };
        RaPlan::Cluster {
            maxreq: seq as u64 * ctx.seq_unit,
        }
    }
}
