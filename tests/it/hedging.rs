//! Hedged requests (`hedge` on a call step) against order statistics.
//!
//! The callee's service time X is lognormal (mean 10 ms, cv 1) and nothing
//! else takes time: no network, no queueing (workers and cores aplenty),
//! a front endpoint of zero service. Unhedged, a request takes X. Hedged
//! after d = the p95 of X, it takes T = min(X₁, d + X₂) with X₁, X₂
//! independent, so for t > d
//!
//!   P(T > t) = S(t) · S(t − d),   S the lognormal survival function,
//!
//! and the predicted p99 is the root of S(t)·S(t − d) = 0.01, found by
//! bisection from the lognormal CDF (`standard_normal_cdf`).
//!
//! Tolerance: the sample p-quantile of n independent draws is
//! asymptotically normal with standard error √(p(1 − p)/n) / f_T(t_p)
//! (Bahadur; e.g. David & Nagaraja, "Order Statistics", §10.2), where
//! f_T(t) = f(t)·S(t − d) + S(t)·f(t − d) is T's density. The test allows
//! 4 standard errors, plus the latency histogram's resolution (3
//! significant digits: 0.1 % of the value, doubled for safety).

use capsim::scenario::dist::{Dist, LogNormalSpread, standard_normal_cdf};

use crate::support::{assert_conserved, metric, scenario, simulate};

const MEAN_MS: f64 = 10.0;
const CV: f64 = 1.0;

fn text(hedge: &str) -> String {
    format!(
        r#"
[scenario]
duration = "70s"
warmup = "10s"
window = "10s"
[workload]
arrivals = {{ kind = "open", rate = "2000/s" }}
mix = [{{ class = "q", call = "front/get" }}]
[network]
default = "0s"
[pool.front]
workers = 100000
[pool.front.endpoint.get]
service = "0s"
steps = [{{ call = "back/work"{hedge} }}]
[pool.back]
workers = 100000
[pool.back.endpoint.work]
service = {{ dist = "lognormal", mean = "{MEAN_MS}ms", cv = {CV} }}
"#
    )
}

/// The lognormal's (mu, sigma) in milliseconds.
fn parameters() -> (f64, f64) {
    Dist::lognormal_parameters(MEAN_MS, &LogNormalSpread::Cv(CV))
}

fn survival(t: f64) -> f64 {
    if t <= 0.0 {
        return 1.0;
    }
    let (mu, sigma) = parameters();
    1.0 - standard_normal_cdf((t.ln() - mu) / sigma)
}

fn density(t: f64) -> f64 {
    if t <= 0.0 {
        return 0.0;
    }
    let (mu, sigma) = parameters();
    let z = (t.ln() - mu) / sigma;
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt() / (t * sigma)
}

/// The t with `tail(t)` = q, by bisection (tail decreasing).
fn solve(tail: impl Fn(f64) -> f64, q: f64) -> f64 {
    let (mut low, mut high) = (0.0f64, 10_000.0f64);
    for _ in 0..200 {
        let middle = 0.5 * (low + high);
        if tail(middle) > q {
            low = middle;
        } else {
            high = middle;
        }
    }
    0.5 * (low + high)
}

#[test]
fn hedging_after_the_p95_lowers_the_p99_as_order_statistics_predict() {
    let d = solve(survival, 0.05);
    let predicted = solve(|t| survival(t) * survival(t - d), 0.01);
    let unhedged_p99 = solve(survival, 0.01);

    let hedged = simulate(&scenario(&text(
        r#", hedge = { after = "p95", loser = "waste" }"#,
    )));
    assert_conserved(&hedged);
    let n = metric(&hedged, "overall", "requests");
    let measured = metric(&hedged, "overall", "latency_p99_ms");
    let f_t = density(predicted) * survival(predicted - d) + survival(predicted) * density(predicted - d);
    let standard_error = (0.01f64 * 0.99 / n).sqrt() / f_t;
    let tolerance = 4.0 * standard_error + 0.002 * predicted;
    assert!(
        (measured - predicted).abs() <= tolerance,
        "hedged p99 {measured:.3} ms, predicted {predicted:.3} ms ± {tolerance:.3} (n = {n}, d = {d:.3} ms)"
    );
    assert!(
        predicted < unhedged_p99 - 5.0 * tolerance,
        "the prediction is a real gain"
    );

    // The unhedged run's p99 is the lognormal's own.
    let plain = simulate(&scenario(&text("")));
    assert_conserved(&plain);
    let plain_p99 = metric(&plain, "overall", "latency_p99_ms");
    let f = density(unhedged_p99);
    let plain_tolerance = 4.0 * (0.01f64 * 0.99 / n).sqrt() / f + 0.002 * unhedged_p99;
    assert!(
        (plain_p99 - unhedged_p99).abs() <= plain_tolerance,
        "unhedged p99 {plain_p99:.3} ms, lognormal's {unhedged_p99:.3} ms ± {plain_tolerance:.3}"
    );

    // A hedge goes out for the 5 % of calls slower than d (binomial, 5 σ).
    let sent = metric(&hedged, "front", "hedges_sent");
    let expected = 0.05 * n;
    assert!(
        (sent - expected).abs() <= 5.0 * (n * 0.05 * 0.95).sqrt() + 2.0 * 2000.0 * 0.05,
        "{sent} hedges for {expected} expected"
    );
    let won = metric(&hedged, "front", "hedges_won");
    assert!(won > 0.0 && won < sent, "{won} of {sent} hedges won");
    assert_eq!(
        metric(&hedged, "front", "hedges_cancelled"),
        0.0,
        "losers are wasted"
    );
    assert!(metric(&hedged, "front", "wasted_calls") > 0.0);
}

#[test]
fn a_cancelled_loser_stops_and_the_winner_is_the_same() {
    let waste = simulate(&scenario(&text(
        r#", hedge = { after = "p95", loser = "waste" }"#,
    )));
    let cancel = simulate(&scenario(&text(
        r#", hedge = { after = "p95", loser = "cancel" }"#,
    )));
    assert_conserved(&cancel);
    // Nothing queues, so what becomes of a loser changes no winner.
    assert_eq!(
        metric(&waste, "overall", "latency_p99_ms"),
        metric(&cancel, "overall", "latency_p99_ms")
    );
    let sent = metric(&cancel, "front", "hedges_sent");
    assert!(sent > 0.0);
    assert_eq!(
        metric(&cancel, "front", "hedges_cancelled"),
        sent,
        "each hedged call has one loser"
    );
}

#[test]
fn a_fixed_delay_hedges_the_calls_slower_than_it() {
    let result = simulate(&scenario(&text(r#", hedge = { after = "20ms", max = 2 }"#)));
    assert_conserved(&result);
    let n = metric(&result, "overall", "requests");
    // The first hedge goes out when X > 20 ms, the second when X and the
    // first hedge's X₂ both exceed 40 ms and 20 ms.
    let expected = n * (survival(20.0) + survival(40.0) * survival(20.0));
    let sent = metric(&result, "front", "hedges_sent");
    assert!(
        (sent - expected).abs() <= 5.0 * expected.sqrt() + 0.01 * expected,
        "{sent} hedges for {expected:.0} expected"
    );
}
