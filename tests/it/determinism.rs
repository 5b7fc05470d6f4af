//! Determinism: a scenario and a seed fix a run's results to the byte, on
//! the command line and through the library; another seed gives other
//! results; the resolved scenario a run writes reproduces that run; and
//! what-if variants share their random numbers, so adding a server does not
//! change the arrivals it is compared on.

use std::fs;
use std::path::Path;

use capsim::report::RUN_FILES;
use capsim::scenario::dump::to_toml;
use capsim::scenario::load_text;

use crate::support;

/// `capsim run <scenario> <extra> --out <out> --quiet`, which must succeed.
fn run_cli(scenario: &Path, extra: &[&str], out: &Path) {
    support::capsim()
        .arg("run")
        .arg(scenario)
        .args(extra)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .assert()
        .success();
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    fs::read(dir.join(name)).unwrap_or_else(|error| panic!("{}/{name}: {error}", dir.display()))
}

#[test]
fn two_cli_runs_write_byte_identical_files() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let scenario = support::shipped("04-load-balancer.toml");
    run_cli(&scenario, &[], first.path());
    run_cli(&scenario, &[], second.path());
    for name in RUN_FILES {
        assert!(
            read(first.path(), name) == read(second.path(), name),
            "{name} differs between two runs of the same scenario"
        );
    }
}

#[test]
fn a_cli_run_leaves_exactly_its_outputs() {
    let out = tempfile::tempdir().unwrap();
    run_cli(&support::shipped("04-load-balancer.toml"), &[], out.path());
    let mut names: Vec<String> = fs::read_dir(out.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = RUN_FILES.iter().map(|s| s.to_string()).collect();
    // The charts and the report drawn from the CSV files, and the marker
    // listing what capsim wrote.
    expected.extend([
        "charts".to_owned(),
        "report.html".to_owned(),
        ".capsim-out".to_owned(),
    ]);
    expected.sort();
    assert_eq!(names, expected, "no temporary or extra files are left behind");
    for entry in fs::read_dir(out.path().join("charts")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            !name.starts_with('.') && (name.ends_with(".svg") || name.ends_with(".png")),
            "charts/{name} is left behind"
        );
    }
}

#[test]
fn every_shipped_scenario_gives_equal_results_twice_through_the_library() {
    let files = support::shipped_scenarios();
    assert!(!files.is_empty());
    for file in files {
        let scenario = support::scenario_file(&file, &[]);
        let first = support::simulate(&scenario);
        let second = support::simulate(&scenario);
        assert!(first == second, "{} is not deterministic", file.display());
    }
}

#[test]
fn another_seed_changes_the_results() {
    let default_seed = tempfile::tempdir().unwrap();
    let seed_two = tempfile::tempdir().unwrap();
    let scenario = support::shipped("04-load-balancer.toml");
    run_cli(&scenario, &[], default_seed.path());
    run_cli(&scenario, &["--seed", "2"], seed_two.path());
    assert_ne!(
        read(default_seed.path(), "summary.csv"),
        read(seed_two.path(), "summary.csv")
    );
    assert_ne!(
        read(default_seed.path(), "timeseries.csv"),
        read(seed_two.path(), "timeseries.csv")
    );
    let resolved = String::from_utf8(read(seed_two.path(), "scenario.resolved.toml")).unwrap();
    assert!(resolved.contains("seed = 2"), "{resolved}");
}

#[test]
fn another_seed_changes_the_results_through_the_library() {
    let scenario = support::scenario_file(&support::shipped("04-load-balancer.toml"), &[]);
    let mut reseeded = scenario.clone();
    reseeded.seed += 1;
    let (first, second) = (support::simulate(&scenario), support::simulate(&reseeded));
    assert_ne!(
        support::metric(&first, "overall", "requests"),
        support::metric(&second, "overall", "requests")
    );
    assert_ne!(
        support::metric(&first, "overall", "latency_p99_ms"),
        support::metric(&second, "overall", "latency_p99_ms")
    );
}

#[test]
fn the_resolved_scenario_loads_back_equal_to_the_original() {
    let out = tempfile::tempdir().unwrap();
    let file = support::shipped("04-load-balancer.toml");
    run_cli(&file, &[], out.path());
    let original = support::scenario_file(&file, &[]);
    let resolved = support::scenario_file(&out.path().join("scenario.resolved.toml"), &[]);
    assert!(resolved == original, "{resolved:#?}\n!=\n{original:#?}");
}

#[test]
fn the_resolved_scenario_with_overrides_keeps_them() {
    let out = tempfile::tempdir().unwrap();
    let file = support::shipped("04-load-balancer.toml");
    let overrides = ["pool.web.instances=6", "workload.arrivals.rate=700/s"];
    let set: Vec<&str> = overrides.iter().flat_map(|o| ["--set", o]).collect();
    run_cli(&file, &[&set[..], &["--seed", "7"]].concat(), out.path());
    let mut original = support::scenario_file(&file, &overrides);
    original.seed = 7;
    let resolved = support::scenario_file(&out.path().join("scenario.resolved.toml"), &[]);
    assert!(resolved == original, "{resolved:#?}\n!=\n{original:#?}");
}

#[test]
fn every_shipped_scenario_dumps_to_toml_that_loads_back_equal() {
    for file in support::shipped_scenarios() {
        let original = support::scenario_file(&file, &[]);
        let text = to_toml(&original);
        let reloaded = match load_text("resolved.toml", &text, &[], Path::new("."), "resolved") {
            Ok(loaded) => loaded.scenario,
            Err(error) => panic!("the dump of {} does not load:\n{error}\n{text}", file.display()),
        };
        assert!(
            reloaded == original,
            "{} does not round-trip:\n{text}",
            file.display()
        );
    }
}

#[test]
fn rerunning_the_resolved_scenario_reproduces_the_summary() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    run_cli(
        &support::shipped("04-load-balancer.toml"),
        &["--seed", "3"],
        first.path(),
    );
    run_cli(&first.path().join("scenario.resolved.toml"), &[], second.path());
    assert!(
        read(first.path(), "summary.csv") == read(second.path(), "summary.csv"),
        "summary.csv differs when the resolved scenario is run again"
    );
    assert!(
        read(first.path(), "scenario.resolved.toml") == read(second.path(), "scenario.resolved.toml"),
        "the resolved scenario of the resolved scenario differs"
    );
}

/// Arrival times, users and request classes come from streams named after
/// the workload, not after any server, and (with no in-flight limit reached)
/// every arrival becomes a request. So a variant with one more server sees
/// exactly the same requests, window by window.
#[test]
fn adding_an_instance_leaves_the_arrivals_unchanged() {
    let file = support::shipped("04-load-balancer.toml");
    let four = support::simulate(&support::scenario_file(&file, &[]));
    let five = support::simulate(&support::scenario_file(&file, &["pool.web.instances=5"]));
    // The variant really differs in its servers...
    assert_eq!(support::metric(&four, "web", "instances"), 4.0);
    assert_eq!(support::metric(&five, "web", "instances"), 5.0);
    assert_ne!(
        support::metric(&four, "web", "cpu_utilization"),
        support::metric(&five, "web", "cpu_utilization")
    );
    // ...but not in its requests.
    for scope in ["overall", "class:view_page", "class:update"] {
        assert_eq!(
            support::metric(&four, scope, "requests"),
            support::metric(&five, scope, "requests"),
            "{scope} requests"
        );
    }
    assert_eq!(
        four.timeseries.series("overall", "offered_rps"),
        five.timeseries.series("overall", "offered_rps"),
        "arrivals per window"
    );
}

#[test]
fn adding_an_instance_on_the_command_line_leaves_overall_requests_unchanged() {
    let four = tempfile::tempdir().unwrap();
    let five = tempfile::tempdir().unwrap();
    let file = support::shipped("04-load-balancer.toml");
    run_cli(&file, &[], four.path());
    run_cli(&file, &["--set", "pool.web.instances=5"], five.path());
    let requests = |dir: &Path| {
        String::from_utf8(read(dir, "summary.csv"))
            .unwrap()
            .lines()
            .find(|line| line.starts_with("overall,requests,"))
            .expect("summary.csv has overall,requests")
            .to_owned()
    };
    assert_eq!(requests(four.path()), requests(five.path()));
}
