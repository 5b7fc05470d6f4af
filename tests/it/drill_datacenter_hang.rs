//! `drill-datacenter.toml` with `mode = "hang"` (issue 19): the web pools'
//! database steps have a `timeout`, so dc-eu's workers that wrote to the
//! hung primary give up instead of waiting forever, and dc-eu serves its
//! offered load again once the replica is promoted; without the timeout on
//! dc-eu's write step, dc-eu jams for the rest of the run.
//!
//! The bound: dc-us hangs at 120 s; the database notices after its
//! `detection` (10 s) and promotes the dc-eu replica after `promotion`
//! (5 s), at 135 s. From then on a write goes to the new primary; a write
//! sent to the hung one before gives up after the step's `timeout`
//! (1 s), by 136 s. So every 5 s window ending at or after 140 s
//! (the first to start after 136 s) has European goodput within the
//! noise of the offered load (≥ 95 %), until dc-us returns at 300 s.
//! American users reach dc-eu once the geoDNS health check has seen lb-us
//! fail 3 times 5 s apart (by 135 s) and their cached answer expires (TTL
//! 30 s): by 165 s, plus the client's 2 s timeout on a request sent to
//! lb-us just before; every window ending at or after 170 s has overall
//! goodput ≥ 95 % of the offered load.

use crate::support::{assert_conserved, metric, scenario_file, series, shipped, simulate};
use capsim::results::RunResult;

const HANG: &str = "faults[0].mode=\"hang\"";
/// The one `--set` the scenario's header names: dc-eu's write without its timeout.
const NO_TIMEOUT: &str = "pool.web-eu.endpoint.update_item.steps=[{ write = \"db\" }]";

fn run(overrides: &[&str]) -> RunResult {
    let result = simulate(&scenario_file(&shipped("drill-datacenter.toml"), overrides));
    assert_conserved(&result);
    result
}

/// Goodput over offered load of `scope` in each window ending within `from..=to` seconds.
fn goodput_shares(result: &RunResult, scope: &str, from: f64, to: f64) -> Vec<(f64, f64)> {
    let goodput = series(result, scope, "throughput_rps");
    let offered = series(result, scope, "offered_rps");
    goodput
        .iter()
        .zip(&offered)
        .filter(|((time, _), _)| (from..=to).contains(time))
        .map(|((time, good), (_, offered))| (*time, good / offered))
        .collect()
}

#[test]
fn with_timeouts_dc_eu_serves_its_load_after_the_promotion() {
    let result = run(&[HANG]);
    for (time, share) in goodput_shares(&result, "region:eu", 140.0, 300.0) {
        assert!(share >= 0.95, "eu goodput {share:.3} of offered at {time} s");
    }
    for (time, share) in goodput_shares(&result, "overall", 170.0, 300.0) {
        assert!(share >= 0.95, "overall goodput {share:.3} of offered at {time} s");
    }
    // The writes sent to the hung primary before the promotion timed out:
    // about 16 writes/s from dc-eu over the 15 s before it.
    let timeouts = metric(&result, "web-eu", "call_timeouts");
    assert!((100.0..=400.0).contains(&timeouts), "{timeouts} timeouts");
    assert_eq!(metric(&result, "region:eu", "errors_timeout"), timeouts);
}

#[test]
fn without_the_write_timeout_dc_eu_jams_for_good() {
    let result = run(&[HANG, NO_TIMEOUT]);
    // Every worker of dc-eu waits for a write the hung primary never
    // answers: nothing European succeeds from the promotion to the end.
    for (time, share) in goodput_shares(&result, "region:eu", 140.0, 360.0) {
        assert!(share < 0.05, "eu goodput {share:.3} of offered at {time} s");
    }
    assert_eq!(metric(&result, "web-eu", "call_timeouts"), 0.0);
}

#[test]
fn in_crash_mode_the_timeouts_never_fire() {
    // A crashed primary refuses at once: the timeouts change nothing but
    // add their (zero) rows.
    let result = run(&[]);
    for pool in ["web-us", "web-eu"] {
        assert_eq!(metric(&result, pool, "call_timeouts"), 0.0, "{pool}");
        assert_eq!(metric(&result, pool, "wasted_calls"), 0.0, "{pool}");
    }
}
