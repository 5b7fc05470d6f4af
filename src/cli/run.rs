//! `capsim run`: load, pre-check, simulate, write, summarise.

use capsim::metrics::catalog as metric;
use capsim::report::RunWriter;
use capsim::scenario::dump::to_toml;
use capsim::study::{self, Control, feasibility};

use super::args::RunArgs;
use super::outcome::{Failure, Outcome};
use super::progress::Progress;
use super::{load, threads};

pub fn run(arguments: RunArgs) -> Outcome {
    let slos = super::render::parse_slos(&arguments.slo)?;
    let loaded = load(&arguments.scenario)?;
    let scenario = &loaded.scenario;
    for warning in feasibility::warnings(&feasibility::estimate(scenario)) {
        eprintln!("warning: {warning}");
    }
    if arguments.replications > 1 {
        return super::replicated::run(&arguments, scenario, &slos);
    }
    // The pool that draws the charts, started (and `--threads` checked)
    // before anything is simulated.
    let pool = threads::pool(arguments.threads)?;
    // Creating the writer removes an earlier run's results, so the folder
    // never shows them as this run's.
    let mut writer = match RunWriter::create(&arguments.out) {
        Ok(writer) => writer,
        Err(error) => {
            eprintln!(
                "error: cannot write results to `{}`: {error}",
                arguments.out.display()
            );
            return Err(Failure::Failed);
        }
    };
    let progress = Progress::new(scenario.duration.as_secs_f64(), arguments.quiet);
    let mut write_error = None;
    let result = study::run_observed(scenario, &mut |time, window| {
        progress.update(time);
        match writer.append_timeseries(window) {
            Ok(()) => Control::Continue,
            Err(error) => {
                write_error = Some(error);
                Control::Stop
            }
        }
    });
    progress.finish();
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
    if let Err(error) = writer.finish(&to_toml(scenario), &result) {
        eprintln!(
            "error: cannot write results to `{}`: {error}",
            arguments.out.display()
        );
        return Err(Failure::Failed);
    }
    // Charts and report.html are drawn from the files just written, the
    // same way `capsim chart` redraws them.
    let rendered = pool.install(|| super::render::render(&arguments.out, Some(scenario), &slos))?;
    if !arguments.quiet {
        print_summary(scenario, &result, &arguments.out);
        super::render::print_verdicts(&rendered.verdicts);
        let simulated = capsim::study::analytic::lookup(&result.summary);
        super::analytic_table::print_comparison(scenario, &simulated);
    }
    Ok(())
}

fn print_summary(scenario: &capsim::scenario::Scenario, result: &study::RunResult, out: &std::path::Path) {
    let summary = &result.summary;
    let get = |scope: &str, metric: &str| summary.get(scope, metric).unwrap_or(0.0);
    say!(
        "{} (seed {}, {} simulated, {} warm-up)",
        scenario.name,
        scenario.seed,
        scenario.duration,
        scenario.warmup
    );
    say!(
        "  requests {:.0}  throughput {:.1}/s  errors {:.3}%",
        get("overall", metric::REQUESTS.name),
        get("overall", metric::THROUGHPUT_RPS.name),
        100.0 * get("overall", metric::ERROR_RATE.name)
    );
    say!(
        "  latency  mean {:.2} ms  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        get("overall", metric::LATENCY_MEAN_MS.name),
        get("overall", metric::LATENCY_P50_MS.name),
        get("overall", metric::LATENCY_P99_MS.name),
        get("overall", metric::LATENCY_MAX_MS.name)
    );
    let stations = scenario.station_names();
    // The busiest resource: workers (or connections), or CPU cores.
    let busiest = stations
        .flat_map(|name| {
            [
                ("workers", get(name, metric::UTILIZATION.name)),
                ("CPU", get(name, metric::CPU_UTILIZATION.name)),
            ]
            .map(|(resource, utilization)| (name, resource, utilization))
        })
        .max_by(|a, b| a.2.total_cmp(&b.2));
    if let Some((name, resource, utilization)) = busiest {
        say!(
            "  busiest  {name} ({resource} {:.1}% busy), mean queue {:.2}, mean wait {:.2} ms",
            100.0 * utilization,
            get(name, metric::QUEUE_LEN_MEAN.name),
            get(name, metric::WAIT_MEAN_MS.name)
        );
    }
    say!(
        "results in {}/ (summary.csv, timeseries.csv, events.csv, scenario.resolved.toml, charts/, report.html)",
        out.display()
    );
}
