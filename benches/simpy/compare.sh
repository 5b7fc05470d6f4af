#!/usr/bin/env bash
# capsim against SimPy on the same two models (benches/simpy/*.py and
# *.toml): checks that the mean response times agree within statistical
# error and prints simulated requests per CPU-second and the ratio.
#
#   benches/simpy/compare.sh [--rounds N] [--repeats N]   (about 2–3 min)
#
# Creates a virtual environment in target/simpy-venv with SimPy from PyPI
# (pinned), builds capsim's side (benches/capsim_timed.rs: loading and
# simulating through the library, in the bench profile), then runs
# compare.py. Exit status 1 if the two simulators disagree beyond 3 standard
# errors.
set -euo pipefail
cd "$(dirname "$0")/../.."

SIMPY_VERSION=4.1.2
venv=target/simpy-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import simpy, sys; sys.exit(simpy.__version__ != '$SIMPY_VERSION')" 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet "simpy==$SIMPY_VERSION"
fi
timed=$(cargo bench --bench capsim_timed --no-run --message-format=json 2>/dev/null |
    "$venv/bin/python" -c 'import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message["target"]["name"] == "capsim_timed" and message.get("executable"):
        print(message["executable"])')
echo "SimPy $("$venv/bin/python" -c 'import simpy; print(simpy.__version__)'), $("$venv/bin/python" --version), capsim $(git rev-parse --short HEAD 2>/dev/null || echo '')"
echo
"$venv/bin/python" benches/simpy/compare.py "$timed" "$@"
