//! How a command ends, and the one place that turns that into the process's
//! exit code: 0 ok, 1 the run (or writing its results) failed, 2 invalid
//! input or usage, 3 finished and wrote its results but missed an SLO (so a
//! pipeline can gate on it: `run` missed one, `compare` any configuration
//! did, a `sweep`/`merge` group has no point that meets every one), 130 interrupted by Ctrl-C or SIGTERM
//! (128 + SIGINT, as shells report it).
//!
//! A command prints its messages where it finds the problem, so they keep
//! their order with everything else it prints, and returns the kind of
//! failure; nothing else in the CLI names an exit code.

/// Why a command did not succeed (its message is already on stderr).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The run, a study or writing the results failed; or `plan` found no
    /// configuration within the limits.
    #[error("the command failed")]
    Failed,
    /// A scenario, an argument or a folder to read is invalid.
    #[error("invalid input or usage")]
    Invalid,
    /// The command finished and wrote everything, but an objective (`[slo]`
    /// or `--slo`) was missed: by `run`, by any configuration `compare`
    /// ran, or at every point of a `sweep` group.
    #[error("an SLO was missed")]
    SloMissed,
    /// Stopped by Ctrl-C or SIGTERM; no results were written.
    #[error("interrupted")]
    Interrupted,
}

/// What every command returns.
pub type Outcome = Result<(), Failure>;

/// The exit code of an outcome (README.md, "Exit codes").
pub fn exit_code(outcome: Outcome) -> u8 {
    match outcome {
        Ok(()) => 0,
        Err(Failure::Failed) => 1,
        Err(Failure::Invalid) => 2,
        Err(Failure::SloMissed) => 3,
        Err(Failure::Interrupted) => 130,
    }
}

/// Ends the process at once with the outcome's exit code (a closed
/// standard output, a second Ctrl-C).
pub fn exit_now(outcome: Outcome) -> ! {
    std::process::exit(i32::from(exit_code(outcome)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_codes() {
        assert_eq!(exit_code(Ok(())), 0);
        assert_eq!(exit_code(Err(Failure::Failed)), 1);
        assert_eq!(exit_code(Err(Failure::Invalid)), 2);
        assert_eq!(exit_code(Err(Failure::SloMissed)), 3);
        assert_eq!(exit_code(Err(Failure::Interrupted)), 130);
    }
}
