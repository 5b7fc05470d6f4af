#!/usr/bin/env bash
# Peak memory of `capsim run` at 1x and 10x the simulated duration.
#
# Metrics stream into per-window histograms, so peak RSS should stay flat as
# the run gets longer: the check is peak(10x) / peak(1x) < 1.2. The only
# state that grows with duration is the time series (a fixed number of rows
# per window); it is printed too, so growth can be attributed.
#
# Usage: benches/memory.sh            (from anywhere inside the repository)
#   CAPSIM_RSS_METHOD=time|rust       force how peak RSS is read; the default
#                                     is GNU time (/usr/bin/time, Debian
#                                     package `time`) when present, else a
#                                     small launcher compiled with rustc.
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

# shellcheck source=benches/peak_rss.sh
source benches/peak_rss.sh
peak_rss_init "$work"
method=$peak_rss_method

# measure OUT_DIR ARGS...: runs `capsim run ARGS --out OUT_DIR -q` and writes
# "<peak RSS KiB> <wall s>" to $work/usage; a failed run ends the script.
measure() {
    local out=$1 code kib wall
    shift
    peak_rss "$work/usage.raw" "$bin" run "$@" --out "$out" -q
    read -r code kib wall <"$work/usage.raw"
    if [[ $code != 0 ]]; then
        echo "command failed: exit $code" >&2
        exit 2
    fi
    echo "$kib $wall" >"$work/usage"
}

metric() { # summary.csv scope metric
    awk -F, -v s="$2" -v m="$3" '$1 == s && $2 == m { print $3 }' "$1"
}

echo "peak RSS via: $method; $(nproc) CPUs; commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "wall time covers the whole process (load, simulate, write CSVs); RSS in MiB"
printf '%-17s %-22s %12s %7s %10s %8s %8s %8s\n' \
    scenario run engine_events wall_s Mevents/s peak_MiB windows ts_rows
status=0

# run_case LABEL CASE SCENARIO [--set ...]: one measured run; sets kib, windows, rows.
run_case() {
    local label=$1 case=$2
    shift 2
    local out="$work/$label-${case//[^a-z0-9]/_}" wall events
    measure "$out" "$@"
    read -r kib wall <"$work/usage"
    events=$(metric "$out/summary.csv" overall engine_events)
    rows=$(($(wc -l <"$out/timeseries.csv") - 1))
    windows=$(tail -n +2 "$out/timeseries.csv" | cut -d, -f1 | sort -u | wc -l)
    printf '%-17s %-22s %12.0f %7.2f %10.2f %8.2f %8d %8d\n' "$label" "$case" "$events" "$wall" \
        "$(awk -v e="$events" -v w="$wall" 'BEGIN { print e / w / 1e6 }')" \
        "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" "$windows" "$rows"
}

# run_set LABEL SCENARIO LONG_DURATION LONG_WINDOW [extra --set for the control run]
#   1x: as written; 10x: duration LONG_DURATION; control: 10x duration with
#   window LONG_WINDOW, i.e. as many windows as 1x, which isolates the
#   per-window time series from everything else.
run_set() {
    local label=$1 file=$2 long=$3 long_window=$4
    shift 4
    local kib windows rows
    run_case "$label" 1x "$file"
    local kib1=$kib windows1=$windows rows1=$rows
    run_case "$label" 10x "$file" --set "scenario.duration=$long"
    local kib10=$kib windows10=$windows rows10=$rows
    run_case "$label" "10x, window x10" "$file" --set "scenario.duration=$long" \
        --set "scenario.window=$long_window" "$@"
    local kibc=$kib
    local ratio verdict=flat
    ratio=$(awk -v a="$kib1" -v b="$kib10" 'BEGIN { printf "%.3f", b / a }')
    awk -v r="$ratio" 'BEGIN { exit !(r < 1.2) }' || { verdict="NOT flat (>= 1.2)"; status=1; }
    echo "  peak RSS 10x/1x = $kib10 KiB / $kib1 KiB = $ratio -> $verdict"
    awk -v a="$kib1" -v c="$kibc" 'BEGIN { printf "  same windows (control): %d KiB / %d KiB = %.3f\n", c, a, c / a }'
    awk -v a="$kib1" -v b="$kib10" -v w1="$windows1" -v w10="$windows10" -v r1="$rows1" -v r10="$rows10" \
        'BEGIN { d = (b - a) * 1024; printf "  growth: %.0f KiB over %d more windows = %.2f KiB/window (%d rows/window, %.0f B/row)\n",
                 (b - a), w10 - w1, d / (w10 - w1) / 1024, (r10 - r1) / (w10 - w1), d / (r10 - r1) }'
}

run_set 04-load-balancer scenarios/04-load-balancer.toml 100m 100s --set scenario.warmup=100s
run_set mmc-c8-rho0.9 "$work/mmc.toml" 10000s 100s
exit $status
