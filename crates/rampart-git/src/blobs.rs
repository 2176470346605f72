//! Content-addressed access to blobs, for callers that cache rendered files by blob id.

use std::path::{Path, PathBuf};

use git2::Oid;

use crate::{GitError, repo};

/// The id git gives `content` as a blob (`git hash-object`), without touching a repository.
pub fn blob_id(content: &[u8]) -> Oid {
    object_id("blob", content)
}

/// The id git gives an object of `kind` (`blob`, `tree`) holding `content`, hashed here
/// with the processor's SHA instructions where it has them (libgit2's collision-detecting
/// SHA-1 took half of the time to find a render's unchanged directories).
pub(crate) fn object_id(kind: &str, content: &[u8]) -> Oid {
    use sha1::Digest;
    let mut hasher = sha1::Sha1::new();
    hasher.update(format!("{kind} {}\0", content.len()).as_bytes());
    hasher.update(content);
    // A SHA-1 digest is always 20 bytes, which is what from_bytes accepts.
    Oid::from_bytes(&hasher.finalize()).unwrap_or(Oid::ZERO_SHA1)
}

/// Reads the blobs `ids` from the object database of the repository at `repo_dir`; an id
/// that is missing (or not a blob) reads as `None`.
pub fn read_blobs(repo_dir: &Path, ids: &[Oid]) -> Result<Vec<Option<Vec<u8>>>, GitError> {
    let repo = repo::open(repo_dir)?;
    Ok(ids
        .iter()
        .map(|id| repo.find_blob(*id).ok().map(|b| b.content().to_vec()))
        .collect())
}

/// Whether the object database of the repository at `repo_dir` holds each of `ids`,
/// without reading them.
pub fn have_objects(repo_dir: &Path, ids: &[Oid]) -> Result<Vec<bool>, GitError> {
    let repo = repo::open(repo_dir)?;
    let odb = repo.odb().map_err(|source| GitError::Open {
        path: repo_dir.to_owned(),
        source,
    })?;
    Ok(ids.iter().map(|id| odb.exists(*id)).collect())
}

/// Files staged in the index that differ from `HEAD` (added or modified), with their
/// staged content: what `git commit` would record, for a pre-commit scan.
pub fn staged_files(repo_dir: &Path) -> Result<crate::FileSet, GitError> {
    let repo = repo::open(repo_dir)?;
    let open_error = |source| GitError::Open {
        path: repo_dir.to_owned(),
        source,
    };
    let head_tree = match repo.head() {
        Ok(head) => Some(head.peel_to_tree().map_err(open_error)?),
        Err(_) => None, // unborn: everything staged is new
    };
    let index = repo.index().map_err(open_error)?;
    let mut out = crate::FileSet::new();
    for entry in index.iter() {
        let path = String::from_utf8_lossy(&entry.path).into_owned();
        let unchanged = head_tree
            .as_ref()
            .and_then(|t| t.get_path(Path::new(&path)).ok())
            .is_some_and(|e| e.id() == entry.id);
        if !unchanged && let Ok(blob) = repo.find_blob(entry.id) {
            out.insert(path, blob.content().to_vec());
        }
    }
    Ok(out)
}

/// Short name of the checked-out branch (also when it is unborn); `None` for a detached
/// HEAD or a bare repository.
pub fn current_branch(repo_dir: &Path) -> Result<Option<String>, GitError> {
    let repo = repo::open(repo_dir)?;
    if repo.is_bare() {
        return Ok(None);
    }
    let head = repo
        .find_reference("HEAD")
        .map_err(|source| GitError::Open {
            path: repo_dir.to_owned(),
            source,
        })?;
    Ok(head
        .symbolic_target_bytes()
        .and_then(|t| t.strip_prefix(b"refs/heads/"))
        .map(|name| String::from_utf8_lossy(name).into_owned()))
}

/// The repository's `.git` directory, where local, uncommitted state may live.
pub fn git_dir(repo_dir: &Path) -> Result<PathBuf, GitError> {
    Ok(repo::open(repo_dir)?.path().to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_match_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_id(b"hello\n").to_string(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(
            blob_id(b"x").to_string(),
            Oid::hash_object(git2::ObjectType::Blob, b"x")
                .unwrap()
                .to_string()
        );
        // A tree: one file `a` holding blob `x` (what `git mktree` gives).
        let mut tree = b"100644 a\0".to_vec();
        tree.extend_from_slice(blob_id(b"x").as_bytes());
        assert_eq!(
            object_id("tree", &tree),
            Oid::hash_object(git2::ObjectType::Tree, &tree).unwrap()
        );
    }
}
