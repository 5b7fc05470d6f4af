//! CDN edges per region, measured: each edge serves exactly its region's
//! requests, so each edge's hit ratio follows its own region's traffic
//! (against the TTL cache's closed form); a region without an edge goes to
//! the nearest one and pays the distance; killing one region's edge sends
//! only that region's users to the origin, across the ocean; bad input.

use crate::support::{assert_conserved, metric, scenario, simulate};
use capsim::results::RunResult;
use capsim::scenario::load_str;
use capsim::study::cache_theory;

/// Regions `us` (3 shares of the users) and `eu` (1 share), 80 ms apart;
/// a CDN with edges in `edges` in front of an origin pool; Zipf(0.8) over
/// 10 000 objects of 1 KiB; every latency zero unless `extra` says so.
fn text(edges: &str, ttl: &str, extra: &str) -> String {
    format!(
        r#"
[scenario]
duration = "60s"
warmup = "10s"
window = "5s"
[workload]
arrivals = {{ kind = "open", rate = "2000/s", users = 100000 }}
mix = [{{ class = "assets", call = "static" }}]
[[network.link]]
between = ["us", "eu"]
latency = "80ms"
[region.us]
users = 3
[region.eu]
users = 1
[keyspace.assets]
keys = 10000
popularity = {{ zipf = 0.8 }}
value_size = "1KiB"
[pool.origin]
workers = 100000
[pool.origin.endpoint.asset]
service = "0s"
[cdn.static]
keyspace = "assets"
edges = {edges}
capacity = "1GiB"
ttl = "{ttl}"
latency = "0s"
origin = "origin/asset"
{extra}
"#
    )
}

/// Student t, 5 degrees of freedom, two-sided 99.9 %.
const T_999_5: f64 = 6.869;

#[test]
fn each_edge_serves_exactly_its_regions_requests_and_hits_as_its_traffic_allows() {
    let base = scenario(&text(r#"["us", "eu"]"#, "2s", ""));
    let popularity = cache_theory::zipf(10_000, 0.8);
    // Per seed and region: the measured hit ratio less the closed form's.
    let mut gaps: Vec<[f64; 2]> = Vec::new();
    for seed in 1..=6 {
        let mut run = base.clone();
        run.seed = seed;
        let result = simulate(&run);
        assert_conserved(&result);
        let mut ratios = [0.0; 2];
        let mut gap = [0.0; 2];
        for (index, region) in ["us", "eu"].into_iter().enumerate() {
            let edge = format!("static.{region}");
            let scope = format!("region:{region}");
            // Zero latencies: a request reaches its edge the instant it
            // is made, so the edge counts exactly its region's requests.
            let requests = metric(&result, &edge, "requests");
            assert_eq!(requests, metric(&result, &scope, "requests"), "{region}");
            assert_eq!(metric(&result, &scope, "errors"), 0.0);
            // A TTL cache with room for everything: object i, asked λ·p_i
            // times a second, hits λ·p_i·T / (1 + λ·p_i·T) of the time,
            // with λ this edge's own rate over the 50 s kept.
            let expected = cache_theory::ttl(&popularity, requests / 50.0, 2.0, false);
            ratios[index] = metric(&result, &edge, "hit_ratio");
            gap[index] = ratios[index] - expected;
        }
        gaps.push(gap);
        // Three times the traffic over the same objects: us hits more.
        assert!(ratios[0] > ratios[1] + 0.05, "us {} eu {}", ratios[0], ratios[1]);
        // The CDN is the sum of its edges.
        let edges = metric(&result, "static.us", "requests") + metric(&result, "static.eu", "requests");
        assert_eq!(edges, metric(&result, "static", "requests"));
    }
    for (column, what) in ["us − theory", "eu − theory"].into_iter().enumerate() {
        let values: Vec<f64> = gaps.iter().map(|gap| gap[column]).collect();
        let count = values.len() as f64;
        let mean = values.iter().sum::<f64>() / count;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (count - 1.0);
        let standard_error = (variance / count).sqrt();
        assert!(
            // 0.001 for λ measured over 50 s rather than known.
            mean.abs() <= T_999_5 * standard_error + 1e-3,
            "{what}: {mean:.5} ± {standard_error:.5}"
        );
    }
}

/// Requests made in the 5 s window ending at `time_s`.
fn made(result: &RunResult, scope: &str, time_s: f64) -> f64 {
    (at(result, scope, "offered_rps", time_s) * 5.0).round()
}

/// The value of the window ending at `time_s`.
fn at(result: &RunResult, scope: &str, name: &str, time_s: f64) -> f64 {
    result
        .timeseries
        .series(scope, name)
        .into_iter()
        .find(|(time, _)| (*time - time_s).abs() < 1e-9)
        .unwrap_or_else(|| panic!("no {scope},{name} window ends at {time_s}"))
        .1
}

#[test]
fn a_region_without_an_edge_goes_to_the_nearest_and_pays_the_distance() {
    // A third region, ap: 60 ms from us, 150 ms from eu. Edges are 10 ms
    // from their users; the catalog fits and never expires, so after the
    // first minute nearly every request is a hit.
    let text = text(r#"["us", "eu"]"#, "1h", "")
        .replace("latency = \"0s\"\norigin", "latency = \"10ms\"\norigin")
        .replace(
            "[region.us]",
            "[[network.link]]\nbetween = [\"ap\", \"us\"]\nlatency = \"60ms\"\n\
             [[network.link]]\nbetween = [\"ap\", \"eu\"]\nlatency = \"150ms\"\n\
             [region.ap]\nusers = 1\n[region.us]",
        );
    let loaded = load_str(&text).expect("valid");
    let warnings = loaded.render_warnings(capsim::scenario::Style::Plain);
    assert!(
        warnings.contains(
            "region `ap` has no edge of CDN `static`: its users go to edge `us`, the nearest (60 ms away)"
        ),
        "{warnings}"
    );
    let result = simulate(&loaded.scenario);
    assert_conserved(&result);
    // The us edge serves us and ap, the eu edge eu only (requests reach
    // an edge 10 or 70 ms after they are made: a few cross the warm-up).
    let us = metric(&result, "static.us", "requests");
    let served = metric(&result, "region:us", "requests") + metric(&result, "region:ap", "requests");
    assert!((us - served).abs() <= 100.0, "{us} vs {served}");
    let eu = metric(&result, "static.eu", "requests");
    assert!(
        (eu - metric(&result, "region:eu", "requests")).abs() <= 30.0,
        "{eu}"
    );
    // A hit costs the edge's 10 ms each way, plus 60 ms each way from ap.
    let median = |region: &str| metric(&result, &format!("region:{region}"), "latency_p50_ms");
    assert!((median("us") - 20.0).abs() < 1.0, "us {}", median("us"));
    assert!((median("eu") - 20.0).abs() < 1.0, "eu {}", median("eu"));
    assert!((median("ap") - 140.0).abs() < 2.0, "ap {}", median("ap"));
}

#[test]
fn killing_one_regions_edge_sends_only_that_region_to_the_origin() {
    // The origin stands in dc-us. The eu edge (named in the fault; the
    // resolved scenario says `edge[1]`) dies at 20 s for 20 s;
    // clients notice after 5 s and fetch from the origin, 80 ms away.
    let extra = "detection = \"5s\"\n\
                 [datacenter.dc-us]\nregion = \"us\"\n\
                 [[faults]]\nat = \"20s\"\nfor = \"20s\"\nkill = \"cdn.static.eu\"";
    let text = text(r#"["us", "eu"]"#, "1h", extra)
        .replace("[pool.origin]\n", "[pool.origin]\ndatacenter = \"dc-us\"\n");
    let loaded = scenario(&text);
    assert_eq!(
        loaded.fault_target_text(&loaded.faults[0].target),
        "cdn.static.edge[1]"
    );
    let result = simulate(&loaded);
    assert_conserved(&result);
    // Nothing changes for us: no error, every request at its own edge.
    assert_eq!(metric(&result, "region:us", "errors"), 0.0);
    assert_eq!(
        metric(&result, "static.us", "requests"),
        metric(&result, "region:us", "requests")
    );
    for window_end in [25.0, 30.0, 35.0, 40.0, 45.0] {
        assert_eq!(at(&result, "region:us", "errors", window_end), 0.0);
    }
    // Until clients notice (20–25 s) eu connections are refused: every eu
    // request of that window fails. The misses the edge was fetching when
    // it died (each 160 ms, at about 500 requests/s: at most 80) are reset.
    // Nothing else fails, before or after.
    let refused = at(&result, "region:eu", "errors_refused", 25.0);
    assert_eq!(refused, made(&result, "region:eu", 25.0));
    assert_eq!(at(&result, "static.eu", "requests", 25.0), 0.0);
    let reset = at(&result, "region:eu", "errors_reset", 25.0);
    assert!(reset > 0.0 && reset <= 80.0, "{reset}");
    assert_eq!(metric(&result, "region:eu", "errors"), refused + reset);
    // The drill report, named as the edge's own rows are (`static.eu`):
    // detected after `detection`, and its blast radius is eu's failures alone.
    let drill = "drill:static.eu@20s";
    assert_eq!(metric(&result, drill, "time_to_detect_s"), 5.0);
    assert_eq!(metric(&result, drill, "failed_attempts"), refused + reset);
    // Then (25–40 s) eu goes to the origin: no request at the eu edge, each
    // one a fallback, paying 80 ms each way (the origin answers at once).
    for window_end in [30.0, 35.0, 40.0] {
        assert_eq!(at(&result, "static.eu", "requests", window_end), 0.0);
        let fallback = at(&result, "static", "fallback_requests", window_end);
        assert_eq!(fallback, made(&result, "region:eu", window_end));
        let p50 = at(&result, "region:eu", "latency_p50_ms", window_end);
        assert!((p50 - 160.0).abs() < 1.0, "eu p50 {p50} at {window_end}");
    }
    // The edge is back at 40 s, empty: eu misses its catalog again, and
    // each miss crosses to the origin (160 ms) while hits take no time.
    assert!(at(&result, "static.eu", "requests", 45.0) > 0.0);
    assert!(at(&result, "static.eu", "hit_ratio", 45.0) < at(&result, "static.us", "hit_ratio", 45.0));
    assert_eq!(at(&result, "static", "fallback_requests", 45.0), 0.0);
    let p99 = |region: &str| at(&result, &format!("region:{region}"), "latency_p99_ms", 45.0);
    assert!((p99("eu") - 160.0).abs() < 1.0, "eu p99 {}", p99("eu"));
    // A us edge's misses stay in us: the origin is local to it.
    assert!(p99("us") < 1.0, "us p99 {}", p99("us"));
}

#[test]
fn edges_must_stand_in_declared_regions() {
    for (edges, expected) in [
        (r#"["us", "eux"]"#, "edge `eux` of CDN `static` names no region"),
        (r#"["us", "eux"]"#, "did you mean `eu`?"),
        (
            "2",
            "CDN `static` has 2 unplaced edges, but the scenario has regions",
        ),
        ("2", r#"edges = ["us", "eu"]"#),
    ] {
        let error = load_str(&text(edges, "1h", ""))
            .expect_err("rejected")
            .to_string();
        assert!(
            error.contains(expected),
            "{edges}: expected `{expected}` in\n{error}"
        );
    }
}

#[test]
fn a_fault_names_an_edge_the_cdn_has() {
    let fault = |target: &str| format!("[[faults]]\nat = \"5s\"\nkill = \"{target}\"");
    for (target, expected) in [
        ("cdn.static.eux", "did you mean `cdn.static.eu`?"),
        ("cdn.static.ap", "CDN `static` has no edge named `ap`"),
        ("cdn.statik.us", "no CDN named `statik`"),
    ] {
        let error = load_str(&text(r#"["us", "eu"]"#, "1h", &fault(target)))
            .expect_err("rejected")
            .to_string();
        assert!(
            error.contains(expected),
            "{target}: expected `{expected}` in\n{error}"
        );
    }
    // Counted edges (a scenario without regions) are killed by index.
    let counted = text("2", "1h", &fault("cdn.static.us"))
        .replace("[region.us]\nusers = 3\n[region.eu]\nusers = 1\n", "")
        .replace(
            "[[network.link]]\nbetween = [\"us\", \"eu\"]\nlatency = \"80ms\"\n",
            "",
        );
    let error = load_str(&counted).expect_err("rejected").to_string();
    for expected in ["has no edge named `us`", "use cdn.static.edge[I], I from 0 to 1"] {
        assert!(error.contains(expected), "expected `{expected}` in\n{error}");
    }
}

#[test]
fn edges_in_regions_survive_the_resolved_dump() {
    let loaded = scenario(&text(r#"["eu", "us"]"#, "1h", ""));
    let dumped = capsim::scenario::dump::to_toml(&loaded);
    assert!(dumped.contains(r#"edges = ["eu", "us"]"#), "{dumped}");
    assert_eq!(scenario(&dumped), loaded);
}
