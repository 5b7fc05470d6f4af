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
# Usage: benches/scaling.sh [ROUNDS]      (default 5 rounds, 1 thread and all
#   threads side by side in each; the median of the rounds' speed-ups is kept;
#   about 2 minutes on 2 cores)
# Exit status: 0 if every speed-up reaches 0.9 x threads, 1 otherwise.

set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
threads=$(nproc)
cargo build --release --quiet
bin=target/release/capsim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $threads cores"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# Wall time of one run of a command, in seconds.
wall() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  awk -v a="$end" -v b="$start" 'BEGIN { print a - b }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Runs the study with 1 thread and with all of them, side by side for
# $rounds rounds (alternating which goes first, so a slow spell of the
# machine hits both), and reports the median of the rounds' speed-ups.
status=0
compare() {
  local name=$1 out=$2
  shift 2
  local ones="" manys="" ratios="" one many
  for round in $(seq "$rounds"); do
    if [ $((round % 2)) -eq 1 ]; then
      one=$(wall "$bin" "$@" --threads 1 --out "$out-1")
      many=$(wall "$bin" "$@" --threads "$threads" --out "$out-n")
    else
      many=$(wall "$bin" "$@" --threads "$threads" --out "$out-n")
      one=$(wall "$bin" "$@" --threads 1 --out "$out-1")
    fi
    ones="$ones$one"$'\n'
    manys="$manys$many"$'\n'
    ratios="$ratios$(awk -v a="$one" -v b="$many" 'BEGIN { printf "%.2f", a / b }') "
  done
  local speedup
  speedup=$(printf '%s\n' $ratios | median)
  printf '%-44s 1 thread %7.2f s   %d threads %7.2f s   speed-up %.2fx (median of rounds: %s)\n' \
    "$name" "$(printf '%s' "$ones" | median)" "$threads" "$(printf '%s' "$manys" | median)" "$speedup" "${ratios% }"
  if awk -v s="$speedup" -v t="$threads" 'BEGIN { exit !(s < 0.9 * t) }'; then status=1; fi
}

scenario=scenarios/04-load-balancer.toml
compare "04 replications (8 x 30 min)" "$work/r" \
  run "$scenario" --replications 8 --quiet --set scenario.duration=30m
compare "04 sweep (4 points x 2 replications x 30 min)" "$work/s" \
  sweep "$scenario" --vary 'workload.arrivals.rate=400/s,500/s,600/s,700/s' --replications 2 --quiet --set scenario.duration=30m

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
