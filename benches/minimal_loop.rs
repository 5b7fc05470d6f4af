//! capsim's engine against a minimal hand-written event loop, side by side.
//!
//! The model is M/M/8 at ρ = 0.9: Poisson arrivals at 7200/s, exponential
//! service with mean 1 ms, 8 servers, FIFO. The minimal loop is the fastest
//! honest way to simulate it in Rust: a `BinaryHeap<Reverse<(time, seq,
//! event)>>` of two event kinds, a `VecDeque` of waiting arrival times, and
//! the same generator and exponential sampler as capsim (PCG-64 MCG streams,
//! `rand_distr`'s ziggurat `Exp1`), so the gap is the engine, not the random
//! numbers. capsim runs the same model from a scenario through
//! `capsim::study::run` (loading excluded): arrivals, worker admission, the
//! step program, per-window metrics and latency histograms included.
//!
//! Both count two events per request (arrival, departure). Each round times
//! one run of each, alternating, by the thread's CPU time
//! (`/proc/thread-self/schedstat`, nanoseconds; wall time if that file is
//! missing, which is then said). The report is the median of the rounds and
//! the ratio of capsim's events per CPU-second to the loop's; the target is
//! at least 40 %. Both also report the mean wait, which must agree with
//! Erlang C within statistical error (a check that the two simulate the same
//! model). They draw from the same named streams in the same order, so their
//! paths nearly coincide: on seed 1 the two mean waits agree to 7
//! significant digits (the rest is rounding of draws to nanoseconds).
//!
//! Run with `cargo bench --bench minimal_loop` (about 30 s); see
//! BENCHMARKS.md.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;
use std::time::Instant;

use capsim::engine::random::stream;
use rand_distr::{Distribution, Exp1};

const SERVERS: usize = 8;
const ARRIVALS_PER_SECOND: f64 = 7200.0;
const SERVICE_MEAN_NS: f64 = 1e6;
/// Simulated seconds per run: 14.4 M events.
const DURATION_S: u64 = 1000;
const ROUNDS: usize = 7;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Arrival,
    Departure,
}

/// What one run of the minimal loop produced.
struct LoopRun {
    events: u64,
    served: u64,
    wait_sum_ns: u128,
}

/// The minimal M/M/c loop.
fn minimal_loop(seed: u64) -> LoopRun {
    let mut arrivals = stream(seed, "workload.arrivals");
    let mut service = stream(seed, "pool.srv.endpoint.work.service");
    let interarrival_mean_ns = 1e9 / ARRIVALS_PER_SECOND;
    let end = DURATION_S * 1_000_000_000;
    let mut heap: BinaryHeap<Reverse<(u64, u64, Event)>> = BinaryHeap::with_capacity(64);
    let mut waiting: VecDeque<u64> = VecDeque::with_capacity(256);
    let mut seq = 0u64;
    let mut busy = 0usize;
    let mut run = LoopRun {
        events: 0,
        served: 0,
        wait_sum_ns: 0,
    };
    let draw = |rng: &mut capsim::engine::random::Stream, mean: f64| -> u64 {
        let unit: f64 = Exp1.sample(rng);
        (unit * mean).round() as u64
    };
    heap.push(Reverse((
        draw(&mut arrivals, interarrival_mean_ns),
        seq,
        Event::Arrival,
    )));
    while let Some(Reverse((now, _, event))) = heap.pop() {
        if now > end {
            break;
        }
        run.events += 1;
        seq += 1;
        match event {
            Event::Arrival => {
                heap.push(Reverse((
                    now + draw(&mut arrivals, interarrival_mean_ns),
                    seq,
                    Event::Arrival,
                )));
                if busy < SERVERS {
                    busy += 1;
                    run.served += 1;
                    seq += 1;
                    heap.push(Reverse((
                        now + draw(&mut service, SERVICE_MEAN_NS),
                        seq,
                        Event::Departure,
                    )));
                } else {
                    waiting.push_back(now);
                }
            }
            Event::Departure => match waiting.pop_front() {
                Some(arrived) => {
                    run.wait_sum_ns += (now - arrived) as u128;
                    run.served += 1;
                    heap.push(Reverse((
                        now + draw(&mut service, SERVICE_MEAN_NS),
                        seq,
                        Event::Departure,
                    )));
                }
                None => busy -= 1,
            },
        }
    }
    run
}

fn scenario(seed: u64) -> capsim::scenario::Scenario {
    let text = format!(
        r#"
[scenario]
seed = {seed}
duration = "{DURATION_S}s"
window = "10s"

[workload]
arrivals = {{ kind = "open", rate = "{ARRIVALS_PER_SECOND}/s" }}
mix = [{{ class = "q", call = "srv/work" }}]

[pool.srv]
workers = {SERVERS}

[pool.srv.endpoint.work]
service = {{ dist = "exp", mean = "{SERVICE_MEAN_NS}ns" }}
"#
    );
    capsim::scenario::load_str(&text)
        .unwrap_or_else(|error| panic!("the M/M/c scenario loads:\n{error}"))
        .scenario
}

/// This thread's CPU time in nanoseconds, if the kernel tells.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Times `work` by CPU time (or wall time when CPU time is unavailable).
fn timed<T>(work: impl FnOnce() -> T) -> (T, f64) {
    let (cpu, wall) = (thread_cpu_ns(), Instant::now());
    let value = work();
    let seconds = match (cpu, thread_cpu_ns()) {
        (Some(start), Some(end)) => (end - start) as f64 / 1e9,
        _ => wall.elapsed().as_secs_f64(),
    };
    (value, seconds)
}

/// Erlang C: the mean wait in queue of M/M/c, in ms.
fn erlang_c_wait_ms() -> f64 {
    let offered = ARRIVALS_PER_SECOND * SERVICE_MEAN_NS / 1e9;
    let servers = SERVERS as f64;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..SERVERS {
        term *= offered / k as f64;
        sum += term;
    }
    let last = term * offered / servers * servers / (servers - offered);
    let wait_probability = last / (sum + last);
    wait_probability * SERVICE_MEAN_NS / 1e6 / (servers - offered)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let clock = if thread_cpu_ns().is_some() {
        "CPU time of the thread"
    } else {
        "wall time (no /proc/thread-self/schedstat)"
    };
    println!("M/M/{SERVERS}, ρ = 0.9, {DURATION_S} s simulated per run, {ROUNDS} rounds, timed by {clock}");
    let model = scenario(1);
    let (mut loop_rates, mut capsim_rates) = (Vec::new(), Vec::new());
    let (mut loop_wait_ms, mut capsim_wait_ms) = (0.0, 0.0);
    for round in 0..ROUNDS {
        let (run, seconds) = timed(|| black_box(minimal_loop(black_box(1))));
        loop_rates.push(run.events as f64 / seconds);
        loop_wait_ms = run.wait_sum_ns as f64 / run.served as f64 / 1e6;
        let (result, seconds) = timed(|| capsim::study::run(black_box(&model)).expect("the run completes"));
        capsim_rates.push(result.events_handled as f64 / seconds);
        capsim_wait_ms = result
            .summary
            .get("srv", "wait_mean_ms")
            .expect("srv,wait_mean_ms");
        println!(
            "  round {round}: minimal loop {:.2} M events/s ({} events), capsim {:.2} M events/s ({} events)",
            loop_rates[round] / 1e6,
            run.events,
            capsim_rates[round] / 1e6,
            result.events_handled
        );
    }
    let (minimal, engine) = (median(&mut loop_rates), median(&mut capsim_rates));
    println!(
        "minimal loop: {:.2} M events per CPU-second (median)",
        minimal / 1e6
    );
    println!(
        "capsim:       {:.2} M events per CPU-second (median)",
        engine / 1e6
    );
    println!(
        "ratio:        {:.1} % of the minimal loop (target: at least 40 %)",
        engine / minimal * 100.0
    );
    println!(
        "mean wait:    minimal loop {loop_wait_ms:.6} ms, capsim {capsim_wait_ms:.6} ms, Erlang C {:.6} ms",
        erlang_c_wait_ms()
    );
}
