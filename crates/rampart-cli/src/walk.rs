//! Finding the files a command reads: a file named on the command line, or every regular
//! file below a directory.
//!
//! The rule for symbolic links: a path named on the command line is read as given, link or
//! not (the user named it). Below a directory, links are never followed: each one met is
//! skipped with a note on stderr, so a link in a checked-out pull request cannot make
//! `check` or `scan` read a file outside the tree they were pointed at.

use rampart_files::{open_no_follow, read_capped, read_stream_capped};
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

/// A file a command reads: named on the command line (`explicit`: read whatever its name,
/// and through a link, as given) or found below a directory.
#[derive(Debug, Clone)]
pub struct Input {
    /// The file.
    pub path: PathBuf,
    /// Named on the command line, not found below a directory.
    pub explicit: bool,
}

/// `root` itself when it is not a directory, else the files below it that `wanted` accepts
/// (see [`files_under`]); a note on stderr for each link skipped.
pub fn inputs_under(root: &Path, wanted: impl Fn(&Path) -> bool) -> io::Result<Vec<Input>> {
    let explicit = !std::fs::metadata(root)?.is_dir();
    let found = files_under(root)?;
    note_skipped_links(&found.links);
    Ok(found
        .files
        .into_iter()
        .filter(|path| explicit || wanted(path))
        .map(|path| Input { path, explicit })
        .collect())
}

impl Input {
    /// The content, `None` when it holds more than `limit` bytes (read no further).
    pub fn read(&self, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let file = if self.explicit {
            fs_err::File::open(&self.path)?
        } else {
            // Seen as a regular file below a directory: never follow a link put there since.
            open_no_follow(&self.path)?
        };
        let mut bytes = Vec::new();
        Ok(read_capped(file, limit, &mut bytes)?.then_some(bytes))
    }
}

/// Standard input, `None` when it holds more than `limit` bytes: endless input (`yes |`)
/// stops there.
pub fn read_stdin(limit: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    Ok(read_stream_capped(io::stdin().lock(), limit, &mut bytes)?.then_some(bytes))
}

/// Whether a file found below a directory is read as a manifest: its extension is one of
/// `extensions`, and it is no kustomization file.
pub fn is_manifest(path: &Path, extensions: &[&str]) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    extensions.contains(&ext) && !matches!(name, "kustomization.yaml" | "kustomization.yml")
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
