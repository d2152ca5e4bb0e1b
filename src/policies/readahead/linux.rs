//! Read-ahead policy `linux`: Linux on-demand read-ahead and mmap read-around.

use super::{Advice, RaCtx, RaPlan, ReadAhead, clip, num, pages_to_blocks};
use crate::params::Knobs;
use crate::policies::{PolicyInfo, Registered};
use crate::spec::Spec;
use rustc_hash::FxHashMap;

pub const POLICY: Registered<dyn ReadAhead> = Registered {
    info: PolicyInfo {
        name: "linux",
        help: "Linux on-demand read-ahead (per-file window, ramp x4/x2, async marker, context read-ahead; mmap read-around)",
        keys: &[("max", "32", "ra_pages (read_ahead_kb/4)")],
    },
    build,
};

fn build(spec: &Spec, _knobs: &mut Knobs) -> Result<Box<dyn ReadAhead>, String> {
    let max = num(spec, "max", 32)?;
    if !(1..=65536).contains(&max) {
        return Err("read-ahead linux: max must be from 1 to 65536 pages".into());
    }
    Ok(Box::new(Linux {
        max,
        files: FxHashMap::default(),
        mmap_miss: FxHashMap::default(),
    }))
}

/// Per-open-file read-ahead state (`struct file_ra_state`), in pages.
#[derive(Clone, Copy, Debug, Default)]
struct RaState {
    start: u64,
    size: u64,
    async_size: u64,
    /// Page after the previous read (`prev_pos` + 1), if any.
    next: Option<u64>,
}

/// Linux on-demand read-ahead (mm/readahead.c, §11.1).
pub struct Linux {
    max: u64,
    files: FxHashMap<(u32, u32), RaState>,
    mmap_miss: FxHashMap<u32, u64>,
}

impl Linux {
    /// `get_init_ra_size`: next power of two of the request, ×4 if ≤ max/32, ×2 if
    /// ≤ max/4, else max.
    fn init_size(max: u64, req: u64) -> u64 {
        let n = req.max(1).next_power_of_two();
        let size = if n <= max / 32 {
            n * 4
        } else if n <= max / 4 {
            n * 2
        } else {
            max
        };
        size.min(max)
    }

    /// `get_next_ra_size`: ×4 while small (< max/16), else ×2, capped at max.
    fn next_size(max: u64, cur: u64) -> u64 {
        let n = if cur < max / 16 { cur * 4 } else { cur * 2 };
        n.min(max)
    }

    /// The window as a plan: pages `[start, start+size)`, the first `size − async`
    /// (which hold the request) synchronously, marker on page `start + size − async`.
    fn plan(st: &RaState, ctx: &RaCtx, sync: bool) -> RaPlan {
        let (start, end) = pages_to_blocks(st.start, st.size, ctx.bsize);
        let end = clip(end, ctx.filesize, ctx.bsize).max(start + 1);
        let mark_page = st.start + st.size - st.async_size;
        let mark = (st.async_size > 0).then_some(mark_page * 4096 / ctx.bsize);
        let sync_end = if sync {
            (ctx.lblk + 1).max(start + 1).min(end)
        } else {
            start
        };
        RaPlan::Window {
            start: start.min(ctx.lblk),
            sync_end,
            end,
            // With blocks larger than pages the marker page may share the needed
            // block: marking it still works (it fires on the next access).
            mark: mark.filter(|m| *m < end && *m >= ctx.lblk),
        }
    }
}

impl ReadAhead for Linux {
    fn name(&self) -> &'static str {
        "linux"
    }

    fn uses_history(&self) -> bool {
        true
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("max", self.max.to_string())]
    }

    fn on_access(&mut self, ctx: &RaCtx) -> RaPlan {
        let first = ctx.offset / 4096;
        let req = if ctx.map.is_some() {
            1
        } else {
            (ctx.offset + ctx.len.max(1)).div_ceil(4096) - first
        };
        if let Some(map) = ctx.map {
            // mmap faults.
            match ctx.advice {
                Advice::Random => {
                    return if ctx.cached {
                        RaPlan::Nothing
                    } else {
                        RaPlan::Window {
                            start: ctx.lblk,
                            sync_end: ctx.lblk + 1,
                            end: ctx.lblk + 1,
                            mark: None,
                        }
                    };
                }
                Advice::Sequential => {}
                Advice::Normal => {
                    if ctx.cached {
                        return RaPlan::Nothing;
                    }
                    let miss = self.mmap_miss.entry(map).or_insert(0);
                    *miss += 1;
                    if *miss > 100 {
                        return RaPlan::Window {
                            start: ctx.lblk,
                            sync_end: ctx.lblk + 1,
                            end: ctx.lblk + 1,
                            mark: None,
                        };
                    }
                    // Read-around: ra_pages centred on the fault.
                    let st = RaState {
                        start: first.saturating_sub(self.max / 2),
                        size: self.max,
                        async_size: self.max / 4,
                        next: None,
                    };
                    self.files.insert((ctx.file, u32::MAX - map), st);
                    return Self::plan(&st, ctx, true);
                }
            }
        }
        let key = match ctx.map {
            Some(map) => (ctx.file, u32::MAX - map),
            None => (ctx.file, ctx.pid),
        };
        let max = self.max;
        let st = self.files.entry(key).or_default();
        let prev_next = st.next;
        st.next = Some(first + req);
        if ctx.cached {
            // A hit: read-ahead happens only at the marker (on_marker).
            return RaPlan::Nothing;
        }
        let sequential = first == 0
            || prev_next.is_some_and(|n| first == n || first + 1 == n || first == n + 1)
            || req > max;
        let mut new = if sequential {
            let size = Self::init_size(max, req);
            RaState {
                start: first,
                size,
                async_size: size.saturating_sub(req),
                next: st.next,
            }
        } else if ctx.history_blocks * ctx.bsize / 4096 >= req {
            // Context read-ahead: the cached run before us says this is a stream.
            let hist = ctx.history_blocks * ctx.bsize / 4096;
            let size = (hist * 2).clamp(req, max);
            RaState {
                start: first,
                size,
                async_size: size.saturating_sub(req),
                next: st.next,
            }
        } else {
            RaState {
                start: first,
                size: req,
                async_size: 0,
                next: st.next,
            }
        };
        new.size = new.size.max(req.min(max)).max(1);
        *self.files.entry(key).or_default() = new;
        Self::plan(&new, ctx, true)
    }

    fn on_marker(&mut self, ctx: &RaCtx) -> RaPlan {
        let key = match ctx.map {
            Some(map) => (ctx.file, u32::MAX - map),
            None => (ctx.file, ctx.pid),
        };
        if let Some(map) = ctx.map
            && let Some(m) = self.mmap_miss.get_mut(&map)
        {
            *m = m.saturating_sub(1);
        }
        let max = self.max;
        let st = self.files.entry(key).or_default();
        let first = ctx.offset / 4096;
        if st.size == 0 {
            // A marker without matching state: re-derive the window from here.
            st.start = first;
            st.size = 4.min(max);
        }
        let next = RaState {
            start: st.start + st.size,
            size: 0,
            async_size: 0,
            next: st.next,
        };
        let size = Self::next_size(max, st.size);
        let new = RaState {
            size,
            async_size: size,
            ..next
        };
        *st = new;
        let (start, end) = pages_to_blocks(new.start, new.size, ctx.bsize);
        let end = clip(end, ctx.filesize, ctx.bsize);
        if start >= end {
            return RaPlan::Nothing;
        }
        RaPlan::Window {
            start,
            sync_end: start,
            end,
            mark: Some(start).filter(|m| *m > ctx.lblk),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_window_sizes() {
        let l = Linux {
            max: 32,
            files: FxHashMap::default(),
            mmap_miss: FxHashMap::default(),
        };
        // 1-page read: next power of two 1 ≤ 32/32 ⇒ ×4.
        assert_eq!(Linux::init_size(l.max, 1), 4);
        // 4 pages: ≤ 32/4 ⇒ ×2.
        assert_eq!(Linux::init_size(l.max, 4), 8);
        assert_eq!(Linux::init_size(l.max, 16), 32);
        // Ramp: ×4 below max/16 (2), else ×2, capped at max.
        assert_eq!(Linux::next_size(l.max, 1), 4);
        assert_eq!(Linux::next_size(l.max, 4), 8);
        assert_eq!(Linux::next_size(l.max, 16), 32);
        assert_eq!(Linux::next_size(l.max, 32), 32);
    }
}
