#!/usr/bin/env bash
# Compare the speed of vpsim's models with other cache simulators on the same
# page-reference stream (issue 7 §3, issue 16).
#
# Writes one zipf read-only workload in three forms:
#   trace.vpt  vpsim's binary form (from `vpsim gen` + `vpsim convert`);
#   trace.txt  one object id per line, the form libCacheSim's `txt` trace type (and
#              most other cache simulators) read: the id of a reference is its page
#              number (offset / 4096), plus the file's number times 2^40 when the
#              trace has several files;
#   trace.oracleGeneral.bin  libCacheSim's own binary form (24-byte records `<IQIq`:
#              time, id, size, next reference), written by scripts/oracle-general.py
#              (needs python3; skipped with a notice without it).
# Every read is exactly 4 KiB at a 4 KiB-aligned offset, so each read event is exactly
# one page reference and all forms hold the same reference stream (checked).
#
# Then times `vpsim replay --model M --mem MEM` for each model in MODELS on the binary
# form (median of RUNS runs, whole process: start, map the trace, replay, print JSON,
# with peak RSS) and prints page references per second and miss ratios, plus the
# commands that run the same simulation in libCacheSim (not installed here and not
# downloaded by this script; build it yourself, see below). With --ignore-obj-size 1
# the cache size is in objects (pages), so vpsim's lru and libCacheSim's lru both
# simulate an LRU of MEM / 4096 pages from a cold start, and their miss counts agree
# exactly. The full models (dragonfly, linux) count page misses of a kernel with
# read-ahead and blocks of several pages, so theirs differ, by design.
#
# Settings (environment): EVENTS (2000000), SIZE footprint (1G), FILES (1), MEM cache
# (256M), ALPHA zipf skew (1.0), SEED (7), RUNS (3), MODELS ("lru dragonfly"), OUT (keep
# the traces in this directory; default: a temporary directory, removed at exit), VPSIM
# (a vpsim binary to use; default: build target/release/vpsim with cargo).
#
# The issue 16 streams:
#   EVENTS=10000000 scripts/bench-compare.sh                      # z: alpha 1.0, 1 file
#   EVENTS=3000000 ALPHA=0.9 FILES=8 SEED=1 scripts/bench-compare.sh   # m: miss-heavy
set -euo pipefail

EVENTS=${EVENTS:-2000000}
SIZE=${SIZE:-1G}
MEM=${MEM:-256M}
ALPHA=${ALPHA:-1.0}
SEED=${SEED:-7}
RUNS=${RUNS:-3}
FILES=${FILES:-1}
MODELS=${MODELS:-lru dragonfly}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -z "${VPSIM:-}" ]; then
    echo "building vpsim (release)..." >&2
    (cd "$root" && flock /tmp/vpsim-cargo.lock cargo build --release --locked --bin vpsim >&2)
    VPSIM=$root/target/release/vpsim
fi

if [ -n "${OUT:-}" ]; then
    dir=$OUT
    mkdir -p "$dir"
else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/vpsim-compare.XXXXXX")
    trap 'rm -rf "$dir"' EXIT
fi

workload="zipf:alpha=$ALPHA"
"$VPSIM" gen "$workload" --events "$EVENTS" --size "$SIZE" --seed "$SEED" --io-size 4K \
    --files "$FILES" -o "$dir/trace.csv" >&2
"$VPSIM" convert "$dir/trace.csv" "$dir/trace.vpt" >&2

# CSV columns: time_ns,pid,op,file,offset,length,flags. Reads only; refuse anything that
# is not exactly one aligned page, so the two forms cannot disagree.
awk -F, 'NR > 1 && $3 == "read" {
        if ($6 != 4096 || $5 % 4096 != 0) { print "unaligned read: " $0 > "/dev/stderr"; exit 1 }
        if (!($4 in fileno)) fileno[$4] = nfiles++
        printf "%.0f\n", fileno[$4] * 1099511627776 + $5 / 4096
    }
    NR > 1 && $3 != "read" && $3 != "open" && $3 != "close" {
        print "unexpected op: " $0 > "/dev/stderr"; exit 1
    }' "$dir/trace.csv" > "$dir/trace.txt"
refs=$(wc -l < "$dir/trace.txt")
if [ "$refs" -ne "$EVENTS" ]; then
    echo "expected $EVENTS references, found $refs" >&2
    exit 1
fi
rm -f "$dir/trace.csv"

if command -v python3 >/dev/null 2>&1; then
    python3 "$root/scripts/oracle-general.py" "$dir/trace.txt" "$dir/trace.oracleGeneral.bin"
    oracle=yes
else
    echo "python3 not found: trace.oracleGeneral.bin not written" >&2
    oracle=
fi

mem_bytes=$(awk -v m="$MEM" 'BEGIN {
    n = m + 0; u = toupper(substr(m, length(m)));
    if (u == "K") n *= 1024; else if (u == "M") n *= 1048576;
    else if (u == "G") n *= 1073741824; else if (u == "T") n *= 1099511627776;
    printf "%.0f", n }')
pages=$((mem_bytes / 4096))

echo "workload:  vpsim gen $workload --events $EVENTS --size $SIZE --files $FILES --seed $SEED --io-size 4K"
echo "traces:    trace.vpt (vpsim binary form), trace.txt (one page id per line)${oracle:+, trace.oracleGeneral.bin} in $dir"
echo "references: $refs"

# Median of RUNS whole-process replays per model, with peak RSS (GNU time when present).
for model in $MODELS; do
    times=()
    rss=
    for _ in $(seq "$RUNS"); do
        t0=$(date +%s%N)
        if [ -x /usr/bin/time ]; then
            /usr/bin/time -f '%M' -o "$dir/rss" \
                "$VPSIM" replay "$dir/trace.vpt" --model "$model" --mem "$MEM" --format json > "$dir/$model.json"
            rss=$(tail -1 "$dir/rss")
        else
            "$VPSIM" replay "$dir/trace.vpt" --model "$model" --mem "$MEM" --format json > "$dir/$model.json"
        fi
        t1=$(date +%s%N)
        times+=($((t1 - t0)))
    done
    median_ns=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    hits=$(grep -o '"page_hits": *[0-9]*' "$dir/$model.json" | head -1 | grep -o '[0-9]*$')
    misses=$(grep -o '"page_misses": *[0-9]*' "$dir/$model.json" | head -1 | grep -o '[0-9]*$')
    if [ "$model" = lru ] && [ "$((hits + misses))" -ne "$refs" ]; then
        echo "vpsim counted $((hits + misses)) references, the trace has $refs" >&2
        exit 1
    fi
    awk -v ns="$median_ns" -v refs="$refs" -v m="$misses" -v runs="$RUNS" -v mem="$MEM" \
        -v pages="$pages" -v model="$model" -v rss="$rss" 'BEGIN {
        s = ns / 1e9
        printf "vpsim %-9s --mem %s (%d pages): %.3f s (median of %d, whole process), %.2f M refs/s, %d page misses%s\n",
            model, mem, pages, s, runs, refs / s / 1e6, m, (rss == "" ? "" : sprintf(", peak RSS %.0f MB", rss / 1000))
    }'
done
echo
if [ -n "${OUT:-}" ]; then d=$dir/; else d=; fi
cat <<TXT
The same LRU in libCacheSim (https://github.com/1a1a11a/libCacheSim; not vendored or
downloaded here -- clone it, install glib and zstd development packages, then
'mkdir _build && cd _build && cmake -DCMAKE_BUILD_TYPE=Release .. && make -j2 cachesim'):
  ./bin/cachesim ${d}trace.oracleGeneral.bin oracleGeneral lru $pages --ignore-obj-size 1
  ./bin/cachesim ${d}trace.txt txt lru $pages --ignore-obj-size 1
  # timed: /usr/bin/time -f '%e s %M KB' ./bin/cachesim ...; refs/s = $refs / elapsed seconds.
  # Its miss count must equal vpsim lru's above.
Note for a fair race: cachesim's create_cache (bin/cachesim/cache_init.h) fixes the
object hash table at 2^24 buckets (hashpower = 24, 128 MiB of bucket heads) whatever
the cache size, which costs it RSS and cache misses on a 65,536-page cache. Changing
that one constant to the smallest power of two above the cache's object count
(hashpower = $(awk -v p="$pages" 'BEGIN { h = 0; while (2 ^ h < p) h++; print h }') here) and rebuilding is libCacheSim "tuned" in BENCHMARKS.md.
TXT
if [ -z "${OUT:-}" ]; then
    echo "(the traces were in a temporary directory, removed at exit: rerun with OUT=DIR to keep"
    echo " them)"
fi
