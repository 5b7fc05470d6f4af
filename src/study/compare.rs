//! Comparing designs: variants named on the command line
//! (`--variant small:pool.web.size=m5.large`), one seed for all, and the
//! runs in parallel.
//!
//! Common random numbers come from the engine: every stream is named after
//! the component and purpose that draws from it, so with one seed the
//! parts two variants share draw the same numbers and the variants differ
//! by their design, not by noise. Runs go to rayon's pool and come back in
//! variant order; thread count and completion order never reach a result.

use rayon::prelude::*;

use crate::results::RunResult;
use crate::scenario::Scenario;

use super::run::{RunError, run};

/// A variant of the base scenario: its name and its `PATH=VALUE` overrides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantSpec {
    pub name: String,
    pub overrides: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CompareError {
    #[error("invalid variant `{text}`: expected NAME:PATH=VALUE, like `small:pool.web.size=m5.large`")]
    BadVariant { text: String },
    #[error(
        "invalid variant name `{name}`: use letters, digits, `_`, `-` and `.`, not `-` first (it names the variant's folder and its CSV rows)"
    )]
    BadName { name: String },
    #[error("two variants are named `{name}`; give each scenario or variant its own name")]
    DuplicateName { name: String },
    #[error("nothing to compare: give two or more scenarios, or a scenario and `--variant NAME:PATH=VALUE`")]
    TooFew,
}

/// Checks that `name` can name a variant and its folder.
pub fn check_name(name: &str) -> Result<(), CompareError> {
    let valid = !name.is_empty()
        && name != "."
        && name != ".."
        && name != "charts"
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && crate::scenario::formula_start(name).is_none();
    if valid {
        Ok(())
    } else {
        Err(CompareError::BadName {
            name: name.to_owned(),
        })
    }
}

/// A usable variant name from a file stem: characters outside the allowed
/// set become `_`.
pub fn name_from_stem(stem: &str) -> String {
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if check_name(&name).is_ok() {
        name
    } else {
        format!("variant_{name}")
    }
}

/// Parses `NAME:PATH=VALUE` arguments, merging those that share a name into
/// one variant (in order of first appearance).
pub fn parse_variants(texts: &[String]) -> Result<Vec<VariantSpec>, CompareError> {
    let mut variants: Vec<VariantSpec> = Vec::new();
    for text in texts {
        let bad = || CompareError::BadVariant { text: text.clone() };
        let (name, assignment) = text.split_once(':').ok_or_else(bad)?;
        let (path, _) = assignment.split_once('=').ok_or_else(bad)?;
        if path.trim().is_empty() {
            return Err(bad());
        }
        check_name(name)?;
        match variants.iter_mut().find(|variant| variant.name == name) {
            Some(variant) => variant.overrides.push(assignment.to_owned()),
            None => variants.push(VariantSpec {
                name: name.to_owned(),
                overrides: vec![assignment.to_owned()],
            }),
        }
    }
    Ok(variants)
}

/// Checks that there are at least two names and no name twice.
pub fn check_names(names: &[String]) -> Result<(), CompareError> {
    if names.len() < 2 {
        return Err(CompareError::TooFew);
    }
    for (index, name) in names.iter().enumerate() {
        if names[..index].contains(name) {
            return Err(CompareError::DuplicateName { name: name.clone() });
        }
    }
    Ok(())
}

/// Gives every scenario the same seed (`seed`, or the first scenario's);
/// returns the indices and former seeds of those that changed.
pub fn share_seed(scenarios: &mut [Scenario], seed: Option<u64>) -> Vec<(usize, u64)> {
    let Some(seed) = seed.or_else(|| scenarios.first().map(|s| s.seed)) else {
        return Vec::new();
    };
    let mut changed = Vec::new();
    for (index, scenario) in scenarios.iter_mut().enumerate() {
        if scenario.seed != seed {
            changed.push((index, scenario.seed));
            scenario.seed = seed;
        }
    }
    changed
}

/// Runs every scenario, in parallel, results in the scenarios' order.
pub fn run_all(scenarios: &[Scenario]) -> Vec<Result<RunResult, RunError>> {
    scenarios.par_iter().map(run).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn variants_group_by_name() {
        let variants = parse_variants(&texts(&[
            "big:pool.web.instances=8",
            "small:pool.web.size=m5.large",
            "big:pool.web.size=m5.xlarge",
        ]))
        .unwrap();
        assert_eq!(
            variants,
            [
                VariantSpec {
                    name: "big".into(),
                    overrides: texts(&["pool.web.instances=8", "pool.web.size=m5.xlarge"]),
                },
                VariantSpec {
                    name: "small".into(),
                    overrides: texts(&["pool.web.size=m5.large"]),
                },
            ]
        );
    }

    #[test]
    fn bad_variants_say_why() {
        let message = |text: &str| parse_variants(&texts(&[text])).unwrap_err().to_string();
        assert!(message("pool.web.size=m5.large").contains("expected NAME:PATH=VALUE"));
        assert!(message("small:pool.web.size").contains("expected NAME:PATH=VALUE"));
        assert!(message("small:=3").contains("expected NAME:PATH=VALUE"));
        assert!(message("a b:x=1").contains("invalid variant name `a b`"));
        assert!(message("..:x=1").contains("invalid variant name"));
    }

    #[test]
    fn names_must_be_two_or_more_and_distinct() {
        assert_eq!(check_names(&texts(&["a"])), Err(CompareError::TooFew));
        assert_eq!(
            check_names(&texts(&["a", "b", "a"])),
            Err(CompareError::DuplicateName { name: "a".into() })
        );
        assert_eq!(check_names(&texts(&["a", "b"])), Ok(()));
        assert_eq!(name_from_stem("my scenario"), "my_scenario");
        assert_eq!(name_from_stem("charts"), "variant_charts");
    }
}
