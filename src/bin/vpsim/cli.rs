//! The command line's arguments: every subcommand and flag with its help. Parsing
//! only; what a command does is in the library (`vpsim::app` and friends).

use clap::{Args, Parser, Subcommand, ValueEnum};
use vpsim::app::compare::CompareFormat;
use vpsim::app::replay::ReplayFormat;
use vpsim::import::strace::NameRule;
use vpsim::policies::help::{CLUSTER, READAHEAD, SYNC};
use vpsim::workloads::{WORKLOADS, help_table};

/// Trace-driven simulator of the DragonFly BSD vnode pager, VM and buffer cache.
///
/// vpsim replays recorded file I/O traces (read, write, mmap faults, fsync, msync,
/// truncate, unlink ...) through a faithful model of DragonFly's sys/vm/vnode_pager.c
/// and the VM and buffer cache around it, and reports what the kernel did: pager calls
/// (v_vnodein, v_vnodepgsin ...), faults, buffer-cache and pageout activity, device I/O
/// by origin, and per-op latency.
#[derive(Parser, Debug)]
#[command(name = "vpsim", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Replay a trace through a model and print what happened.
    ///
    /// Example: vpsim replay traces/pyio.events.csv.zst --mem 256M --device hdd --set vfs.max_readahead=0 --format json
    Replay(ReplayArgs),
    /// Replay one trace under several policy configurations and compare them.
    ///
    /// Every combination of the --readahead, --cluster and --sync specs is replayed
    /// (read-ahead outermost, then clustering, then sync; the first combination is the
    /// baseline) on the dragonfly model with the same memory, device and knobs. The trace
    /// is read once; configurations run in parallel (--jobs). The table shows device
    /// I/O, pager counters, read-ahead accuracy and p99 latencies with each number's
    /// change against the baseline in %.
    ///
    /// Example: vpsim compare traces/pyio.events.csv.zst --readahead none,linux,dragonfly --readahead fixed:pages=16 --sync dragonfly,linux --mem 256M
    Compare(CompareArgs),
    /// Validate a trace: list every bad line (up to --max-errors) and summarise it.
    ///
    /// Exits 0 when every line is good, 1 otherwise. Example: vpsim check traces/mixed.csv
    Check {
        /// Trace file: CSV (.csv, .csv.gz, .csv.zst) or the binary form (.vpt), or - for standard input.
        trace: String,
        /// Stop listing bad lines after this many (all are still counted).
        #[arg(long, default_value_t = 50)]
        max_errors: usize,
    },
    /// Sweep a grid of configurations (the cartesian product of every listed dimension)
    /// over one trace, in parallel, writing results as they complete.
    ///
    /// Example: vpsim sweep traces/pyio.events.csv.zst --mem 64M,256M,1G --readahead none,linux,dragonfly --set-grid vfs.write_behind=0,1 --output results.parquet --plots plots/
    Sweep(SweepArgs),
    /// Merge the results of `sweep --shard I/N` runs into one file.
    ///
    /// Example: vpsim merge all.parquet part1.parquet part2.parquet
    Merge(MergeArgs),
    /// Plot a results file (sweep/compare/replay output), a --timeline CSV or an --io-log as PNG and SVG.
    ///
    /// Example: vpsim plot results.parquet --out plots/
    ///
    /// Example: vpsim replay traces/git.events.csv.zst --io-log io.csv && vpsim plot io.csv --out io-plots/
    ///
    /// Example: vpsim plot --compare sda.blkparse io.csv --out vs/
    Plot(PlotArgs),
    /// Write a self-contained HTML report (tables and inline SVG plots) of a results file.
    ///
    /// Example: vpsim report results.parquet --out reports/pyio.html
    ///
    /// Example: vpsim replay T -o run.parquet --io-log io.csv && vpsim report run.parquet --io-log io.csv --out device.html
    Report(ReportArgs),
    /// Run SQL over a results file (the table is `results`; quote dotted columns).
    ///
    /// Example: vpsim query results.parquet 'SELECT "config.mem_h", MIN("device.reads") FROM results GROUP BY 1'
    Query(QueryArgs),
    /// Run a command under strace (and perf, for its page faults) and write its trace.
    ///
    /// strace records the file calls (flags chosen for the importer); where perf is
    /// installed and permitted, perf records the command's user page faults on
    /// CLOCK_MONOTONIC and its reference time puts them on strace's clock exactly. The
    /// logs live in a private temporary directory on tmpfs and are removed (see
    /// --keep-logs). Prints events per op and faults kept/dropped with reasons, and
    /// exits with the command's exit status.
    ///
    /// Example: vpsim record -o sqlite.vpt -- sqlite3 test.db 'SELECT count(*) FROM t' && vpsim replay sqlite.vpt
    Record(RecordArgs),
    /// Convert another tool's log or trace (strace, fio, block traces) into a trace.
    ///
    /// Example: vpsim import strace app.strace -o app.csv.zst && vpsim replay app.csv.zst
    #[command(subcommand)]
    Import(ImportCmd),
    /// Generate a deterministic synthetic trace (same seed, same trace).
    ///
    /// Example: vpsim gen zipf:alpha=1.1 --events 1000000 --size 1G --seed 7 -o zipf.vpt
    Gen(GenArgs),
    /// Convert a trace between the CSV and binary (.vpt) forms, losslessly.
    ///
    /// The binary form loads through a memory map without parsing: convert a trace you
    /// replay many times. Every command reads either form (recognised by its magic).
    ///
    /// Example: vpsim convert traces/pyio.events.csv.zst pyio.vpt
    Convert(ConvertArgs),
    /// Summarise a trace on one screen: ops, files, bytes, footprint, time span,
    /// sequentiality, the largest files and the LRU miss-ratio curve.
    ///
    /// Example: vpsim info traces/git.events.csv.zst --mem 1M,16M,256M
    Info(InfoArgs),
    /// List the --set knobs with their defaults and meaning.
    ///
    /// Example: vpsim knobs
    Knobs,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Trace file: CSV (.csv, .csv.gz, .csv.zst; compression is also detected by content) or the binary form (.vpt), or - for standard input.
    pub trace: String,
    /// Model: dragonfly (the kernel), lru (exact page LRU) or opt (Belady's MIN).
    #[arg(long, default_value = "dragonfly")]
    pub model: String,
    /// Personality: dragonfly (the default: DragonFly's VM, buffer cache and vnode pager) or linux[:key=value,...] (Linux 6.x page cache on ext4; keys read_ahead_kb=128, max_sectors_kb=1280, fault_around_kb=64, dirty_background_ratio=10, dirty_ratio=20, dirty_expire=30s, dirty_writeback=5s, large_folios=1), e.g. --profile linux:read_ahead_kb=8192,max_sectors_kb=4096
    #[arg(long, default_value = "dragonfly", value_name = "SPEC")]
    pub profile: String,
    #[command(flatten)]
    pub machine: vpsim::run::config::MachineFlags,
    #[arg(long, value_name = "SPEC", help = READAHEAD.help(false), long_help = READAHEAD.long_help(false))]
    pub readahead: Option<String>,
    #[arg(long, value_name = "SPEC", help = CLUSTER.help(false), long_help = CLUSTER.long_help(false))]
    pub cluster: Option<String>,
    #[arg(long, value_name = "SPEC", help = SYNC.help(false), long_help = SYNC.long_help(false))]
    pub sync: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReplayFormat::Table)]
    pub format: ReplayFormat,
    /// Write the output to FILE instead of standard output (written atomically).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<String>,
    /// Check page conservation, buffer accounting and "no data lost" after every event (slower).
    #[arg(long)]
    pub check_invariants: bool,
    /// At the end of the trace flush everything as sync(2) would, reported as device origin final_sync.
    #[arg(long)]
    pub final_sync: bool,
    /// Write a CSV with one row per simulated interval: page queues, dirty pages, dirty and running buffer space, device queue depth and I/O.
    #[arg(long, value_name = "FILE.csv")]
    pub timeline: Option<String>,
    /// Interval of --timeline rows (e.g. 100ms, 1s, 10s).
    #[arg(long, default_value = "1s", value_name = "DURATION")]
    pub timeline_step: String,
    /// Write one row per simulated device request (issue and completion time, queue wait, service time, read/write, sync/async, origin, file and offsets, bytes, queue depth, trace event) to FILE, CSV or Parquet by extension, e.g. --io-log io.csv; `vpsim plot io.csv` draws it.
    #[arg(long, value_name = "FILE")]
    pub io_log: Option<String>,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Trace file: CSV (.csv, .csv.gz, .csv.zst; compression is also detected by content) or the binary form (.vpt), or - for standard input. Read once.
    pub trace: String,
    /// Personality, repeatable: dragonfly (its rows are every combination of --readahead, --cluster and --sync) and/or linux[:key=value,...] (one row each), e.g. --profile dragonfly --profile linux --profile linux:read_ahead_kb=8192. Default: dragonfly only.
    #[arg(long, value_name = "SPEC")]
    pub profile: Vec<String>,
    #[arg(long, value_name = "SPEC", help = READAHEAD.help(true), long_help = READAHEAD.long_help(true))]
    pub readahead: Vec<String>,
    #[arg(long, value_name = "SPEC", help = CLUSTER.help(true), long_help = CLUSTER.long_help(true))]
    pub cluster: Vec<String>,
    #[arg(long, value_name = "SPEC", help = SYNC.help(true), long_help = SYNC.long_help(true))]
    pub sync: Vec<String>,
    #[command(flatten)]
    pub machine: vpsim::run::config::MachineFlags,
    /// At the end of the trace flush everything as sync(2) would (origin final_sync), so bytes written compare across policies.
    #[arg(long)]
    pub final_sync: bool,
    /// Configurations replayed at the same time (default: the number of CPUs). The output does not depend on it.
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
    /// Write the output to FILE instead of standard output (written atomically).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<String>,
    /// The table as wide as it needs: every table on one line per configuration and specs unwrapped, instead of fitting 100 columns (tables then split into stacked parts), e.g. vpsim compare t.csv --readahead none,dragonfly --wide | grep '^#1'.
    #[arg(long)]
    pub wide: bool,
    /// One --io-log per configuration: {config} in the name becomes its config_index (0 = the baseline), e.g. --io-log io-{config}.csv (or .parquet).
    #[arg(long, value_name = "TEMPLATE")]
    pub io_log: Option<String>,
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Trace file: CSV (.csv, .csv.gz, .csv.zst) or the binary form (.vpt).
    pub trace: String,
    #[command(flatten)]
    pub dims: vpsim::sweep::GridFlags,
    /// Configurations run at once (default: all cores).
    #[arg(long, default_value_t = 0)]
    pub jobs: usize,
    /// Results file (.parquet, .csv or .json), rewritten as each configuration
    /// completes so an interrupted sweep keeps what it finished.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<String>,
    /// Also write the plots (PNG and SVG) into this directory.
    #[arg(long, value_name = "DIR")]
    pub plots: Option<String>,
    /// Skip configurations already in --output (same grid and trace).
    #[arg(long)]
    pub resume: bool,
    /// Run only the I-th of N deterministic slices of the grid, balanced by expected cost (model, then memory), e.g. --shard 2/8.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Sort the printed table by this metric (e.g. device_reads, counters.page_misses, latency_ns.read.p99).
    #[arg(long, default_value = "device_reads")]
    pub sort: String,
    /// Stop after this many configurations (as if interrupted; for testing --resume).
    #[arg(long, hide = true)]
    pub limit: Option<usize>,
    /// The printed table as wide as it needs: one line per configuration and specs unwrapped, instead of fitting 100 columns (the table then split into stacked parts), e.g. vpsim sweep t.csv --mem 64M,1G --readahead none,linux,dragonfly --wide > table.txt.
    #[arg(long)]
    pub wide: bool,
    /// One --io-log per configuration: {config} in the name becomes its config_id in the results, e.g. --io-log logs/io-{config}.parquet (or .csv).
    #[arg(long, value_name = "TEMPLATE")]
    pub io_log: Option<String>,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The merged results file (.parquet, .csv or .json).
    pub out: String,
    /// Results of `sweep --shard I/N` runs of the same trace and grid.
    #[arg(required = true)]
    pub parts: Vec<String>,
}

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// A results file (.parquet, .csv, .json from sweep/replay/compare), a --timeline CSV or an --io-log (.csv, .parquet).
    #[arg(required_unless_present = "compare")]
    pub results: Option<String>,
    /// Draw a real block log (blkparse text, perf script of block:block_rq_issue/complete, or an io-log) beside a simulated --io-log on the same axes, with their request sizes, e.g. --compare real.blkparse io.csv
    #[arg(long, num_args = 2, value_names = ["REAL", "SIMULATED"], conflicts_with = "results")]
    pub compare: Option<Vec<String>>,
    /// Directory for the PNG and SVG files.
    #[arg(long, default_value = "plots")]
    pub out: String,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// A results file (.parquet, .csv, .json).
    pub results: String,
    /// The HTML file to write (self-contained: SVG plots inline).
    #[arg(long, default_value = "report.html")]
    pub out: String,
    /// A --timeline CSV to include.
    #[arg(long)]
    pub timeline: Option<String>,
    /// An --io-log (.csv or .parquet) whose device charts to include, e.g. --io-log io.csv
    #[arg(long, value_name = "FILE")]
    pub io_log: Option<String>,
}

#[derive(Args, Debug)]
pub struct RecordArgs {
    /// The trace to write: .vpt (binary form), .csv, .csv.gz or .csv.zst; written once
    /// complete, e.g. -o git-status.csv.zst
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        default_value = "trace.vpt"
    )]
    pub output: String,
    /// Record page faults with perf: auto (when perf is installed and permitted, else
    /// say why and record syscalls only), on (fail with the reason and the fix when
    /// perf cannot), off. Example: --faults off
    #[arg(long, value_enum, default_value_t = vpsim::app::record::FaultsMode::Auto)]
    pub faults: vpsim::app::record::FaultsMode,
    /// Keep the raw logs (strace.log, perf.data, faults.perf) in DIR, created if
    /// needed, for `vpsim import strace DIR/strace.log --faults DIR/faults.perf`.
    /// Example: --keep-logs logs/
    #[arg(long, value_name = "DIR")]
    pub keep_logs: Option<String>,
    /// The command and its arguments (after --, or after the options).
    /// Example: -- python3 script.py --size 64M
    #[arg(
        value_name = "CMD",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum ImportCmd {
    /// Convert a raw strace log into a trace.
    ///
    /// Record with (see the README for perf page faults):
    ///   strace -f -ttt -T -y -s 0 -o app.strace -e trace=openat,open,creat,close,read,write,pread64,pwrite64,readv,writev,preadv,pwritev,preadv2,pwritev2,lseek,mmap,munmap,mremap,msync,madvise,fadvise64,fsync,fdatasync,sync_file_range,ftruncate,truncate,fallocate,fstat,newfstatat,statx,dup,dup2,dup3,fcntl,clone,clone3,fork,vfork,execve,unlink,unlinkat,rename,renameat,renameat2,copy_file_range,sendfile -- CMD
    ///
    /// Pid prefixes, -t/-tt/-ttt/-r timestamps or none, -T durations, -y/-yy paths (or
    /// fds tracked from open results without -y), unfinished/resumed pairs, signals and
    /// exits are understood. Only successful calls on regular files become events;
    /// everything skipped is counted on stderr.
    ///
    /// Example: vpsim import strace app.strace --faults faults.txt -o app.csv.zst
    Strace(StraceArgs),
    /// Convert a fio iolog (version 2 or 3) into a trace.
    ///
    /// Record with: fio --write_iolog=job.iolog JOBFILE
    ///
    /// Example: vpsim import fio job.iolog -o job.csv
    Fio(FioArgs),
    /// Convert a block trace into a trace: each device becomes one file, so block
    /// traces replay through the same pager.
    ///
    /// Example: vpsim import blk CAMRESHMSA01-lvm0.csv --format msr -o msr.csv.zst
    Blk(BlkArgs),
}

/// Where the converted trace goes.
#[derive(Args, Debug)]
pub struct OutArgs {
    /// Output trace: .csv, .csv.gz, .csv.zst or .vpt (binary form); - or absent for
    /// standard output. The file appears only once complete.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,
}

#[derive(Args, Debug)]
pub struct StraceArgs {
    /// The strace log (plain, .gz or .zst), or - for standard input.
    pub log: String,
    /// Merge page faults from this file: `perf script` output of
    /// exceptions:page_fault_user, or a CSV of time,pid,address,error_code (extra
    /// columns such as tid are ignored). See --faults-clock. Example: --faults faults.txt
    #[arg(long, value_name = "FILE")]
    pub faults: Option<String>,
    /// How rows name a file that gets renamed: `stable` keeps the name of its first row
    /// (one file, one name; a file a rename replaces gets an `unlink`), `current` uses
    /// its path at the time, as strace shows it (a rename then starts a new name).
    #[arg(long, value_enum, default_value_t = NameRule::Stable)]
    pub names: NameRule,
    /// The shift in nanoseconds from the fault list's clock to the trace's (trace time =
    /// fault time + this), for perf output and CSV alike, whatever their clock. Without
    /// it times are aligned by their clock (--faults-clock). Example: --perf-offset-ns -1234567
    #[arg(long, value_name = "NS", allow_negative_numbers = true)]
    pub perf_offset_ns: Option<i64>,
    /// The clock of the --faults times, over what the file says (a `clock` column, a
    /// `# clock: NAME` line, perf's `# clockid:` header): realtime (epoch; exact against
    /// `strace -ttt`), monotonic (since boot: moved onto the wall clock by perf's
    /// `# reference time` header line, from `perf script --header`, else matched on the
    /// first fault), strace (a `time` column written like the log's timestamps, or
    /// `time_ns` since its first line). Example: --faults-clock monotonic
    #[arg(long, value_enum, value_name = "CLOCK")]
    pub faults_clock: Option<vpsim::import::strace::FaultClock>,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(Args, Debug)]
pub struct FioArgs {
    /// The fio iolog (plain, .gz or .zst), or - for standard input.
    pub iolog: String,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(Args, Debug)]
pub struct BlkArgs {
    /// The block trace (plain, .gz or .zst), or - for standard input.
    pub file: String,
    /// The dialect of the block trace.
    #[arg(long, value_enum)]
    pub format: vpsim::import::blk::BlkFormat,
    /// For --format csv: the column names in file order, comma separated (time, op,
    /// offset, size, device; anything else is ignored), when the file has no header or
    /// names them differently. Example: --columns time,device,op,offset,size
    #[arg(long, value_name = "NAMES")]
    pub columns: Option<String>,
    #[command(flatten)]
    pub out: OutArgs,
}

impl ImportCmd {
    /// The importer's name, as its messages say it.
    pub fn name(&self) -> &'static str {
        match self {
            ImportCmd::Strace(_) => "strace",
            ImportCmd::Fio(_) => "fio",
            ImportCmd::Blk(_) => "blk",
        }
    }
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// The trace to read (CSV, .gz, .zst, binary, or - for standard input).
    pub input: String,
    /// The trace to write. Its extension picks the form: .vpt binary; .csv, .csv.gz,
    /// .csv.zst text; - for CSV on standard output. Written under a temporary name and
    /// renamed into place when complete.
    pub output: String,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum InfoFormat {
    /// A one-screen summary.
    Table,
    /// One JSON object (the same figures, unrounded).
    Json,
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// The trace (CSV, .gz, .zst, binary .vpt, or - for standard input).
    pub trace: String,
    /// Memory sizes of the LRU miss-ratio curve, comma separated (K/M/G suffixes).
    /// Default: powers of four from 1M up to the total size of the trace's files.
    #[arg(long, value_name = "SIZES")]
    pub mem: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InfoFormat::Table)]
    pub format: InfoFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    /// Aligned columns, numbers right-aligned, and the row count.
    Table,
    /// A header line and one line per row.
    Csv,
}

#[derive(Args, Debug)]
pub struct QueryArgs {
    /// A results file (.parquet, .csv or .json, from sweep, compare --output or replay --output).
    pub results: String,
    /// The query, over the table `results`; quote dotted column names, e.g.
    /// 'SELECT "config.mem_h", MIN("device.reads") FROM results GROUP BY 1'.
    pub sql: String,
    /// How to print the result, e.g. --format csv.
    #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,
    /// Write the result as a results file instead (.parquet, .csv or .json, atomically), e.g. -o best.parquet.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<String>,
}

#[derive(Args, Debug)]
#[command(after_long_help = help_table())]
pub struct GenArgs {
    #[arg(value_name = "WORKLOAD", help = workload_help())]
    pub workload: String,
    #[command(flatten)]
    pub flags: vpsim::app::generate::GenFlags,
    /// Output trace: .csv, .csv.gz, .csv.zst or .vpt (binary form); - or absent for
    /// standard output. The file appears only once complete (it must be a regular file:
    /// for /dev/null redirect standard output instead), e.g. -o zipf.csv.zst.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,
}

/// The positional argument's help: the spec syntax and the names, from the registry.
fn workload_help() -> String {
    let names: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
    format!(
        "The workload: name[:key=value,...], e.g. zipf:alpha=1.1 or mixed:read=0.9. Names: {} \
         (--help lists each with what it resembles and its keys)",
        names.join(", ")
    )
}
