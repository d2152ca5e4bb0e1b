//! `vpsim info TRACE`: what a trace holds, on one screen.
//!
//! Before sweeping a trace a user wants to know its shape: how many of each op, how big
//! the footprint is against the memory sizes they plan to simulate, whether its reads
//! are sequential (read-ahead matters) or random, and how much memory it takes before
//! misses stop falling (the LRU miss-ratio curve). Everything comes from one pass over
//! the events after the usual first pass, with exact LRU reference models run side by
//! side at the chosen memory sizes.

use rustc_hash::FxHashSet;

use crate::device::DeviceSpec;
use crate::model::Model;
use crate::models::Lru;
use crate::models::pageref::PAGE_SIZE;
use crate::params::Knobs;
use crate::trace::{Op, TraceError, TraceSource};

/// How many files the "largest files" table lists.
pub const LARGEST: usize = 10;

/// The default memory sizes of the miss-ratio curve: powers of four from 1 MiB, up to
/// the first one at least as large as the footprint (at least three points).
pub fn default_sizes(footprint_bytes: u64) -> Vec<u64> {
    let mut v = Vec::new();
    let mut m: u64 = 1 << 20;
    loop {
        v.push(m);
        if (m >= footprint_bytes && v.len() >= 3) || m >= 1 << 44 {
            break;
        }
        m *= 4;
    }
    v
}

/// Per-file figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileInfo {
    pub name: String,
    /// Largest size the file reaches (initial size, writes and truncates).
    pub size: u64,
    pub reads: u64,
    pub bytes_read: u64,
    pub writes: u64,
    pub bytes_written: u64,
    pub faults: u64,
    /// Distinct pages read, written or faulted.
    pub pages: u64,
    /// Reads that start where the previous read of the file ended.
    pub sequential_reads: u64,
}

impl FileInfo {
    /// Share of reads that continue the previous one (`None` without reads after the
    /// first).
    pub fn sequentiality(&self) -> Option<f64> {
        (self.reads > 1).then(|| self.sequential_reads as f64 / (self.reads - 1) as f64)
    }
}

/// One point of the LRU miss-ratio curve.
#[derive(Clone, Debug, PartialEq)]
pub struct MrcPoint {
    pub mem_bytes: u64,
    pub hits: u64,
    pub misses: u64,
}

impl MrcPoint {
    /// misses / references (0 without references).
    pub fn miss_ratio(&self) -> f64 {
        let refs = self.hits + self.misses;
        if refs == 0 {
            0.0
        } else {
            self.misses as f64 / refs as f64
        }
    }
}

/// The summary `vpsim info` prints.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceInfo {
    pub path: String,
    pub binary: bool,
    pub events: u64,
    /// Events per op, in [`Op::ALL`] order.
    pub per_op: [u64; Op::ALL.len()],
    pub files: u64,
    pub bytes_read: u64,
    pub bytes_written: u64,
    /// Distinct 4 KiB pages read, written or faulted.
    pub pages: u64,
    /// Distinct file-system blocks (of `block_size`) read, written or faulted.
    pub blocks: u64,
    pub block_size: u64,
    pub first_time: Option<u64>,
    pub last_time: Option<u64>,
    /// Over all files: reads continuing the previous read of their file, and reads
    /// that had a previous read.
    pub sequential_reads: u64,
    pub followed_reads: u64,
    /// Distinct 4 KiB file pages any mmap covered, distinct pages faulted, and faults
    /// (fault_read + fault_write): a fault list holds only the touches that faulted
    /// (Linux maps most pages by fault-around), so faults per mapped page shows how
    /// sparse it is.
    pub mapped_pages: u64,
    pub faulted_pages: u64,
    pub faults: u64,
    /// The largest files by size, largest first (at most [`LARGEST`]).
    pub largest: Vec<FileInfo>,
    /// LRU miss-ratio curve, by memory size.
    pub mrc: Vec<MrcPoint>,
    pub warnings: Vec<String>,
}

impl TraceInfo {
    /// Overall share of reads that continue the previous read of their file.
    pub fn sequentiality(&self) -> Option<f64> {
        (self.followed_reads > 0).then(|| self.sequential_reads as f64 / self.followed_reads as f64)
    }

    /// Faults per mapped page (`None` when nothing was mapped).
    pub fn faults_per_mapped_page(&self) -> Option<f64> {
        (self.mapped_pages > 0).then(|| self.faults as f64 / self.mapped_pages as f64)
    }

    pub fn span_ns(&self) -> u64 {
        match (self.first_time, self.last_time) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => 0,
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Acc {
    size: u64,
    reads: u64,
    bytes_read: u64,
    writes: u64,
    bytes_written: u64,
    faults: u64,
    pages: u64,
    sequential_reads: u64,
    last_read_end: Option<u64>,
}

/// Summarise the trace at `path`. `mem_sizes` empty picks [`default_sizes`] from the
/// footprint. Two passes after the prescan (statistics, then the LRU models at sizes
/// that depend on the footprint); a trace from a pipe is held in memory for the second.
pub fn info(
    path: &str,
    mem_sizes: &[u64],
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<TraceInfo, TraceError> {
    let mut src = TraceSource::open(path)?;
    let pre = src.prescan(path)?;
    let mut files = pre.files.clone();
    let block_size = Knobs::default().f_iosize.max(PAGE_SIZE);
    let mut acc: Vec<Acc> = Vec::new();
    let mut pages: FxHashSet<(u32, u64)> = FxHashSet::default();
    let mut blocks: FxHashSet<(u32, u64)> = FxHashSet::default();
    let mut per_op = [0u64; Op::ALL.len()];
    // Mapped page ranges [start, end) per file, merged at the end; faulted pages.
    let mut mapped: Vec<Vec<(u64, u64)>> = Vec::new();
    let mut faulted: FxHashSet<(u32, u64)> = FxHashSet::default();
    let (mut events, mut bytes_read, mut bytes_written) = (0u64, 0u64, 0u64);
    let (mut first_time, mut last_time) = (None, None);
    // Both passes count towards progress.
    let total = pre.bounded.then_some(pre.events * 2);
    // A pipe cannot be read twice: keep its events for the second pass.
    let keep = path == "-";
    let mut kept = Vec::new();
    while let Some(ev) = src.next_event(&mut files)? {
        events += 1;
        per_op[ev.op.index()] += 1;
        first_time.get_or_insert(ev.time_ns);
        last_time = Some(ev.time_ns);
        if keep {
            kept.push(ev);
        }
        let i = ev.file as usize;
        if acc.len() <= i {
            acc.resize(files.len().max(i + 1), Acc::default());
            for (id, _) in files.iter() {
                if let Some(a) = acc.get_mut(id as usize) {
                    a.size = a.size.max(files.initial_size(id).unwrap_or(0));
                }
            }
        }
        let Some(a) = acc.get_mut(i) else { continue };
        let touched = match ev.op {
            Op::Read => {
                a.reads += 1;
                a.bytes_read += ev.length;
                bytes_read = bytes_read.saturating_add(ev.length);
                if a.last_read_end == Some(ev.offset) {
                    a.sequential_reads += 1;
                }
                a.last_read_end = Some(ev.offset.saturating_add(ev.length));
                Some((ev.offset, ev.length))
            }
            Op::Write => {
                a.writes += 1;
                a.bytes_written += ev.length;
                bytes_written = bytes_written.saturating_add(ev.length);
                // An append (no offset) lands at the size the file has reached.
                let off = ev.offset().unwrap_or(a.size);
                a.size = a.size.max(off.saturating_add(ev.length));
                Some((off, ev.length))
            }
            Op::Mmap => {
                if mapped.len() <= i {
                    mapped.resize(i + 1, Vec::new());
                }
                let end = ev.offset.saturating_add(ev.length);
                mapped[i].push((ev.offset / PAGE_SIZE, end.div_ceil(PAGE_SIZE)));
                None
            }
            Op::FaultRead | Op::FaultWrite => {
                a.faults += 1;
                faulted.insert((ev.file, ev.offset / PAGE_SIZE));
                Some((ev.offset - ev.offset % PAGE_SIZE, 1))
            }
            Op::Truncate => {
                a.size = a.size.max(ev.length);
                None
            }
            _ => None,
        };
        if let Some((off, len)) = touched.filter(|&(_, len)| len > 0) {
            let end = off.saturating_add(len);
            for p in off / PAGE_SIZE..end.div_ceil(PAGE_SIZE) {
                if pages.insert((ev.file, p)) {
                    a.pages += 1;
                }
            }
            for b in off / block_size..end.div_ceil(block_size) {
                blocks.insert((ev.file, b));
            }
        }
        if events.is_multiple_of(1 << 16) {
            progress(events, total);
        }
    }
    // Second pass: the miss-ratio curve, at sizes that can depend on the footprint.
    let sizes = if mem_sizes.is_empty() {
        default_sizes(pages.len() as u64 * PAGE_SIZE)
    } else {
        mem_sizes.to_vec()
    };
    let mut models: Vec<Lru> = sizes
        .iter()
        .map(|&m| Lru::new(&pre.files, m, DeviceSpec::ssd()))
        .collect();
    let mut n = events;
    let mut step = |ev: &crate::trace::Event| {
        for m in &mut models {
            m.step(ev);
        }
        n += 1;
        if n.is_multiple_of(1 << 16) {
            progress(n, total);
        }
    };
    if keep {
        kept.iter().for_each(&mut step);
    } else {
        let mut again = TraceSource::open(path)?;
        let mut files2 = pre.files.clone();
        while let Some(ev) = again.next_event(&mut files2)? {
            step(&ev);
        }
    }
    let mut mrc = Vec::with_capacity(models.len());
    for (m, &mem) in models.iter_mut().zip(&sizes) {
        let st = m.finish();
        mrc.push(MrcPoint {
            mem_bytes: mem,
            hits: st.counters.page_hits,
            misses: st.counters.page_misses,
        });
    }
    let mut all: Vec<FileInfo> = acc
        .iter()
        .enumerate()
        .map(|(id, a)| FileInfo {
            name: files.name(id as u32).to_string(),
            size: a.size,
            reads: a.reads,
            bytes_read: a.bytes_read,
            writes: a.writes,
            bytes_written: a.bytes_written,
            faults: a.faults,
            pages: a.pages,
            sequential_reads: a.sequential_reads,
        })
        .collect();
    let faults = all.iter().map(|f| f.faults).sum();
    let sequential_reads = all.iter().map(|f| f.sequential_reads).sum();
    let followed_reads = all.iter().map(|f| f.reads.saturating_sub(1)).sum();
    all.sort_by(|a, b| {
        b.size
            .cmp(&a.size)
            .then(b.pages.cmp(&a.pages))
            .then(a.name.cmp(&b.name))
    });
    all.truncate(LARGEST);
    let mut warnings = pre.warnings.clone();
    for w in src.warnings() {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
    Ok(TraceInfo {
        path: path.to_string(),
        binary: src.is_binary(),
        events,
        per_op,
        files: files.len() as u64,
        bytes_read,
        bytes_written,
        pages: pages.len() as u64,
        blocks: blocks.len() as u64,
        block_size,
        first_time,
        last_time,
        sequential_reads,
        followed_reads,
        mapped_pages: mapped.iter_mut().map(|r| union_len(r)).sum(),
        faulted_pages: faulted.len() as u64,
        faults,
        largest: all,
        mrc,
        warnings,
    })
}

/// Pages covered by the ranges (sorted in place).
fn union_len(ranges: &mut [(u64, u64)]) -> u64 {
    ranges.sort_unstable();
    let mut total = 0;
    let mut cur: Option<(u64, u64)> = None;
    for &(a, b) in ranges.iter() {
        cur = match cur {
            Some((s, e)) if a <= e => Some((s, e.max(b))),
            Some((s, e)) => {
                total += e - s;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    total + cur.map_or(0, |(s, e)| e - s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_ranges_are_counted_once() {
        assert_eq!(union_len(&mut []), 0);
        assert_eq!(union_len(&mut [(0, 16), (0, 4)]), 16);
        assert_eq!(union_len(&mut [(10, 12), (0, 4), (3, 6), (12, 13)]), 9);
    }

    #[test]
    fn default_sizes_cover_the_footprint() {
        assert_eq!(default_sizes(0), vec![1 << 20, 4 << 20, 16 << 20]);
        let v = default_sizes(100 << 20);
        assert_eq!(*v.last().unwrap(), 256 << 20);
        assert_eq!(v.len(), 5);
    }
}
