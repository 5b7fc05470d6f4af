//! The analytic estimate as `validate` and `run` print it: a short table per
//! station and host (ρ, estimated wait; beside the simulated values after a run) and
//! the disagreements beyond the stated tolerances. After a run the table is
//! printed only when a row disagrees (ρ off by more than
//! `UTILIZATION_TOLERANCE`, or a wait or the mean latency off by more than
//! `TIME_FACTOR_TOLERANCE`× and `TIME_FLOOR_MS`), or with `--estimate`.

use capsim::scenario::Scenario;
use capsim::study::analytic::{
    self, Estimate, Lookup, TIME_FACTOR_TOLERANCE, TIME_FLOOR_MS, UTILIZATION_TOLERANCE,
};

fn milliseconds(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.2}")
    } else if value.is_nan() {
        "-".to_owned()
    } else {
        "∞".to_owned()
    }
}

fn headline(scenario: &Scenario, estimate: &Estimate) -> String {
    let healthy = if scenario.faults.is_empty() {
        ""
    } else {
        "\n  (for the healthy system: the scenario's faults are not in the estimate)"
    };
    format!(
        "analytic estimate at {:.1} requests/s (M/M/c per station along the call graph): mean latency {} ms{healthy}",
        estimate.throughput_rps,
        milliseconds(estimate.latency_mean_ms)
    )
}

/// `validate`: the estimate alone.
pub fn print_estimate(scenario: &Scenario) {
    let estimate = analytic::estimate(scenario);
    say!("{}", headline(scenario, &estimate));
    say!("  {:<24} {:>8} {:>12}", "station", "ρ", "wait ms");
    for station in &estimate.stations {
        say!(
            "  {:<24} {:>8.3} {:>12}",
            station.station,
            station.busiest(),
            milliseconds(station.wait_ms)
        );
    }
    // A host: its cores' ρ and the wait for one of them.
    for host in &estimate.hosts {
        say!(
            "  {:<24} {:>8.3} {:>12}",
            host.station,
            host.cpu_utilization,
            milliseconds(host.wait_ms)
        );
    }
    if !estimate.latency_mean_ms.is_finite() {
        say!("  a station is saturated (ρ ≥ 1 with queueing): this design cannot hold the load");
    }
}

/// `run`: the estimate beside the simulated values, with disagreements;
/// nothing when they agree, unless `always` (`--estimate`).
pub fn print_comparison(scenario: &Scenario, simulated: &Lookup, always: bool) {
    let estimate = analytic::estimate(scenario);
    let rows = analytic::compare(&estimate, simulated);
    if !always && rows.iter().all(|row| row.disagreement.is_none()) {
        return;
    }
    say!("{}", headline(scenario, &estimate));
    say!(
        "  {:<24} {:>8} {:>8} {:>12} {:>12}",
        "station",
        "ρ est",
        "ρ sim",
        "wait est ms",
        "wait sim ms"
    );
    for row in &rows {
        let flag = if row.disagreement.is_some() { "  ≠" } else { "" };
        if row.station == "overall" {
            say!(
                "  {:<24} {:>8} {:>8} {:>12} {:>12}{flag}",
                "mean latency",
                "",
                "",
                milliseconds(row.estimated_wait_ms),
                milliseconds(row.simulated_wait_ms)
            );
        } else {
            say!(
                "  {:<24} {:>8.3} {:>8.3} {:>12} {:>12}{flag}",
                row.station,
                row.estimated_utilization,
                row.simulated_utilization,
                milliseconds(row.estimated_wait_ms),
                milliseconds(row.simulated_wait_ms)
            );
        }
    }
    let disagreements: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            row.disagreement
                .as_ref()
                .map(|why| format!("{}: {why}", row.station))
        })
        .collect();
    if !disagreements.is_empty() {
        say!(
            "  ≠ estimate and simulation disagree (beyond {UTILIZATION_TOLERANCE} in ρ, or {TIME_FACTOR_TOLERANCE}× and \
             {TIME_FLOOR_MS} ms in time) — retries, timeouts, non-exponential service or blocking the estimate ignores:"
        );
        for line in disagreements {
            say!("    {line}");
        }
    }
}
