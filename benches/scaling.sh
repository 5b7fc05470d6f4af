#!/usr/bin/env bash
# How replications and sweeps scale with cores: the same study with
# --threads 1 and --threads N (default: every core), wall time of each, and
# the speed-up. The target on 2 cores is at least 1.8x.
#
# Both studies are embarrassingly parallel tasks (one run per replication or
# sweep point) on rayon; their results are identical whatever the number of
# threads (tests/it/replications.rs and sweeps.rs check that), so only the
# wall time may differ. The machine must be otherwise idle for the number to
# mean anything: the script prints the load average before and after.
#
# Usage: benches/scaling.sh [ROUNDS]      (default 3 rounds; best of each is kept)
# Exit status: 0 if every speed-up reaches 0.9 x threads, 1 otherwise.

set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
threads=$(nproc)
cargo build --release --quiet
bin=target/release/capsim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $threads cores"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# The best (smallest) wall time of $rounds runs of a command, in seconds.
best_wall() {
  local best=""
  for _ in $(seq "$rounds"); do
    local start end elapsed
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    elapsed=$(awk -v a="$end" -v b="$start" 'BEGIN { print a - b }')
    if [ -z "$best" ] || awk -v e="$elapsed" -v b="$best" 'BEGIN { exit !(e < b) }'; then best=$elapsed; fi
  done
  echo "$best"
}

status=0
report() {
  local name=$1 one=$2 many=$3
  local speedup
  speedup=$(awk -v a="$one" -v b="$many" 'BEGIN { print a / b }')
  printf '%-44s 1 thread %7.2f s   %d threads %7.2f s   speed-up %.2fx\n' "$name" "$one" "$threads" "$many" "$speedup"
  if awk -v s="$speedup" -v t="$threads" 'BEGIN { exit !(s < 0.9 * t) }'; then status=1; fi
}

scenario=scenarios/04-load-balancer.toml
replications=(run "$scenario" --replications 8 --quiet --set scenario.duration=10m)
one=$(best_wall "$bin" "${replications[@]}" --threads 1 --out "$work/r1")
many=$(best_wall "$bin" "${replications[@]}" --threads "$threads" --out "$work/rn")
report "04 replications (8 x 10 min)" "$one" "$many"

sweep=(sweep "$scenario" --vary 'workload.arrivals.rate=400/s,500/s,600/s,700/s' --replications 2 --quiet --set scenario.duration=10m)
one=$(best_wall "$bin" "${sweep[@]}" --threads 1 --out "$work/s1")
many=$(best_wall "$bin" "${sweep[@]}" --threads "$threads" --out "$work/sn")
report "04 sweep (4 points x 2 replications x 10 min)" "$one" "$many"

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
