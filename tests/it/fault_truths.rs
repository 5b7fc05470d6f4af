//! Faults say what they mean: a plain `mtbf` is a mean (exponential draws),
//! `every` is a fixed period; database and CDN failures are detected by
//! health checks (interval × threshold) where configured, else after the
//! typed-in `detection`; drill scopes and events name a component once;
//! a failover says which node leads; a fault no request saw says so.

use crate::support::{UNSEEN_FAULT, capsim, metric, run_text, scenario, scenario_file, shipped, simulate};

fn periodic(timing: &str) -> String {
    format!(
        r#"
[scenario]
name = "fault timing"
seed = 1
duration = "10m"
warmup = "0s"
window = "10s"

[workload]
arrivals = {{ kind = "open", rate = "50/s", users = 1000 }}
mix = [{{ class = "a", weight = 1, call = "web/a" }}]

[pool.web]
instances = 2
workers = 100

[pool.web.endpoint.a]
service = "5ms"

[[faults]]
kill = "pool.web.instance[0]"
{timing}
mttr = "10s"
"#
    )
}

/// The times of the kill events of a run.
fn kills(result: &capsim::results::RunResult) -> Vec<f64> {
    result
        .events
        .iter()
        .filter(|event| event.kind == "kill")
        .map(|event| event.time.as_secs_f64())
        .collect()
}

#[test]
fn every_is_a_fixed_period() {
    let result = simulate(&scenario(&periodic("every = \"2m\"")));
    // Up 2 min, down 10 s, again: 120, 250, 380, 510.
    assert_eq!(kills(&result), [120.0, 250.0, 380.0, 510.0]);
}

#[test]
fn a_plain_mtbf_is_the_mean_of_an_exponential() {
    let loaded = scenario(&periodic("mtbf = \"2m\""));
    let resolved = capsim::scenario::dump::resolved(&loaded).toml;
    assert!(
        resolved.contains("mtbf = { dist = \"exp\", mean = \"2m\" }"),
        "{resolved}"
    );
    let times = kills(&simulate(&loaded));
    assert!(!times.is_empty());
    // Not the period of `every`: the gaps vary.
    let fixed = [120.0, 250.0, 380.0, 510.0];
    assert_ne!(times, fixed);
    let explicit = scenario(&periodic("mtbf = { dist = \"exp\", mean = \"2m\" }"));
    assert_eq!(
        kills(&simulate(&explicit)),
        times,
        "the same draws as the table form"
    );
}

#[test]
fn mtbf_and_every_together_are_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("both.toml");
    std::fs::write(&path, periodic("mtbf = \"2m\"\nevery = \"2m\"")).expect("written");
    let output = capsim().arg("validate").arg(&path).output().expect("capsim runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`mtbf`") && stderr.contains("`every`"),
        "{stderr}"
    );
}

#[test]
fn a_database_health_check_detects_a_dead_primary() {
    let typed = simulate(&scenario_file(&shipped("drill-primary-database.toml"), &[]));
    assert_eq!(metric(&typed, "drill:db.primary@180s", "time_to_detect_s"), 10.0);
    // Probes every 2 s from time 0: the dead primary (180 s) fails those at
    // 182, 184 and 186 s; the third in a row detects it.
    let probed = simulate(&scenario_file(
        &shipped("drill-primary-database.toml"),
        &[
            r#"database.db.failover={ health_check = { interval = "2s", unhealthy_threshold = 3 }, promotion = "5s" }"#,
        ],
    ));
    assert_eq!(metric(&probed, "drill:db.primary@180s", "time_to_detect_s"), 6.0);
    let failover = probed
        .events
        .iter()
        .find(|event| event.kind == "failover")
        .expect("a failover");
    assert_eq!(
        failover.time.as_secs_f64(),
        191.0,
        "detected at 186 s, promoted 5 s later"
    );
}

#[test]
fn a_cdn_health_check_detects_dead_edges() {
    let probed = simulate(&scenario_file(
        &shipped("drill-cdn-outage.toml"),
        &[r#"cdn.static.health_check={ interval = "4s", unhealthy_threshold = 2 }"#],
    ));
    // Killed at 150 s; probes at 152 and 156 s fail.
    assert_eq!(metric(&probed, "drill:cdn.static@150s", "time_to_detect_s"), 6.0);
}

#[test]
fn labels_name_a_component_once_and_a_failover_names_the_new_primary() {
    let result = simulate(&scenario_file(&shipped("drill-primary-database.toml"), &[]));
    let events: Vec<(String, String, String)> = result
        .events
        .iter()
        .map(|event| (event.kind.to_string(), event.scope.clone(), event.detail.clone()))
        .collect();
    assert!(
        events
            .iter()
            .any(|(kind, scope, _)| kind == "kill" && scope == "db.primary"),
        "{events:?}"
    );
    let (_, _, detail) = events
        .iter()
        .find(|(kind, _, _)| kind == "failover")
        .expect("a failover");
    assert!(
        detail.starts_with("db.replica[0] promoted to primary"),
        "{detail}"
    );
    assert_eq!(metric(&result, "db.replica[0]", "primary"), 1.0);
    assert_eq!(metric(&result, "db.primary", "primary"), 0.0);
    assert!(
        result
            .summary
            .rows
            .iter()
            .all(|row| !row.scope.contains("database.db"))
    );

    let cache = simulate(&scenario_file(&shipped("drill-cache-node.toml"), &[]));
    assert!(cache.summary.get("drill:cache.node[0]@180s", "rto_s").is_some());
    assert!(
        cache
            .events
            .iter()
            .any(|e| e.kind == "kill" && e.scope == "cache.node[0]")
    );
}

#[test]
fn the_terminal_says_which_replica_leads_after_a_failover() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = capsim()
        .args(["run", "scenarios/drill-primary-database.toml", "--out"])
        .arg(dir.path())
        .output()
        .expect("capsim runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("\n  role     db.replica[0] is the primary at the end (promoted by a failover)\n"),
        "{stdout}"
    );
}

#[test]
fn a_fault_no_request_sees_is_not_seen_not_rto_0() {
    let text = UNSEEN_FAULT;
    let result = simulate(&scenario(text));
    assert_eq!(metric(&result, "drill:pool.batch@30s", "seen_by_requests"), 0.0);
    let (_dir, output) = run_text(text);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout
            .contains("  drill    pool batch at 30 s: not detected, not seen by requests, 0 requests failed"),
        "{stdout}"
    );
    // A fault requests did see keeps its RTO.
    let seen = simulate(&scenario_file(&shipped("drill-single-server.toml"), &[]));
    assert_eq!(
        metric(&seen, "drill:web.instance[0]@120s", "seen_by_requests"),
        1.0
    );
}
