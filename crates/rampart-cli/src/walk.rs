//! Finding the files a command reads: a file named on the command line, or every regular
//! file below a directory.
//!
//! The rule for symbolic links: a path named on the command line is read as given, link or
//! not (the user named it). Below a directory, links are never followed: each one met is
//! skipped with a note on stderr, so a link in a checked-out pull request cannot make
//! `check` or `scan` read a file outside the tree they were pointed at.

use rayon::prelude::*;
use std::io;
use std::path::{Path, PathBuf};

/// What a walk found.
#[derive(Debug, Default)]
pub struct Found {
    /// Regular files, sorted.
    pub files: Vec<PathBuf>,
    /// Symbolic links met below a directory, not followed.
    pub links: Vec<PathBuf>,
}

/// `path` itself when it is not a directory (followed if it is a link: it was named; a
/// pipe such as `<(kustomize build)` or a device is read as a file, up to the reader's
/// size limit), else every regular file below it, sorted, skipping `.git`; links below it
/// are listed, not followed.
pub fn files_under(path: &Path) -> io::Result<Found> {
    let mut found = Found::default();
    if !std::fs::metadata(path)?.is_dir() {
        found.files.push(path.to_path_buf());
    } else {
        walk(path, &mut found)?;
    }
    Ok(found)
}

/// Prints a note on stderr for every link a walk skipped.
pub fn note_skipped_links(links: &[PathBuf]) {
    for link in links {
        eprintln!(
            "note: {} is a symbolic link: not followed (links inside a directory are skipped; name the file itself to read it)",
            shown(link)
        );
    }
}

fn walk(dir: &Path, found: &mut Found) -> io::Result<()> {
    // The type from the directory entry: no `stat` per file (std falls back to `lstat`
    // where the file system does not say); like `lstat`, a link is a link.
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = std::fs::read_dir(dir)?
        .map(|e| e.and_then(|e| Ok((e.path(), e.file_type()?))))
        .collect::<Result<_, _>>()?;
    entries.retain(|(entry, _)| entry.file_name().is_none_or(|n| n != ".git"));
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    // The subdirectories are walked on every core, and what each holds is put in its
    // place: the order (and the first error) is that of a walk one directory at a time.
    let subdirectories: Vec<io::Result<Found>> = entries
        .par_iter()
        .filter(|(_, file_type)| file_type.is_dir())
        .map(|(entry, _)| {
            let mut below = Found::default();
            walk(entry, &mut below).map(|()| below)
        })
        .collect();
    let mut subdirectories = subdirectories.into_iter();
    for (entry, file_type) in entries {
        if file_type.is_symlink() {
            found.links.push(entry);
        } else if file_type.is_dir() {
            let below = subdirectories.next().expect("one walk per subdirectory")?;
            found.files.extend(below.files);
            found.links.extend(below.links);
        } else if file_type.is_file() {
            found.files.push(entry);
        }
    }
    Ok(())
}

/// How a path is shown in messages: without a leading `./`.
pub fn shown(path: &Path) -> String {
    path.strip_prefix("./")
        .unwrap_or(path)
        .display()
        .to_string()
}
