//! `vpsim import strace`: one small log per feature with its exact rows, malformed
//! input, and the two real logs against the events of the independent converter
//! (`traces/*.events.csv.zst`).

use std::io::{Cursor, Write};

use vpsim::import::ImportReport;
use vpsim::import::strace::{self, ClockPair, FaultClock, NameRule, StraceOptions, StraceTuning};
use vpsim::trace::{FileTable, Flags, Input, Op, TraceError, TraceReader, TraceWriter};

const HDR: &str = "time_ns,pid,op,file,offset,length,flags\n";

fn convert_with(
    log: &str,
    opts: &StraceOptions,
    tuning: &StraceTuning,
) -> Result<(String, ImportReport), TraceError> {
    let mut out = TraceWriter::new(Vec::new()).unwrap();
    let mut input = Cursor::new(log.as_bytes().to_vec());
    let report = strace::import_tuned(&mut input, "t.strace", opts, tuning, &mut out)?;
    let text = String::from_utf8(out.finish().unwrap()).unwrap();
    let rows = text.strip_prefix(HDR).expect("header").to_string();
    assert_eq!(report.events as usize, rows.lines().count());
    assert_eq!(report.lines as usize, log.lines().count());
    Ok((rows, report))
}

fn convert(log: &str) -> (String, ImportReport) {
    convert_with(log, &StraceOptions::default(), &StraceTuning::default()).expect("converts")
}

fn note(r: &ImportReport, kind: &str) -> u64 {
    r.notes.get(kind).copied().unwrap_or(0)
}

/// The log text with the common leading blanks of an indented literal removed.
fn log(s: &str) -> String {
    s.lines()
        .map(str::trim_start)
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn resumed_calls_across_threads_are_timed_at_their_start() {
    let (rows, r) = convert(&log(r#"
        100 10:00:00.000000 execve("/bin/app", ["app"], 0x7ffc /* 1 vars */) = 0 <0.000100>
        100 10:00:00.000200 openat(AT_FDCWD</w>, "a.dat", O_RDONLY) = 3</w/a.dat> <0.000010>
        100 10:00:00.000300 fstat(3</w/a.dat>, {st_mode=S_IFREG|0644, st_size=10000, ...}) = 0
        100 10:00:00.000400 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0, stack=0x7f00, stack_size=0x8000} <unfinished ...>
        101 10:00:00.000500 read(3</w/a.dat>,  <unfinished ...>
        100 10:00:00.000510 <... clone3 resumed> => {parent_tid=[101]}, 88) = 101 <0.000110>
        100 10:00:00.000600 openat(AT_FDCWD</w>, "b.dat", O_RDONLY) = 4</w/b.dat> <0.000010>
        100 10:00:00.000700 read(4</w/b.dat>, ""..., 100) = 100 <0.000010>
        101 10:00:00.000800 <... read resumed>""..., 4096) = 4096 <0.000300>
        101 10:00:00.000900 read(3</w/a.dat>, ""..., 4096) = 4096 <0.000010>
        101 10:00:00.001000 close(3</w/a.dat>) = 0
        100 10:00:00.001100 read(3, ""..., 10) = 10
    "#));
    assert_eq!(
        rows,
        "200000,100,open,/w/a.dat,,10000,\n\
         500000,101,read,/w/a.dat,0,4096,\n\
         600000,100,open,/w/b.dat,,,\n\
         700000,100,read,/w/b.dat,0,100,\n\
         900000,101,read,/w/a.dat,4096,4096,\n\
         1000000,101,close,/w/a.dat,,,\n"
    );
    // The thread shares the fd table: its close closed fd 3 for pid 100 too.
    assert_eq!(
        note(&r, "fd not opened in the log and no -y to tell what it is"),
        1
    );
    assert_eq!(
        note(
            &r,
            "process without a logged fork/clone (starts with no fds)"
        ),
        0
    );
}

#[test]
fn dup2_fcntl_and_lseek_share_one_offset() {
    let (rows, _) = convert(&log(r#"
        10 00:00:01.000000 openat(AT_FDCWD</d>, "f", O_RDWR) = 3</d/f>
        10 00:00:01.000010 fstat(3</d/f>, {st_mode=S_IFREG|0644, st_size=8192, ...}) = 0
        10 00:00:01.000020 dup2(3</d/f>, 7) = 7</d/f>
        10 00:00:01.000030 lseek(7</d/f>, 4096, SEEK_SET) = 4096
        10 00:00:01.000040 read(3</d/f>, ""..., 100) = 100
        10 00:00:01.000050 fcntl(3</d/f>, F_DUPFD_CLOEXEC, 10) = 10</d/f>
        10 00:00:01.000060 write(10</d/f>, ""..., 50) = 50
        10 00:00:01.000070 pread64(7</d/f>, ""..., 10, 0) = 10
        10 00:00:01.000080 read(7</d/f>, ""..., 10) = 10
        10 00:00:01.000090 close(3</d/f>) = 0
        10 00:00:01.000100 close(7</d/f>) = 0
    "#));
    assert_eq!(
        rows,
        "0,10,open,/d/f,,8192,\n\
         40000,10,read,/d/f,4096,100,\n\
         60000,10,write,/d/f,4196,50,\n\
         70000,10,read,/d/f,0,10,\n\
         80000,10,read,/d/f,4246,10,\n\
         90000,10,close,/d/f,,,\n\
         100000,10,close,/d/f,,,\n"
    );
}

#[test]
fn fork_shares_the_description_but_not_the_table() {
    let (rows, r) = convert(&log(r#"
        1 00:00:00.000000 openat(AT_FDCWD</d>, "log", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</d/log>
        1 00:00:00.000100 write(3</d/log>, ""..., 10) = 10
        1 00:00:00.000200 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0) = 2
        2 00:00:00.000300 write(3</d/log>, ""..., 5) = 5
        2 00:00:00.000400 close(3</d/log>) = 0
        2 00:00:00.000500 +++ exited with 0 +++
        1 00:00:00.000600 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=2, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---
        1 00:00:00.000700 write(3</d/log>, ""..., 7) = 7
        1 00:00:00.000800 close(3</d/log>) = 0
    "#));
    assert_eq!(
        rows,
        "0,1,open,/d/log,,0,\n\
         100000,1,write,/d/log,0,10,\n\
         300000,2,write,/d/log,10,5,\n\
         400000,2,close,/d/log,,,\n\
         700000,1,write,/d/log,15,7,\n\
         800000,1,close,/d/log,,,\n"
    );
    assert_eq!(note(&r, "signal line (no effect on files)"), 1);
}

#[test]
fn mremap_munmap_msync_and_fixed_anonymous_overlays() {
    let (rows, _) = convert(&log(r#"
        5 00:00:00.000000 openat(AT_FDCWD</d>, "m", O_RDWR) = 3</d/m>
        5 00:00:00.000010 fstat(3</d/m>, {st_mode=S_IFREG|0644, st_size=40000, ...}) = 0
        5 00:00:00.000020 mmap(NULL, 10000, PROT_READ|PROT_WRITE, MAP_SHARED, 3</d/m>, 8192) = 0x7f0000010000
        5 00:00:00.000030 mremap(0x7f0000010000, 10000, 20000, MREMAP_MAYMOVE) = 0x7f0000100000
        5 00:00:00.000040 msync(0x7f0000101000, 100, MS_ASYNC|MS_INVALIDATE) = 0
        5 00:00:00.000050 munmap(0x7f0000100000, 8192) = 0
        5 00:00:00.000060 mmap(0x7f0000102000, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x7f0000102000
        5 00:00:00.000070 msync(0x7f0000100000, 20480, MS_SYNC) = 0
        5 00:00:00.000080 munmap(0x7f0000100000, 20480) = 0
        5 00:00:00.000090 close(3</d/m>) = 0
    "#));
    assert_eq!(
        rows,
        "0,5,open,/d/m,,40000,\n\
         20000,5,mmap,/d/m,8192,12288,\n\
         30000,5,munmap,/d/m,8192,12288,\n\
         30000,5,mmap,/d/m,8192,20480,\n\
         40000,5,msync,/d/m,12288,4096,async|invalidate\n\
         50000,5,munmap,/d/m,8192,8192,\n\
         70000,5,msync,/d/m,20480,8192,\n\
         80000,5,munmap,/d/m,20480,8192,\n\
         90000,5,close,/d/m,,,\n"
    );
}

#[test]
fn fadvise_and_madvise_become_advice_rows() {
    let (rows, r) = convert(&log(r#"
        7 00:00:00.000000 openat(AT_FDCWD</d>, "db", O_RDWR) = 3</d/db>
        7 00:00:00.000010 fstat(3</d/db>, {st_mode=S_IFREG|0644, st_size=65536, ...}) = 0
        7 00:00:00.000020 fadvise64(3</d/db>, 0, 0, POSIX_FADV_SEQUENTIAL) = 0
        7 00:00:00.000030 fadvise64_64(3</d/db>, 4096, 8192, POSIX_FADV_DONTNEED) = 0
        7 00:00:00.000040 arm_fadvise64_64(3</d/db>, 0, 65536, POSIX_FADV_NOREUSE) = 0
        7 00:00:00.000050 fadvise64(3</d/db>, 0, 0, 0x10 /* POSIX_FADV_??? */) = -1 EINVAL (Invalid argument)
        7 00:00:00.000060 mmap(NULL, 40000, PROT_READ, MAP_SHARED, 3</d/db>, 8192) = 0x7f0000010000
        7 00:00:00.000070 madvise(0x7f0000011000, 8192, MADV_RANDOM) = 0
        7 00:00:00.000080 madvise(0x7f0000010000, 40960, MADV_WILLNEED) = 0
        7 00:00:00.000090 madvise(0x7f0000010000, 4096, MADV_HUGEPAGE) = 0
        7 00:00:00.000100 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000100000
        7 00:00:00.000110 madvise(0x7f0000100000, 8192, MADV_DONTNEED) = 0
        7 00:00:00.000120 madvise(0x7f000000e000, 16384, MADV_SEQUENTIAL) = 0
        7 00:00:00.000130 fadvise64(1</dev/pts/0>, 0, 0, POSIX_FADV_RANDOM) = 0
        7 00:00:00.000140 madvise(0x7f0000010000, 40960, MADV_NORMAL) = 0
        7 00:00:00.000150 munmap(0x7f0000010000, 40960) = 0
        7 00:00:00.000160 close(3</d/db>) = 0
    "#));
    // madvise rows name the file range under the addresses (mapped at file offset
    // 8192); the one over 0x7f000000e000 covers only the mapping's first two pages.
    assert_eq!(
        rows,
        "0,7,open,/d/db,,65536,\n\
         20000,7,fadvise,/d/db,0,0,sequential\n\
         30000,7,fadvise,/d/db,4096,8192,dontneed\n\
         40000,7,fadvise,/d/db,0,65536,noreuse\n\
         60000,7,mmap,/d/db,8192,40960,\n\
         70000,7,madvise,/d/db,12288,8192,random\n\
         80000,7,madvise,/d/db,8192,40960,willneed\n\
         120000,7,madvise,/d/db,8192,8192,sequential\n\
         140000,7,madvise,/d/db,8192,40960,normal\n\
         150000,7,munmap,/d/db,8192,40960,\n\
         160000,7,close,/d/db,,,\n"
    );
    let expect = [
        ("failed call: fadvise64", 1),
        ("madvise advice not modelled: MADV_HUGEPAGE (no row)", 1),
        ("madvise outside file mappings (no row)", 1),
        ("call on a device (skipped)", 1),
    ];
    for (k, n) in expect {
        assert_eq!(note(&r, k), n, "{k}: {:?}", r.notes);
    }
    // The rows read back as the trace format says.
    let text = format!("{HDR}{rows}");
    let mut reader = TraceReader::from_read("t.csv", Cursor::new(text)).unwrap();
    let mut files = FileTable::new();
    let mut advice = Vec::new();
    while let Some(e) = reader.next_event(&mut files).unwrap() {
        if matches!(e.op, Op::Fadvise | Op::Madvise) {
            advice.push((e.op, e.flags));
        }
    }
    assert_eq!(
        advice,
        vec![
            (Op::Fadvise, Flags::SEQUENTIAL),
            (Op::Fadvise, Flags::DONTNEED),
            (Op::Fadvise, Flags::NOREUSE),
            (Op::Madvise, Flags::RANDOM),
            (Op::Madvise, Flags::WILLNEED),
            (Op::Madvise, Flags::SEQUENTIAL),
            (Op::Madvise, Flags::NORMAL),
        ]
    );
}

#[test]
fn madvise_over_two_mappings_makes_a_row_for_each() {
    let (rows, r) = convert(&log(r#"
        8 00:00:00.000000 openat(AT_FDCWD</d>, "a", O_RDONLY) = 3</d/a>
        8 00:00:00.000010 openat(AT_FDCWD</d>, "b", O_RDONLY) = 4</d/b>
        8 00:00:00.000020 mmap(0x7f0000000000, 8192, PROT_READ, MAP_SHARED|MAP_FIXED, 3</d/a>, 0) = 0x7f0000000000
        8 00:00:00.000030 mmap(0x7f0000002000, 8192, PROT_READ, MAP_PRIVATE|MAP_FIXED, 4</d/b>, 4096) = 0x7f0000002000
        8 00:00:00.000040 madvise(0x7f0000001000, 8192, MADV_SEQUENTIAL) = 0
        8 00:00:00.000050 madvise(0x7f0000000000, 16384, MADV_FREE) = 0
        8 00:00:00.000060 madvise(0x7f0000000000, 0, MADV_RANDOM) = 0
    "#));
    assert_eq!(
        rows,
        "0,8,open,/d/a,,,\n\
         10000,8,open,/d/b,,,\n\
         20000,8,mmap,/d/a,0,8192,\n\
         30000,8,mmap,/d/b,4096,8192,private\n\
         40000,8,madvise,/d/a,4096,4096,sequential\n\
         40000,8,madvise,/d/b,4096,4096,sequential\n"
    );
    assert_eq!(
        note(&r, "madvise advice not modelled: MADV_FREE (no row)"),
        1
    );
    // A zero length advises nothing.
    assert_eq!(note(&r, "madvise of length 0 (no row)"), 1);
}

#[test]
fn without_y_fds_come_from_open_results_and_execve_closes_cloexec() {
    let (rows, r) = convert(&log(r#"
        7 12:00:00.000000 openat(AT_FDCWD, "/data/in", O_RDONLY|O_CLOEXEC) = 3
        7 12:00:00.000010 openat(AT_FDCWD, "/data/out", O_WRONLY|O_CREAT|O_TRUNC, 0600) = 4
        7 12:00:00.000020 pipe2([5, 6], 0) = 0
        7 12:00:00.000030 read(3, "abc"..., 4096) = 4096
        7 12:00:00.000040 write(4, "abc"..., 4096) = 4096
        7 12:00:00.000050 write(6, "x", 1) = 1
        7 12:00:00.000060 fstat(3, {st_mode=S_IFREG|0644, st_size=5000, ...}) = 0
        7 12:00:00.000070 execve("/bin/next", ["next"], 0x7ffd /* 3 vars */) = 0
        7 12:00:00.000080 read(3, "", 10) = 0
        7 12:00:00.000090 write(4, "z", 1) = 1
    "#));
    assert_eq!(
        rows,
        "0,7,open,/data/in,,5000,\n\
         10000,7,open,/data/out,,0,\n\
         30000,7,read,/data/in,0,4096,\n\
         40000,7,write,/data/out,0,4096,\n\
         90000,7,write,/data/out,4096,1,\n"
    );
    assert_eq!(note(&r, "call on a pipe (skipped)"), 1);
    assert_eq!(
        note(&r, "fd not opened in the log and no -y to tell what it is"),
        1
    );
}

#[test]
fn ttt_r_midnight_and_untimed_logs() {
    let rows = |s: &str| convert(&log(s)).0;
    assert_eq!(
        rows(
            r#"
            1700000000.000100 openat(AT_FDCWD</x>, "f", O_RDONLY) = 3</x/f> <0.000005>
            1700000000.000350 read(3</x/f>, ""..., 10) = 10 <0.000005>
        "#
        ),
        "0,0,open,/x/f,,,\n250000,0,read,/x/f,0,10,\n"
    );
    assert_eq!(
        rows(
            r#"
            42      0.000000 openat(AT_FDCWD</x>, "f", O_RDONLY) = 3</x/f>
            42      0.000120 read(3</x/f>, ""..., 10) = 10
            42      0.000030 close(3</x/f>) = 0
        "#
        ),
        "0,42,open,/x/f,,,\n120000,42,read,/x/f,0,10,\n150000,42,close,/x/f,,,\n"
    );
    assert_eq!(
        rows(
            r#"
            9 23:59:59.999990 openat(AT_FDCWD</x>, "f", O_RDONLY) = 3</x/f>
            9 00:00:00.000010 close(3</x/f>) = 0
        "#
        ),
        "0,9,open,/x/f,,,\n20000,9,close,/x/f,,,\n"
    );
    let (rows, r) = convert(&log(r#"
        9 openat(AT_FDCWD</x>, "f", O_RDONLY) = 3</x/f>
        9 close(3</x/f>) = 0
    "#));
    assert_eq!(rows, "0,9,open,/x/f,,,\n1000,9,close,/x/f,,,\n");
    assert_eq!(
        note(
            &r,
            "no timestamps in the log: times are line numbers, 1 us apart"
        ),
        1
    );
}

#[test]
fn o_append_writes_go_to_the_known_end() {
    let (rows, _) = convert(&log(r#"
        3 00:00:00.000000 newfstatat(AT_FDCWD</l>, "app.log", {st_mode=S_IFREG|0644, st_size=100, ...}, 0) = 0
        3 00:00:00.000010 openat(AT_FDCWD</l>, "app.log", O_WRONLY|O_APPEND|O_SYNC) = 3</l/app.log>
        3 00:00:00.000020 write(3</l/app.log>, ""..., 20) = 20
        3 00:00:00.000030 lseek(3</l/app.log>, 0, SEEK_SET) = 0
        3 00:00:00.000040 write(3</l/app.log>, ""..., 5) = 5
        3 00:00:00.000050 openat(AT_FDCWD</l>, "other", O_RDWR|O_APPEND|O_DIRECT) = 4</l/other>
        3 00:00:00.000060 write(4</l/other>, ""..., 7) = 7
        3 00:00:00.000070 fstat(4</l/other>, {st_mode=S_IFREG|0644, st_size=57, ...}) = 0
        3 00:00:00.000080 write(4</l/other>, ""..., 3) = 3
    "#));
    assert_eq!(
        rows,
        "10000,3,open,/l/app.log,,100,sync|append\n\
         20000,3,write,/l/app.log,100,20,\n\
         40000,3,write,/l/app.log,120,5,\n\
         50000,3,open,/l/other,,57,direct|append\n\
         60000,3,write,/l/other,,7,\n\
         80000,3,write,/l/other,57,3,\n"
    );
}

#[test]
fn failed_calls_pipes_sockets_devices_and_directories_are_skipped_and_counted() {
    let (rows, r) = convert(&log(r#"
        4 00:00:00.000000 openat(AT_FDCWD</d>, "missing", O_RDONLY) = -1 ENOENT (No such file or directory)
        4 00:00:00.000010 read(0<pipe:[123]>, ""..., 10) = 10
        4 00:00:00.000020 write(1<socket:[456]>, ""..., 10) = 10
        4 00:00:00.000030 write(2</dev/pts/0<char 136:0>>, ""..., 10) = 10
        4 00:00:00.000040 openat(AT_FDCWD</d>, "sub", O_RDONLY|O_DIRECTORY) = 3</d/sub>
        4 00:00:00.000050 close(3</d/sub>) = 0
        4 00:00:00.000060 openat(AT_FDCWD</d>, "sub2", O_RDONLY) = 3</d/sub2>
        4 00:00:00.000070 fstat(3</d/sub2>, {st_mode=S_IFDIR|0755, st_size=4096, ...}) = 0
        4 00:00:00.000080 read(3</d/sub2>, 0x55, 32768) = -1 EISDIR (Is a directory)
        4 00:00:00.000090 close(3</d/sub2>) = 0
        4 00:00:00.000100 openat(AT_FDCWD</d>, "/proc/self/status", O_RDONLY) = 3</proc/1/status>
        4 00:00:00.000110 read(3</proc/1/status>, ""..., 1024) = 900
        4 00:00:00.000120 write(5<TCP:[127.0.0.1:80->127.0.0.1:5555]>, ""..., 10) = 10
        4 00:00:00.000130 read(6<anon_inode:[eventfd]>, ""..., 8) = 8
        4 00:00:00.000140 mmap(NULL, 4096, PROT_READ, MAP_SHARED, 7</memfd:x (deleted)>, 0) = 0x7f0000000000
        4 00:00:00.000150 openat(AT_FDCWD</d>, "f", O_RDONLY) = 3</d/f>
        4 00:00:00.000160 read(3</d/f>, ""..., 10) = -1 EAGAIN (Resource temporarily unavailable)
    "#));
    assert_eq!(rows, "150000,4,open,/d/f,,,\n");
    let expect = [
        ("failed call: openat", 1),
        ("failed call: read", 2),
        ("call on a pipe (skipped)", 1),
        ("call on a socket (skipped)", 2),
        ("call on a device (skipped)", 1),
        ("call on a directory or special file (skipped)", 2),
        ("call on /proc or /sys (skipped)", 1),
        ("call on an anon inode (skipped)", 1),
        ("mmap of something that is not a regular file (no row)", 1),
        (
            "open of a directory or special file dropped (fstat showed it)",
            1,
        ),
    ];
    for (k, n) in expect {
        assert_eq!(note(&r, k), n, "{k}: {:?}", r.notes);
    }
    assert_eq!(r.notes.len(), expect.len(), "{:?}", r.notes);
}

#[test]
fn truncated_strings_odd_names_signals_and_exits() {
    let (rows, r) = convert(&log(r#"
        8 00:00:00.000000 openat(AT_FDCWD</d>, "a,b \"q\".txt", O_RDWR|O_CREAT, 0644) = 3</d/a,b \"q\".txt>
        8 00:00:00.000010 write(3</d/a,b \"q\".txt>, "hello, world) = 5"..., 100) = 100 <0.000010>
        8 00:00:00.000020 read(3</d/a,b \"q\".txt>, ""..., 4096) = 0
        8 00:00:00.000030 --- SIGALRM {si_signo=SIGALRM, si_code=SI_KERNEL} ---
        8 00:00:00.000040 write(3</d/a,b \"q\".txt>, "x\"y)"..., 20) = 20
        8 00:00:00.000050 openat(AT_FDCWD</d>, "/d/very/lo"..., O_RDONLY) = 4
        8 00:00:00.000060 read(4, ""..., 10) = 10
        8 00:00:00.000070 --- stopped by SIGSTOP ---
        8 00:00:00.000080 +++ killed by SIGKILL +++
    "#));
    assert_eq!(
        rows,
        "0,8,open,\"/d/a,b \"\"q\"\".txt\",,,\n\
         10000,8,write,\"/d/a,b \"\"q\"\".txt\",0,100,\n\
         20000,8,read,\"/d/a,b \"\"q\"\".txt\",100,0,\n\
         40000,8,write,\"/d/a,b \"\"q\"\".txt\",100,20,\n"
    );
    assert_eq!(note(&r, "signal line (no effect on files)"), 2);
    assert_eq!(note(&r, "path cut short by strace (-s): call skipped"), 1);
    assert_eq!(note(&r, "call on an fd of unknown kind (skipped)"), 1);
}

#[test]
fn reads_writes_of_every_kind_and_file_calls() {
    let (rows, r) = convert(&log(r#"
        1 00:00:00.000000 openat(AT_FDCWD</d>, "src", O_RDONLY) = 3</d/src>
        1 00:00:00.000010 openat(AT_FDCWD</d>, "dst", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4</d/dst>
        1 00:00:00.000020 sendfile(4</d/dst>, 3</d/src>, NULL, 1000) = 1000
        1 00:00:00.000030 sendfile(4</d/dst>, 3</d/src>, [100] => [600], 500) = 500
        1 00:00:00.000040 copy_file_range(3</d/src>, [0] => [50], 4</d/dst>, NULL, 50, 0) = 50
        1 00:00:00.000050 readv(3</d/src>, [{iov_base=""..., iov_len=10}, {iov_base=""..., iov_len=20}], 2) = 30
        1 00:00:00.000060 pwritev2(4</d/dst>, [{iov_base=""..., iov_len=8}], 1, -1, RWF_DSYNC) = 8
        1 00:00:00.000070 preadv(3</d/src>, [{iov_base=""..., iov_len=4}], 1, 7) = 4
        1 00:00:00.000080 fdatasync(4</d/dst>) = 0
        1 00:00:00.000090 ftruncate(4</d/dst>, 100) = 0
        1 00:00:00.000100 truncate("src", 0) = 0
        1 00:00:00.000110 fallocate(4</d/dst>, 0, 0, 8192) = 0
        1 00:00:00.000120 close(4</d/dst>) = 0
        1 00:00:00.000130 unlink("/d/dst") = 0
        1 00:00:00.000140 unlinkat(AT_FDCWD</d>, "never-seen", 0) = 0
    "#));
    assert_eq!(
        rows,
        "0,1,open,/d/src,,,\n\
         10000,1,open,/d/dst,,0,\n\
         20000,1,read,/d/src,0,1000,\n\
         20000,1,write,/d/dst,0,1000,\n\
         30000,1,read,/d/src,100,500,\n\
         30000,1,write,/d/dst,1000,500,\n\
         40000,1,read,/d/src,0,50,\n\
         40000,1,write,/d/dst,1500,50,\n\
         50000,1,read,/d/src,1000,30,\n\
         60000,1,write,/d/dst,1550,8,\n\
         70000,1,read,/d/src,7,4,\n\
         80000,1,fsync,/d/dst,,,\n\
         90000,1,truncate,/d/dst,,100,\n\
         100000,1,truncate,/d/src,,0,\n\
         110000,1,truncate,/d/dst,,8192,\n\
         120000,1,close,/d/dst,,,\n\
         130000,1,unlink,/d/dst,,,\n"
    );
    assert_eq!(note(&r, "fallocate growing a file (a truncate row)"), 1);
    assert_eq!(note(&r, "unlink of a file no row mentions (no row)"), 1);
}

#[test]
fn renamed_files_keep_their_name_or_follow_the_path() {
    let text = log(r#"
        1 00:00:00.000000 openat(AT_FDCWD</r>, "c.lock", O_RDWR|O_CREAT|O_EXCL, 0666) = 3</r/c.lock>
        1 00:00:00.000010 write(3</r/c.lock>, ""..., 10) = 10
        1 00:00:00.000020 close(3</r/c.lock>) = 0
        1 00:00:00.000030 openat(AT_FDCWD</r>, "c", O_RDONLY) = 4</r/c>
        1 00:00:00.000040 fstat(4</r/c>, {st_mode=S_IFREG|0644, st_size=3, ...}) = 0
        1 00:00:00.000050 rename("/r/c.lock", "/r/c") = 0
        1 00:00:00.000060 read(4</r/c (deleted)>, ""..., 10) = 3
        1 00:00:00.000070 openat(AT_FDCWD</r>, "c", O_RDONLY) = 5</r/c>
        1 00:00:00.000080 read(5</r/c>, ""..., 100) = 10
        1 00:00:00.000090 openat(AT_FDCWD</r>, "c.lock", O_RDWR|O_CREAT|O_EXCL, 0666) = 3</r/c.lock>
        1 00:00:00.000100 close(4</r/c (deleted)>) = 0
        1 00:00:00.000110 unlink("/r/c.lock") = 0
        1 00:00:00.000120 openat(AT_FDCWD</r>, "c.lock", O_RDWR|O_CREAT|O_EXCL, 0666) = 6</r/c.lock>
    "#);
    let stable = convert(&text).0;
    assert_eq!(
        stable,
        "0,1,open,/r/c.lock,,0,\n\
         10000,1,write,/r/c.lock,0,10,\n\
         20000,1,close,/r/c.lock,,,\n\
         30000,1,open,/r/c,,3,\n\
         50000,1,unlink,/r/c,,,\n\
         60000,1,read,/r/c,0,3,\n\
         70000,1,open,/r/c.lock,,10,\n\
         80000,1,read,/r/c.lock,0,10,\n\
         90000,1,open,/r/c.lock#2,,0,\n\
         100000,1,close,/r/c,,,\n\
         110000,1,unlink,/r/c.lock#2,,,\n\
         120000,1,open,/r/c.lock#3,,0,\n"
    );
    let current = StraceTuning {
        names: NameRule::Current,
        ..StraceTuning::default()
    };
    let cur = convert_with(&text, &StraceOptions::default(), &current)
        .unwrap()
        .0;
    assert_eq!(
        cur,
        "0,1,open,/r/c.lock,,0,\n\
         10000,1,write,/r/c.lock,0,10,\n\
         20000,1,close,/r/c.lock,,,\n\
         30000,1,open,/r/c,,3,\n\
         60000,1,read,/r/c,0,3,\n\
         70000,1,open,/r/c,,10,\n\
         80000,1,read,/r/c,0,10,\n\
         90000,1,open,/r/c.lock,,0,\n\
         100000,1,close,/r/c,,,\n\
         110000,1,unlink,/r/c.lock,,,\n\
         120000,1,open,/r/c.lock,,0,\n"
    );
}

#[test]
fn stderr_style_pid_prefixes_and_an_unprefixed_first_process() {
    let (rows, r) = convert(&log(r#"
        10:00:00.000000 execve("./a", ["./a"], 0x7ffd /* 1 vars */) = 0
        10:00:00.000100 openat(AT_FDCWD, "/d/f", O_RDONLY) = 3
        10:00:00.000200 vfork( <unfinished ...>
        [pid    51] 10:00:00.000300 read(3, ""..., 5) = 5
        [pid    51] 10:00:00.000400 execve("/bin/true", ["true"], 0x7ffd /* 1 vars */) = 0
        [pid    51] 10:00:00.000500 +++ exited with 0 +++
        [pid    50] 10:00:00.000600 <... vfork resumed>) = 51
        [pid    50] 10:00:00.000700 read(3, ""..., 5) = 5
    "#));
    assert_eq!(
        rows,
        "100000,0,open,/d/f,,,\n\
         300000,51,read,/d/f,0,5,\n\
         700000,50,read,/d/f,5,5,\n"
    );
    assert_eq!(
        note(
            &r,
            "first process's pid learned late: its earlier rows carry pid 0"
        ),
        1
    );
}

// ---- faults ----

const FAULT_LOG: &str = r#"
    20 10:00:00.000000 execve("/bin/p", ["p"], 0x7ffd /* 1 vars */) = 0 <0.000050>
    20 10:00:00.000100 openat(AT_FDCWD</d>, "f", O_RDWR) = 3</d/f>
    20 10:00:00.000110 fstat(3</d/f>, {st_mode=S_IFREG|0644, st_size=65536, ...}) = 0
    20 10:00:00.000200 mmap(NULL, 16384, PROT_READ|PROT_WRITE, MAP_SHARED, 3</d/f>, 0) = 0x7f0000000000
    20 10:00:00.000300 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE, 3</d/f>, 32768) = 0x7f0000100000
    20 10:00:00.000400 munmap(0x7f0000000000, 16384) = 0
    20 10:00:00.000500 close(3</d/f>) = 0
"#;

/// (trace time, pid, address, error code) of the faults of [`FAULT_LOG`].
const FAULTS: [(u64, u32, u64, u32); 6] = [
    (60_000, 20, 0x5555, 0x14),
    (250_000, 20, 0x7f00_0000_1234, 6),
    (350_000, 20, 0x7f00_0010_0010, 6),
    (360_000, 20, 0x7f00_0010_1fff, 4),
    (450_000, 20, 0x7f00_0000_0010, 4),
    (470_000, 99, 0x7f00_0010_0010, 4),
];

fn fault_rows(shift: i64) -> String {
    let t = |x: u64| (x as i64 + shift).to_string();
    format!(
        "100000,20,open,/d/f,,65536,\n\
         200000,20,mmap,/d/f,0,16384,\n\
         {},20,fault_write,/d/f,4096,4096,\n\
         300000,20,mmap,/d/f,32768,8192,private\n\
         {},20,fault_read,/d/f,32768,4096,\n\
         {},20,fault_read,/d/f,36864,4096,\n\
         400000,20,munmap,/d/f,0,16384,\n\
         500000,20,close,/d/f,,,\n",
        t(250_000),
        t(350_000),
        t(360_000)
    )
}

fn with_faults(name: &str, text: &str, offset: Option<i64>) -> (String, ImportReport) {
    let path = std::env::temp_dir().join(format!("vpsim-strace-{}-{name}", std::process::id()));
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .unwrap();
    let opts = StraceOptions {
        faults: Some(path.to_string_lossy().into_owned()),
    };
    let tuning = StraceTuning {
        perf_offset_ns: offset,
        ..StraceTuning::default()
    };
    let out = convert_with(&log(FAULT_LOG), &opts, &tuning).expect("converts");
    let _ = std::fs::remove_file(&path);
    out
}

fn check_fault_notes(r: &ImportReport) {
    assert_eq!(
        note(r, "fault outside file mappings (dropped)"),
        2,
        "{:?}",
        r.notes
    );
    assert_eq!(
        note(r, "fault of a process the log does not show (dropped)"),
        1
    );
}

#[test]
fn faults_from_csv_on_the_log_clock_or_in_trace_ns() {
    let mut log_clock = String::from("time,pid,address,error_code\n");
    let mut trace_ns = String::from("pid,address,time_ns,error_code\n");
    for (t, pid, addr, code) in FAULTS {
        log_clock.push_str(&format!(
            "10:00:00.{:06},{pid},{addr:#x},{code:#x}\n",
            t / 1000
        ));
        trace_ns.push_str(&format!("{pid},{addr},{t},{code}\n"));
    }
    for (name, text) in [("clock.csv", log_clock), ("ns.csv", trace_ns)] {
        let (rows, r) = with_faults(name, &text, None);
        assert_eq!(rows, fault_rows(0), "{name}");
        check_fault_notes(&r);
    }
}

/// Issue 17: a fault list on another clock (CLOCK_MONOTONIC, 8,185 s after boot) as
/// `time_ns` fell entirely after the log's last line and was dropped with exit 0.
/// Now the import is refused with the numbers, and `--perf-offset-ns` (for every
/// form) puts the same list back on the trace's clock.
#[test]
fn fault_list_on_another_clock_is_refused_unless_shifted() {
    const MONO: u64 = 8_185_000_000_000;
    let mut text = String::from("time_ns,pid,tid,address,error_code\n");
    for (t, pid, addr, code) in FAULTS {
        text.push_str(&format!("{},{pid},{pid},{addr:#x},{code:#x}\n", t + MONO));
    }
    let path = std::env::temp_dir().join(format!("vpsim-strace-{}-mono.csv", std::process::id()));
    std::fs::write(&path, &text).unwrap();
    let opts = StraceOptions {
        faults: Some(path.to_string_lossy().into_owned()),
    };
    let e = convert_with(&log(FAULT_LOG), &opts, &StraceTuning::default())
        .expect_err("a fault list on another clock is refused")
        .to_string();
    assert!(
        e.contains("6 of 6 faults fall outside the log's time span"),
        "{e}"
    );
    assert!(
        e.contains("the fault at 8185.0 s is after the log's last line at 0.0 s"),
        "{e}"
    );
    assert!(
        e.contains("line 2, column time"),
        "names the first such line: {e}"
    );
    let _ = std::fs::remove_file(&path);
    let (rows, r) = with_faults("mono.csv", &text, Some(-(MONO as i64)));
    assert_eq!(rows, fault_rows(0));
    check_fault_notes(&r);
}

/// [`FAULT_LOG`] written with `-ttt` (epoch) timestamps: 10:00:00 becomes `EPOCH` s.
const EPOCH: u64 = 1_796_415_000;

fn ttt_log() -> String {
    log(FAULT_LOG).replace("10:00:00.", &format!("{EPOCH}."))
}

fn import_faults(
    log_text: &str,
    name: &str,
    faults: &str,
    tuning: &StraceTuning,
) -> Result<(String, ImportReport), TraceError> {
    let path = std::env::temp_dir().join(format!("vpsim-strace-{}-{name}", std::process::id()));
    std::fs::write(&path, faults).unwrap();
    let opts = StraceOptions {
        faults: Some(path.to_string_lossy().into_owned()),
    };
    let out = convert_with(log_text, &opts, tuning);
    let _ = std::fs::remove_file(&path);
    out
}

fn has_note(r: &ImportReport, start: &str) -> bool {
    r.notes.keys().any(|k| k.starts_with(start))
}

/// Issue 17's fault list: CLOCK_MONOTONIC times (8,185 s after boot) as a
/// `time_ns,pid,tid,address,error_code` CSV, recorded beside a `-ttt` log. Stating its
/// clock puts every fault where it belongs: exactly with a clock pair (perf's
/// `# reference time` line, in perf output or copied into the CSV, or one the caller
/// read), by the first fault without one.
#[test]
fn monotonic_fault_lists_are_aligned_by_the_reference_time() {
    // perf's pair, taken 10.25 s after the log's first line: realtime
    // EPOCH+10.25 s = monotonic 8195.250000123 s, so trace t = monotonic
    // (8185.000000123 s + t).
    let reference = format!(
        "# reference time: 2026-12-04 20:10:10.250000 = {}.250000 (TOD) = 8195.250000123 (monotonic)\n",
        EPOCH + 10
    );
    let mono = |t: u64| 8_185_000_000_123 + t;
    let mut perf = format!("# ========\n# clockid: monotonic (1)\n{reference}# ========\n");
    let mut csv = format!("# clock: monotonic\n{reference}time_ns,pid,tid,address,error_code\n");
    let mut csv_col = String::from("pid,tid,time_ns,clock,address,error_code\n");
    for (t, pid, addr, code) in FAULTS {
        let ns = mono(t);
        perf.push_str(&format!(
            "  p {pid:>5} [001] {}.{:09}: exceptions:page_fault_user: address={addr:#x} ip=0x7f00 error_code={code:#x}\n",
            ns / 1_000_000_000,
            ns % 1_000_000_000
        ));
        csv.push_str(&format!("{ns},{pid},{pid},{addr:#x},{code:#x}\n"));
        csv_col.push_str(&format!("{pid},{pid},{ns},monotonic,{addr},{code}\n"));
    }
    let exact = "fault times on CLOCK_MONOTONIC, moved to the wall clock by perf's reference time (a clock pair), then aligned exactly (the log has -ttt wall-clock times)";
    let plain = StraceTuning::default();
    for (name, text) in [("mono.perf", &perf), ("mono.csv", &csv)] {
        let (rows, r) = import_faults(&ttt_log(), name, text, &plain).expect(name);
        assert_eq!(rows, fault_rows(0), "{name}");
        check_fault_notes(&r);
        assert_eq!(note(&r, exact), 1, "{name}: {:?}", r.notes);
        assert_eq!((r.faults_read, r.faults_kept), (6, 3), "{name}");
    }
    // The same CSV without its comments: --faults-clock and a caller's clock pair.
    let bare: String = csv.lines().skip(2).map(|l| format!("{l}\n")).collect();
    let pair = ClockPair {
        realtime_ns: i128::from(EPOCH + 10) * 1_000_000_000 + 250_000_000,
        monotonic_ns: 8_195_250_000_123,
    };
    let tuned = StraceTuning {
        faults_clock: Some(FaultClock::Monotonic),
        clock_pair: Some(pair),
        ..StraceTuning::default()
    };
    let (rows, r) = import_faults(&ttt_log(), "bare.csv", &bare, &tuned).unwrap();
    assert_eq!(rows, fault_rows(0));
    assert!(
        has_note(
            &r,
            "fault times on CLOCK_MONOTONIC, moved to the wall clock by a clock pair read when recording began"
        ),
        "{:?}",
        r.notes
    );
    // A `clock` column and a pair from the caller.
    let paired = StraceTuning {
        clock_pair: Some(pair),
        ..StraceTuning::default()
    };
    let (rows, _) = import_faults(&ttt_log(), "col.csv", &csv_col, &paired).unwrap();
    assert_eq!(rows, fault_rows(0));
    // No pair at all: the first fault of pid 20 (60 us) is matched to its execve's
    // return (50 us), so every fault lands 10 us early, and the notes say so.
    let flag_only = StraceTuning {
        faults_clock: Some(FaultClock::Monotonic),
        ..StraceTuning::default()
    };
    let (rows, r) = import_faults(&ttt_log(), "bare2.csv", &bare, &flag_only).unwrap();
    assert_eq!(rows, fault_rows(-10_000));
    assert!(
        has_note(
            &r,
            "fault times on CLOCK_MONOTONIC, no clock pair: estimated"
        ),
        "{:?}",
        r.notes
    );
    // Unstated, the list is refused, and the message names the way out.
    let e = import_faults(&ttt_log(), "bare3.csv", &bare, &plain)
        .unwrap_err()
        .to_string();
    assert!(e.contains("6 of 6 faults fall outside"), "{e}");
    assert!(e.contains("--faults-clock realtime|monotonic"), "{e}");
}

/// Wall-clock (CLOCK_REALTIME) lists: exact against `-ttt`; against `-tt` times of day
/// the time zone is found to the quarter hour, so the result is exact too.
#[test]
fn realtime_fault_lists_against_ttt_and_tt_logs() {
    let mut ttt = String::from("time,pid,address,error_code,clock\n");
    // 11:00:00 UTC on the day of EPOCH; FAULT_LOG says 10:00:00 (local time, UTC-1).
    let eleven = EPOCH - EPOCH % 86_400 + 11 * 3600;
    let mut tt = String::from("# clock: realtime\ntime,pid,address,error_code\n");
    for (t, pid, addr, code) in FAULTS {
        ttt.push_str(&format!(
            "{EPOCH}.{:06},{pid},{addr:#x},{code:#x},realtime\n",
            t / 1000
        ));
        tt.push_str(&format!(
            "{eleven}.{:06},{pid},{addr:#x},{code:#x}\n",
            t / 1000
        ));
    }
    let plain = StraceTuning::default();
    let (rows, r) = import_faults(&ttt_log(), "rt.csv", &ttt, &plain).unwrap();
    assert_eq!(rows, fault_rows(0));
    assert_eq!(
        note(
            &r,
            "fault times on CLOCK_REALTIME, aligned exactly (the log has -ttt wall-clock times)"
        ),
        1
    );
    let (rows, r) = import_faults(&log(FAULT_LOG), "rt-tt.csv", &tt, &plain).unwrap();
    assert_eq!(rows, fault_rows(0));
    assert!(
        has_note(
            &r,
            "fault times on CLOCK_REALTIME, aligned to the quarter hour"
        ),
        "{:?}",
        r.notes
    );
}

/// Faults dropped for their time say what happened, with the numbers.
#[test]
fn dropped_faults_say_why_with_the_numbers() {
    let text = log(&format!(
        "{FAULT_LOG}\n20 10:00:00.000600 +++ exited with 0 +++\n30 10:00:00.000800 close(9) = -1 EBADF (Bad file descriptor)\n"
    ));
    let faults = "time_ns,pid,address,error_code\n\
                  -5000,20,0x7f0000001234,4\n\
                  250000,20,0x7f0000001234,6\n\
                  300500,20,0x7f0000100010,4\n\
                  310000,20,0x5555,4\n\
                  700000,20,0x7f0000001234,4\n\
                  900000,20,0x7f0000001234,4\n\
                  950000,30,0x7f0000001234,4\n";
    let (rows, r) = import_faults(&text, "late.csv", faults, &StraceTuning::default()).unwrap();
    assert!(
        rows.contains("250000,20,fault_write,/d/f,4096,4096,"),
        "{rows}"
    );
    assert_eq!((r.faults_read, r.faults_kept), (7, 2));
    assert_eq!(
        note(
            &r,
            "fault before the log's first line (dropped; the first, line 2 of the fault list, at -0.000005 s, the log starts at 0 s)"
        ),
        1,
        "{:?}",
        r.notes
    );
    assert_eq!(
        note(
            &r,
            "fault of a process after the log showed it exit (dropped)"
        ),
        1
    );
    assert_eq!(
        note(
            &r,
            "fault after the log's last line (dropped; the first, line 7 of the fault list, at 0.000900 s, the log ends at 0.000800 s: is the clock right?)"
        ),
        2
    );
}

#[test]
fn faults_from_perf_script_aligned_automatically_or_by_offset() {
    // perf's clock: seconds since boot, 5000 s at the log's first line.
    let mut perf = String::from("# ========\n# captured on: x\n");
    for (t, pid, addr, code) in FAULTS {
        let ns = 5_000_000_000_000 + t;
        perf.push_str(&format!(
            "            p {pid:>5} [001] {}.{:09}: exceptions:page_fault_user: address={addr:#x} ip=0x7f00 error_code={code:#x}\n",
            ns / 1_000_000_000,
            ns % 1_000_000_000
        ));
    }
    let (rows, r) = with_faults("perf.txt", &perf, Some(-5_000_000_000_000));
    assert_eq!(rows, fault_rows(0));
    check_fault_notes(&r);
    // Automatic: the first fault of pid 20 (60 us) lands when its execve returned
    // (50 us), so everything comes 10 us early.
    let (rows, r) = with_faults("perf-auto.txt", &perf, None);
    assert_eq!(rows, fault_rows(-10_000));
    check_fault_notes(&r);
}

// ---- malformed input ----

#[test]
fn malformed_lines_are_errors_naming_line_and_column() {
    let cases: [(&str, u64, &str); 8] = [
        ("1 00:00:00.000000 read(3, \"x\", 5 = 5\n", 1, "args"),
        (
            "1 00:00:00.000000 close(3) = 0\n1 00:00:0x close(3) = 0\n",
            2,
            "timestamp",
        ),
        (
            "1 00:00:00.000000 close(3) = 0\n1 close(3) = 0\n",
            2,
            "timestamp",
        ),
        ("1 00:00:00.000000 close(3) = zero\n", 1, "result"),
        ("1 00:00:00.000000 garbage here\n", 1, "syscall"),
        ("[pid 1 00:00:00.000000 close(3) = 0\n", 1, "pid"),
        (
            "1 00:00:00.000000 read(3, <unfinished ...>\n1 00:00:00.000001 <... read resumed>\"\", 5 = 0\n",
            2,
            "args",
        ),
        ("\u{0}\u{1}\u{2}\n", 1, "syscall"),
    ];
    for (text, line, column) in cases {
        let e = convert_with(text, &StraceOptions::default(), &StraceTuning::default())
            .expect_err(text);
        assert_eq!(e.path(), "t.strace", "{text}");
        assert_eq!(e.line(), Some(line), "{text}: {e}");
        assert_eq!(e.column(), Some(column), "{text}: {e}");
    }
    // A bad faults file names itself.
    let path = std::env::temp_dir().join(format!("vpsim-strace-{}-bad.csv", std::process::id()));
    std::fs::write(&path, "time_ns,pid,address,error_code\n5,zz,0x1,0\n").unwrap();
    let opts = StraceOptions {
        faults: Some(path.to_string_lossy().into_owned()),
    };
    let e = convert_with(&log(FAULT_LOG), &opts, &StraceTuning::default()).unwrap_err();
    let _ = std::fs::remove_file(&path);
    assert_eq!((e.line(), e.column()), (Some(2), Some("pid")));
    assert!(e.path().ends_with("bad.csv"));
    let opts = StraceOptions {
        faults: Some("/nonexistent/faults.txt".into()),
    };
    let e = convert_with("", &opts, &StraceTuning::default()).unwrap_err();
    assert!(e.is_io());
}

#[test]
fn mangled_real_lines_never_panic() {
    let text = real_log("pyio");
    let lines: Vec<&str> = text.lines().take(400).collect();
    let mut seed: u64 = 1;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for _ in 0..2000 {
        let mut bytes = lines[next() % lines.len()].as_bytes().to_vec();
        match next() % 3 {
            0 => bytes.truncate(next() % (bytes.len() + 1)),
            1 => {
                let i = next() % bytes.len();
                bytes[i] = b"()<>\",=[]{} x0"[next() % 14];
            }
            _ => {
                let i = next() % bytes.len();
                let junk: [&[u8]; 7] = [b"<", b"\"", b"(", b"[{", b"\\x", b"\xc3\xa9", b"\xff"];
                let j = junk[next() % junk.len()];
                bytes.splice(i..i, j.iter().copied());
            }
        }
        let mut log: Vec<u8> = lines[..5].join("\n").into_bytes();
        log.push(b'\n');
        log.extend_from_slice(&bytes);
        log.push(b'\n');
        let text = String::from_utf8_lossy(&log).into_owned();
        let _ = convert_with(&text, &StraceOptions::default(), &StraceTuning::default());
    }
}

// ---- the real logs against the reference converter ----

fn read_all(path: &str) -> String {
    let mut input = Input::open(path).expect("opens");
    let mut s = String::new();
    std::io::Read::read_to_string(input.reader(), &mut s).expect("reads");
    s
}

fn real_log(name: &str) -> String {
    read_all(&format!(
        "{}/traces/{name}.strace.zst",
        env!("CARGO_MANIFEST_DIR")
    ))
}

/// Rows as (time, pid, op, file, offset, length) fields, flags dropped (the
/// reference has no flags column). File names in these logs hold no commas.
fn fields(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .map(|l| l.split(',').take(6).map(str::to_string).collect())
        .collect()
}

fn reference(name: &str) -> Vec<Vec<String>> {
    fields(&read_all(&format!(
        "{}/traces/{name}.events.csv.zst",
        env!("CARGO_MANIFEST_DIR")
    )))
}

fn convert_real(name: &str, names: NameRule, faults: bool) -> (Vec<Vec<String>>, ImportReport) {
    let path = format!("{}/traces/{name}.strace.zst", env!("CARGO_MANIFEST_DIR"));
    let mut input = Input::open(&path).expect("opens");
    let opts = StraceOptions {
        faults: faults.then(|| {
            format!(
                "{}/tests/fixtures/strace/{name}.faults.csv.zst",
                env!("CARGO_MANIFEST_DIR")
            )
        }),
    };
    let tuning = StraceTuning {
        names,
        ..StraceTuning::default()
    };
    let mut out = TraceWriter::new(Vec::new()).unwrap();
    let report =
        strace::import_tuned(input.reader(), &path, &opts, &tuning, &mut out).expect("imports");
    let text = String::from_utf8(out.finish().unwrap()).unwrap();
    let rows = fields(&format!("{HDR}{}", text.strip_prefix(HDR).unwrap()));
    assert_eq!(rows.len() as u64, report.events);
    let times: Vec<u64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "{name}: rows out of time order"
    );
    (rows, report)
}

fn is_fault(r: &[String]) -> bool {
    r[2].starts_with("fault_")
}

/// With names following the path (as the reference names them), the rows are the
/// reference's rows plus `unlinks` unlink rows (the reference writes none); with the
/// fault lists rebuilt from the reference's fault rows, the faults come back too.
fn matches_reference(name: &str, lines: u64, unlinks: usize, ref_rows: usize) {
    let want = reference(name);
    let want_calls: Vec<_> = want.iter().filter(|r| !is_fault(r)).cloned().collect();
    assert_eq!(want_calls.len(), ref_rows);
    for faults in [false, true] {
        let (rows, report) = convert_real(name, NameRule::Current, faults);
        assert_eq!(report.lines, lines);
        let (extra, rest): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r[2] == "unlink");
        assert_eq!(extra.len(), unlinks, "{name}");
        if faults {
            assert_eq!(rest, want, "{name} with faults");
        } else {
            assert_eq!(rest, want_calls, "{name}");
        }
    }
}

#[test]
fn pyio_matches_the_reference_row_for_row() {
    matches_reference("pyio", 7417, 0, 5665);
    // No renames in pyio: the default names are the same.
    let (rows, _) = convert_real("pyio", NameRule::Stable, false);
    assert_eq!(
        rows,
        reference("pyio")
            .into_iter()
            .filter(|r| !is_fault(r))
            .collect::<Vec<_>>()
    );
}

#[test]
fn git_matches_the_reference_except_unlinks() {
    // 366 successful unlinks in the log; one is of a file no row mentions.
    matches_reference("git", 113_569, 365, 7965);
    let (_, report) = convert_real("git", NameRule::Current, false);
    assert_eq!(
        note(&report, "unlink of a file no row mentions (no row)"),
        1
    );
    assert_eq!(note(&report, "failed call: unlink"), 33);
}

/// The default names: a renamed file keeps the name of its first row. Against the
/// path names, the only differences are the names of renamed files and an `unlink`
/// row for each file a rename replaced.
#[test]
fn git_stable_names_differ_only_for_renamed_files() {
    let text = real_log("git");
    let (cur, _) = convert_real("git", NameRule::Current, true);
    let (stable, _) = convert_real("git", NameRule::Stable, true);
    let unlinks = |v: &[Vec<String>]| v.iter().filter(|r| r[2] == "unlink").count();
    assert_eq!(unlinks(&cur), 365);
    assert_eq!(unlinks(&stable), 365 + 19, "one per file a rename replaced");
    let cur: Vec<_> = cur.into_iter().filter(|r| r[2] != "unlink").collect();
    let stable: Vec<_> = stable.into_iter().filter(|r| r[2] != "unlink").collect();
    assert_eq!(cur.len(), stable.len());
    let mut renamed = std::collections::BTreeMap::<(String, String), usize>::new();
    for (c, s) in cur.iter().zip(&stable) {
        assert_eq!(c[..3], s[..3]);
        assert_eq!(c[4..], s[4..]);
        if c[3] != s[3] {
            *renamed.entry((s[3].clone(), c[3].clone())).or_default() += 1;
        }
    }
    // 23 (stable name, path) pairs: lock files and git's temporary packs renamed into
    // place, and new lock files made while an older one lives on under the real name
    // (`HEAD.lock#2` for `HEAD.lock`); 702 rows, faults included.
    let rows: usize = renamed.values().sum();
    assert_eq!((renamed.len(), rows), (23, 702), "{renamed:#?}");
    for (stable_name, path) in renamed.keys() {
        // The stable name is a path the log renames away (to `path` or on to it).
        let base = stable_name.split('#').next().unwrap();
        assert!(
            text.contains(&format!("rename(\"{base}\"")),
            "{stable_name} for {path}"
        );
    }
}
