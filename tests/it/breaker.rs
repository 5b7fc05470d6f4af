//! Circuit breakers on call steps (issue 19): a breaker opens within its
//! threshold when its dependency fails, half-opens after its open time,
//! closes when its probes succeed, and every move is in events.csv; and a
//! breaker cures an internal retry storm (a metastable failure).

use crate::support::{assert_conserved, goodput_back, metric, scenario, series, simulate};
use capsim::results::RunResult;

/// A front calling a back that is down from 20 s to 40 s (refusing at
/// once), with a breaker: 3 failures in a row open it for 10 s, 2 probes.
const FLAKY_BACK: &str = r#"
[scenario]
name = "breaker"
seed = 7
duration = "60s"
window = "1s"

[workload]
arrivals = { kind = "open", rate = "100/s", users = 1000 }
mix = [{ class = "get", weight = 1, call = "front/get" }]

[pool.front]
instances = 1
workers = 100

[pool.front.endpoint.get]
service = "1ms"
steps = [{ call = "back/get", timeout = "1s", breaker = { consecutive_failures = 3, open = "10s", half_open_probes = 2 } }]

[pool.back]
instances = 1
workers = 100

[pool.back.endpoint.get]
service = "5ms"

[[faults]]
kill = "pool.back.instance[0]"
at = "20s"
for = "20s"
"#;

const SCOPE: &str = "call:front->back/get";

/// The breaker's moves from events.csv: (time, kind).
fn moves(result: &RunResult) -> Vec<(f64, String)> {
    result
        .events
        .iter()
        .filter(|event| event.scope == SCOPE)
        .map(|event| (event.time.as_secs_f64(), event.kind.to_owned()))
        .collect()
}

#[test]
fn a_breaker_opens_half_opens_and_closes_and_logs_every_move() {
    let result = simulate(&scenario(FLAKY_BACK));
    assert_conserved(&result);
    let moves = moves(&result);
    let kinds: Vec<&str> = moves.iter().map(|(_, kind)| kind.as_str()).collect();
    // Down at 20 s: the third refused call in a row opens it (100/s: within
    // a few tens of ms). At 30 s it half-opens; the back is still down, the
    // first probe fails: open again until 40 s; then the back is up, both
    // probes succeed and it closes.
    assert_eq!(
        kinds,
        [
            "breaker_open",
            "breaker_half_open",
            "breaker_open",
            "breaker_half_open",
            "breaker_closed"
        ],
        "{moves:?}"
    );
    let (opened, _) = moves[0];
    assert!((20.0..20.1).contains(&opened), "opened at {opened}");
    assert!(
        (moves[1].0 - (opened + 10.0)).abs() < 1e-6,
        "half-open after `open`"
    );
    assert!(moves[2].0 - moves[1].0 < 0.1, "the first probe fails at once");
    assert!((moves[3].0 - (moves[2].0 + 10.0)).abs() < 1e-6);
    assert!(moves[3].0 > 40.0, "the back is up again at 40 s");
    assert!(moves[4].0 - moves[3].0 < 0.1, "the probes succeed at once");
    assert_eq!(metric(&result, SCOPE, "breaker_opens"), 2.0);

    // While it is open, calls fail fast: failed requests are the three that
    // opened it (refused, or reset by the crash), the failed probe, and
    // those the breaker rejected.
    let rejected = metric(&result, SCOPE, "breaker_rejected");
    assert_eq!(metric(&result, "overall", "errors_breaker_open"), rejected);
    let down = metric(&result, "overall", "errors_refused") + metric(&result, "overall", "errors_reset");
    assert_eq!(down, 4.0);
    assert_eq!(metric(&result, "overall", "errors"), down + rejected);
    // ≈ 100/s over the ≈ 20 s it was open or half-open.
    assert!((1700.0..2300.0).contains(&rejected), "{rejected}");

    // The state gauge: 1 while open, 0 closed.
    let state = series(&result, SCOPE, "breaker_state");
    let at = |time: f64| {
        state
            .iter()
            .find(|(t, _)| (*t - time).abs() < 1e-9)
            .expect("a window")
            .1
    };
    assert_eq!(at(10.0), 0.0);
    assert_eq!(at(25.0), 1.0);
    assert_eq!(at(35.0), 1.0);
    assert_eq!(at(50.0), 0.0);

    // Without the breaker the same run has no breaker rows and no
    // breaker_open cause.
    let plain = simulate(&scenario(&FLAKY_BACK.replace(
        ", breaker = { consecutive_failures = 3, open = \"10s\", half_open_probes = 2 }",
        "",
    )));
    assert_conserved(&plain);
    assert!(plain.summary.get(SCOPE, "breaker_opens").is_none());
    assert!(plain.summary.get("overall", "errors_breaker_open").is_none());
    assert!(
        plain
            .events
            .iter()
            .all(|event| !event.kind.starts_with("breaker"))
    );
}

/// The retry storm of `scenarios/15-retry-storm.toml`, its retries moved
/// into the service: a front (no limit of its own) calls `api` with a
/// 500 ms timeout and 3 retries; `api` serves 1 000/s at most and gets
/// 800/s, and a 30 s spike to 1 300/s from 60 s starts the storm.
const STORM: &str = r#"
[scenario]
name = "internal retry storm"
seed = 1
duration = "5m"
window = "5s"

[workload]
arrivals = { kind = "open", rate = "800/s", users = 10000 }
profile = [{ at = "60s", rate = "1300/s", for = "30s" }]
mix = [{ class = "api", weight = 1, call = "front/get" }]

[pool.front]
instances = 1
workers = 4000

[pool.front.endpoint.get]
service = "0ms"
steps = [{ call = "api/get", timeout = "500ms", retry = { retries = 3, backoff = "100ms" } }]

[pool.api]
instances = 1
workers = 10
queue_capacity = 2000

[pool.api.endpoint.get]
service = { dist = "exp", mean = "10ms" }
"#;

const OFFERED: f64 = 800.0;
const SPIKE_END_S: f64 = 90.0;
const END_S: f64 = 300.0;
const WINDOW_S: f64 = 5.0;

fn mean_between(result: &RunResult, scope: &str, name: &str, from_s: f64, to_s: f64) -> f64 {
    let values: Vec<f64> = series(result, scope, name)
        .into_iter()
        .filter(|&(time, _)| time > from_s && time <= to_s)
        .map(|(_, value)| value)
        .collect();
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn a_breaker_cures_the_retry_storm() {
    let storm = simulate(&scenario(STORM));
    assert_conserved(&storm);
    let last_third = mean_between(&storm, "overall", "throughput_rps", 200.0, END_S);
    assert!(
        last_third < 0.5 * OFFERED,
        "metastable without the cure: goodput {last_third}/s"
    );

    // The cure: a breaker opening after 5 failed attempts in a row, open
    // 5 s, 3 probes. Derived bound: at the spike's end the breaker may
    // just have closed onto a full queue. Attempts then wait longer than
    // the 500 ms timeout, and 5 timeouts in a row open it within
    // 500 ms + a few ms. Open, nothing new reaches `api`, whose queue (at
    // most 2 000 attempts at 1 000/s) is empty within 2 s < 5 s; the
    // attempts sent before it opened have all ended (500 ms timeout) by
    // then. Half-open, the 3 probes find `api` idle and succeed within
    // milliseconds: closed onto an empty queue at 800/s < 1 000/s, it
    // stays closed. So goodput is back by SPIKE_END + 0.5 + 5 + 0.5 s,
    // and the first window wholly after that (5 s windows) shows it.
    let bound_s = SPIKE_END_S + 0.5 + 5.0 + 0.5 + 2.0 * WINDOW_S;
    let cured = simulate(&scenario(&STORM.replace(
        "retry = { retries = 3, backoff = \"100ms\" } }",
        "retry = { retries = 3, backoff = \"100ms\" }, breaker = { consecutive_failures = 5, open = \"5s\", half_open_probes = 3 } }",
    )));
    assert_conserved(&cured);
    let recovered = goodput_back(&cured, SPIKE_END_S, 0.95).expect("goodput recovers");
    let goodput = series(&cured, "overall", "throughput_rps");
    let offered = series(&cured, "overall", "offered_rps");
    assert!(
        recovered <= bound_s,
        "recovered at {recovered} s, bound {bound_s} s"
    );
    for ((time, good), (_, offered)) in goodput.iter().zip(&offered) {
        if *time > bound_s {
            assert!(
                *good >= 0.95 * offered,
                "stays recovered: {good} of {offered} at {time} s"
            );
        }
    }
    let scope = "call:front->api/get";
    assert!(metric(&cured, scope, "breaker_opens") >= 1.0);
    let last_move = cured
        .events
        .iter()
        .rfind(|event| event.scope == scope)
        .expect("moves");
    assert_eq!(last_move.kind, "breaker_closed");
    assert!(last_move.time.as_secs_f64() < bound_s);
}
