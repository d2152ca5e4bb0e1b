//! Read-ahead policy `fixed`: a fixed number of pages on every miss, synchronously.

use super::{RaCtx, RaPlan, ReadAhead, clip, num, pages_to_blocks};
use crate::params::Knobs;
use crate::policies::{PolicyInfo, Registered};
use crate::spec::Spec;

pub const POLICY: Registered<dyn ReadAhead> = Registered {
    info: PolicyInfo {
        name: "fixed",
        help: "on every miss read the needed page and the pages after it, N in all, synchronously",
        keys: &[("pages", "8", "pages per miss")],
    },
    build,
};

fn build(spec: &Spec, _knobs: &mut Knobs) -> Result<Box<dyn ReadAhead>, String> {
    let pages = num(spec, "pages", 8)?;
    if !(1..=4096).contains(&pages) {
        return Err("read-ahead fixed: pages must be from 1 to 4096".into());
    }
    Ok(Box::new(Fixed { pages }))
}

/// On every miss, the needed page and the following ones, `pages` in all, read
/// synchronously (rounded out to blocks).
pub struct Fixed {
    pages: u64,
}

impl ReadAhead for Fixed {
    fn name(&self) -> &'static str {
        "fixed"
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("pages", self.pages.to_string())]
    }

    fn on_access(&mut self, ctx: &RaCtx) -> RaPlan {
        if ctx.cached {
            return RaPlan::Nothing;
        }
        let page = (ctx.offset.max(ctx.lblk * ctx.bsize)) / 4096;
        let page = page.max(ctx.lblk * ctx.bsize / 4096);
        let (start, end) = pages_to_blocks(page, self.pages, ctx.bsize);
        let start = start.min(ctx.lblk);
        let end = clip(end.max(ctx.lblk + 1), ctx.filesize, ctx.bsize).max(ctx.lblk + 1);
        RaPlan::Window {
            start,
            sync_end: end,
            end,
            mark: None,
        }
    }
}
