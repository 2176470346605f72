//! Finding the files a command reads: a file named on the command line, or every regular
//! file below a directory.

use std::io;
use std::path::{Path, PathBuf};

/// `path` itself when it is a file (symlinks followed), else every regular file below it,
/// sorted, skipping `.git` and not following symlinks inside.
pub fn files_under(path: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if std::fs::metadata(path)?.is_file() {
        out.push(path.to_path_buf());
    } else {
        walk(path, &mut out)?;
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        if entry.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        let meta = std::fs::symlink_metadata(&entry)?;
        if meta.is_dir() {
            walk(&entry, out)?;
        } else if meta.is_file() {
            out.push(entry);
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
