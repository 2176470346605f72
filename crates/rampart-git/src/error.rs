//! The error type of this crate.

use std::path::PathBuf;

use git2::Oid;

use crate::remote_error::RemoteError;

/// Everything that can go wrong while reading or writing the GitOps repository.
///
/// Messages name the path, reference or object involved; the underlying cause
/// is available through [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitError {
    /// The directory could not be opened as a git repository.
    #[error("cannot open git repository at {path}")]
    Open {
        /// Directory that was expected to be a repository.
        path: PathBuf,
        /// Cause reported by libgit2.
        #[source]
        source: git2::Error,
    },

    /// `git init` failed.
    #[error("cannot initialise git repository at {path}")]
    Init {
        /// Directory that was to become a repository.
        path: PathBuf,
        /// Cause reported by libgit2.
        #[source]
        source: git2::Error,
    },

    /// A file path is not a clean repository-relative path.
    #[error("invalid repository path {path:?}: {reason}")]
    InvalidPath {
        /// The offending path, as given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// An owned prefix is not a clean repository-relative directory.
    #[error("invalid owned prefix {prefix:?}: {reason}")]
    InvalidPrefix {
        /// The offending prefix, as given.
        prefix: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// Two requested files would need one of them to be a directory.
    #[error("file {file:?} cannot also be a directory containing {nested:?}")]
    PathConflict {
        /// The path that is requested as a file.
        file: String,
        /// A requested path that lies below it.
        nested: String,
    },

    /// A base-tree entry that would have to be deleted has a name that is not UTF-8.
    #[error("cannot delete {path:?}: its name is not valid UTF-8")]
    NonUtf8Path {
        /// The path, with invalid bytes replaced.
        path: String,
    },

    /// The branch name is not a valid git branch name.
    #[error("invalid branch name {branch:?}")]
    InvalidBranch {
        /// The offending name.
        branch: String,
    },

    /// No branch was named and `HEAD` does not point at a branch.
    #[error("HEAD of the repository at {path} is not on a branch; name a branch to commit on")]
    DetachedHead {
        /// Repository directory.
        path: PathBuf,
    },

    /// The operation needs a work tree but the repository is bare.
    #[error("the repository at {path} is bare and has no work tree")]
    BareRepository {
        /// Repository directory.
        path: PathBuf,
    },

    /// A reference could not be read or resolved to a commit.
    #[error("cannot read reference {refname}")]
    ReadRef {
        /// Full reference name, e.g. `refs/heads/main`.
        refname: String,
        /// Cause reported by libgit2.
        #[source]
        source: git2::Error,
    },

    /// A stored object could not be read.
    #[error("cannot read git object {id} (at {path:?})")]
    ReadObject {
        /// Object id.
        id: Oid,
        /// Repository path the object was expected at (`""` for the root tree).
        path: String,
        /// Cause reported by libgit2.
        #[source]
        source: git2::Error,
    },

    /// An object (blob, tree, commit or pack) could not be written.
    #[error("cannot write git object for {path:?}")]
    WriteObject {
        /// Repository path the object was written for (`""` for the root tree).
        path: String,
        /// Cause reported by libgit2.
        #[source]
        source: git2::Error,
    },

    /// New objects could not be stored as a pack file.
    #[error("cannot write a pack file into {path}")]
    WritePack {
        /// The pack directory.
        path: PathBuf,
        /// Cause reported by libgit2 or the file system.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The repository configuration could not be read.
    #[error("cannot read the configuration of the repository at {path}")]
    Config {
        /// Repository directory.
        path: PathBuf,
        /// Cause reported by libgit2.
        #[source]
        source: git2::Error,
    },

    /// The author name or e-mail cannot be used in a git signature.
    #[error("invalid commit author {name:?} <{email}>")]
    InvalidAuthor {
        /// Author name.
        name: String,
        /// Author e-mail.
        email: String,
        /// Cause reported by libgit2.
        #[source]
        source: git2::Error,
    },

    /// The branch moved, was created or deleted, or is locked by another
    /// writer after it was read; nothing was changed.
    #[error(
        "{refname} was changed (or locked) by someone else while committing (expected {}); nothing was changed",
        expected.map_or_else(|| "it not to exist".to_owned(), |id| id.to_string())
    )]
    ConcurrentUpdate {
        /// Full reference name.
        refname: String,
        /// Target the reference was expected to still have (`None`: absent).
        expected: Option<Oid>,
        /// Cause reported by libgit2.
        #[source]
        source: git2::Error,
    },

    /// The branch moved after the run read its inputs (another process committed);
    /// committing now could drop what that commit added. Nothing was changed.
    #[error(
        "{refname} was changed by someone else after rampart read its inputs (read at {}, now {}); nothing was changed: run rampart again",
        short(read),
        short(now)
    )]
    MovedSinceRead {
        /// Full reference name.
        refname: String,
        /// The tip when the inputs were read (`None`: the branch did not exist).
        read: Option<Oid>,
        /// The tip now.
        now: Option<Oid>,
    },

    /// The repository lock file could not be created or locked.
    #[error("cannot take the repository lock {path}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Cause reported by the operating system.
        #[source]
        source: std::io::Error,
    },

    /// Another run held the repository lock for longer than this run would wait.
    #[error(
        "another rampart run holds the repository lock ({holder}) and did not finish within {}s; nothing was changed: wait for it and run again, or raise --lock-timeout",
        waited.as_secs()
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// Who holds it, as it recorded itself.
        holder: String,
        /// How long this run waited.
        waited: std::time::Duration,
    },

    /// The branch could not be updated for another reason; nothing was changed.
    #[error("cannot update {refname}")]
    UpdateRef {
        /// Full reference name.
        refname: String,
        /// Cause reported by libgit2.
        #[source]
        source: git2::Error,
    },

    /// Git's index lock is held by something other than this run: a git command, running or
    /// killed. Raised before the branch moves.
    #[error(
        "{path} exists: a git command is using this repository's index, or one was killed and left it behind\n  help: if no git command is running in this repository, remove the file (`rm {path}`) and run again"
    )]
    IndexLocked {
        /// The lock file.
        path: PathBuf,
    },

    /// A Rampart run was interrupted after it moved the branch and before the work tree and
    /// index were brought up to date; that update has to be finished first.
    #[error(
        "a rampart run was interrupted while updating the work tree to {} on {refname} (recorded in {path})\n  help: run `rampart render` (or any rampart command that commits), which finishes that update first",
        &commit.to_string()[..10]
    )]
    InterruptedUpdate {
        /// The record it left.
        path: PathBuf,
        /// The commit the work tree was being brought to.
        commit: Oid,
        /// Full reference name.
        refname: String,
    },

    /// The record of a work-tree update, or the branch lock file its killed run left, could
    /// not be written, read or removed.
    #[error("cannot write or read {path}")]
    UpdateRecord {
        /// The record, or the file written beside it.
        path: PathBuf,
        /// Cause reported by the file system.
        #[source]
        source: std::io::Error,
    },

    /// The record of a work-tree update is not one Rampart wrote.
    #[error(
        "{path} is not a record rampart can read\n  help: check `git status` and `git diff --cached`, bring the work tree to HEAD if it lags (`git checkout HEAD -- <path>`), then remove the file"
    )]
    UpdateRecordInvalid {
        /// The record.
        path: PathBuf,
    },

    /// A copy of the index (or git's index lock) could not be written or removed.
    #[error("cannot write {path}")]
    IndexFile {
        /// The file.
        path: PathBuf,
        /// Cause reported by the file system.
        #[source]
        source: std::io::Error,
    },

    /// Where Rampart writes or deletes a generated file, a directory on the way is a symbolic
    /// link or not a directory. Raised before the branch moves.
    #[error(
        "{path} is {} where rampart keeps generated files\n  help: rampart never writes or deletes through a link or over a file it did not make: remove it (`rm {path}`) and run again, and rampart writes the directory itself",
        if *link { "a symbolic link" } else { "not a directory" }
    )]
    OutputBlocked {
        /// Repository-relative path of the link or file.
        path: String,
        /// Whether it is a symbolic link (else some other non-directory).
        link: bool,
    },

    /// The commit was recorded, but a work-tree file could not be updated.
    #[error("committed {commit} to {refname}, but cannot update work-tree file {path}")]
    WorktreeSync {
        /// The commit now at the tip of the branch.
        commit: Oid,
        /// Full reference name.
        refname: String,
        /// File or directory that could not be written or removed.
        path: PathBuf,
        /// Cause reported by the file system.
        #[source]
        source: std::io::Error,
    },

    /// The commit was recorded, but a work-tree path is blocked by something
    /// that is not a directory.
    #[error("committed {commit} to {refname}, but {path} is not a directory")]
    WorktreeBlocked {
        /// The commit now at the tip of the branch.
        commit: Oid,
        /// Full reference name.
        refname: String,
        /// Path that should be a directory.
        path: PathBuf,
    },

    /// The commit was recorded and the files written, but the index could not be updated.
    #[error("committed {commit} to {refname}, but cannot update the index entry for {path:?}")]
    IndexSync {
        /// The commit now at the tip of the branch.
        commit: Oid,
        /// Full reference name.
        refname: String,
        /// Repository path of the entry (`""` when writing the index file itself).
        path: String,
        /// Cause reported by libgit2.
        #[source]
        source: git2::Error,
    },

    /// A rendered file could not be read back from the temporary spool file it was put in.
    #[error("cannot read {path} back from rampart's temporary spool file (in .git)")]
    Spool {
        /// Repository path of the file.
        path: String,
        /// Cause reported by the file system.
        #[source]
        source: std::io::Error,
    },

    /// A work-tree file or directory could not be read.
    #[error("cannot read work-tree path {path}")]
    ReadWorktree {
        /// File or directory that could not be read.
        path: PathBuf,
        /// Cause reported by the file system.
        #[source]
        source: std::io::Error,
    },

    /// A changed path differs on the new base from what the change was made against:
    /// someone else changed the same file; nothing was written.
    #[error("{path} was changed on the base too ({reason}); nothing was written")]
    Conflict {
        /// Repository path.
        path: String,
        /// What differs.
        reason: String,
    },

    /// Fetching from or pushing to a remote failed: see [`RemoteError`] for what a caller
    /// can decide on.
    #[error(transparent)]
    Remote(#[from] RemoteError),

    /// A commit could not be signed; nothing was written.
    #[error("cannot sign the commit with {program}: {reason}")]
    Signing {
        /// The signing program.
        program: &'static str,
        /// What it reported.
        reason: String,
    },

    /// The secret guard found secrets in files about to be committed; nothing was written.
    #[error("refusing to commit: {} secret(s) found\n{}", findings.len(), list(findings))]
    SecretsFound {
        /// Where and what (never the secret's value).
        findings: Vec<rampart_guard::Finding>,
    },
}

impl GitError {
    /// The commit on the branch when this error means that a commit was made but the work
    /// tree or index was not fully brought to it (the next run finishes that).
    pub fn committed(&self) -> Option<(Oid, &str)> {
        match self {
            GitError::WorktreeSync {
                commit, refname, ..
            }
            | GitError::WorktreeBlocked {
                commit, refname, ..
            }
            | GitError::IndexSync {
                commit, refname, ..
            } if !commit.is_zero() => Some((*commit, refname)),
            _ => None,
        }
    }
}

fn list(findings: &[rampart_guard::Finding]) -> String {
    findings
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first 10 hex digits of a commit id, or `none`.
fn short(id: &Option<Oid>) -> String {
    id.map_or_else(|| "none".to_owned(), |id| id.to_string()[..10].to_owned())
}
