//! `capsim run`: load, pre-check, simulate, write, summarise.

use capsim::metrics::catalog as metric;
use capsim::report::{RunWriter, bottleneck};
use capsim::results::RunResult;
use capsim::scenario::dump::resolved;
use capsim::study::{self, Control, feasibility};

use super::args::RunArgs;
use super::outcome::{Failure, Outcome};
use super::progress::Progress;
use super::{load, threads};

pub fn run(arguments: RunArgs) -> Outcome {
    let flags = super::render::parse_slos(&arguments.slo)?;
    let loaded = load(&arguments.scenario)?;
    let scenario = &loaded.scenario;
    let slos = super::render::objectives(scenario, &flags)?;
    for warning in feasibility::warnings(&feasibility::estimate(scenario)) {
        eprintln!("warning: {warning}");
    }
    // The folder is claimed (and locked) before anything is simulated.
    let out = super::output::claim(&arguments.out, arguments.force, &loaded.inputs)?;
    if arguments.trace.is_some() && !(arguments.trace_rate > 0.0 && arguments.trace_rate <= 1.0) {
        eprintln!(
            "error: --trace-rate {} is not a share of requests\n  hint: give a number above 0 and at most 1, e.g. `--trace-rate 0.1`",
            arguments.trace_rate
        );
        return Err(Failure::Invalid);
    }
    if arguments.trace.is_some() && arguments.replications > 1 {
        eprintln!(
            "error: --trace writes one run's requests, not those of --replications {}\n  hint: trace a single run (its seed with `--seed`)",
            arguments.replications
        );
        return Err(Failure::Invalid);
    }
    if arguments.replications > 1 {
        return super::replicated::run(&arguments, scenario, &slos, &out);
    }
    // The pool that draws the charts, started (and `--threads` checked)
    // before anything is simulated.
    let pool = threads::pool(arguments.threads)?;
    // Creating the writer removes an earlier run's results, so the folder
    // never shows them as this run's.
    let mut writer = match RunWriter::create(&out) {
        Ok(writer) => writer,
        Err(error) => return Err(super::output::write_failed(&arguments.out, &error)),
    };
    let mut trace = match &arguments.trace {
        Some(path) => Some(super::trace::TraceFile::create(
            path,
            arguments.trace_format,
            scenario,
        )?),
        None => None,
    };
    let progress = Progress::new(scenario.duration.as_secs_f64(), arguments.quiet);
    let mut write_error = None;
    let mut observer = |time, window: &capsim::metrics::Timeseries| {
        progress.update(time);
        match writer.append_timeseries(window) {
            Ok(()) => Control::Continue,
            Err(error) => {
                write_error = Some(error);
                Control::Stop
            }
        }
    };
    let result = match &mut trace {
        Some(trace) => {
            let mut sink = |records: &[capsim::model::TraceRecord]| trace.write(records);
            let sink = study::TraceSink {
                rate: arguments.trace_rate,
                sink: &mut sink,
            };
            study::run_traced(scenario, &mut observer, Some(sink))
        }
        None => study::run_observed(scenario, &mut observer),
    };
    progress.finish();
    if let (Some(trace), Ok(_)) = (trace, &result) {
        trace.finish()?;
    }
    let result = match (result, write_error) {
        (_, Some(error)) => {
            eprintln!(
                "error: cannot write results to `{}`: {error}",
                arguments.out.display()
            );
            return Err(Failure::Failed);
        }
        (Ok(result), None) => result,
        (Err(error), None) => {
            eprintln!("error: {error}");
            eprintln!("no results were written");
            return Err(Failure::Failed);
        }
    };
    if let Err(error) = writer.finish(&resolved(scenario), &result) {
        return Err(super::output::write_failed(&arguments.out, &error));
    }
    // Charts and report.html are drawn from the files just written, the
    // same way `capsim chart` redraws them.
    let rendered = pool.install(|| super::render::render(&out, Some(scenario), &slos))?;
    if !arguments.quiet {
        print_summary(scenario, &result, &arguments.out);
        super::render::print_verdicts(&rendered.verdicts);
        let simulated = capsim::study::analytic::lookup(&result.summary);
        super::analytic_table::print_comparison(scenario, &simulated, arguments.estimate);
    }
    super::render::slo_outcome(&rendered.verdicts)
}

fn print_summary(scenario: &capsim::scenario::Scenario, result: &RunResult, out: &std::path::Path) {
    let summary = &result.summary;
    let get = |scope: &str, metric: &str| summary.get(scope, metric).unwrap_or(0.0);
    say!(
        "{} (seed {}, {} simulated, {} warm-up)",
        scenario.name,
        scenario.seed,
        scenario.duration,
        scenario.warmup
    );
    let error_rate = get("overall", metric::ERROR_RATE.name);
    say!(
        "  requests {:.0}  throughput {:.1}/s  errors {}",
        get("overall", metric::REQUESTS.name),
        get("overall", metric::THROUGHPUT_RPS.name),
        if error_rate.is_nan() {
            "- (none ended)".to_owned()
        } else {
            format!("{:.3}%", 100.0 * error_rate)
        }
    );
    // No request completed: no latency, and the reason instead.
    let rows = summary.rows.iter().map(|row| (row.scope.as_str(), row.metric));
    let value = |scope: &str, metric: &str| summary.get(scope, metric);
    match capsim::results::stall::stall(rows, &value) {
        Some(stall) => say!("  latency  {}", stall.describe()),
        None => say!(
            "  latency  mean {:.2} ms  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            get("overall", metric::LATENCY_MEAN_MS.name),
            get("overall", metric::LATENCY_P50_MS.name),
            get("overall", metric::LATENCY_P99_MS.name),
            get("overall", metric::LATENCY_MAX_MS.name)
        ),
    }
    // With failures, the latency of every request that ended beside it:
    // what users waited, failures at the time they failed.
    if get("overall", metric::ERRORS.name) > 0.0 {
        say!(
            "  all      latency of every ended request, failures included: mean {:.2} ms  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            get("overall", metric::LATENCY_ALL_MEAN_MS.name),
            get("overall", metric::LATENCY_ALL_P50_MS.name),
            get("overall", metric::LATENCY_ALL_P99_MS.name),
            get("overall", metric::LATENCY_ALL_MAX_MS.name)
        );
    }
    // The bottleneck by the report's rule, so this line and report.html
    // name the same station.
    let rows = summary.rows.iter().map(|row| (row.scope.as_str(), row.metric));
    if let Some(busiest) = bottleneck::rank(rows, &value).into_iter().next() {
        // The mean wait is over requests that got a worker: with none
        // served it says nothing of those still queued.
        let served = summary.get(&busiest.station, metric::SERVED.name);
        let wait = match busiest.wait_mean_ms {
            _ if served == Some(0.0) => "-, none served".to_owned(),
            Some(wait) => format!("{} ms", super::render::fixed(wait, 2)),
            None => "-".to_owned(),
        };
        // Where cores are a limit of their own, their wait apart.
        let core_wait = busiest.cpu_wait_mean_ms.map_or(String::new(), |wait| {
            format!(", for a core {} ms", super::render::fixed(wait, 2))
        });
        say!(
            "  busiest  {} ({} {:.1}% busy), mean queue {:.2}, mean wait for a {} {wait}{core_wait}",
            busiest.station,
            busiest.resource,
            100.0 * busiest.utilization,
            busiest.queue_len_mean.unwrap_or(0.0),
            busiest.waits_for,
        );
    }
    let rows = summary.rows.iter().map(|row| (row.scope.as_str(), row.metric));
    if let Some(headroom) = capsim::results::headroom::of_rows(rows, &value) {
        say!("  headroom {}", headroom.describe());
    }
    let scopes = summary.rows.iter().map(|row| row.scope.as_str());
    print_drills(&capsim::results::drills::drills(scopes, &value));
    // Nodes keep their names after a failover: say which replica leads.
    for row in &summary.rows {
        if row.metric == metric::PRIMARY.name && row.value == 1.0 && !row.scope.ends_with(".primary") {
            say!(
                "  role     {} is the primary at the end (promoted by a failover)",
                row.scope
            );
        }
    }
    say!("  cost     {}", cost_line(summary));
    for note in scenario.pricing_notes() {
        say!("  note     {note}");
    }
    say!(
        "results in {}/ (summary.csv, timeseries.csv, events.csv, latency.csv, scenario.resolved.toml, charts/, report.html)",
        out.display()
    );
}

/// Drill lines printed at most; the rest are counted.
const MAX_DRILL_LINES: usize = 10;

/// One line per fault that struck: when it was detected, the RTO, the RPO
/// when writes were lost, and its blast radius.
fn print_drills(drills: &[capsim::results::drills::Drill]) {
    // To the millisecond, without trailing zeros: `61 s`, `0.019 s`.
    let seconds = |value: f64| {
        let text = format!("{value:.3}");
        format!("{} s", text.trim_end_matches('0').trim_end_matches('.'))
    };
    for drill in drills.iter().take(MAX_DRILL_LINES) {
        let mut facts = vec![
            drill
                .time_to_detect_s
                .map_or("not detected".to_owned(), |detect| {
                    format!("detected after {}", seconds(detect))
                }),
            match drill.rto_s {
                _ if !drill.seen_by_requests => "not seen by requests".to_owned(),
                Some(rto) => format!("RTO {}", seconds(rto)),
                None => "not recovered by the end (no RTO)".to_owned(),
            },
        ];
        if let Some(rpo) = drill.rpo_s {
            facts.push(format!(
                "RPO {} ({:.0} writes lost)",
                seconds(rpo),
                drill.lost_writes
            ));
        }
        if drill.lost_messages > 0.0 {
            facts.push(format!("{:.0} messages lost", drill.lost_messages));
        }
        facts.push(format!(
            "{:.0} requests failed ({:.0} attempts)",
            drill.failed_requests, drill.failed_attempts
        ));
        facts.push(format!("{:.0} users affected", drill.users_affected));
        say!(
            "  drill    {} at {}: {}",
            drill.component,
            seconds(drill.fault_at_s),
            facts.join(", ")
        );
    }
    if drills.len() > MAX_DRILL_LINES {
        say!(
            "  drill    … and {} more in summary.csv (`drill:` scopes)",
            drills.len() - MAX_DRILL_LINES
        );
    }
}

/// The run's cost per month at the simulated load, per million requests,
/// and the components that cost nothing — unpriced, or a CDN that served
/// no bytes — so a $0 is never silent.
fn cost_line(summary: &capsim::metrics::Summary) -> String {
    let per_month = summary
        .get("overall", metric::COST_PER_MONTH_USD.name)
        .unwrap_or(0.0);
    let mut line = format!("${per_month:.2}/month at this load");
    match summary.get("overall", metric::COST_PER_MILLION_REQUESTS_USD.name) {
        Some(per_million) if per_million.is_finite() => {
            line.push_str(&format!(" (${per_million:.4} per million requests)"))
        }
        _ => {}
    }
    // Traffic between regions is no component: its share is named.
    let traffic: f64 = summary
        .rows
        .iter()
        .filter(|row| row.scope.starts_with("link:") && row.metric == metric::COST_PER_MONTH_USD.name)
        .map(|row| row.value)
        .sum();
    if traffic > 0.0 {
        line.push_str(&format!("; traffic between regions ${traffic:.2}/month"));
    }
    let free: Vec<&str> = summary
        .rows
        .iter()
        .filter(|row| {
            row.scope != "overall" && row.metric == metric::COST_PER_MONTH_USD.name && row.value == 0.0
        })
        .map(|row| row.scope.as_str())
        .collect();
    if !free.is_empty() {
        line.push_str(&format!("; costing $0: {}", free.join(", ")));
    }
    line
}
