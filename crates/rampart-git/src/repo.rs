//! Opening the repository every operation works on.

use std::path::Path;

use git2::Repository;

use crate::GitError;

/// Opens the repository at exactly `repo_dir` (no upward search).
pub(crate) fn open(repo_dir: &Path) -> Result<Repository, GitError> {
    Repository::open(repo_dir).map_err(|source| GitError::Open {
        path: repo_dir.to_owned(),
        source,
    })
}
