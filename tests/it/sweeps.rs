//! Sweeps as a user runs them: a sharded sweep merged is the unsharded
//! sweep to the byte (charts included), whatever the threads; shards come
//! from the flag or from Slurm's and Kubernetes' variables; bad input is
//! exit 2; and a load sweep of the load-balancer scenario shows the hockey
//! stick with its knee and names the bottleneck.

use std::fs;
use std::path::{Path, PathBuf};

use capsim::results::sweep::{self, SweepTable};
use predicates::str::contains;

use crate::support;

/// Shortened runs of the shipped load balancer: 40 s measured.
const SHORT: [&str; 4] = ["--set", "scenario.duration=50s", "--set", "scenario.warmup=10s"];

/// The variables that would make a sweep a shard; removed so the test's
/// own environment cannot.
const SHARD_VARIABLES: [&str; 5] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_TASK_MIN",
    "JOB_COMPLETION_INDEX",
    "CAPSIM_SHARD_COUNT",
];

/// A 3 × 3 grid with 2 replications: 400, 1 400 and 2 400 requests/s
/// against 1 to 3 web instances (667/s each), so the higher rates saturate
/// the smaller tiers and every output, `usl.csv` included, is written.
fn sweep_command(extra: &[&str], out: &Path) -> assert_cmd::Command {
    let mut command = support::capsim();
    for variable in SHARD_VARIABLES {
        command.env_remove(variable);
    }
    command
        .args(["sweep", "scenarios/04-load-balancer.toml", "--quiet"])
        .args(SHORT)
        .args(["--vary", "workload.arrivals.rate=400/s..2400/s:1000/s"])
        .args(["--vary", "pool.web.instances=1..3"])
        .args(["--replications", "2"])
        .args(extra)
        .arg("--out")
        .arg(out);
    command
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().to_owned());
            }
        }
    }
    found.sort();
    found
}

fn assert_same_folders(expected: &Path, actual: &Path) {
    let names = files(expected);
    assert_eq!(names, files(actual), "the same files");
    for name in names {
        assert!(
            fs::read(expected.join(&name)).unwrap() == fs::read(actual.join(&name)).unwrap(),
            "{} differs",
            name.display()
        );
    }
}

#[test]
fn three_shards_merged_equal_the_unsharded_sweep_byte_for_byte() {
    let root = tempfile::tempdir().unwrap();
    let whole = root.path().join("whole");
    sweep_command(&["--threads", "2"], &whole).assert().success();
    // Shard 0 by the flag on one thread, shard 1 as a Slurm array task
    // (IDs 5..7), shard 2 as a Kubernetes indexed Job.
    let shards: Vec<PathBuf> = (0..3).map(|i| root.path().join(format!("shard-{i}"))).collect();
    sweep_command(&["--shard", "0/3", "--threads", "1"], &shards[0])
        .assert()
        .success();
    sweep_command(&[], &shards[1])
        .env("SLURM_ARRAY_TASK_ID", "6")
        .env("SLURM_ARRAY_TASK_MIN", "5")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .assert()
        .success();
    sweep_command(&["--threads", "3"], &shards[2])
        .env("JOB_COMPLETION_INDEX", "2")
        .env("CAPSIM_SHARD_COUNT", "3")
        .assert()
        .success();
    for (index, shard) in shards.iter().enumerate() {
        let manifest = fs::read_to_string(shard.join("sweep.toml")).unwrap();
        assert!(manifest.contains(&format!("shard = \"{index}/3\"")), "{manifest}");
    }
    let merged = root.path().join("merged");
    support::capsim()
        .arg("merge")
        .args([&shards[2], &shards[0], &shards[1]])
        .arg("--out")
        .arg(&merged)
        .assert()
        .success()
        .stdout(contains("knee"));
    assert_same_folders(&whole, &merged);
    let names: Vec<String> = files(&whole).iter().map(|p| p.display().to_string()).collect();
    for expected in [
        "sweep.csv",
        "points.csv",
        "usl.csv",
        "charts/latency.svg",
        "charts/utilization.png",
    ] {
        assert!(names.contains(&expected.to_owned()), "{expected} in {names:?}");
    }
}

#[test]
fn sweep_points_do_not_depend_on_threads() {
    let axes = vec![capsim::results::axis::parse_axis("workload.arrivals.rate=500/s,2000/s").unwrap()];
    let points = sweep::points(&axes, None);
    let path = support::shipped("04-load-balancer.toml");
    let scenarios: Vec<_> = points
        .iter()
        .map(|point| {
            let mut overrides = vec![
                "scenario.duration=30s".to_owned(),
                "scenario.warmup=10s".to_owned(),
            ];
            overrides.extend(point.overrides(&axes));
            capsim::scenario::load_file(&path, &overrides).unwrap().scenario
        })
        .collect();
    let table = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let outcomes = pool.install(|| capsim::study::sweep::run_points(&scenarios, 3, &|| {}));
        let mut table = SweepTable::new(&axes);
        for (point, outcome) in points.iter().zip(&outcomes) {
            table.push_outcome(point, outcome);
        }
        capsim::report::study_files::sweep_csv(&axes, &table)
    };
    assert!(table(1) == table(4), "sweep.csv differs between 1 and 4 threads");
}

#[test]
fn a_load_sweep_of_the_load_balancer_shows_the_hockey_stick_and_its_bottleneck() {
    let out = tempfile::tempdir().unwrap();
    let mut command = support::capsim();
    for variable in SHARD_VARIABLES {
        command.env_remove(variable);
    }
    command
        .args(["sweep", "scenarios/04-load-balancer.toml"])
        .args(["--set", "scenario.duration=2m", "--set", "scenario.warmup=20s"])
        .args(["--vary", "workload.arrivals.rate=400/s..3200/s:400/s", "--out"])
        .arg(out.path())
        .assert()
        .success()
        .stdout(contains("knee: point"))
        .stdout(contains("bottleneck web"));
    let points = fs::read_to_string(out.path().join("points.csv")).unwrap();
    // The rate is a number, its unit in the column name, in both tables.
    assert!(
        points.starts_with("point,workload.arrivals.rate_per_s,bottleneck,")
            && points.contains("\n0,400,web,"),
        "{points}"
    );
    let rows: Vec<Vec<&str>> = points
        .lines()
        .skip(1)
        .map(|line| line.split(',').collect())
        .collect();
    // The web tier's 8 cores at 3 ms a request saturate at 2 667/s: every
    // point's bottleneck is web, and the knee comes before saturation.
    assert!(rows.iter().all(|row| row[2] == "web"), "{points}");
    let knee = rows
        .iter()
        .position(|row| !row[5].is_empty())
        .expect("a knee is named");
    assert!((4..=6).contains(&knee), "knee at point {knee}: {points}");
    let sweep = fs::read_to_string(out.path().join("sweep.csv")).unwrap();
    assert!(
        sweep.starts_with("point,workload.arrivals.rate_per_s,scope,"),
        "{sweep}"
    );
    assert!(sweep.contains("\n7,3200,overall,"), "{sweep}");
    let p99: Vec<f64> = sweep
        .lines()
        .filter(|line| line.contains(",overall,latency_p99_ms,"))
        .map(|line| line.split(',').nth(4).unwrap().parse().unwrap())
        .collect();
    assert_eq!(p99.len(), 8);
    // The hockey stick: flat, then a wall past saturation.
    assert!(p99[..knee].iter().all(|&v| v < 1.5 * p99[0]), "{p99:?}");
    assert!(p99[7] > 5.0 * p99[0], "{p99:?}");
    let latency = fs::read_to_string(out.path().join("charts/latency.svg")).unwrap();
    for text in [
        "Latency percentiles vs offered load",
        "offered load (requests/s)",
        "p99",
        "knee: web",
    ] {
        assert!(latency.contains(text), "latency chart lacks `{text}`");
    }
    let utilization = fs::read_to_string(out.path().join("charts/utilization.svg")).unwrap();
    assert!(utilization.contains("bottleneck: web"));
}

#[test]
fn bad_sweeps_are_usage_errors() {
    let out = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut command = support::capsim();
        for variable in SHARD_VARIABLES {
            command.env_remove(variable);
        }
        command
            .args(["sweep", "scenarios/04-load-balancer.toml"])
            .args(args)
            .arg("--out")
            .arg(out.path());
        command
    };
    run(&["--vary", "workload.arrivals.rate=100/s..1k/s:100/s"])
        .assert()
        .code(2)
        .stderr(contains("mixed units `/s`, `k/s`, `/s`"));
    run(&["--vary", "pool.web.instances=1,2", "--shard", "2/2"])
        .assert()
        .code(2)
        .stderr(contains("numbered from 0"));
    run(&["--vary", "pool.web.instances=1,2"])
        .env("JOB_COMPLETION_INDEX", "1")
        .assert()
        .code(2)
        .stderr(contains("`CAPSIM_SHARD_COUNT` is not"));
    run(&["--vary", "pool.web.instances=1,two"])
        .assert()
        .code(2)
        .stderr(contains(
            "point 1 (pool.web.instances=two) is not a valid scenario",
        ));
    assert!(!out.path().join("sweep.csv").exists());
}

#[test]
fn merge_refuses_incomplete_or_foreign_shards() {
    let root = tempfile::tempdir().unwrap();
    let shard = |index: u32, rate: &str| {
        let dir = root.path().join(format!("{rate}-{index}"));
        let mut command = support::capsim();
        for variable in SHARD_VARIABLES {
            command.env_remove(variable);
        }
        command
            .args([
                "sweep",
                "scenarios/04-load-balancer.toml",
                "--quiet",
                "--set",
                "scenario.duration=10s",
            ])
            .args(["--set", "scenario.warmup=0s"])
            .args(["--vary", &format!("workload.arrivals.rate={rate}")])
            .args(["--shard", &format!("{index}/2"), "--out"])
            .arg(&dir)
            .assert()
            .success();
        dir
    };
    let first = shard(0, "100/s,200/s");
    let other = shard(1, "300/s,400/s");
    let out = root.path().join("merged");
    support::capsim()
        .arg("merge")
        .arg(&first)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("shard 1/2 is missing"));
    support::capsim()
        .arg("merge")
        .args([&first, &other])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("belong to different sweeps"));
    support::capsim()
        .arg("merge")
        .args([&first, &first])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("shard 0/2 is given twice"));
    support::capsim()
        .arg("merge")
        .arg(root.path().join("nowhere"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("not a finished shard"));
    assert!(!out.join("sweep.csv").exists());
}
