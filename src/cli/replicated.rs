//! `capsim run --replications R`: R independent runs in parallel, written
//! as one run whose summary has 95 % intervals. The runs, the files and the
//! charts all go on the pool `--threads` sizes.

use capsim::metrics::catalog as metric;
use capsim::report::OutDir;
use capsim::report::bottleneck;
use capsim::report::render::Rendered;
use capsim::report::study_files::write_replicated_run;
use capsim::results::Replicated;
use capsim::results::interval::IntervalSummary;
use capsim::results::slo::Slo;
use capsim::scenario::Scenario;
use capsim::scenario::dump::resolved;
use capsim::study::replicate::run_replications;

use super::args::RunArgs;
use super::count_progress::CountProgress;
use super::outcome::{Failure, Outcome};
use super::threads;

pub fn run(arguments: &RunArgs, scenario: &Scenario, slos: &[Slo], out: &OutDir) -> Outcome {
    // The runs, the files and the charts all go on the study's pool:
    // `--threads` bounds it all.
    let finished = threads::install(arguments.threads, || {
        run_and_write(arguments, scenario, slos, out)
    });
    let (replicated, rendered) = match finished {
        Ok(Ok(finished)) => finished,
        Ok(Err(failure)) | Err(failure) => return Err(failure),
    };
    if !arguments.quiet {
        print_summary(scenario, &replicated, &arguments.out);
        super::render::print_verdicts(&rendered.verdicts);
        let means = |scope: &str, metric: &str| replicated.summary.mean(scope, metric);
        super::analytic_table::print_comparison(scenario, &means, arguments.estimate);
    }
    super::render::slo_outcome(&rendered.verdicts)
}

/// Runs the replications, writes the run folder and draws its charts and
/// report; on failure prints why and says which kind of failure.
fn run_and_write(
    arguments: &RunArgs,
    scenario: &Scenario,
    slos: &[Slo],
    out: &OutDir,
) -> Result<(Replicated, Rendered), Failure> {
    let replications = arguments.replications;
    let progress = CountProgress::new(replications as u64, "replications", arguments.quiet);
    let result = run_replications(scenario, replications, &|| progress.tick());
    progress.finish();
    let replicated = result.map_err(|error| {
        eprintln!("error: {error}");
        eprintln!("no results were written");
        Failure::Failed
    })?;
    write_replicated_run(out, &resolved(scenario), &replicated)
        .map_err(|error| super::output::write_failed(&arguments.out, &error))?;
    let rendered = super::render::render(out, Some(scenario), slos)?;
    Ok((replicated, rendered))
}

/// `12.34 ± 0.56`, or the mean alone when there is no interval.
fn with_interval(
    summary: &IntervalSummary,
    scope: &str,
    metric: &str,
    scale: f64,
    decimals: usize,
) -> String {
    match summary.get(scope, metric) {
        // No replication measured it (no request completed): no number.
        Some(row) if row.mean.is_nan() => "-".to_owned(),
        Some(row) if row.high.is_finite() && row.low.is_finite() => format!(
            "{:.decimals$} ± {:.decimals$}",
            scale * row.mean,
            scale * (row.high - row.low) / 2.0
        ),
        Some(row) => format!("{:.decimals$}", scale * row.mean),
        None => "-".to_owned(),
    }
}

fn print_summary(scenario: &Scenario, replicated: &Replicated, out: &std::path::Path) {
    let summary = &replicated.summary;
    let get = |scope: &str, metric: &str, scale: f64, decimals: usize| {
        with_interval(summary, scope, metric, scale, decimals)
    };
    say!(
        "{} (seed {}, {} replications of {} simulated, {} warm-up; means ± 95% interval half-widths)",
        scenario.name,
        scenario.seed,
        replicated.replications,
        scenario.duration,
        scenario.warmup
    );
    say!(
        "  requests {}  throughput {}/s  errors {}%",
        get("overall", metric::REQUESTS.name, 1.0, 0),
        get("overall", metric::THROUGHPUT_RPS.name, 1.0, 1),
        get("overall", metric::ERROR_RATE.name, 100.0, 3)
    );
    say!(
        "  latency  mean {} ms  p50 {} ms  p99 {} ms",
        get("overall", metric::LATENCY_MEAN_MS.name, 1.0, 2),
        get("overall", metric::LATENCY_P50_MS.name, 1.0, 2),
        get("overall", metric::LATENCY_P99_MS.name, 1.0, 2)
    );
    // The bottleneck of the means, by the report's rule.
    let rows = summary
        .rows
        .iter()
        .map(|row| (row.scope.as_str(), row.metric.as_str()));
    let value = |scope: &str, metric: &str| summary.mean(scope, metric);
    if let Some(busiest) = bottleneck::rank(rows, &value).into_iter().next() {
        let name = busiest.station.as_str();
        let core_wait = match busiest.cpu_wait_mean_ms {
            Some(_) => format!(
                ", for a core {} ms",
                get(name, metric::CPU_WAIT_MEAN_MS.name, 1.0, 2)
            ),
            None => String::new(),
        };
        say!(
            "  busiest  {name} ({} {}% busy), mean wait for a {} {} ms{core_wait}",
            busiest.resource,
            get(name, &busiest.metric, 100.0, 1),
            busiest.waits_for,
            get(name, metric::WAIT_MEAN_MS.name, 1.0, 2)
        );
    }
    let rows = summary
        .rows
        .iter()
        .map(|row| (row.scope.as_str(), row.metric.as_str()));
    if let Some(headroom) = capsim::results::headroom::of_rows(rows, &value) {
        say!("  headroom {} (of the means)", headroom.describe());
    }
    let scopes = summary.rows.iter().map(|row| row.scope.as_str());
    for drill in capsim::results::drills::drills(scopes, &value)
        .iter()
        .take(MAX_DRILL_LINES)
    {
        say!("  drill    {}", drill_line(summary, drill));
    }
    say!(
        "  cost     ${}/month at this load (${} per million requests)",
        get("overall", metric::COST_PER_MONTH_USD.name, 1.0, 2),
        get("overall", metric::COST_PER_MILLION_REQUESTS_USD.name, 1.0, 4)
    );
    say!(
        "results in {}/ (summary.csv with ci95_low,ci95_high; timeseries.csv holds per-window means; \
         events.csv is replication 0's)",
        out.display()
    );
}

/// Drill lines printed at most (as for a single run).
const MAX_DRILL_LINES: usize = 10;

/// One fault's answer, each number a mean ± its interval's half-width: when
/// it was detected, the RTO (or that no request saw it), the RPO, failed
/// requests and users affected. Failed requests are the sum of the causes'
/// rows, so their ± is the sum of the causes' half-widths (never narrower
/// than the sum's own interval), as report.html shows it.
fn drill_line(summary: &IntervalSummary, drill: &capsim::results::drills::Drill) -> String {
    let scope = drill.scope.as_str();
    let seconds = |metric: &str| format!("{} s", seconds_with_interval(summary, scope, metric));
    let mut facts = vec![match drill.time_to_detect_s {
        Some(_) => format!("detected after {}", seconds(metric::TIME_TO_DETECT_S.name)),
        None => "not detected".to_owned(),
    }];
    facts.push(match drill.rto_s {
        _ if !drill.seen_by_requests => "not seen by requests".to_owned(),
        Some(_) => format!("RTO {}", seconds(metric::RTO_S.name)),
        None => "not recovered by the end (no RTO)".to_owned(),
    });
    if drill.rpo_s.is_some() {
        facts.push(format!("RPO {}", seconds(metric::RPO_S.name)));
    }
    let half: f64 = metric::ERRORS_BY_CAUSE
        .names()
        .iter()
        .filter_map(|name| summary.get(scope, name))
        .filter(|row| row.low.is_finite() && row.high.is_finite())
        .map(|row| (row.high - row.low) / 2.0)
        .sum();
    facts.push(format!(
        "{:.0} ± {half:.0} requests failed",
        drill.failed_requests
    ));
    facts.push(format!(
        "{} users affected",
        with_interval(summary, scope, metric::USERS_AFFECTED.name, 1.0, 0)
    ));
    format!(
        "{} at {:.0} s: {}",
        drill.component,
        drill.fault_at_s,
        facts.join(", ")
    )
}

/// Seconds to the millisecond, the trailing zeros both numbers share left
/// out: `61 ± 0`, `0.02 ± 0.01`, `12.5 ± 0.25`.
fn seconds_with_interval(summary: &IntervalSummary, scope: &str, metric: &str) -> String {
    match summary.get(scope, metric) {
        Some(row) if row.mean.is_finite() => {
            let mut mean = format!("{:.3}", row.mean);
            let mut half = (row.low.is_finite() && row.high.is_finite())
                .then(|| format!("{:.3}", (row.high - row.low) / 2.0));
            while mean.ends_with('0') && half.as_ref().is_none_or(|half| half.ends_with('0')) {
                mean.pop();
                if let Some(half) = &mut half {
                    half.pop();
                }
            }
            let mean = mean.trim_end_matches('.');
            match half {
                Some(half) => format!("{mean} ± {}", half.trim_end_matches('.')),
                None => mean.to_owned(),
            }
        }
        _ => "-".to_owned(),
    }
}
