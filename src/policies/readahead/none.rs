//! Read-ahead policy `none`: one block per miss, no read-ahead anywhere.

use super::{RaCtx, RaPlan, ReadAhead};
use crate::params::Knobs;
use crate::policies::{PolicyInfo, Registered};
use crate::spec::Spec;

pub const POLICY: Registered<dyn ReadAhead> = Registered {
    info: PolicyInfo {
        name: "none",
        help: "one block per miss, no read-ahead anywhere",
        keys: &[],
    },
    build,
};

fn build(_spec: &Spec, _knobs: &mut Knobs) -> Result<Box<dyn ReadAhead>, String> {
    Ok(Box::new(NoReadAhead))
}

/// No read-ahead anywhere: exactly the needed block on a miss.
pub struct NoReadAhead;

impl ReadAhead for NoReadAhead {
    fn name(&self) -> &'static str {
        "none"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn on_access(&mut self, ctx: &RaCtx) -> RaPlan {
        if ctx.cached {
            return RaPlan::Nothing;
        }
        RaPlan::Window {
            start: ctx.lblk,
            sync_end: ctx.lblk + 1,
            end: ctx.lblk + 1,
            mark: None,
        }
    }
}
