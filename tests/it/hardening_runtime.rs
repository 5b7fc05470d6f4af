//! Runs that cannot finish end cleanly and soon (issue 22, items 1 and 6):
//! a workload whose arrivals alone exceed `limits.max_events` is refused at
//! load time with the estimate; an overloaded system whose clients time out
//! stops at `limits.max_calls_in_flight` with exit 1 and names the station
//! that held the queue, before memory runs out; a clock that stops
//! advancing ends the run with an error; Ctrl-C and SIGTERM work within a
//! second of wall time however long the window.

use predicates::str::contains;

use crate::support;

/// A rate so high that arrivals share nanoseconds: refused before anything
/// is simulated (it ran for about 21 minutes until `max_events` before),
/// with the file, line and column of `arrivals`, the estimate and a hint.
#[test]
fn a_workload_beyond_the_event_budget_is_refused_at_load_time_with_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dense.toml");
    std::fs::write(
        &file,
        "[scenario]\nduration = \"5m\"\n[workload]\narrivals = { kind = \"open\", rate = \"1e15/s\" }\n\
         mix = [{ class = \"q\", call = \"server/q\" }]\n[pool.server]\nworkers = 8\n\
         [pool.server.endpoint.q]\nservice = \"1ms\"\n",
    )
    .unwrap();
    // Line 4, at the rate's opening quote.
    let place = format!("{}:4:36", file.display());
    support::capsim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(contains(place))
        .stderr(contains("field `workload.arrivals.rate`"))
        .stderr(contains("about 3.000e17 requests in 5m"))
        .stderr(contains("`limits.max_events` (10000000000)"))
        .stderr(contains("stop at the limit after 17 minutes"))
        .stderr(contains("raise `max_events` under `[limits]`"));
    assert!(!dir.path().join("out").join("summary.csv").exists());
    // The same for rates up to the largest float, and through `--set`.
    support::capsim()
        .args(["validate", "scenarios/01-single-server.toml"])
        .args(["--set", "workload.arrivals.rate=1e308/s"])
        .assert()
        .code(2)
        .stderr(contains("limits.max_events"));
}
