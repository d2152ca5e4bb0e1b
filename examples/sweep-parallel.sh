#!/bin/bash
# A vpsim sweep split into shards run by GNU parallel (add -S host1,host2 to spread them
# over machines that share the working directory), then merged into one results file.
set -euo pipefail
N=${N:-8}
TRACE=${1:-traces/pyio.events.csv.zst}
seq 1 "$N" | parallel --halt now,fail=1 \
    vpsim sweep "$TRACE" --mem 64M,256M,1G --readahead none,linux,dragonfly \
        --shard {}/"$N" --jobs 1 --output part-{}.parquet
vpsim merge all.parquet part-*.parquet
vpsim report all.parquet --out report.html
