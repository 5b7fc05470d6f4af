//! Shared helpers: load scenario text, run it, read metrics, run the binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use capsim::scenario::{Scenario, load_file, load_str};
use capsim::study::{RunResult, run};

/// The repository root (where `scenarios/` lives).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scenario shipped in `scenarios/`.
pub fn shipped(name: &str) -> PathBuf {
    root().join("scenarios").join(name)
}

/// Every shipped scenario file, sorted.
pub fn shipped_scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/ exists")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
}

/// Loads scenario text that must be valid.
pub fn scenario(text: &str) -> Scenario {
    match load_str(text) {
        Ok(loaded) => loaded.scenario,
        Err(error) => panic!("scenario should load:\n{error}"),
    }
}

/// Loads a scenario file that must be valid, with overrides.
pub fn scenario_file(path: &Path, overrides: &[&str]) -> Scenario {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    match load_file(path, &overrides) {
        Ok(loaded) => loaded.scenario,
        Err(error) => panic!("{} should load:\n{error}", path.display()),
    }
}

/// Runs a scenario that must finish.
pub fn simulate(scenario: &Scenario) -> RunResult {
    run(scenario).unwrap_or_else(|error| panic!("run failed: {error}"))
}

/// A summary value that must exist.
pub fn metric(result: &RunResult, scope: &str, name: &str) -> f64 {
    result
        .summary
        .get(scope, name)
        .unwrap_or_else(|| panic!("summary has no {scope}/{name}"))
}

/// The `capsim` binary, ready to run.
pub fn capsim() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("capsim").expect("binary built");
    command.env("NO_COLOR", "1").current_dir(root());
    command
}

/// Conservation at the end of a run: every request that arrived after
/// warm-up, plus those already in flight then, has completed, failed, or is
/// still in flight.
pub fn assert_conserved(result: &RunResult) {
    let arrived = metric(result, "overall", "requests") + metric(result, "overall", "in_flight_at_warmup");
    let accounted = metric(result, "overall", "completed")
        + metric(result, "overall", "errors")
        + metric(result, "overall", "in_flight_at_end");
    assert_eq!(arrived, accounted, "arrived = completed + failed + in flight");
}
