//! The command-line grammar.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "capsim",
    version,
    about = "Deterministic discrete-event simulator for capacity planning of web architectures",
    long_about = "Describe a system in TOML (users, DNS, load balancers, server pools, databases), \
run it, and read CSV results that say how many servers you need, where the bottleneck is, \
and what happens under load.",
    after_help = "Examples:\n  \
capsim run scenarios/04-load-balancer.toml --out out\n  \
capsim run scenarios/01-single-server.toml --set workload.arrivals.rate=400/s --out out/400\n  \
capsim validate scenarios/03-vertical-scaling.toml\n\n\
Exit status: 0 success, 1 the run failed, 2 invalid scenario or usage, \
3 `run` missed an SLO, `compare` a configuration did, or a `sweep` group has no point \
that meets them all (`[slo]` or `--slo`; the results are written)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate a scenario and write its results.
    #[command(after_help = "Examples:\n  \
capsim run scenarios/04-load-balancer.toml --out out\n  \
capsim run scenarios/04-load-balancer.toml --set pool.web.instances=6 --seed 7 --out out/six\n\n\
Writes summary.csv, timeseries.csv, events.csv and scenario.resolved.toml into --out.\n\
summary.csv is written last: a folder without it holds an interrupted run.\n\
Then draws charts/*.svg, charts/*.png and report.html from them (`capsim chart DIR` redraws).")]
    Run(RunArgs),
    /// Check a scenario and estimate its load without simulating.
    #[command(after_help = "Examples:\n  \
capsim validate scenarios/02-separate-database.toml\n  \
capsim validate my.toml --set workload.arrivals.rate=5000/s\n\n\
Prints every problem at once (file, line, column, field) and exits 2 if there is one;\n\
otherwise prints the offered load per station (utilization law) and exits 0.")]
    Validate(ValidateArgs),
    /// Redraw the charts and report.html of a finished run from its CSV files.
    #[command(after_help = super::chart::AFTER_HELP)]
    Chart(super::chart::ChartArgs),
    /// Run scenarios or variants with the same seed and compare their results.
    #[command(after_help = super::compare::AFTER_HELP)]
    Compare(super::compare::CompareArgs),
    /// Draw a scenario's topology as a Mermaid or Graphviz dot diagram.
    #[command(after_help = super::graph::AFTER_HELP)]
    Graph(super::graph::GraphArgs),
    /// Run a grid of variants × replications in parallel; chart throughput, latency and utilization.
    #[command(after_help = super::sweep::AFTER_HELP)]
    Sweep(super::sweep::SweepArgs),
    /// Combine the folders of a sharded sweep into what the unsharded sweep writes.
    #[command(after_help = super::merge::AFTER_HELP)]
    Merge(super::merge::MergeArgs),
    /// Find the cheapest configuration that meets SLOs at a target load.
    #[command(after_help = super::plan::AFTER_HELP)]
    Plan(super::plan::PlanArgs),
    /// Print the JSON Schema of the scenario format (for editors and validators).
    #[command(after_help = super::schema::AFTER_HELP)]
    Schema(super::schema::SchemaArgs),
    /// Read request logs (nginx, Apache, ALB, CSV) and write a scenario skeleton.
    #[command(after_help = super::calibrate::AFTER_HELP)]
    Calibrate(super::calibrate::CalibrateArgs),
}

/// Arguments shared by commands that load a scenario.
#[derive(Args, Debug, Clone)]
pub struct ScenarioArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Override a field: `--set pool.web.instances=8` (repeatable; a value
    /// that is not TOML is taken as a string, so `--set workload.arrivals.rate=5000/s` works).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Let the scenario read sample files outside its own folder (by
    /// default an empirical `file` must lie inside it, symbolic links resolved).
    #[arg(long)]
    pub allow_outside_files: bool,
}

impl ScenarioArgs {
    /// Which files the scenario may read.
    pub fn access(&self) -> capsim::scenario::FileAccess {
        file_access(self.allow_outside_files)
    }
}

/// `--allow-outside-files` as a file access rule.
pub fn file_access(allow_outside_files: bool) -> capsim::scenario::FileAccess {
    if allow_outside_files {
        capsim::scenario::FileAccess::Anywhere
    } else {
        capsim::scenario::FileAccess::InsideFolder
    }
}

/// The help of `--force` for commands that write a folder.
pub const FORCE_HELP: &str = "Write into --out even if it holds files capsim did not write \
(replacing any of the names capsim writes); never into the folder of an input";

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Folder for the results (created if missing; an existing one must be
    /// empty or written by capsim before).
    #[arg(long, short, default_value = "out")]
    pub out: PathBuf,
    #[arg(long, help = FORCE_HELP)]
    pub force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// A service-level objective to check and show in report.html:
    /// `--slo 'p99<200ms'`, `--slo 'errors<0.1%'` (repeatable; added to the
    /// scenario's `[slo]`). A missed objective makes `run` exit 3.
    #[arg(long = "slo", value_name = "OBJECTIVE")]
    pub slo: Vec<String>,
    /// Run R independent replications in parallel (seeds derived from the
    /// scenario's); summary.csv gets 95% intervals (ci95_low, ci95_high).
    #[arg(long, value_name = "R", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replications: u32,
    /// Worker threads for replications and for drawing the charts
    /// (default: all cores); results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print the analytic estimate (M/M/c per station) beside the simulated
    /// values even when they agree; without it, the table is printed only
    /// when they disagree beyond its tolerances.
    #[arg(long)]
    pub estimate: bool,
    /// Write a sample of the requests created after the warm-up to FILE, in
    /// the format `capsim calibrate` reads (see `--trace-format`); the other
    /// outputs do not change.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// The share of requests `--trace` keeps, chosen by a hash of the seed
    /// and the order in which requests end (deterministic).
    #[arg(long, value_name = "RATE", default_value_t = 0.1, requires = "trace")]
    pub trace_rate: f64,
    /// `csv`: timestamp (Unix seconds, simulated time 0 = 2026-01-01T00:00:00Z),
    /// endpoint (the class), status, latency_ms, upstream_ms; `nginx`: the
    /// `timed` log format.
    #[arg(long, value_enum, default_value_t = TraceFormatArg::Csv, requires = "trace")]
    pub trace_format: TraceFormatArg,
}

/// `--trace-format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormatArg {
    Csv,
    Nginx,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
}

/// How `compare`, `sweep` and `plan` print their tables (`--format`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TableFormat {
    /// Aligned columns for the terminal.
    #[default]
    Text,
    /// Markdown pipe tables, to paste into a design document.
    Md,
}

impl TableFormat {
    /// `table` in this format.
    pub fn render(self, table: &capsim::report::text_table::TextTable) -> String {
        match self {
            TableFormat::Text => table.text(),
            TableFormat::Md => table.markdown(),
        }
    }
}
