//! Delivering a change onto a base that is not the local branch: a commit built on an
//! explicit commit (e.g. a freshly fetched remote branch), re-applied when that base moves.

use std::path::Path;

use git2::{Oid, Repository};

use crate::commit::{CommitMeta, base_tree, signature, write_planned};
use crate::content::NewBlob;
use crate::plan::{Plan, Planned};
use crate::repo::open;
use crate::tree::Found;
use std::collections::BTreeMap;

use crate::content::FileContent;
use crate::{Author, Change, GitError, Message, Signer, paths, plan};

/// What [`commit_onto`] builds: a change re-applied on an explicit base commit.
#[derive(Debug)]
pub struct OntoRequest<'a, C = Vec<u8>> {
    /// Commit to build on; `None` makes a root commit.
    pub base: Option<Oid>,
    /// The change to apply, as recorded by [`changes_against`] against some earlier
    /// commit: each path must still hold its `old_id` on `base` (or already its `new_id`).
    pub changes: &'a [Change],
    /// The new content of the added and modified paths of `changes`.
    pub files: &'a BTreeMap<String, C>,
    /// Commit message.
    pub message: &'a str,
    /// `None`: as in [`crate::CommitRequest::author`].
    pub author: Option<&'a Author>,
    /// Sign the commit with this key; `None`: unsigned.
    pub signer: Option<&'a Signer>,
}

/// The changes [`crate::commit_files`] would record for `files` and `owned_prefixes`
/// relative to the commit `base` (`None`: an empty tree), in path order.
pub fn changes_against<C: FileContent>(
    repo_dir: &Path,
    base: Option<Oid>,
    files: &BTreeMap<String, C>,
    owned_prefixes: &[String],
) -> Result<Vec<Change>, GitError> {
    paths::validate_files(files)?;
    let prefixes = paths::normalize_prefixes(owned_prefixes)?;
    let repo = open(repo_dir)?;
    let (mut tree, _) = base_tree(&repo, base)?;
    let plan = plan::plan(&repo, &mut tree, files, &prefixes)?;
    Ok(plan::changes(&plan))
}

/// Writes a commit that applies `req.changes` on `req.base`, without referencing it
/// (the caller pushes it, then points a branch at it). Every added or changed file passes
/// the secret guard first.
///
/// `None`: `base` already holds the change. [`GitError::Conflict`] when a path on `base`
/// is neither the change's old nor its new content: someone else changed the same file.
pub fn commit_onto<C: FileContent>(
    repo_dir: &Path,
    req: &OntoRequest<'_, C>,
) -> Result<Option<Oid>, GitError> {
    let repo = open(repo_dir)?;
    let author = signature(&repo, req.author)?;
    let (mut tree, base_id) = base_tree(&repo, req.base)?;
    let mut plan = Plan::new();
    for change in req.changes {
        let found = match tree.find(&repo, &change.path)? {
            Found::Nothing => None,
            Found::Leaf { id, .. } => Some(id),
            Found::Dir | Found::LeafAncestor { .. } => {
                return Err(GitError::Conflict {
                    path: change.path.clone(),
                    reason: "a directory or file is in its way".to_owned(),
                });
            }
        };
        if found == change.new_id {
            continue; // already there
        }
        if found != change.old_id {
            return Err(GitError::Conflict {
                path: change.path.clone(),
                reason: format!(
                    "expected {}, found {}",
                    describe(change.old_id),
                    describe(found)
                ),
            });
        }
        let new = match change.new_id {
            None => None,
            Some(id) => {
                let content = req
                    .files
                    .get(&change.path)
                    .ok_or_else(|| GitError::InvalidPath {
                        path: change.path.clone(),
                        reason: "the change adds it but no content was given",
                    })?;
                Some(NewBlob { content, id })
            }
        };
        plan.insert(change.path.clone().into(), Planned { old: found, new });
    }
    let message = Message::Text(req.message);
    let meta = CommitMeta {
        author: &author,
        message: &message,
        parent: req.base,
        signer: req.signer,
    };
    let written = write_planned(&repo, &mut tree, base_id, &plan, &meta)?;
    Ok(written.map(|(commit, _, _)| commit))
}

fn describe(id: Option<Oid>) -> String {
    id.map_or_else(|| "no file".to_owned(), |id| format!("blob {id}"))
}

/// The commit `HEAD` points at; `None` when it is unborn.
pub fn head_commit(repo_dir: &Path) -> Result<Option<Oid>, GitError> {
    let repo = open(repo_dir)?;
    crate::commit::commit_of(&repo, "HEAD")
}

/// The best common ancestor of two commits, `None` if they share no history.
pub fn merge_base(repo_dir: &Path, a: Oid, b: Oid) -> Result<Option<Oid>, GitError> {
    let repo = open(repo_dir)?;
    match repo.merge_base(a, b) {
        Ok(id) => Ok(Some(id)),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(source) => Err(GitError::ReadObject {
            id: a,
            path: String::new(),
            source,
        }),
    }
}

/// Whether two commits have the same tree.
pub fn same_tree(repo_dir: &Path, a: Oid, b: Oid) -> Result<bool, GitError> {
    let repo = open(repo_dir)?;
    Ok(tree_of(&repo, a)?.id() == tree_of(&repo, b)?.id())
}

/// The paths whose content differs between the trees of commits `from` (`None`: an empty
/// tree) and `to`, in diff order.
pub fn changed_paths(repo_dir: &Path, from: Option<Oid>, to: Oid) -> Result<Vec<String>, GitError> {
    let repo = open(repo_dir)?;
    let old = from.map(|id| tree_of(&repo, id)).transpose()?;
    let new = tree_of(&repo, to)?;
    let diff_error = |source| GitError::ReadObject {
        id: to,
        path: String::new(),
        source,
    };
    let diff = repo
        .diff_tree_to_tree(old.as_ref(), Some(&new), None)
        .map_err(diff_error)?;
    Ok(diff
        .deltas()
        .filter_map(|delta| {
            delta
                .new_file()
                .path()
                .or_else(|| delta.old_file().path())
                .map(|p| p.to_string_lossy().into_owned())
        })
        .collect())
}

/// The message of a commit (lossily decoded).
pub fn commit_message(repo_dir: &Path, commit: Oid) -> Result<String, GitError> {
    let repo = open(repo_dir)?;
    let commit = find_commit(&repo, commit)?;
    Ok(String::from_utf8_lossy(commit.message_bytes()).into_owned())
}

/// The first parent of a commit, `None` for a root commit.
pub fn first_parent(repo_dir: &Path, commit: Oid) -> Result<Option<Oid>, GitError> {
    let repo = open(repo_dir)?;
    let commit = find_commit(&repo, commit)?;
    Ok(commit.parent_ids().next())
}

fn find_commit(repo: &Repository, id: Oid) -> Result<git2::Commit<'_>, GitError> {
    repo.find_commit(id).map_err(|source| GitError::ReadObject {
        id,
        path: String::new(),
        source,
    })
}

fn tree_of(repo: &Repository, commit: Oid) -> Result<git2::Tree<'_>, GitError> {
    find_commit(repo, commit)?
        .tree()
        .map_err(|source| GitError::ReadObject {
            id: commit,
            path: String::new(),
            source,
        })
}

/// The commits reachable from `tip` but not from `base` that Rampart did not make: those
/// whose message lacks a `<trailer>: ` line, or whose author or committer e-mail is not
/// `email` (a `git commit --amend` by someone else keeps the author and the trailer but
/// records its own committer). Newest first.
pub fn foreign_commits(
    repo_dir: &Path,
    tip: Oid,
    base: Option<Oid>,
    trailer: &str,
    email: &str,
) -> Result<Vec<Oid>, GitError> {
    let repo = open(repo_dir)?;
    let walk_error = |source| GitError::ReadObject {
        id: tip,
        path: String::new(),
        source,
    };
    let mut walk = repo.revwalk().map_err(walk_error)?;
    walk.push(tip).map_err(walk_error)?;
    if let Some(base) = base {
        walk.hide(base).map_err(walk_error)?;
    }
    let prefix = format!("{trailer}: ");
    let mut foreign = Vec::new();
    for id in walk {
        let id = id.map_err(walk_error)?;
        let commit = find_commit(&repo, id)?;
        let message = String::from_utf8_lossy(commit.message_bytes());
        let has_trailer = message.lines().any(|line| line.starts_with(&prefix));
        let by_us = commit.author().email_bytes() == email.as_bytes()
            && commit.committer().email_bytes() == email.as_bytes();
        if !(has_trailer && by_us) {
            foreign.push(id);
        }
    }
    Ok(foreign)
}

/// The author e-mail [`commit_onto`] would use for `author`.
pub fn author_email(repo_dir: &Path, author: Option<&Author>) -> Result<String, GitError> {
    let repo = open(repo_dir)?;
    let signature = signature(&repo, author)?;
    Ok(String::from_utf8_lossy(signature.email_bytes()).into_owned())
}

/// Whether `name` is a valid branch name (`git check-ref-format --branch`).
pub fn branch_name_is_valid(name: &str) -> bool {
    git2::Branch::name_is_valid(name).unwrap_or(false)
}
