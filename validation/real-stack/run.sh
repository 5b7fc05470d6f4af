#!/usr/bin/env bash
# The real stack of issue 21: nginx round-robin over several processes of a
# Rust web application, Redis (cache-aside, allkeys-lru) and PostgreSQL, all
# on loopback on this machine's cores. Calibrates capsim from a low-load
# run's nginx log, then drives rising Poisson rates, predicts each with
# capsim (scaled by a CPU speed probe taken beside each measurement) and
# writes predicted against measured to RESULTS.md. See README.md.
#
# Usage: validation/real-stack/run.sh            (full run, ~15 minutes)
#        SHORT=1 validation/real-stack/run.sh    (functional check, ~5 minutes)
# Environment: CAPSIM (a capsim binary with `calibrate`; default: build this
# repository's), STACK_BIN (folder with the built app and load generator), WORK (scratch folder, default /tmp/capsim-real-stack),
# RATES (space-separated offered rates; default from the low-load calibration).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="${WORK:-/tmp/capsim-real-stack}"
SHORT="${SHORT:-0}"
if [ "$SHORT" = 1 ]; then
    CAL_S=20; RUN_S=15; WARM_S=3; SETTLE_S=8; IDLE_S=8
else
    CAL_S=90; RUN_S=60; WARM_S=10; SETTLE_S=120; IDLE_S=30
fi
export WARM_S
REPLICATIONS=5     # capsim replications of each measured run (as long as it): the prediction is their mean
PROCS=3            # application processes behind nginx
THREADS=8          # threads (each with its Redis and PostgreSQL connection) per process
CPU_US=2000        # the application's CPU work per request, µs
KEYS=100000        # items in PostgreSQL
ZIPF=0.9           # key popularity
WRITE_SHARE=0.1    # share of requests that write
LOW1_RATE=40       # two low rates, then the calibration: the CPU per request of each group
LOW2_RATE=80       # is the slope of the least-squares line through the three
CAL_RATE=160       # the calibration rate (its nginx log calibrates capsim), requests/s: the
                   # highest low rate, the machine awake (at 40/s this one answered 50 %
                   # slower than at 160/s, its idle cores waking), queueing still small
PROBES=5           # CPU speed probes (about 90 ms each) before and after each run: their median
CONNECTIONS=256    # the load generator's connections
NGINX_PORT=18080; APP_PORT0=18081; REDIS_PORT=16379; PG_PORT=15432
REDIS_MAXMEMORY=4mb    # about 10 000 items: the cache holds a fraction of the keyspace

STARTED="$(date -u +%Y-%m-%d-%H%M)"
log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# --- install (Debian packages), build ------------------------------------
need=()
command -v nginx >/dev/null || need+=(nginx)
command -v redis-server >/dev/null || need+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
if [ -z "${STACK_BIN:-}" ]; then
    log "building the application and the load generator"
    cargo build -q --release --manifest-path "$ROOT/Cargo.toml" -p capsim-stack-app -p capsim-stack-loadgen
fi
BIN="${STACK_BIN:-$ROOT/target/release}"
if [ -z "${CAPSIM:-}" ]; then
    cargo build -q --release --manifest-path "$ROOT/Cargo.toml" -p capsim
    CAPSIM="$ROOT/target/release/capsim"
fi

# --- services on loopback --------------------------------------------------
PIDS=()
cleanup() {
    if [ -f "$WORK/nginx.pid" ]; then kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true; fi
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [ -f "$WORK/redis.pid" ]; then kill "$(cat "$WORK/redis.pid")" 2>/dev/null || true; fi
    if [ -d "$WORK/pg" ]; then
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
cleanup
rm -rf "$WORK"; mkdir -p "$WORK"; chmod 755 "$WORK"

log "PostgreSQL on 127.0.0.1:$PG_PORT (trust on loopback)"
install -d -o postgres -g postgres "$WORK/pg" "$WORK/pgsock"
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg" --auth=trust -U postgres >/dev/null
cat >> "$WORK/pg/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$WORK/pgsock'
max_connections = 100
shared_buffers = 128MB
fsync = off
synchronous_commit = off
CONF
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pgsock/server.log" -w start >/dev/null
psql() { "$PGBIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" "$@"; }
psql -U postgres -c "CREATE ROLE capsim LOGIN" -c "CREATE DATABASE capsim OWNER capsim"
psql -U capsim capsim -c "CREATE TABLE items (id int PRIMARY KEY, value text NOT NULL, version int NOT NULL DEFAULT 0)" \
    -c "INSERT INTO items SELECT g, repeat(md5(g::text), 3) FROM generate_series(0, $KEYS - 1) g" \
    -c "VACUUM ANALYZE items"

log "Redis on 127.0.0.1:$REDIS_PORT (maxmemory $REDIS_MAXMEMORY, allkeys-lru)"
cat > "$WORK/redis.conf" <<CONF
bind 127.0.0.1
port $REDIS_PORT
daemonize yes
pidfile $WORK/redis.pid
logfile $WORK/redis.log
dir $WORK
save ""
appendonly no
maxmemory $REDIS_MAXMEMORY
maxmemory-policy allkeys-lru
# Client buffers count against maxmemory: cap them on their own so they
# never evict the data (the first real stack's keys fell to 0 at overload).
maxmemory-clients 8mb
CONF
redis-server "$WORK/redis.conf"
redis() { redis-cli -p "$REDIS_PORT" "$@"; }
until redis ping >/dev/null 2>&1; do sleep 0.1; done

log "$PROCS application processes x $THREADS threads, $CPU_US µs of CPU each request"
upstreams=""
for i in $(seq 0 $((PROCS - 1))); do
    port=$((APP_PORT0 + i))
    "$BIN/capsim-stack-app" --port "$port" --threads "$THREADS" --cpu-us "$CPU_US" \
        --redis "127.0.0.1:$REDIS_PORT" --pg "127.0.0.1:$PG_PORT" --pg-user capsim --pg-db capsim \
        2>> "$WORK/app-$i.log" &
    PIDS+=($!)
    # Passive health checks, explicitly: never eject an upstream (capsim's
    # balancer has no passive checks; nginx's defaults, max_fails=1
    # fail_timeout=10s, ejected both upstreams of the first real stack
    # under overload).
    upstreams+="        server 127.0.0.1:$port max_fails=0 fail_timeout=10s;"$'\n'
done

log "nginx on 127.0.0.1:$NGINX_PORT, round-robin"
cat > "$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
    log_format timed '\$remote_addr - \$remote_user [\$time_local] "\$request" \$status \$body_bytes_sent "\$http_referer" "\$http_user_agent" \$request_time \$upstream_response_time';
    access_log $WORK/access.log timed;
    upstream app {
$upstreams    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        keepalive_requests 1000000;
        location / {
            proxy_pass http://app;
            proxy_read_timeout 60s;
        }
    }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK" -e "$WORK/nginx-error.log"
for i in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$NGINX_PORT/item/1" >/dev/null && break
    sleep 0.2
done

# --- measurement helpers ---------------------------------------------------
# CPU seconds of the stack's processes by group, from /proc:
# "APP REDIS PG NGINX" — the application processes, Redis, PostgreSQL (the
# postmaster and its backends) and nginx (master and workers). Each
# thread's run time in ns from /proc/<pid>/task/<tid>/schedstat where the
# kernel has it (every thread of the stack lives through a run), else
# utime + stime from /proc/<pid>/stat in 10 ms ticks. The load generator
# reports its own, the same way.
group_pids() {
    case "$1" in
        app) for pid in "${PIDS[@]}"; do echo "$pid"; done ;;
        redis) cat "$WORK/redis.pid" ;;
        pg) local root; root=$(head -1 "$WORK/pg/postmaster.pid"); echo "$root"; pgrep -P "$root" || true ;;
        nginx) local root; root=$(cat "$WORK/nginx.pid"); echo "$root"; pgrep -P "$root" || true ;;
    esac
}
SCHEDSTAT=0
[ -r /proc/self/schedstat ] && SCHEDSTAT=1
group_seconds() {
    local ticks=0 pid fields
    if [ "$SCHEDSTAT" = 1 ]; then
        for pid in $(group_pids "$1"); do cat /proc/"$pid"/task/*/schedstat 2>/dev/null || true; done |
            awk '{ ns += $1 } END { printf "%.6f", ns / 1e9 }'
        return
    fi
    for pid in $(group_pids "$1"); do
        fields=$(cut -d')' -f2 "/proc/$pid/stat" 2>/dev/null) || continue
        set -- $fields
        ticks=$((ticks + ${12} + ${13}))
    done
    echo "$ticks $(getconf CLK_TCK)" | awk '{ printf "%.3f", $1 / $2 }'
}
cpu_groups() { echo "$(group_seconds app) $(group_seconds redis) $(group_seconds pg) $(group_seconds nginx) $(date +%s.%N)"; }
# The CPU speed probe: the median of $PROBES (a busy loop on an application
# process, µs); each is kept in probes.csv with the label $1.
probe() {
    local values
    values=$(for _ in $(seq "$PROBES"); do curl -sf "http://127.0.0.1:$APP_PORT0/probe" || true; echo; done | awk 'NF')
    [ -n "$values" ] || { log "the CPU speed probe failed ($1)"; return 0; }
    echo "$values" | awk -v label="$1" '{ print label "," NR "," $1 }' >> "$WORK/probes.csv"
    echo "$values" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
redis_stat() { redis info stats | tr -d '\r' | awk -F: -v k="$1" '$1 == k { print $2 }'; }
redis_keys() { redis dbsize | tr -d '\r'; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }

# One measured run at rate $1 for $2 s: writes a CSV row to $WORK/measured.csv.
# The CPU columns cover the whole load generator's run (its warm-up too),
# `cpu_window_s` long.
measure() {
    local rate=$1 seconds=$2 label=$3
    local p0 h0 m0 c0 c1 h1 m1 p1 l0 l1
    p0=$(probe "$label-before"); l0=$(loadavg)
    h0=$(redis_stat keyspace_hits); m0=$(redis_stat keyspace_misses); c0=$(cpu_groups)
    "$BIN/capsim-stack-loadgen" --target "127.0.0.1:$NGINX_PORT" --rate "$rate" --duration "$seconds" \
        --warmup "$WARM_S" --connections "$CONNECTIONS" --keys "$KEYS" --zipf "$ZIPF" \
        --write-share "$WRITE_SHARE" --seed "$rate" --out "$WORK/load-$label.csv" >/dev/null
    c1=$(cpu_groups); h1=$(redis_stat keyspace_hits); m1=$(redis_stat keyspace_misses)
    p1=$(probe "$label-after"); l1=$(loadavg)
    record "$label" "$(tail -1 "$WORK/load-$label.csv")" "$p0" "$p1" $((h1 - h0)) $((m1 - m0)) "$c0" "$c1" "$l0" "$l1"
}
# The stack with no load for $1 s: the background CPU of its processes.
measure_idle() {
    local seconds=$1 p0 c0 c1 l0 l1
    p0=$(probe idle); l0=$(loadavg); c0=$(cpu_groups)
    sleep "$seconds"
    c1=$(cpu_groups); l1=$(loadavg)
    record idle "0,$seconds,0,0,0,0,,,,0" "$p0" "$p0" 0 0 "$c0" "$c1" "$l0" "$l1"
}
# record LABEL LOADGEN_ROW PROBE0 PROBE1 HITS MISSES CPU0 CPU1 LOAD0 LOAD1
record() {
    echo "$1|$2|$3|$4|$5|$6|$7|$8|$9|${10}|$(redis_keys)" | awk -F'|' 'BEGIN { OFS = "," } {
        split($7, a, " "); split($8, b, " ")
        app = b[1] - a[1]; rds = b[2] - a[2]; pg = b[3] - a[3]; ngx = b[4] - a[4]; window = b[5] - a[5]
        lookups = $5 + $6
        print $1, $2, ($3 + $4) / 2, (lookups > 0 ? $5 / lookups : ""), sprintf("%.6f", app + rds + pg + ngx), $11,
              ($9 + $10) / 2, sprintf("%.6f", app), sprintf("%.6f", rds), sprintf("%.6f", pg), sprintf("%.6f", ngx),
              sprintf("%.3f", window)
    }' >> "$WORK/measured.csv"
}
echo "label,probe,probe_us" > "$WORK/probes.csv"
echo "label,offered_rate,duration_s,sent,completed,errors,throughput,mean_ms,p50_ms,p99_ms,loadgen_cpu_s,probe_us,hit_ratio,stack_cpu_s,redis_keys,loadavg,app_cpu_s,redis_cpu_s,pg_cpu_s,nginx_cpu_s,cpu_window_s" > "$WORK/measured.csv"

# --- calibrate at low load -------------------------------------------------
# The cache starts in its steady state: 300 000 sets of Zipf-drawn keys (the
# workload's popularity) fill Redis to maxmemory and let LRU settle, as
# capsim's `warm = true` starts its LRU. A settling run (not measured) then
# lets Redis, PostgreSQL (its 24 backends' caches) and the page cache reach
# the request mix's state: 2 minutes at the highest low rate, as the run of
# 2026-12-07 02:55 found the stack still spending a third more CPU per
# request in its first minutes than at the same rates later.
log "filling Redis to its steady state, settling at $CAL_RATE/s for $SETTLE_S s"
python3 "$HERE/stack.py" fill "$KEYS" "$ZIPF" 300000 | redis --pipe >/dev/null
"$BIN/capsim-stack-loadgen" --target "127.0.0.1:$NGINX_PORT" --rate "$CAL_RATE" --duration "$SETTLE_S" \
    --warmup 0 --connections "$CONNECTIONS" --keys "$KEYS" --zipf "$ZIPF" \
    --write-share "$WRITE_SHARE" --seed 1 --out "$WORK/load-settle.csv" >/dev/null
log "the idle stack for $IDLE_S s (background CPU)"
measure_idle "$IDLE_S"
log "the low-load runs: $LOW1_RATE/s and $LOW2_RATE/s, then $CAL_RATE/s for $CAL_S s each (the last one's log calibrates capsim)"
measure "$LOW1_RATE" "$CAL_S" low-1
measure "$LOW2_RATE" "$CAL_S" low-2
: > "$WORK/access.log"
nginx -c "$WORK/nginx.conf" -p "$WORK" -s reopen
measure "$CAL_RATE" "$CAL_S" calibration
cp "$WORK/access.log" "$WORK/calibration.log"
log "capsim calibrate"
"$CAPSIM" calibrate "$WORK/calibration.log" --format nginx \
    --group '^GET /item/=read' --group '^POST /item/=write' -o "$WORK/calibrated.toml" 2> "$WORK/calibrate.err"

# --- rising rates: measure, and predict with capsim ---------------------------
if [ -z "${RATES:-}" ]; then
    # From the low-load runs alone: the capacity 2 cores allow at the fitted
    # CPU seconds per request beyond the background, and rates at 20 % ... 115 % of it.
    RATES=$(python3 "$HERE/stack.py" rates "$WORK/measured.csv" 2 $((SHORT == 1 ? 5 : 7)))
fi
log "rates: $RATES"
for rate in $RATES; do
    log "measuring $rate/s for $RUN_S s (load average $(loadavg))"
    measure "$rate" "$RUN_S" "rate-$rate"
done

log "predicting with capsim"
python3 "$HERE/stack.py" predict "$WORK" "$CAPSIM" "$REPLICATIONS" "$PROCS" "$THREADS" "$KEYS" "$ZIPF" "$WRITE_SHARE"
python3 "$HERE/stack.py" results "$WORK" "$HERE/RESULTS.md" "$SHORT"
if [ "$SHORT" != 1 ]; then
    # The measurements behind the table, to regenerate it without the stack
    # (README.md, "Reproducing a table from saved measurements").
    mkdir -p "$HERE/runs/$STARTED"
    cp "$WORK"/measured.csv "$WORK"/probes.csv "$WORK"/calibrated.toml "$WORK"/cpu-fit.csv \
        "$WORK"/predictions.csv "$WORK"/load-*.csv "$HERE/runs/$STARTED/"
    log "kept the measurements in $HERE/runs/$STARTED"
fi
log "wrote $HERE/RESULTS.md"
