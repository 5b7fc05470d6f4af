//! `capsim calibrate`: request logs in, a scenario skeleton out.
//!
//! `read` reads each file in its format (`formats`, with `time`), `group`
//! puts each request in its endpoint group, `fit` chooses each endpoint's
//! service-time distribution by a goodness-of-fit test (with `special`'s
//! functions), `arrivals` describes the arrival process, and `scenario_out`
//! writes the scenario with every number's evidence beside it as comments.
//! `trace` goes the other way: it writes a run's sampled requests in the
//! formats read here (`capsim run --trace`). Nothing here simulates.

pub mod arrivals;
pub mod fit;
pub mod formats;
pub mod group;
pub mod read;
pub mod scenario_out;
mod special;
pub mod time;
pub mod trace;

use std::collections::BTreeMap;
use std::path::PathBuf;

use formats::{Entry, Format};
use group::GroupRule;
use read::{FileProblem, FileReport};

/// How to calibrate.
#[derive(Debug, Default)]
pub struct Options {
    /// The format of every file; `None` detects each file's.
    pub format: Option<Format>,
    /// `--group` rules, tried in order before the built-in grouping.
    pub groups: Vec<GroupRule>,
}

/// Where an endpoint's service times come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeSource {
    /// The server's time, logged apart (nginx's upstream time, ALB's
    /// target time, the CSV's `upstream_ms`).
    Upstream,
    /// The whole latency: no server time was logged.
    Latency,
}

/// One endpoint group.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    /// As grouped: `GET /users/{n}`, a `--group` name, or a CSV name.
    pub group: String,
    /// Its class and endpoint name in the scenario.
    pub name: String,
    pub requests: u64,
    /// Its share of all requests.
    pub weight: f64,
    /// 5xx responses.
    pub server_errors: u64,
    /// 4xx responses (served: the server did its work and answered).
    pub client_errors: u64,
    pub source: TimeSource,
    /// The fit of the service times of the responses below 500, if any
    /// had a time.
    pub fit: Option<fit::Fit>,
    /// The samples' own mean and 99th percentile (ms).
    pub observed_mean_ms: f64,
    pub observed_p99_ms: f64,
    /// Mean of latency minus server time, where both were logged.
    pub outside_mean_ms: Option<f64>,
}

impl Endpoint {
    pub fn error_rate(&self) -> f64 {
        self.server_errors as f64 / self.requests as f64
    }
}

/// What calibration found.
#[derive(Debug)]
pub struct Calibration {
    pub files: Vec<FileReport>,
    pub endpoints: Vec<Endpoint>,
    pub arrivals: Option<arrivals::Arrivals>,
}

/// Why calibration gave nothing: every problem, of every file.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Files { problems: Vec<FileProblem> },
    #[error("no request in {files}: nothing to calibrate from")]
    Empty { files: String },
}

#[derive(Default)]
struct Group {
    requests: u64,
    server_errors: u64,
    client_errors: u64,
    latency: Vec<f64>,
    upstream: Vec<f64>,
    outside: Vec<f64>,
}

/// Reads `files` and calibrates from them; `progress` gets the bytes read
/// over all files so far.
pub fn calibrate(
    files: &[PathBuf],
    options: &Options,
    progress: &mut dyn FnMut(u64),
) -> Result<Calibration, CalibrateError> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut arrivals = Vec::new();
    let mut reports = Vec::new();
    let mut problems = Vec::new();
    let mut done = 0u64;
    for file in files {
        let mut add = |entry: Entry| {
            arrivals.push(entry.arrival_s);
            let name = group::group(entry.method.as_deref(), &entry.target, &options.groups);
            let group = groups.entry(name).or_default();
            group.requests += 1;
            match entry.status {
                500.. => group.server_errors += 1,
                400..=499 => group.client_errors += 1,
                _ => {}
            }
            if entry.status < 500 {
                if let Some(latency) = entry.latency_ms {
                    group.latency.push(latency);
                }
                if let Some(upstream) = entry.upstream_ms {
                    group.upstream.push(upstream);
                    if let Some(latency) = entry.latency_ms {
                        group.outside.push(latency - upstream);
                    }
                }
            }
        };
        let mut file_progress = |bytes: u64| progress(done + bytes);
        match read::read_file(file, options.format, &mut add, &mut file_progress) {
            Ok(report) => reports.push(report),
            Err(problem) => problems.push(problem),
        }
        done += std::fs::metadata(file).map_or(0, |meta| meta.len());
    }
    if !problems.is_empty() {
        return Err(CalibrateError::Files { problems });
    }
    let total: u64 = groups.values().map(|group| group.requests).sum();
    if total == 0 {
        let files = files
            .iter()
            .map(|file| format!("`{}`", file.display()))
            .collect::<Vec<_>>();
        return Err(CalibrateError::Empty {
            files: files.join(", "),
        });
    }
    let mut names = std::collections::BTreeSet::new();
    let endpoints = groups
        .into_iter()
        .map(|(name, group)| endpoint(name, group, total, &mut names))
        .collect();
    Ok(Calibration {
        files: reports,
        endpoints,
        arrivals: arrivals::analyse(&arrivals),
    })
}

fn endpoint(
    group_name: String,
    group: Group,
    total: u64,
    names: &mut std::collections::BTreeSet<String>,
) -> Endpoint {
    let base = group::scenario_name(&group_name);
    let mut name = base.clone();
    let mut suffix = 2;
    while !names.insert(name.clone()) {
        name = format!("{base}_{suffix}");
        suffix += 1;
    }
    let (source, samples) = if group.upstream.is_empty() {
        (TimeSource::Latency, group.latency)
    } else {
        (TimeSource::Upstream, group.upstream)
    };
    let (observed_mean_ms, observed_p99_ms) = if samples.is_empty() {
        (f64::NAN, f64::NAN)
    } else {
        let mut sorted = samples.clone();
        sorted.sort_by(f64::total_cmp);
        let p99 = sorted[((sorted.len() as f64 * 0.99).ceil() as usize).clamp(1, sorted.len()) - 1];
        (sorted.iter().sum::<f64>() / sorted.len() as f64, p99)
    };
    Endpoint {
        group: group_name,
        name,
        requests: group.requests,
        weight: group.requests as f64 / total as f64,
        server_errors: group.server_errors,
        client_errors: group.client_errors,
        source,
        fit: (!samples.is_empty()).then(|| fit::fit(&samples)),
        observed_mean_ms,
        observed_p99_ms,
        outside_mean_ms: (!group.outside.is_empty())
            .then(|| group.outside.iter().sum::<f64>() / group.outside.len() as f64),
    }
}
