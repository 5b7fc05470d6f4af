//! The `capsim` binary as a user meets it: exit codes (0 success, 1 the run
//! failed, 2 invalid input or usage), messages on stderr that name the file,
//! the line and column and the field, help with examples, the `validate`
//! load table, and an output folder that never holds something that looks
//! like a complete run when there is none.

use std::fs;
use std::path::{Path, PathBuf};

use capsim::report::RUN_FILES;
use predicates::prelude::*;
use predicates::str::contains;

use crate::support;

/// The text of the shipped load-balancer scenario, the base of the bad files.
fn base() -> String {
    fs::read_to_string(support::shipped("04-load-balancer.toml")).expect("shipped scenario")
}

/// The base with `from` replaced by `to`; `from` must occur exactly once.
fn broken(from: &str, to: &str) -> String {
    let text = base();
    assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once");
    text.replacen(from, to, 1)
}

/// `line:column` (1-based) of the first occurrence of `needle` in `text`.
pub(crate) fn line_column(text: &str, needle: &str) -> String {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in the text"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..].chars().count() + 1;
    format!("{line}:{column}")
}

/// A temporary folder holding one bad scenario and a path for `--out`.
struct BadFile {
    /// Keeps the folder alive while the test runs.
    _dir: tempfile::TempDir,
    file: PathBuf,
    out: PathBuf,
}

fn bad_file(text: &str) -> BadFile {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    fs::write(&file, text).unwrap();
    let out = dir.path().join("out");
    BadFile { _dir: dir, file, out }
}

/// Nothing that looks like a run's results is in `out`.
fn assert_no_results(out: &Path) {
    for name in RUN_FILES {
        assert!(
            !out.join(name).exists(),
            "{} was written",
            out.join(name).display()
        );
    }
}

/// `capsim run` on a scenario with one mistake: exit 2, a message naming
/// `file:line:column`, the field and `message`, and no results.
fn assert_rejected(text: &str, located_at: &str, field: &str, message: &str) {
    let bad = bad_file(text);
    let place = format!("{}:{}", bad.file.display(), line_column(text, located_at));
    support::capsim()
        .arg("run")
        .arg(&bad.file)
        .arg("--out")
        .arg(&bad.out)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(contains(place))
        .stderr(contains(format!("(field `{field}`)")))
        .stderr(contains(message))
        .stderr(contains("nothing was simulated"));
    assert_no_results(&bad.out);
}

#[test]
fn a_wrong_type_is_rejected_with_its_position() {
    let text = broken("workers = 64", "workers = \"eight\"");
    assert_rejected(
        &text,
        "\"eight\"",
        "pool.web.workers",
        "wrong type for `workers`: expected a whole number, found a string",
    );
}

#[test]
fn a_misspelt_key_is_rejected_with_a_suggestion() {
    let text = broken("workers = 64", "workrs = 64");
    assert_rejected(
        &text,
        "workrs",
        "pool.web.workrs",
        "unknown key `workrs` in `pool.web`",
    );
    let bad = bad_file(&text);
    support::capsim()
        .arg("run")
        .arg(&bad.file)
        .arg("--out")
        .arg(&bad.out)
        .assert()
        .code(2)
        .stderr(contains("help: did you mean `workers`?"));
}

#[test]
fn an_unknown_database_is_rejected_naming_the_real_one() {
    let text = base().replacen(r#"read = "db""#, r#"read = "dbb""#, 1);
    assert_rejected(
        &text,
        "\"dbb\"",
        "pool.web.endpoint.view_page.steps[0].read",
        "no database named `dbb`",
    );
    let bad = bad_file(&text);
    support::capsim()
        .arg("validate")
        .arg(&bad.file)
        .assert()
        .code(2)
        .stderr(contains("did you mean `db`?"));
}

#[test]
fn an_unknown_endpoint_is_rejected() {
    let text = broken(r#"call = "www/update""#, r#"call = "lb/nope""#);
    assert_rejected(
        &text,
        "\"lb/nope\"",
        "workload.mix[1].call",
        "pool `web` has no endpoint `nope`",
    );
}

#[test]
fn a_negative_rate_is_rejected() {
    let text = broken(r#"rate = "600/s""#, r#"rate = "-600/s""#);
    assert_rejected(
        &text,
        "\"-600/s\"",
        "workload.arrivals.rate",
        "`-600/s` is negative",
    );
}

#[test]
fn a_zero_rate_is_rejected() {
    let text = broken(r#"rate = "600/s""#, r#"rate = "0/s""#);
    assert_rejected(
        &text,
        "\"0/s\"",
        "workload.arrivals.rate",
        "`rate` must be greater than zero",
    );
}

#[test]
fn a_mix_of_zero_weights_is_rejected() {
    let text = broken("weight = 10,", "weight = 0,").replacen("weight = 90,", "weight = 0,", 1);
    assert_rejected(
        &text,
        "[\n  { class = \"view_page\", weight = 0,",
        "workload.mix",
        "every class of the mix has weight 0: no request would be sent",
    );
}

#[test]
fn a_negative_weight_is_rejected() {
    let text = broken("weight = 90,", "weight = -1,");
    assert_rejected(
        &text,
        "-1, call",
        "workload.mix[0].weight",
        "`weight` must be zero or more, found -1",
    );
}

#[test]
fn a_missing_required_key_is_rejected_at_its_table() {
    let text = broken("duration = \"10m\"\n", "");
    assert_rejected(
        &text,
        "[scenario]",
        "scenario.duration",
        "missing key `duration` in `scenario`",
    );
}

#[test]
fn a_duration_without_a_unit_is_rejected() {
    let text = broken(
        r#"read = { dist = "exp", mean = "3500us" }"#,
        r#"read = { dist = "exp", mean = 3500 }"#,
    );
    assert_rejected(&text, "3500 }", "database.db.read.mean", "`mean` needs a unit");
}

#[test]
fn text_that_is_not_toml_is_rejected_with_its_position() {
    let text = "[scenario]\nduration = \"10m\"\nthis is [not toml\n";
    let bad = bad_file(text);
    let place = format!("{}:3:6", bad.file.display());
    support::capsim()
        .arg("run")
        .arg(&bad.file)
        .arg("--out")
        .arg(&bad.out)
        .assert()
        .code(2)
        .stderr(contains("not valid TOML"))
        .stderr(contains(place));
    assert_no_results(&bad.out);
}

#[test]
fn an_empty_file_is_rejected_naming_the_file() {
    let bad = bad_file("");
    support::capsim()
        .arg("run")
        .arg(&bad.file)
        .arg("--out")
        .arg(&bad.out)
        .assert()
        .code(2)
        .stderr(contains("the scenario file is empty"))
        .stderr(contains(bad.file.display().to_string()));
    assert_no_results(&bad.out);
}

#[test]
fn several_mistakes_are_reported_in_one_go() {
    let text = base()
        .replacen("workers = 64", "workers = \"eight\"", 1)
        .replacen(r#"rate = "600/s""#, r#"rate = "0/s""#, 1)
        .replacen("connections = 32", "connectons = 32", 1)
        .replacen(r#"write = "db""#, r#"write = "dbb""#, 1);
    let bad = bad_file(&text);
    support::capsim()
        .arg("run")
        .arg(&bad.file)
        .arg("--out")
        .arg(&bad.out)
        .assert()
        .code(2)
        .stderr(contains("(field `pool.web.workers`)"))
        .stderr(contains("(field `workload.arrivals.rate`)"))
        .stderr(contains("(field `database.db.connectons`)"))
        .stderr(contains("no database named `dbb`"))
        .stderr(contains(format!(
            "error: 4 problems in `{}`; nothing was simulated",
            bad.file.display()
        )));
    assert_no_results(&bad.out);
}

#[test]
fn a_bad_set_value_is_located_in_the_set_argument() {
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("out");
    support::capsim()
        .args(["run", "scenarios/04-load-balancer.toml"])
        .args(["--set", "pool.web.workers=eight", "--out"])
        .arg(&results)
        .assert()
        .code(2)
        .stderr(contains("--set #1:1:18"))
        .stderr(contains("(field `pool.web.workers`)"))
        .stderr(contains("in `scenarios/04-load-balancer.toml`"));
    assert_no_results(&results);
}

#[test]
fn validate_rejects_a_bad_file_with_exit_2() {
    let bad = bad_file(&broken("workers = 64", "workers = \"eight\""));
    support::capsim()
        .arg("validate")
        .arg(&bad.file)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(contains("(field `pool.web.workers`)"));
}

#[test]
fn a_missing_file_is_rejected_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-scenario.toml");
    let out = dir.path().join("out");
    support::capsim()
        .arg("run")
        .arg(&missing)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains(format!("cannot read `{}`", missing.display())))
        .stderr(contains("no such file"));
    assert_no_results(&out);
}

#[test]
fn an_unknown_subcommand_is_a_usage_error() {
    support::capsim()
        .arg("simulate")
        .assert()
        .code(2)
        .stderr(contains("unrecognized subcommand"))
        .stderr(contains("Usage:"));
}

#[test]
fn a_missing_scenario_argument_is_a_usage_error() {
    support::capsim()
        .arg("run")
        .assert()
        .code(2)
        .stderr(contains("<SCENARIO>"))
        .stderr(contains("Usage:"));
}

#[test]
fn no_subcommand_is_a_usage_error() {
    support::capsim().assert().code(2).stderr(contains("Usage:"));
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    support::capsim()
        .args(["run", "scenarios/04-load-balancer.toml", "--frobnicate"])
        .assert()
        .code(2)
        .stderr(contains("--frobnicate"));
}

#[test]
fn help_exits_0_and_shows_examples() {
    support::capsim()
        .arg("--help")
        .assert()
        .success()
        .stdout(contains("Examples:"))
        .stdout(contains("capsim run scenarios/04-load-balancer.toml --out out"))
        .stdout(contains(
            "Exit status: 0 success, 1 the run failed, 2 invalid scenario or usage, 3 `run` missed an SLO",
        ));
}

#[test]
fn subcommand_help_shows_examples() {
    support::capsim()
        .args(["run", "--help"])
        .assert()
        .success()
        .stdout(contains("Examples:"))
        .stdout(contains("--set pool.web.instances=6"))
        .stdout(contains("summary.csv is written last"));
    support::capsim()
        .args(["validate", "--help"])
        .assert()
        .success()
        .stdout(contains("Examples:"))
        .stdout(contains("capsim validate"));
}

#[test]
fn version_exits_0() {
    support::capsim()
        .arg("--version")
        .assert()
        .success()
        .stdout(contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn validate_prints_the_load_per_station() {
    support::capsim()
        .args(["validate", "scenarios/04-load-balancer.toml"])
        .assert()
        .success()
        .stdout(contains("`scenarios/04-load-balancer.toml` is valid"))
        .stdout(contains("offered load 600.0 requests/s"))
        .stdout(contains("station"))
        .stdout(contains("calls/s"))
        .stdout(predicate::str::is_match(r"(?m)^\s+web\s+600\.0\s").unwrap())
        .stdout(predicate::str::is_match(r"(?m)^\s+db\s+600\.0\s").unwrap());
}

#[test]
fn validate_warns_about_an_overloaded_station_but_exits_0() {
    support::capsim()
        .args(["validate", "scenarios/01-single-server.toml"])
        .args(["--set", "workload.arrivals.rate=5000/s"])
        .assert()
        .success()
        .stderr(contains("warning:"))
        .stderr(contains("`server`"));
}

#[test]
fn run_writes_the_four_files_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    support::capsim()
        .args(["run", "scenarios/04-load-balancer.toml", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("04 load balancer (seed 1"))
        .stdout(contains("latency"))
        .stdout(contains(out.display().to_string()));
    for name in RUN_FILES {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    let summary = fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.starts_with("scope,metric,value\n"), "{summary}");
    assert!(summary.contains("\noverall,latency_p99_ms,"), "{summary}");
    let timeseries = fs::read_to_string(out.join("timeseries.csv")).unwrap();
    assert!(timeseries.starts_with("time_s,scope,metric,value\n"));
    let events = fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(events.starts_with("time_s,kind,scope,detail\n"));
}

#[test]
fn quiet_run_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    support::capsim()
        .args(["run", "scenarios/01-single-server.toml", "--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::is_empty());
    assert!(dir.path().join("summary.csv").is_file());
}

#[test]
fn an_overloaded_run_stops_at_the_in_flight_limit_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    support::capsim()
        .args(["run", "scenarios/01-single-server.toml"])
        .args(["--set", "workload.arrivals.rate=5000/s"])
        .args(["--set", "limits.max_in_flight=1000"])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(contains("1000 requests were in flight (limits.max_in_flight)"))
        .stderr(contains("cannot keep up"))
        .stderr(contains("no results were written"));
    assert_no_results(&out);
}

#[test]
fn a_failed_run_does_not_leave_an_earlier_run_looking_like_its_results() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    support::capsim()
        .args(["run", "scenarios/01-single-server.toml", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(out.join("summary.csv").is_file());
    support::capsim()
        .args(["run", "scenarios/01-single-server.toml"])
        .args([
            "--set",
            "workload.arrivals.rate=5000/s",
            "--set",
            "limits.max_in_flight=1000",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1);
    assert_no_results(&out);
}

#[test]
fn a_new_run_replaces_every_file_of_an_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    for name in RUN_FILES {
        fs::write(out.join(name), "left by an old run\n").unwrap();
    }
    // Listed as capsim's, as an old run leaves them.
    fs::write(out.join(".capsim-out"), RUN_FILES.join("\n")).unwrap();
    support::capsim()
        .args(["run", "scenarios/02-separate-database.toml", "--quiet", "--out"])
        .arg(out)
        .assert()
        .success();
    for name in RUN_FILES {
        let text = fs::read_to_string(out.join(name)).unwrap();
        assert!(
            !text.contains("left by an old run"),
            "{name} still holds the old run"
        );
    }
    let summary = fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.starts_with("scope,metric,value\n"), "{summary}");
}

#[test]
fn a_run_into_the_folder_of_another_scenario_leaves_no_mix() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    support::capsim()
        .args(["run", "scenarios/04-load-balancer.toml", "--quiet", "--out"])
        .arg(out)
        .assert()
        .success();
    support::capsim()
        .args(["run", "scenarios/01-single-server.toml", "--quiet", "--out"])
        .arg(out)
        .assert()
        .success();
    let resolved = fs::read_to_string(out.join("scenario.resolved.toml")).unwrap();
    assert!(resolved.contains("name = \"01 single server\""), "{resolved}");
    for name in ["summary.csv", "timeseries.csv"] {
        let text = fs::read_to_string(out.join(name)).unwrap();
        assert!(text.contains("server,"), "{name} is not from scenario 01");
        assert!(!text.contains("lb,"), "{name} still holds rows of scenario 04");
    }
}

/// The summary ends with the cost per month and names what cost nothing:
/// scenario 09's database has no size, so it is said to cost $0.
#[test]
fn the_summary_states_the_cost_and_what_costs_nothing() {
    let out = tempfile::tempdir().unwrap();
    support::capsim()
        .arg("run")
        .arg(support::shipped("09-multi-datacenter.toml"))
        .args(["--set", "scenario.duration=60s", "--set", "scenario.warmup=10s"])
        .arg("--out")
        .arg(out.path().join("run"))
        .assert()
        .success()
        .stdout(contains("/month at this load ("))
        .stdout(contains("; costing $0: db\n"));
}
