//! `capsim merge DIR...`: combines the folders of a sharded sweep into
//! exactly what the unsharded sweep writes.
//!
//! Each folder must hold a finished shard (`sweep.csv`) of the same study:
//! the same `scenario.resolved.toml`, the same axes and replications, the
//! same shard count; every shard must be there once, and each shard's rows
//! must be its own points. Then the rows are ordered by point index and the
//! whole sweep's files are written from them.

use std::path::{Path, PathBuf};

use clap::Args;

use capsim::report::study_files::{StudyFileError, read_manifest, read_resolved, read_sweep_csv};
use capsim::results::sweep::{SweepManifest, SweepTable};
use capsim::scenario::dump::Resolved;

use super::outcome::{Failure, Outcome};

pub const AFTER_HELP: &str = "Examples:\n  \
capsim merge out/shard-0 out/shard-1 out/shard-2 --out out/sweep\n  \
capsim merge results/shard-* --out results/merged\n\n\
Writes the same sweep.csv, points.csv, usl.csv and charts an unsharded sweep writes.";

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The shards' output folders (one per shard).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Folder for the merged sweep (created if missing; an existing one must be
    /// empty or written by capsim before).
    #[arg(long, short, default_value = "out")]
    pub out: PathBuf,
    #[arg(long, help = super::args::FORCE_HELP)]
    pub force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// How to print the table: aligned `text`, or `md` (a Markdown table
    /// to paste into a document).
    #[arg(long, value_enum, default_value = "text")]
    pub format: super::args::TableFormat,
}

/// One shard read back.
struct ShardFolder {
    dir: PathBuf,
    manifest: SweepManifest,
    resolved: Resolved,
    table: SweepTable,
}

fn read_error(error: StudyFileError) -> Failure {
    eprintln!("error: {error}");
    if error.is_bad_input() {
        Failure::Invalid
    } else {
        Failure::Failed
    }
}

fn read_folder(dir: &Path) -> Result<ShardFolder, Failure> {
    let sweep_csv = dir.join("sweep.csv");
    if !sweep_csv.is_file() {
        eprintln!(
            "error: `{}` has no sweep.csv: it is not a finished shard (run `capsim sweep ... --shard I/N --out {}`)",
            dir.display(),
            dir.display()
        );
        return Err(Failure::Invalid);
    }
    let manifest = read_manifest(&dir.join("sweep.toml")).map_err(read_error)?;
    let resolved = read_resolved(dir).map_err(read_error)?;
    let table = read_sweep_csv(&sweep_csv, &manifest).map_err(read_error)?;
    Ok(ShardFolder {
        dir: dir.to_owned(),
        manifest,
        resolved,
        table,
    })
}

/// Checks that the folders are the shards of one study, each once.
fn check(folders: &[ShardFolder]) -> Result<(), String> {
    let first = &folders[0];
    let Some(first_shard) = first.manifest.shard else {
        return Err(format!(
            "`{}` holds a whole sweep, not a shard",
            first.dir.display()
        ));
    };
    let mut seen = vec![None::<&Path>; first_shard.count as usize];
    for folder in folders {
        let Some(shard) = folder.manifest.shard else {
            return Err(format!(
                "`{}` holds a whole sweep, not a shard",
                folder.dir.display()
            ));
        };
        if folder.manifest.whole() != first.manifest.whole() || shard.count != first_shard.count {
            return Err(format!(
                "`{}` and `{}` belong to different sweeps (their sweep.toml differ)",
                first.dir.display(),
                folder.dir.display()
            ));
        }
        if folder.resolved != first.resolved {
            return Err(format!(
                "`{}` and `{}` simulated different scenarios (their scenario.resolved.toml or its sample files differ)",
                first.dir.display(),
                folder.dir.display()
            ));
        }
        if let Some(other) = seen[shard.index as usize] {
            return Err(format!(
                "shard {shard} is given twice: `{}` and `{}`",
                other.display(),
                folder.dir.display()
            ));
        }
        seen[shard.index as usize] = Some(&folder.dir);
        if let Some(row) = folder.table.rows.iter().find(|row| !shard.owns(row.point)) {
            return Err(format!(
                "`{}` is shard {shard} but has a row of point {}, which belongs to shard {}/{}",
                folder.dir.display(),
                row.point,
                row.point % shard.count as usize,
                shard.count
            ));
        }
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, dir)| dir.is_none())
        .map(|(index, _)| format!("{index}/{}", first_shard.count))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "shard{} {} {} missing: give the folder of every shard",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" }
        ));
    }
    Ok(())
}

pub fn merge(arguments: MergeArgs) -> Outcome {
    let mut folders = Vec::with_capacity(arguments.dirs.len());
    for dir in &arguments.dirs {
        match read_folder(dir) {
            Ok(folder) => folders.push(folder),
            Err(failure) => return Err(failure),
        }
    }
    if let Err(reason) = check(&folders) {
        eprintln!("error: {reason}");
        return Err(Failure::Invalid);
    }
    // The shards are inputs: --out must not be one of their folders.
    let inputs: Vec<PathBuf> = folders
        .iter()
        .filter_map(|folder| std::fs::canonicalize(folder.dir.join("sweep.csv")).ok())
        .collect();
    let out = super::output::claim(&arguments.out, arguments.force, &inputs)?;
    let manifest = folders[0].manifest.whole();
    let resolved = folders[0].resolved.clone();
    let table = SweepTable::merge(folders.into_iter().map(|folder| folder.table).collect());
    super::sweep::write_whole(
        &out,
        &resolved,
        &manifest,
        &table,
        arguments.quiet,
        arguments.format,
    )
}
