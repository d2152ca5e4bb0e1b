#!/usr/bin/env bash
# Smoke-run every fuzz target for a few seconds (default 5) from its seed corpus.
#
#   fuzz/smoke.sh [SECONDS] [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). cargo-fuzz passes nightly
# flags to rustc, so on a stable toolchain RUSTC_BOOTSTRAP=1 is set here. Set
# FLOCK=/path/to/lockfile to serialise the build and the runs with other jobs.
# Exits non-zero if any target crashed, hung (>10 s on one input) or failed to build.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-5}"
shift || true
targets=("$@")
export RUSTC_BOOTSTRAP=1
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
lock=()
if [ -n "${FLOCK:-}" ]; then lock=(flock "$FLOCK"); fi
# The same flags as the recorded runs (README.md), so one build serves both.
flags=(-s none --codegen-units 16)
"${lock[@]}" cargo fuzz build "${flags[@]}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
failed=()
for t in "${targets[@]}"; do
    corpus="corpus/$t"
    mkdir -p "$corpus"
    set +e
    "${lock[@]}" cargo fuzz run "${flags[@]}" "$t" "$corpus" "seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    if [ "$rc" -ne 0 ]; then
        echo "FAIL $t (exit $rc)"
        tail -n 40 "$log"
        failed+=("$t")
    else
        echo "ok   $t: ${execs:-?} executions in ${secs}s"
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz/smoke.sh: failed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz/smoke.sh: ${#targets[@]} targets, ${secs}s each, no crash"
