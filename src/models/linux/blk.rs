//! The block layer of the Linux personality: a run of contiguous pages handed down
//! together (one read-ahead batch, one write-back pass over an inode) becomes bios,
//! and bios become requests of at most `max_sectors_kb`.
//!
//! * A bio holds at most `BIO_MAX_VECS` (256) folios, one bvec each: the file system
//!   starts a new bio when one is full (`ext4_mpage_readpages`, ext4's
//!   `io_submit_add_bh`), and where the caller says (ext4 ends a bio after each
//!   delayed-allocation extent: [`super::extents`]).
//! * `__bio_split_to_limits` cuts a bio into pieces of at most `max_sectors_kb`.
//! * Under the submitter's plug, a piece that continues the previous request merges
//!   into it if the two fit in `max_sectors_kb` (`blk_attempt_plug_merge`, bound by
//!   `ll_back_merge_fn`). So 4 KiB folios go out as 1 MiB requests (two 1 MiB bios
//!   do not fit in 1280 KiB), large folios as requests of `max_sectors_kb`.
//! * A bio handed down later merges into a request still waiting in the queue that it
//!   adjoins, within the same bound ([`Linux::submit`] → `Device::try_merge`).
//!
//! Segments (`max_segments`) are not counted: pages are taken as physically adjacent.

use super::Linux;
use super::pagecache::pf;
use crate::stats::{Dir, Origin};

/// Most bvecs (folios) in one bio (`BIO_MAX_VECS`, include/linux/bio.h).
pub const BIO_MAX_VECS: u64 = 256;

impl Linux {
    /// Submit pages `[first, first + n)` of `inode` (present in the cache), with bios
    /// also ending at each index in `breaks`. Reads lock the pages until completion;
    /// writes put them under write-back. The request holding page `need` (if any) is
    /// tagged `need_origin` and synchronous, the others `origin`, synchronous when
    /// `sync_rest` (an fsync's writes). Returns the number of requests made.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn submit_run(
        &mut self,
        dir: Dir,
        inode: u32,
        first: u64,
        n: u64,
        breaks: &[u64],
        need: Option<u64>,
        need_origin: Origin,
        origin: Origin,
        sync_rest: bool,
    ) -> u64 {
        let max = self.p.max_request_pages();
        let end = first + n;
        // The request being built under the plug: (first page, pages).
        let mut plugged: Option<(u64, u64)> = None;
        let mut reqs = 0;
        let mut bio = first;
        while bio < end {
            let limit = breaks
                .iter()
                .copied()
                .find(|&b| b > bio && b < end)
                .unwrap_or(end);
            let mut i = bio;
            let mut vecs = 0;
            while i < limit && vecs < BIO_MAX_VECS {
                let next = match self.pc.lookup(inode, i) {
                    Some(p) => {
                        let (f, fnr) = self.pc.folio(p);
                        f + fnr
                    }
                    None => i + 1,
                };
                i = next.clamp(i + 1, limit);
                vecs += 1;
            }
            let mut s = bio;
            while s < i {
                let len = (i - s).min(max);
                plugged = match plugged {
                    Some((ps, pl)) if ps + pl == s && pl + len <= max => Some((ps, pl + len)),
                    Some((ps, pl)) => {
                        self.issue(dir, inode, ps, pl, need, need_origin, origin, sync_rest);
                        reqs += 1;
                        Some((s, len))
                    }
                    None => Some((s, len)),
                };
                s += len;
            }
            bio = i;
        }
        if let Some((ps, pl)) = plugged {
            self.issue(dir, inode, ps, pl, need, need_origin, origin, sync_rest);
            reqs += 1;
        }
        reqs
    }

    /// Hand one request of pages `[at, at + len)` to the device and mark its pages.
    #[allow(clippy::too_many_arguments)]
    fn issue(
        &mut self,
        dir: Dir,
        inode: u32,
        at: u64,
        len: u64,
        need: Option<u64>,
        need_origin: Origin,
        origin: Origin,
        sync_rest: bool,
    ) {
        let holds_need = need.is_some_and(|x| x >= at && x < at + len);
        let (o, sync) = if holds_need {
            (need_origin, true)
        } else {
            (origin, sync_rest)
        };
        let io = self.submit(dir, inode, at, len, o, sync);
        for i in at..at + len {
            if let Some(p) = self.pc.lookup(inode, i) {
                self.pc.pages[p as usize].io = io;
                match dir {
                    Dir::Read => self.pc.set(p, pf::LOCKED),
                    Dir::Write => {
                        self.pc.set(p, pf::WRITEBACK);
                        self.pc.nr_writeback += 1;
                    }
                }
            }
        }
    }
}
