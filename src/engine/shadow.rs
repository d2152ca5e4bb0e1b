//! The "no data lost" invariant: every byte the trace wrote is, at every moment,
//! dirty in a page (or its pmap M bit), dirty in a buffer, or on its way to / on the
//! device — unless a truncate or unlink removed it.
//!
//! A shadow record per written page keeps the sequence number of its last modification
//! and of the last device write that carried it; a page whose modification is newer
//! than its last write must still be dirty somewhere. Only kept when invariants are
//! checked.

use super::Simulator;
use super::buf::bf;
use super::map::pte;
use super::page::{NIL, PAGE_SIZE};
use rustc_hash::FxHashMap;

#[derive(Clone, Debug, Default)]
pub struct Shadow {
    pub enabled: bool,
    seq: u64,
    /// (vnode, pindex) → (last modification, last write issued after it).
    pages: FxHashMap<(u32, u64), (u64, u64)>,
}

impl Shadow {
    pub fn new(enabled: bool) -> Shadow {
        Shadow {
            enabled,
            ..Shadow::default()
        }
    }

    pub fn len(&self) -> usize {
        self.pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }
}

impl Simulator {
    /// The trace modified page `pindex` of vnode `vn` (write(2) copy, or a store).
    pub(crate) fn shadow_modified(&mut self, vn: u32, pindex: u64) {
        let s = &mut self.shadow;
        if !s.enabled {
            return;
        }
        s.seq += 1;
        let seq = s.seq;
        s.pages.entry((vn, pindex)).or_insert((0, 0)).0 = seq;
    }

    /// A write of buffer `b` was issued: its pages' current data is on its way.
    pub(crate) fn shadow_written(&mut self, b: u32) {
        if !self.shadow.enabled {
            return;
        }
        let bp = &self.bufs.bufs[b as usize];
        let vn = bp.vnode;
        let first = bp.lblkno * self.p.knobs.f_iosize / PAGE_SIZE;
        let n = (bp.bcount as u64).div_ceil(PAGE_SIZE);
        let seq = self.shadow.seq;
        for pi in first..first + n {
            if let Some(e) = self.shadow.pages.get_mut(&(vn, pi)) {
                e.1 = seq;
            }
        }
    }

    /// Truncate/unlink: written data at or past page `from` of `vn` is gone legitimately.
    pub(crate) fn shadow_drop(&mut self, vn: u32, from: u64) {
        if self.shadow.enabled {
            self.shadow.pages.retain(|&(v, pi), _| v != vn || pi < from);
        }
    }

    /// Check the invariant for every written page.
    pub(crate) fn shadow_check(&self) -> Result<(), String> {
        if !self.shadow.enabled {
            return Ok(());
        }
        let bsize = self.p.knobs.f_iosize;
        for (&(vn, pi), &(modified, written)) in &self.shadow.pages {
            if written >= modified {
                continue;
            }
            let object = self.vnodes[vn as usize].object;
            let mut safe = false;
            if object != NIL
                && let Some(m) = self.objects[object as usize].lookup(pi)
            {
                let p = &self.pages.pages[m as usize];
                if p.dirty != 0 {
                    safe = true;
                } else if p.mapped > 0 {
                    safe = self.objects[object as usize].maps.iter().any(|&id| {
                        self.maps[id as usize]
                            .ptes
                            .get(&pi)
                            .is_some_and(|b| b & pte::MOD != 0)
                    });
                }
            }
            if !safe && let Some(b) = self.bufs.lookup(vn, pi * PAGE_SIZE / bsize) {
                let bp = &self.bufs.bufs[b as usize];
                safe = bp.flags & bf::DELWRI != 0;
            }
            if !safe {
                return Err(format!(
                    "data lost: page {pi} of file {} (vnode {vn}, modified at {modified}, last written at {written}) was written by the trace but is neither dirty nor written to the device",
                    self.vnodes[vn as usize].file
                ));
            }
        }
        Ok(())
    }
}
