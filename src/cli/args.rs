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
Exit status: 0 success, 1 the run failed, 2 invalid scenario or usage."
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
summary.csv is written last: a folder without it holds an interrupted run.")]
    Run(RunArgs),
    /// Check a scenario and estimate its load without simulating.
    #[command(after_help = "Examples:\n  \
capsim validate scenarios/02-separate-database.toml\n  \
capsim validate my.toml --set workload.arrivals.rate=5000/s\n\n\
Prints every problem at once (file, line, column, field) and exits 2 if there is one;\n\
otherwise prints the offered load per station (utilization law) and exits 0.")]
    Validate(ValidateArgs),
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
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Folder for the results (created if missing).
    #[arg(long, short, default_value = "out")]
    pub out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
}
