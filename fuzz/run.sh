#!/usr/bin/env bash
# Runs every fuzz target for a while, seeded with the shipped scenarios.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 600 s, all targets)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain
# (`rustup toolchain install nightly`). New inputs go to fuzz/corpus/<target>/,
# crashes to fuzz/artifacts/<target>/; each run's libFuzzer log to
# fuzz/logs/<target>.log. Minimise a crash with
# `cargo +nightly fuzz tmin <target> <artifact>` and add it to
# tests/it/regression.rs.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(load_scenario load_toml run_scenario)
fi

mkdir -p logs
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    # -timeout: an input taking longer than 10 s is a hang.
    # -rss_limit_mb / -malloc_limit_mb: more than 2 GiB in all, or 1 GiB in one
    #   allocation, is an unbounded allocation.
    # -max_len: room for the largest shipped scenario and then some.
    # -fork=1 with -ignore_*: keep going after a finding, so one run collects
    #   every crash, hang and out-of-memory input in artifacts/.
    cargo +nightly fuzz run --debug-assertions "$target" "corpus/$target" ../scenarios -- \
        -dict=scenario.dict -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=16384 -print_final_stats=1 \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        >"logs/$target.log" 2>&1 || true
    grep -E '^#[0-9]+:' "logs/$target.log" | tail -1
    echo "$target: artifacts: $(ls "artifacts/$target" 2>/dev/null | wc -l)"
done
