//! `vpsim gen`: deterministic synthetic traces (the module is not called `gen`, a
//! reserved word in edition 2024).
//!
//! A workload spec (`zipf:alpha=1.1`) and [`GenOptions`] are checked by [`plan`]
//! before anything is written, so a usage error never leaves an output file; then
//! [`generate`] streams the rows through a [`TraceWriter`].
//!
//! Conventions every workload follows, so traces are predictable and replayable:
//! - `--events` counts the data rows (`read`, `write`, `fault_read`, `fault_write`);
//!   `open`, `close`, `mmap`, `munmap`, `fsync` and `truncate` rows come on top.
//! - `--size` is the total footprint, split evenly: each file has `size / files` bytes.
//! - pids are `100, 101, ...`; the requests are dealt to them round robin.
//! - every row is `--interval` after the previous one, starting at 0.
//! - a pid opens a file (the `open` row states its current size) before touching it and
//!   closes it at the end (smallfiles: after each access), so each file's first row is
//!   an `open` and its last a `close`; a file no access picks has no rows at all.
//! - reads and touches never go past the end of a file.
//! - everything random comes from one xoshiro256** stream seeded by `--seed`, with
//!   in-house math (see `rng.rs`, `detmath.rs`): the same options give the same bytes
//!   on every machine and with every dependency version.

mod churn;
mod detmath;
mod logdb;
mod random;
mod rng;
mod seq;
mod smallfiles;
mod spec;
mod zipf;

use std::io::{self, Write};

use crate::trace::{Flags, Op, Record, TraceWriter};
use crate::units::format_size;

pub use rng::{Permutation, Rng, splitmix64};
pub use spec::{Kind, Parsed, SeqOp, WORKLOADS, WorkloadInfo, help_table, parse, valid_list};
pub use zipf::{Popularity, Zipf};

/// The pid of the first process; the others follow.
pub const PID_BASE: u32 = 100;

/// The `length` written on fault rows (the format ignores it; recorders write a page).
pub const FAULT_LENGTH: u64 = 4096;

/// Most files a trace may have (every name is kept in memory).
pub const MAX_FILES: u64 = 1_000_000;

/// Most pids a trace may have.
pub const MAX_PIDS: u32 = 100_000;

/// Most `open` rows the workloads where every pid opens every file may start with.
pub const MAX_OPENS: u64 = 10_000_000;

/// The command-line options shared by every workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenOptions {
    pub seed: u64,
    /// Data rows to generate.
    pub events: u64,
    pub files: u64,
    /// Total footprint in bytes, split evenly between the files.
    pub size: u64,
    /// Request size; `None` takes the workload's default.
    pub io_size: Option<u64>,
    pub pids: u32,
    /// Time between two consecutive rows.
    pub interval_ns: u64,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            seed: 1,
            events: 100_000,
            files: 1,
            size: 256 << 20,
            io_size: None,
            pids: 1,
            interval_ns: 10_000,
        }
    }
}

/// A checked generation: the workload and the numbers every family works from.
#[derive(Clone, Debug)]
pub struct Plan {
    pub workload: Parsed,
    pub seed: u64,
    pub events: u64,
    pub files: u64,
    pub pids: u32,
    /// Bytes of each file (`size / files`).
    pub file_size: u64,
    pub io_size: u64,
    pub interval_ns: u64,
}

impl Plan {
    /// The file names: `<prefix>.0`, `<prefix>.1`, ...
    fn names(&self) -> Vec<String> {
        (0..self.files)
            .map(|i| format!("{}.{i}", self.workload.info.prefix))
            .collect()
    }

    /// One line describing the generation, for messages.
    pub fn describe(&self) -> String {
        format!(
            "{} --seed {} --events {} --files {} --size {} --io-size {} --pids {}",
            self.workload.canonical,
            self.seed,
            self.events,
            self.files,
            format_size(self.file_size * self.files),
            format_size(self.io_size),
            self.pids
        )
    }
}

/// Check a spec and options; the error is a usage message naming what is wrong.
pub fn plan(spec: &str, o: &GenOptions) -> Result<Plan, String> {
    let workload = parse(spec)?;
    if o.files == 0 || o.files > MAX_FILES {
        return Err(format!("--files must be from 1 to {MAX_FILES}"));
    }
    if o.pids == 0 || o.pids > MAX_PIDS {
        return Err(format!("--pids must be from 1 to {MAX_PIDS}"));
    }
    let io_size = o.io_size.unwrap_or(workload.info.io_size);
    if io_size == 0 {
        return Err("--io-size must be greater than zero".into());
    }
    let file_size = o.size / o.files;
    if file_size < io_size {
        return Err(format!(
            "each file would hold {} bytes (--size {} / --files {}), less than one request of \
             --io-size {}: raise --size or lower --files or --io-size",
            file_size,
            format_size(o.size),
            o.files,
            format_size(io_size)
        ));
    }
    if let Kind::Churn { align, .. } = workload.kind
        && align > file_size
    {
        return Err(format!(
            "truncate-churn: align={} is larger than a file ({file_size} bytes)",
            format_size(align)
        ));
    }
    // The sequential streams open one file at a time per pid, smallfiles one per
    // access: only the others start with an open of every file by every pid.
    let everyone_opens_everything =
        !matches!(workload.kind, Kind::Seq(_) | Kind::SmallFiles { .. });
    if everyone_opens_everything && u64::from(o.pids) * o.files > MAX_OPENS {
        return Err(format!(
            "{}: every pid opens every file, and --pids {} x --files {} is over {MAX_OPENS} opens",
            workload.info.name, o.pids, o.files
        ));
    }
    Ok(Plan {
        workload,
        seed: o.seed,
        events: o.events,
        files: o.files,
        pids: o.pids,
        file_size,
        io_size,
        interval_ns: o.interval_ns,
    })
}

/// What [`generate`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Data rows (read, write, fault_read, fault_write): `--events`.
    pub events: u64,
    /// All rows.
    pub rows: u64,
}

/// Write the plan's trace to `w` (its header is already written).
pub fn generate<W: Write>(plan: &Plan, w: &mut TraceWriter<W>) -> io::Result<Summary> {
    let names = plan.names();
    let before = w.events();
    let mut out = Out {
        w,
        names: &names,
        t: 0,
        step: plan.interval_ns,
        data: 0,
    };
    let mut rng = Rng::new(plan.seed);
    match plan.workload.kind {
        Kind::Seq(op) => seq::run(plan, op, &mut out)?,
        Kind::Random { read, alpha, mmap } => {
            random::run(plan, read, alpha, mmap, &mut rng, &mut out)?
        }
        Kind::AppendLog { fsync } => logdb::append_log(plan, fsync, &mut out)?,
        Kind::Db {
            read,
            alpha,
            fsync,
            checkpoint,
        } => logdb::db(plan, read, alpha, fsync, checkpoint, &mut rng, &mut out)?,
        Kind::Churn {
            read,
            truncate,
            align,
        } => churn::run(plan, read, truncate, align, &mut rng, &mut out)?,
        Kind::SmallFiles { alpha } => smallfiles::run(plan, alpha, &mut rng, &mut out)?,
    }
    let data = out.data;
    Ok(Summary {
        events: data,
        rows: w.events() - before,
    })
}

/// Generate into a byte vector (tests, benchmarks, library users).
pub fn generate_to_vec(plan: &Plan) -> io::Result<Vec<u8>> {
    let mut w = TraceWriter::new(Vec::new())?;
    generate(plan, &mut w)?;
    w.finish()
}

/// The row emitter the families share: stamps times, names files and pids, counts
/// data rows. Builds each record on the stack: no allocation per row.
pub(crate) struct Out<'a, W: Write> {
    w: &'a mut TraceWriter<W>,
    names: &'a [String],
    t: u64,
    step: u64,
    /// Data rows written so far.
    pub data: u64,
}

impl<W: Write> Out<'_, W> {
    fn emit(
        &mut self,
        pid: u32,
        op: Op,
        file: u64,
        offset: Option<u64>,
        length: Option<u64>,
        flags: Flags,
    ) -> io::Result<()> {
        self.w.write(&Record {
            time_ns: self.t,
            pid: PID_BASE + pid,
            op,
            file: &self.names[file as usize],
            offset,
            length,
            flags,
        })?;
        self.t = self.t.saturating_add(self.step);
        Ok(())
    }

    /// `open` of `file` by pid index `pid`, stating its size.
    pub fn open(&mut self, pid: u32, file: u64, size: u64, flags: Flags) -> io::Result<()> {
        self.emit(pid, Op::Open, file, None, Some(size), flags)
    }

    /// A row without offset and length: close, fsync.
    pub fn bare(&mut self, pid: u32, op: Op, file: u64) -> io::Result<()> {
        self.emit(pid, op, file, None, None, Flags::NONE)
    }

    /// A data row (counted against `--events`).
    pub fn data(&mut self, pid: u32, op: Op, file: u64, off: u64, len: u64) -> io::Result<()> {
        self.data += 1;
        self.emit(pid, op, file, Some(off), Some(len), Flags::NONE)
    }

    /// An mmap or munmap row.
    pub fn map(&mut self, pid: u32, op: Op, file: u64, len: u64, flags: Flags) -> io::Result<()> {
        self.emit(pid, op, file, Some(0), Some(len), flags)
    }

    pub fn truncate(&mut self, pid: u32, file: u64, size: u64) -> io::Result<()> {
        self.emit(pid, Op::Truncate, file, None, Some(size), Flags::NONE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(events: u64) -> GenOptions {
        GenOptions {
            events,
            size: 1 << 20,
            ..GenOptions::default()
        }
    }

    #[test]
    fn every_workload_generates_its_events() {
        for w in WORKLOADS {
            let p = plan(w.name, &opts(500)).unwrap();
            let mut tw = TraceWriter::new(Vec::new()).unwrap();
            let s = generate(&p, &mut tw).unwrap();
            assert_eq!(s.events, 500, "{}", w.name);
            assert!(s.rows > 500, "{}", w.name);
            let a = tw.finish().unwrap();
            assert_eq!(a, generate_to_vec(&p).unwrap(), "{}", w.name);
        }
    }

    #[test]
    fn usage_errors() {
        let tiny = GenOptions {
            size: 1000,
            ..GenOptions::default()
        };
        assert!(plan("randread", &tiny).unwrap_err().contains("--io-size"));
        let none = GenOptions {
            files: 0,
            ..GenOptions::default()
        };
        assert!(plan("randread", &none).is_err());
        assert!(plan("nope", &GenOptions::default()).is_err());
    }
}
