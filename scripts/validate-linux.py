#!/usr/bin/env python3
"""Measure the real Linux kernel of this machine and vpsim side by side.

Runs small, exactly known workloads (sequential/random read(2), mmap touches,
sequential/random writes with fsync) on a block device of its own (a loop device
over a sparse image, by default), counts what reached the device
(/sys/block/DEV/stat), the page-fault and vmstat counters, writes every access
sequence as a vpsim trace, replays each trace with vpsim under the machine's own
settings and prints real vs predicted figures.

Needs root. Restores every setting it changes and removes everything it created,
also on error, Ctrl-C, SIGTERM and SIGHUP; after a SIGKILL run it again with
`--cleanup JOURNAL` (the journal is in the output directory).

Python 3.11 standard library only. See scripts/README-validate-linux.md.
"""

from __future__ import annotations

import argparse
import array
import json
import mmap
import os
import random
import re
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field

PAGE = 4096
MiB = 1 << 20

DEFAULT_VPSIM = "/root/.cache/vpsim-target/release/vpsim"
DEFAULT_TEMPLATE = (
    "--profile linux:read_ahead_kb={ra_kb},max_sectors_kb={max_sectors_kb},"
    "dirty_background_ratio={dirty_background_ratio},dirty_ratio={dirty_ratio},"
    "dirty_expire={dirty_expire_ms}ms,dirty_writeback={dirty_writeback_ms}ms "
    "--mem {mem} --final-sync --format json"
)
# A binary without --profile: the DragonFly engine with the linux read-ahead policy, the linux sync policy with the
# machine's thresholds, 4 KiB blocks (ext4's), the cluster cap = max_sectors_kb.
FALLBACK_TEMPLATE = (
    "--readahead linux:max={ra_pages} "
    "--sync linux:background={dirty_background_ratio},ratio={dirty_ratio},"
    "expire={dirty_expire_ms}ms,interval={dirty_writeback_ms}ms "
    "--set f_iosize=4096 --set mnt_iosize_max={max_sectors_kb}K "
    "--mem {mem} --final-sync --format json"
)

READ_WORKLOADS = ["seqread4k", "randread4k", "randread4k_fadv_random", "mmap_seq", "mmap_rand"]
WRITE_WORKLOADS = ["seqwrite4k_fsync", "seqwrite1m_fsync", "randwrite4k_fsync",
                   "mmap_randwrite_fsync", "mmap_seqwrite_fsync"]
ALL_WORKLOADS = READ_WORKLOADS + WRITE_WORKLOADS

DATA_NAME = "data.bin"  # the existing file the read workloads, randwrite and the mmap writes use
NEW_NAME = "new.bin"  # the file the sequential write workloads create
WARM_NAME = "warm.bin"  # small file for the warm-up pass (not measured)

# /sys/block/DEV/stat columns (Documentation/block/stat.rst)
STAT_FIELDS = [
    "read_ios", "read_merges", "read_sectors", "read_ticks",
    "write_ios", "write_merges", "write_sectors", "write_ticks",
    "in_flight", "io_ticks", "time_in_queue",
    "discard_ios", "discard_merges", "discard_sectors", "discard_ticks",
    "flush_ios", "flush_ticks",
]
VMSTAT_KEYS = [
    "pgpgin", "pgpgout", "pgmajfault", "pgfault", "nr_dirtied", "nr_written",
    "workingset_refault_file", "workingset_activate_file", "workingset_restore_file",
    "pgsteal_kswapd", "pgsteal_direct", "pgscan_kswapd", "pgscan_direct",
    "pgactivate", "pgdeactivate", "thp_file_alloc", "thp_file_mapped",
]
# mirrored from the reference disk onto the loop device (when writable)
MIRRORED_QUEUE_KNOBS = ["nr_requests", "wbt_lat_usec", "nomerges", "rotational"]


class HarnessError(Exception):
    pass


class Interrupted(KeyboardInterrupt):
    pass


def log(msg: str = "") -> None:
    print(msg, flush=True)


def warn(msg: str) -> None:
    print(f"warning: {msg}", file=sys.stderr, flush=True)


def read_text(path: str) -> str:
    with open(path) as f:
        return f.read().strip()


def write_text(path: str, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def sysfs_value(path: str) -> str:
    """A sysfs value as one writes it back: for `scheduler`, the bracketed name."""
    text = read_text(path)
    if path.endswith("/scheduler"):
        m = re.search(r"\[([^\]]+)\]", text)
        return m.group(1) if m else text
    return text


def run_cmd(cmd: list[str], check: bool = True, quiet: bool = False) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        raise HarnessError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    if not quiet and p.returncode != 0:
        warn(f"{' '.join(cmd)} -> {p.returncode}: {p.stderr.strip()}")
    return p


# --------------------------------------------------------------------------------------
# Undo journal: every change and every created object, undone in reverse order.
# Persisted after each step so that `--cleanup JOURNAL` can finish a SIGKILLed run.
# --------------------------------------------------------------------------------------


class Undo:
    def __init__(self, journal_path: str):
        self.journal_path = journal_path
        self.entries: list[dict] = []
        self.restored: list[dict] = []  # report of what was set back
        self.problems: list[str] = []

    def _save(self) -> None:
        tmp = self.journal_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.entries, f, indent=1)
        os.replace(tmp, self.journal_path)

    def push(self, entry: dict) -> None:
        self.entries.append(entry)
        self._save()

    def set_sysfs(self, path: str, value: str) -> str:
        """Write value to path (remembering the original once); return what the kernel shows."""
        if not any(e["kind"] == "sysfs" and e["path"] == path for e in self.entries):
            self.push({"kind": "sysfs", "path": path, "original": sysfs_value(path)})
        try:
            write_text(path, str(value))
        except OSError as e:
            warn(f"cannot write {value} to {path}: {e.strerror}")
        return sysfs_value(path)

    def run_all(self) -> None:
        while self.entries:
            e = self.entries[-1]
            try:
                self._undo_one(e)
            except Exception as ex:  # keep going: undo everything we can
                self.problems.append(f"{e}: {ex}")
            self.entries.pop()
            self._save()
        if not self.problems:
            try:
                os.unlink(self.journal_path)
            except OSError:
                pass

    def _undo_one(self, e: dict) -> None:
        kind = e["kind"]
        if kind == "sysfs":
            path, orig = e["path"], e["original"]
            if not os.path.exists(path):
                self.restored.append({"path": path, "original": orig, "now": None, "ok": True,
                                      "note": "gone"})
                return
            if sysfs_value(path) != orig:
                try:
                    write_text(path, orig)
                except OSError as ex:
                    self.problems.append(f"restore {path}={orig}: {ex.strerror}")
            now = sysfs_value(path)
            ok = now == orig
            self.restored.append({"path": path, "original": orig, "now": now, "ok": ok})
            if not ok:
                self.problems.append(f"{path} is {now!r}, was {orig!r}")
        elif kind == "mount":
            d = e["dir"]
            if os.path.ismount(d):
                p = run_cmd(["umount", d], check=False, quiet=True)
                if p.returncode != 0:
                    time.sleep(1)
                    p = run_cmd(["umount", d], check=False, quiet=True)
                if p.returncode != 0:
                    run_cmd(["umount", "-l", d], check=False)
                    self.problems.append(f"{d} needed a lazy umount: {p.stderr.strip()}")
        elif kind == "loop":
            dev, img = e["dev"], e["image"]
            back = f"/sys/block/{os.path.basename(dev)}/loop/backing_file"
            if os.path.exists(back) and read_text(back) == img:
                run_cmd(["losetup", "-d", dev], check=False)
                for _ in range(50):  # detach is asynchronous when the device was busy
                    if not os.path.exists(back):
                        break
                    time.sleep(0.1)
                if os.path.exists(back):
                    self.problems.append(f"{dev} still attached to {img}")
        elif kind == "file":
            try:
                os.unlink(e["path"])
            except FileNotFoundError:
                pass
        elif kind == "dir":
            try:
                os.rmdir(e["path"])
            except FileNotFoundError:
                pass
            except OSError as ex:
                self.problems.append(f"rmdir {e['path']}: {ex.strerror}")
        elif kind == "tree":  # a directory the harness made, with its contents
            if os.path.isdir(e["path"]):
                shutil.rmtree(e["path"], ignore_errors=True)
        else:
            self.problems.append(f"unknown undo entry {e}")


# --------------------------------------------------------------------------------------
# Signals: the first SIGINT/SIGTERM/SIGHUP raises Interrupted (so every finally runs);
# during cleanup further signals only print a note.
# --------------------------------------------------------------------------------------

_CLEANING = False


def _on_signal(signum, frame):
    if _CLEANING:
        print(f"\n(signal {signal.Signals(signum).name} ignored: restoring settings, please wait)",
              file=sys.stderr, flush=True)
        return
    raise Interrupted(signal.Signals(signum).name)


def install_signals() -> None:
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(s, _on_signal)


# --------------------------------------------------------------------------------------
# Machine state
# --------------------------------------------------------------------------------------


def devstat(dev: str) -> dict:
    vals = [int(x) for x in read_text(f"/sys/class/block/{dev}/stat").split()]
    return dict(zip(STAT_FIELDS, vals))


def vmstat() -> dict:
    out = {}
    with open("/proc/vmstat") as f:
        for line in f:
            k, v = line.split()
            if k in VMSTAT_KEYS:
                out[k] = int(v)
    return out


def meminfo() -> dict:
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, rest = line.split(":", 1)
            out[k] = int(rest.split()[0]) * 1024
    return out


def self_io() -> dict:
    out = {}
    with open("/proc/self/io") as f:
        for line in f:
            k, v = line.split(":")
            out[k] = int(v)
    return out


def rusage() -> dict:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return {"ru_majflt": r.ru_majflt, "ru_minflt": r.ru_minflt,
            "ru_inblock": r.ru_inblock, "ru_oublock": r.ru_oublock}


def sample(dev: str) -> dict:
    mi = meminfo()
    return {"dev": devstat(dev), "vm": vmstat(), "ru": rusage(), "io": self_io(),
            "dirty": mi.get("Dirty", 0), "writeback": mi.get("Writeback", 0),
            "t": time.monotonic_ns()}


def delta(a: dict, b: dict) -> dict:
    return {k: b[k] - a[k] for k in b if k in a}


def queue_dir(dev: str) -> str:
    """The queue/ directory of dev, or of its disk when dev is a partition."""
    q = f"/sys/class/block/{dev}/queue"
    if os.path.isdir(q):
        return q
    parent = os.path.basename(os.path.dirname(os.path.realpath(f"/sys/class/block/{dev}")))
    q = f"/sys/class/block/{parent}/queue"
    if os.path.isdir(q):
        return q
    raise HarnessError(f"no queue directory for block device {dev}")


def dev_of_path(path: str) -> str | None:
    """Block device name (e.g. vda, vda1, loop0) holding path, via st_dev."""
    st = os.stat(path)
    link = f"/sys/dev/block/{os.major(st.st_dev)}:{os.minor(st.st_dev)}"
    if os.path.exists(link):
        return os.path.basename(os.path.realpath(link))
    return None


def disk_of(dev: str) -> str:
    if os.path.isdir(f"/sys/class/block/{dev}/queue"):
        return dev
    return os.path.basename(os.path.dirname(os.path.realpath(f"/sys/class/block/{dev}")))


def queue_snapshot(q: str) -> dict:
    out = {}
    for k in ["scheduler", "read_ahead_kb", "max_sectors_kb", "max_hw_sectors_kb", "max_segments",
              "max_segment_size", "nr_requests", "nomerges", "rotational", "wbt_lat_usec",
              "logical_block_size"]:
        p = f"{q}/{k}"
        if os.path.exists(p):
            try:
                out[k] = sysfs_value(p)
            except OSError:
                pass
    return out


def vm_settings() -> dict:
    def v(name):
        return int(read_text(f"/proc/sys/vm/{name}"))
    return {
        "mem": meminfo()["MemTotal"],
        "dirty_background_ratio": v("dirty_background_ratio"),
        "dirty_ratio": v("dirty_ratio"),
        "dirty_background_bytes": v("dirty_background_bytes"),
        "dirty_bytes": v("dirty_bytes"),
        "dirty_expire_cs": v("dirty_expire_centisecs"),
        "dirty_writeback_cs": v("dirty_writeback_centisecs"),
    }


def drop_caches() -> None:
    os.sync()
    write_text("/proc/sys/vm/drop_caches", "3")


def wait_settle(dev: str, timeout_s: float, watch_dirty: bool = False, poll_s: float = 0.2,
                quiet_polls: int = 5, dirty_grace_s: float = 5.0) -> dict:
    """Wait until dev has nothing in flight and its counters have not moved for
    quiet_polls polls. With watch_dirty, also wait (at most dirty_grace_s more) until
    /proc/meminfo Dirty+Writeback stops moving (less than 1 MiB per poll): it is
    system-wide, so other I/O on the machine can keep it moving, and only our own
    device decides. Returns what was seen."""
    start = time.monotonic()
    last = devstat(dev)
    last_dw = None
    quiet = 0
    dw_quiet = 0
    quiet_at = None
    while True:
        time.sleep(poll_s)
        cur = devstat(dev)
        mi = meminfo()
        dw = mi.get("Dirty", 0) + mi.get("Writeback", 0)
        same = all(cur[k] == last[k] for k in ("read_ios", "write_ios", "flush_ios")) and cur["in_flight"] == 0
        quiet = quiet + 1 if same else 0
        dw_quiet = dw_quiet + 1 if last_dw is not None and abs(dw - last_dw) < MiB else 0
        last, last_dw = cur, dw
        now = time.monotonic()
        waited = now - start
        if quiet >= quiet_polls:
            quiet_at = quiet_at or now
            if not watch_dirty or dw_quiet >= 2 or now - quiet_at >= dirty_grace_s:
                return {"waited_s": round(waited, 2), "dirty_writeback": dw, "timed_out": False,
                        "dirty_settled": dw_quiet >= 2}
        else:
            quiet_at = None
        if waited >= timeout_s:
            warn(f"{dev} did not settle within {timeout_s}s (Dirty+Writeback {dw >> 10} KiB)")
            return {"waited_s": round(waited, 2), "dirty_writeback": dw, "timed_out": True,
                    "dirty_settled": dw_quiet >= 2}


# --------------------------------------------------------------------------------------
# Workloads: each does the calls and records them as trace rows (time relative to t0).
# --------------------------------------------------------------------------------------


class Tracer:
    def __init__(self, t0: int):
        self.t0 = t0
        self.pid = os.getpid()
        self.rows: list[tuple] = []
        self.minflt: int | None = None  # minor faults of an mmap workload's touch loop alone

    def add(self, t: int, op: str, name: str, off="", length="", flags="") -> None:
        self.rows.append((t - self.t0, op, name, off, length, flags))

    def write_csv(self, path: str) -> None:
        pid = self.pid
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write("time_ns,pid,op,file,offset,length,flags\n")
            f.writelines(f"{t},{pid},{op},{name},{off},{ln},{fl}\n"
                         for (t, op, name, off, ln, fl) in self.rows)
        os.replace(tmp, path)


@dataclass
class WorkloadSpec:
    size: int  # bytes of the file
    n_random: int
    seed: int


def _pattern(n: int) -> bytes:
    base = bytes(range(1, 256)) + b"\x5a"
    return (base * (n // len(base) + 1))[:n]


def _offsets(spec: WorkloadSpec, salt: str) -> list[int]:
    rng = random.Random(f"{spec.seed}:{salt}")
    npages = spec.size // PAGE
    return [rng.randrange(npages) * PAGE for _ in range(spec.n_random)]


RD = os.O_RDONLY | getattr(os, "O_NOATIME", 0)  # no atime update: no inode write after a read


def wl_seqread(path: str, name: str, spec: WorkloadSpec, tr: Tracer) -> None:
    now = time.monotonic_ns
    t = now()
    fd = os.open(path, RD)
    try:
        tr.add(t, "open", name, "", os.fstat(fd).st_size)
        off = 0
        add = tr.add
        for _ in range(spec.size // PAGE):
            t = now()
            b = os.read(fd, PAGE)
            add(t, "read", name, off, PAGE)
            off += len(b)
    finally:
        t = now()
        os.close(fd)
        tr.add(t, "close", name)


def _randread(path: str, name: str, spec: WorkloadSpec, tr: Tracer, fadv_random: bool) -> None:
    now = time.monotonic_ns
    offs = _offsets(spec, "randread")
    t = now()
    fd = os.open(path, RD)
    try:
        tr.add(t, "open", name, "", os.fstat(fd).st_size)
        if fadv_random:
            t = now()
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
            tr.add(t, "fadvise", name, 0, 0, "random")
        add = tr.add
        for off in offs:
            t = now()
            os.pread(fd, PAGE, off)
            add(t, "read", name, off, PAGE)
    finally:
        t = now()
        os.close(fd)
        tr.add(t, "close", name)


def wl_randread(path, name, spec, tr):
    _randread(path, name, spec, tr, False)


def wl_randread_fadv(path, name, spec, tr):
    _randread(path, name, spec, tr, True)


def _touch_loop(mm: mmap.mmap, offs: list[int], store: bool, tr: Tracer) -> array.array:
    """Load (or store) one byte at each offset; return the start time of each touch.
    Nothing is allocated that outlives an iteration (the times go to a preallocated
    array, the trace rows are made afterwards), so the minor faults counted around the
    loop (tr.minflt) are the mapping's, not the interpreter's growing heap."""
    now = time.monotonic_ns
    n = len(offs)
    times = array.array("q", bytes(8 * n))
    m0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    if store:
        for i in range(n):
            times[i] = now()
            mm[offs[i]] = 0xA5  # one byte stored to the page
    else:
        for i in range(n):
            times[i] = now()
            mm[offs[i]]  # one load from the page
    tr.minflt = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - m0
    return times


def _mmap_touch(path: str, name: str, spec: WorkloadSpec, tr: Tracer, offsets) -> None:
    now = time.monotonic_ns
    offs = list(offsets)
    seen = set()
    first = []  # only first touches are recorded (trace-format.md)
    for i, off in enumerate(offs):
        if off not in seen:
            seen.add(off)
            first.append(i)
    t = now()
    fd = os.open(path, RD)
    try:
        size = os.fstat(fd).st_size
        tr.add(t, "open", name, "", size)
        t = now()
        mm = mmap.mmap(fd, size, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)
        tr.add(t, "mmap", name, 0, size)
        try:
            times = _touch_loop(mm, offs, False, tr)
            add = tr.add
            for i in first:
                add(times[i], "fault_read", name, offs[i], PAGE)
        finally:
            t = now()
            mm.close()
            tr.add(t, "munmap", name, 0, size)
    finally:
        t = now()
        os.close(fd)
        tr.add(t, "close", name)


def wl_mmap_seq(path, name, spec, tr):
    _mmap_touch(path, name, spec, tr, range(0, spec.size, PAGE))


def wl_mmap_rand(path, name, spec, tr):
    _mmap_touch(path, name, spec, tr, _offsets(spec, "mmaprand"))


def _mmap_store(path: str, name: str, spec: WorkloadSpec, tr: Tracer, offsets) -> None:
    """Stores through a shared read/write mapping of the existing file, then fsync.
    Every store is recorded as a fault_write row (trace-format.md: the simulator
    decides which of them fault); the fsync is on the fd while the mapping is live."""
    now = time.monotonic_ns
    offs = list(offsets)
    t = now()
    fd = os.open(path, os.O_RDWR | getattr(os, "O_NOATIME", 0))
    try:
        size = os.fstat(fd).st_size
        tr.add(t, "open", name, "", size)
        t = now()
        mm = mmap.mmap(fd, size, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        tr.add(t, "mmap", name, 0, size)
        try:
            times = _touch_loop(mm, offs, True, tr)
            add = tr.add
            for i, off in enumerate(offs):
                add(times[i], "fault_write", name, off, PAGE)
            t = now()
            os.fsync(fd)
            tr.add(t, "fsync", name)
        finally:
            t = now()
            mm.close()  # munmap only: Python's mmap.close() does not msync
            tr.add(t, "munmap", name, 0, size)
    finally:
        t = now()
        os.close(fd)
        tr.add(t, "close", name)


def wl_mmap_randwrite(path, name, spec, tr):
    _mmap_store(path, name, spec, tr, _offsets(spec, "mmaprandwrite"))


def wl_mmap_seqwrite(path, name, spec, tr):
    _mmap_store(path, name, spec, tr, range(0, spec.size, PAGE))


def _seqwrite(path: str, name: str, spec: WorkloadSpec, tr: Tracer, bs: int) -> None:
    now = time.monotonic_ns
    buf = _pattern(bs)
    t = now()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        tr.add(t, "open", name, "", 0)
        add = tr.add
        off = 0
        for _ in range(spec.size // bs):
            t = now()
            n = os.write(fd, buf)
            add(t, "write", name, off, bs)
            if n != bs:
                raise HarnessError(f"short write {n} of {bs} at {off}")
            off += n
        t = now()
        os.fsync(fd)
        tr.add(t, "fsync", name)
    finally:
        t = now()
        os.close(fd)
        tr.add(t, "close", name)


def wl_seqwrite4k(path, name, spec, tr):
    _seqwrite(path, name, spec, tr, PAGE)


def wl_seqwrite1m(path, name, spec, tr):
    _seqwrite(path, name, spec, tr, MiB)


def wl_randwrite(path: str, name: str, spec: WorkloadSpec, tr: Tracer) -> None:
    now = time.monotonic_ns
    buf = _pattern(PAGE)
    offs = _offsets(spec, "randwrite")
    t = now()
    fd = os.open(path, os.O_WRONLY)
    try:
        tr.add(t, "open", name, "", os.fstat(fd).st_size)
        add = tr.add
        for off in offs:
            t = now()
            os.pwrite(fd, buf, off)
            add(t, "write", name, off, PAGE)
        t = now()
        os.fsync(fd)
        tr.add(t, "fsync", name)
    finally:
        t = now()
        os.close(fd)
        tr.add(t, "close", name)


WORKLOADS = {
    # name: (function, file it works on)
    "seqread4k": (wl_seqread, DATA_NAME),
    "randread4k": (wl_randread, DATA_NAME),
    "randread4k_fadv_random": (wl_randread_fadv, DATA_NAME),
    "mmap_seq": (wl_mmap_seq, DATA_NAME),
    "mmap_rand": (wl_mmap_rand, DATA_NAME),
    "seqwrite4k_fsync": (wl_seqwrite4k, NEW_NAME),
    "seqwrite1m_fsync": (wl_seqwrite1m, NEW_NAME),
    "randwrite4k_fsync": (wl_randwrite, DATA_NAME),
    "mmap_randwrite_fsync": (wl_mmap_randwrite, DATA_NAME),
    "mmap_seqwrite_fsync": (wl_mmap_seqwrite, DATA_NAME),
}


def create_file(path: str, size: int) -> None:
    buf = _pattern(MiB)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        left = size
        while left > 0:
            n = min(left, MiB)
            os.write(fd, buf[:n])
            left -= n
        os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------
# The device under test
# --------------------------------------------------------------------------------------


@dataclass
class Env:
    dev: str  # name under /sys/class/block for stat
    queue: str  # its queue directory
    workdir: str  # where the files go
    kind: str  # "loop" or "device"
    notes: list = field(default_factory=list)
    info: dict = field(default_factory=dict)


def setup_loop(args, undo: Undo, ref_q: str) -> Env:
    img_dir = args.image_dir
    os.makedirs(img_dir, exist_ok=True)
    fd, img = tempfile.mkstemp(prefix="vpsim-validate-", suffix=".img", dir=img_dir)
    os.close(fd)
    undo.push({"kind": "file", "path": img})
    os.truncate(img, args.image_size)  # sparse

    notes = []
    dio = not args.no_direct_io
    dev = None
    if dio:
        p = run_cmd(["losetup", "--find", "--show", "--direct-io=on", img], check=False, quiet=True)
        if p.returncode == 0:
            dev = p.stdout.strip()
        else:
            notes.append(f"losetup --direct-io=on failed ({p.stderr.strip()}); buffered loop used")
            dio = False
    if dev is None:
        dev = run_cmd(["losetup", "--find", "--show", img]).stdout.strip()
    undo.push({"kind": "loop", "dev": dev, "image": img})
    name = os.path.basename(dev)
    dio_now = read_text(f"/sys/block/{name}/loop/dio") if os.path.exists(f"/sys/block/{name}/loop/dio") else "?"
    if dio and dio_now != "1":
        notes.append(f"direct I/O asked for but /sys/block/{name}/loop/dio is {dio_now}")
    q = f"/sys/block/{name}/queue"
    env = Env(dev=name, queue=q, workdir="", kind="loop", notes=notes)
    env.info.update({"image": img, "image_size": args.image_size, "loop_dev": dev,
                     "direct_io": dio_now, "queue_at_attach": queue_snapshot(q)})

    configure_queue(args, undo, env, ref_q)

    run_cmd(["mkfs.ext4", "-q", "-F", "-O", "^has_journal",
             "-E", "lazy_itable_init=0,lazy_journal_init=0", dev])
    mnt = tempfile.mkdtemp(prefix="vpsim-validate-mnt-")
    undo.push({"kind": "dir", "path": mnt})
    run_cmd(["mount", "-t", "ext4", "-o", "noatime", dev, mnt])
    undo.push({"kind": "mount", "dir": mnt})
    env.workdir = mnt
    env.info["mount"] = mnt
    env.info["mkfs"] = "mkfs.ext4 -q -F -O ^has_journal -E lazy_itable_init=0,lazy_journal_init=0"
    env.info["mount_options"] = "noatime"
    return env


def setup_device(args, undo: Undo) -> Env:
    if not args.dir:
        raise HarnessError("--device needs --dir PATH (a directory on that device)")
    dev = args.device
    if not os.path.exists(f"/sys/class/block/{dev}/stat"):
        raise HarnessError(f"no block device {dev} in /sys/class/block")
    holder = dev_of_path(args.dir)
    if holder is None or disk_of(holder) != disk_of(dev):
        raise HarnessError(f"{args.dir} is on {holder}, not on {dev}")
    work = tempfile.mkdtemp(prefix="vpsim-validate-", dir=args.dir)
    undo.push({"kind": "tree", "path": work})
    env = Env(dev=dev, queue=queue_dir(dev), workdir=work, kind="device",
              notes=[f"measuring {dev} directly: any other I/O on it during a run is counted too"])
    configure_queue(args, undo, env, None)
    return env


def configure_queue(args, undo: Undo, env: Env, ref_q: str | None) -> None:
    q = env.queue
    if args.scheduler:
        avail = read_text(f"{q}/scheduler")
        if args.scheduler in avail.replace("[", " ").replace("]", " ").split():
            got = undo.set_sysfs(f"{q}/scheduler", args.scheduler)
            if got != args.scheduler:
                env.notes.append(f"scheduler {args.scheduler} asked, {got} in effect")
        else:
            env.notes.append(f"scheduler {args.scheduler} not available ({avail}); left as is")
    if ref_q is not None and not args.no_mirror:
        ref = queue_snapshot(ref_q)
        for k in MIRRORED_QUEUE_KNOBS:
            p = f"{q}/{k}"
            if k in ref and os.path.exists(p) and sysfs_value(p) != ref[k]:
                got = undo.set_sysfs(p, ref[k])
                if got != ref[k]:
                    env.notes.append(f"{k}: {ref[k]} (as on the reference disk) asked, {got} in effect")
    want = args.max_sectors_kb
    got = undo.set_sysfs(f"{q}/max_sectors_kb", str(want))
    env.info["max_sectors_kb_wanted"] = want
    env.info["max_sectors_kb"] = int(got)
    if int(got) != want:
        hw = sysfs_value(f"{q}/max_hw_sectors_kb")
        env.notes.append(f"max_sectors_kb {want} asked, {got} in effect (max_hw_sectors_kb {hw})")


def set_readahead(undo: Undo, env: Env, ra_kb: int) -> int:
    got = int(undo.set_sysfs(f"{env.queue}/read_ahead_kb", str(ra_kb)))
    if got != ra_kb:
        env.notes.append(f"read_ahead_kb {ra_kb} asked, {got} in effect")
    return got


# --------------------------------------------------------------------------------------
# One measured run
# --------------------------------------------------------------------------------------


def measure(args, env: Env, wl: str, spec: WorkloadSpec, ra_kb: int, rep: int, out_dir: str) -> dict:
    func, fname = WORKLOADS[wl]
    path = os.path.join(env.workdir, fname)
    if fname == NEW_NAME and os.path.exists(path):
        os.unlink(path)  # a new file each time; its blocks are freed by the sync below
    drop_caches()
    # look the directory and the file up again so that their inode and directory blocks
    # are not counted: vpsim models data I/O only (README "Limitations")
    os.listdir(env.workdir)
    if os.path.exists(path):
        os.stat(path)
    settle_before = wait_settle(env.dev, args.settle_timeout)
    before = sample(env.dev)
    t0 = time.monotonic_ns()
    tr = Tracer(t0)
    func(path, fname, spec, tr)
    t1 = time.monotonic_ns()
    settle_after = wait_settle(env.dev, args.settle_timeout, watch_dirty=wl in WRITE_WORKLOADS)
    after = sample(env.dev)
    # what a syncfs of the test filesystem still writes (metadata the fsync left dirty):
    # reported apart, never in the main figures
    extra = None
    if env.kind == "loop":
        fd = os.open(env.workdir, os.O_RDONLY)
        try:
            _syncfs(fd)
        finally:
            os.close(fd)
        wait_settle(env.dev, args.settle_timeout)
        extra = delta(after["dev"], devstat(env.dev))

    trace = os.path.join(out_dir, "traces", f"{wl}-ra{ra_kb}-r{rep}.csv")
    tr.write_csv(trace)
    d = delta(before["dev"], after["dev"])
    ru = delta(before["ru"], after["ru"])
    # An fsync on a device with a volatile write cache ends with an empty PREFLUSH write:
    # the kernel counts it once under flush_ios and once under write_ios (0 sectors). On
    # the loop device's journal-less ext4 every flush is such an empty write, so it is
    # taken out of the write requests; on --device (a journalled fs: commit blocks carry
    # PREFLUSH|FUA with data) the raw count is kept.
    empty_flush_writes = min(d["flush_ios"], d["write_ios"]) if env.kind == "loop" else 0
    real = {
        "read_requests": d["read_ios"],
        "read_bytes": d["read_sectors"] * 512,
        "write_requests": d["write_ios"] - empty_flush_writes,
        "write_bytes": d["write_sectors"] * 512,
        "major_faults": ru["ru_majflt"],
        "flushes": d["flush_ios"],
    }
    if tr.minflt is not None:
        # mmap workloads: the minor faults of the touch loop alone (ru_minflt of the whole
        # run, in rusage_delta, also counts the interpreter's heap growing for the trace)
        real["minor_faults"] = tr.minflt
    return {
        "workload": wl, "ra_kb": ra_kb, "rep": rep, "trace": trace, "events": len(tr.rows),
        "real": real,
        "elapsed_ns": t1 - t0,
        "devstat_delta": d,
        "vmstat_delta": delta(before["vm"], after["vm"]),
        "rusage_delta": ru,
        "proc_self_io_delta": delta(before["io"], after["io"]),
        "dirty_writeback_before": before["dirty"] + before["writeback"],
        "dirty_writeback_after": after["dirty"] + after["writeback"],
        "settle_before": settle_before, "settle_after": settle_after,
        "syncfs_extra_devstat": extra,
    }


def _syncfs(fd: int) -> None:
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syncfs(fd) != 0:
        os.sync()


def warm_up(env: Env, spec: WorkloadSpec, workloads: list[str]) -> None:
    """Run every workload once on a small file, untimed, so the interpreter's own code
    pages are mapped before the measured runs (mapped pages survive drop_caches, so
    ru_majflt then counts only faults on the test file)."""
    small = WorkloadSpec(size=4 * MiB, n_random=64, seed=spec.seed)
    warm = os.path.join(env.workdir, WARM_NAME)
    create_file(warm, small.size)
    for wl in workloads:
        func, _ = WORKLOADS[wl]
        func(warm, WARM_NAME, small, Tracer(time.monotonic_ns()))
    os.unlink(warm)
    new = os.path.join(env.workdir, NEW_NAME)
    if os.path.exists(new):
        os.unlink(new)


# --------------------------------------------------------------------------------------
# vpsim
# --------------------------------------------------------------------------------------


def prepare_vpsim(args, undo: Undo) -> str | None:
    if args.no_replay:
        return None
    if args.vpsim:
        if not os.access(args.vpsim, os.X_OK):
            raise HarnessError(f"--vpsim {args.vpsim} is not executable")
        return args.vpsim
    src = DEFAULT_VPSIM
    if not os.path.exists(src):
        warn(f"{src} not found: no replay (give --vpsim PATH)")
        return None
    # the lead rebuilds it meanwhile: copy it, and check the copy runs
    fd, dst = tempfile.mkstemp(prefix="vpsim-validate-bin-")
    os.close(fd)
    undo.push({"kind": "file", "path": dst})
    for attempt in range(10):
        st1 = os.stat(src)
        shutil.copyfile(src, dst)
        st2 = os.stat(src)
        os.chmod(dst, 0o755)
        ok = (st1.st_mtime_ns == st2.st_mtime_ns and st1.st_size == st2.st_size
              and run_cmd([dst, "--version"], check=False, quiet=True).returncode == 0)
        if ok:
            return dst
        time.sleep(3)
    raise HarnessError(f"could not get a stable copy of {src} (being rebuilt?)")


def fill_template(template: str, params: dict) -> list[str]:
    try:
        return shlex.split(template.format_map(params))
    except KeyError as e:
        raise HarnessError(f"unknown placeholder {e} in template {template!r}; "
                           f"known: {', '.join(sorted(params))}")


class Replayer:
    def __init__(self, binary: str, primary: str, fallback: str, out_dir: str):
        self.binary = binary
        self.templates = [("primary", primary), ("fallback", fallback)]
        self.chosen: tuple[str, str] | None = None
        self.out_dir = out_dir
        self.log: list[str] = []
        self.fadvise_supported = True

    def _run(self, trace: str, template: str, params: dict):
        cmd = [self.binary, "replay", trace] + fill_template(template, params)
        return cmd, subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def replay(self, trace: str, params: dict) -> dict:
        notes = []
        if not self.fadvise_supported:
            stripped = strip_op(trace, "fadvise", self.out_dir)
            if stripped != trace:
                trace = stripped
                notes.append("fadvise rows dropped: this vpsim does not know the op")
        candidates = [self.chosen] if self.chosen else self.templates
        last = None
        for label, tpl in candidates:
            cmd, p = self._run(trace, tpl, params)
            if p.returncode == 1 and 'unknown op "fadvise"' in p.stderr:
                self.fadvise_supported = False
                self.log.append("this vpsim does not know the `fadvise` op (trace-format.md has it): "
                                "replayed without the fadvise rows")
                trace = strip_op(trace, "fadvise", self.out_dir)
                notes.append("fadvise rows dropped: this vpsim does not know the op")
                cmd, p = self._run(trace, tpl, params)
            last = (cmd, p)
            if p.returncode == 2 and self.chosen is None and label == "primary":
                self.log.append(f"primary template refused (exit 2: {first_line(p.stderr)}); "
                                f"using the fallback template")
                continue
            if p.returncode != 0:
                return {"ok": False, "cmd": cmd, "exit": p.returncode, "stderr": p.stderr.strip(),
                        "template": label, "notes": notes}
            if self.chosen is None:
                self.chosen = (label, tpl)
            try:
                j = json.loads(p.stdout)
            except json.JSONDecodeError as e:
                return {"ok": False, "cmd": cmd, "exit": 0, "stderr": f"bad JSON: {e}",
                        "template": label, "notes": notes}
            dev, ctr = j.get("device", {}), j.get("counters", {})
            pred = {
                "read_requests": dev.get("reads"),
                "read_bytes": dev.get("read_bytes"),
                "write_requests": dev.get("writes"),
                "write_bytes": dev.get("write_bytes"),
                "major_faults": ctr.get("major_faults"),
                "minor_faults": ctr.get("minor_faults"),
            }
            return {"ok": True, "cmd": cmd, "template": label, "predicted": pred,
                    "warnings": j.get("warnings", []), "notes": notes, "json": j}
        cmd, p = last
        return {"ok": False, "cmd": cmd, "exit": p.returncode, "stderr": p.stderr.strip(),
                "template": "fallback", "notes": notes}


def first_line(s: str) -> str:
    s = s.strip()
    return s.splitlines()[0] if s else ""


def strip_op(trace: str, op: str, out_dir: str) -> str:
    """A copy of trace without its `op` rows (in out_dir/sim/), or trace itself if it has none."""
    with open(trace) as f:
        lines = f.readlines()
    kept = [ln for ln in lines if ln.split(",", 3)[2:3] != [op]]
    if len(kept) == len(lines):
        return trace
    out = os.path.join(out_dir, "sim", os.path.basename(trace)[:-4] + f".no-{op}.csv")
    with open(out, "w") as g:
        g.writelines(kept)
    return out


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------

METRICS = [
    ("read_requests", "read requests", False),
    ("read_bytes", "read bytes", True),
    ("write_requests", "write requests", False),
    ("write_bytes", "write bytes", True),
    ("major_faults", "major faults", False),
    ("minor_faults", "minor faults", False),
    ("flushes", "flushes (real only)", False),
]


def fmt_n(v, is_bytes: bool) -> str:
    if v is None:
        return "—"
    if is_bytes:
        if v == 0:
            return "0"
        return f"{v / MiB:,.1f} MiB" if v >= 100 * 1024 else f"{v / 1024:,.0f} KiB"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.1f}"
    return f"{int(v):,}"


def summarize(runs: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for r in runs:
        groups.setdefault((r["workload"], r["ra_kb"]), []).append(r)
    rows = []
    for (wl, ra), rs in groups.items():
        for key, label, is_bytes in METRICS:
            if any(key not in r["real"] for r in rs):
                continue  # not measured for this workload (minor faults: mmap workloads only)
            reals = [r["real"][key] for r in rs]
            preds = [r["sim"]["predicted"][key] for r in rs
                     if r.get("sim", {}).get("ok") and r["sim"]["predicted"].get(key) is not None]
            real = statistics.median(reals)
            pred = statistics.median(preds) if preds else None
            if pred is None:
                ratio = None
            elif real == 0:
                ratio = 1.0 if pred == 0 else float("inf")
            else:
                ratio = pred / real
            rows.append({
                "workload": wl, "ra_kb": ra, "metric": key, "label": label, "bytes": is_bytes,
                "n": len(reals), "real": real, "real_min": min(reals), "real_max": max(reals),
                "real_all": reals,
                "predicted": pred, "pred_min": min(preds) if preds else None,
                "pred_max": max(preds) if preds else None, "ratio": ratio,
                "sim_notes": sorted({n for r in rs for n in r.get("sim", {}).get("notes", [])}),
            })
    return rows


def table_lines(rows: list[dict], markdown: bool, show_zero: bool) -> list[str]:
    hdr = ["workload", "ra_kb", "metric", "real", "real min–max (n)", "predicted", "pred/real"]
    body = []
    for r in rows:
        if not show_zero and r["real"] == 0 and not r["predicted"]:
            continue
        b = r["bytes"]
        spread = (f"{fmt_n(r['real_min'], b)} – {fmt_n(r['real_max'], b)} ({r['n']})"
                  if r["n"] > 1 else "(1)")
        pred = fmt_n(r["predicted"], b)
        if r["pred_min"] is not None and r["pred_min"] != r["pred_max"]:
            pred += f" [{fmt_n(r['pred_min'], b)}–{fmt_n(r['pred_max'], b)}]"
        if r["ratio"] is None:
            ratio = "—"
        elif r["ratio"] == float("inf"):
            ratio = "∞"
        else:
            ratio = f"{r['ratio']:.2f}"
        body.append([r["workload"] + (" †" if r["sim_notes"] else ""), str(r["ra_kb"]), r["label"], fmt_n(r["real"], b), spread, pred, ratio])
    if markdown:
        out = ["| " + " | ".join(hdr) + " |", "|" + "|".join(["---"] * 3 + ["---:"] * 4) + "|"]
        out += ["| " + " | ".join(row) + " |" for row in body]
        return out
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(hdr)]
    def line(cells):
        return "  ".join(c.ljust(widths[i]) if i < 3 else c.rjust(widths[i]) for i, c in enumerate(cells))
    return [line(hdr), line(["-" * w for w in widths])] + [line(row) for row in body]


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def parse_size(s: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)i?B?\s*", s, re.I)
    if not m:
        raise argparse.ArgumentTypeError(f"bad size {s!r} (e.g. 256M, 2G)")
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[m.group(2).upper()]


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Measure the real Linux kernel and vpsim side by side on the same workloads "
                    "(needs root; restores every setting it changes).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", help="output directory (traces, vpsim JSON, table.md, results.json); "
                                 "default: a new temporary directory, printed at the end")
    p.add_argument("--size", type=parse_size, default=parse_size("256M"), help="test file size")
    p.add_argument("--ra", default="128,8192", help="read_ahead_kb values to test, comma-separated")
    p.add_argument("--workloads", default=",".join(ALL_WORKLOADS), help="comma-separated subset")
    p.add_argument("--n-random", type=int, default=8192, help="calls/touches of the random workloads")
    p.add_argument("--seed", type=int, default=1, help="seed of the random offsets")
    p.add_argument("--repeat", type=int, default=None,
                   help="real measurements per workload and setting (default 3 for writes, 1 for reads)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 16 MiB file, 256 random calls, 256 MiB image, one repeat")
    p.add_argument("--device", default="loop",
                   help="'loop' (own loop device, the default) or a block device name such as vda "
                        "(needs --dir; noisy if anything else does I/O on it)")
    p.add_argument("--dir", help="with --device NAME: a directory on that device for the test files")
    p.add_argument("--image-dir", default="/var/tmp", help="where the sparse loop image goes")
    p.add_argument("--image-size", type=parse_size, default=parse_size("2G"), help="loop image size")
    p.add_argument("--no-direct-io", action="store_true", help="attach the loop device without --direct-io=on")
    p.add_argument("--scheduler", default="mq-deadline", help="I/O scheduler of the measured device ('' = leave)")
    p.add_argument("--max-sectors-kb", type=int, default=None,
                   help="max_sectors_kb under test (default: the reference disk's, i.e. the disk holding /)")
    p.add_argument("--no-mirror", action="store_true",
                   help="do not copy nr_requests/wbt_lat_usec/nomerges/rotational from the reference disk to the loop device")
    p.add_argument("--settle-timeout", type=float, default=30.0, help="seconds to wait for I/O to settle")
    p.add_argument("--vpsim", help=f"vpsim binary (default: a private copy of {DEFAULT_VPSIM})")
    p.add_argument("--vpsim-args", default=DEFAULT_TEMPLATE, help="replay arguments template")
    p.add_argument("--vpsim-fallback-args", default=FALLBACK_TEMPLATE,
                   help="template used when the first one is refused as a usage error (exit 2)")
    p.add_argument("--no-replay", action="store_true", help="measure only")
    p.add_argument("--cleanup", metavar="JOURNAL",
                   help="undo what a killed run left behind (its undo-journal.json) and exit")
    a = p.parse_args(argv)
    if a.quick:
        if a.size == parse_size("256M"):
            a.size = 16 * MiB
        if a.n_random == 8192:
            a.n_random = 256
        if a.image_size == parse_size("2G"):
            a.image_size = 256 * MiB
        if a.repeat is None:
            a.repeat = 1
    try:
        a.ra_list = [int(x) for x in a.ra.split(",") if x.strip()]
    except ValueError:
        p.error(f"--ra {a.ra!r}: comma-separated integers (KiB) expected")
    a.workload_list = [w.strip() for w in a.workloads.split(",") if w.strip()]
    bad = [w for w in a.workload_list if w not in WORKLOADS]
    if bad:
        p.error(f"unknown workload(s) {', '.join(bad)}; known: {', '.join(ALL_WORKLOADS)}")
    if a.size % MiB:
        p.error("--size must be a multiple of 1 MiB")
    if a.device != "loop" and not a.dir:
        p.error("--device NAME needs --dir PATH")
    return a


def main(argv=None) -> int:
    global _CLEANING
    args = parse_args(argv)
    if os.geteuid() != 0:
        print("validate-linux.py needs root: it attaches a loop device, mounts a filesystem, "
              "drops the page cache and changes block-queue settings (all restored afterwards).\n"
              "Please run it again as root, e.g. `sudo python3 scripts/validate-linux.py`.",
              file=sys.stderr)
        return 2
    if args.cleanup:
        u = Undo(args.cleanup)
        with open(args.cleanup) as f:
            u.entries = json.load(f)
        _CLEANING = True
        install_signals()
        u.run_all()
        for r in u.restored:
            log(f"restored {r['path']} = {r['now']} (was {r['original']}) {'ok' if r['ok'] else 'MISMATCH'}")
        for pr in u.problems:
            warn(pr)
        return 1 if u.problems else 0

    out_dir = args.out or tempfile.mkdtemp(prefix="vpsim-validate-out-")
    os.makedirs(os.path.join(out_dir, "traces"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "sim"), exist_ok=True)
    undo = Undo(os.path.join(out_dir, "undo-journal.json"))
    ref_disk = disk_of(dev_of_path("/") or "vda")
    ref_q = f"/sys/class/block/{ref_disk}/queue"
    ref_before = queue_snapshot(ref_q)
    rc = 0
    install_signals()
    try:
        run(args, undo, out_dir, ref_disk, ref_q)
    except Interrupted as e:
        print(f"\ninterrupted ({e}); cleaning up", file=sys.stderr, flush=True)
        rc = 130
    except HarnessError as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        rc = 1
    except Exception:
        traceback.print_exc()
        rc = 1
    finally:
        _CLEANING = True
        undo.run_all()
        log("")
        log("Settings restored (read back now):")
        for r in undo.restored:
            log(f"  {r['path']}: {r['now']} (was {r['original']}) {'ok' if r['ok'] else 'MISMATCH'}")
        ref_after = queue_snapshot(ref_q)
        log(f"Reference disk {ref_disk} now: " + ", ".join(f"{k}={v}" for k, v in ref_after.items()
                                                          if k in ("scheduler", "read_ahead_kb", "max_sectors_kb", "nr_requests", "wbt_lat_usec")))
        changed = {k: (ref_before[k], ref_after.get(k)) for k in ref_before if ref_after.get(k) != ref_before[k]}
        if changed:
            undo.problems.append(f"{ref_disk} queue differs from before the run: {changed}")
        for pr in undo.problems:
            warn(f"cleanup: {pr}")
        if undo.problems:
            warn(f"undo journal kept: {undo.journal_path} (run again with --cleanup it)")
            rc = rc or 1
        log(f"Output directory: {out_dir}")
    return rc


def run(args, undo: Undo, out_dir: str, ref_disk: str, ref_q: str) -> None:
    if args.max_sectors_kb is None:
        args.max_sectors_kb = int(sysfs_value(f"{ref_q}/max_sectors_kb"))
    if args.size > args.image_size // 2 and args.device == "loop":
        raise HarnessError("--image-size must be at least twice --size (data file + new file)")

    log(f"vpsim validate-linux: kernel {os.uname().release}, reference disk {ref_disk}: "
        + ", ".join(f"{k}={v}" for k, v in queue_snapshot(ref_q).items()))
    if args.device == "loop":
        env = setup_loop(args, undo, ref_q)
    else:
        env = setup_device(args, undo)
    vm = vm_settings()
    if vm["dirty_bytes"] or vm["dirty_background_bytes"]:
        env.notes.append("vm.dirty_bytes/dirty_background_bytes are set: the *_ratio placeholders do not describe the machine")
    env.info["queue"] = queue_snapshot(env.queue)
    log(f"measuring {env.dev} ({env.kind}); files in {env.workdir}")
    log("  queue: " + ", ".join(f"{k}={v}" for k, v in env.info["queue"].items()))
    for n in env.notes:
        log(f"  note: {n}")

    spec = WorkloadSpec(size=args.size, n_random=args.n_random, seed=args.seed)
    binary = prepare_vpsim(args, undo)
    data = os.path.join(env.workdir, DATA_NAME)
    log(f"creating {DATA_NAME} ({args.size // MiB} MiB) and warming up")
    create_file(data, args.size)
    undo.push({"kind": "file", "path": data})
    undo.push({"kind": "file", "path": os.path.join(env.workdir, NEW_NAME)})
    warm_up(env, spec, args.workload_list)
    # reads first, then the writes (randwrite and the mmap writes overwrite data.bin in place)
    order = [w for w in ALL_WORKLOADS if w in args.workload_list]

    def make_params(ra_eff: int) -> dict:
        params = dict(vm)
        params.update({
            "ra_kb": ra_eff, "ra_pages": ra_eff * 1024 // PAGE,
            "max_sectors_kb": int(sysfs_value(f"{env.queue}/max_sectors_kb")),
            "dirty_expire_ms": vm["dirty_expire_cs"] * 10, "dirty_writeback_ms": vm["dirty_writeback_cs"] * 10,
            "nr_requests": sysfs_value(f"{env.queue}/nr_requests"),
        })
        return params

    if binary:  # a bad template should fail now, not after the measurements
        for tpl in (args.vpsim_args, args.vpsim_fallback_args):
            fill_template(tpl, make_params(args.ra_list[0]))

    runs: list[dict] = []
    for ra in args.ra_list:
        ra_eff = set_readahead(undo, env, ra)
        params = make_params(ra_eff)
        for wl in order:
            n = args.repeat if args.repeat is not None else (3 if wl in WRITE_WORKLOADS else 1)
            for rep in range(1, n + 1):
                r = measure(args, env, wl, spec, ra, rep, out_dir)
                r["ra_kb_effective"] = ra_eff
                r["params"] = params
                runs.append(r)
                x = r["real"]
                extra = ""
                if "minor_faults" in x:
                    extra += f"  minflt {x['minor_faults']:>6,}"
                if wl in WRITE_WORKLOADS:
                    extra += f"  nr_dirtied {r['vmstat_delta'].get('nr_dirtied', 0):>6,}"
                log(f"  {wl:24s} ra={ra:<5d} #{rep}: reads {x['read_requests']:>6,} ({x['read_bytes'] / MiB:7.1f} MiB)"
                    f"  writes {x['write_requests']:>6,} ({x['write_bytes'] / MiB:7.1f} MiB)"
                    f"  majflt {x['major_faults']:>6,}{extra}  {r['elapsed_ns'] / 1e9:6.2f}s")

    replay_log = []
    template_used = None
    if binary:
        log(f"replaying {len(runs)} traces with {binary}")
        rp = Replayer(binary, args.vpsim_args, args.vpsim_fallback_args, out_dir)
        for r in runs:
            sim = rp.replay(r["trace"], r["params"])
            base = os.path.basename(r["trace"])[:-4]
            if sim.get("json") is not None:
                with open(os.path.join(out_dir, "sim", base + ".json"), "w") as f:
                    json.dump(sim.pop("json"), f, indent=1)
            if not sim["ok"]:
                warn(f"replay of {base} failed (exit {sim['exit']}): {first_line(sim['stderr'])}")
            r["sim"] = sim
        replay_log = rp.log
        if rp.chosen:
            template_used = {"which": rp.chosen[0], "template": rp.chosen[1]}
    rows = summarize(runs)

    title = (f"Real Linux ({os.uname().release}, {env.kind} {env.dev}, "
             f"max_sectors_kb {env.info.get('max_sectors_kb')}) vs vpsim, file {args.size // MiB} MiB, "
             f"{args.n_random} random calls")
    log("")
    log(title)
    if template_used:
        log(f"vpsim template ({template_used['which']}): {template_used['template']}")
    elif binary:
        log("vpsim: every replay failed")
    for line in replay_log:
        log(f"  {line}")
    log("(rows where real and predicted are both 0 are left out; all are in results.json)")
    for line in table_lines(rows, markdown=False, show_zero=False):
        log(line)
    footnotes = sorted({n for r in rows for n in r["sim_notes"]})
    for n in footnotes:
        log(f"† {n}")

    with open(os.path.join(out_dir, "table.md"), "w") as f:
        f.write(f"# {title}\n\n")
        if template_used:
            f.write(f"vpsim template ({template_used['which']}): `{template_used['template']}`\n\n")
        for line in replay_log:
            f.write(f"- {line}\n")
        for n in env.notes:
            f.write(f"- note: {n}\n")
        f.write("\nRows where real and predicted are both 0 are left out. "
                "real = median of the repeats; pred/real = predicted / real median.\n\n")
        f.write("\n".join(table_lines(rows, markdown=True, show_zero=False)) + "\n")
        for n in footnotes:
            f.write(f"\n† {n}\n")
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({
            "kernel": os.uname().release, "device": env.kind, "dev": env.dev, "env": env.info,
            "notes": env.notes, "vm": vm, "args": {k: v for k, v in vars(args).items()},
            "template": template_used, "replay_log": replay_log,
            "rows": rows, "runs": runs,
        }, f, indent=1, default=str)


if __name__ == "__main__":
    sys.exit(main())
