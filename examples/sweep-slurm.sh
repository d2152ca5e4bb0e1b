#!/bin/bash
# A vpsim sweep as a Slurm job array: each array task runs one shard of the grid and
# writes its own results file; merge them when all tasks are done.
#SBATCH --job-name=vpsim-sweep
#SBATCH --array=1-16
#SBATCH --cpus-per-task=2
#SBATCH --time=02:00:00
set -euo pipefail
N=${N:-16}
TRACE=${TRACE:-traces/pyio.events.csv.zst}
vpsim sweep "$TRACE" \
    --mem 64M,256M,1G --device ssd,hdd \
    --readahead none,fixed:pages=16,linux,dragonfly \
    --sync dragonfly,linux \
    --jobs "${SLURM_CPUS_PER_TASK:-2}" \
    --shard "${SLURM_ARRAY_TASK_ID}/${N}" \
    --output "part-${SLURM_ARRAY_TASK_ID}.parquet"
# When every task has finished (e.g. a dependent job: sbatch --dependency=afterok:JOBID):
#   vpsim merge all.parquet part-*.parquet && vpsim report all.parquet --out report.html
