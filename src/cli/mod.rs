//! Command-line front end: clap arguments, rendering diagnostics, progress,
//! and how a command ends (`outcome`, the one mapping to exit codes). No
//! simulation or metric logic lives here.
//!
//! Standard output goes through `say!` (a line) and `say_raw!`: when the
//! reader has gone (`capsim run … | head`), the command stops quietly with
//! exit 0 instead of panicking — whatever it writes to files is complete by
//! the time it prints.

/// Prints a line on standard output (see the module notes).
macro_rules! say {
    () => {
        $crate::cli::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Prints on standard output without a newline.
macro_rules! say_raw {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))
    };
}
mod analytic_table;
mod args;
mod calibrate;
mod chart;
mod compare;
mod count_progress;
mod graph;
mod interrupt;
mod merge;
mod outcome;
mod output;
mod plan;
mod progress;
mod render;
mod replicated;
mod run;
mod schema;
mod sweep;
mod threads;
mod trace;
mod validate;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use capsim::scenario::{Loaded, ScenarioError, Style, load_file_with};

use outcome::{Failure, Outcome, exit_code, exit_now};

/// Parses the arguments, runs the command, and maps how it ended to the
/// exit code (`outcome::exit_code`, the only place that does).
pub fn main() -> ExitCode {
    let outcome = match args::Cli::try_parse() {
        Ok(cli) => {
            interrupt::install();
            interrupt::unless_interrupted(dispatch(cli.command))
        }
        // Usage errors are invalid input; `--help` and `--version` are not.
        Err(error) => {
            let _ = error.print();
            if error.use_stderr() {
                Err(Failure::Invalid)
            } else {
                Ok(())
            }
        }
    };
    ExitCode::from(exit_code(outcome))
}

fn dispatch(command: args::Command) -> Outcome {
    match command {
        args::Command::Run(arguments) => run::run(arguments),
        args::Command::Validate(arguments) => validate::validate(arguments),
        args::Command::Chart(arguments) => chart::chart(arguments),
        args::Command::Compare(arguments) => compare::compare(arguments),
        args::Command::Graph(arguments) => graph::graph(arguments),
        args::Command::Sweep(arguments) => sweep::sweep(arguments),
        args::Command::Merge(arguments) => merge::merge(arguments),
        args::Command::Plan(arguments) => plan::plan(arguments),
        args::Command::Schema(arguments) => schema::schema(arguments),
        args::Command::Calibrate(arguments) => calibrate::calibrate(arguments),
    }
}

/// Writes to standard output; a reader that has gone ends the process
/// (exit 0: what the command wrote to files is complete), any other error
/// is reported and ends it with exit 1.
pub fn write_stdout(text: std::fmt::Arguments) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(error) = out.write_fmt(text).and_then(|()| out.flush()) {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            exit_now(Ok(()));
        }
        eprintln!("error: cannot write to standard output: {error}");
        exit_now(Err(Failure::Failed));
    }
}

/// How to draw diagnostics on stderr: colour only on a terminal, and never
/// when NO_COLOR is set.
fn stderr_style() -> Style {
    if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        Style::Color
    } else {
        Style::Plain
    }
}

/// Loads a scenario, printing warnings; on failure prints every problem and
/// returns it as invalid input.
fn load(arguments: &args::ScenarioArgs) -> Result<Loaded, Failure> {
    let mut overrides = arguments.set.clone();
    if let Some(seed) = arguments.seed {
        overrides.push(format!("scenario.seed={seed}"));
    }
    match load_file_with(&arguments.scenario, &overrides, arguments.access()) {
        Ok(loaded) => {
            if !loaded.warnings.is_empty() {
                eprint!("{}", loaded.render_warnings(stderr_style()));
            }
            Ok(loaded)
        }
        Err(error) => {
            report_invalid(&error);
            Err(Failure::Invalid)
        }
    }
}

fn report_invalid(error: &ScenarioError) {
    eprint!("{}", error.render(stderr_style()));
}
