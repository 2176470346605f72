//! Helpers shared by the integration tests: real repositories in temporary directories.

#![allow(dead_code)] // Not every helper is used by every module.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{Oid, Repository, StatusOptions};
use rampart_git::{CommitOutcome, CommitRequest, FileSet, init_repository};
use tempfile::TempDir;

/// A fresh non-bare repository (unborn `main`) in a temporary directory.
pub fn new_repo() -> (TempDir, PathBuf) {
    let tmp = TempDir::new().expect("create temp dir");
    let dir = tmp.path().join("repo");
    init_repository(&dir).expect("init repository");
    (tmp, dir)
}

/// A file set from `(path, content)` pairs.
pub fn files(entries: &[(&str, &str)]) -> FileSet {
    entries
        .iter()
        .map(|(path, content)| ((*path).to_owned(), content.as_bytes().to_vec()))
        .collect()
}

/// Owned prefixes from string slices.
pub fn prefixes(list: &[&str]) -> Vec<String> {
    list.iter().map(|p| (*p).to_owned()).collect()
}

/// Commits `files` on the checked-out branch with `owned` prefixes.
pub fn commit_head(dir: &Path, files: &FileSet, owned: &[String]) -> CommitOutcome {
    commit_on(dir, None, files, owned)
}

/// Commits `files` on `branch` with `owned` prefixes; panics on error.
pub fn commit_on(
    dir: &Path,
    branch: Option<&str>,
    files: &FileSet,
    owned: &[String],
) -> CommitOutcome {
    let req = CommitRequest {
        branch,
        files,
        owned_prefixes: owned,
        message: "render manifests\n\nbody".into(),
        author: None,
        read_at: None,
    };
    rampart_git::commit_files(dir, &req).expect("commit_files")
}

/// The id of the commit `refname` points at, if any.
pub fn ref_target(dir: &Path, refname: &str) -> Option<Oid> {
    let repo = Repository::open(dir).expect("open repository");
    repo.refname_to_id(refname).ok()
}

/// Every file of the tree committed at `refname`, with its content.
pub fn committed_files(dir: &Path, refname: &str) -> BTreeMap<String, Vec<u8>> {
    let repo = Repository::open(dir).expect("open repository");
    let tree = repo
        .find_reference(refname)
        .and_then(|r| r.peel_to_tree())
        .expect("tree of reference");
    let mut out = BTreeMap::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |root, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            let blob = repo.find_blob(entry.id()).expect("blob");
            let name = entry.name().expect("utf-8 name");
            out.insert(format!("{root}{name}"), blob.content().to_vec());
        }
        git2::TreeWalkResult::Ok
    })
    .expect("walk tree");
    out
}

/// The blob `id` (`None`: none) as stored in the repository at `dir`, read
/// with `rampart_git::read_blobs`; `None` if it is not there.
pub fn blob(dir: &Path, id: Option<Oid>) -> Option<Vec<u8>> {
    let id = id?;
    let mut read = rampart_git::read_blobs(dir, &[id]).expect("read_blobs");
    assert_eq!(read.len(), 1, "one result per id");
    read.pop().flatten()
}

/// `git status --porcelain` as printed by the git command-line tool.
pub fn cli_status(dir: &Path) -> String {
    let output = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=all"])
        .current_dir(dir)
        .output()
        .expect("run git status");
    assert!(output.status.success(), "git status failed: {output:?}");
    String::from_utf8(output.stdout).expect("utf-8 status")
}

/// Runs a git command-line command in `dir` and returns its standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(output.status.success(), "git {args:?} failed: {output:?}");
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// Asserts that the work tree and index match `HEAD`, both according to
/// libgit2 and to the git command-line tool.
pub fn assert_clean(dir: &Path) {
    let repo = Repository::open(dir).expect("open repository");
    let mut options = StatusOptions::new();
    options.include_untracked(true).recurse_untracked_dirs(true);
    let statuses = repo.statuses(Some(&mut options)).expect("statuses");
    let dirty: Vec<_> = statuses
        .iter()
        .map(|s| (s.path().map(str::to_owned), s.status()))
        .collect();
    assert!(dirty.is_empty(), "libgit2 status not clean: {dirty:?}");
    assert_eq!(cli_status(dir), "", "git status --porcelain not clean");
}

/// The commit and changes of a `Committed` outcome; panics otherwise.
pub fn committed(outcome: CommitOutcome) -> (Oid, String, Vec<rampart_git::Change>) {
    match outcome {
        CommitOutcome::Committed {
            commit,
            branch,
            changes,
        } => (commit, branch, changes),
        CommitOutcome::Unchanged => panic!("expected a commit, got Unchanged"),
    }
}
