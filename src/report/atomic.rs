//! Atomic file replacement: write beside the target under a temporary name,
//! flush to disk, then rename over the target. Readers see the old file or
//! the new one, never half of one.
//!
//! `write_all_atomic` makes and writes several such files of an output
//! folder (`out_dir`) at once on the current rayon pool, for the files that
//! may appear in any order (charts, side tables); the file that marks the
//! folder complete is written by its caller after them.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::out_dir::OutDir;

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

/// A file still to be written: its name in the output folder
/// (`charts/x.svg`), and how to make its bytes.
pub struct PendingFile<'a> {
    pub name: String,
    pub bytes: Box<dyn Fn() -> io::Result<Vec<u8>> + Send + Sync + 'a>,
}

impl<'a> PendingFile<'a> {
    pub fn new(name: impl Into<String>, bytes: impl Fn() -> io::Result<Vec<u8>> + Send + Sync + 'a) -> Self {
        PendingFile {
            name: name.into(),
            bytes: Box::new(bytes),
        }
    }

    fn write(&self, out: &OutDir) -> io::Result<PathBuf> {
        out.write_atomic(&self.name, &(self.bytes)()?)
    }
}

/// Makes and writes every file atomically into `out`, in parallel on the
/// current rayon pool. Returns the paths in the order given, or the first
/// error in that order (the other files are still written).
pub fn write_all_atomic(out: &OutDir, files: &[PendingFile]) -> io::Result<Vec<PathBuf>> {
    let written: Vec<io::Result<PathBuf>> = files
        .par_iter()
        .with_max_len(1)
        .map(|file| file.write(out))
        .collect();
    written.into_iter().collect()
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

    #[test]
    fn writes_every_file_and_reports_the_first_failure_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::claim(dir.path(), &Default::default()).unwrap();
        let file =
            |name: &str, text: &'static str| PendingFile::new(name, move || Ok(text.as_bytes().to_vec()));
        let paths = write_all_atomic(&out, &[file("a.csv", "a"), file("b.csv", "b")]).unwrap();
        assert_eq!(paths, [dir.path().join("a.csv"), dir.path().join("b.csv")]);
        assert_eq!(std::fs::read(&paths[1]).unwrap(), b"b");
        let failing = |name: &'static str| PendingFile::new(name, move || Err(io::Error::other(name)));
        let error =
            write_all_atomic(&out, &[file("c.csv", "c"), failing("first"), failing("second")]).unwrap_err();
        assert_eq!(error.to_string(), "first");
        assert_eq!(std::fs::read(dir.path().join("c.csv")).unwrap(), b"c");
    }
}
