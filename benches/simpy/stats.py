"""Shared by the SimPy models: seeds, batch means, the JSON they print."""

import json
import math
import sys
import time


def batch_means(completions, warmup_s, window_s, duration_s):
    """Mean and standard error of response times by batch means.

    `completions` holds (completion time, response time) pairs. Batches are
    the windows of `window_s` after warm-up, like capsim's time series; the
    standard error is that of the batch means' mean (the batches of these
    runs, hundreds of service times long, are close to independent).
    """
    batches = int(round((duration_s - warmup_s) / window_s))
    sums = [0.0] * batches
    counts = [0] * batches
    for done, response in completions:
        if done < warmup_s or done >= duration_s:
            continue
        index = min(int((done - warmup_s) / window_s), batches - 1)
        sums[index] += response
        counts[index] += 1
    means = [s / c for s, c in zip(sums, counts) if c > 0]
    total = sum(counts)
    mean = sum(sums) / total
    spread = sum((m - sum(means) / len(means)) ** 2 for m in means) / (len(means) - 1)
    return mean, math.sqrt(spread / len(means)), total


def report(name, completions, warmup_s, window_s, duration_s, cpu_s, extra=None):
    mean_s, se_s, requests = batch_means(completions, warmup_s, window_s, duration_s)
    result = {
        "model": name,
        "requests": requests,
        "cpu_s": cpu_s,
        "response_mean_ms": mean_s * 1e3,
        "response_se_ms": se_s * 1e3,
    }
    result.update(extra or {})
    json.dump(result, sys.stdout)
    print()


def cpu_seconds():
    return time.process_time()
