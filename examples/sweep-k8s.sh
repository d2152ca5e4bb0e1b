#!/bin/bash
# One shard of a vpsim sweep as a Kubernetes Indexed Job pod runs it (see
# sweep-k8s.yaml): Kubernetes sets JOB_COMPLETION_INDEX to 0, 1, ..., N-1; vpsim's
# shards are numbered from 1. Each pod writes its own part under OUT (a shared volume);
# merge them when the Job has completed.
set -euo pipefail
N=${N:-8}
TRACE=${TRACE:-traces/pyio.events.csv.zst}
OUT=${OUT:-.}
I=$((JOB_COMPLETION_INDEX + 1))
vpsim sweep "$TRACE" \
    --mem 64M,256M,1G --readahead none,fixed:pages=16,linux,dragonfly \
    --jobs 1 --shard "$I/$N" --output "$OUT/part-$I.parquet"
# When the Job has completed:
#   vpsim merge all.parquet part-*.parquet && vpsim report all.parquet --out report.html
