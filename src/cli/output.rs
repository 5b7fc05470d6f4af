//! `--out` folders: claiming one (`report::out_dir`: only a new or empty
//! folder, or one capsim wrote before, never an input's folder, one capsim
//! at a time) and how a refusal or a failed write ends the command.

use std::io;
use std::path::{Path, PathBuf};

use capsim::report::out_dir::{OutDir, OutDirError, Rules};

use super::outcome::Failure;

/// Claims `dir` for results; on refusal prints why (exit 2; another capsim
/// writing there or a system error: exit 1).
pub fn claim(dir: &Path, force: bool, inputs: &[PathBuf]) -> Result<OutDir, Failure> {
    OutDir::claim(dir, &Rules { force, inputs }).map_err(|error| {
        eprintln!("error: {error}");
        if error.is_refusal() {
            Failure::Invalid
        } else {
            Failure::Failed
        }
    })
}

/// Whether a write failed because capsim refused to replace a file it did
/// not write (the user's to resolve, like a bad argument).
pub fn is_refusal(error: &io::Error) -> bool {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<OutDirError>())
        .is_some_and(OutDirError::is_refusal)
}

/// Prints that results could not be written into `dir` and says how the
/// command ends.
pub fn write_failed(dir: &Path, error: &io::Error) -> Failure {
    eprintln!("error: cannot write results to `{}`: {error}", dir.display());
    if is_refusal(error) {
        Failure::Invalid
    } else {
        Failure::Failed
    }
}

/// The first lines of the diagrams `capsim graph` draws.
const DIAGRAM_STARTS: [&str; 2] = ["flowchart LR\n", "digraph topology {\n"];

/// Checks that `capsim graph --out FILE` may write `path`: not a file the
/// command reads; new, or a diagram capsim drew (or `force`).
pub fn check_diagram_file(path: &Path, force: bool, inputs: &[PathBuf]) -> Result<(), Failure> {
    let refuse = |message: String| {
        eprintln!("error: {message}");
        Failure::Invalid
    };
    if let Ok(canonical) = std::fs::canonicalize(path)
        && inputs.contains(&canonical)
    {
        return Err(refuse(format!(
            "`{}` is a file this command reads; write the diagram elsewhere",
            path.display()
        )));
    }
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            eprintln!("error: cannot write `{}`: {error}", path.display());
            return Err(Failure::Failed);
        }
    };
    if metadata.is_dir() {
        return Err(refuse(format!("`{}` is a folder", path.display())));
    }
    if force {
        return Ok(());
    }
    let drawn_by_capsim = metadata.is_file() && starts_like_a_diagram(path);
    if drawn_by_capsim {
        Ok(())
    } else {
        Err(refuse(format!(
            "`{}` exists and is not a diagram capsim drew; choose another file, or pass --force to replace it",
            path.display()
        )))
    }
}

/// Whether the regular file at `path` (not a link) begins as a diagram
/// capsim draws.
fn starts_like_a_diagram(path: &Path) -> bool {
    use std::io::Read;
    let Ok((file, _)) = capsim::scenario::files::open_regular(path, false) else {
        return false;
    };
    let mut start = Vec::new();
    if file.take(64).read_to_end(&mut start).is_err() {
        return false;
    }
    DIAGRAM_STARTS
        .iter()
        .any(|diagram| start.starts_with(diagram.as_bytes()))
}
