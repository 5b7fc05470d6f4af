#!/usr/bin/env bash
# Wall time of `capsim plan scenarios/14-planning.toml` (issue 18): the
# design search over web instances and size, database replicas and cache
# nodes, every candidate surviving the primary's death. The target is under
# 3 minutes on 2 cores.
#
# Usage: benches/plan-14.sh [BIN] [THREADS]   BIN defaults to
#                                             target/release/capsim, built
#                                             first; THREADS to 2.
# Prints the load average before and after (the machine may be shared),
# the wall time, and the plan's answer.
# Exit status: 0 if the plan finds a design within 180 s; 1 otherwise.

set -euo pipefail

cd "$(dirname "$0")/.."
bin=${1:-}
if [[ -z $bin ]]; then
    cargo build --release --quiet
    bin=target/release/capsim
fi
threads=${2:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
status=0
"$bin" plan scenarios/14-planning.toml --threads "$threads" --out "$out/plan" --quiet || status=$?
end=$(date +%s.%N)
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
wall=$(echo "$end - $start" | bc)
echo "wall time: ${wall}s (exit $status, --threads $threads)"
if [[ -f $out/plan/plan.md ]]; then
    sed -n '/^| knob/,/^$/p' "$out/plan/plan.md"
    grep '^Cost' "$out/plan/plan.md" || true
fi
if [[ $status -ne 0 ]] || (($(echo "$wall > 180" | bc))); then
    exit 1
fi
