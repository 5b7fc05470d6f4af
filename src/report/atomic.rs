//! Atomic file replacement: write beside the target under a temporary name,
//! flush to disk, then rename over the target. Readers see the old file or
//! the new one, never half of one.

use std::io::{self, Write};
use std::path::Path;

/// The temporary name beside `path` that a file is written under:
/// `.NAME.PID.partial`, hidden and plainly unfinished.
pub fn partial_path(path: &Path) -> io::Result<std::path::PathBuf> {
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the output path has no file name"))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(file_name);
    temporary_name.push(format!(".{}.partial", std::process::id()));
    Ok(path.with_file_name(temporary_name))
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temporary = partial_path(path)?;
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.csv");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("summary.csv")]);
    }
}
