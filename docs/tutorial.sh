#!/usr/bin/env bash
# Re-renders the pictures of docs/tutorial.md: runs every tutorial step's
# scenario with its shipped settings and copies the step's key chart to
# docs/tutorial/. Run it after a model change, then look at the diff.
#
# Usage: docs/tutorial.sh            (from anywhere in the repository; ~1 min)
#
# The steps, their key charts and the commands in docs/tutorial.md come from
# the table below; tests/it/tutorial.rs checks that the page, this table and
# scenarios/ agree, and asserts each step's lesson on measured outputs.

set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/capsim
pictures=docs/tutorial
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
mkdir -p "$pictures"

# scenario file (in scenarios/) | key chart (in the run's charts/)
steps="
01-single-server.toml|utilization
02-separate-database.toml|utilization
03-vertical-scaling.toml|latency
04-load-balancer.toml|imbalance
05-database-replication.toml|replication_lag
06-cache.toml|hit_ratio
07-cdn.toml|cdn_traffic
08-stateless-web-tier.toml|errors
09-multi-datacenter.toml|latency_by_region
10-message-queue.toml|message_queue_depth
11-sharding.toml|utilization
12-autoscaling.toml|instances
13-balancer-capacity.toml|utilization
14-planning.toml|utilization
15-retry-storm.toml|throughput
16-gray-failure.toml|latency_by_class
drill-single-server.toml|errors
drill-load-balanced-pool.toml|errors
drill-primary-database.toml|errors
drill-cache-node.toml|database_operations
drill-datacenter.toml|latency_by_region
drill-cdn-outage.toml|utilization
drill-message-broker.toml|message_flow
"

for step in $steps; do
  file=${step%%|*}
  chart=${step##*|}
  name=${file%.toml}
  if [ ! -f "scenarios/$file" ]; then
    echo "missing scenarios/$file" >&2
    exit 1
  fi
  printf '%-34s ' "$file"
  "$bin" run "scenarios/$file" --out "$runs/$name" --quiet
  if [ ! -f "$runs/$name/charts/$chart.png" ]; then
    echo "no chart $chart.png for $file; charts made: $(ls "$runs/$name/charts" | grep png | tr '\n' ' ')" >&2
    exit 1
  fi
  cp "$runs/$name/charts/$chart.png" "$pictures/$name.png"
  echo "-> $pictures/$name.png"
done
