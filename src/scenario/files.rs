//! Reading files: the scenario itself and the sample files it names.
//!
//! Every file is opened without blocking and must be a regular file (a FIFO,
//! a device, a socket or a folder is refused at once), and at most a bounded
//! number of bytes is read from it. A file the scenario names (an empirical
//! `file =`) must also lie inside the scenario's folder once symbolic links
//! are resolved, unless the caller allows files anywhere
//! (`--allow-outside-files`): a scenario from someone else cannot make capsim
//! read `/etc/shadow` or `~/.aws/credentials` and quote it in an error.
//! Messages quote such files' contents only as a short, printable prefix
//! (`snippet`).

use std::cell::RefCell;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Which files a scenario may read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FileAccess {
    /// Only files inside the scenario's folder (after resolving symbolic
    /// links): the default.
    #[default]
    InsideFolder,
    /// Any file the user can read (`--allow-outside-files`).
    Anywhere,
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("no such file")]
    NotFound,
    #[error("permission denied")]
    PermissionDenied,
    #[error("it is {0}, not a regular file")]
    NotRegular(&'static str),
    #[error("it is larger than {}, the limit for {what}", bytes_text(*limit))]
    TooLarge { limit: u64, what: &'static str },
    #[error("a line is longer than {}", bytes_text(*limit))]
    LineTooLong { limit: u64 },
    #[error(
        "it lies outside the scenario's folder `{}`{}",
        show_path(folder),
        resolved_note(given, resolved)
    )]
    Outside {
        folder: PathBuf,
        given: PathBuf,
        resolved: PathBuf,
    },
    #[error("{0}")]
    Io(io::Error),
}

impl From<io::Error> for FileError {
    fn from(error: io::Error) -> Self {
        match error.kind() {
            io::ErrorKind::NotFound => FileError::NotFound,
            io::ErrorKind::PermissionDenied => FileError::PermissionDenied,
            _ => match error.downcast::<FileError>() {
                Ok(inner) => inner,
                Err(error) => FileError::Io(error),
            },
        }
    }
}

fn resolved_note(given: &Path, resolved: &Path) -> String {
    if given == resolved {
        String::new()
    } else {
        format!(" (it resolves to `{}`)", show_path(resolved))
    }
}

/// `16 MiB`, `256 MiB`, or bytes.
fn bytes_text(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// Longest text of a value quoted from a file in a message, in characters.
pub const SNIPPET_CHARS: usize = 10;

/// A value from a file as a message may quote it: at most
/// `SNIPPET_CHARS` characters, anything but printable ASCII escaped, and
/// `…` when cut — never a whole line of someone else's file.
pub fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    for (index, c) in text.chars().enumerate() {
        if index == SNIPPET_CHARS {
            out.push('…');
            break;
        }
        push_printable(&mut out, c);
    }
    out
}

fn push_printable(out: &mut String, c: char) {
    if c.is_ascii_graphic() || c == ' ' {
        out.push(c);
    } else {
        out.extend(c.escape_default());
    }
}

/// A path as a message shows it: control characters and anything outside
/// printable ASCII escaped, and at most 120 characters.
pub fn show_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut out = String::new();
    for (index, c) in text.chars().enumerate() {
        if index == 120 {
            out.push('…');
            break;
        }
        push_printable(&mut out, c);
    }
    out
}

/// What a file that is not regular is, for messages.
fn kind_of(metadata: &Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        "a folder"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// Opens a regular file for reading without ever blocking: a FIFO opens at
/// once (`O_NONBLOCK`) and is then refused, like a device or a folder.
/// `follow`: whether a symbolic link as the last component is followed.
pub fn open_regular(path: &Path, follow: bool) -> Result<(File, Metadata), FileError> {
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|error| match error.raw_os_error() {
            // O_NOFOLLOW on a symbolic link.
            Some(libc::ELOOP) if !follow => FileError::NotRegular("a symbolic link"),
            // A socket cannot be opened as a file.
            Some(libc::ENXIO) => FileError::NotRegular("a socket or a device without a driver"),
            _ => FileError::from(error),
        })?;
    let metadata = file.metadata()?;
    if !metadata.file_type().is_file() {
        return Err(FileError::NotRegular(kind_of(&metadata)));
    }
    Ok((file, metadata))
}

/// Reads a whole regular file of at most `limit` bytes; `what` names the
/// limit in messages ("a scenario file").
pub fn read_bounded(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, FileError> {
    let (file, metadata) = open_regular(path, true)?;
    if metadata.len() > limit {
        return Err(FileError::TooLarge { limit, what });
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    // The size can change while reading (or be 0, as in /proc): read at
    // most one byte past the limit.
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge { limit, what });
    }
    Ok(bytes)
}

/// A reader over a file that fails once it has given more than `total`
/// bytes or a line longer than `line` bytes, so a parser reading it holds
/// neither an endless file nor an endless line.
pub struct Bounded<R> {
    inner: R,
    total: u64,
    line: u64,
    read: u64,
    in_line: u64,
    what: &'static str,
}

impl<R: Read> Bounded<R> {
    pub fn new(inner: R, total: u64, line: u64, what: &'static str) -> Self {
        Bounded {
            inner,
            total,
            line,
            read: 0,
            in_line: 0,
            what,
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let count = self.inner.read(buf)?;
        self.read += count as u64;
        if self.read > self.total {
            return Err(io::Error::other(FileError::TooLarge {
                limit: self.total,
                what: self.what,
            }));
        }
        for &byte in &buf[..count] {
            if byte == b'\n' {
                self.in_line = 0;
            } else {
                self.in_line += 1;
                if self.in_line > self.line {
                    return Err(io::Error::other(FileError::LineTooLong { limit: self.line }));
                }
            }
        }
        Ok(count)
    }
}

/// Where the files a scenario names are, whether it may read files
/// elsewhere, and which files it read (for the output folder's checks).
#[derive(Debug)]
pub struct BaseDir {
    dir: PathBuf,
    access: FileAccess,
    read: RefCell<Vec<PathBuf>>,
}

impl BaseDir {
    pub fn new(dir: &Path, access: FileAccess) -> Self {
        BaseDir {
            dir: dir.to_owned(),
            access,
            read: RefCell::new(Vec::new()),
        }
    }

    /// The path of a file named in the scenario, checked against the
    /// folder rule: canonical (symbolic links resolved) and, unless files
    /// may be anywhere, inside the scenario's folder.
    pub fn resolve(&self, file: &str) -> Result<PathBuf, FileError> {
        let given = self.dir.join(file);
        let resolved = std::fs::canonicalize(&given)?;
        if self.access == FileAccess::InsideFolder {
            let folder = std::fs::canonicalize(&self.dir)?;
            if !resolved.starts_with(&folder) {
                return Err(FileError::Outside {
                    folder,
                    given,
                    resolved,
                });
            }
        }
        Ok(resolved)
    }

    /// Opens a file named in the scenario (see `resolve`) as a regular file
    /// and records that the scenario reads it.
    pub fn open(&self, file: &str) -> Result<(PathBuf, File, Metadata), FileError> {
        let path = self.resolve(file)?;
        // The path is canonical: a symbolic link put in its place since is
        // not followed.
        let (opened, metadata) = open_regular(&path, false)?;
        self.read.borrow_mut().push(path.clone());
        Ok((path, opened, metadata))
    }

    /// The files read so far (canonical paths), in reading order.
    pub fn files_read(&self) -> Vec<PathBuf> {
        self.read.borrow().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_short_and_printable() {
        assert_eq!(snippet(b"12ms"), "12ms");
        assert_eq!(snippet(b"aws_access_key_id = AKIA"), "aws_access…");
        assert_eq!(snippet(b"\x1b[31mred"), "\\u{1b}[31mred");
        assert_eq!(snippet(&[0xff, b'1']), "\\u{fffd}1");
        assert_eq!(snippet("µs".as_bytes()), "\\u{b5}s");
    }

    #[test]
    fn paths_shown_escape_control_characters() {
        assert_eq!(show_path(Path::new("a\nb.csv")), "a\\nb.csv");
        assert_eq!(show_path(&PathBuf::from("x".repeat(200))).chars().count(), 121);
    }

    #[test]
    fn only_regular_files_open() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            open_regular(dir.path(), true),
            Err(FileError::NotRegular("a folder"))
        ));
        assert!(matches!(
            open_regular(Path::new("/dev/zero"), true),
            Err(FileError::NotRegular("a character device"))
        ));
        let fifo = dir.path().join("fifo");
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            open_regular(&fifo, true),
            Err(FileError::NotRegular("a FIFO (named pipe)"))
        ));
        assert!(matches!(
            open_regular(&dir.path().join("missing"), true),
            Err(FileError::NotFound)
        ));
    }

    #[test]
    fn reads_stop_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, "12345").unwrap();
        assert_eq!(read_bounded(&path, 5, "a test").unwrap(), b"12345");
        let error = read_bounded(&path, 4, "a test").unwrap_err();
        assert_eq!(
            error.to_string(),
            "it is larger than 4 bytes, the limit for a test"
        );
        let mut bounded = Bounded::new("1\n22\n333\n".as_bytes(), 100, 2, "x");
        let mut sink = Vec::new();
        let error = FileError::from(bounded.read_to_end(&mut sink).unwrap_err());
        assert!(matches!(error, FileError::LineTooLong { limit: 2 }), "{error}");
        let mut bounded = Bounded::new("1\n22\n333\n".as_bytes(), 5, 10, "x");
        let error = FileError::from(bounded.read_to_end(&mut sink).unwrap_err());
        assert!(matches!(error, FileError::TooLarge { limit: 5, .. }), "{error}");
    }

    #[test]
    fn files_outside_the_folder_are_refused_unless_allowed() {
        let outer = tempfile::tempdir().unwrap();
        let folder = outer.path().join("scenario");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(outer.path().join("secret.csv"), "1\n").unwrap();
        std::fs::write(folder.join("inside.csv"), "1\n").unwrap();
        std::os::unix::fs::symlink(outer.path().join("secret.csv"), folder.join("link.csv")).unwrap();
        let base = BaseDir::new(&folder, FileAccess::InsideFolder);
        assert!(base.open("inside.csv").is_ok());
        for name in ["../secret.csv", "link.csv"] {
            let error = base.open(name).unwrap_err();
            assert!(matches!(error, FileError::Outside { .. }), "{name}: {error}");
        }
        let absolute = outer.path().join("secret.csv");
        assert!(matches!(
            base.open(absolute.to_str().unwrap()),
            Err(FileError::Outside { .. })
        ));
        assert_eq!(base.files_read().len(), 1);
        let anywhere = BaseDir::new(&folder, FileAccess::Anywhere);
        assert!(anywhere.open("../secret.csv").is_ok());
        assert!(anywhere.open("link.csv").is_ok());
    }
}
