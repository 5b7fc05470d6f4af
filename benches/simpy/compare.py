"""Runs each model in SimPy and in capsim, checks that they agree, and
prints simulated requests per CPU-second and the ratio. Called by
compare.sh (which makes the virtual environment); see BENCHMARKS.md.

Usage: python compare.py CAPSIM_TIMED_BINARY [--rounds N] [--repeats N]

CAPSIM_TIMED_BINARY is benches/capsim_timed.rs, built by compare.sh.

Each model is measured in rounds (default 3), side by side: a round runs
SimPy once, then capsim (the median of --repeats runs, default 3). Both
are deterministic, so every round simulates the same requests; only the
CPU time varies, with whatever else the machine is doing. The ratio is
the median of the rounds' ratios, so a slow moment that hits one side of
one round does not decide it.
"""

import json
import math
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# (model, SimPy script, capsim scenario, simulated seconds, analytic mean
# response in ms or None)
MODELS = [
    ("M/M/8, rho 0.9", "mmc.py", "mmc.toml", 200, "erlang"),
    ("lb -> 4x4 web -> cache -> 20% db", "lb_cache_db.py", "lb_cache_db.toml", 600, None),
]
WARMUP_S = 10.0


def erlang_c_response_ms(rate=7200.0, service_ms=1.0, servers=8):
    offered = rate * service_ms / 1e3
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= offered / k
        total += term
    last = term * offered / servers * servers / (servers - offered)
    wait_probability = last / (total + last)
    return wait_probability * service_ms / (servers - offered) + service_ms


def run_simpy(script, duration_s):
    output = subprocess.run(
        [sys.executable, os.path.join(HERE, script), str(duration_s), "1"],
        check=True, capture_output=True, text=True, cwd=HERE,
    ).stdout
    return json.loads(output)


def run_capsim(binary, scenario, duration_s, repeats):
    """Runs capsim's side (benches/capsim_timed.rs): loading and simulating
    through the library, CPU time the median of `repeats` runs."""
    output = subprocess.run(
        [binary, os.path.join(HERE, scenario), str(duration_s), str(repeats)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output)


def option(name, default):
    if name in sys.argv:
        return int(sys.argv[sys.argv.index(name) + 1])
    return default


def main():
    binary = sys.argv[1]
    rounds = option("--rounds", 3)
    repeats = option("--repeats", 3)
    agree = True
    for name, script, scenario, duration_s, analytic in MODELS:
        simpy_runs, capsim_runs = [], []
        for _ in range(rounds):
            simpy_runs.append(run_simpy(script, duration_s))
            capsim_runs.append(run_capsim(binary, scenario, duration_s, repeats))
        ratios = [
            (c["requests"] / c["cpu_s"]) / (p["requests"] / p["cpu_s"])
            for p, c in zip(simpy_runs, capsim_runs)
        ]
        # Deterministic: every round simulated the same requests.
        simpy, capsim = dict(simpy_runs[0]), dict(capsim_runs[0])
        simpy["cpu_s"] = statistics.median(r["cpu_s"] for r in simpy_runs)
        capsim["cpu_s"] = statistics.median(r["cpu_s"] for r in capsim_runs)
        difference = capsim["response_mean_ms"] - simpy["response_mean_ms"]
        error = math.hypot(capsim["response_se_ms"], simpy["response_se_ms"])
        z = abs(difference) / error
        print(f"{name}: {duration_s} s simulated, {WARMUP_S:.0f} s of it warm-up")
        print(f"  {'':8} {'requests':>10} {'CPU s':>8} {'requests/CPU-s':>15} {'mean response ms':>22}")
        for label, r in (("SimPy", simpy), ("capsim", capsim)):
            rate = r["requests"] / r["cpu_s"]
            print(f"  {label:8} {r['requests']:>10.0f} {r['cpu_s']:>8.3f} {rate:>15,.0f}"
                  f" {r['response_mean_ms']:>12.4f} ± {r['response_se_ms']:.4f}")
        if analytic == "erlang":
            print(f"  {'Erlang C':8} {'':>10} {'':>8} {'':>15} {erlang_c_response_ms():>12.4f}")
        verdict = "agree" if z < 3 else "DISAGREE"
        print(f"  results {verdict}: difference {difference:+.4f} ms = {z:.2f} standard errors")
        print(f"  CPU s: median of {rounds} rounds; ratio per round: "
              + " ".join(f"{ratio:.0f}x" for ratio in ratios))
        print(f"  capsim / SimPy: {statistics.median(ratios):.0f}x requests per CPU-second"
              " (median of the rounds; target: at least 50x, aim 100x)")
        print()
        agree = agree and z < 3
    if not agree:
        print("the two simulators disagree beyond 3 standard errors", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
