//! Replications: the 95 % intervals are honest (they cover the analytic
//! M/M/c mean response time in about 95 % of studies), the results do not
//! depend on the number of threads, and `capsim run --replications` writes
//! the interval columns.

use capsim::report::study_files::interval_summary_csv;
use capsim::study::replicate::run_replications;
use predicates::str::contains;

use crate::support;

/// M/M/2 with λ = 1.2/ms and μ = 1/ms (ρ = 0.6): Erlang C by the Erlang
/// B recursion, W = C/(cμ − λ) + 1/μ in ms. For c = 2 the closed form is
/// C = 2ρ²/(1 + ρ) = 0.45, so W = 0.45/0.8 + 1 = 1.5625 ms.
fn mm2_mean_response_ms() -> f64 {
    let (servers, load) = (2u32, 1.2f64);
    let blocking = (1..=servers).fold(1.0, |b, k| load * b / (k as f64 + load * b));
    let rho = load / servers as f64;
    let wait_probability = blocking / (1.0 - rho * (1.0 - blocking));
    let mean_response = wait_probability / (2.0 - 1.2) + 1.0;
    assert!((mean_response - 1.5625).abs() < 1e-12);
    mean_response
}

/// One M/M/2 study: 1 s of warm-up (over 1 000 mean service times; the
/// relaxation time at ρ = 0.6 is a few ms), then 10 s measured, about
/// 12 000 requests per run.
fn mm2_scenario(seed: u64) -> capsim::scenario::Scenario {
    support::scenario(&format!(
        r#"
[scenario]
seed = {seed}
duration = "11s"
warmup = "1s"
window = "1s"

[workload]
arrivals = {{ kind = "open", rate = "1200/s" }}
mix = [{{ class = "q", call = "srv/work" }}]

[pool.srv]
workers = 2

[pool.srv.endpoint.work]
service = {{ dist = "exp", mean = "1ms" }}
"#
    ))
}

/// 100 studies (seeds 1..=100) of 5 replications each. Each study's 95 %
/// t interval of the mean response time (t_{0.975,4} = 2.776) should cover
/// the analytic W: the replication means average ~12 000 requests each and
/// are close to normal, and the warm-up removes the start-up bias.
///
/// The number of covering studies is then Binomial(100, 0.95): mean 95,
/// standard deviation 2.18. We accept 89 to 99: P(X ≤ 88) = 0.0043 and
/// P(X = 100) = 0.95^100 = 0.0059, so an honest interval fails this test
/// with probability about 1 % (and, the runs being deterministic, it then
/// always fails, which would show as a change of seeds, not a flake). An
/// interval built from the standard deviation instead of the standard error
/// covers ~100 % and fails; so does one far too narrow (a normal quantile
/// with R = 5 covers ~88 %, an error in the mean more so).
#[test]
fn the_interval_covers_the_mmc_mean_response_in_95_percent_of_studies() {
    let analytic = mm2_mean_response_ms();
    let mut covered = 0;
    for seed in 1..=100 {
        let replicated = run_replications(&mm2_scenario(seed), 5, &|| {}).expect("stable M/M/2 runs finish");
        let row = replicated
            .summary
            .get("overall", "latency_mean_ms")
            .expect("the summary has the mean latency");
        if row.low <= analytic && analytic <= row.high {
            covered += 1;
        }
    }
    println!("{covered} of 100 intervals cover W = {analytic:.6} ms");
    assert!(
        (89..=99).contains(&covered),
        "{covered} of 100 studies' 95 % intervals cover the analytic mean response time"
    );
}

/// The same replicated run on 1 and on 3 threads: the same bytes.
#[test]
fn replicated_results_do_not_depend_on_threads() {
    let scenario = support::scenario_file(
        &support::shipped("04-load-balancer.toml"),
        &["scenario.duration=2m", "scenario.warmup=20s"],
    );
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let replicated = pool.install(|| run_replications(&scenario, 4, &|| {}).unwrap());
        (
            interval_summary_csv(&replicated.summary),
            capsim::report::timeseries_csv(&replicated.timeseries),
        )
    };
    let one = on(1);
    let three = on(3);
    assert!(one.0 == three.0, "summary.csv differs between 1 and 3 threads");
    assert!(one.1 == three.1, "timeseries.csv differs between 1 and 3 threads");
}

#[test]
fn run_with_replications_writes_intervals() {
    let out = tempfile::tempdir().unwrap();
    support::capsim()
        .args([
            "run",
            "scenarios/04-load-balancer.toml",
            "--replications",
            "3",
            "--threads",
            "2",
            "--estimate",
        ])
        .args([
            "--set",
            "scenario.duration=1m",
            "--set",
            "scenario.warmup=10s",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success()
        .stdout(contains("3 replications of 1m simulated"))
        .stdout(contains("analytic estimate at 600.0 requests/s"));
    let summary = std::fs::read_to_string(out.path().join("summary.csv")).unwrap();
    let mut lines = summary.lines();
    assert_eq!(lines.next(), Some("scope,metric,value,ci95_low,ci95_high"));
    let p99: Vec<f64> = summary
        .lines()
        .find(|line| line.starts_with("overall,latency_p99_ms,"))
        .unwrap()
        .split(',')
        .skip(2)
        .map(|field| field.parse().unwrap())
        .collect();
    assert!(
        p99[1] < p99[0] && p99[0] < p99[2],
        "mean inside its interval: {p99:?}"
    );
    assert!(summary.contains("overall,replications,3,,\n"));
}

#[test]
fn a_plain_run_keeps_its_seed_and_its_summary_shape() {
    // One replication is the scenario's own run: no interval columns, and
    // the same numbers as without the flag.
    let plain = tempfile::tempdir().unwrap();
    let single = tempfile::tempdir().unwrap();
    for (dir, extra) in [(&plain, vec![]), (&single, vec!["--replications", "1"])] {
        support::capsim()
            .args([
                "run",
                "scenarios/04-load-balancer.toml",
                "--quiet",
                "--set",
                "scenario.duration=30s",
            ])
            .args(["--set", "scenario.warmup=10s"])
            .args(extra)
            .arg("--out")
            .arg(dir.path())
            .assert()
            .success();
    }
    let read = |dir: &tempfile::TempDir| std::fs::read(dir.path().join("summary.csv")).unwrap();
    assert!(read(&plain) == read(&single));
    assert!(read(&plain).starts_with(b"scope,metric,value\n"));
}

#[test]
fn bad_replication_counts_are_usage_errors() {
    support::capsim()
        .args(["run", "scenarios/04-load-balancer.toml", "--replications", "0"])
        .assert()
        .code(2);
    support::capsim()
        .args([
            "run",
            "scenarios/04-load-balancer.toml",
            "--replications",
            "2",
            "--threads",
            "0",
        ])
        .assert()
        .code(2)
        .stderr(contains("`--threads` must be at least 1"));
}
