#!/usr/bin/env bash
# Peak memory of `capsim run` at 1x and 10x the simulated duration.
#
# Metrics stream into per-window histograms, so peak RSS should stay flat as
# the run gets longer: the check is peak(10x) / peak(1x) < 1.2. The only
# state that grows with duration is the time series (a fixed number of rows
# per window); it is printed too, so growth can be attributed.
#
# Usage: benches/memory.sh            (from anywhere inside the repository)
#   CAPSIM_RSS_METHOD=time|python     force how peak RSS is read; the default
#                                     uses GNU time (/usr/bin/time, Debian
#                                     package `time`) when present, else
#                                     python3 (os.wait4 rusage of the child).
# Exit status: 0 if every ratio is under 1.2, 1 otherwise, 2 on error.

set -euo pipefail

cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/capsim

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# M/M/c: c = 8 workers, mean service 1 ms, 7200 arrivals/s -> rho = 0.9.
cat >"$work/mmc.toml" <<'EOF'
[scenario]
name = "M/M/8 at rho 0.9"
seed = 1
duration = "1000s"
warmup = "0s"
window = "10s"
[workload]
arrivals = { kind = "open", rate = "7200/s" }
mix = [{ class = "q", call = "srv/work" }]
[pool.srv]
workers = 8
[pool.srv.endpoint.work]
service = { dist = "exp", mean = "1ms" }
EOF

# Prints "<peak RSS in KiB> <wall seconds>" for one run of the command given.
cat >"$work/rusage.py" <<'EOF'
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - start
code = os.waitstatus_to_exitcode(status)
if code != 0:
    sys.exit(f"command failed with status {code}: {' '.join(sys.argv[2:])}")
with open(sys.argv[1], "w") as out:
    out.write(f"{usage.ru_maxrss} {wall:.3f}\n")  # ru_maxrss is in KiB on Linux
EOF

method=${CAPSIM_RSS_METHOD:-}
if [[ -z $method ]]; then
    if /usr/bin/time --version 2>&1 | grep -q GNU; then method=time; else method=python; fi
fi
case $method in
time) ;;
python) command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 2; } ;;
*) echo "CAPSIM_RSS_METHOD must be time or python" >&2; exit 2 ;;
esac

# measure OUT_DIR ARGS...: runs `capsim run ARGS --out OUT_DIR -q` and writes
# "<peak RSS KiB> <wall s>" to $work/usage.
measure() {
    local out=$1
    shift
    if [[ $method == time ]]; then
        /usr/bin/time -f '%M %e' -o "$work/usage" "$bin" run "$@" --out "$out" -q
    else
        python3 "$work/rusage.py" "$work/usage" "$bin" run "$@" --out "$out" -q
    fi
}

metric() { # summary.csv scope metric
    awk -F, -v s="$2" -v m="$3" '$1 == s && $2 == m { print $3 }' "$1"
}

echo "peak RSS via: $method; $(nproc) CPUs; $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
printf '%-18s %-6s %12s %8s %12s %9s %9s\n' scenario length engine_events wall_s Mevents/s peak_MiB ts_rows
status=0
run_pair() { # label scenario file, 10x duration
    local label=$1 file=$2 long=$3 rss=() n
    for n in 1 10; do
        local out="$work/$label-$n" args=("$file")
        [[ $n == 10 ]] && args+=(--set "scenario.duration=$long")
        measure "$out" "${args[@]}"
        local kib wall events
        read -r kib wall <"$work/usage"
        events=$(metric "$out/summary.csv" overall engine_events)
        rss+=("$kib")
        printf '%-18s %-6s %12.0f %8.2f %12.2f %9.1f %9d\n' "$label" "${n}x" "$events" "$wall" \
            "$(awk -v e="$events" -v w="$wall" 'BEGIN { print e / w / 1e6 }')" \
            "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" "$(($(wc -l <"$out/timeseries.csv") - 1))"
    done
    local ratio
    ratio=$(awk -v a="${rss[0]}" -v b="${rss[1]}" 'BEGIN { printf "%.3f", b / a }')
    local verdict=flat
    awk -v r="$ratio" 'BEGIN { exit !(r < 1.2) }' || { verdict="NOT flat (>= 1.2)"; status=1; }
    echo "  $label peak RSS 10x/1x: ${rss[1]} KiB / ${rss[0]} KiB = $ratio -> $verdict"
}

run_pair 04-load-balancer scenarios/04-load-balancer.toml 100m
run_pair mmc-c8-rho0.9 "$work/mmc.toml" 10000s
exit $status
