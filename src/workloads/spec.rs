//! The workload registry and the parsing of workload specs `name[:key=value,...]`.
//!
//! One table drives the parser, its error messages and the `--help` text, so a
//! workload's keys are documented exactly where they are accepted.

use crate::spec::Spec;
use crate::trace::Flags;
use crate::units::{format_size, parse_size};

/// One workload: its name, what it does and resembles, its keys (name, default,
/// meaning), its default request size and the prefix of its file names.
#[derive(Debug)]
pub struct WorkloadInfo {
    pub name: &'static str,
    pub help: &'static str,
    pub keys: &'static [(&'static str, &'static str, &'static str)],
    pub io_size: u64,
    pub prefix: &'static str,
}

const K4: u64 = 4096;

const ADVICE: (&str, &str, &str) = (
    "advice",
    "normal",
    "madvise of the mapping: normal, sequential or random (the mmap row's flags)",
);

/// Every workload, in the order `--help` lists them.
pub const WORKLOADS: &[WorkloadInfo] = &[
    WorkloadInfo {
        name: "seqread",
        help: "Each pid reads its files front to back, closes each at EOF and goes on with its next \
               (wrapping around). With more pids than files, pids share a file and start at evenly \
               spaced offsets. Resembles cat, cp's source, a backup or a table scan.",
        keys: &[],
        io_size: 64 * 1024,
        prefix: "data",
    },
    WorkloadInfo {
        name: "seqwrite",
        help: "Like seqread, writing: files are created empty (open size 0) and grow to their size; \
               later passes overwrite them in place. Resembles cp's destination, dd, a recorder.",
        keys: &[("fsync", "0", "1 = fsync each file before closing it")],
        io_size: 64 * 1024,
        prefix: "out",
    },
    WorkloadInfo {
        name: "randread",
        help: "Uniform random reads of aligned blocks over the whole footprint by every pid. \
               Resembles fio randread, a key-value store larger than its cache.",
        keys: &[],
        io_size: K4,
        prefix: "data",
    },
    WorkloadInfo {
        name: "randwrite",
        help: "Uniform random overwrites of aligned blocks of existing files. Resembles fio \
               randwrite, a database writing pages without fsync.",
        keys: &[],
        io_size: K4,
        prefix: "data",
    },
    WorkloadInfo {
        name: "zipf",
        help: "Random reads whose blocks follow a Zipf law (rank k is read with probability ~ \
               k^-alpha); the hot blocks are scattered over the footprint by the seed. Resembles \
               a web or object cache, YCSB reads.",
        keys: &[(
            "alpha",
            "1.0",
            "skew: 0 = uniform, 0.99 = YCSB, above 1 a very hot head",
        )],
        io_size: K4,
        prefix: "data",
    },
    WorkloadInfo {
        name: "mixed",
        help: "Random reads and overwrites of aligned blocks, each a read with probability \
               read=. Resembles fio randrw, OLTP block I/O.",
        keys: &[
            (
                "read",
                "0.7",
                "fraction of the requests that are reads (0..1)",
            ),
            (
                "alpha",
                "0",
                "Zipf skew of the blocks, as for zipf (0 = uniform)",
            ),
        ],
        io_size: K4,
        prefix: "data",
    },
    WorkloadInfo {
        name: "mmap-scan",
        help: "Each pid maps its files whole (mmap) and touches their pages in order (fault_read \
               every --io-size bytes), then munmaps and closes them; files are shared out as in \
               seqread. Resembles loading a mapped data set, grep or a linker over mmap'ed files.",
        keys: &[ADVICE],
        io_size: K4,
        prefix: "map",
    },
    WorkloadInfo {
        name: "mmap-random",
        help: "Every pid maps every file whole and touches random pages: fault_write with \
               probability write=, else fault_read. Resembles LMDB or another store working on a \
               mapped file.",
        keys: &[
            (
                "write",
                "0.3",
                "fraction of the touches that are stores (0..1)",
            ),
            (
                "alpha",
                "0",
                "Zipf skew of the pages, as for zipf (0 = uniform)",
            ),
            ADVICE,
        ],
        io_size: K4,
        prefix: "map",
    },
    WorkloadInfo {
        name: "append-log",
        help: "Appends to log files opened O_APPEND (flag append; offsets written are the EOF), \
               the logs taken in turn; a log is fsynced after every fsync= appends to it and \
               truncated to 0 before it would outgrow its size (a recycled WAL). Resembles a database's \
               write-ahead log, a journal, syslog.",
        keys: &[(
            "fsync",
            "8",
            "appends to a log between two fsyncs of it (0 = never fsync)",
        )],
        io_size: K4,
        prefix: "log",
    },
    WorkloadInfo {
        name: "db",
        help: "Workers (the --pids) read and overwrite random pages of the data files; after every \
               fsync= page writes, the worker fsyncs each file written since (a group commit). \
               Every checkpoint= worker requests, a checkpointer (pid 100 + --pids) rewrites the \
               pages dirtied since its last checkpoint once each, in ascending (file, offset) \
               order, fsyncing each file after its pages; its writes count as events too. \
               Resembles PostgreSQL or InnoDB data files with a sorted checkpoint.",
        keys: &[
            (
                "read",
                "0.7",
                "fraction of the worker requests that are reads (0..1)",
            ),
            (
                "alpha",
                "0",
                "Zipf skew of the pages, as for zipf (0 = uniform)",
            ),
            (
                "fsync",
                "100",
                "page writes between two group fsyncs (0 = never)",
            ),
            (
                "checkpoint",
                "10000",
                "worker requests between two checkpoints (0 = never; at most 10000000)",
            ),
        ],
        io_size: 8192,
        prefix: "db",
    },
    WorkloadInfo {
        name: "truncate-churn",
        help: "Files start half full; requests append at EOF (until the file reaches its size, \
               then overwrite a random block) or read a random block below EOF; after every \
               truncate= requests a random file is truncated, alternately down (to a random smaller size) and \
               up (a sparse extension, at most to its size). Exercises vnode_pager_setsize; resembles \
               SQLite journals in TRUNCATE mode, build trees, temporary files.",
        keys: &[
            (
                "read",
                "0.5",
                "fraction of the requests that are reads (0..1)",
            ),
            (
                "truncate",
                "16",
                "requests between two truncates (at least 1)",
            ),
            (
                "align",
                "1",
                "new sizes are multiples of this (1 = any byte, 4K = whole pages)",
            ),
        ],
        io_size: K4,
        prefix: "churn",
    },
    WorkloadInfo {
        name: "smallfiles",
        help: "Accesses to many small files: each picks a file (Zipf over the files, the hot ones \
               scattered over the file numbers by the seed; alpha=0 is uniform), and the next pid \
               in turn opens it, reads it whole from offset 0 in --io-size requests (the last one \
               short if the size is not a multiple) and closes it. One file is open at a time and \
               files never picked get no rows, so a trace can touch 100000+ files (--files up to \
               1000000) and make the kernel recycle vnodes (vnlru). Resembles a build, a backup or \
               git status over many small files.",
        keys: &[(
            "alpha",
            "0.9",
            "Zipf skew of the files, as for zipf (0 = uniform)",
        )],
        io_size: 16 * 1024,
        prefix: "small",
    },
];

/// What a parsed spec asks for; the workload families interpret it.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// seqread, seqwrite and mmap-scan: per-pid sequential streams over files.
    Seq(SeqOp),
    /// randread, randwrite, zipf, mixed, mmap-random. `mmap` is the advice flags when
    /// the accesses are touches of mapped pages.
    Random {
        read: f64,
        alpha: f64,
        mmap: Option<Flags>,
    },
    AppendLog {
        fsync: u64,
    },
    Db {
        read: f64,
        alpha: f64,
        fsync: u64,
        checkpoint: u64,
    },
    Churn {
        read: f64,
        truncate: u64,
        align: u64,
    },
    /// smallfiles: a file per access, opened, read whole and closed.
    SmallFiles {
        alpha: f64,
    },
}

/// The access of a sequential stream.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SeqOp {
    Read,
    Write { fsync: bool },
    Fault { advice: Flags },
}

/// A parsed and checked spec: the workload, what it asks for, its canonical text.
#[derive(Clone, Debug)]
pub struct Parsed {
    pub info: &'static WorkloadInfo,
    pub kind: Kind,
    /// `name` or `name:key=value,...` with every key spelled out.
    pub canonical: String,
}

/// `name[key,...]` for every workload: the list unknown names are answered with.
pub fn valid_list() -> String {
    let list: Vec<String> = WORKLOADS
        .iter()
        .map(|w| {
            if w.keys.is_empty() {
                w.name.to_string()
            } else {
                let keys: Vec<&str> = w.keys.iter().map(|k| k.0).collect();
                format!("{}[:{}]", w.name, keys.join(","))
            }
        })
        .collect();
    list.join(" | ")
}

/// Parse a workload spec; errors name the valid workloads or the workload's keys.
pub fn parse(s: &str) -> Result<Parsed, String> {
    let spec = Spec::parse(s).map_err(|e| format!("{e}; workloads: {}", valid_list()))?;
    let Some(info) = WORKLOADS.iter().find(|w| w.name == spec.name) else {
        return Err(format!(
            "unknown workload \"{}\"; valid: {}",
            spec.name,
            valid_list()
        ));
    };
    for (k, _) in &spec.params {
        if !info.keys.iter().any(|(n, _, _)| n == k) {
            let valid: Vec<&str> = info.keys.iter().map(|(n, _, _)| *n).collect();
            return Err(format!(
                "workload \"{}\" has no key \"{k}\"; its keys: {}",
                info.name,
                if valid.is_empty() {
                    "(none)".to_string()
                } else {
                    valid.join(", ")
                }
            ));
        }
    }
    let v = Values { info, spec: &spec };
    let kind = match info.name {
        "seqread" => Kind::Seq(SeqOp::Read),
        "seqwrite" => Kind::Seq(SeqOp::Write {
            fsync: v.flag("fsync")?,
        }),
        "mmap-scan" => Kind::Seq(SeqOp::Fault {
            advice: v.advice()?,
        }),
        "randread" => random(1.0, 0.0, None),
        "randwrite" => random(0.0, 0.0, None),
        "zipf" => random(1.0, v.alpha()?, None),
        "mixed" => random(v.fraction("read")?, v.alpha()?, None),
        "mmap-random" => random(1.0 - v.fraction("write")?, v.alpha()?, Some(v.advice()?)),
        "append-log" => Kind::AppendLog {
            fsync: v.count("fsync", 0, u64::MAX)?,
        },
        "db" => Kind::Db {
            read: v.fraction("read")?,
            alpha: v.alpha()?,
            fsync: v.count("fsync", 0, u64::MAX)?,
            checkpoint: v.count("checkpoint", 0, 10_000_000)?,
        },
        "truncate-churn" => Kind::Churn {
            read: v.fraction("read")?,
            truncate: v.count("truncate", 1, u64::MAX)?,
            align: v.size("align")?,
        },
        "smallfiles" => Kind::SmallFiles { alpha: v.alpha()? },
        other => unreachable!("workload {other} is in the table but not parsed"),
    };
    let params: Vec<(&'static str, String)> = info
        .keys
        .iter()
        .map(|(k, _, _)| (*k, v.get(k).trim().to_string()))
        .collect();
    Ok(Parsed {
        info,
        kind,
        canonical: Spec::render(info.name, &params),
    })
}

fn random(read: f64, alpha: f64, mmap: Option<Flags>) -> Kind {
    Kind::Random { read, alpha, mmap }
}

/// A spec's values, falling back to the table's defaults, with typed getters whose
/// errors name the workload, the key and what is expected.
struct Values<'a> {
    info: &'static WorkloadInfo,
    spec: &'a Spec,
}

impl Values<'_> {
    fn get(&self, key: &str) -> &str {
        self.spec
            .params
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .or_else(|| {
                self.info
                    .keys
                    .iter()
                    .find(|(k, _, _)| *k == key)
                    .map(|(_, d, _)| *d)
            })
            .unwrap_or("")
    }

    fn bad(&self, key: &str, want: &str) -> String {
        format!(
            "workload \"{}\": {key}=\"{}\": expected {want}",
            self.info.name,
            self.get(key)
        )
    }

    fn number(&self, key: &str, lo: f64, hi: f64, want: &str) -> Result<f64, String> {
        match self.get(key).trim().parse::<f64>() {
            Ok(x) if x.is_finite() && (lo..=hi).contains(&x) => Ok(x),
            _ => Err(self.bad(key, want)),
        }
    }

    fn fraction(&self, key: &str) -> Result<f64, String> {
        self.number(key, 0.0, 1.0, "a fraction from 0 to 1, such as 0.7")
    }

    fn alpha(&self) -> Result<f64, String> {
        self.number(
            "alpha",
            0.0,
            10.0,
            "a Zipf exponent from 0 to 10, such as 1.1",
        )
    }

    fn count(&self, key: &str, min: u64, max: u64) -> Result<u64, String> {
        match self.get(key).trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ if max == u64::MAX => Err(self.bad(key, &format!("a whole number, at least {min}"))),
            _ => Err(self.bad(key, &format!("a whole number from {min} to {max}"))),
        }
    }

    fn flag(&self, key: &str) -> Result<bool, String> {
        match self.get(key).trim() {
            "1" | "true" | "yes" => Ok(true),
            "0" | "false" | "no" => Ok(false),
            _ => Err(self.bad(key, "0 or 1")),
        }
    }

    fn size(&self, key: &str) -> Result<u64, String> {
        match parse_size(self.get(key)) {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(self.bad(key, "a size above 0, such as 1, 512 or 4K")),
        }
    }

    fn advice(&self) -> Result<Flags, String> {
        match self.get("advice").trim() {
            "normal" => Ok(Flags::NONE),
            "sequential" => Ok(Flags::SEQUENTIAL),
            "random" => Ok(Flags::RANDOM),
            _ => Err(self.bad("advice", "normal, sequential or random")),
        }
    }
}

/// The conventions every workload follows, printed after the workload table.
pub const CONVENTIONS: &str = "\
Every trace:
  - counts --events as data rows (read, write, fault_read, fault_write); open, close, mmap,
    munmap, fsync and truncate rows come on top;
  - splits --size evenly: each of the --files files has size/files bytes;
  - uses pids 100, 101, ... (--pids of them) and deals the requests to them round robin;
  - opens a file (the open row states its current size) before a pid touches it and
    closes it at the end (smallfiles: after each access); reads and faults never go
    past the end of a file; random offsets are multiples of --io-size;
  - spaces rows --interval apart, starting at time 0;
  - depends only on the options: the same ones give byte-identical output on every
    machine, and later vpsim versions keep it so (the random numbers and the math behind
    them are in-house, pinned by tests, never a dependency's).

Examples:
  vpsim gen zipf:alpha=1.1 --events 1000000 --size 1G --seed 7 -o zipf.csv.zst
  vpsim gen seqread --files 4 --pids 4 --size 1G -o scan.csv
  vpsim gen db:read=0.8,checkpoint=5000 --pids 8 --files 2 --size 512M -o db.csv.gz
  vpsim gen mixed:read=0.7 --events 1000 | vpsim replay - --mem 64M";

/// `vpsim gen --help`'s tail: every workload with its keys, then the conventions.
pub fn help_table() -> String {
    let mut s = String::from("Workloads (WORKLOAD is name[:key=value,...]):\n");
    for w in WORKLOADS {
        s.push_str(&format!(
            "\n  {}  (--io-size default {}; files {}.0, {}.1, ...)\n      {}\n",
            w.name,
            format_size(w.io_size),
            w.prefix,
            w.prefix,
            w.help
        ));
        for (k, d, m) in w.keys {
            s.push_str(&format!("      {k}={d}  {m}\n"));
        }
    }
    s.push('\n');
    s.push_str(CONVENTIONS);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        let p = parse("zipf:alpha=1.1").unwrap();
        assert_eq!(p.canonical, "zipf:alpha=1.1");
        assert_eq!(parse("zipf").unwrap().canonical, "zipf:alpha=1.0");
        assert_eq!(parse("seqread").unwrap().kind, Kind::Seq(SeqOp::Read));
        assert!(matches!(
            parse("mixed:read=0.25").unwrap().kind,
            Kind::Random { read: 0.25, .. }
        ));
        let e = parse("zipfian").unwrap_err();
        assert!(e.contains("seqread") && e.contains("truncate-churn"), "{e}");
        let e = parse("zipf:beta=2").unwrap_err();
        assert!(e.contains("alpha"), "{e}");
        assert!(parse("mixed:read=1.5").is_err());
        assert!(parse("db:checkpoint=-1").is_err());
        assert!(parse("truncate-churn:truncate=0").is_err());
        assert!(parse("mmap-random:advice=sideways").is_err());
        for w in WORKLOADS {
            parse(w.name).unwrap();
        }
    }
}
