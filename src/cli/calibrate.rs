//! `capsim calibrate`: reads request logs and writes a scenario skeleton
//! (`capsim::calibrate` does the work; this reads the arguments, draws the
//! progress bar, reports bad lines and writes the file).

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use capsim::calibrate::formats::Format;
use capsim::calibrate::group::GroupRule;
use capsim::calibrate::read::list_bad;
use capsim::calibrate::{self, Options, scenario_out};

use super::outcome::{Failure, Outcome};

pub const AFTER_HELP: &str = "Examples:\n  \
capsim calibrate /var/log/nginx/access.log -o calibrated.toml\n  \
capsim calibrate a.log b.log --group '^GET /api/v[0-9]+/search=search' -o s.toml\n  \
capsim run s.toml --trace trace.csv && capsim calibrate trace.csv\n\n\
Formats (detected per file with `auto`):\n  \
nginx   log_format timed '$remote_addr - $remote_user [$time_local] \"$request\" $status\n          \
$body_bytes_sent \"$http_referer\" \"$http_user_agent\" $request_time $upstream_response_time';\n  \
apache  LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b \\\"%{Referer}i\\\" \\\"%{User-Agent}i\\\" %D\" (or without referer and agent)\n  \
alb     AWS Application Load Balancer access logs\n  \
csv     timestamp,endpoint,status,latency_ms[,upstream_ms] (Unix seconds or RFC 3339)\n\n\
Bad lines are counted and the first ones listed with their line numbers; a file of which\n\
most lines are bad is an error (exit 2).";

/// `--format`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FormatArg {
    /// Detect each file's format from its first lines.
    #[default]
    Auto,
    Nginx,
    Apache,
    Alb,
    Csv,
}

#[derive(Args, Debug)]
pub struct CalibrateArgs {
    /// Request logs (nginx, Apache, ALB or CSV).
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// The logs' format.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    pub format: FormatArg,
    /// Put requests whose `METHOD /path` (query dropped) matches REGEX in
    /// the group NAME, before the built-in grouping (repeatable; the first
    /// match wins).
    #[arg(long = "group", value_name = "REGEX=NAME")]
    pub groups: Vec<String>,
    /// Write the scenario here (default: standard output).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Print nothing but errors and warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn calibrate(arguments: CalibrateArgs) -> Outcome {
    let mut groups = Vec::new();
    let mut invalid = false;
    for text in &arguments.groups {
        match GroupRule::parse(text) {
            Ok(rule) => groups.push(rule),
            Err(error) => {
                eprintln!(
                    "error: --group {error}\n  hint: write `--group 'REGEX=NAME'`, e.g. `--group '^GET /users/=users'`"
                );
                invalid = true;
            }
        }
    }
    if invalid {
        return Err(Failure::Invalid);
    }
    let format = match arguments.format {
        FormatArg::Auto => None,
        FormatArg::Nginx => Some(Format::Nginx),
        FormatArg::Apache => Some(Format::Apache),
        FormatArg::Alb => Some(Format::Alb),
        FormatArg::Csv => Some(Format::Csv),
    };
    let options = Options { format, groups };
    let total: u64 = arguments
        .logs
        .iter()
        .map(|file| std::fs::metadata(file).map_or(0, |meta| meta.len()))
        .sum();
    let bar = progress_bar(total, arguments.quiet);
    let result = calibrate::calibrate(&arguments.logs, &options, &mut |bytes| {
        if let Some(bar) = &bar {
            bar.set_position(bytes);
        }
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let calibration = match result {
        Ok(calibration) => calibration,
        Err(error) => {
            eprintln!("error: {error}");
            eprintln!(
                "  hint: give the format with `--format` if detection chose wrong; see `capsim calibrate --help` for the formats read"
            );
            return Err(Failure::Invalid);
        }
    };
    for file in calibration.files.iter().filter(|file| file.bad > 0) {
        eprintln!(
            "warning: `{}`: {} bad lines skipped{}",
            file.file.display(),
            file.bad,
            list_bad(file)
        );
    }
    if let Some(arrivals) = calibration
        .arrivals
        .as_ref()
        .filter(|arrivals| arrivals.far_from_poisson())
    {
        eprintln!(
            "warning: arrivals are far from Poisson (index of dispersion {:.2}; Poisson: 1): the scenario's Poisson arrivals will misstate queueing",
            arrivals.dispersion
        );
    }
    let sources: Vec<String> = arguments
        .logs
        .iter()
        .map(|file| format!("`{}`", file.display()))
        .collect();
    let text = scenario_out::write(&calibration, &sources.join(", "));
    match &arguments.output {
        Some(path) => {
            if let Err(error) = std::fs::write(path, &text) {
                eprintln!("error: cannot write `{}`: {error}", path.display());
                return Err(Failure::Failed);
            }
            if !arguments.quiet {
                let requests: u64 = calibration.endpoints.iter().map(|e| e.requests).sum();
                say!(
                    "{} requests, {} endpoints; scenario written to {}",
                    requests,
                    calibration.endpoints.len(),
                    path.display()
                );
                for endpoint in &calibration.endpoints {
                    say!(
                        "  {:<40} {:>6.2} %  {}",
                        endpoint.group,
                        100.0 * endpoint.weight,
                        endpoint.fit.as_ref().map_or("no times", |fit| fit.dist.family())
                    );
                }
            }
        }
        None => say_raw!("{text}"),
    }
    Ok(())
}

/// A bar over the bytes of all logs, on a terminal only.
fn progress_bar(total: u64, quiet: bool) -> Option<ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} reading [{bar:30}] {bytes}/{total_bytes}  {elapsed} ({eta} left)",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    Some(bar)
}
