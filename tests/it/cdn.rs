//! The CDN, measured: origin load cut by the hit ratio (exactly, by
//! conservation) and the hit ratio against Che's approximation for LRU;
//! egress bytes and their cost; a versioned deploy's miss spike and its
//! decay; invalidation's stale reads lasting the propagation delay; the
//! outage with and without fallback to the origin, and its drill report;
//! the shipped scenarios' lessons; bad CDN input.

use crate::support::{metric, scenario, scenario_file, shipped, simulate};
use capsim::results::RunResult;
use capsim::scenario::load_str;
use capsim::study::cache_theory;

/// A CDN in front of an origin pool, Zipf(0.8) over 10 000 objects of 1 KiB,
/// two edges of `capacity_objects` KiB each; `extra` is appended.
fn text(capacity_objects: u32, latency: &str, extra: &str) -> String {
    format!(
        r#"
[scenario]
duration = "60s"
warmup = "10s"
window = "5s"
[workload]
arrivals = {{ kind = "open", rate = "2000/s", users = 100000 }}
mix = [{{ class = "assets", call = "static/img" }}]
[keyspace.assets]
keys = 10000
popularity = {{ zipf = 0.8 }}
value_size = "1KiB"
[pool.origin]
workers = 100000
[pool.origin.endpoint.asset]
service = "1ms"
[cdn.static]
keyspace = "assets"
edges = 2
capacity = "{capacity_objects}KiB"
latency = "{latency}"
origin = "origin/asset"
price_per_gb = 0.08
{extra}
"#
    )
}

/// A metric's per-window values.
fn windows(result: &RunResult, scope: &str, name: &str) -> Vec<(f64, f64)> {
    result.timeseries.series(scope, name)
}

/// `text` run for 150 s, so the catalog is warm (first requests rare) by
/// a deploy at 120 s.
fn long(text: String) -> String {
    text.replace("duration = \"60s\"", "duration = \"150s\"")
}

/// The value of the window ending at `time_s`.
fn at(series: &[(f64, f64)], time_s: f64) -> f64 {
    series
        .iter()
        .find(|(time, _)| (*time - time_s).abs() < 1e-9)
        .unwrap_or_else(|| panic!("no window ends at {time_s}"))
        .1
}

#[test]
fn a_cdn_cuts_origin_requests_by_its_hit_ratio_and_adds_egress_cost() {
    let result = simulate(&scenario(&text(1000, "0s", "")));
    let requests = metric(&result, "static", "requests");
    let hit_ratio = metric(&result, "static", "hit_ratio");
    let origin_requests = metric(&result, "static", "origin_requests");
    assert!(requests > 90_000.0, "{requests}");
    // Conservation: every request is a hit or goes to the origin once.
    assert_eq!(origin_requests, metric(&result, "static", "misses"));
    assert_eq!(origin_requests, requests - metric(&result, "static", "hits"));
    assert!((origin_requests - requests * (1.0 - hit_ratio)).abs() < 1e-6 * requests);
    // ... and the origin sees exactly those requests.
    assert_eq!(metric(&result, "origin", "arrivals"), origin_requests);
    assert!(hit_ratio > 0.3 && hit_ratio < 0.8, "{hit_ratio}");
    // Every request is served 1 KiB, billed at $0.08 per GB; the origin
    // pool is free, so the CDN's egress is the whole cost.
    let egress = metric(&result, "static", "egress_bytes");
    assert_eq!(egress, metric(&result, "overall", "completed") * 1024.0);
    let cost = metric(&result, "static", "cost_usd");
    assert!((cost - egress / 1e9 * 0.08).abs() < 1e-12, "{cost}");
    assert!((metric(&result, "overall", "cost_usd") - cost).abs() < 1e-12);
    // The edges add up to the CDN.
    let edges = metric(&result, "static.edge[0]", "requests") + metric(&result, "static.edge[1]", "requests");
    assert_eq!(edges, requests);
}

#[test]
fn edge_hit_ratios_agree_with_ches_approximation_for_lru() {
    // Each edge sees independent Zipf(0.8) requests (users are hashed to
    // edges) and holds 1000 of the 10 000 objects. Zero latencies: a miss
    // is filled before the next request, as the theory assumes. Tolerance:
    // six seeds, the 99.9 % Student-t interval of their mean (t(0.9995, 5)
    // = 6.869), plus the approximation's own error at this size (0.0015,
    // measured for the cache tier in tests/it/caching.rs).
    let expected = cache_theory::lru(&cache_theory::zipf(10_000, 0.8), 1000);
    let base = scenario(&text(1000, "0s", ""));
    let ratios: Vec<f64> = (1..=6)
        .map(|seed| {
            let mut run = base.clone();
            run.seed = seed;
            metric(&simulate(&run), "static", "hit_ratio")
        })
        .collect();
    let mean = ratios.iter().sum::<f64>() / 6.0;
    let variance = ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / 5.0;
    let standard_error = (variance / 6.0).sqrt();
    assert!(
        (mean - expected).abs() <= 6.869 * standard_error + 0.0015,
        "measured {mean:.5} ± {standard_error:.5}, Che {expected:.5}"
    );
}

#[test]
fn a_versioned_deploy_causes_a_miss_spike_that_decays() {
    // Edges big enough for the whole catalog: before the deploy the only
    // misses are first requests, rarer and rarer. At 120 s half the objects
    // get new names: each is missed once, the popular ones at once, the
    // rest over the following windows.
    let deploy = "[[cdn.static.deploy]]\nat = \"120s\"\nmode = \"versioned\"\nshare = 0.5";
    let result = simulate(&scenario(&long(text(10_000, "0s", deploy))));
    let misses = windows(&result, "static", "misses");
    let (before, spike) = (at(&misses, 120.0), at(&misses, 125.0));
    assert!(spike > 4.0 * before, "before {before}, spike {spike}");
    let after: Vec<f64> = [130.0, 135.0, 140.0, 145.0, 150.0]
        .iter()
        .map(|&t| at(&misses, t))
        .collect();
    assert!(
        after[0] < spike && after[1] < after[0] && after[4] < after[1],
        "{spike} then {after:?}"
    );
    assert_eq!(metric(&result, "static", "stale_reads"), 0.0);
    let hit_ratio = windows(&result, "static", "hit_ratio");
    assert!(at(&hit_ratio, 125.0) < at(&hit_ratio, 120.0) - 0.1);
    // The old names stay in the edges, never asked for again: the new ones
    // fill the space left, then push the oldest out — no eviction before.
    let evictions = windows(&result, "static", "evictions");
    assert!(
        evictions
            .iter()
            .filter(|(t, _)| *t <= 120.0)
            .all(|(_, e)| *e == 0.0),
        "{evictions:?}"
    );
    assert!(
        evictions
            .iter()
            .filter(|(t, _)| *t > 120.0)
            .map(|(_, e)| e)
            .sum::<f64>()
            > 100.0
    );
}

#[test]
fn invalidation_leaves_stale_reads_only_during_the_propagation_delay() {
    let deploy =
        "[[cdn.static.deploy]]\nat = \"120s\"\nmode = \"invalidate\"\nshare = 0.5\npropagation = \"10s\"";
    let result = simulate(&scenario(&long(text(10_000, "0s", deploy))));
    let stale = windows(&result, "static", "stale_reads");
    for (time, value) in &stale {
        match *time {
            // Before the deploy, and from one window after the
            // invalidation reached the edges (at 130 s): none.
            t if t <= 120.0 || t >= 135.0 => assert_eq!(*value, 0.0, "window ending {t}"),
            // Every window of the propagation delay serves old content.
            t => assert!(*value > 500.0, "window ending {t}: {value}"),
        }
    }
    // The stale reads are hits: the misses come only after the purge.
    let misses = windows(&result, "static", "misses");
    assert!(at(&misses, 135.0) > 4.0 * at(&misses, 125.0), "{misses:?}");
    assert!(result.events.iter().any(|e| e.kind == "cdn_invalidated"));
}

/// The CDN down from 20 s to 40 s, clients knowing after `detection`.
fn outage(fallback: &str, detection: &str, retries: u32) -> String {
    let extra = format!(
        "fallback = \"{fallback}\"\ndetection = \"{detection}\"\n\
         [[faults]]\nat = \"20s\"\nfor = \"20s\"\nkill = \"cdn.static\"\n\
         [workload.retry]\nretries = {retries}\nbackoff = \"10ms\"\n"
    );
    text(1000, "5ms", &extra)
}

#[test]
fn an_outage_with_fallback_sends_every_request_to_the_origin() {
    let result = simulate(&scenario(&outage("origin", "0s", 1)));
    let requests = windows(&result, "class:assets", "offered_rps");
    let origin = windows(&result, "origin", "throughput_rps");
    let cdn = windows(&result, "static", "requests");
    for t in [25.0, 30.0, 35.0, 40.0] {
        assert_eq!(at(&cdn, t), 0.0, "window ending {t}");
        let ratio = at(&origin, t) / at(&requests, t);
        assert!(
            (ratio - 1.0).abs() < 0.02,
            "window ending {t}: origin/offered = {ratio}"
        );
    }
    // Before and after, the origin sees only the misses.
    assert!(at(&origin, 20.0) < 0.7 * at(&requests, 20.0));
    assert!(at(&origin, 60.0) < 0.7 * at(&requests, 60.0));
    let fallback = metric(&result, "static", "fallback_requests");
    assert!((fallback / (2000.0 * 20.0) - 1.0).abs() < 0.05, "{fallback}");
    // Requests caught at the edges when they died are reset and retried.
    assert_eq!(metric(&result, "overall", "errors"), 0.0);
}

#[test]
fn an_outage_without_fallback_fails_requests_as_unavailable() {
    let result = simulate(&scenario(&outage("none", "0s", 0)));
    let unavailable = metric(&result, "overall", "errors_unavailable");
    assert!(
        (unavailable / (2000.0 * 20.0) - 1.0).abs() < 0.05,
        "{unavailable}"
    );
    assert_eq!(unavailable, metric(&result, "static", "unavailable"));
    // Only the requests at the edges when they died (reset) or on their
    // way there (refused) fail otherwise.
    let errors = metric(&result, "overall", "errors");
    let caught = metric(&result, "overall", "errors_reset") + metric(&result, "overall", "errors_refused");
    assert_eq!(errors, unavailable + caught);
    assert!(caught < 100.0, "{caught}");
    assert_eq!(metric(&result, "static", "fallback_requests"), 0.0);
}

#[test]
fn the_outage_drill_reports_detection_rto_and_blast_radius() {
    // Until clients notice (5 s), connections to the dead edges are refused.
    let result = simulate(&scenario(&outage("origin", "5s", 0)));
    let drill = "drill:cdn.static@20s";
    assert_eq!(metric(&result, drill, "time_to_detect_s"), 5.0);
    let refused = metric(&result, drill, "errors_refused");
    assert!((refused / (2000.0 * 5.0) - 1.0).abs() < 0.05, "{refused}");
    assert_eq!(metric(&result, drill, "recovered"), 1.0);
    // Recovered once the fallback carries the load: in the window after
    // detection, long before the CDN comes back at 40 s.
    let rto = metric(&result, drill, "rto_s");
    assert!((5.0..=10.0).contains(&rto), "{rto}");
    let users = metric(&result, drill, "users_affected");
    assert!(users > 5_000.0 && users <= refused, "{users}");
    assert!(
        result
            .events
            .iter()
            .any(|e| e.kind == "detected" && e.scope == "static.edge[0]")
    );
}

#[test]
fn object_sizes_follow_their_distribution_and_fill_edges_by_bytes() {
    // Lognormal sizes, mean 50 KiB: egress per request averages the size of
    // the objects asked for, and each edge holds at most its capacity.
    let text = text(1000, "0s", "")
        .replace(
            "value_size = \"1KiB\"",
            "value_size = { dist = \"lognormal\", mean = \"50KiB\", cv = 1.0 }",
        )
        .replace("capacity = \"1000KiB\"", "capacity = \"20MiB\"");
    let result = simulate(&scenario(&text));
    let per_request = metric(&result, "static", "egress_bytes") / metric(&result, "overall", "completed");
    // Popular objects dominate the egress, so the mean is that of a few
    // hundred draws: within 15 % of the distribution's mean.
    assert!((per_request / 51_200.0 - 1.0).abs() < 0.15, "{per_request}");
    for (_, stored) in windows(&result, "static.edge[0]", "stored_bytes") {
        assert!(
            stored <= 20.0 * 1024.0 * 1024.0 && stored > 15.0 * 1024.0 * 1024.0,
            "{stored}"
        );
    }
}

#[test]
fn a_database_can_be_the_origin_and_shows_the_load() {
    let text = text(1000, "0s", "")
        .replace("origin = \"origin/asset\"", "origin = \"objects\"")
        .replace(
            "[pool.origin]\nworkers = 100000\n[pool.origin.endpoint.asset]\nservice = \"1ms\"\n",
            "",
        )
        + "[database.objects]\nkeyspace = \"assets\"\nconnections = 64\nread = \"2ms\"\n";
    let result = simulate(&scenario(&text));
    let origin_requests = metric(&result, "static", "origin_requests");
    assert_eq!(metric(&result, "objects", "arrivals"), origin_requests);
    assert!(metric(&result, "objects", "utilization") > 0.0);
}

#[test]
fn bad_cdn_input_is_reported_with_hints() {
    let cases = [
        (
            text(1000, "0s", "").replace("origin/asset", "orign/asset"),
            "did you mean `origin`?",
        ),
        (
            text(1000, "0s", "").replace("call = \"static/img\"", "call = \"origin\""),
            "does not name an endpoint",
        ),
        (
            text(
                1000,
                "0s",
                "[[cdn.static.deploy]]\nat = \"1s\"\nshare = 0.1\npropagation = \"5s\"",
            ),
            "no `propagation`",
        ),
        (
            text(
                1000,
                "0s",
                "[[cdn.static.deploy]]\nat = \"1s\"\nmode = \"invalidate\"\nshare = 0.1",
            ),
            "needs `propagation`",
        ),
        (text(1000, "0s", "fallbak = \"none\""), "did you mean `fallback`?"),
        (
            text(1000, "0s", "").replace("origin = \"origin/asset\"", "origin = \"objects\"")
                + "[keyspace.other]\nkeys = 5\n[database.objects]\nkeyspace = \"other\"\n",
            "its origin `objects` holds `other`",
        ),
        (
            text(1000, "0s", "") + &"[[cdn.static.deploy]]\nat = \"1s\"\nshare = 0.1\n".repeat(101),
            "at most 100 deploys",
        ),
        (
            // 10^8 users' own objects, renamed 50 times: 5.1·10^9 names.
            text(1000, "0s", "")
                .replace("users = 100000 }", "users = 100000000 }")
                .replace("keys = 10000", "keys = \"per_user\"")
                + &"[[cdn.static.deploy]]\nat = \"1s\"\nshare = 0.1\n".repeat(50),
            "versioned deploys",
        ),
        (
            text(1000, "0s", "[[faults]]\nat = \"1s\"\nkill = \"cdn.statc\""),
            "did you mean `static`?",
        ),
    ];
    for (text, expected) in cases {
        let error = load_str(&text).expect_err("rejected");
        let shown = error.to_string();
        assert!(shown.contains(expected), "expected `{expected}` in:\n{shown}");
    }
}

#[test]
fn shipped_cdn_scenario_cuts_origin_load_and_shows_the_deploy() {
    let result = simulate(&scenario_file(&shipped("07-cdn.toml"), &[]));
    let hit_ratio = metric(&result, "static", "hit_ratio");
    assert!(hit_ratio > 0.8, "{hit_ratio}");
    // The web tier serves the pages and only the asset misses.
    let assets = metric(&result, "class:assets", "requests");
    assert_eq!(
        metric(&result, "static", "origin_requests"),
        metric(&result, "static", "misses")
    );
    assert!(metric(&result, "static", "origin_requests") < 0.2 * assets);
    assert!(metric(&result, "static", "cost_usd") > 0.0);
    // The deploy at 5 m: the misses of its window are a spike.
    let misses = windows(&result, "static", "misses");
    assert!(at(&misses, 310.0) > 3.0 * at(&misses, 300.0), "{misses:?}");
    assert!(at(&misses, 360.0) < at(&misses, 310.0) / 2.0);
}

#[test]
fn shipped_cdn_outage_drill_surges_the_origin() {
    let result = simulate(&scenario_file(&shipped("drill-cdn-outage.toml"), &[]));
    // The web tier idles at a third of its CPU behind the CDN and saturates
    // once clients fall back to it (detected at 160 s, restored at 210 s).
    let cpu = windows(&result, "web", "cpu_utilization");
    let before = at(&cpu, 140.0);
    assert!(before < 0.5, "{before}");
    for t in [180.0, 190.0, 200.0, 210.0] {
        assert!(at(&cpu, t) > 0.95, "window ending {t}: {}", at(&cpu, t));
    }
    let fallback = windows(&result, "static", "fallback_requests");
    assert_eq!(at(&fallback, 160.0), 0.0);
    assert!(at(&fallback, 200.0) > 20_000.0);
    let drill = "drill:cdn.static@150s";
    assert_eq!(metric(&result, drill, "time_to_detect_s"), 10.0);
    // Before detection the edges refuse: about the asset requests of 10 s.
    let refused = metric(&result, drill, "errors_refused");
    assert!((refused / (2400.0 * 10.0) - 1.0).abs() < 0.1, "{refused}");
    assert_eq!(metric(&result, drill, "recovered"), 1.0);
    assert!(metric(&result, drill, "users_affected") > 10_000.0);
}

#[test]
fn the_graph_shows_users_the_cdn_and_its_origin() {
    let topology = capsim::report::graph::Topology::of(&scenario_file(&shipped("07-cdn.toml"), &[]));
    let cdn = topology
        .nodes
        .iter()
        .find(|n| n.kind == "cdn")
        .expect("a CDN node");
    assert!(cdn.detail.contains("2 edges × 1GiB"), "{}", cdn.detail);
    let edge = |from: &str, to: &str| topology.edges.iter().any(|e| e.from == from && e.to == to);
    assert!(edge("users", &cdn.id));
    assert!(edge(&cdn.id, "balancer_lb"));
    assert!(topology.mermaid().contains("cdn_static(("));
}

#[test]
fn the_resolved_dump_of_a_cdn_reloads_to_the_same_scenario() {
    let text = text(1000, "0s", "")
        .replace(
            "edges = 2",
            "edges = 3\nttl = \"10m\"\nfallback = \"none\"\ndetection = \"3s\"",
        )
        .replace(
            "value_size = \"1KiB\"",
            "value_size = { dist = \"uniform\", min = \"1KiB\", max = \"3MiB\" }",
        )
        + "[[cdn.static.deploy]]\nat = \"40s\"\nmode = \"invalidate\"\nshare = 0.25\npropagation = \"7s\"\n\
           [[cdn.static.deploy]]\nat = \"20s\"\nshare = 0.1\n\
           [[faults]]\nat = \"30s\"\nkill = \"cdn.static\"\nmode = \"hang\"\n";
    let original = scenario(&text);
    // Deploys are kept in time order.
    assert_eq!(
        original.cdns[capsim::scenario::ids::CdnId(0)].deploys[0].share,
        0.1
    );
    let dumped = capsim::scenario::dump::to_toml(&original);
    assert_eq!(scenario(&dumped), original, "{dumped}");
}

#[test]
fn a_cdn_cannot_be_slowed_down() {
    let text = text(
        1000,
        "0s",
        "[[faults]]\nat = \"1s\"\nslow = \"cdn.static\"\nfactor = 2.0",
    );
    let shown = load_str(&text).expect_err("rejected").to_string();
    assert!(shown.contains("not slowed down"), "{shown}");
}

#[test]
fn one_edge_down_sends_only_its_users_to_the_origin() {
    let text = outage("origin", "0s", 1).replace("kill = \"cdn.static\"", "kill = \"cdn.static.edge[0]\"");
    let result = simulate(&scenario(&text));
    let (down, up) = (
        windows(&result, "static.edge[0]", "requests"),
        windows(&result, "static.edge[1]", "requests"),
    );
    for t in [25.0, 30.0, 35.0, 40.0] {
        assert_eq!(at(&down, t), 0.0, "window ending {t}");
        // The other edge goes on serving its own half of the users.
        assert!(
            (at(&up, t) / (1000.0 * 5.0) - 1.0).abs() < 0.05,
            "window ending {t}: {}",
            at(&up, t)
        );
    }
    let fallback = metric(&result, "static", "fallback_requests");
    assert!((fallback / (1000.0 * 20.0) - 1.0).abs() < 0.05, "{fallback}");
    assert_eq!(metric(&result, "overall", "errors"), 0.0);
    let bad = text.replace("edge[0]", "edge[2]");
    let shown = load_str(&bad).expect_err("rejected").to_string();
    assert!(shown.contains("names an edge that does not exist"), "{shown}");
}
