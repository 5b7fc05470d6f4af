"""M/M/8 at rho = 0.9 in SimPy: the model of benches/simpy/mmc.toml.

Poisson arrivals at 7200/s, exponential service with mean 1 ms, 8 servers
(a simpy.Resource, FIFO). Written the way the SimPy documentation writes
queueing models: a source process, one process per customer. Prints one
JSON line (see stats.py). Usage: python mmc.py [duration_s] [seed]
"""

import random
import sys

import simpy

from stats import cpu_seconds, report

RATE = 7200.0
SERVICE_MEAN_S = 0.001
SERVERS = 8
WARMUP_S = 10.0
WINDOW_S = 10.0


def customer(env, server, rng, completions, waits):
    arrived = env.now
    with server.request() as request:
        yield request
        waits.append(env.now - arrived)
        yield env.timeout(rng.expovariate(1.0 / SERVICE_MEAN_S))
    completions.append((env.now, env.now - arrived))


def source(env, server, rng, completions, waits):
    while True:
        yield env.timeout(rng.expovariate(RATE))
        env.process(customer(env, server, rng, completions, waits))


def main():
    duration_s = float(sys.argv[1]) if len(sys.argv) > 1 else 200.0
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rng = random.Random(seed)
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=SERVERS)
    completions, waits = [], []
    env.process(source(env, server, rng, completions, waits))
    start = cpu_seconds()
    env.run(until=duration_s)
    cpu_s = cpu_seconds() - start
    report("mmc", completions, WARMUP_S, WINDOW_S, duration_s, cpu_s)


if __name__ == "__main__":
    main()
