//! Regions, data centers and geoDNS: users see their nearest data center's
//! latency, geoDNS moves a region away from an unhealthy data center, a
//! data center's failure costs about TTL + detection of errors, and
//! cross-data-center replication lags by at least the link and falls
//! behind during a partition.

use crate::support::{assert_conserved, metric, scenario, scenario_file, shipped, simulate};
use capsim::results::RunResult;
use capsim::scenario::load_str;

/// Two regions 50 ms apart (one way), a data center and a pool in each,
/// a geoDNS name over both pools. Users are split evenly; every latency is
/// constant but the service (exponential, mean 2 ms).
fn two_regions(targets: &str, extra: &str) -> String {
    format!(
        r#"
[scenario]
duration = "2m"
warmup = "10s"
window = "5s"

[workload]
arrivals = {{ kind = "open", rate = "200/s", users = 5000 }}
timeout = "2s"
mix = [{{ class = "get", call = "www/get" }}]

[network]
default = "1ms"
client = "10ms"

[[network.link]]
between = ["us", "eu"]
latency = "50ms"

[region.us]
users = 1

[region.eu]
users = 1

[datacenter.dc-us]
region = "us"

[datacenter.dc-eu]
region = "eu"

[dns.www]
ttl = "10s"
targets = {targets}
health_check = {{ interval = "2s", timeout = "1s", unhealthy_threshold = 2, healthy_threshold = 2 }}

[pool.web-us]
instances = 2
workers = 16
datacenter = "dc-us"
endpoint.get = {{ service = {{ dist = "exp", mean = "2ms" }} }}

[pool.web-eu]
instances = 2
workers = 16
datacenter = "dc-eu"
endpoint.get = {{ service = {{ dist = "exp", mean = "2ms" }} }}
{extra}
"#
    )
}

fn series(result: &RunResult, scope: &str, name: &str) -> Vec<(f64, f64)> {
    result.timeseries.series(scope, name)
}

/// The time of the first logged event of `kind` at `scope`.
fn event_time(result: &RunResult, kind: &str, scope: &str) -> f64 {
    result
        .events
        .iter()
        .find(|event| event.kind == kind && event.scope == scope)
        .unwrap_or_else(|| panic!("no {kind} event at {scope}"))
        .time
        .as_secs_f64()
}

#[test]
fn users_in_two_regions_see_their_nearest_data_centers_latency() {
    let near = simulate(&scenario(&two_regions(r#"["web-us", "web-eu"]"#, "")));
    assert_conserved(&near);
    // Each region served at home: client hop 10 ms each way, service 2 ms.
    for region in ["region:us", "region:eu"] {
        let mean = metric(&near, region, "latency_mean_ms");
        assert!((21.0..23.5).contains(&mean), "{region} mean {mean} ms");
        assert_eq!(metric(&near, region, "errors"), 0.0);
    }
    // Regions partition the requests: their counts add up to overall.
    for name in ["requests", "completed", "errors"] {
        let regions = metric(&near, "region:us", name) + metric(&near, "region:eu", name);
        assert_eq!(regions, metric(&near, "overall", name), "{name}");
    }
    // Users are hashed into regions: about half each.
    let us = metric(&near, "region:us", "requests");
    let eu = metric(&near, "region:eu", "requests");
    assert!((us / (us + eu) - 0.5).abs() < 0.03, "us share {}", us / (us + eu));
    // Every answer to a European user names the European pool.
    let answers_eu = metric(&near, "www/web-eu", "dns_answers");
    let answers_us = metric(&near, "www/web-us", "dns_answers");
    assert!((answers_eu / (answers_eu + answers_us) - 0.5).abs() < 0.05);

    // With only the American data center, Europeans pay the link both ways.
    let far = simulate(&scenario(&two_regions(r#"["web-us"]"#, "")));
    assert_conserved(&far);
    let difference =
        metric(&far, "region:eu", "latency_mean_ms") - metric(&far, "region:us", "latency_mean_ms");
    // 2 × 50 ms, up to the sampling error of two means of ~10 000
    // exponential(2 ms) service times (standard error ≈ 0.03 ms).
    assert!((difference - 100.0).abs() < 0.5, "difference {difference} ms");
}

#[test]
fn geodns_moves_a_region_to_the_other_data_center_when_its_own_is_unhealthy() {
    let fault = r#"
[[faults]]
kill = "datacenter.dc-eu"
at = "40s"
for = "40s"
"#;
    let result = simulate(&scenario(&two_regions(r#"["web-us", "web-eu"]"#, fault)));
    assert_conserved(&result);
    let detected = event_time(&result, "detected", "www");
    // Probes every 2 s, out after 2 failures: 2–4 s.
    assert!((42.0..=44.0).contains(&detected), "detected at {detected}");
    // Once detected and every cached record (10 s) has expired, Europeans
    // are served by dc-us, paying the link both ways, without errors.
    let settled = detected + 10.0 + 5.0;
    let errors = series(&result, "region:eu", "errors");
    let latency = series(&result, "region:eu", "latency_mean_ms");
    let answers_us = series(&result, "www/web-us", "dns_answers");
    let answers_eu = series(&result, "www/web-eu", "dns_answers");
    for ((&(time, errors), &(_, mean)), (&(_, to_us), &(_, to_eu))) in errors
        .iter()
        .zip(&latency)
        .zip(answers_us.iter().zip(&answers_eu))
    {
        if time > settled && time <= 80.0 {
            assert_eq!(errors, 0.0, "eu errors in the window ending {time}");
            assert!((121.0..124.0).contains(&mean), "eu mean {mean} ms at {time}");
            assert_eq!(to_eu, 0.0, "no answer names the dead data center at {time}");
            assert!(to_us > 0.0);
        }
        if time <= 40.0 {
            assert!((21.0..24.0).contains(&mean), "eu mean {mean} ms at {time}");
        }
    }
    // Americans never notice.
    assert_eq!(metric(&result, "region:us", "errors"), 0.0);
    // After the restore the health check brings dc-eu back, and Europeans
    // return to it as their records expire.
    let back = event_time(&result, "dns_target_back", "www");
    assert!(back > 80.0 && back <= 86.0, "back at {back}");
    let last = latency.last().unwrap().1;
    assert!((21.0..24.0).contains(&last), "eu mean at the end {last} ms");
}

#[test]
fn datacenter_failover_errors_last_about_ttl_plus_detection() {
    for ttl in [30.0, 10.0] {
        let setting = format!("dns.www.ttl=\"{ttl}s\"");
        let result = simulate(&scenario_file(&shipped("drill-datacenter.toml"), &[&setting]));
        assert_conserved(&result);
        let fault = 120.0;
        let detected = event_time(&result, "detected", "www") - fault;
        // Probes every 5 s, out after 3 failures: 10–15 s.
        assert!((10.0..=15.0).contains(&detected), "detected after {detected} s");
        // Windows are 5 s, stamped with their end: the last one with an
        // American error. A user who looked the name up just before the
        // detection keeps the dead answer for a whole TTL, so the burst ends
        // no later than detection + TTL (+ the window holding it), and not
        // much earlier: thousands of users hold records of every age.
        let last_error = series(&result, "region:us", "errors")
            .into_iter()
            .filter(|&(time, errors)| time > fault && errors > 0.0)
            .map(|(time, _)| time)
            .fold(0.0, f64::max);
        let burst = last_error - fault;
        let expected = detected + ttl;
        assert!(
            burst >= expected - 5.0 && burst <= expected + 5.0,
            "TTL {ttl}: errors for {burst} s, expected ≈ {expected}"
        );
        // Then dc-eu serves the Americans, 2 × 80 ms further away.
        let before = metric_at(&result, "region:us", "latency_p50_ms", 115.0);
        let during = metric_at(&result, "region:us", "latency_p50_ms", 200.0);
        assert!(
            (during - before - 160.0).abs() < 10.0,
            "p50 {before} → {during} ms"
        );
    }
}

fn metric_at(result: &RunResult, scope: &str, name: &str, time: f64) -> f64 {
    series(result, scope, name)
        .into_iter()
        .find(|&(at, _)| at == time)
        .unwrap_or_else(|| panic!("no {scope}/{name} at {time}"))
        .1
}

#[test]
fn the_datacenter_drill_reports_detection_rto_blast_radius_and_lost_writes() {
    let result = simulate(&scenario_file(&shipped("drill-datacenter.toml"), &[]));
    let drill = "drill:datacenter.dc-us@120s";
    // The database's failover notices first (10 s), the DNS check at 10–15 s.
    let detect = metric(&result, drill, "time_to_detect_s");
    assert!((10.0..=15.0).contains(&detect), "detected after {detect} s");
    let rto = metric(&result, drill, "rto_s");
    assert!((35.0..=50.0).contains(&rto), "rto {rto} s");
    assert!(metric(&result, drill, "users_affected") > 1000.0);
    assert!(metric(&result, drill, "errors_refused") > 0.0);
    // Async replication across 80 ms: the promoted replica misses the
    // writes of the last ~80 ms, so some acknowledged writes are lost and
    // the lost window is under the link's lag.
    let lost = metric(&result, drill, "lost_writes");
    let rpo = metric(&result, drill, "rpo_s");
    assert!(lost >= 1.0, "lost {lost}");
    assert!(rpo > 0.0 && rpo < 0.2, "rpo {rpo} s");
}

/// A primary in dc-us, its replica in dc-eu, 40 ms apart; web tiers in
/// both write to the primary.
fn replicated(extra: &str) -> String {
    two_regions(
        r#"["web-us", "web-eu"]"#,
        &format!(
            r#"
[keyspace.items]
keys = 10000

[database.db]
keyspace = "items"
replicas = 1
read_from = "nearest"
read = "1ms"
write = "1ms"
replication = {{ mode = "async", apply = "1ms", ship = "1ms" }}
datacenter = "dc-us"
replica_datacenters = ["dc-eu"]
{extra}
"#
        ),
    )
    .replace(
        "endpoint.get = { service = { dist = \"exp\", mean = \"2ms\" } }",
        "endpoint.get = { service = { dist = \"exp\", mean = \"2ms\" }, steps = [{ write = \"db\" }, { read = \"db\" }] }",
    )
    .replace("\"50ms\"", "\"40ms\"")
}

#[test]
fn cross_datacenter_replication_lags_by_the_link_and_falls_behind_during_a_partition() {
    let steady = simulate(&scenario(&replicated("")));
    assert_conserved(&steady);
    // Each write reaches the replica after the ship time (1 ms), the link
    // (40 ms) and the apply (1 ms), so the lag is never under the link.
    let lag_mean = metric(&steady, "db", "replication_lag_mean_ms");
    assert!((42.0..43.0).contains(&lag_mean), "lag {lag_mean} ms");
    // Reads are near: Europeans read their replica, so both regions pay a
    // write at the primary and a local read; Europeans' write crosses.
    let us = metric(&steady, "region:us", "latency_mean_ms");
    let eu = metric(&steady, "region:eu", "latency_mean_ms");
    assert!((eu - us - 80.0).abs() < 1.0, "us {us} ms, eu {eu} ms");

    let cut = r#"
[[faults]]
partition = ["dc-us", "dc-eu"]
at = "40s"
for = "30s"
"#;
    let result = simulate(&scenario(&replicated(cut)));
    assert_conserved(&result);
    for name in ["requests", "completed", "errors"] {
        let regions = metric(&result, "region:us", name) + metric(&result, "region:eu", name);
        assert_eq!(regions, metric(&result, "overall", name), "{name}");
    }
    // The replica falls further behind for as long as the partition lasts...
    let behind = series(&result, "db.replica[0]", "replication_behind_ms");
    let at = |time: f64| behind.iter().find(|&&(t, _)| t == time).expect("a window").1;
    assert!(at(35.0) < 100.0, "before: {} ms", at(35.0));
    assert!(
        at(50.0) > 9_000.0 && at(50.0) < 11_000.0,
        "10 s in: {} ms",
        at(50.0)
    );
    assert!(
        at(70.0) > 29_000.0 && at(70.0) < 31_000.0,
        "30 s in: {} ms",
        at(70.0)
    );
    // ... and catches up once it heals.
    assert!(at(80.0) < 100.0, "after: {} ms", at(80.0));
    let lag_max = metric(&result, "db", "replication_lag_max_ms");
    assert!(lag_max > 29_000.0, "max lag {lag_max} ms");
    // European writes cannot reach the primary: they fail as unavailable,
    // only during the partition.
    for (time, unavailable) in series(&result, "region:eu", "errors_unavailable") {
        if time <= 40.0 || time > 70.0 {
            assert_eq!(unavailable, 0.0, "window ending {time}");
        }
    }
    assert!(metric(&result, "region:eu", "errors_unavailable") > 1000.0);
    assert_eq!(metric(&result, "region:us", "errors"), 0.0);
    assert!(metric(&result, "datacenter:dc-eu", "partitioned") > 1000.0);
    // The drill report covers the partition.
    let drill = "drill:partition.dc-us|dc-eu@40s";
    assert!(metric(&result, drill, "errors_unavailable") > 1000.0);
    assert_eq!(metric(&result, drill, "recovered"), 1.0);
    let rto = metric(&result, drill, "rto_s");
    assert!((30.0..=40.0).contains(&rto), "rto {rto} s");
}

#[test]
fn the_multi_datacenter_scenario_serves_each_region_at_home() {
    let result = simulate(&scenario_file(&shipped("09-multi-datacenter.toml"), &[]));
    assert_conserved(&result);
    assert_eq!(metric(&result, "overall", "errors"), 0.0);
    // Reads are local in both regions; only European writes cross the
    // ocean (10 % of requests × 160 ms ≈ 16 ms on the mean).
    let us = metric(&result, "region:us", "latency_mean_ms");
    let eu = metric(&result, "region:eu", "latency_mean_ms");
    assert!((eu - us - 16.0).abs() < 4.0, "us {us} ms, eu {eu} ms");
    // Cross-ocean replication: never under the 80 ms link.
    let lag = metric(&result, "db", "replication_lag_mean_ms");
    assert!((80.0..90.0).contains(&lag), "lag {lag} ms");
    // DNS answers follow the users: 60 % / 40 %.
    let to_us = metric(&result, "www/lb-us", "dns_answers");
    let to_eu = metric(&result, "www/lb-eu", "dns_answers");
    assert!((to_us / (to_us + to_eu) - 0.6).abs() < 0.03);
    for dc in ["datacenter:dc-us", "datacenter:dc-eu"] {
        let utilization = metric(&result, dc, "utilization");
        assert!(utilization > 0.0 && utilization < 1.0, "{dc} {utilization}");
    }
}

#[test]
fn unknown_regions_and_data_centers_are_reported_with_a_suggestion() {
    let text = two_regions(r#"["web-us", "web-eu"]"#, "")
        .replace("datacenter = \"dc-eu\"", "datacenter = \"dc-ue\"");
    let error = load_str(&text).expect_err("an unknown data center");
    let message = error.to_string();
    assert!(message.contains("no datacenter named `dc-ue`"), "{message}");
    assert!(message.contains("did you mean `dc-eu`?"), "{message}");

    let text = two_regions(r#"["web-us", "web-eu"]"#, "").replace("region = \"eu\"", "region = \"europe\"");
    let message = load_str(&text).expect_err("an unknown region").to_string();
    assert!(message.contains("no region named `europe`"), "{message}");

    // The second target's pool lacks the endpoint the class calls.
    let mut text = two_regions(r#"["web-us", "web-eu"]"#, "");
    let last = text.rfind("endpoint.get = {").expect("two pools");
    text.replace_range(last..last + "endpoint.get".len(), "endpoint.put");
    let message = load_str(&text)
        .expect_err("a target without the endpoint")
        .to_string();
    assert!(
        message.contains("`www` can answer with `web-eu`, whose pool `web-eu` has no endpoint `get`"),
        "{message}"
    );

    let text = two_regions(
        r#"["web-us", "web-eu"]"#,
        "\n[[faults]]\npartition = [\"dc-us\", \"dc-us\"]\nat = \"1s\"\n",
    );
    let message = load_str(&text).expect_err("a partition of one").to_string();
    assert!(message.contains("separates two data centers"), "{message}");
}

#[test]
fn the_graph_groups_components_by_data_center() {
    let scenario = scenario_file(&shipped("09-multi-datacenter.toml"), &[]);
    let topology = capsim::report::graph::Topology::of(&scenario);
    let mermaid = topology.mermaid();
    let us = mermaid
        .find("subgraph dc_dc_us__us_[\"dc-us (us)\"]")
        .expect("a dc-us subgraph");
    let eu = mermaid
        .find("subgraph dc_dc_eu__eu_[\"dc-eu (eu)\"]")
        .expect("a dc-eu subgraph");
    let eu_block = &mermaid[eu..];
    let eu_block = &eu_block[..eu_block.find("  end").expect("the subgraph ends")];
    assert!(eu_block.contains("pool_web_eu") && eu_block.contains("balancer_lb_eu"));
    assert!(!eu_block.contains("pool_web_us"));
    assert!(us < eu);
    assert!(mermaid.contains("dns_www -->|\"nearest healthy\"| balancer_lb_eu"));
    let dot = topology.dot();
    assert!(dot.contains("subgraph \"cluster_dc_us__us_\""), "{dot}");
}

#[test]
fn the_feasibility_estimate_splits_a_geodns_names_load_by_region() {
    let scenario = scenario_file(&shipped("09-multi-datacenter.toml"), &[]);
    let loads = capsim::study::feasibility::estimate(&scenario);
    let rate = |station: &str| {
        loads
            .iter()
            .find(|load| load.station == station)
            .unwrap_or_else(|| panic!("no estimate for {station}"))
            .arrival_rate
    };
    // 400 requests/s: 60 % of the users are nearest dc-us, 40 % dc-eu.
    assert!((rate("web-us") - 240.0).abs() < 1e-6, "web-us {}", rate("web-us"));
    assert!((rate("web-eu") - 160.0).abs() < 1e-6, "web-eu {}", rate("web-eu"));
}
