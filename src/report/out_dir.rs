//! Output folders: results go only where capsim knows it wrote before.
//!
//! A folder capsim writes into holds a marker, `.capsim-out`, listing every
//! file capsim wrote (or began to write) there, one per line, relative to
//! the folder. Claiming a folder (`OutDir::claim`):
//!
//! - a folder that does not exist is created, an empty one is taken;
//! - a folder that holds files but no marker is someone else's and is
//!   refused, unless `force` (`--force`);
//! - the folder of a file the command reads (the scenario's own folder, a
//!   sample file's) is refused, even with `force`;
//! - the marker is locked for as long as the `OutDir` lives, so a second
//!   capsim writing into the same folder is refused rather than mixed in;
//! - `.NAME.PID.partial` files a killed capsim left there are removed.
//!
//! Writing then names each file before it is created (`prepare`), so the
//! marker lists every file capsim may have left, even after a kill, and
//! once the file is in place, its size and a hash of its bytes (`record`). Only listed files are replaced or deleted (`clear`): a
//! file of the same name that capsim did not write — or that was replaced
//! or edited since capsim wrote it — stops the command, unless `force`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufRead, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

/// The marker's file name.
pub const MARKER: &str = ".capsim-out";

const MARKER_HEADER: &str = "# capsim output folder: the files capsim wrote here, one per line\n\
# (name, then size and FNV-1a hash of the bytes once written).\n\
# capsim replaces or deletes only these; a folder without this file is not capsim's.\n";

/// Largest marker read, in bytes.
const MAX_MARKER_BYTES: u64 = 16 * 1024 * 1024;

/// How a folder may be claimed.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rules<'a> {
    /// Write into a folder that holds files capsim did not write, and
    /// replace files of the names capsim writes (`--force`).
    pub force: bool,
    /// Files the command reads (canonical paths): their folders are never
    /// output folders.
    pub inputs: &'a [PathBuf],
}

/// Why a folder cannot take results.
#[derive(Debug, thiserror::Error)]
pub enum OutDirError {
    #[error(
        "`{}` holds files capsim did not write ({}); capsim writes only into a new or empty folder, \
         or one it wrote before (it has a `{MARKER}`): choose another folder, or pass --force to write there anyway",
        dir.display(), listing(names, *more)
    )]
    Foreign {
        dir: PathBuf,
        names: Vec<String>,
        more: usize,
    },
    #[error(
        "`{}` is the folder of `{}`, which this command reads: its results would overwrite its input; \
         choose another folder (a sub-folder is fine)",
        dir.display(), input.display()
    )]
    InputFolder { dir: PathBuf, input: PathBuf },
    #[error(
        "another capsim is writing into `{}` (its `{MARKER}` is locked); wait for it, or choose another folder",
        dir.display()
    )]
    Busy { dir: PathBuf },
    #[error("`{}` is not a folder", dir.display())]
    NotAFolder { dir: PathBuf },
    #[error(
        "`{}` was not written by capsim (the folder's `{MARKER}` does not list it); \
         move it away, or pass --force to replace it",
        path.display()
    )]
    ForeignFile { path: PathBuf },
    #[error("cannot use `{}`: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

impl OutDirError {
    /// Whether the folder was refused (the user's choice of folder, exit 2)
    /// rather than the system failing (exit 1).
    pub fn is_refusal(&self) -> bool {
        !matches!(self, OutDirError::Io { .. } | OutDirError::Busy { .. })
    }
}

fn listing(names: &[String], more: usize) -> String {
    let names: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    if more == 0 {
        names.join(", ")
    } else {
        format!("{} and {more} more", names.join(", "))
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> OutDirError + '_ {
    move |source| OutDirError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A claimed output folder (see the module notes); dropping it releases
/// the lock and drops the marker's names of files no longer there (and the
/// marker itself when none is).
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    force: bool,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The marker, open and locked.
    marker: File,
    /// The names the marker lists, each with the identity of the file
    /// capsim left there (`None`: being written, or a write a kill cut).
    listed: BTreeMap<String, Option<Identity>>,
}

/// What tells a file capsim wrote from one put in its place since: its
/// size and a hash of its bytes (so the marker, like the files it lists,
/// is the same bytes for the same results).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Identity {
    size: u64,
    hash: u64,
}

/// FNV-1a, 64-bit, fed in pieces.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn feed(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

impl Identity {
    fn of_bytes(bytes: &[u8]) -> Identity {
        let mut hash = Fnv::new();
        hash.feed(bytes);
        Identity {
            size: bytes.len() as u64,
            hash: hash.0,
        }
    }

    /// The identity of the regular file at `path` (not a link), read
    /// through; `None` when there is none. With `expected`, a file of
    /// another size is not read.
    fn of(path: &Path, expected: Option<Identity>) -> Option<Identity> {
        let metadata = std::fs::symlink_metadata(path).ok()?;
        if !metadata.is_file() {
            return None;
        }
        if expected.is_some_and(|expected| expected.size != metadata.size()) {
            return Some(Identity {
                size: metadata.size(),
                hash: 0,
            });
        }
        let (file, _) = crate::scenario::files::open_regular(path, false).ok()?;
        let mut reader = io::BufReader::with_capacity(1 << 16, file);
        let mut hash = Fnv::new();
        let mut size = 0u64;
        loop {
            let buffer = reader.fill_buf().ok()?;
            if buffer.is_empty() {
                break;
            }
            hash.feed(buffer);
            let length = buffer.len();
            size += length as u64;
            reader.consume(length);
        }
        Some(Identity { size, hash: hash.0 })
    }

    fn text(&self) -> String {
        format!("{}\t{:016x}", self.size, self.hash)
    }

    fn parse(text: &str) -> Option<Identity> {
        let (size, hash) = text.split_once('\t')?;
        Some(Identity {
            size: size.parse().ok()?,
            hash: u64::from_str_radix(hash, 16).ok()?,
        })
    }
}

/// A marker line: `NAME` (being written) or `NAME<TAB>SIZE<TAB>FNV-1a`.
fn marker_line(name: &str, identity: Option<Identity>) -> String {
    match identity {
        Some(identity) => format!("{name}\t{}\n", identity.text()),
        None => format!("{name}\n"),
    }
}

impl OutDir {
    /// Claims `dir` for results (see the module notes).
    pub fn claim(dir: &Path, rules: &Rules) -> Result<OutDir, OutDirError> {
        match std::fs::metadata(dir) {
            Ok(metadata) if !metadata.is_dir() => {
                return Err(OutDirError::NotAFolder { dir: dir.to_owned() });
            }
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).map_err(io_error(dir))?;
            }
            Err(error) => return Err(io_error(dir)(error)),
        }
        let canonical = std::fs::canonicalize(dir).map_err(io_error(dir))?;
        if let Some(input) = rules
            .inputs
            .iter()
            .find(|input| input.parent() == Some(canonical.as_path()))
        {
            return Err(OutDirError::InputFolder {
                dir: dir.to_owned(),
                input: input.clone(),
            });
        }
        // A marker removed between our open and our lock (by a capsim that
        // found nothing left to list) is one nobody else holds: start over.
        for _ in 0..8 {
            if let Some(claimed) = Self::try_claim(dir, rules)? {
                return Ok(claimed);
            }
        }
        Err(OutDirError::Busy { dir: dir.to_owned() })
    }

    fn try_claim(dir: &Path, rules: &Rules) -> Result<Option<OutDir>, OutDirError> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map_err(io_error(dir))?
            .map(|entry| entry.map(|entry| entry.file_name().to_string_lossy().into_owned()))
            .collect::<io::Result<_>>()
            .map_err(io_error(dir))?;
        names.sort();
        let marker_path = dir.join(MARKER);
        let had_marker = names.iter().any(|name| name == MARKER);
        if !had_marker && !names.is_empty() && !rules.force {
            let more = names.len().saturating_sub(3);
            names.truncate(3);
            return Err(OutDirError::Foreign {
                dir: dir.to_owned(),
                names,
                more,
            });
        }
        let marker = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(&marker_path)
            .map_err(|error| {
                if error.raw_os_error() == Some(libc::ELOOP) {
                    // A symbolic link in the marker's place: not capsim's.
                    OutDirError::Foreign {
                        dir: dir.to_owned(),
                        names: vec![MARKER.to_owned()],
                        more: 0,
                    }
                } else {
                    io_error(&marker_path)(error)
                }
            })?;
        let metadata = marker.metadata().map_err(io_error(&marker_path))?;
        if !metadata.is_file() {
            return Err(OutDirError::Foreign {
                dir: dir.to_owned(),
                names: vec![MARKER.to_owned()],
                more: 0,
            });
        }
        // flock(2), exclusive, without waiting; released when the file closes.
        // SAFETY: the descriptor is the open marker's, valid for this call.
        if unsafe { libc::flock(marker.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let error = io::Error::last_os_error();
            return Err(if error.kind() == io::ErrorKind::WouldBlock {
                OutDirError::Busy { dir: dir.to_owned() }
            } else {
                io_error(&marker_path)(error)
            });
        }
        // Still the file at the marker's path?
        match std::fs::symlink_metadata(&marker_path) {
            Ok(now) if now.dev() == metadata.dev() && now.ino() == metadata.ino() => {}
            _ => return Ok(None),
        }
        let mut text = String::new();
        (&marker)
            .take(MAX_MARKER_BYTES)
            .read_to_string(&mut text)
            .map_err(io_error(&marker_path))?;
        let claimed = OutDir {
            dir: dir.to_owned(),
            force: rules.force,
            state: Mutex::new(State {
                marker,
                listed: BTreeMap::new(),
            }),
        };
        // The last line of a name says what capsim knows of it.
        let mut lines: BTreeMap<String, Option<Identity>> = BTreeMap::new();
        for line in text
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
        {
            let (name, identity) = match line.split_once('\t') {
                Some((name, identity)) => (name, Identity::parse(identity)),
                None => (line, None),
            };
            if claimed.safe_path(name).is_some() {
                lines.insert(name.to_owned(), identity);
            }
        }
        // Still there, and still what capsim left (a file replaced or
        // edited since is no longer capsim's).
        let listed: BTreeMap<String, Option<Identity>> = lines
            .into_iter()
            .filter(
                |(name, identity)| match Identity::of(&claimed.dir.join(name), *identity) {
                    Some(now) => identity.is_none_or(|known| known == now),
                    None => false,
                },
            )
            .collect();
        if had_marker {
            claimed.remove_stale_partials(listed.keys());
        }
        {
            let mut state = claimed.lock();
            state.listed = listed;
            rewrite(&mut state).map_err(io_error(&marker_path))?;
        }
        Ok(Some(claimed))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding it leaves consistent state (a set and a file).
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The path of a file in the folder (`charts/x.svg`).
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The path of `name` if it is one capsim may write: relative, plain
    /// components, not the marker, and no folder on the way a symbolic link
    /// (so deleting it never reaches outside the folder).
    fn safe_path(&self, name: &str) -> Option<PathBuf> {
        let relative = Path::new(name);
        let plain = relative
            .components()
            .all(|component| matches!(component, Component::Normal(_)));
        if !plain || name.is_empty() || name == MARKER || name.contains('\n') {
            return None;
        }
        let mut folder = self.dir.clone();
        let parts: Vec<_> = relative.components().collect();
        for part in &parts[..parts.len() - 1] {
            folder.push(part);
            match std::fs::symlink_metadata(&folder) {
                Ok(metadata) if metadata.is_dir() => {}
                Ok(_) => return None,
                Err(_) => {}
            }
        }
        Some(self.dir.join(relative))
    }

    fn exists(&self, name: &str) -> bool {
        self.safe_path(name)
            .is_some_and(|path| std::fs::symlink_metadata(path).is_ok())
    }

    /// Removes `.NAME.PID.partial` files in the folder and in the folders
    /// of listed files: no capsim is writing them (the lock is ours).
    fn remove_stale_partials<'n>(&self, listed: impl Iterator<Item = &'n String>) {
        let mut folders: BTreeSet<PathBuf> = BTreeSet::from([self.dir.clone()]);
        for name in listed {
            if let Some(parent) = self
                .safe_path(name)
                .and_then(|path| path.parent().map(Path::to_owned))
            {
                folders.insert(parent);
            }
        }
        for folder in folders {
            let Ok(entries) = std::fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let is_file = entry.file_type().is_ok_and(|kind| kind.is_file());
                if is_file && is_partial_name(&name.to_string_lossy()) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }

    /// Removes earlier results before new ones are written: every listed
    /// file that `select` picks or `fixed` names, in `fixed`'s order first
    /// (put the file that marks a folder complete first). A file of a
    /// `fixed` name that capsim did not write stops this, unless `force`
    /// (then it is removed too).
    pub fn clear(&self, fixed: &[&str], select: impl Fn(&str) -> bool) -> io::Result<()> {
        let mut state = self.lock();
        for name in fixed {
            if !state.listed.contains_key(*name) && self.exists(name) {
                let path = self.dir.join(name);
                if !self.force {
                    return Err(io::Error::other(OutDirError::ForeignFile { path }));
                }
                remove_if_present(&path)?;
            }
        }
        let mut doomed: Vec<String> = fixed
            .iter()
            .filter(|name| state.listed.contains_key(**name))
            .map(|name| (*name).to_owned())
            .collect();
        doomed.extend(
            state
                .listed
                .keys()
                .filter(|name| select(name) && !fixed.contains(&name.as_str()))
                .cloned(),
        );
        for name in &doomed {
            if let Some(path) = self.safe_path(name) {
                remove_if_present(&path)?;
            }
            state.listed.remove(name);
        }
        rewrite(&mut state)
    }

    /// Readies `name` (relative, `/`-separated) to be written: refuses a
    /// file of that name capsim did not write (unless `force`), lists the
    /// name in the marker, creates its folder; returns its path.
    pub fn prepare(&self, name: &str) -> io::Result<PathBuf> {
        let path = self.safe_path(name).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{name}` is not a file name capsim writes in an output folder"),
            )
        })?;
        let mut state = self.lock();
        if !state.listed.contains_key(name) && !self.force && std::fs::symlink_metadata(&path).is_ok() {
            return Err(io::Error::other(OutDirError::ForeignFile { path }));
        }
        // Listed before the file exists, so a kill cannot leave it unlisted.
        state.marker.write_all(marker_line(name, None).as_bytes())?;
        state.listed.insert(name.to_owned(), None);
        drop(state);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        Ok(path)
    }

    /// Records that `name`, readied by `prepare`, is in place: the marker
    /// keeps its identity, so a file put in its place later is not taken
    /// for capsim's.
    pub fn record(&self, name: &str) -> io::Result<()> {
        let identity = Identity::of(&self.join(name), None);
        self.note(name, identity)
    }

    fn note(&self, name: &str, identity: Option<Identity>) -> io::Result<()> {
        let mut state = self.lock();
        state.marker.write_all(marker_line(name, identity).as_bytes())?;
        state.listed.insert(name.to_owned(), identity);
        Ok(())
    }

    /// Writes `name` atomically (see `atomic`), after `prepare`, and
    /// records it.
    pub fn write_atomic(&self, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
        let path = self.prepare(name)?;
        super::atomic::write_atomic(&path, bytes)?;
        self.note(name, Some(Identity::of_bytes(bytes)))?;
        Ok(path)
    }

    /// The names the marker lists, sorted.
    pub fn listed(&self) -> Vec<String> {
        self.lock().listed.keys().cloned().collect()
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        let dir = self.dir.clone();
        let state = self
            .state
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let listed = std::mem::take(&mut state.listed);
        state.listed = listed
            .into_iter()
            .filter(|(name, _)| std::fs::symlink_metadata(dir.join(name)).is_ok())
            .collect();
        if state.listed.is_empty() {
            // Nothing of capsim's is left: the folder is as it was found.
            let _ = std::fs::remove_file(dir.join(MARKER));
        } else {
            let _ = rewrite(state);
        }
        // Closing the marker releases the lock.
    }
}

/// Writes the marker anew: its header and the listed names.
fn rewrite(state: &mut State) -> io::Result<()> {
    let mut text = String::from(MARKER_HEADER);
    for (name, identity) in &state.listed {
        text.push_str(&marker_line(name, *identity));
    }
    state.marker.set_len(0)?;
    // Appending: the write goes to the (new) end.
    state.marker.write_all(text.as_bytes())
}

/// `.NAME.PID.partial`, the temporary name `atomic::partial_path` gives.
pub fn is_partial_name(name: &str) -> bool {
    let Some(rest) = name
        .strip_prefix('.')
        .and_then(|rest| rest.strip_suffix(".partial"))
    else {
        return false;
    };
    match rest.rsplit_once('.') {
        Some((file, pid)) => {
            !file.is_empty() && !pid.is_empty() && pid.bytes().all(|byte| byte.is_ascii_digit())
        }
        None => false,
    }
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(dir: &Path) -> Result<OutDir, OutDirError> {
        OutDir::claim(dir, &Rules::default())
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_or_empty_folder_is_taken_and_listed() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("new/out");
        let out = claim(&dir).unwrap();
        out.write_atomic("summary.csv", b"a").unwrap();
        out.write_atomic("charts/x.svg", b"<svg/>").unwrap();
        assert_eq!(out.listed(), ["charts/x.svg", "summary.csv"]);
        drop(out);
        let marker = std::fs::read_to_string(dir.join(MARKER)).unwrap();
        let names: Vec<&str> = marker
            .lines()
            .filter(|line| !line.starts_with('#'))
            .map(|line| line.split('\t').next().unwrap())
            .collect();
        assert_eq!(names, ["charts/x.svg", "summary.csv"], "{marker}");
        // Claimed again, it lists what is there.
        let again = claim(&dir).unwrap();
        assert_eq!(again.listed(), ["charts/x.svg", "summary.csv"]);
    }

    #[test]
    fn a_folder_of_other_files_is_refused_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let error = claim(dir.path()).unwrap_err();
        assert!(matches!(error, OutDirError::Foreign { .. }), "{error}");
        assert!(error.to_string().contains("`notes.txt`"), "{error}");
        assert!(error.is_refusal());
        let forced = OutDir::claim(
            dir.path(),
            &Rules {
                force: true,
                inputs: &[],
            },
        )
        .unwrap();
        forced.write_atomic("summary.csv", b"a").unwrap();
        drop(forced);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
            "mine"
        );
        // Now capsim's: taken again without force, notes left alone.
        let out = claim(dir.path()).unwrap();
        out.clear(&["summary.csv"], |_| true).unwrap();
        assert_eq!(names(dir.path()), [MARKER, "notes.txt"]);
    }

    #[test]
    fn only_listed_files_are_replaced_or_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let out = claim(dir.path()).unwrap();
        out.write_atomic("charts/a.svg", b"a").unwrap();
        drop(out);
        std::fs::write(dir.path().join("charts/mine.svg"), "mine").unwrap();
        std::fs::write(dir.path().join("summary.csv"), "mine").unwrap();
        let out = claim(dir.path()).unwrap();
        let error = out.clear(&["summary.csv"], |_| true).unwrap_err();
        assert!(error.to_string().contains("was not written by capsim"), "{error}");
        out.clear(&[], |name| name.ends_with(".svg")).unwrap();
        assert!(!dir.path().join("charts/a.svg").exists());
        assert!(dir.path().join("charts/mine.svg").exists());
        let error = out.write_atomic("charts/mine.svg", b"x").unwrap_err();
        assert!(error.to_string().contains("was not written by capsim"), "{error}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("summary.csv")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn a_file_replaced_since_capsim_wrote_it_is_not_capsims() {
        let dir = tempfile::tempdir().unwrap();
        let out = claim(dir.path()).unwrap();
        out.write_atomic("report.html", b"capsim's").unwrap();
        out.write_atomic("summary.csv", b"capsim's").unwrap();
        drop(out);
        std::fs::remove_file(dir.path().join("report.html")).unwrap();
        std::fs::write(dir.path().join("report.html"), "mine").unwrap();
        let out = claim(dir.path()).unwrap();
        assert_eq!(out.listed(), ["summary.csv"]);
        let error = out.clear(&["summary.csv", "report.html"], |_| false).unwrap_err();
        assert!(error.to_string().contains("report.html"), "{error}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("report.html")).unwrap(),
            "mine"
        );
        // A name listed but never recorded (a write a kill cut) stays capsim's.
        let mut marker = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join(MARKER))
            .unwrap();
        drop(out);
        std::fs::write(dir.path().join("events.csv"), "half").unwrap();
        marker.write_all(b"events.csv\n").unwrap();
        drop(marker);
        assert_eq!(claim(dir.path()).unwrap().listed(), ["events.csv", "summary.csv"]);
    }

    #[test]
    fn the_folder_of_an_input_is_refused_even_when_forced() {
        let dir = tempfile::tempdir().unwrap();
        let input = std::fs::canonicalize(dir.path()).unwrap().join("s.toml");
        let error = OutDir::claim(
            dir.path(),
            &Rules {
                force: true,
                inputs: std::slice::from_ref(&input),
            },
        )
        .unwrap_err();
        assert!(matches!(error, OutDirError::InputFolder { .. }), "{error}");
        // A sub-folder is fine.
        assert!(
            OutDir::claim(
                &dir.path().join("out"),
                &Rules {
                    force: false,
                    inputs: std::slice::from_ref(&input)
                }
            )
            .is_ok()
        );
    }

    #[test]
    fn a_second_claim_is_refused_while_the_first_holds() {
        let dir = tempfile::tempdir().unwrap();
        let first = claim(dir.path()).unwrap();
        first.write_atomic("summary.csv", b"a").unwrap();
        let error = claim(dir.path()).unwrap_err();
        assert!(matches!(error, OutDirError::Busy { .. }), "{error}");
        drop(first);
        assert!(claim(dir.path()).is_ok());
    }

    #[test]
    fn stale_partials_go_and_a_tampered_marker_reaches_nothing_outside() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("out");
        let out = claim(&dir).unwrap();
        out.write_atomic("charts/a.svg", b"a").unwrap();
        drop(out);
        std::fs::write(dir.join(".summary.csv.123.partial"), "half").unwrap();
        std::fs::write(dir.join("charts/.a.png.77.partial"), "half").unwrap();
        std::fs::write(root.path().join("precious"), "keep").unwrap();
        let mut marker = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join(MARKER))
            .unwrap();
        marker.write_all(b"../precious\n/etc/passwd\n").unwrap();
        drop(marker);
        let out = claim(&dir).unwrap();
        assert_eq!(out.listed(), ["charts/a.svg"]);
        out.clear(&[], |_| true).unwrap();
        drop(out);
        assert_eq!(names(&dir), ["charts"]);
        assert!(names(&dir.join("charts")).is_empty());
        assert_eq!(
            std::fs::read_to_string(root.path().join("precious")).unwrap(),
            "keep"
        );
    }

    #[test]
    fn partial_names() {
        assert!(is_partial_name(".summary.csv.4242.partial"));
        assert!(!is_partial_name("summary.csv.4242.partial"));
        assert!(!is_partial_name(".summary.csv.x.partial"));
        assert!(!is_partial_name("..1.partial"));
    }
}
