"""The load balancer / cache / database model in SimPy: the model of
benches/simpy/lb_cache_db.toml.

900 requests/s (Poisson) go round robin to 4 servers of 4 workers each
(simpy.Resource); a worker serves for an exponential 3 ms, then looks the
request up in a cache for 0.2 ms; 20 % miss and query a database pool of 16
workers (exponential 5 ms) while still holding the web worker
(thread-per-request). Prints one JSON line (see stats.py).
Usage: python lb_cache_db.py [duration_s] [seed]
"""

import itertools
import random
import sys

import simpy

from stats import cpu_seconds, report

RATE = 900.0
WEB_SERVERS = 4
WEB_WORKERS = 4
WEB_MEAN_S = 0.003
CACHE_S = 0.0002
MISS_PROBABILITY = 0.2
DB_WORKERS = 16
DB_MEAN_S = 0.005
WARMUP_S = 10.0
WINDOW_S = 10.0


def request(env, web, db, rng, completions):
    arrived = env.now
    with web.request() as worker:
        yield worker
        yield env.timeout(rng.expovariate(1.0 / WEB_MEAN_S))
        yield env.timeout(CACHE_S)
        if rng.random() < MISS_PROBABILITY:
            with db.request() as connection:
                yield connection
                yield env.timeout(rng.expovariate(1.0 / DB_MEAN_S))
    completions.append((env.now, env.now - arrived))


def source(env, servers, db, rng, completions):
    round_robin = itertools.cycle(servers)
    while True:
        yield env.timeout(rng.expovariate(RATE))
        env.process(request(env, next(round_robin), db, rng, completions))


def main():
    duration_s = float(sys.argv[1]) if len(sys.argv) > 1 else 600.0
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = [simpy.Resource(env, capacity=WEB_WORKERS) for _ in range(WEB_SERVERS)]
    db = simpy.Resource(env, capacity=DB_WORKERS)
    completions = []
    env.process(source(env, servers, db, rng, completions))
    start = cpu_seconds()
    env.run(until=duration_s)
    cpu_s = cpu_seconds() - start
    report("lb_cache_db", completions, WARMUP_S, WINDOW_S, duration_s, cpu_s)


if __name__ == "__main__":
    main()
