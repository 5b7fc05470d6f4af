#!/usr/bin/env python3
"""Helpers of run.sh (standard library only).

rates MEASURED.CSV CORES COUNT      the offered rates to measure, from the calibration row alone
predict WORK CAPSIM REPLICATIONS PROCS THREADS KEYS ZIPF WRITE_SHARE
                                    one capsim scenario per measured row, run, predictions.csv
results WORK RESULTS.MD SHORT       the table of predicted against measured
"""

import csv
import os
import subprocess
import sys
import tomllib

def rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def measured_path(work_or_csv):
    return work_or_csv if work_or_csv.endswith(".csv") else os.path.join(work_or_csv, "measured.csv")


def calibration(work_or_csv):
    return next(row for row in rows(measured_path(work_or_csv)) if row["label"] == "calibration")


# The groups of the stack's CPU time, as run.sh records them.
GROUPS = ("app", "redis", "pg", "nginx", "loadgen")
# The idle stack, then the low-load runs in the order run.sh measures them:
# the last, at the highest low rate (the machine awake, queueing still
# small), is the calibration whose nginx log `capsim calibrate` reads.
LOW_LOAD = ("idle", "low-1", "low-2", "calibration")


def cpu_point(row, warmup_s):
    """(requests per second, {group: cores}) of one measured row over its CPU
    window. The load generator's CPU covers its own run (warm-up and
    measurement)."""
    window = float(row["cpu_window_s"])
    run_s = float(row["duration_s"]) + (warmup_s if row["label"] != "idle" else 0.0)
    rate = float(row["offered_rate"]) * run_s / window
    cores = {group: float(row[f"{group}_cpu_s"]) / window for group in GROUPS if group != "loadgen"}
    cores["loadgen"] = float(row["loadgen_cpu_s"]) / run_s if run_s > 0 and row["label"] != "idle" else 0.0
    return rate, cores


def cpu_fit(work_or_csv, warmup_s):
    """The stack's CPU from the idle and low-load runs only, per group:
    {group: (idle cores, CPU seconds per request, intercept cores)}: the
    least-squares line through the low rates (cores = intercept + slope x
    rate; three rates spanning 4x pin the slope about three times better
    than two spanning 2x). The slope is a request's marginal CPU; the
    intercept is what the stack spends once it serves at all, beyond the
    idle stack's housekeeping (the load generator's and the application's
    threads kept awake, PostgreSQL's and Redis's active cycles). Nothing
    from the higher rates enters the fit."""
    by_label = {row["label"]: row for row in rows(measured_path(work_or_csv)) if row["label"] in LOW_LOAD}
    if set(by_label) != set(LOW_LOAD):
        raise SystemExit(f"stack.py: the CPU fit needs the rows {', '.join(LOW_LOAD)}")
    _, idle = cpu_point(by_label["idle"], warmup_s)
    points = [cpu_point(by_label[label], warmup_s) for label in LOW_LOAD[1:]]
    x_mean = sum(x for x, _ in points) / len(points)
    sxx = sum((x - x_mean) ** 2 for x, _ in points)
    fit = {}
    for group in GROUPS:
        y_mean = sum(y[group] for _, y in points) / len(points)
        slope = sum((x - x_mean) * (y[group] - y_mean) for x, y in points) / sxx
        slope = max(slope, 0.0)
        fit[group] = (idle[group], slope, y_mean - slope * x_mean)
    return fit


def background_cores(fit):
    """The cores the stack keeps busy whatever the rate, beside each
    request's own CPU: each group's fitted intercept, or its idle CPU where
    that is more (a line cannot fall below the idle stack). The model takes
    the low-load line as it is, both terms: the run of 2026-12-07 03:31 left
    the intercept out, as CPU of light load only, and under-counted the
    CPU of every higher rate by 0.17-0.22 cores."""
    return sum(max(idle, intercept) for idle, _, intercept in fit.values())


def cpu_fit_residuals(work_or_csv, warmup_s, fit):
    """{group: the largest distance, in cores, of a low-load run from its
    fitted line}: how straight the low-load CPU is."""
    by_label = {row["label"]: row for row in rows(measured_path(work_or_csv)) if row["label"] in LOW_LOAD[1:]}
    points = [cpu_point(by_label[label], warmup_s) for label in LOW_LOAD[1:]]
    return {
        group: max(abs(y[group] - (fit[group][2] + fit[group][1] * x)) for x, y in points)
        for group in GROUPS
    }


def rates(measured, cores, count):
    warmup = float(os.environ.get("WARM_S", "10"))
    fit = cpu_fit(measured, warmup)
    background = background_cores(fit)
    per_request = sum(c for _, c, _ in fit.values())
    capacity = (int(cores) - background) / per_request
    fractions = {5: [0.25, 0.5, 0.75, 0.95, 1.15], 7: [0.2, 0.4, 0.6, 0.75, 0.9, 1.0, 1.15]}[int(count)]
    print(" ".join(str(max(10, int(round(capacity * f / 10.0)) * 10)) for f in fractions))


def fill(keys, zipf, count):
    """RESP `SET item:<key> <96 bytes>` for `count` Zipf-drawn keys (key 0
    the most popular, as the load generator draws them), for redis-cli --pipe."""
    import bisect
    import random
    n, s = int(keys), float(zipf)
    weights = [1.0 / (rank ** s) for rank in range(1, n + 1)]
    cdf, total = [], 0.0
    for weight in weights:
        total += weight
        cdf.append(total)
    rng = random.Random(7)
    value = "v" * 96
    out = sys.stdout
    for _ in range(int(count)):
        key = min(bisect.bisect_left(cdf, rng.random() * total), n - 1)
        name = f"item:{key}"
        out.write(f"*3\r\n$3\r\nSET\r\n${len(name)}\r\n{name}\r\n$96\r\n{value}\r\n")


def inline(value):
    """A TOML value from what tomllib read."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {inline(item)}" for key, item in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(inline(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def dist_mean_ms(dist):
    """The mean, in ms, of a service distribution `capsim calibrate` wrote."""
    if "samples" in dist:
        # capsim draws from the piecewise-linear empirical quantile function:
        # the mean of each segment's midpoint (scenario::dist).
        unit = {"ms": 1.0, "us": 1e-3, "s": 1e3}[dist.get("unit", "ms")]
        values = sorted(dist["samples"])
        if len(values) == 1:
            return values[0] * unit
        pairs = zip(values, values[1:])
        return sum((a + b) / 2.0 for a, b in pairs) / (len(values) - 1) * unit
    text = dist.get("mean", dist.get("value"))
    return duration_ms(text)


def duration_ms(text):
    for suffix, factor in (("ms", 1.0), ("us", 1e-3), ("µs", 1e-3), ("ns", 1e-6), ("s", 1e3)):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    raise SystemExit(f"stack.py: cannot read the duration {text!r}")


def scaled(dist, factor):
    """The distribution with every value multiplied by `factor` (its shape,
    cv included, kept)."""
    out = dict(dist)
    if "samples" in out:
        out["samples"] = [round(value * factor, 6) for value in out["samples"]]
    for key in ("mean", "value"):
        if key in out:
            out[key] = f"{duration_ms(out[key]) * factor:.6f}ms"
    return out


def scenario(work, calibrated, cal, row, procs, threads, keys, zipf, fit):
    # Speed probe: µs for a fixed loop; a slower machine now than at the
    # calibration (more µs) runs everything proportionally slower. The
    # stack's background CPU (the low-load line's intercept, at least the
    # idle stack's) takes its share of the two cores: every component
    # computes at the remaining share's speed, an approximation of
    # processor sharing.
    background = background_cores(fit)
    warmup_s = float(os.environ.get("WARM_S", "10"))
    speed = float(cal["probe_us"]) / float(row["probe_us"]) * (2.0 - background) / 2.0
    app_ms = fit["app"][1] * 1000.0
    data_ms = (fit["redis"][1] + fit["pg"][1]) * 1000.0
    edge_ms = (fit["nginx"][1] + fit["loadgen"][1]) * 1000.0
    endpoints = calibrated["pool"]["app"]["endpoint"]
    mix = calibrated["workload"]["mix"]

    def kind(name):
        return "write" if "write" in name or "post" in name.lower() else "read"

    classes = ",\n".join(
        f'  {{ class = "{c["class"]}", weight = {c.get("weight", 1)}, call = "edge/{c["call"].split("/")[1]}", key = "items" }}'
        for c in mix
    )
    text = f"""# Generated by validation/real-stack/stack.py for offered rate {row['offered_rate']}/s.
# CPU per request fitted through the idle and low-load runs: application
# {app_ms:.4f} ms, Redis and PostgreSQL {data_ms:.4f} ms, nginx and the load
# generator {edge_ms:.4f} ms; background {background:.4f} cores.
[scenario]
name = "real stack {row['label']}"
seed = 1
# As the load generator ran: its warm-up from an idle stack, then the
# measured seconds (an overloaded run's backlog grows only for as long).
duration = "{warmup_s + float(row['duration_s']):g}s"
warmup = "{warmup_s:g}s"
window = "10s"

[workload]
arrivals = {{ kind = "open", rate = "{row['offered_rate']}/s", users = 10000 }}
timeout = "10s"
mix = [
{classes},
]

# One machine: every process computes on its 2 cores, shared equally by
# the frames computing at once, as the kernel time-slices its threads.
[host.box]
cores = 2
discipline = "processor_sharing"

# The CPU speed probe beside this measurement, against the calibration's,
# times the share of the cores the background leaves.
[size.cpu]
cores = 2
speed = {speed:.4f}

# nginx, the kernel's loopback and the load generator: their CPU per request.
[pool.edge]
workers = 100000
host = "box"
size = "cpu"
"""
    for name in endpoints:
        text += f"""
[pool.edge.endpoint.{name}]
service = {{ dist = "exp", mean = "{max(edge_ms, 0.001):.4f}ms" }}
steps = [{{ call = "app/{name}" }}]
"""
    text += f"""
# {procs} processes x {threads} threads, each thread one request at a time.
[pool.app]
workers = {procs * threads}
host = "box"
size = "cpu"
"""
    for name, endpoint in endpoints.items():
        service = endpoint["service"]
        upstream_ms = dist_mean_ms(service)
        step = "write" if kind(name) == "write" else "read"
        wait_ms = max(upstream_ms - app_ms - data_ms, 0.0)
        text += f"""
[pool.app.endpoint.{name}]
# The upstream time calibrated from the nginx log (mean {upstream_ms:.4f} ms) split in
# three: the application's CPU, Redis's and PostgreSQL's CPU (on the same
# cores, the worker waiting), and the rest as a wait that holds the worker
# but no core (loopback round trips, wake-ups): the calibrated distribution
# scaled to the remaining mean {wait_ms:.4f} ms.
service = {{ dist = "const", value = "{app_ms:.4f}ms" }}
steps = [
  {{ {step} = "db", cache = "cache" }},
  {{ compute = {{ dist = "exp", mean = "{max(data_ms, 0.0001):.4f}ms" }} }},
  {{ delay = {inline(scaled(service, wait_ms / upstream_ms))} }},
]
"""
    text += f"""
[keyspace.items]
keys = {keys}
popularity = {{ zipf = {zipf} }}

# PostgreSQL's and Redis's CPU is the compute step above; these components
# are here for the cache's content (LRU, as Redis's allkeys-lru).
[database.db]
keyspace = "items"
connections = 100000
read_cpu = "0s"
read = "0s"
write_cpu = "0s"
write = "0s"

[cache.cache]
keyspace = "items"
capacity = {max(1, int(float(cal['redis_keys'])))}
eviction = "lru"
write_policy = "invalidate"
cpu = "0s"
latency = "0s"
warm = true
"""
    path = os.path.join(work, f"scenario-{row['label']}.toml")
    with open(path, "w") as handle:
        handle.write(text)
    return path


def summary(path):
    values = {}
    for row in rows(path):
        values[(row["scope"], row["metric"])] = float(row["value"]) if row["value"] else float("nan")
    return values


def predict(work, capsim, replications, procs, threads, keys, zipf, write_share):
    with open(os.path.join(work, "calibrated.toml"), "rb") as handle:
        calibrated = tomllib.load(handle)
    cal = calibration(work)
    warmup = float(os.environ.get("WARM_S", "10"))
    fit = cpu_fit(work, warmup)
    residuals = cpu_fit_residuals(work, warmup, fit)
    with open(os.path.join(work, "cpu-fit.csv"), "w") as handle:
        handle.write("group,background_cores,cpu_ms_per_request,intercept_cores,max_residual_cores\n")
        for group, (background, per_request, intercept) in fit.items():
            handle.write(
                f"{group},{background:.5f},{per_request * 1000.0:.5f},{intercept:.5f},{residuals[group]:.5f}\n"
            )
    out_rows = []
    for row in rows(os.path.join(work, "measured.csv")):
        if row["label"] == "idle":
            continue
        path = scenario(work, calibrated, cal, row, int(procs), int(threads), int(keys), zipf, fit)
        out = os.path.join(work, f"out-{row['label']}")
        # Independent replications of the measured run's length: their mean
        # is the prediction (summary.csv's `value`).
        subprocess.run([capsim, "run", path, "-o", out, "--force", "--replications", str(replications)], check=False,
                       stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, f"capsim-{row['label']}.err"), "w"))
        s = summary(os.path.join(out, "summary.csv"))
        out_rows.append({
            "label": row["label"],
            "throughput": s.get(("overall", "throughput_rps")),
            "mean_ms": s.get(("overall", "latency_mean_ms")),
            "p50_ms": s.get(("overall", "latency_p50_ms")),
            "p99_ms": s.get(("overall", "latency_p99_ms")),
            "hit_ratio": s.get(("cache", "hit_ratio")),
            "cpu_utilization": s.get(("app", "cpu_utilization"), 0) + s.get(("edge", "cpu_utilization"), 0),
            "speed": float(cal["probe_us"]) / float(row["probe_us"]),
        })
    with open(os.path.join(work, "predictions.csv"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(out_rows[0]))
        writer.writeheader()
        writer.writerows(out_rows)


def pct(predicted, measured):
    if not measured or predicted != predicted or measured != measured:
        return "—"
    return f"{(predicted - measured) / measured * 100:+.0f} %"


def number(row, key):
    return float(row[key]) if row.get(key) not in (None, "", "None") else float("nan")


def verdicts(measured, predicted):
    """Issue 21's three bars, computed from the table's rows: the predicted
    rates (not the low-load runs the model is fitted on)."""
    rated = [label for label in measured if label not in LOW_LOAD]
    out = []
    below = [label for label in rated if number(predicted[label], "cpu_utilization") < 0.7]
    errors = {label: (number(predicted[label], "mean_ms") - number(measured[label], "mean_ms"))
              / number(measured[label], "mean_ms") for label in below}
    met = bool(errors) and all(abs(e) <= 0.15 for e in errors.values())
    out.append(
        f"- Mean latency within 15 % below 70 % utilization (capsim's), {len(below)} predicted rates: "
        + ("**met**" if met else "**missed**")
        + " (" + ", ".join(f"{measured[l]['offered_rate']}/s {e * 100:+.0f} %" for l, e in errors.items()) + ")."
    )
    served = max(number(measured[l], "throughput") for l in rated) if rated else float("nan")
    capsim_served = max(number(predicted[l], "throughput") for l in rated) if rated else float("nan")
    error = (capsim_served - served) / served
    out.append(
        f"- Saturation throughput within 15 %: " + ("**met**" if abs(error) <= 0.15 else "**missed**")
        + f" (the most served: {served:.0f}/s measured, {capsim_served:.0f}/s by capsim, {error * 100:+.0f} %)."
    )
    gaps = {l: number(predicted[l], "hit_ratio") - number(measured[l], "hit_ratio") for l in rated}
    worst_gap = max(gaps.values(), key=abs) if gaps else float("nan")
    out.append(
        "- Redis hit ratio within 0.03 of capsim's LRU: "
        + ("**met**" if gaps and all(abs(g) <= 0.03 for g in gaps.values()) else "**missed**")
        + f" (the largest gap {worst_gap:+.3f})."
    )
    return out


def results(work, path, short):
    warmup = float(os.environ.get("WARM_S", "10"))
    all_rows = rows(os.path.join(work, "measured.csv"))
    measured = {row["label"]: row for row in all_rows if row["label"] != "idle"}
    predicted = {row["label"]: row for row in rows(os.path.join(work, "predictions.csv"))}
    fit = cpu_fit(work, warmup)
    intercept = sum(i for _, _, i in fit.values())
    idle = sum(b for b, _, _ in fit.values())
    background = background_cores(fit)
    per_request = sum(c for _, c, _ in fit.values()) * 1000.0
    names = {"app": "application", "redis": "Redis", "pg": "PostgreSQL", "nginx": "nginx", "loadgen": "load generator"}
    lines = [
        f"CPU from the idle stack and the {len(LOW_LOAD) - 1} low-load runs only: "
        + f"{per_request:.3f} ms per request "
        + "(" + ", ".join(f"{names[g]} {c * 1000.0:.3f}" for g, (_, c, _) in fit.items()) + "), "
        + f"the slope of the least-squares line through the low rates; its intercept {intercept:.3f} cores "
        + f"(the idle stack {idle:.3f}); {background:.3f} cores of background modelled "
        + "(each group's intercept, at least its idle CPU).",
        "",
    ]
    lines += verdicts(measured, predicted)
    lines += [
        "",
        "| run | offered /s | util. (capsim) | throughput meas. / pred. | mean ms meas. / pred. (err) "
        "| p50 ms meas. / pred. | p99 ms meas. / pred. (err) | hit ratio meas. / pred. | errors "
        "| CPU ms/req meas. / fit | speed | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, m in measured.items():
        p = predicted[label]
        f = lambda key, row: float(row[key]) if row[key] not in ("", "None") else float("nan")
        rate, cores = cpu_point(m, warmup)
        cpu_meas = sum(cores.values()) / rate * 1000.0
        cpu_fitted = (background / rate) * 1000.0 + per_request
        lines.append(
            f"| {label} | {m['offered_rate']} | {f('cpu_utilization', p):.2f} "
            f"| {f('throughput', m):.1f} / {f('throughput', p):.1f} "
            f"| {f('mean_ms', m):.2f} / {f('mean_ms', p):.2f} ({pct(f('mean_ms', p), f('mean_ms', m))}) "
            f"| {f('p50_ms', m):.2f} / {f('p50_ms', p):.2f} "
            f"| {f('p99_ms', m):.2f} / {f('p99_ms', p):.2f} ({pct(f('p99_ms', p), f('p99_ms', m))}) "
            f"| {f('hit_ratio', m):.3f} / {f('hit_ratio', p):.3f} | {m['errors']} "
            f"| {cpu_meas:.2f} / {cpu_fitted:.2f} | {f('speed', p):.2f} | {m['loadavg']} |"
        )
    table = "\n".join(lines) + "\n"
    with open(os.path.join(work, "table.md"), "w") as handle:
        handle.write(table)
    marker_start, marker_end = "<!-- table -->", "<!-- /table -->"
    with open(path) as handle:
        text = handle.read()
    before, rest = text.split(marker_start, 1)
    _, after = rest.split(marker_end, 1)
    note = ("_Functional check with short durations (SHORT=1), not a measurement._\n\n" if short == "1" else "")
    with open(path, "w") as handle:
        handle.write(f"{before}{marker_start}\n{note}{table}{marker_end}{after}")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"fill": fill, "rates": rates, "predict": predict, "results": results}[command](*args)
