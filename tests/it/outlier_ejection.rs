//! Passive health checks at a balancer (`outlier_ejection`, issue 19): an
//! erroring instance is ejected within its threshold and returns after the
//! ejection time; a cap keeps an overload from ejecting every instance, and
//! without one it does (nginx's "no live upstreams").

use crate::support::{assert_conserved, metric, scenario, series, simulate};
use capsim::results::RunResult;

/// Three instances behind `lb` at 300/s; instance 1 is down (refusing)
/// from 20 s to 35 s. Five errors in a row eject it for 10 s.
const ONE_DOWN: &str = r#"
[scenario]
name = "outlier ejection"
seed = 11
duration = "60s"
window = "1s"

[workload]
arrivals = { kind = "open", rate = "300/s", users = 1000 }
mix = [{ class = "get", weight = 1, call = "lb/get" }]

[balancer.lb]
pool = "web"
outlier_ejection = { consecutive_errors = 5, ejection = "10s", max_ejected = 0.5 }

[pool.web]
instances = 3
workers = 50

[pool.web.endpoint.get]
service = "5ms"

[[faults]]
kill = "pool.web.instance[1]"
at = "20s"
for = "15s"
"#;

fn lb_events(result: &RunResult) -> Vec<(f64, String, String)> {
    result
        .events
        .iter()
        .filter(|event| event.scope == "lb" && event.kind.starts_with("eject"))
        .map(|event| {
            (
                event.time.as_secs_f64(),
                event.kind.to_owned(),
                event.detail.clone(),
            )
        })
        .collect()
}

#[test]
fn an_erroring_instance_is_ejected_within_its_threshold_and_returns_after_the_ejection_time() {
    let result = simulate(&scenario(ONE_DOWN));
    assert_conserved(&result);
    let events = lb_events(&result);
    let kinds: Vec<&str> = events.iter().map(|(_, kind, _)| kind.as_str()).collect();
    // Ejected at 20 s + five of its calls (round robin at 300/s: one call
    // to it every 10 ms): by 20.06 s. Back at +10 s, still down: five more
    // errors eject it again; back at +10 s once more, after 35 s, up.
    assert_eq!(
        kinds,
        ["ejected", "ejection_over", "ejected", "ejection_over"],
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .all(|(_, _, detail)| detail.starts_with("instance 1"))
    );
    let first = events[0].0;
    assert!((20.0..20.06).contains(&first), "ejected at {first}");
    assert!((events[1].0 - first - 10.0).abs() < 1e-6);
    assert!(events[2].0 - events[1].0 < 0.06, "five more errors");
    assert!((events[3].0 - events[2].0 - 10.0).abs() < 1e-6);
    // Errors: the five before each ejection (refused, or one reset by the
    // crash), none while it is out.
    let down = metric(&result, "overall", "errors_refused") + metric(&result, "overall", "errors_reset");
    assert_eq!(down, 10.0);
    assert_eq!(metric(&result, "overall", "errors"), 10.0);
    assert_eq!(metric(&result, "lb", "ejections"), 2.0);
    let ejected = series(&result, "lb", "ejected_instances");
    let at = |time: f64| {
        ejected
            .iter()
            .find(|(t, _)| (*t - time).abs() < 1e-9)
            .expect("a window")
            .1
    };
    assert_eq!(at(10.0), 0.0);
    assert_eq!(at(25.0), 1.0);
    assert_eq!(at(55.0), 0.0);
    // Without ejection the same outage fails a third of its calls: 100/s
    // for 15 s, ≈ 1 500 (± a few Poisson standard deviations of ≈ 40).
    let plain = simulate(&scenario(&ONE_DOWN.replace(
        "outlier_ejection = { consecutive_errors = 5, ejection = \"10s\", max_ejected = 0.5 }\n",
        "",
    )));
    assert_conserved(&plain);
    let errors = metric(&plain, "overall", "errors");
    assert!((1350.0..1650.0).contains(&errors), "{errors}");
    assert!(plain.summary.get("lb", "ejections").is_none());
    assert!(plain.summary.get("overall", "errors_no_live_upstream").is_none());
}

/// Two instances of 10 workers and a queue of 5 each (1 000/s in all) get
/// 1 500/s for 20 s: each rejects calls (503) now and then. One error
/// ejects an instance for 10 s.
fn overload(cap: f64) -> String {
    format!(
        r#"
[scenario]
name = "ejection under overload"
seed = 13
duration = "60s"
window = "1s"

[workload]
arrivals = {{ kind = "open", rate = "600/s", users = 1000 }}
profile = [{{ at = "20s", rate = "1500/s", for = "20s" }}]
mix = [{{ class = "get", weight = 1, call = "lb/get" }}]

[balancer.lb]
pool = "web"
outlier_ejection = {{ consecutive_errors = 1, ejection = "10s", max_ejected = {cap} }}

[pool.web]
instances = 2
workers = 10
queue_capacity = 5

[pool.web.endpoint.get]
service = {{ dist = "exp", mean = "20ms" }}
"#
    )
}

#[test]
fn a_cap_of_half_keeps_an_overload_from_ejecting_every_instance_and_no_cap_does_not() {
    let capped = simulate(&scenario(&overload(0.5)));
    assert_conserved(&capped);
    let most = series(&capped, "lb", "ejected_instances")
        .into_iter()
        .map(|(_, value)| value)
        .fold(0.0, f64::max);
    assert_eq!(most, 1.0, "one of two at most");
    assert!(metric(&capped, "lb", "ejections") >= 1.0);
    assert_eq!(metric(&capped, "overall", "errors_no_live_upstream"), 0.0);

    // No cap: single rejections eject both, and every call in the
    // meantime fails with no live upstream, far more than the overload's
    // own rejections.
    let uncapped = simulate(&scenario(&overload(1.0)));
    assert_conserved(&uncapped);
    let most = series(&uncapped, "lb", "ejected_instances")
        .into_iter()
        .map(|(_, value)| value)
        .fold(0.0, f64::max);
    assert_eq!(most, 2.0);
    let no_live = metric(&uncapped, "overall", "errors_no_live_upstream");
    assert!(no_live > 5000.0, "{no_live}");
    assert!(no_live > 10.0 * metric(&uncapped, "overall", "errors_rejected"));
    // Capped, one instance out halves the capacity and the other rejects
    // more; uncapped, nothing serves at all while both are out.
    assert!(metric(&uncapped, "overall", "errors") > 1.5 * metric(&capped, "overall", "errors"));
}
