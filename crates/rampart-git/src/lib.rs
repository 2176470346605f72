//! Committing generated files to the GitOps repository.
//!
//! Commits are built from an in-memory tree based on the branch head, never
//! through the work tree's index, and the branch is moved with a
//! compare-and-swap so a concurrent change is refused rather than clobbered.
//! When the branch is checked out, the work tree and index are then updated
//! for exactly the changed paths, leaving the user's other work alone.
//!
//! Paths are repository-relative with `/` separators; they must not be
//! absolute, contain empty, `.` or `..` segments, backslashes or NUL bytes,
//! or lie inside `.git`.

#![warn(missing_docs)]

mod blobs;
mod commit;
mod content;
mod credentials;
mod delivered;
mod error;
pub mod guard;
mod index_file;
mod index_splice;
mod known_hosts;
mod lock;
mod objects;
mod onto;
mod pack_file;
mod paths;
mod plan;
mod push_request;
mod receive_pack;
mod recover;
mod remote;
mod remote_error;
#[cfg(test)]
mod remote_http_tests;
#[cfg(test)]
mod remote_tests;
mod repo;
mod signing;
mod snapshot;
mod spool;
mod subtrees;
#[cfg(test)]
mod test_files;
mod tree;
mod update_record;
mod worktree;

use std::collections::BTreeMap;
use std::path::Path;

pub use blobs::{blob_id, current_branch, git_dir, have_objects, read_blobs, staged_files};
pub use content::{Content, FileContent, Files, read_contents};
pub use credentials::{Credentials, HostKeyPolicy, Secret};
pub use delivered::{LocalBranch, delivered_tip, record_delivered, update_local_branch};
pub use error::GitError;
pub use git2::Oid;
pub use lock::{LockHolder, RepoLock};
pub use onto::{
    OntoRequest, author_email, branch_name_is_valid, changed_paths, changes_against,
    commit_message, commit_onto, first_parent, foreign_commits, head_commit, merge_base, same_tree,
};
pub use push_request::PushRequest;
pub use recover::{Recovery, RecoveryOutcome, update_interrupted};
pub use remote::{
    clone_repository, fetch_branches, has_remote, push_commit, redact_url, tracking_tip,
};
pub use remote_error::RemoteError;
pub use signing::Signer;
pub use snapshot::read_commit_files;
pub use spool::Spool;

/// Desired content of generated or input files, keyed by repository-relative
/// path with `/` separators.
pub type FileSet = BTreeMap<String, Vec<u8>>;

/// Author (and committer) identity of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: String,
}

/// What to commit, and where; `C` is how file contents are held (bytes or [`Content`]).
#[derive(Debug)]
pub struct CommitRequest<'a, C = Vec<u8>> {
    /// Branch to commit on (short name, e.g. `main`). `None`: the checked-out
    /// branch, which may be unborn. A branch that does not exist yet is
    /// created from the current `HEAD` commit (or as a root commit if `HEAD`
    /// is unborn).
    pub branch: Option<&'a str>,
    /// Files to write (created or replaced), as regular non-executable files.
    pub files: &'a BTreeMap<String, C>,
    /// Directories (e.g. `clusters/dev/namespaces/`; the trailing `/` is
    /// optional) wholly owned by the caller: any file below one of them in
    /// the base tree that is not in `files` is deleted.
    pub owned_prefixes: &'a [String],
    /// Commit message: a text, or written from the changes (`"text".into()`).
    pub message: Message<'a>,
    /// `None`: `user.name` / `user.email` from the repository configuration
    /// where set, otherwise `Rampart <rampart@localhost>`.
    pub author: Option<&'a Author>,
    /// Where the branch was when the caller read the inputs that `files` come from
    /// ([`branch_tip`]); the commit is refused ([`GitError::MovedSinceRead`]) if it has
    /// moved since. `None`: build on wherever the branch is when committing.
    pub read_at: Option<&'a Tip>,
}

impl<C> Clone for CommitRequest<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for CommitRequest<'_, C> {}

/// Where a branch was at one moment: see [`branch_tip`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tip {
    /// Full reference name, e.g. `refs/heads/main`.
    pub refname: String,
    /// Its commit; `None` if the branch does not exist yet (or is unborn).
    pub commit: Option<Oid>,
}

/// Where `branch` (`None`: the checked-out branch) of the repository at `repo_dir` is now.
/// Read it before reading the inputs a commit is made of, and pass it as
/// [`CommitRequest::read_at`].
pub fn branch_tip(repo_dir: &Path, branch: Option<&str>) -> Result<Tip, GitError> {
    let repo = repo::open(repo_dir)?;
    let target = commit::resolve_target(&repo, branch)?;
    Ok(Tip {
        refname: target.refname,
        commit: target.expected,
    })
}

/// The message of a commit.
#[derive(Clone, Copy)]
pub enum Message<'a> {
    /// Used as given.
    Text(&'a str),
    /// Written from what the commit changes, which the commit works out anyway; saves the
    /// caller a [`plan_changes`] that would compare and hash every file a second time.
    Describe(&'a dyn Fn(&[Change]) -> String),
}

impl Message<'_> {
    /// The text for a commit that records `changes`.
    pub(crate) fn text(&self, changes: &[Change]) -> String {
        match self {
            Message::Text(text) => (*text).to_owned(),
            Message::Describe(describe) => describe(changes),
        }
    }
}

impl<'a> From<&'a str> for Message<'a> {
    fn from(text: &'a str) -> Self {
        Message::Text(text)
    }
}

impl std::fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Message::Text(text) => f.debug_tuple("Text").field(text).finish(),
            Message::Describe(_) => f.write_str("Describe(..)"),
        }
    }
}

/// What [`commit_files`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    /// The branch already has exactly the requested content; nothing was
    /// written or moved (a branch that did not exist was not created).
    Unchanged,
    /// A commit was made and the branch moved to it.
    Committed {
        /// The new commit.
        commit: Oid,
        /// Short name of the branch it is on.
        branch: String,
        /// What changed relative to the previous branch head, in path order.
        changes: Vec<Change>,
    },
}

/// One file that differs between the branch head and the requested content.
///
/// A change carries no content, only object ids: the new content is the
/// caller's own `files[&path]`, and the old content can be read with
/// [`read_blobs`] from `old_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Repository-relative path.
    pub path: String,
    /// Whether the file is added, modified or deleted.
    pub kind: ChangeKind,
    /// Id of the entry at the branch head; `None` if the file is added.
    /// Usually a blob (a regular file or a symlink's target); for a
    /// submodule it is a commit id, which [`read_blobs`] reads as `None`.
    pub old_id: Option<Oid>,
    /// Blob id of the requested content ([`blob_id`] of `files[&path]`);
    /// `None` if the file is deleted.
    pub new_id: Option<Oid>,
}

/// The kind of a [`Change`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// The file is new.
    Added,
    /// The file's content (or mode) changes.
    Modified,
    /// The file is removed.
    Deleted,
}

/// A difference between the work tree and the requested files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// Repository-relative path.
    pub path: String,
    /// How the work tree differs.
    pub kind: DriftKind,
}

/// How a work-tree file differs from the requested files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DriftKind {
    /// A requested file is absent from the work tree.
    Missing,
    /// A requested file has other content on disk (or is not a regular file).
    Modified,
    /// A file below an owned prefix is on disk but not requested.
    Unexpected,
}

/// Runs `git init` on `dir` (creating it if needed) with initial branch
/// `main`, unless it already is the root of a repository, which is left as is.
pub fn init_repository(dir: &Path) -> Result<(), GitError> {
    match git2::Repository::open(dir) {
        Ok(_) => Ok(()),
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            let mut options = git2::RepositoryInitOptions::new();
            options.initial_head("main");
            git2::Repository::init_opts(dir, &options)
                .map(drop)
                .map_err(|source| GitError::Init {
                    path: dir.to_owned(),
                    source,
                })
        }
        Err(source) => Err(GitError::Open {
            path: dir.to_owned(),
            source,
        }),
    }
}

/// The changes [`commit_files`] would record for the same arguments,
/// relative to the branch head (for a branch that does not exist yet: the
/// `HEAD` commit it would be created from; empty if there is none), in path
/// order. Nothing is written.
pub fn plan_changes<C: FileContent>(
    repo_dir: &Path,
    branch: Option<&str>,
    files: &BTreeMap<String, C>,
    owned_prefixes: &[String],
) -> Result<Vec<Change>, GitError> {
    commit::plan_changes(repo_dir, branch, files, owned_prefixes)
}

/// Commits `req.files` (and the deletions implied by `req.owned_prefixes`)
/// on top of the branch head of the repository at `repo_dir`.
///
/// All checks happen before anything is referenced, and the branch only
/// moves if it is still where it was read ([`GitError::ConcurrentUpdate`]
/// otherwise); on error the branch is left where it was. If the branch is
/// checked out, the changed paths are then written to (or removed from) the
/// work tree and index; other files and index entries are left alone.
pub fn commit_files<C: FileContent>(
    repo_dir: &Path,
    req: &CommitRequest<'_, C>,
) -> Result<CommitOutcome, GitError> {
    commit::commit_files(repo_dir, req)
}

/// Compares the work tree (the files on disk, not git) of the repository at
/// `repo_dir` with `files`: requested files that are missing or differ, and
/// files below `owned_prefixes` that are not requested. Sorted by path.
pub fn worktree_drift<C: FileContent>(
    repo_dir: &Path,
    files: &BTreeMap<String, C>,
    owned_prefixes: &[String],
) -> Result<Vec<Drift>, GitError> {
    worktree::drift(repo_dir, files, owned_prefixes)
}

/// Writes `files` into the work tree and stages them (blobs stored, index entries added)
/// without committing: a request `rampart new` delivered to a remote branch stays in the
/// checkout as an input change, so editing it and delivering again updates that branch,
/// and pulling the merged change later meets an identical staged file (git refuses to
/// overwrite an untracked one).
pub fn stage_files<C: FileContent>(
    repo_dir: &Path,
    files: &BTreeMap<String, C>,
) -> Result<(), GitError> {
    worktree::stage(repo_dir, files)
}

/// Repairs the work tree of the checked-out branch where it drifted from
/// `files` (see [`worktree_drift`]): missing or modified files are written
/// again (with fresh index entries) and files below `owned_prefixes` that are
/// not in `files` are removed. Meant for when the branch already holds
/// `files`, so that a hand edit is undone without a commit. Returns what it
/// repaired.
pub fn restore_worktree<C: FileContent>(
    repo_dir: &Path,
    files: &BTreeMap<String, C>,
    owned_prefixes: &[String],
) -> Result<Vec<Drift>, GitError> {
    worktree::restore(repo_dir, files, owned_prefixes)
}

/// Finishes a work-tree update that a killed run left behind: the run had moved the
/// checked-out branch (its commit is whole) but not yet brought the work tree and index to
/// it. Call it holding the repository lock (`held`), before reading any input from the work
/// tree, so the inputs read are the commit's. `None`: nothing was interrupted.
///
/// Each path the interrupted commit changed is brought to it unless someone changed it after
/// the run died (those are kept, as uncommitted changes; see [`Recovery::kept`]), and its
/// index entry is the commit's; the `index.lock` the run held is removed (only that one: any
/// other is refused with [`GitError::IndexLocked`]).
pub fn finish_interrupted_update(
    repo_dir: &Path,
    held: &RepoLock,
) -> Result<Option<Recovery>, GitError> {
    recover::finish(repo_dir, held)
}
