//! Writes a calibration as a scenario skeleton: every number `capsim run`
//! reads, each with its evidence in a comment beside it — the test
//! statistics and verdicts of the service-time fit, error rates, where
//! the server time came from, the arrival analysis and its warnings.
//!
//! The skeleton is one pool, `app`, of one instance with a worker (and so
//! a core) per request in flight at the logged peak, doubled: the log says
//! how long the server took, not how much of it was CPU, nor how many
//! cores served it, so the service time is written as the endpoint's own
//! time and the sizing is left to the user.

use std::fmt::Write;

use super::fit::{Dist, Fit};
use super::{Calibration, Endpoint, TimeSource};

/// A time in milliseconds as a scenario duration, to the nanosecond.
fn duration(ms: f64) -> String {
    let text = format!("{ms:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("\"{text}ms\"")
}

fn number(value: f64) -> String {
    let text = format!("{value:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The distribution as a scenario value.
pub fn dist_toml(dist: &Dist) -> String {
    match dist {
        Dist::Const { value } => format!("{{ dist = \"const\", value = {} }}", duration(*value)),
        Dist::Exp { mean } => format!("{{ dist = \"exp\", mean = {} }}", duration(*mean)),
        Dist::LogNormal { .. } | Dist::Gamma { .. } => format!(
            "{{ dist = \"{}\", mean = {}, cv = {} }}",
            dist.family(),
            duration(dist.mean()),
            number(dist.cv())
        ),
        Dist::Empirical { points } => {
            let samples: Vec<String> = points.iter().map(|&ms| number(ms)).collect();
            format!(
                "{{ dist = \"empirical\", unit = \"ms\", samples = [{}] }}",
                samples.join(", ")
            )
        }
    }
}

fn verdicts(fit: &Fit) -> String {
    if fit.tests.is_empty() {
        return "every sample within 0.1 % of the mean: const, no test".to_owned();
    }
    let tests: Vec<String> = fit
        .tests
        .iter()
        .map(|test| {
            format!(
                "{} {} {} {} {}",
                test.family,
                number(test.statistic),
                if test.accepted() { "<=" } else { ">" },
                number(test.critical),
                if test.accepted() { "accepted" } else { "rejected" }
            )
        })
        .collect();
    let resolution = fit.resolution.map_or(String::new(), |delta| {
        format!(
            "; times logged to {} ms: each family tested as the log writes it, critical values by bootstrap",
            number(delta)
        )
    });
    format!(
        "KS at 1 % (n = {}{resolution}): {} => {}",
        fit.samples,
        tests.join("; "),
        fit.dist.family()
    )
}

fn endpoint_block(out: &mut String, endpoint: &Endpoint) {
    let _ = writeln!(
        out,
        "\n# {}: {} requests ({:.2} % of all)",
        endpoint.group,
        endpoint.requests,
        100.0 * endpoint.weight
    );
    let _ = writeln!(
        out,
        "# errors: {:.3} % 5xx (not simulated: a capsim endpoint fails only by overload or faults); \
         {:.3} % 4xx, counted as served (the server did its work and answered)",
        100.0 * endpoint.error_rate(),
        100.0 * endpoint.client_errors as f64 / endpoint.requests as f64
    );
    match endpoint.source {
        TimeSource::Upstream => {
            let _ = write!(
                out,
                "# service time: the server's own time as logged (upstream/target time)"
            );
            if let Some(outside) = endpoint.outside_mean_ms {
                let _ = write!(
                    out,
                    "; the rest of the latency, mean {} ms, is network and queueing in front of the server",
                    number(outside)
                );
            }
            let _ = writeln!(out);
        }
        TimeSource::Latency => {
            let _ = writeln!(
                out,
                "# service time: the whole logged latency (no server time logged), so it includes network and queueing"
            );
        }
    }
    let _ = writeln!(out, "[pool.app.endpoint.{}]", endpoint.name);
    match &endpoint.fit {
        Some(fit) => {
            let _ = writeln!(out, "# {}", verdicts(fit));
            let _ = writeln!(
                out,
                "# fitted mean {} ms, p99 {} ms; the log's mean {} ms, p99 {} ms",
                number(fit.dist.mean()),
                number(fit.dist.quantile(0.99)),
                number(endpoint.observed_mean_ms),
                number(endpoint.observed_p99_ms)
            );
            let _ = writeln!(out, "service = {}", dist_toml(&fit.dist));
        }
        None => {
            let _ = writeln!(out, "# no response below 500 had a time: a placeholder of 0");
            let _ = writeln!(out, "service = \"0ms\"");
        }
    }
}

/// The scenario text of `calibration`, read from `sources` (for its header).
pub fn write(calibration: &Calibration, sources: &str) -> String {
    let mut out = String::new();
    let requests: u64 = calibration.endpoints.iter().map(|e| e.requests).sum();
    let _ = writeln!(
        out,
        "# Calibrated by `capsim calibrate` from {requests} requests in {sources}."
    );
    for file in &calibration.files {
        let _ = writeln!(
            out,
            "#   {}: {} format, {} entries, {} bad lines",
            file.file.display(),
            file.format.map_or("no", super::formats::Format::name),
            file.entries,
            file.bad
        );
    }
    let _ = writeln!(
        out,
        "# A skeleton: check the pool's size and add what the log cannot show (databases, caches, calls).\n"
    );
    let _ = writeln!(
        out,
        "[scenario]\nname = \"calibrated\"\nseed = 1\nduration = \"10m\"\nwarmup = \"1m\"\nwindow = \"10s\"\n"
    );
    let _ = writeln!(out, "[workload]");
    let mut rate = 1.0;
    let mut peak = 1.0;
    if let Some(arrivals) = &calibration.arrivals {
        rate = arrivals.mean_rps;
        peak = arrivals.peak_rps;
        let _ = writeln!(
            out,
            "# arrivals over {} s: mean {}/s; peak {}/s over the busiest {} s window (peak factor {})",
            number(arrivals.span_s),
            number(arrivals.mean_rps),
            number(arrivals.peak_rps),
            number(arrivals.peak_window_s),
            number(arrivals.peak_factor())
        );
        let _ = writeln!(
            out,
            "# index of dispersion of counts per second: {} (Poisson: 1)",
            number(arrivals.dispersion)
        );
        if arrivals.far_from_poisson() {
            let _ = writeln!(
                out,
                "# WARNING: arrivals are far from Poisson (index of dispersion {}); capsim's open arrivals are Poisson, so queueing {}",
                number(arrivals.dispersion),
                if arrivals.dispersion > 1.0 {
                    "under bursts will be understated"
                } else {
                    "will be overstated"
                }
            );
        }
        if let Some(profile) = arrivals.diurnal {
            let hours: Vec<String> = profile.iter().map(|&share| format!("{share:.2}")).collect();
            let _ = writeln!(
                out,
                "# rate by hour of day (UTC) relative to the mean: {}",
                hours.join(" ")
            );
            let (peak_hour, high) =
                profile
                    .iter()
                    .copied()
                    .enumerate()
                    .fold(
                        (0, 0.0),
                        |best, (hour, share)| if share > best.1 { (hour, share) } else { best },
                    );
            let low = profile
                .iter()
                .copied()
                .filter(|&share| share > 0.0)
                .fold(f64::INFINITY, f64::min);
            rate = arrivals.mean_rps * high;
            let _ = writeln!(
                out,
                "# the rate below is the peak hour's; `diurnal` scales it down through the day"
            );
            let _ = writeln!(
                out,
                "diurnal = {{ trough = {}, period = \"24h\", peak_at = \"{}m\" }}",
                number((low / high).min(1.0)),
                peak_hour * 60 + 30
            );
        }
    }
    let _ = writeln!(
        out,
        "arrivals = {{ kind = \"open\", rate = \"{}/s\", users = 10000 }}",
        number(rate)
    );
    let _ = writeln!(out, "mix = [");
    for endpoint in &calibration.endpoints {
        let _ = writeln!(
            out,
            "  {{ class = \"{0}\", weight = {1}, call = \"app/{0}\" }},   # {2}",
            endpoint.name,
            number(endpoint.weight),
            endpoint.group
        );
    }
    let _ = writeln!(out, "]\n");
    let mean_service_ms: f64 = calibration
        .endpoints
        .iter()
        .map(|endpoint| endpoint.weight * endpoint.fit.as_ref().map_or(0.0, |fit| fit.dist.mean()))
        .sum();
    let in_flight = peak * mean_service_ms / 1e3;
    let workers = (2.0 * in_flight).ceil().max(1.0) as u64 + 8;
    let _ = writeln!(out, "[pool.app]");
    let _ = writeln!(
        out,
        "# {} requests in flight at the peak (Little's law: peak rate x mean service time), doubled, plus 8;\n\
         # one core per worker (no `size`): size it to your servers",
        number(in_flight)
    );
    let _ = writeln!(out, "workers = {workers}");
    for endpoint in &calibration.endpoints {
        endpoint_block(&mut out, endpoint);
    }
    out
}
