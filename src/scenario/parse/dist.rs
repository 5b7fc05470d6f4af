//! Reading a distribution: `"4ms"` (a constant) or an inline table
//! `{ dist = "exp", mean = "4ms" }`, with the parameters each kind needs.

use super::super::diagnostic::Diagnostic;
use super::super::dist::{Dist, LogNormalSpread, lognormal_max_p99_ratio, lognormal_sigma_from_p99};
use super::super::files::{BaseDir, Bounded, FileError, show_path, snippet};
use super::super::reader::{Node, Reader, TableNode};
use super::super::units::MAX_DURATION_NANOS;
use toml::de::DeValue;

/// Most samples an empirical distribution may hold (memory bound).
pub const MAX_EMPIRICAL_SAMPLES: usize = 10_000_000;

/// Largest sample file read, in bytes: room for `MAX_EMPIRICAL_SAMPLES`
/// samples of up to 20 digits, one per line, as the side files of a
/// resolved scenario hold them. The file is parsed as it is read, so memory
/// holds the samples, not the file.
pub const MAX_SAMPLE_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Longest line of a sample file, in bytes.
pub const MAX_SAMPLE_LINE_BYTES: u64 = 64 * 1024;

/// Units a sample file or bare sample numbers can be in.
const UNIT_NAMES: [&str; 4] = ["ns", "us", "ms", "s"];
const UNIT_NANOS: [f64; 4] = [1.0, 1e3, 1e6, 1e9];

const KINDS: [&str; 8] = [
    "const",
    "exp",
    "uniform",
    "normal",
    "lognormal",
    "gamma",
    "pareto",
    "empirical",
];

/// Reads a distribution of durations (parameters in nanoseconds).
pub(crate) fn read_duration_dist(reader: &mut Reader, node: &Node, base_dir: &BaseDir) -> Option<Dist> {
    if let DeValue::String(_) = node.value {
        let value = reader.duration(node)?;
        return Some(Dist::Const {
            value: value.as_nanos() as f64,
        });
    }
    let mut table = match node.value {
        DeValue::Table(_) => reader.table(node)?,
        _ => {
            reader.wrong_type(node, "a distribution", "{ dist = \"exp\", mean = \"4ms\" }");
            return None;
        }
    };
    let kind_node = table.require(reader, "dist", "\"exp\"");
    let kind = kind_node.as_ref().and_then(|kind| reader.choice(kind, &KINDS));
    let dist = match kind {
        Some(index) => read_kind(reader, &mut table, KINDS[index], base_dir),
        None => None,
    };
    table.finish(reader);
    dist
}

/// A duration parameter in nanoseconds.
fn nanos(reader: &mut Reader, table: &mut TableNode, key: &'static str, example: &str) -> Option<f64> {
    let node = table.require(reader, key, example)?;
    reader.duration(&node).map(|duration| duration.as_nanos() as f64)
}

fn positive_nanos(
    reader: &mut Reader,
    table: &mut TableNode,
    key: &'static str,
    example: &str,
) -> Option<f64> {
    let node = table.require(reader, key, example)?;
    reader
        .positive_duration(&node)
        .map(|duration| duration.as_nanos() as f64)
}

fn read_kind(reader: &mut Reader, table: &mut TableNode, kind: &str, base_dir: &BaseDir) -> Option<Dist> {
    match kind {
        "const" => Some(Dist::Const {
            value: nanos(reader, table, "value", "\"1ms\"")?,
        }),
        "exp" => Some(Dist::Exp {
            mean: positive_nanos(reader, table, "mean", "\"4ms\"")?,
        }),
        "uniform" => {
            let min = nanos(reader, table, "min", "\"1ms\"");
            let max_node = table.require(reader, "max", "\"5ms\"");
            let max = max_node
                .as_ref()
                .and_then(|node| reader.duration(node))
                .map(|d| d.as_nanos() as f64);
            let (min, max) = (min?, max?);
            if max < min {
                reader.invalid(max_node.as_ref()?, "`max` must not be less than `min`", None);
                return None;
            }
            Some(Dist::Uniform { min, max })
        }
        "normal" => {
            let mean = positive_nanos(reader, table, "mean", "\"4ms\"");
            let sd = nanos(reader, table, "sd", "\"1ms\"");
            Some(Dist::Normal { mean: mean?, sd: sd? })
        }
        "lognormal" => read_lognormal(reader, table),
        "gamma" => {
            let mean = positive_nanos(reader, table, "mean", "\"4ms\"");
            let cv = table
                .require(reader, "cv", "0.5")
                .and_then(|node| coefficient_of_variation(reader, &node));
            Some(Dist::Gamma { mean: mean?, cv: cv? })
        }
        "pareto" => read_pareto(reader, table),
        "empirical" => read_empirical(reader, table, base_dir),
        _ => unreachable!("kind comes from KINDS"),
    }
}

/// The range of `cv` accepted: beyond it a distribution is a constant or a
/// single enormous outlier for any run length, and its parameters leave
/// the range the samplers compute in.
pub const CV_RANGE: (f64, f64) = (1e-3, 100.0);

fn coefficient_of_variation(reader: &mut Reader, node: &Node) -> Option<f64> {
    let cv = reader.positive_number(node)?;
    let (low, high) = CV_RANGE;
    if (low..=high).contains(&cv) {
        Some(cv)
    } else {
        reader.invalid(
            node,
            format!("`cv` must be between {low} and {high}, found {cv}"),
            Some("use a constant for no variation, or `pareto` for a heavier tail".to_owned()),
        );
        None
    }
}

fn read_lognormal(reader: &mut Reader, table: &mut TableNode) -> Option<Dist> {
    let mean = positive_nanos(reader, table, "mean", "\"4ms\"");
    let cv = table.get("cv");
    let p99 = table.get("p99");
    let spread = match (cv, p99) {
        (Some(cv), None) => LogNormalSpread::Cv(coefficient_of_variation(reader, &cv)?),
        (None, Some(p99_node)) => {
            let p99 = reader.positive_duration(&p99_node)?.as_nanos() as f64;
            let mean = mean?;
            if lognormal_sigma_from_p99(mean, p99).is_none() {
                let ratio = lognormal_max_p99_ratio();
                reader.invalid(
                    &p99_node,
                    format!("no lognormal has this mean and p99 (p99/mean = {:.3})", p99 / mean),
                    Some(format!(
                        "p99 must be above the mean and at most {ratio:.2}× it; for heavier tails use `pareto`"
                    )),
                );
                return None;
            }
            LogNormalSpread::P99(p99)
        }
        (Some(_), Some(p99)) => {
            reader.invalid(&p99, "give `cv` or `p99` for a lognormal, not both", None);
            return None;
        }
        (None, None) => {
            reader.push(
                Diagnostic::error("a lognormal needs `cv` or `p99` besides `mean`")
                    .at(table.span.clone())
                    .path(table.path.clone())
                    .help("for example: { dist = \"lognormal\", mean = \"4ms\", cv = 1.0 }"),
            );
            return None;
        }
    };
    Some(Dist::LogNormal { mean: mean?, spread })
}

fn read_pareto(reader: &mut Reader, table: &mut TableNode) -> Option<Dist> {
    let alpha_node = table.require(reader, "alpha", "2.5");
    let alpha = alpha_node.as_ref().and_then(|node| reader.positive_number(node));
    let min = table.get("min");
    let mean = table.get("mean");
    match (min, mean) {
        (Some(min), None) => Some(Dist::Pareto {
            min: reader.positive_duration(&min)?.as_nanos() as f64,
            alpha: alpha?,
        }),
        (None, Some(mean_node)) => {
            let mean = reader.positive_duration(&mean_node)?.as_nanos() as f64;
            let alpha = alpha?;
            if alpha <= 1.0 {
                reader.invalid(
                    alpha_node.as_ref()?,
                    "a pareto with `alpha` <= 1 has no mean; give `min` instead of `mean`",
                    None,
                );
                return None;
            }
            // Whole nanoseconds, like every other duration parameter, so the
            // resolved scenario re-reads to exactly the same distribution.
            Some(Dist::Pareto {
                min: (mean * (alpha - 1.0) / alpha).round().max(1.0),
                alpha,
            })
        }
        _ => {
            reader.push(
                Diagnostic::error("a pareto needs exactly one of `min` and `mean`, with `alpha`")
                    .at(table.span.clone())
                    .path(table.path.clone())
                    .help("for example: { dist = \"pareto\", min = \"1ms\", alpha = 2.5 }"),
            );
            None
        }
    }
}

/// Reads samples inline (`samples = ["1ms", …]` or numbers with `unit`) or
/// from a CSV file (`file`, optional `column`, numbers in `unit`).
fn read_empirical(reader: &mut Reader, table: &mut TableNode, base_dir: &BaseDir) -> Option<Dist> {
    let unit_nanos = match table.get("unit") {
        Some(node) => Some(UNIT_NANOS[reader.choice(&node, &UNIT_NAMES)?]),
        None => None,
    };
    let samples_node = table.get("samples");
    let file_node = table.get("file");
    let column_node = table.get("column");
    let samples = match (&samples_node, &file_node) {
        (Some(node), None) => inline_samples(reader, node, unit_nanos)?,
        (None, Some(node)) => {
            let file = reader.string(node)?;
            let column = match &column_node {
                Some(column) => Some(reader.string(column)?),
                None => None,
            };
            file_samples(reader, node, base_dir, file, column, unit_nanos)?
        }
        _ => {
            reader.push(
                Diagnostic::error("an empirical distribution needs exactly one of `samples` and `file`")
                    .at(table.span.clone())
                    .path(table.path.clone())
                    .help("for example: { dist = \"empirical\", file = \"latency.csv\", unit = \"ms\" }"),
            );
            return None;
        }
    };
    Some(Dist::Empirical { samples })
}

fn finish_samples(reader: &mut Reader, node: &Node, mut samples: Vec<f64>) -> Option<Vec<f64>> {
    if samples.is_empty() {
        reader.invalid(node, "an empirical distribution needs at least one sample", None);
        return None;
    }
    // Whole nanoseconds, so the resolved scenario re-reads exactly.
    for sample in &mut samples {
        *sample = sample.round();
    }
    samples.sort_by(f64::total_cmp);
    Some(samples)
}

fn inline_samples(reader: &mut Reader, node: &Node, unit_nanos: Option<f64>) -> Option<Vec<f64>> {
    let items = reader.array(node)?;
    if items.len() > MAX_EMPIRICAL_SAMPLES {
        reader.invalid(
            node,
            format!("at most {MAX_EMPIRICAL_SAMPLES} samples are allowed"),
            None,
        );
        return None;
    }
    let mut samples = Vec::with_capacity(items.len());
    let mut ok = true;
    for item in &items {
        let value = match (item.value, unit_nanos) {
            (DeValue::String(_), _) => reader.duration(item).map(|d| d.as_nanos() as f64),
            (_, Some(unit)) => reader.number(item).map(|v| v * unit),
            (_, None) => {
                reader.invalid(
                    item,
                    "a bare number needs a `unit` beside `samples`",
                    Some("add `unit = \"ms\"`, or write samples with units like \"4ms\"".to_owned()),
                );
                None
            }
        };
        match value {
            Some(value) if value > MAX_DURATION_NANOS => {
                reader.invalid(item, "a sample is too long (more than 290 years)", None);
                ok = false;
            }
            Some(value) if value >= 0.0 => samples.push(value),
            Some(_) => {
                reader.invalid(item, "samples must not be negative", None);
                ok = false;
            }
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    finish_samples(reader, node, samples)
}

fn file_samples(
    reader: &mut Reader,
    node: &Node,
    base_dir: &BaseDir,
    file: &str,
    column: Option<&str>,
    unit_nanos: Option<f64>,
) -> Option<Vec<f64>> {
    let Some(unit) = unit_nanos else {
        reader.invalid(
            node,
            "samples read from a file need a `unit`",
            Some("add `unit = \"ms\"` if the file holds milliseconds".to_owned()),
        );
        return None;
    };
    let shown = show_path(std::path::Path::new(file));
    let cannot_read = |reader: &mut Reader, error: FileError| {
        let help = match &error {
            FileError::Outside { .. } => Some(
                "copy the file into the scenario's folder, or pass --allow-outside-files to read it where it is"
                    .to_owned(),
            ),
            FileError::TooLarge { .. } | FileError::LineTooLong { .. } => Some(
                "keep a sample of the measurements (a few hundred thousand are plenty)".to_owned(),
            ),
            FileError::NotRegular(_) => Some("name a CSV file".to_owned()),
            _ => None,
        };
        reader.invalid(node, format!("cannot read `{shown}`: {error}"), help);
    };
    let too_large = FileError::TooLarge {
        limit: MAX_SAMPLE_FILE_BYTES,
        what: "a sample file",
    };
    let opened = match base_dir.open(file) {
        Ok((_, _, metadata)) if metadata.len() > MAX_SAMPLE_FILE_BYTES => {
            cannot_read(reader, too_large);
            return None;
        }
        Ok((_, opened, _)) => opened,
        Err(error) => {
            cannot_read(reader, error);
            return None;
        }
    };
    // Parsed as it is read, never more than the file limit (a file can
    // grow, or say it is empty as in /proc) nor one endless line.
    let bounded = Bounded::new(
        std::io::BufReader::new(opened),
        MAX_SAMPLE_FILE_BYTES,
        MAX_SAMPLE_LINE_BYTES,
        "a sample file",
    );
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(column.is_some())
        .flexible(true)
        .from_reader(bounded);
    let csv_failure = |error: csv::Error| {
        let text = error.to_string();
        match error.into_kind() {
            csv::ErrorKind::Io(error) => FileError::from(error),
            _ => FileError::Io(std::io::Error::other(text)),
        }
    };
    let index = match column {
        None => 0,
        Some(name) => match csv.byte_headers() {
            Err(error) => {
                cannot_read(reader, csv_failure(error));
                return None;
            }
            Ok(headers) => match headers.iter().position(|field| field == name.as_bytes()) {
                Some(index) => index,
                None => {
                    reader.invalid(
                        node,
                        format!(
                            "`{shown}` has no column `{}`",
                            show_path(std::path::Path::new(name))
                        ),
                        Some("`column` names a field of the file's first line".to_owned()),
                    );
                    return None;
                }
            },
        },
    };
    let mut samples = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut line = 0usize;
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                cannot_read(reader, csv_failure(error));
                return None;
            }
        }
        line += 1;
        let field = record.get(index).unwrap_or(b"").trim_ascii();
        let value = std::str::from_utf8(field)
            .ok()
            .and_then(|text| text.parse::<f64>().ok());
        match value {
            Some(value) if value.is_finite() && value >= 0.0 && value * unit <= MAX_DURATION_NANOS => {
                samples.push(value * unit)
            }
            // A header line in a file read without `column`.
            None if line == 1 && column.is_none() => continue,
            _ => {
                let line_number = line + usize::from(column.is_some());
                // Only a short, printable prefix of the field: the file may
                // not be the author's (see `files`).
                reader.invalid(
                    node,
                    format!(
                        "`{shown}` line {line_number}: `{}` is not a non-negative number of at most 290 years",
                        snippet(field)
                    ),
                    None,
                );
                return None;
            }
        }
        if samples.len() > MAX_EMPIRICAL_SAMPLES {
            reader.invalid(
                node,
                format!("at most {MAX_EMPIRICAL_SAMPLES} samples are allowed"),
                None,
            );
            return None;
        }
    }
    finish_samples(reader, node, samples)
}
