//! Reading files out of a commit's tree, without a work tree: the inputs as they are on a
//! fetched remote branch or on an older commit.

use std::path::Path;

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use crate::repo::open;
use crate::{FileSet, GitError};

/// The files of commit `commit` at `paths`: an entry ending in `/` names a directory,
/// read recursively; any other entry names one file. A path the commit does not have is
/// left out, as are submodules and symbolic links (no content to read as a file).
pub fn read_commit_files(
    repo_dir: &Path,
    commit: Oid,
    paths: &[&str],
) -> Result<FileSet, GitError> {
    let repo = open(repo_dir)?;
    let read_error = |path: &str, source| GitError::ReadObject {
        id: commit,
        path: path.to_owned(),
        source,
    };
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(|e| read_error("", e))?;
    let mut out = FileSet::new();
    for path in paths {
        let Some(dir) = path.strip_suffix('/') else {
            if let Ok(entry) = tree.get_path(Path::new(path))
                && is_file(entry.filemode())
            {
                out.insert((*path).to_owned(), blob(&repo, entry.id(), path, commit)?);
            }
            continue;
        };
        let Ok(entry) = tree.get_path(Path::new(dir)) else {
            continue;
        };
        let Ok(sub) = repo.find_tree(entry.id()) else {
            continue; // a file where the directory was expected: nothing below it
        };
        let mut found = Vec::new();
        sub.walk(TreeWalkMode::PreOrder, |parent, entry| {
            if entry.kind() == Some(ObjectType::Blob)
                && is_file(entry.filemode())
                && let Ok(name) = entry.name()
            {
                found.push((format!("{dir}/{parent}{name}"), entry.id()));
            }
            TreeWalkResult::Ok
        })
        .map_err(|e| read_error(path, e))?;
        for (file, id) in found {
            let content = blob(&repo, id, &file, commit)?;
            out.insert(file, content);
        }
    }
    Ok(out)
}

/// Regular or executable file (not a link, tree or submodule).
fn is_file(mode: i32) -> bool {
    mode == 0o100644 || mode == 0o100755
}

fn blob(repo: &Repository, id: Oid, path: &str, commit: Oid) -> Result<Vec<u8>, GitError> {
    repo.find_blob(id)
        .map(|b| b.content().to_vec())
        .map_err(|source| GitError::ReadObject {
            id: commit,
            path: path.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CommitOutcome, CommitRequest, commit_files};

    #[test]
    fn files_and_directories_are_read_from_the_commit_not_the_work_tree() {
        let dir = tempfile::TempDir::new().unwrap();
        git2::Repository::init(dir.path()).unwrap();
        let files = FileSet::from([
            ("rampart.yaml".to_owned(), b"a: 1\n".to_vec()),
            ("specs/a.yaml".to_owned(), b"name: a\n".to_vec()),
            ("specs/deep/b.yaml".to_owned(), b"name: b\n".to_vec()),
            ("clusters/dev/x.yaml".to_owned(), b"x\n".to_vec()),
        ]);
        let outcome = commit_files(
            dir.path(),
            &CommitRequest {
                branch: None,
                files: &files,
                owned_prefixes: &[],
                message: "inputs".into(),
                author: None,
                read_at: None,
            },
        )
        .unwrap();
        let CommitOutcome::Committed { commit, .. } = outcome else {
            panic!("nothing committed");
        };
        std::fs::write(dir.path().join("rampart.yaml"), "a: 2\n").unwrap();
        let read = read_commit_files(
            dir.path(),
            commit,
            &["rampart.yaml", "specs/", "environments/", "missing.yaml"],
        )
        .unwrap();
        let expected: FileSet = files
            .into_iter()
            .filter(|(path, _)| !path.starts_with("clusters/"))
            .collect();
        assert_eq!(read, expected);
    }
}
