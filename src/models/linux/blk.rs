//! The block layer of the Linux personality: a run of contiguous pages handed down
//! together (one read-ahead batch, one write-back extent) becomes bios that the block
//! layer merges into requests of at most `max_sectors_kb` (`blk_rq_merge_ok`,
//! `ll_back_merge_fn` bound by `queue_max_sectors`). Runs handed down apart stay apart
//! (requests queued together could still merge in the scheduler; not modelled).

use super::Linux;
use super::pagecache::pf;
use crate::engine::stats::{Dir, Origin};

impl Linux {
    /// Submit pages `[first, first + n)` of `inode` (present in the cache) as requests
    /// of at most `max_sectors_kb`. Reads lock the pages until completion; writes put
    /// them under write-back. The request holding page `need` (if any) is tagged
    /// `need_origin` and synchronous, the others `origin`, synchronous when
    /// `sync_rest` (an fsync's writes). Returns the number of requests.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn submit_run(
        &mut self,
        dir: Dir,
        inode: u32,
        first: u64,
        n: u64,
        need: Option<u64>,
        need_origin: Origin,
        origin: Origin,
        sync_rest: bool,
    ) -> u64 {
        let max = self.p.max_request_pages();
        let mut at = first;
        let end = first + n;
        let mut reqs = 0;
        while at < end {
            let len = (end - at).min(max);
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
            reqs += 1;
            at += len;
        }
        reqs
    }
}
