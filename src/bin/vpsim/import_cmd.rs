//! `vpsim import strace|fio|blk`: other tools' logs to vpsim traces.

use clap::{Args, Subcommand, ValueEnum};
use vpsim::error::{CmdError, CmdResult};
use vpsim::import::{self, ImportReport, blk, fio, strace};
use vpsim::trace::{Input, TraceError, TraceOutput};

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
    /// exceptions:page_fault_user, or a CSV of time,pid,address,error_code.
    #[arg(long, value_name = "FILE")]
    pub faults: Option<String>,
    /// How rows name a file that gets renamed: `stable` keeps the name of its first row
    /// (one file, one name; a file a rename replaces gets an `unlink`), `current` uses
    /// its path at the time, as strace shows it (a rename then starts a new name).
    #[arg(long, value_enum, default_value_t = NamesArg::Stable)]
    pub names: NamesArg,
    /// perf faults only: the shift in nanoseconds from perf's clock to the trace's
    /// (trace time = perf time + this). Without it the shift is found from the log:
    /// exact with `perf record -k CLOCK_REALTIME` and `strace -ttt`. Example: --perf-offset-ns -1234567
    #[arg(long, value_name = "NS", allow_negative_numbers = true)]
    pub perf_offset_ns: Option<i64>,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum NamesArg {
    /// A file keeps the name of its first row across renames.
    Stable,
    /// Rows name files by their path at that moment.
    Current,
}

#[derive(Args, Debug)]
pub struct FioArgs {
    /// The fio iolog (plain, .gz or .zst), or - for standard input.
    pub iolog: String,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum BlkFormatArg {
    /// MSR Cambridge CSV (Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime).
    Msr,
    /// SPC-style ASCII as published by SNIA (ASU,LBA,Size,Opcode,Timestamp).
    Snia,
    /// Generic CSV time,op,offset,size[,device]; see --columns.
    Csv,
}

#[derive(Args, Debug)]
pub struct BlkArgs {
    /// The block trace (plain, .gz or .zst), or - for standard input.
    pub file: String,
    /// The dialect of the block trace.
    #[arg(long, value_enum)]
    pub format: BlkFormatArg,
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

pub fn cmd_import(cmd: &ImportCmd) -> CmdResult {
    match cmd {
        ImportCmd::Strace(a) => {
            let opts = strace::StraceOptions {
                faults: a.faults.clone(),
            };
            let tuning = strace::StraceTuning {
                perf_offset_ns: a.perf_offset_ns,
                names: match a.names {
                    NamesArg::Stable => strace::NameRule::Stable,
                    NamesArg::Current => strace::NameRule::Current,
                },
            };
            run("strace", &a.log, &a.out, |input, path, w| {
                strace::import_tuned(input, path, &opts, &tuning, w)
            })
        }
        ImportCmd::Fio(a) => run("fio", &a.iolog, &a.out, fio::import),
        ImportCmd::Blk(a) => {
            let opts = blk::BlkOptions {
                format: match a.format {
                    BlkFormatArg::Msr => blk::BlkFormat::Msr,
                    BlkFormatArg::Snia => blk::BlkFormat::Snia,
                    BlkFormatArg::Csv => blk::BlkFormat::Csv,
                },
                columns: a.columns.clone(),
            };
            run("blk", &a.file, &a.out, |input, path, w| {
                blk::import(input, path, &opts, w)
            })
        }
    }
}

type Writer = vpsim::trace::TraceWriter<vpsim::trace::Sink>;

/// Open the input and the output, convert, report oddities, commit the output.
fn run(
    what: &str,
    path: &str,
    out: &OutArgs,
    convert: impl FnOnce(
        &mut dyn std::io::BufRead,
        &str,
        &mut Writer,
    ) -> Result<ImportReport, TraceError>,
) -> CmdResult {
    let mut input = Input::open(path)?;
    let mut output = TraceOutput::create(out.output.as_deref()).map_err(|e| {
        let name = out.output.as_deref().unwrap_or("<stdout>");
        CmdError::Output(format!("{name}: cannot create: {e}"))
    })?;
    let shown = if path == "-" { "<stdin>" } else { path };
    let report = match convert(input.reader(), shown, output.writer()) {
        Ok(r) => r,
        Err(e) => {
            output.abandon();
            if e.is_io() && (e.path() == import::OUTPUT || e.path() == out_name(out)) {
                return Err(CmdError::Output(format!(
                    "{}: {}",
                    out_name(out),
                    e.message()
                )));
            }
            return Err(e.into());
        }
    };
    let name = output.name().to_string();
    output.commit().map_err(CmdError::Output)?;
    eprintln!(
        "vpsim import {what}: {} lines -> {} events{}",
        report.lines,
        report.events,
        if name == "<stdout>" {
            String::new()
        } else {
            format!(" in {name}")
        }
    );
    let summary = report.summary();
    if !summary.is_empty() {
        eprintln!("skipped or adjusted (count, what):");
        for line in summary {
            eprintln!("{line}");
        }
    }
    Ok(())
}

fn out_name(out: &OutArgs) -> &str {
    match out.output.as_deref() {
        None | Some("-") => "<stdout>",
        Some(p) => p,
    }
}
