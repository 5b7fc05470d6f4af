#!/usr/bin/env bash
# Digests of every CSV, and the resolved scenario (`scenario.resolved.toml`),
# that every shipped scenario and the two SimPy benchmark models write, one
# line per file: the check that a refactor
# changed no output byte.
#
#   scripts/output-digests.sh [BIN] > before.txt   (about 2 minutes)
#   ... change the code, rebuild ...
#   scripts/output-digests.sh [BIN] > after.txt && diff before.txt after.txt
#
# BIN defaults to target/release/capsim (built first when it is the default).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
    cargo build --release --quiet
    bin=target/release/capsim
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for scenario in scenarios/*.toml benches/simpy/*.toml; do
    name=$(basename "$scenario" .toml)
    "$bin" run "$scenario" --out "$out/$name" >/dev/null 2>&1 || echo "$name: exit $?"
    for file in "$out/$name"/*.csv "$out/$name"/*.toml; do
        printf '%s  %s/%s\n' "$(md5sum <"$file" | cut -d' ' -f1)" "$name" "$(basename "$file")"
    done
done
