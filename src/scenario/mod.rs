//! Scenario loading: TOML text → a validated, resolved `Scenario`.
//!
//! Loading works like a compiler front end. `tree` parses the file (keeping
//! spans) and merges `--set` overrides; `parse` reads each section into the
//! resolved types of `types`, collecting every diagnostic instead of stopping
//! at the first; `check` resolves names across sections. Only when no error
//! remains does the caller get a `Scenario`, plus warnings. `dump` writes it
//! back as TOML. Nothing here runs a simulation, and no serde or TOML type
//! leaves this module (but `schema`'s JSON, which describes the input format).

pub mod cdn_regions;
pub mod diagnostic;
pub mod dist;
pub mod dump;
mod dump_geo;
pub mod files;
pub mod geo;
pub mod host;
pub mod ids;
mod pricing;
pub mod source;
pub mod types;
pub mod units;

mod cache_keys;
mod check;
mod check_queues;
mod geo_check;
mod parse;
pub mod plan;
mod reader;
mod resilience;
pub mod schema;
pub(crate) mod section;
pub mod slo;
mod tree;
mod words;

use std::path::{Path, PathBuf};

pub use check::visit_steps;
pub use diagnostic::{Diagnostic, ScenarioError, Severity, Style};
pub use dist::Dist;
pub use files::{FileAccess, FileError};
pub use parse::{BUILTIN_SIZES, FORMULA_STARTS, builtin_size, formula_start};
pub use source::SourceMap;
pub use types::*;

/// Limits on what a scenario may ask for, so no input can exhaust memory.
pub mod bounds {
    pub use super::parse::{
        MAX_CACHE_NODES, MAX_CLOSED_USERS, MAX_CORES, MAX_EMPIRICAL_SAMPLES, MAX_INSTANCES, MAX_KEYS,
        MAX_QUEUE_CAPACITY, MAX_QUEUE_MESSAGES, MAX_REPLICAS, MAX_RETRIES, MAX_SHARDS, MAX_STEP_DEPTH,
        MAX_USERS, MAX_VIRTUAL_NODES, MAX_WINDOWS, MAX_WORKERS,
    };
    pub use super::parse::{MAX_CDN_DEPLOYS, MAX_CDN_EDGES, MAX_OBJECT_BYTES, MAX_SAMPLE_FILE_BYTES};
    pub use super::parse::{MAX_CLASSES, MAX_COMPONENTS};
    /// Largest scenario file read, in bytes; a scenario's resolved form
    /// (`scenario.resolved.toml`) must fit it too, so it can be run again.
    pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
}

/// A scenario that loaded, with its warnings and the text they point into.
#[derive(Debug)]
pub struct Loaded {
    pub scenario: Scenario,
    pub warnings: Vec<Diagnostic>,
    pub sources: SourceMap,
    /// The files it was read from, canonical: the scenario file (when
    /// there is one) first, then every sample file, in reading order. An
    /// output folder must not be theirs.
    pub inputs: Vec<PathBuf>,
}

impl Loaded {
    /// The warnings rendered against their sources.
    pub fn render_warnings(&self, style: Style) -> String {
        diagnostic::render(&self.warnings, &self.sources, style)
    }
}

/// Loads a scenario file, applying `overrides` (`path=value`) in order;
/// the files it names must be inside its folder.
pub fn load_file(path: &Path, overrides: &[String]) -> Result<Loaded, ScenarioError> {
    load_file_with(path, overrides, FileAccess::InsideFolder)
}

/// Loads a scenario file, reading the files it names as `access` allows.
/// The file itself must be a regular file of at most 16 MiB (a FIFO or a
/// device is refused at once, never waited on).
pub fn load_file_with(
    path: &Path,
    overrides: &[String],
    access: FileAccess,
) -> Result<Loaded, ScenarioError> {
    let display = path.display().to_string();
    let fail = |message: String, help: &str| {
        let mut sources = SourceMap::new();
        sources.add(display.clone(), String::new());
        ScenarioError {
            diagnostics: vec![Diagnostic::error(message).help(help)],
            sources,
        }
    };
    let shown = files::show_path(path);
    let bytes = files::read_bounded(path, bounds::MAX_FILE_BYTES, "a scenario file").map_err(|error| {
        let help = match error {
            FileError::TooLarge { .. } => "put large sample sets in a CSV and use an empirical `file`",
            FileError::NotRegular(_) => "a scenario is a TOML text file",
            _ => "check the path; scenarios/ has examples",
        };
        fail(format!("cannot read `{shown}`: {error}"), help)
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        fail(
            format!("`{shown}` is not UTF-8 text"),
            "a scenario is a TOML text file",
        )
    })?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    let default_name = path
        .file_stem()
        .map_or("scenario".into(), |stem| stem.to_string_lossy());
    let mut loaded = load_text_with(&display, &text, overrides, base_dir, &default_name, access)?;
    if let Ok(canonical) = std::fs::canonicalize(path) {
        loaded.inputs.insert(0, canonical);
    }
    Ok(loaded)
}

/// Loads scenario text. `origin` names it in messages, `base_dir` anchors
/// relative paths (empirical sample files, which must be inside it),
/// `default_name` is the name used when `[scenario]` has none.
pub fn load_text(
    origin: &str,
    text: &str,
    overrides: &[String],
    base_dir: &Path,
    default_name: &str,
) -> Result<Loaded, ScenarioError> {
    load_text_with(
        origin,
        text,
        overrides,
        base_dir,
        default_name,
        FileAccess::InsideFolder,
    )
}

/// `load_text`, reading the files the scenario names as `access` allows.
pub fn load_text_with(
    origin: &str,
    text: &str,
    overrides: &[String],
    base_dir: &Path,
    default_name: &str,
    access: FileAccess,
) -> Result<Loaded, ScenarioError> {
    let mut sources = SourceMap::new();
    sources.add(origin, text);
    for (index, text) in overrides.iter().enumerate() {
        sources.add(format!("--set #{}", index + 1), text.clone());
    }
    let files = files::BaseDir::new(base_dir, access);
    let mut diagnostics = Vec::new();
    let outcome = match tree::build(&sources, &mut diagnostics) {
        Some(tree) => {
            let mut cx = parse::Cx {
                reader: reader::Reader::default(),
                references: Vec::new(),
                declared: Vec::new(),
                base_dir: &files,
                geo: Default::default(),
                names: Default::default(),
                host_placements: Vec::new(),
                run_times: None,
            };
            let scenario = parse::read_scenario(&mut cx, &tree, default_name);
            diagnostics.append(&mut cx.reader.diagnostics);
            match scenario {
                Some(mut scenario) if !diagnostics.iter().any(Diagnostic::is_error) => {
                    diagnostics.extend(check::check(&mut scenario, &cx.references));
                    Some(scenario)
                }
                _ => {
                    // Other errors stop the full check; typos in names are
                    // still worth reporting in the same pass.
                    diagnostics.extend(check::check_declared(&cx.references, &cx.declared));
                    None
                }
            }
        }
        None => None,
    };
    if let Some(scenario) = &outcome
        && !diagnostics.iter().any(Diagnostic::is_error)
    {
        diagnostics.extend(dump::check_rerunnable(scenario));
    }
    let failed = outcome.is_none() || diagnostics.iter().any(Diagnostic::is_error);
    if failed {
        // Errors first, then warnings, each in source order.
        diagnostics.sort_by_key(|d| (d.severity, d.span.as_ref().map_or(usize::MAX, |s| s.start)));
        if !diagnostics.iter().any(Diagnostic::is_error) {
            diagnostics.push(Diagnostic::error("the scenario could not be read"));
        }
        return Err(ScenarioError { diagnostics, sources });
    }
    Ok(Loaded {
        scenario: outcome.expect("no errors means a scenario"),
        warnings: diagnostics,
        sources,
        inputs: files.files_read(),
    })
}

/// Loads text with no file behind it (tests, examples, the library API).
pub fn load_str(text: &str) -> Result<Loaded, ScenarioError> {
    load_text("<scenario>", text, &[], Path::new("."), "scenario")
}
