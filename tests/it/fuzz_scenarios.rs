//! A deterministic fuzzer over scenario loading that runs in `cargo test`.
//!
//! Each case takes a shipped scenario and applies a few random mutations —
//! byte flips, deleted, duplicated and swapped lines, renamed keys, swapped
//! values, extreme numbers (1e18, -1, 0, NaN, inf, 2^64), huge durations,
//! steps nested past the limit, junk characters, truncation, components
//! renamed to another's name, odd `--set` overrides — then checks the
//! loader's contract: it never panics or hangs (a case that runs for 30 s
//! fails the test), a rejected scenario has at least one error and every
//! error has a message (and renders), and a scenario that loads can be
//! estimated, written back as TOML and loaded back equal, and simulated for
//! one short window (with a small event budget) while conserving requests.
//!
//! A second generator (`overload_case`) writes systems under 1.5 to 20 times
//! the load they can serve, with client timeouts, retries and small limits,
//! and checks that each run ends — at a limit with its error, never with a
//! panic, an abort or a hang — with the calls it holds bounded.
//!
//! The generators are seeded, so every run tries the same cases and a failure
//! names the case that reproduces it. The open-ended search is the cargo-fuzz
//! targets in `fuzz/`; this is the part that guards every commit.
//!
//! File references (absolute paths, `../`, symlinks, FIFOs, devices, big
//! and binary files) have their own generator, `fuzz_files.rs`; faults with
//! `for`, `fuzz_faults.rs`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use capsim::engine::SimDuration;
use capsim::engine::random::{Stream, stream};
use capsim::scenario::{Loaded, Style, dump, load_text};
use rand::RngExt;

use crate::support::{root, shipped_scenarios};

/// Cases per run: about 8 s in the test profile on the 2-core machine.
const CASES: usize = 30_000;
/// Events one loaded case may simulate.
const EVENT_BUDGET: u64 = 20_000;

const EXTREME_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1e18",
    "1e300",
    "-1e18",
    "1e-300",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "4294967296",
    "0.0000000001",
    "1_000",
    "0x10",
    "",
];

const EXTREME_VALUES: &[&str] = &[
    "\"1e18s\"",
    "\"1e18d\"",
    "\"100000d\"",
    "\"-1ms\"",
    "\"0s\"",
    "\"0ns\"",
    "\"1ns\"",
    "\"NaN s\"",
    "\"inf/s\"",
    "\"1e18/s\"",
    "\"0/s\"",
    "\"-5/s\"",
    "\"200%\"",
    "\"-20%\"",
    "1e18",
    "-1",
    "0",
    "nan",
    "inf",
    "18446744073709551615",
    "\"\"",
    "\"x/y/z\"",
    "\"/\"",
    "[]",
    "{}",
    "true",
    "1979-05-27T07:32:00Z",
    "{ dist = \"exp\" }",
    "{ dist = \"exp\", mean = \"0s\" }",
    "{ dist = \"lognormal\", mean = \"1ms\", p99 = \"1s\" }",
    "{ dist = \"lognormal\", mean = \"1ms\", cv = 1e300 }",
    "{ dist = \"gamma\", mean = \"1ms\", cv = 1e-300 }",
    "{ dist = \"pareto\", mean = \"1ms\", alpha = 1 }",
    "{ dist = \"pareto\", min = \"1ms\", alpha = 1e-300 }",
    "{ dist = \"uniform\", min = \"5ms\", max = \"1ms\" }",
    "{ dist = \"normal\", mean = \"-1s\", sd = \"1ns\" }",
    "{ dist = \"empirical\", samples = [] }",
    "{ dist = \"empirical\", samples = [\"1e18d\", 0] }",
    "{ dist = \"empirical\", samples = [1e300], unit = \"s\" }",
    "{ dist = \"empirical\", samples = [1e-300, 0.5], unit = \"ns\" }",
    "{ dist = \"gamma\", mean = \"1ms\", cv = 1e300 }",
    "{ dist = \"lognormal\", mean = \"1ms\", cv = 1e-300 }",
    "{ dist = \"pareto\", min = \"1ms\", alpha = 1e300 }",
    "{ dist = \"empirical\", file = \"missing.csv\", unit = \"ms\" }",
    "{ dist = \"empirical\", file = \"/\", unit = \"ms\" }",
    "{ dist = \"empirical\", file = \"/proc/self/status\", unit = \"ms\" }",
    "{ kind = \"closed\", users = 100000000, think = \"1s\" }",
    "{ kind = \"open\", rate = \"1e9/s\" }",
    "{ retries = 100, backoff = \"0s\" }",
    "[{ at = \"1e18d\", rate = \"1/s\" }]",
    "[{ class = \"a\", call = \"www/nowhere\" }]",
    "[{ call = \"db\" }, { parallel = [] }, { probability = 2, steps = [] }]",
];

const KEYS: &[&str] = &[
    "duration",
    "warmup",
    "window",
    "seed",
    "rate",
    "users",
    "think",
    "mix",
    "timeout",
    "retry",
    "profile",
    "instances",
    "workers",
    "queue_capacity",
    "concurrency",
    "service",
    "steps",
    "connections",
    "read",
    "write",
    "target",
    "ttl",
    "resolve",
    "policy",
    "latency",
    "pool",
    "size",
    "cores",
    "speed",
    "default",
    "client",
    "max_in_flight",
    "max_calls_in_flight",
    "max_events",
    "max_events_per_instant",
    "weight",
    "call",
    "class",
    "attempts",
    "dist",
    "mean",
    "datacenter",
    "replica_datacenters",
    "targets",
    "region",
    "between",
    "partition",
];

const OVERRIDES: &[&str] = &[
    "scenario.duration=100000d",
    "scenario.duration=1e18s",
    "scenario.window=1ns",
    "scenario.window=1ms",
    "scenario.warmup=0s",
    "scenario.seed=18446744073709551615",
    "scenario.seed=-1",
    "workload.arrivals.rate=1e18/s",
    "workload.arrivals.rate=0/s",
    "workload.arrivals.users=0",
    "workload.mix[0].weight=-1",
    "workload.mix[9].weight=1",
    "workload.mix=[]",
    "workload.timeout=1ns",
    "workload.retry.retries=100",
    "pool.web.workers=0",
    "pool.web.instances=100001",
    "pool.web.queue_capacity=0",
    "pool.web.endpoint.nope.service=1ms",
    "database.db.connections=1",
    "limits.max_in_flight=1",
    "limits.max_events=1",
    "limits.max_calls_in_flight=1",
    "limits.max_events_per_instant=1",
    "nonsense",
    "=",
    "a.b.c.d.e.f=1",
    "pool..web=1",
    "workload.mix[18446744073709551615].weight=1",
    "size.\"m5.large\".cores=0",
    "region.us.users=0",
    "region.eu.users=1e308",
    "network.link=[]",
    "dns.www.targets=[]",
    "dns.www.targets=[\"lb-us\", \"lb-us\"]",
    "datacenter.dc-us.region=\"mars\"",
    "database.db.replica_datacenters=[\"dc-us\", \"dc-eu\", \"dc-us\"]",
    "faults=[{ partition = [\"dc-us\", \"dc-eu\"], at = \"1s\", for = \"1s\" }]",
    "faults=[{ kill = \"datacenter.dc-eu\", mtbf = \"1s\", mttr = \"1s\" }]",
];

/// One mutation of scenario text (and its `--set` overrides).
struct Mutator {
    rng: Stream,
}

impl Mutator {
    fn below(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n.max(1))
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// Applies one random mutation; returns its name for the failure report.
    fn mutate(&mut self, text: &mut String, overrides: &mut Vec<String>) -> &'static str {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let name = match self.below(14) {
            0 => {
                let mut bytes = std::mem::take(text).into_bytes();
                if !bytes.is_empty() {
                    let at = self.below(bytes.len());
                    bytes[at] ^= 1 << self.below(8);
                }
                *text = String::from_utf8_lossy(&bytes).into_owned();
                return "flip a bit";
            }
            1 if !lines.is_empty() => {
                let at = self.below(lines.len());
                lines.remove(at);
                "delete a line"
            }
            2 if !lines.is_empty() => {
                let at = self.below(lines.len());
                let line = lines[at].clone();
                lines.insert(self.below(lines.len() + 1), line);
                "duplicate a line"
            }
            3 if !lines.is_empty() => {
                let (a, b) = (self.below(lines.len()), self.below(lines.len()));
                lines.swap(a, b);
                "swap two lines"
            }
            4 => {
                self.rename_key(&mut lines);
                "rename a key"
            }
            5 => {
                let values: Vec<usize> = assignments(&lines);
                if values.len() >= 2 {
                    let a = values[self.below(values.len())];
                    let b = values[self.below(values.len())];
                    let value_a = value_of(&lines[a]).to_owned();
                    let value_b = value_of(&lines[b]).to_owned();
                    lines[a] = format!("{} = {value_b}", key_of(&lines[a]));
                    lines[b] = format!("{} = {value_a}", key_of(&lines[b]));
                }
                "swap two values"
            }
            6 => {
                self.extreme_number(&mut lines);
                "an extreme number"
            }
            7 => {
                let values = assignments(&lines);
                if !values.is_empty() {
                    let at = values[self.below(values.len())];
                    lines[at] = format!("{} = {}", key_of(&lines[at]), self.pick(EXTREME_VALUES));
                }
                "an extreme value"
            }
            8 => {
                let depth = 10 + self.below(30);
                lines.push(nested_steps(depth, self.below(2) == 0));
                "deeply nested steps"
            }
            9 => {
                let junk = self.pick(&[
                    "[", "]]", "\"", "=", "\0", "é", "\r\n", "#", "'''", "{", "\\u0000", "[[x]]",
                ]);
                let mut bytes = std::mem::take(text).into_bytes();
                let at = self.below(bytes.len() + 1);
                bytes.splice(at..at, junk.bytes());
                *text = String::from_utf8_lossy(&bytes).into_owned();
                return "insert junk";
            }
            10 => {
                let keep = self.below(text.len() + 1);
                let cut = (0..=keep)
                    .rev()
                    .find(|&at| text.is_char_boundary(at))
                    .unwrap_or(0);
                text.truncate(cut);
                return "truncate";
            }
            11 => {
                let value = self.pick(EXTREME_VALUES);
                let key = self.pick(KEYS);
                overrides.push(match self.below(3) {
                    0 => self.pick(OVERRIDES).to_owned(),
                    1 => format!("workload.{key}={value}"),
                    _ => format!(
                        "scenario.duration={}",
                        self.pick(&["\"1e18d\"", "\"100000d\"", "1ns"])
                    ),
                });
                return "an override";
            }
            12 => {
                self.rename_component(&mut lines);
                "rename a component"
            }
            _ => {
                let duration = self.pick(&["\"100000d\"", "\"1e18s\"", "\"213503d\"", "\"1ns\"", "\"584y\""]);
                let window = self.pick(&["\"1ns\"", "\"1ms\"", "\"10s\"", "\"1e18s\""]);
                lines.retain(|line| !line.starts_with("duration") && !line.starts_with("window"));
                let at = lines
                    .iter()
                    .position(|line| line.trim() == "[scenario]")
                    .map_or(0, |i| i + 1);
                lines.insert(at, format!("duration = {duration}"));
                lines.insert(at, format!("window = {window}"));
                "a huge duration"
            }
        };
        *text = lines.join("\n");
        name
    }

    /// Gives a component the name of another (`[dns.www]` → `[dns.lb]`), or
    /// adds a DNS name that reuses an existing name: names are shared across
    /// kinds, so either must be a diagnostic.
    fn rename_component(&mut self, lines: &mut [String]) {
        let headers: Vec<(usize, String)> = (0..lines.len())
            .filter_map(|i| {
                let inner = lines[i].trim().strip_prefix('[')?.strip_suffix(']')?;
                let (_, name) = inner.split_once('.')?;
                Some((i, name.split('.').next()?.to_owned()))
            })
            .collect();
        if headers.len() < 2 {
            return;
        }
        let (at, old) = headers[self.below(headers.len())].clone();
        let (_, new) = headers[self.below(headers.len())].clone();
        if self.below(2) == 0 {
            lines[at] = lines[at].replacen(&format!(".{old}"), &format!(".{new}"), 1);
        } else {
            // A DNS name that takes an existing name and points at one, at
            // the end (a table header mid-file would capture the keys below).
            let last = lines.len() - 1;
            lines[last].push_str(&format!("\n[dns.{old}]\ntarget = \"{new}\"\nttl = \"60s\""));
        }
    }

    fn rename_key(&mut self, lines: &mut [String]) {
        let values = assignments(lines);
        if values.is_empty() {
            return;
        }
        let at = values[self.below(values.len())];
        let key = key_of(&lines[at]).to_owned();
        let renamed = match self.below(3) {
            0 if key.len() > 1 => {
                let mut chars: Vec<char> = key.chars().collect();
                chars.remove(self.below(chars.len()));
                chars.into_iter().collect()
            }
            1 if key.len() > 1 => {
                let mut chars: Vec<char> = key.chars().collect();
                let i = self.below(chars.len() - 1);
                chars.swap(i, i + 1);
                chars.into_iter().collect()
            }
            _ => self.pick(KEYS).to_owned(),
        };
        lines[at] = format!("{renamed} = {}", value_of(&lines[at]));
    }

    fn extreme_number(&mut self, lines: &mut [String]) {
        let with_digits: Vec<usize> = (0..lines.len())
            .filter(|&i| {
                !lines[i].trim_start().starts_with('#') && lines[i].contains(|c: char| c.is_ascii_digit())
            })
            .collect();
        if with_digits.is_empty() {
            return;
        }
        let line = &mut lines[with_digits[self.below(with_digits.len())]];
        let runs: Vec<(usize, usize)> = digit_runs(line);
        let (start, end) = runs[self.below(runs.len())];
        let replacement = self.pick(EXTREME_NUMBERS);
        line.replace_range(start..end, replacement);
    }
}

/// Indices of lines that look like `key = value`.
fn assignments(lines: &[String]) -> Vec<usize> {
    (0..lines.len())
        .filter(|&i| {
            let line = lines[i].trim_start();
            !line.starts_with('#') && !line.starts_with('[') && line.contains(" = ")
        })
        .collect()
}

fn key_of(line: &str) -> &str {
    line.split_once(" = ").map_or(line, |(key, _)| key)
}

fn value_of(line: &str) -> &str {
    line.split_once(" = ").map_or("", |(_, value)| value)
}

/// Byte ranges of the numbers in `line` (digits with `.` and `e`).
fn digit_runs(line: &str) -> Vec<(usize, usize)> {
    let bytes = line.as_bytes();
    let mut runs = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at].is_ascii_digit() {
            let start = at;
            while at < bytes.len() && (bytes[at].is_ascii_digit() || matches!(bytes[at], b'.' | b'e' | b'_'))
            {
                at += 1;
            }
            runs.push((start, at));
        } else {
            at += 1;
        }
    }
    runs
}

/// An endpoint whose steps nest `depth` levels deep: past the loader's limit
/// when `depth` exceeds `scenario::bounds::MAX_STEP_DEPTH`.
fn nested_steps(depth: usize, parallel: bool) -> String {
    let mut step = "{ compute = \"1ms\" }".to_owned();
    for _ in 0..depth {
        step = if parallel {
            format!("{{ parallel = [[{step}], {{ delay = \"1ms\" }}] }}")
        } else {
            format!("{{ probability = 0.5, steps = [{step}] }}")
        };
    }
    format!(
        "\n[pool.fuzz_deep]\nworkers = 1\n[pool.fuzz_deep.endpoint.deep]\nservice = \"1ms\"\nsteps = [{step}]\n"
    )
}

/// How a case ended, for the tally that shows the fuzzer reached both paths.
#[derive(Default, Debug)]
struct Tally {
    rejected: usize,
    loaded: usize,
    simulated: usize,
}

/// The loader's contract on one input.
fn check(text: &str, overrides: &[String], tally: &mut Tally) {
    let base_dir = root().join("scenarios");
    match load_text("fuzz.toml", text, overrides, &base_dir, "fuzz") {
        Err(error) => {
            tally.rejected += 1;
            let errors: Vec<_> = error.errors().collect();
            assert!(!errors.is_empty(), "a rejected scenario has an error");
            for diagnostic in errors {
                assert!(
                    !diagnostic.message.trim().is_empty(),
                    "an error without a message: {diagnostic:?}"
                );
            }
            let rendered = error.render(Style::Plain);
            assert!(rendered.contains("error"), "{rendered}");
            error.render(Style::Color);
        }
        Ok(loaded) => {
            tally.loaded += 1;
            check_loaded(loaded, tally);
        }
    }
}

fn check_loaded(loaded: Loaded, tally: &mut Tally) {
    loaded.render_warnings(Style::Plain);
    capsim::study::feasibility::estimate(&loaded.scenario);
    let resolved = dump::to_toml(&loaded.scenario);
    let again = load_text("resolved.toml", &resolved, &[], &root(), "resolved")
        .unwrap_or_else(|error| panic!("the resolved scenario does not load:\n{error}\n{resolved}"));
    assert!(
        again.scenario == loaded.scenario,
        "the resolved scenario loads back different:\n{resolved}"
    );
    // Simulate one short window: long enough to reach every component,
    // short enough that a case costs milliseconds.
    let mut scenario = loaded.scenario;
    scenario.warmup = SimDuration::ZERO;
    scenario.window = scenario.window.min(SimDuration::from_millis(200));
    scenario.duration = scenario.window;
    scenario.limits.max_events = scenario.limits.max_events.min(EVENT_BUDGET);
    scenario.limits.max_in_flight = scenario.limits.max_in_flight.min(EVENT_BUDGET);
    if let Ok(result) = capsim::study::run(&scenario) {
        tally.simulated += 1;
        crate::support::assert_conserved(&result);
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
        (Some(message), _) => (*message).to_owned(),
        (_, Some(message)) => message.clone(),
        _ => "a panic without a message".to_owned(),
    }
}

/// How much CPU time one case may use before the test calls it a hang:
/// cases take milliseconds, so this only catches loops that never end. It
/// is CPU time of the worker thread, not wall time, so a machine loaded
/// with other work (CI running builds beside the tests) cannot trip it; a
/// wall-clock bound of 30 s did trip once at a load average of 8.
const HANG_LIMIT: Duration = Duration::from_secs(30);

/// Where there is no per-thread CPU clock (not Linux), the bound is on wall
/// time, this many times `HANG_LIMIT`.
const WALL_FACTOR: u32 = 4;

/// The CPU time the thread behind `/proc/<task>` has used.
fn thread_cpu(task: &std::path::Path) -> Option<Duration> {
    let text = std::fs::read_to_string(std::path::Path::new("/proc").join(task).join("schedstat")).ok()?;
    Some(Duration::from_nanos(
        text.split_whitespace().next()?.parse().ok()?,
    ))
}

#[test]
fn mutated_shipped_scenarios_get_a_diagnostic_or_load_and_run() {
    // The cases run on a worker thread that reports after each one, so a
    // case that never ends fails this test (naming the case) instead of
    // hanging `cargo test`; the stuck thread ends with the test process.
    let (progress, heartbeat) = mpsc::channel::<()>();
    let current = Arc::new(Mutex::new(String::new()));
    let (task_sender, task) = mpsc::channel();
    let worker = {
        let current = Arc::clone(&current);
        std::thread::spawn(move || {
            // "<pid>/task/<tid>", below /proc: this thread's own clock.
            let _ = task_sender.send(std::fs::read_link("/proc/thread-self").ok());
            fuzz_cases(&current, &progress)
        })
    };
    let task = task.recv().ok().flatten();
    let cpu = || task.as_deref().and_then(thread_cpu);
    // The clocks are read when a second passes without a case ending, not
    // after every case: the first such second starts the count.
    let (mut beat, mut since) = (false, (cpu(), std::time::Instant::now()));
    loop {
        match heartbeat.recv_timeout(Duration::from_secs(1)) {
            Ok(()) => beat = true,
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) if beat => {
                (beat, since) = (false, (cpu(), std::time::Instant::now()));
            }
            Err(RecvTimeoutError::Timeout) => {
                let hung = match (since.0, cpu()) {
                    (Some(then), Some(now)) => now.saturating_sub(then) > HANG_LIMIT,
                    _ => since.1.elapsed() > HANG_LIMIT * WALL_FACTOR,
                };
                assert!(
                    !hung,
                    "a case has used more than {HANG_LIMIT:?} of CPU time: the loader or the run hangs\n{}",
                    current.lock().expect("not poisoned")
                );
            }
        }
    }
    if let Err(payload) = worker.join() {
        std::panic::resume_unwind(payload);
    }
}

/// Runs every case, describing the current one in `current` and reporting
/// on `progress` after each.
fn fuzz_cases(current: &Mutex<String>, progress: &mpsc::Sender<()>) {
    let originals: Vec<String> = shipped_scenarios()
        .iter()
        .map(|path| std::fs::read_to_string(path).expect("shipped scenarios are readable"))
        .collect();
    let mut mutator = Mutator {
        rng: stream(0x00f0_22ed, "tests.fuzz_scenarios"),
    };
    let mut tally = Tally::default();
    // Triage: with CAPSIM_FUZZ_KEEP_GOING=1 every failing case is reported,
    // not just the first.
    let keep_going = std::env::var_os("CAPSIM_FUZZ_KEEP_GOING").is_some();
    let mut failures = Vec::new();
    for case in 0..CASES {
        let original = mutator.below(originals.len());
        let mut text = originals[original].clone();
        let mut overrides = Vec::new();
        let mutations: Vec<&str> = (0..1 + mutator.below(4))
            .map(|_| mutator.mutate(&mut text, &mut overrides))
            .collect();
        let description = format!(
            "case {case} ({}, mutations: {})\noverrides: {overrides:?}\n--- text ---\n{text}",
            shipped_scenarios()[original].display(),
            mutations.join(", "),
        );
        current.lock().expect("not poisoned").clone_from(&description);
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&text, &overrides, &mut tally)));
        if let Err(payload) = outcome {
            let report = format!(
                "broke the loader's contract: {}\n{description}",
                panic_message(&*payload)
            );
            if !keep_going {
                panic!("{report}");
            }
            failures.push(report);
        }
        progress.send(()).expect("the test thread waits");
    }
    for report in &failures {
        eprintln!("{report}\n");
    }
    assert!(
        failures.is_empty(),
        "{} cases broke the loader's contract",
        failures.len()
    );
    // Both paths must be exercised, or the test checks little.
    println!("{tally:?}");
    assert!(tally.rejected > CASES / 4, "{tally:?}");
    assert!(
        tally.loaded > CASES / 20 && tally.simulated > CASES / 20,
        "{tally:?}"
    );
}

#[test]
fn nested_steps_beyond_the_limit_are_a_diagnostic() {
    let limit = capsim::scenario::bounds::MAX_STEP_DEPTH;
    for parallel in [false, true] {
        let text = format!(
            "[scenario]\nduration = \"1s\"\n[workload]\narrivals = {{ kind = \"open\", rate = \"1/s\" }}\n\
             mix = [{{ class = \"a\", call = \"fuzz_deep/deep\" }}]\n{}",
            nested_steps(limit + 2, parallel)
        );
        let error = capsim::scenario::load_str(&text).expect_err("too deep");
        assert!(
            error.errors().any(|d| d.message.contains("deeper")),
            "{}",
            error.render(Style::Plain)
        );
    }
}

/// Cases of the overload generator: about 2 s in the test profile.
const OVERLOAD_CASES: usize = 128;
/// Events one overload case may simulate.
const EVENT_BUDGET_OVERLOAD: u64 = 400_000;

/// A generated system under more load than it can serve — 1.5 to 20 times
/// its capacity — with client timeouts (most cases), retries with any
/// backoff (down to none), bounded or unbounded queues, a database behind
/// and a balancer with `cores` in front or not, thread-per-request or async,
/// and windows from 1 s to the whole run; and now and then a closed loop
/// that takes no time. Small limits, so each case stops within a few
/// hundred thousand events.
fn overload_case(rng: &mut Stream) -> String {
    let mut pick = |items: &[&'static str]| items[rng.random_range(0..items.len())];
    let instances = 1 + pick(&["0", "1", "2"]).parse::<u32>().unwrap();
    let workers: u32 = pick(&["1", "4", "16", "64"]).parse().unwrap();
    let service_ms: f64 = pick(&["0.5", "2", "10", "50"]).parse().unwrap();
    let factor: f64 = pick(&["1.5", "3", "8", "20"]).parse().unwrap();
    let capacity = f64::from(instances * workers) / (service_ms / 1000.0);
    let rate = capacity * factor;
    let timeout = pick(&["", "1ms", "50ms", "500ms", "2s", "10s"]);
    let retry = pick(&[
        "",
        "{ retries = 2 }",
        "{ retries = 100, backoff = \"0s\" }",
        "{ retries = 100, backoff = \"1ms\", jitter = \"none\", multiplier = 1 }",
        "{ retries = 10, backoff = \"20ms\", jitter = \"equal\" }",
    ]);
    let queue_capacity = pick(&["", "1", "100", "10000"]);
    let concurrency = pick(&["thread_per_request", "thread_per_request", "async"]);
    let database = pick(&["", "", "1", "8"]);
    let balancer = pick(&["", "", "", "1", "64"]);
    let think = pick(&["", "", "", "", "0s", "1ms"]);
    let (duration, window) = match pick(&["1s", "10s", "1m", "whole"]) {
        "whole" => ("1h", "1h"),
        window => (pick(&["10m", "1h", "2h"]), window),
    };
    let max_calls = pick(&["500", "5000", "20000"]);
    let max_in_flight = pick(&["500", "5000", "20000"]);
    let per_instant = pick(&["1000", "100000"]);
    let mut network = pick(&["\"0s\"", "\"100us\"", "{ dist = \"exp\", mean = \"1ms\" }"]);
    // One case in eight is a closed loop that takes no time at all: zero
    // think, network and service times, so the clock cannot move.
    let zero_time = pick(&["", "", "", "", "", "", "", "zero"]) == "zero";
    let (think, database, balancer) = if zero_time {
        network = "\"0s\"";
        ("0s", "", "")
    } else {
        (think, database, balancer)
    };

    let mut text = format!(
        "[scenario]\nduration = \"{duration}\"\nwindow = \"{window}\"\n[limits]\nmax_events = 1e18\n\
         max_calls_in_flight = {max_calls}\nmax_in_flight = {max_in_flight}\nmax_events_per_instant = {per_instant}\n\
         [network]\ndefault = {network}\nclient = {network}\n[workload]\n"
    );
    let entry = if balancer.is_empty() { "web" } else { "lb" };
    if think.is_empty() {
        text.push_str(&format!(
            "arrivals = {{ kind = \"open\", rate = \"{rate}/s\" }}\n"
        ));
    } else {
        // A closed population sized to the load; with zero think time and
        // zero latencies it loops without the clock moving.
        let users = (rate * 0.1).ceil().min(100_000.0);
        text.push_str(&format!(
            "arrivals = {{ kind = \"closed\", users = {users}, think = \"{think}\" }}\n"
        ));
    }
    text.push_str(&format!("mix = [{{ class = \"q\", call = \"{entry}/q\" }}]\n"));
    if !timeout.is_empty() {
        text.push_str(&format!("timeout = \"{timeout}\"\n"));
    }
    if !retry.is_empty() {
        text.push_str(&format!("retry = {retry}\n"));
    }
    if !balancer.is_empty() {
        text.push_str(&format!(
            "[balancer.lb]\npool = \"web\"\nlatency = \"{}ms\"\ncores = {balancer}\n",
            service_ms / 4.0
        ));
    }
    text.push_str(&format!(
        "[pool.web]\ninstances = {instances}\nworkers = {workers}\nconcurrency = \"{concurrency}\"\n"
    ));
    if !queue_capacity.is_empty() {
        text.push_str(&format!("queue_capacity = {queue_capacity}\n"));
    }
    if zero_time {
        text.push_str("[pool.web.endpoint.q]\nservice = \"0s\"\n");
    } else {
        text.push_str(&format!(
            "[pool.web.endpoint.q]\nservice = {{ dist = \"exp\", mean = \"{service_ms}ms\" }}\n"
        ));
    }
    if !database.is_empty() {
        text.push_str(&format!(
            "steps = [{{ read = \"db\" }}]\n[database.db]\nconnections = {database}\n\
             read = {{ dist = \"exp\", mean = \"{}ms\" }}\n",
            service_ms * 2.0
        ));
    }
    text
}

/// Overload with client timeouts and retries must end — at a limit, with
/// a clear error, or at the end of the run — never with a panic, an abort
/// or a hang; a stop at the call limit holds no more calls than the limit
/// plus what one slice of events (`CHECK_EVERY`) can add, so memory stays
/// bounded whatever the load.
#[test]
fn overload_with_timeouts_and_retries_ends_cleanly_with_bounded_memory() {
    use capsim::study::CHECK_EVERY;
    use capsim::study::RunError;
    let mut rng = stream(0x0ead_1022, "tests.fuzz_scenarios.overload");
    let mut outcomes = std::collections::BTreeMap::<&str, usize>::new();
    for case in 0..OVERLOAD_CASES {
        let text = overload_case(&mut rng);
        let mut scenario = match capsim::scenario::load_str(&text) {
            Ok(loaded) => loaded.scenario,
            Err(error) => panic!(
                "case {case} does not load:\n{}\n{text}",
                error.render(Style::Plain)
            ),
        };
        // Set after loading: the loader refuses a budget the arrivals alone
        // exceed (so the text raises it), and these runs are hours long so
        // that they end at a limit.
        scenario.limits.max_events = EVENT_BUDGET_OVERLOAD;
        let outcome = catch_unwind(AssertUnwindSafe(|| capsim::study::run(&scenario)))
            .unwrap_or_else(|payload| panic!("case {case} panicked: {}\n{text}", panic_message(&*payload)));
        let name = match outcome {
            Ok(result) => {
                crate::support::assert_conserved(&result);
                "finished"
            }
            Err(RunError::CallLimit {
                limit,
                calls,
                overload,
                ..
            }) => {
                // A call is a frame; one event makes a bounded few.
                assert!(
                    calls <= limit + 4 * CHECK_EVERY,
                    "case {case}: {calls} calls at a limit of {limit}\n{text}"
                );
                assert!(overload.is_some(), "case {case}: no station named\n{text}");
                "call limit"
            }
            Err(RunError::InFlightLimit { limit, .. }) => {
                assert_eq!(limit, scenario.limits.max_in_flight);
                "in-flight limit"
            }
            Err(RunError::EventLimit { .. }) => "event limit",
            Err(RunError::ClockStopped { events, .. }) => {
                assert!(events > scenario.limits.max_events_per_instant);
                "clock stopped"
            }
            Err(error) => panic!("case {case}: an unexpected stop: {error}\n{text}"),
        };
        *outcomes.entry(name).or_default() += 1;
    }
    println!("{outcomes:?}");
    // The generator reaches each way a run under overload ends.
    for name in ["call limit", "in-flight limit", "clock stopped", "event limit"] {
        assert!(
            outcomes.get(name).is_some_and(|&n| n > 0),
            "no `{name}`: {outcomes:?}"
        );
    }
}
