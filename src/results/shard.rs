//! Shards: a sweep split over several machines by an existing scheduler.
//!
//! Shard `I` of `N` (0-based) runs the points whose index `i` has
//! `i mod N = I`: a fixed rule, so every shard knows its points without
//! talking to the others, and neighbouring points (often of similar cost)
//! spread evenly. The shard comes from, in this order of precedence:
//! `--shard I/N`; a Slurm job array (`SLURM_ARRAY_TASK_ID` minus
//! `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`); a Kubernetes
//! indexed Job (`JOB_COMPLETION_INDEX`, of `CAPSIM_SHARD_COUNT`, which the
//! manifest sets to the Job's `completions`). Reading the environment is
//! the caller's; this module takes a lookup function, so it is testable.

use std::fmt;

/// Shard `index` of `count`, 0-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Whether point `point` belongs to this shard.
    pub fn owns(&self, point: usize) -> bool {
        point % self.count as usize == self.index as usize
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Where the shard came from (for messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardSource {
    Flag,
    Slurm,
    Kubernetes,
}

/// Most shards a study may have.
pub const MAX_SHARDS: u32 = 100_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShardError {
    #[error("invalid shard `{text}` ({origin}): expected I/N with 0 ≤ I < N, like `0/4`")]
    Shape { text: String, origin: String },
    #[error(
        "invalid shard `{text}` ({origin}): the index must be below the count (shards are numbered from 0)"
    )]
    IndexTooLarge { text: String, origin: String },
    #[error("invalid shard `{text}` ({origin}): at most {MAX_SHARDS} shards")]
    TooMany { text: String, origin: String },
    #[error("`{variable}` is `{value}`, not a whole number")]
    NotANumber { variable: &'static str, value: String },
    #[error("`{present}` is set but `{missing}` is not; {hint}")]
    Missing {
        present: &'static str,
        missing: &'static str,
        hint: &'static str,
    },
}

fn check(index: u32, count: u32, text: String, origin: &str) -> Result<Shard, ShardError> {
    if count == 0 {
        return Err(ShardError::Shape {
            text,
            origin: origin.to_owned(),
        });
    }
    if count > MAX_SHARDS {
        return Err(ShardError::TooMany {
            text,
            origin: origin.to_owned(),
        });
    }
    if index >= count {
        return Err(ShardError::IndexTooLarge {
            text,
            origin: origin.to_owned(),
        });
    }
    Ok(Shard { index, count })
}

/// Parses `I/N`.
pub fn parse(text: &str) -> Result<Shard, ShardError> {
    let shape = || ShardError::Shape {
        text: text.to_owned(),
        origin: "--shard".to_owned(),
    };
    let (index, count) = text.split_once('/').ok_or_else(shape)?;
    let index: u32 = index.trim().parse().map_err(|_| shape())?;
    let count: u32 = count.trim().parse().map_err(|_| shape())?;
    check(index, count, text.to_owned(), "--shard")
}

fn number(variable: &'static str, value: &str) -> Result<u32, ShardError> {
    value.trim().parse().map_err(|_| ShardError::NotANumber {
        variable,
        value: value.to_owned(),
    })
}

/// The shard to run: the flag if given, else the scheduler's environment
/// (`env` looks a variable up), else none (the whole sweep).
pub fn resolve(
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(Shard, ShardSource)>, ShardError> {
    if let Some(text) = flag {
        return parse(text).map(|shard| Some((shard, ShardSource::Flag)));
    }
    if let Some(id) = env("SLURM_ARRAY_TASK_ID") {
        let id = number("SLURM_ARRAY_TASK_ID", &id)?;
        let count = env("SLURM_ARRAY_TASK_COUNT").ok_or(ShardError::Missing {
            present: "SLURM_ARRAY_TASK_ID",
            missing: "SLURM_ARRAY_TASK_COUNT",
            hint: "run inside a Slurm job array (sbatch --array=0-3), or pass --shard I/N",
        })?;
        let count = number("SLURM_ARRAY_TASK_COUNT", &count)?;
        let min = match env("SLURM_ARRAY_TASK_MIN") {
            Some(min) => number("SLURM_ARRAY_TASK_MIN", &min)?,
            None => 0,
        };
        let index = id.checked_sub(min).unwrap_or(u32::MAX);
        let text = format!("{index}/{count}");
        let origin = "from SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT; \
                      use a contiguous array like --array=0-3";
        return check(index, count, text, origin).map(|shard| Some((shard, ShardSource::Slurm)));
    }
    if let Some(index) = env("JOB_COMPLETION_INDEX") {
        let index = number("JOB_COMPLETION_INDEX", &index)?;
        let count = env("CAPSIM_SHARD_COUNT").ok_or(ShardError::Missing {
            present: "JOB_COMPLETION_INDEX",
            missing: "CAPSIM_SHARD_COUNT",
            hint: "set it to the Job's `completions` in the manifest, or pass --shard I/N",
        })?;
        let count = number("CAPSIM_SHARD_COUNT", &count)?;
        let text = format!("{index}/{count}");
        let origin = "from JOB_COMPLETION_INDEX of CAPSIM_SHARD_COUNT";
        return check(index, count, text, origin).map(|shard| Some((shard, ShardSource::Kubernetes)));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn points_go_round_robin() {
        let shard = parse("1/3").unwrap();
        let owned: Vec<usize> = (0..10).filter(|&i| shard.owns(i)).collect();
        assert_eq!(owned, [1, 4, 7]);
        assert_eq!(shard.to_string(), "1/3");
    }

    #[test]
    fn bad_flags() {
        assert!(parse("3/3").unwrap_err().to_string().contains("numbered from 0"));
        assert!(parse("1").unwrap_err().to_string().contains("expected I/N"));
        assert!(parse("0/0").unwrap_err().to_string().contains("expected I/N"));
        assert!(parse("-1/2").is_err());
    }

    #[test]
    fn the_flag_wins_then_slurm_then_kubernetes() {
        let all = env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("JOB_COMPLETION_INDEX", "2"),
            ("CAPSIM_SHARD_COUNT", "3"),
        ]);
        assert_eq!(
            resolve(Some("0/2"), &all).unwrap(),
            Some((Shard { index: 0, count: 2 }, ShardSource::Flag))
        );
        assert_eq!(
            resolve(None, &all).unwrap(),
            Some((Shard { index: 1, count: 3 }, ShardSource::Slurm))
        );
        let kubernetes = env(&[("JOB_COMPLETION_INDEX", "2"), ("CAPSIM_SHARD_COUNT", "3")]);
        assert_eq!(
            resolve(None, &kubernetes).unwrap(),
            Some((Shard { index: 2, count: 3 }, ShardSource::Kubernetes))
        );
        assert_eq!(resolve(None, &env(&[])).unwrap(), None);
    }

    #[test]
    fn bad_environments_say_which_variable() {
        let no_count = env(&[("JOB_COMPLETION_INDEX", "1")]);
        let message = resolve(None, &no_count).unwrap_err().to_string();
        assert!(message.contains("`CAPSIM_SHARD_COUNT` is not"), "{message}");
        let garbage = env(&[("SLURM_ARRAY_TASK_ID", "x"), ("SLURM_ARRAY_TASK_COUNT", "2")]);
        assert_eq!(
            resolve(None, &garbage).unwrap_err().to_string(),
            "`SLURM_ARRAY_TASK_ID` is `x`, not a whole number"
        );
        let beyond = env(&[("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "3")]);
        assert!(
            resolve(None, &beyond)
                .unwrap_err()
                .to_string()
                .contains("contiguous array")
        );
    }
}
