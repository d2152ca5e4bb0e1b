#!/usr/bin/env bash
# Compare the speed of vpsim's `lru` reference model with other cache simulators on the
# same page-reference stream (issue 7 §3).
#
# Writes one zipf read-only workload in two forms:
#   trace.vpt  vpsim's binary form (from `vpsim gen` + `vpsim convert`);
#   trace.txt  one object id per line, the form libCacheSim's `txt` trace type (and
#              most other cache simulators) read: the id of a reference is its page
#              number (offset / 4096; the trace has one file).
# Every read is exactly 4 KiB at a 4 KiB-aligned offset, so each read event is exactly
# one page reference and both files hold the same reference stream (checked).
#
# Then times `vpsim replay --model lru --mem MEM` on the binary form (best of RUNS runs,
# whole process: start, map the trace, replay, print JSON) and prints vpsim's page
# references per second and miss ratio, plus the commands that run the same
# simulation in libCacheSim (not installed here; build it yourself, see
# https://github.com/1a1a11a/libCacheSim). With --ignore-obj-size 1 the cache size is
# in objects (pages), so both simulate an LRU of MEM / 4096 pages from a cold start and
# their miss ratios should agree exactly.
#
# Settings (environment): EVENTS (2000000), SIZE footprint (1G), MEM cache (256M),
# ALPHA zipf skew (1.0), SEED (7), RUNS (3), OUT (keep the traces in this directory;
# default: a temporary directory, removed at exit), VPSIM (a vpsim binary to use;
# default: build target/release/vpsim with cargo).
set -euo pipefail

EVENTS=${EVENTS:-2000000}
SIZE=${SIZE:-1G}
MEM=${MEM:-256M}
ALPHA=${ALPHA:-1.0}
SEED=${SEED:-7}
RUNS=${RUNS:-3}

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
    --files 1 -o "$dir/trace.csv" >&2
"$VPSIM" convert "$dir/trace.csv" "$dir/trace.vpt" >&2

# CSV columns: time_ns,pid,op,file,offset,length,flags. Reads only; refuse anything that
# is not exactly one aligned page, so the two forms cannot disagree.
awk -F, 'NR > 1 && $3 == "read" {
        if ($6 != 4096 || $5 % 4096 != 0) { print "unaligned read: " $0 > "/dev/stderr"; exit 1 }
        printf "%d\n", $5 / 4096
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

# Best of RUNS whole-process replays.
best_ns=
for _ in $(seq "$RUNS"); do
    t0=$(date +%s%N)
    "$VPSIM" replay "$dir/trace.vpt" --model lru --mem "$MEM" --format json > "$dir/lru.json"
    t1=$(date +%s%N)
    ns=$((t1 - t0))
    if [ -z "$best_ns" ] || [ "$ns" -lt "$best_ns" ]; then best_ns=$ns; fi
done
hits=$(grep -o '"page_hits": *[0-9]*' "$dir/lru.json" | head -1 | grep -o '[0-9]*$')
misses=$(grep -o '"page_misses": *[0-9]*' "$dir/lru.json" | head -1 | grep -o '[0-9]*$')
if [ "$((hits + misses))" -ne "$refs" ]; then
    echo "vpsim counted $((hits + misses)) references, the trace has $refs" >&2
    exit 1
fi
mem_bytes=$(awk -v m="$MEM" 'BEGIN {
    n = m + 0; u = toupper(substr(m, length(m)));
    if (u == "K") n *= 1024; else if (u == "M") n *= 1048576;
    else if (u == "G") n *= 1073741824; else if (u == "T") n *= 1099511627776;
    printf "%.0f", n }')
pages=$((mem_bytes / 4096))

echo "workload:  vpsim gen $workload --events $EVENTS --size $SIZE --seed $SEED --io-size 4K"
echo "traces:    trace.vpt (vpsim binary form), trace.txt (one page id per line) in $dir"
echo "references: $refs"
awk -v ns="$best_ns" -v refs="$refs" -v h="$hits" -v m="$misses" -v runs="$RUNS" -v mem="$MEM" -v pages="$pages" 'BEGIN {
    s = ns / 1e9
    printf "vpsim lru --mem %s (%d pages): %.3f s (best of %d, whole process), %.2f M refs/s, miss ratio %.6f (%d misses)\n",
        mem, pages, s, runs, refs / s / 1e6, m / refs, m
}'
echo
if [ -n "${OUT:-}" ]; then txt=$dir/trace.txt; else txt=trace.txt; fi
echo "The same simulation in libCacheSim (build it first; cachesim is in its build's bin/):"
echo "  ./bin/cachesim $txt txt lru $pages --ignore-obj-size 1"
echo "  # timed:  /usr/bin/time -f '%e s %M KB' ./bin/cachesim $txt txt lru $pages --ignore-obj-size 1"
echo "  # refs/s = $refs / elapsed seconds; its miss ratio should equal vpsim's above."
if [ -z "${OUT:-}" ]; then
    echo "(the traces were in a temporary directory, removed at exit: rerun with OUT=DIR to keep"
    echo " trace.txt and trace.vpt there)"
fi
