//! Session state: sticky sessions live on one server and die with it; a
//! shared session store loses none and costs every request a read.

use crate::support::{assert_conserved, metric, scenario, scenario_file, shipped, simulate};
use capsim::results::RunResult;

/// 40 closed users (think 1 s) over 4 servers, round robin for new
/// sessions, health-checked; `kill` adds a crash of instance 0 at 30 s.
/// Times are constants so latencies are exact.
fn text(sticky: bool, store: bool, kill: bool) -> String {
    let mut text = String::from(
        r#"
[scenario]
duration = "60s"
warmup = "10s"
window = "10s"

[workload]
arrivals = { kind = "closed", users = 40, think = { dist = "exp", mean = "1s" } }
mix = [{ class = "page", call = "lb/page" }]

[network]
default = "500us"
client = "0s"

[balancer.lb]
policy = "round_robin"
pool = "web"
health_check = { interval = "1s", timeout = "500ms", unhealthy_threshold = 2, healthy_threshold = 2 }
"#,
    );
    if sticky {
        text.push_str("sticky = true\nsession_ttl = \"1h\"\n");
    }
    text.push_str(
        r#"
[pool.web]
instances = 4
workers = 16
"#,
    );
    if store {
        text.push_str("session_store = \"sessions\"\n");
    }
    text.push_str(
        r#"
[pool.web.endpoint.page]
service = "5ms"

[database.sessions]
engine = "nosql"
connections = 64
read_cpu = "0s"
read = "2ms"
"#,
    );
    if kill {
        text.push_str("\n[[faults]]\nat = \"30s\"\nkill = \"pool.web.instance[0]\"\n");
    }
    text
}

fn run(sticky: bool, store: bool, kill: bool) -> RunResult {
    let mut text = text(sticky, store, kill);
    if !store {
        // Without a store the database is unused; drop it.
        let at = text.find("[database.sessions]").unwrap();
        let end = text[at..].find("read = \"2ms\"\n").unwrap() + at + "read = \"2ms\"\n".len();
        text.replace_range(at..end, "");
    }
    let result = simulate(&scenario(&text));
    assert_conserved(&result);
    result
}

#[test]
fn a_crash_loses_exactly_the_sessions_on_the_server() {
    let result = run(true, false, true);
    // Every user has made a request long before 30 s (P(no request in
    // 30 s) = e^-30 per user), and round robin bound new sessions 1, 2, 3,
    // 4, 1, …: 10 users per server. The crash loses instance 0's ten.
    assert_eq!(metric(&result, "lb", "sessions_lost"), 10.0);
    let losses: Vec<_> = result
        .events
        .iter()
        .filter(|event| event.kind == "sessions_lost")
        .collect();
    assert_eq!(losses.len(), 1);
    assert_eq!(losses[0].detail, "10 sessions on instance 0");
    assert_eq!(losses[0].time.as_secs_f64(), 30.0);
    // Those users start new sessions on the other servers: losses are not
    // counted twice, and after detection nothing goes to the dead server.
    let lost: f64 = result
        .timeseries
        .series("lb", "sessions_lost")
        .iter()
        .map(|&(_, n)| n)
        .sum();
    assert_eq!(lost, 10.0);
}

#[test]
fn sessions_in_a_store_survive_the_crash_and_cost_every_request_a_read() {
    // The same crash with the sessions in the store: stickiness only
    // routes, and nothing is lost.
    let stored = run(true, true, true);
    assert_eq!(metric(&stored, "lb", "sessions_lost"), 0.0);
    assert!(stored.events.iter().all(|event| event.kind != "sessions_lost"));

    // Every request reads its session once, and pays for it: 2 ms in the
    // store plus a 1 ms network round trip, exactly (constant times, no
    // queueing at these loads).
    let stateless = run(false, true, false);
    let stateful = run(true, false, false);
    let web = metric(&stateless, "web", "served");
    assert!(web > 1000.0);
    assert_eq!(metric(&stateless, "sessions", "served"), web);
    let extra =
        metric(&stateless, "overall", "latency_mean_ms") - metric(&stateful, "overall", "latency_mean_ms");
    assert!((extra - 3.0).abs() < 0.01, "the store adds {extra} ms");
}

#[test]
fn sticky_sessions_are_only_as_even_as_the_users() {
    // 10 users on 4 servers: sessions bind 3, 3, 2, 2, so the busiest
    // server gets 3 / 2.5 = 1.2 times the mean; without stickiness round
    // robin is even.
    let sticky = scenario(&text(true, false, false).replace("users = 40", "users = 10"));
    let sticky = simulate(&sticky);
    let imbalance = metric(&sticky, "lb", "imbalance");
    // Each server's count is a sum of its users' Poisson-like request
    // streams (~500 per user in 50 s): a few per cent of noise.
    assert!((1.1..1.32).contains(&imbalance), "imbalance {imbalance}");
    let even = simulate(&scenario(
        &text(false, false, false).replace("users = 40", "users = 10"),
    ));
    assert!(metric(&even, "lb", "imbalance") < 1.01);
}

#[test]
fn the_stateless_scenario_loses_nothing_when_a_server_dies() {
    let result = simulate(&scenario_file(&shipped("08-stateless-web-tier.toml"), &[]));
    assert_conserved(&result);
    assert!(result.events.iter().any(|event| event.kind == "kill"));
    assert!(result.events.iter().all(|event| event.kind != "sessions_lost"));
    // One session read per web call; the two counts differ only by the
    // calls in flight at the warm-up boundary and at the crash.
    let (reads, calls) = (
        metric(&result, "sessions", "served"),
        metric(&result, "web", "served"),
    );
    assert!(
        (reads - calls).abs() < 0.001 * calls,
        "{reads} reads, {calls} calls"
    );
}

#[test]
fn users_whose_session_was_lost_log_in_again_on_their_next_request() {
    // The crash of `a_crash_loses_exactly_the_sessions_on_the_server`, with
    // a login class (weight 0: never drawn) named as the workload's
    // `relogin`. Counted independently: the crash's event says how many
    // sessions died with instance 0; each of those users is a closed user
    // thinking 1 s on average, so all of them come back within the 30 s
    // left (P(one does not) = e^-30), and each comes back exactly once
    // first as a login. No one else logs in: the other users' sessions
    // live on.
    let text = text(true, false, true)
        .replace(
            r#"mix = [{ class = "page", call = "lb/page" }]"#,
            "mix = [{ class = \"page\", call = \"lb/page\" }, { class = \"login\", weight = 0, call = \"lb/login\" }]\nrelogin = \"login\"",
        )
        .replace(
            "[pool.web.endpoint.page]",
            "[pool.web.endpoint.login]\nservice = \"20ms\"\n\n[pool.web.endpoint.page]",
        );
    // No session store: the database is unused; drop it.
    let at = text.find("[database.sessions]").unwrap();
    let end = text[at..].find("read = \"2ms\"\n").unwrap() + at + "read = \"2ms\"\n".len();
    let mut text = text;
    text.replace_range(at..end, "");
    let result = simulate(&scenario(&text));
    assert_conserved(&result);
    let lost = result
        .events
        .iter()
        .filter(|event| event.kind == "sessions_lost")
        .map(|event| {
            let count = event.detail.split(' ').next().unwrap();
            count.parse::<f64>().unwrap()
        })
        .sum::<f64>();
    assert_eq!(lost, 10.0);
    assert_eq!(metric(&result, "class:login", "requests"), lost);
    // Each ends: some fail, sent to the dead server before the health
    // check took it out of rotation (31 s).
    let ended = metric(&result, "class:login", "completed") + metric(&result, "class:login", "errors");
    assert_eq!(ended, lost);
    // All in the windows after the crash, none before.
    let logins = result.timeseries.series("class:login", "completed");
    assert!(
        logins.iter().all(|&(end, n)| end > 30.0 || n == 0.0),
        "{logins:?}"
    );
    // The page requests are what they would be: every user goes on.
    assert!(metric(&result, "class:page", "requests") > 1000.0);

    // Without the crash, or with sessions in a store, nobody logs in again.
    let calm = text.replace("[[faults]]\nat = \"30s\"\nkill = \"pool.web.instance[0]\"\n", "");
    assert_eq!(
        metric(&simulate(&scenario(&calm)), "class:login", "requests"),
        0.0
    );
}

#[test]
fn relogin_must_name_a_class_of_the_mix() {
    let text = text(true, false, false).replace(
        r#"mix = [{ class = "page", call = "lb/page" }]"#,
        "mix = [{ class = \"page\", call = \"lb/page\" }]\nrelogin = \"login\"",
    );
    let Err(error) = capsim::scenario::load_str(&text) else {
        panic!("an unknown class is refused");
    };
    let error = error.to_string();
    assert!(
        error.contains("`relogin` names no class of the mix: `login`"),
        "{error}"
    );
    assert!(error.contains("name one of page"), "{error}");
    let zero = text
        .replace("relogin = \"login\"", "")
        .replace(r#"call = "lb/page" }]"#, r#"call = "lb/page", weight = 0 }]"#);
    let Err(error) = capsim::scenario::load_str(&zero) else {
        panic!("no class to draw");
    };
    let error = error.to_string();
    assert!(error.contains("every class of the mix has weight 0"), "{error}");
}
