//! capsim's side of `benches/simpy/compare.sh`: loads a scenario, runs it
//! through the library (`capsim::study::run`), and prints one JSON line with
//! what the comparison needs — requests completed after warm-up, the CPU
//! time of loading and simulating, and the mean response time with its
//! standard error by batch means over the time-series windows after warm-up.
//!
//! The CPU time is the thread's (`/proc/thread-self/schedstat`, or wall time
//! if that file is missing, which the JSON then says), the median over
//! `repeats` runs. It leaves out what `capsim run` does besides simulating
//! (writing CSV files, drawing charts, the HTML report), like the SimPy side
//! leaves out Python's start-up.
//!
//! `cargo bench --bench capsim_timed -- SCENARIO DURATION_S [REPEATS]`

use std::time::Instant;

fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn main() {
    // `cargo bench` passes `--bench`; everything else is ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let (Some(path), Some(duration_s)) = (args.first(), args.get(1)) else {
        eprintln!("usage: capsim_timed SCENARIO DURATION_S [REPEATS]");
        std::process::exit(2);
    };
    let repeats: usize = args.get(2).map_or(3, |n| n.parse().expect("REPEATS is a number"));
    let overrides = [format!("scenario.duration={duration_s}s")];
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..repeats {
        let (cpu, wall) = (thread_cpu_ns(), Instant::now());
        let loaded = capsim::scenario::load_file(std::path::Path::new(path), &overrides)
            .unwrap_or_else(|error| panic!("{path}:\n{error}"));
        let result = capsim::study::run(&loaded.scenario).expect("the run completes");
        times.push(match (cpu, thread_cpu_ns()) {
            (Some(start), Some(end)) => (end - start) as f64 / 1e9,
            _ => wall.elapsed().as_secs_f64(),
        });
        last = Some((loaded.scenario, result));
    }
    let (scenario, result) = last.expect("at least one run");
    times.sort_by(f64::total_cmp);
    let warmup_s = scenario.warmup.as_nanos() as f64 / 1e9;
    let means: Vec<f64> = result
        .timeseries
        .series("overall", "latency_mean_ms")
        .iter()
        .zip(result.timeseries.series("overall", "completed"))
        .filter(|((time, _), (_, completed))| *time > warmup_s && *completed > 0.0)
        .map(|((_, mean), _)| *mean)
        .collect();
    let grand = means.iter().sum::<f64>() / means.len() as f64;
    let spread = means.iter().map(|m| (m - grand).powi(2)).sum::<f64>() / (means.len() - 1) as f64;
    let get = |name: &str| result.summary.get("overall", name).expect("an overall metric");
    println!(
        "{{\"requests\": {}, \"cpu_s\": {}, \"response_mean_ms\": {}, \"response_se_ms\": {}, \"clock\": \"{}\"}}",
        get("completed"),
        times[times.len() / 2],
        get("latency_mean_ms"),
        (spread / means.len() as f64).sqrt(),
        if thread_cpu_ns().is_some() {
            "thread CPU"
        } else {
            "wall"
        }
    );
}
