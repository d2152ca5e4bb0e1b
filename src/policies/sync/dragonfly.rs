//! Sync policy `dragonfly`: the kernel's own mechanisms and thresholds.

use super::SyncPolicy;
use crate::params::Knobs;
use crate::policies::{PolicyInfo, Registered};
use crate::spec::Spec;

pub const POLICY: Registered<dyn SyncPolicy> = Registered {
    info: PolicyInfo {
        name: "dragonfly",
        help: "the kernel's: forced sync below v_pageout_free_min, buf_daemon floor and 1 s wake-up, dirty-severe bawrite, syncer",
        keys: &[
            ("hidirty", "auto", "vfs.hidirtybufspace"),
            ("lodirty", "auto", "vfs.lodirtybufspace"),
            ("hirunning", "auto", "vfs.hirunningspace"),
            ("filedelay", "30", "kern.filedelay (s)"),
            ("syncdelay", "30", "kern.syncdelay (s)"),
            ("lazy", "1M", "lazy flush per syncer visit"),
            ("forced_sync", "x1", "off | x1 | x4"),
        ],
    },
    build,
};

/// The keys set the corresponding kernel knobs; the policy keeps a copy of them.
fn build(spec: &Spec, knobs: &mut Knobs) -> Result<Box<dyn SyncPolicy>, String> {
    for (k, v) in &spec.params {
        let r = match k.as_str() {
            "hidirty" => knobs.set(&format!("vfs.hidirtybufspace={v}")),
            "lodirty" => knobs.set(&format!("vfs.lodirtybufspace={v}")),
            "hirunning" => knobs.set(&format!("vfs.hirunningspace={v}")),
            "filedelay" => knobs.set(&format!("kern.filedelay={v}")),
            "syncdelay" => knobs.set(&format!("kern.syncdelay={v}")),
            "lazy" => knobs.set(&format!("lazy_limit={v}")),
            "forced_sync" => knobs.set(&format!("forced_sync={v}")),
            _ => Ok(()),
        };
        r.map_err(|e| format!("sync dragonfly: {e}"))?;
    }
    Ok(Box::new(Dragonfly {
        knobs: knobs.clone(),
    }))
}

/// DragonFly's own thresholds (parts 1–2).
pub struct Dragonfly {
    knobs: Knobs,
}

impl SyncPolicy for Dragonfly {
    fn name(&self) -> &'static str {
        "dragonfly"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let k = &self.knobs;
        let opt = |o: Option<u64>| o.map_or_else(|| "auto".into(), crate::units::format_size_exact);
        vec![
            ("hidirty", opt(k.hidirtybufspace)),
            ("lodirty", opt(k.lodirtybufspace)),
            ("hirunning", opt(k.hirunningspace)),
            ("filedelay", k.filedelay.to_string()),
            ("syncdelay", k.syncdelay.to_string()),
            ("lazy", crate::units::format_size_exact(k.lazy_limit)),
            (
                "forced_sync",
                match k.forced_sync {
                    crate::params::ForcedSync::Off => "off".into(),
                    crate::params::ForcedSync::X1 => "x1".into(),
                    crate::params::ForcedSync::X4 => "x4".into(),
                },
            ),
        ]
    }

    fn kernel_mechanisms(&self) -> bool {
        true
    }
}
