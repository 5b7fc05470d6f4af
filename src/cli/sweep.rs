//! `capsim sweep`: a grid of points × replications, in parallel, written as
//! `sweep.csv`, `points.csv`, charts and (with instances varied) `usl.csv`;
//! or, as one shard of a larger study, only that shard's rows.

use capsim::metrics::catalog as metric;
use std::path::PathBuf;

use clap::Args;
use rayon::prelude::*;

use capsim::report::OutDir;
use capsim::report::study_files::{SWEEP_FILES, write_shard, write_sweep};
use capsim::report::text_table::TextTable;
use capsim::results::axis::AxisKind;
use capsim::results::axis::{self, Axis};
use capsim::results::shard::{self, Shard, ShardSource};
use capsim::results::sweep::{self, Point, PointOutcome, SweepManifest, SweepTable};
use capsim::results::sweep_analysis::{Group, SweepAnalysis, analyse};
use capsim::scenario::dump::{Resolved, resolved};
use capsim::scenario::{Scenario, ScenarioError, load_file_with};
use capsim::study;

use super::args::{ScenarioArgs, TableFormat};
use super::count_progress::CountProgress;
use super::outcome::{Failure, Outcome};
use super::{load, report_invalid, threads};

pub const AFTER_HELP: &str = "Examples:\n  \
capsim sweep scenarios/04-load-balancer.toml --vary workload.arrivals.rate=200/s..3000/s:200/s --out out/sweep\n  \
capsim sweep my.toml --vary pool.web.instances=1..8 --vary pool.web.size=m5.large,c5.large --replications 5\n  \
capsim sweep my.toml --vary workload.arrivals.rate=1k/s,2k/s,4k/s --shard 0/3 --out out/shard-0\n\n\
Points are numbered with the first --vary changing fastest; the charts put the first --vary on x.\n\
A range is start..end:step in one unit (the end is included when a step lands on it).\n\
Sharding: --shard I/N (0 ≤ I < N) runs the points i with i mod N = I; without --shard it is read\n\
from SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN) of SLURM_ARRAY_TASK_COUNT, or from\n\
JOB_COMPLETION_INDEX of CAPSIM_SHARD_COUNT. `capsim merge` combines the shards' folders.\n\
SLOs (the scenario's [slo] and --slo) judge every point. Varying a capacity field (instances,\n\
sizes, replicas, connections, cache nodes, balancer cores) answers the smallest value that meets\n\
them, with its cost; a load sweep reports its knee. Exit 3: some combination of the other axes\n\
has no point that meets every SLO.\n\
sweep.csv is written last: a folder without it holds an interrupted sweep.";

#[derive(Args, Debug)]
pub struct SweepArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// A field and its values: `PATH=v1,v2,...` or `PATH=start..end:step`
    /// (repeatable; the grid is every combination).
    #[arg(long = "vary", value_name = "PATH=VALUES", required = true)]
    pub vary: Vec<String>,
    /// Independent replications per point; with 2 or more, every metric
    /// gets a 95% interval.
    #[arg(long, value_name = "R", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replications: u32,
    /// Run only shard I of N (0-based): the points i with i mod N = I.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// A service-level objective every point is judged by (repeatable;
    /// added to the scenario's `[slo]`): `--slo 'p99<200ms'`.
    #[arg(long = "slo", value_name = "OBJECTIVE")]
    pub slo: Vec<String>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Folder for the results (created if missing; an existing one must be
    /// empty or written by capsim before).
    #[arg(long, short, default_value = "out")]
    pub out: PathBuf,
    #[arg(long, help = super::args::FORCE_HELP)]
    pub force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// How to print the table: aligned `text`, or `md` (a Markdown table
    /// to paste into a document).
    #[arg(long, value_enum, default_value = "text")]
    pub format: super::args::TableFormat,
}

pub fn sweep(arguments: SweepArgs) -> Outcome {
    let axes = match axis::parse_axes(&arguments.vary) {
        Ok(axes) => axes,
        Err(error) => {
            eprintln!("error: {error}");
            return Err(Failure::Invalid);
        }
    };
    let env = |name: &str| std::env::var(name).ok();
    let shard = match shard::resolve(arguments.shard.as_deref(), &env) {
        Ok(shard) => shard,
        Err(error) => {
            eprintln!("error: {error}");
            return Err(Failure::Invalid);
        }
    };
    let flags = super::render::parse_slos(&arguments.slo)?;
    let loaded = load(&arguments.scenario)?;
    // Every objective is checked against the scenario before anything runs.
    let slos = super::render::objectives(&loaded.scenario, &flags)?;
    // Claimed (and locked) before anything runs.
    let out = super::output::claim(&arguments.out, arguments.force, &loaded.inputs)?;
    let study = Study {
        arguments: &arguments,
        axes,
        shard,
        base: loaded.scenario,
        objectives: slos.into_iter().map(|slo| slo.text).collect(),
        out: &out,
    };
    // Everything from here, loading the points to drawing the charts, runs
    // on the study's pool: `--threads` bounds it all.
    threads::install(arguments.threads, || study.run()).and_then(|outcome| outcome)
}

/// A sweep whose arguments have been read: what runs on the pool.
struct Study<'a> {
    arguments: &'a SweepArgs,
    axes: Vec<Axis>,
    shard: Option<(Shard, ShardSource)>,
    base: Scenario,
    objectives: Vec<String>,
    out: &'a OutDir,
}

impl Study<'_> {
    /// Loads the points, runs them, and writes the folder.
    fn run(self) -> Outcome {
        let arguments = self.arguments;
        let points = sweep::points(&self.axes, self.shard.map(|(shard, _)| shard));
        let scenarios = point_scenarios(&arguments.scenario, &self.axes, &points)?;
        let runs = points.len() as u64 * arguments.replications as u64;
        let progress = CountProgress::new(runs, "runs", arguments.quiet);
        let outcomes = study::sweep::run_points(&scenarios, arguments.replications, &|| progress.tick());
        progress.finish();
        if super::interrupt::announce_if_interrupted() {
            return Err(Failure::Interrupted);
        }
        let table = self.table(&points, &outcomes);
        let resolved = resolved(&self.base);
        let manifest = SweepManifest {
            scenario: self.base.name,
            replications: arguments.replications,
            axes: self.axes,
            shard: self.shard.map(|(shard, _)| shard),
            objectives: self.objectives,
        };
        match self.shard {
            Some((shard, source)) => {
                write_shard_folder(arguments, self.out, &resolved, &manifest, &table, shard, source)
            }
            None => write_whole(
                self.out,
                &resolved,
                &manifest,
                &table,
                arguments.quiet,
                arguments.format,
            ),
        }
    }

    /// The table of the outcomes, warning about each failed point.
    fn table(&self, points: &[Point], outcomes: &[PointOutcome]) -> SweepTable {
        let mut table = SweepTable::new(&self.axes);
        for (point, outcome) in points.iter().zip(outcomes) {
            table.push_outcome(point, outcome);
            if let PointOutcome::Failed {
                failed_runs,
                first_error,
            } = outcome
            {
                eprintln!(
                    "warning: point {} ({}): {failed_runs} of {} runs failed: {first_error}",
                    point.index,
                    point.overrides(&self.axes).join(" "),
                    self.arguments.replications
                );
            }
        }
        table
    }
}

/// Loads the scenario of every point (base overrides, then the point's), in
/// parallel on the current pool; on failure reports the first invalid point.
fn point_scenarios(
    arguments: &ScenarioArgs,
    axes: &[Axis],
    points: &[Point],
) -> Result<Vec<Scenario>, Failure> {
    let mut base = arguments.set.clone();
    if let Some(seed) = arguments.seed {
        base.push(format!("scenario.seed={seed}"));
    }
    let loaded: Vec<Result<Scenario, ScenarioError>> = points
        .par_iter()
        .map(|point| {
            let overrides: Vec<String> = base.iter().cloned().chain(point.overrides(axes)).collect();
            load_file_with(&arguments.scenario, &overrides, arguments.access()).map(|loaded| loaded.scenario)
        })
        .collect();
    points
        .iter()
        .zip(loaded)
        .map(|(point, scenario)| {
            scenario.map_err(|error| {
                eprintln!(
                    "error: point {} ({}) is not a valid scenario:",
                    point.index,
                    point.overrides(axes).join(" ")
                );
                report_invalid(&error);
                Failure::Invalid
            })
        })
        .collect()
}

fn write_shard_folder(
    arguments: &SweepArgs,
    out: &OutDir,
    resolved: &Resolved,
    manifest: &SweepManifest,
    table: &SweepTable,
    shard: Shard,
    source: ShardSource,
) -> Outcome {
    if let Err(error) = write_shard(out, resolved, manifest, table) {
        return Err(super::output::write_failed(&arguments.out, &error));
    }
    if !arguments.quiet {
        let from = match source {
            ShardSource::Flag => "--shard",
            ShardSource::Slurm => "the Slurm array",
            ShardSource::Kubernetes => "the indexed Job",
        };
        let points = table
            .rows
            .iter()
            .map(|row| row.point)
            .collect::<std::collections::BTreeSet<_>>();
        say!(
            "shard {shard} (from {from}): {} of {} points written to {}/; combine every shard with `capsim merge`",
            points.len(),
            manifest.points(),
            arguments.out.display()
        );
    }
    Ok(())
}

/// Analyses and writes a whole sweep (also used by `merge`); prints its
/// table unless quiet. Ends with `SloMissed` (exit 3) when a group — a
/// combination of the other axes — has no point that meets every
/// objective: in a capacity sweep no value in the range is enough, in a
/// load sweep not even the lightest load is served well. (Points of a load
/// sweep past what the system can take are expected to miss: that alone is
/// no failure.)
pub fn write_whole(
    out: &OutDir,
    resolved: &Resolved,
    manifest: &SweepManifest,
    table: &SweepTable,
    quiet: bool,
    format: TableFormat,
) -> Outcome {
    let analysis = analyse(manifest, table);
    if let Err(error) = write_sweep(out, resolved, manifest, table, &analysis) {
        return Err(super::output::write_failed(out.path(), &error));
    }
    if !quiet {
        print_analysis(manifest, &analysis, format);
        let bullet = if format == TableFormat::Md { "- " } else { "" };
        say!(
            "{bullet}results in {}/ ({}, charts/)",
            out.path().display(),
            SWEEP_FILES
                .iter()
                .filter(|name| **name != "usl.csv" || !analysis.usl.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    slo_outcome(&analysis)
}

/// The groups with no point that meets every objective, named.
fn slo_outcome(analysis: &SweepAnalysis) -> Outcome {
    if analysis.slos.is_empty() {
        return Ok(());
    }
    let failing: Vec<&str> = analysis
        .groups
        .iter()
        .filter(|group| {
            !group
                .points
                .iter()
                .any(|&point| analysis.points[point].meets_slos() == Some(true))
        })
        .map(|group| {
            if group.label.is_empty() {
                "the sweep"
            } else {
                group.label.as_str()
            }
        })
        .collect();
    if failing.is_empty() {
        return Ok(());
    }
    eprintln!(
        "error: no point meets every SLO in {} (exit 3)",
        failing.join("; ")
    );
    Err(Failure::SloMissed)
}

fn cell(value: Option<f64>, scale: f64, decimals: usize) -> String {
    match value {
        Some(value) if value.is_finite() => format!("{:.decimals$}", scale * value),
        _ => "-".to_owned(),
    }
}

/// The table of points: one row per point (throughput, p99, errors in
/// percent, bottleneck, and the knee's reason on the knee's row).
fn points_table(manifest: &SweepManifest, analysis: &SweepAnalysis) -> TextTable {
    let headers = [
        "point",
        "values",
        "throughput/s",
        "p99 ms",
        "errors %",
        "cost $/month",
        "SLOs",
        "bottleneck",
        "knee",
    ];
    let rows = analysis
        .points
        .iter()
        .map(|point| {
            let values = sweep::value_indices(&manifest.axes, point.point)
                .into_iter()
                .zip(&manifest.axes)
                .map(|(value, axis)| axis.values[value].clone())
                .collect::<Vec<_>>()
                .join(" ");
            let mean = |scope: &str, metric: &str| point.summary.mean(scope, metric);
            let bottleneck = match (&point.bottleneck, point.failed) {
                (_, true) => "runs failed".to_owned(),
                (Some(b), false) => format!("{} {} {:.0}%", b.station, b.metric, 100.0 * b.utilization),
                (None, false) => "-".to_owned(),
            };
            vec![
                point.point.to_string(),
                values,
                cell(mean("overall", metric::THROUGHPUT_RPS.name), 1.0, 1),
                cell(mean("overall", metric::LATENCY_P99_MS.name), 1.0, 1),
                cell(mean("overall", metric::ERROR_RATE.name), 100.0, 3),
                cell(mean("overall", metric::COST_PER_MONTH_USD.name), 1.0, 2),
                slo_cell(point),
                bottleneck,
                point.knee.clone().unwrap_or_default(),
            ]
        })
        .collect();
    TextTable {
        headers: headers.map(String::from).to_vec(),
        rows,
        numeric: vec![true, false, true, true, true, true, false, false, false],
    }
}

/// `met`, `MISSED p99<200ms` (the objectives missed), or `-` without any.
fn slo_cell(point: &capsim::results::sweep_analysis::PointAnalysis) -> String {
    match point.meets_slos() {
        None => "-".to_owned(),
        Some(true) => "met".to_owned(),
        Some(false) => {
            let missed: Vec<&str> = point
                .verdicts
                .iter()
                .filter(|verdict| !verdict.met)
                .map(|verdict| verdict.slo.text.as_str())
                .collect();
            format!("MISSED {}", missed.join(", "))
        }
    }
}

/// A capacity sweep's answer for one group: "smallest value that meets
/// the SLOs: 3 (cost $X/month)", or why there is none.
fn capacity_answer(manifest: &SweepManifest, analysis: &SweepAnalysis, group: &Group, name: &str) -> String {
    let path = &manifest.axes[0].path;
    if analysis.slos.is_empty() {
        return format!(
            "{path}{name}: no SLOs to judge capacity by (add [slo] objectives or --slo); \
             a capacity axis has no knee"
        );
    }
    let numeric = axis::numeric_values(&manifest.axes[0]).is_some();
    let what = if numeric {
        "smallest value"
    } else {
        "cheapest value"
    };
    match group.smallest_passing {
        Some(point) => {
            let value = &manifest.axes[0].values[sweep::value_indices(&manifest.axes, point)[0]];
            let cost = analysis.points[point].cost_per_month();
            let cost = if cost.is_finite() {
                format!("cost ${cost:.2}/month")
            } else {
                "cost not priced".to_owned()
            };
            format!("{what} of {path} that meets the SLOs{name}: {value} ({cost})")
        }
        None => format!("{what} of {path} that meets the SLOs{name}: none within the sweep"),
    }
}

fn print_analysis(manifest: &SweepManifest, analysis: &SweepAnalysis, format: TableFormat) {
    say!(
        "{}: {} points × {} replication{} (x: {})",
        manifest.scenario,
        manifest.points(),
        manifest.replications,
        if manifest.replications == 1 { "" } else { "s" },
        analysis.x_label
    );
    let table = points_table(manifest, analysis);
    match format {
        TableFormat::Md => {
            say!();
            say_raw!("{}", table.markdown());
            say!();
        }
        TableFormat::Text => {
            // The SLO column only when there are objectives.
            let width = table
                .rows
                .iter()
                .map(|row| row[6].chars().count())
                .max()
                .unwrap_or(0);
            let slos = if analysis.slos.is_empty() {
                String::new()
            } else {
                format!("  {:<width$}", "SLOs")
            };
            say!(
                "  {:>5}  {:<32} {:>12} {:>10} {:>8} {:>12}{slos}  bottleneck",
                "point",
                "values",
                "throughput/s",
                "p99 ms",
                "errors%",
                "cost $/month"
            );
            for (row, point) in table.rows.iter().zip(&analysis.points) {
                let knee = if row[8].is_empty() {
                    String::new()
                } else {
                    format!("  ◀ knee: {}", row[8])
                };
                let answer = if analysis
                    .groups
                    .iter()
                    .any(|g| g.smallest_passing == Some(point.point))
                {
                    "  ◀ smallest that meets the SLOs"
                } else {
                    ""
                };
                let slos = if analysis.slos.is_empty() {
                    String::new()
                } else {
                    format!("  {:<width$}", row[6])
                };
                say!(
                    "  {:>5}  {:<32} {:>12} {:>10} {:>8} {:>12}{slos}  {}{knee}{answer}",
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    row[4],
                    row[5],
                    row[7]
                );
            }
        }
    }
    // In Markdown the lines after the table are a list (consecutive lines
    // would run together into one paragraph).
    let bullet = if format == TableFormat::Md { "- " } else { "" };
    for group in &analysis.groups {
        let name = if group.label.is_empty() {
            String::new()
        } else {
            format!(" ({})", group.label)
        };
        if analysis.axis_kind == AxisKind::Capacity {
            say!("{bullet}{}", capacity_answer(manifest, analysis, group, &name));
            continue;
        }
        match group.knee {
            Some(knee) => {
                let point = &analysis.points[knee];
                let station = point
                    .bottleneck
                    .as_ref()
                    .map_or("-".to_owned(), |b| b.station.clone());
                say!(
                    "{bullet}knee{name}: point {knee} (x = {}), bottleneck {station}",
                    point.x
                );
            }
            None => say!("{bullet}knee{name}: none within the sweep"),
        }
    }
    for result in &analysis.usl {
        let fit = &result.fit;
        let group = if result.group.is_empty() {
            String::new()
        } else {
            format!(" ({})", result.group)
        };
        let peak = if fit.peak_instances.is_finite() && result.decline_measured {
            format!(
                "predicted peak {:.1}/s at {:.1} instances",
                fit.peak_throughput, fit.peak_instances
            )
        } else if fit.peak_instances.is_finite() {
            format!(
                "peak {:.1}/s at {:.1} instances is an extrapolation (no point measured throughput \
                 falling with more instances; capsim's instances share no state, so κ here \
                 describes the flattening, not a coherency cost)",
                fit.peak_throughput, fit.peak_instances
            )
        } else {
            "no predicted peak (κ = 0)".to_owned()
        };
        say!(
            "{bullet}USL fit of throughput vs {}{group} ({} of {} points, those that fell behind their load): \
             λ = {:.1}/s per instance, σ = {:.4}, κ = {:.5}, {peak}, R² = {:.3}",
            result.path,
            result.fitted.len(),
            result.measured.len(),
            fit.lambda,
            fit.sigma,
            fit.kappa,
            fit.r_squared
        );
    }
}
