//! A deterministic fuzzer over `[[faults]]`, run by `cargo test`.
//!
//! Each case appends one to three random fault entries to a scenario that has
//! a target of every kind — pools (one autoscaled, one behind a sticky
//! balancer with health checks, one consuming a queue), a sharded database
//! with replicas, failover and semi-sync, a cache cluster, two data centers
//! in two regions behind geoDNS, a CDN with named edges, a message queue —
//! mixing kinds (`kill`, `restore`, `slow`, `partition`, none or several),
//! targets (valid, out of range, unknown, malformed), and timings (`at`,
//! `for`, `mtbf`/`mttr`, in and past the run, zero, negative, huge), modes,
//! factors and additions. The contract: a case either fails to load with at
//! least one error, which renders (the CLI's exit 2), or loads and runs to its
//! end (or to its event budget) without a panic, conserving requests.
//!
//! The generator is seeded, so every run tries the same cases and a failure
//! prints the case that reproduces it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use capsim::engine::random::{Stream, stream};
use capsim::scenario::{Style, load_text};
use rand::RngExt;

use crate::support::{assert_conserved, capsim};

/// Cases per run: about two seconds in the test profile.
const CASES: usize = 1_500;
/// Events one loaded case may simulate.
const EVENT_BUDGET: u64 = 200_000;

/// Two seconds of traffic through a target of every kind.
const BASE: &str = r#"[scenario]
name = "fuzz faults"
duration = "2s"
window = "500ms"

[workload]
arrivals = { kind = "open", rate = "400/s", users = 500 }
timeout = "300ms"
retry = { retries = 1, backoff = "10ms" }
mix = [
  { class = "view", weight = 6, call = "www/view", key = "items" },
  { class = "update", weight = 2, call = "www/update", key = "items" },
  { class = "assets", weight = 2, call = "static" },
]

[network]
default = "200us"
client = "5ms"

[[network.link]]
between = ["us", "eu"]
latency = "20ms"

[region.us]
users = 0.5

[region.eu]
users = 0.5

[datacenter.dc-us]
region = "us"

[datacenter.dc-eu]
region = "eu"

[dns.www]
ttl = "200ms"
targets = ["lb-us", "lb-eu"]
health_check = { interval = "100ms", timeout = "20ms", unhealthy_threshold = 2, healthy_threshold = 1 }

[balancer.lb-us]
pool = "web-us"
datacenter = "dc-us"
health_check = { interval = "50ms", timeout = "10ms", unhealthy_threshold = 2, healthy_threshold = 1 }
sticky = true

[balancer.lb-eu]
pool = "web-eu"
datacenter = "dc-eu"
cores = 2
latency = "100us"
max_connections = 200

[pool.web-us]
instances = 3
workers = 8
datacenter = "dc-us"

[pool.web-us.endpoint.view]
service = "1ms"
steps = [{ read = "db", cache = "c" }]

[pool.web-us.endpoint.update]
service = "1ms"
steps = [{ write = "db", cache = "c" }, { enqueue = "jobs" }]

[pool.web-us.endpoint.asset]
service = "1ms"

[pool.web-eu]
workers = 8
datacenter = "dc-eu"

[pool.web-eu.autoscale]
min = 1
max = 3
target = 0.5
interval = "200ms"
cooldown = "200ms"

[pool.web-eu.endpoint.view]
service = "1ms"
steps = [{ read = "db", cache = "c" }]

[pool.web-eu.endpoint.update]
service = "1ms"
steps = [{ write = "db", cache = "c" }, { enqueue = "jobs" }]

[pool.workers]
instances = 2
workers = 2
datacenter = "dc-us"

[pool.workers.endpoint.thumb]
service = "5ms"

[queue.jobs]
consumer = "workers/thumb"
capacity = 100

[keyspace.items]
keys = 1000
popularity = { zipf = 0.9 }

[keyspace.objects]
keys = 500
value_size = "10KiB"

[database.db]
keyspace = "items"
replicas = 2
shards = 2
datacenter = "dc-us"
replica_datacenters = ["dc-eu"]
failover = { detection = "100ms", promotion = "50ms" }
replication = { mode = "semi_sync", acks = 1, semi_sync_timeout = "100ms" }

[cache.c]
keyspace = "items"
nodes = 3
capacity = 200

[cdn.static]
keyspace = "objects"
edges = ["us", "eu"]
capacity = "1MiB"
origin = "lb-us/asset"
detection = "100ms"
"#;

/// Targets that exist in `BASE`.
const TARGETS: &[&str] = &[
    "pool.web-us",
    "pool.web-us.instance[0]",
    "pool.web-us.instance[2]",
    "pool.web-eu",
    "pool.web-eu.instance[0]",
    "pool.web-eu.instance[2]",
    "pool.workers",
    "pool.workers.instance[1]",
    "database.db.primary",
    "database.db.replica[0]",
    "database.db.replica[1]",
    "database.db.shard[1].primary",
    "database.db.shard[1].replica[1]",
    "cache.c.node[0]",
    "cache.c.node[2]",
    "datacenter.dc-us",
    "datacenter.dc-eu",
    "cdn.static",
    "cdn.static.us",
    "cdn.static.edge[1]",
    "queue.jobs",
];

/// Targets that do not exist, are out of range or are not targets at all.
const BAD_TARGETS: &[&str] = &[
    "pool.web-us.instance[3]",
    "pool.web-eu.instance[3]",
    "pool.nope",
    "database.db.replica[2]",
    "database.db.shard[2].primary",
    "database.db",
    "cache.c.node[3]",
    "cache.c",
    "cdn.static.asia",
    "cdn.static.edge[2]",
    "queue.nope",
    "datacenter.nowhere",
    "balancer.lb-us",
    "pool.web-us.instance[99999999999]",
    "pool.web-us.instance[-1]",
    "",
    "pool..x",
];

const DATACENTERS: &[&str] = &["dc-us", "dc-eu", "nowhere"];

/// Times within the run, and ones that are not.
const ODD_TIMES: &[&str] = &["0s", "0ns", "1ns", "2s", "3s", "1d", "-1s", "1e18s", "5", "soon"];

const DISTS: &[&str] = &[
    "{ dist = \"exp\", mean = \"300ms\" }",
    "{ dist = \"uniform\", min = \"10ms\", max = \"400ms\" }",
    "\"150ms\"",
    "\"1ns\"",
    "\"0s\"",
    "{ dist = \"exp\", mean = \"-1s\" }",
];

struct Generator {
    rng: Stream,
}

impl Generator {
    fn below(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n)
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// A time, usually inside the run.
    fn time(&mut self) -> String {
        if self.chance(94) {
            format!("\"{}ms\"", self.below(2_200))
        } else {
            let odd = self.pick(ODD_TIMES);
            if odd.parse::<f64>().is_ok() {
                odd.to_owned()
            } else {
                format!("\"{odd}\"")
            }
        }
    }

    fn target(&mut self) -> String {
        let target = if self.chance(93) {
            self.pick(TARGETS)
        } else {
            self.pick(BAD_TARGETS)
        };
        format!("\"{target}\"")
    }

    /// One `[[faults]]` entry.
    fn fault(&mut self) -> String {
        let mut keys: Vec<String> = Vec::new();
        let partition = self.chance(12);
        let mut restores = false;
        if partition {
            let a = if self.chance(90) {
                "dc-us"
            } else {
                self.pick(DATACENTERS)
            };
            let b = if self.chance(90) {
                "dc-eu"
            } else {
                self.pick(DATACENTERS)
            };
            let value = match self.below(10) {
                0 => format!("[\"{a}\"]"),
                1 => format!("\"{a}\""),
                _ => format!("[\"{a}\", \"{b}\"]"),
            };
            keys.push(format!("partition = {value}"));
        }
        // The action: usually one, sometimes none or two.
        let actions = match self.below(20) {
            0 => 0,
            1 => 2,
            _ if partition => 0,
            _ => 1,
        };
        for _ in 0..actions {
            let target = self.target();
            match self.below(10) {
                0..=4 => {
                    keys.push(format!("kill = {target}"));
                    if self.chance(40) {
                        let mode = self.pick(&["crash", "hang", "explode"]);
                        keys.push(format!("mode = \"{mode}\""));
                    }
                }
                5..=7 => {
                    keys.push(format!("restore = {target}"));
                    restores = true;
                }
                _ => {
                    keys.push(format!("slow = {target}"));
                    if self.chance(70) {
                        let factor = self.pick(&["2.0", "10", "1.0", "0.5", "0", "-1", "1e300"]);
                        keys.push(format!("factor = {factor}"));
                    }
                    if self.chance(50) {
                        let add = self.pick(&["\"5ms\"", "\"0s\"", "\"1h\"", "\"-1ms\""]);
                        keys.push(format!("add = {add}"));
                    }
                }
            }
        }
        // When: `at` (with or without `for`), or `mtbf` and `mttr`, or a mix.
        match self.below(10) {
            0..=6 => {
                keys.push(format!("at = {}", self.time()));
                if self.chance(if restores { 15 } else { 60 }) {
                    keys.push(format!("for = {}", self.time()));
                }
            }
            7 | 8 if !restores || self.chance(20) => {
                keys.push(format!("mtbf = {}", self.pick(DISTS)));
                if self.chance(90) {
                    keys.push(format!("mttr = {}", self.pick(DISTS)));
                }
            }
            7 | 8 => keys.push(format!("at = {}", self.time())),
            _ if self.chance(60) => keys.push(format!("at = {}", self.time())),
            _ => {
                if self.chance(50) {
                    keys.push(format!("for = {}", self.time()));
                }
                if self.chance(50) {
                    keys.push(format!("mttr = {}", self.pick(DISTS)));
                }
            }
        }
        // Shuffle the keys: their order must not matter.
        for index in (1..keys.len()).rev() {
            let other = self.below(index + 1);
            keys.swap(index, other);
        }
        format!("\n[[faults]]\n{}\n", keys.join("\n"))
    }
}

#[derive(Debug, Default)]
struct Tally {
    rejected: usize,
    ran: usize,
    stopped: usize,
    /// Cases rejected because a restore had `for`.
    restore_with_for_rejected: usize,
}

/// The contract on one case.
fn check(text: &str, tally: &mut Tally) {
    match load_text("faults.toml", text, &[], Path::new("."), "faults") {
        Err(error) => {
            tally.rejected += 1;
            let errors: Vec<_> = error.errors().collect();
            assert!(!errors.is_empty(), "a rejected scenario has an error");
            for diagnostic in &errors {
                assert!(!diagnostic.message.trim().is_empty(), "{diagnostic:?}");
            }
            if errors.iter().any(|d| d.message.contains("a restore cannot last")) {
                tally.restore_with_for_rejected += 1;
            }
            let rendered = error.render(Style::Plain);
            assert!(rendered.contains("error"), "{rendered}");
        }
        Ok(loaded) => {
            let mut scenario = loaded.scenario;
            scenario.limits.max_events = EVENT_BUDGET;
            match capsim::study::run(&scenario) {
                Ok(result) => {
                    tally.ran += 1;
                    assert_conserved(&result);
                }
                Err(_) => tally.stopped += 1,
            }
        }
    }
}

/// The text of case `case` of a seeded generator.
fn case_text(generator: &mut Generator) -> String {
    let mut text = BASE.to_owned();
    for _ in 0..1 + generator.below(3) {
        text.push_str(&generator.fault());
    }
    text
}

#[test]
fn random_faults_load_with_an_error_or_run_without_a_panic() {
    let mut generator = Generator {
        rng: stream(0x000f_a017, "tests.fuzz_faults"),
    };
    let mut tally = Tally::default();
    for case in 0..CASES {
        let text = case_text(&mut generator);
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&text, &mut tally)));
        if let Err(payload) = outcome {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            panic!(
                "case {case} broke the contract: {message}\n--- faults ---\n{}",
                &text[BASE.len()..]
            );
        }
    }
    println!("{tally:?}");
    // Both outcomes must be common, or the test checks little.
    assert!(tally.rejected > CASES / 10, "{tally:?}");
    assert!(tally.ran > CASES / 4, "{tally:?}");
    assert!(tally.restore_with_for_rejected > 0, "{tally:?}");
}

/// The same generator through the binary: a rejected case exits 2 with its
/// errors on stderr, an accepted one runs (exit 0); never 101.
#[test]
fn random_faults_through_the_cli_exit_0_or_2() {
    let mut generator = Generator {
        rng: stream(0x000f_a017, "tests.fuzz_faults.cli"),
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut rejected, mut accepted) = (0, 0);
    for case in 0..60 {
        if rejected >= 6 && accepted >= 3 {
            break;
        }
        let text = case_text(&mut generator);
        let loads = load_text("faults.toml", &text, &[], Path::new("."), "faults").is_ok();
        if (loads && accepted >= 3) || (!loads && rejected >= 6) {
            continue;
        }
        let path = dir.path().join(format!("case{case}.toml"));
        std::fs::write(&path, &text).expect("write case");
        let output = if loads {
            let out = dir.path().join(format!("out{case}"));
            capsim()
                .arg("run")
                .arg(&path)
                .arg("--out")
                .arg(&out)
                .arg("-q")
                .output()
        } else {
            capsim().arg("validate").arg(&path).output()
        }
        .expect("runs");
        let code = output.status.code();
        if loads {
            accepted += 1;
            assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&output.stderr));
        } else {
            rejected += 1;
            assert_eq!(code, Some(2), "{}", String::from_utf8_lossy(&output.stderr));
            assert!(String::from_utf8_lossy(&output.stderr).contains("error"));
        }
    }
    assert!(
        rejected >= 6 && accepted >= 3,
        "{rejected} rejected, {accepted} accepted"
    );
}
