//! Reading a repository's inputs without following symbolic links. A link among the inputs
//! (`specs/evil.yaml -> /etc/passwd`, or `specs/` itself pointing elsewhere) could make
//! Rampart read a file from outside the repository, quote it in an error and commit it, so
//! it is refused before its target is opened: every path component is checked with
//! `symlink_metadata`, and the file is opened with `O_NOFOLLOW`.

use crate::error::{Error, Result};
// The readers `check`, `scan` and `import` share live below this crate, in rampart-files.
pub use rampart_files::{open_no_follow, read_capped, read_no_follow, read_stream_capped};
use std::path::Path;

pub use crate::error::RefusedInput;

/// The content of `rel` (`/`-separated) under `repo`, refusing a link at any component
/// below `repo` (`repo` itself was named by the user and is taken as given).
/// A file over [`rampart_model::limits::MAX_INPUT_BYTES`] is refused (exit 2, at file:1:1)
/// without being read whole.
pub fn read_input(repo: &Path, rel: &str) -> Result<Vec<u8>> {
    check_components(repo, rel, "file")?;
    let mut bytes = Vec::new();
    let limit = rampart_model::limits::MAX_INPUT_BYTES as u64;
    if !read_capped(open_no_follow(&repo.join(rel))?, limit, &mut bytes)? {
        return Err(rampart_model::load::too_large(&display(repo, rel)).into());
    }
    Ok(bytes)
}

/// The entries of the input directory `rel` under `repo`, or `None` when there is no such
/// directory; a link there is refused.
pub fn read_input_dir(repo: &Path, rel: &str) -> Result<Option<fs_err::ReadDir>> {
    match check_components(repo, rel, "directory") {
        Ok(meta) if meta.is_dir() => Ok(Some(fs_err::read_dir(repo.join(rel))?)),
        Ok(_) => Ok(None),
        Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The error for an input that is a link (a `file` or a `directory`).
pub fn link(repo: &Path, rel: &str, kind: &'static str) -> Error {
    RefusedInput::Link {
        file: display(repo, rel),
        kind,
    }
    .into()
}

/// Refuses a link at any component of `rel`; returns the metadata of the last one.
fn check_components(repo: &Path, rel: &str, kind: &'static str) -> Result<std::fs::Metadata> {
    let parts: Vec<&str> = rel.split('/').collect();
    let mut path = repo.to_path_buf();
    let mut last = None;
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        let meta = fs_err::symlink_metadata(&path)?;
        if meta.file_type().is_symlink() {
            let at_end = i + 1 == parts.len();
            let kind = if at_end { kind } else { "directory" };
            return Err(link(repo, &parts[..=i].join("/"), kind));
        }
        last = Some(meta);
    }
    let meta =
        last.ok_or_else(|| Error::Failed("an input path has at least one component".into()))?;
    if kind == "file" && !meta.is_file() {
        return Err(RefusedInput::NotAFile {
            file: display(repo, rel),
        }
        .into());
    }
    Ok(meta)
}

/// How a repository file is named in messages: relative to the current directory.
pub fn display(repo: &Path, rel: &str) -> String {
    if repo == Path::new(".") {
        rel.to_string()
    } else {
        repo.join(rel).display().to_string()
    }
}
