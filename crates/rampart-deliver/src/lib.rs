//! Rampart's render pipeline and delivery, shared by `rampart render`, `rampart new` and
//! `rampart rotate`: reading and validating the inputs ([`inputs`]), rendering them with
//! the local render cache ([`render`]), assembling each environment's cluster files
//! ([`cluster_config`]), and committing the result locally or delivering it to the remote
//! ([`job::commit_or_deliver`], [`delivery`]).
//!
//! Nothing here prints: what a commit or a delivery did is reported as [`Event`]s to the
//! caller's reporter, which words them. Errors are an [`Error`], whose [`Error::root`] a
//! caller matches to decide (an exit code): invalid inputs ([`rampart_model::Diagnostics`]),
//! refused inputs, [`InvalidSettings`], a [`rampart_git::GitError`], and so on.

pub mod cluster_config;
pub mod delivery;
pub mod error;
mod gitops_cache;
pub mod inputs;
pub mod job;
pub mod netmap;
pub mod no_follow;
pub mod pins;
pub mod remote_pins;
pub mod removal;
pub mod render;
mod render_cache;
mod repair_scope;
pub mod title;

pub use delivery::{InvalidSettings, invalid};
pub use error::{Error, Result};
pub use inputs::Inputs;
pub use job::{Job, commit_or_deliver};
pub use render::{CacheUse, Rendered, commit, render_inputs, render_repo};
pub use title::Title;

use crate::error::bail;
use rampart_git::{Author, Oid};
use rampart_model::RepoConfig;
use std::collections::BTreeSet;

/// How to commit: the settings of `--branch` and `--author`.
#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// Commit on this branch instead of the checked-out one (created from HEAD if
    /// missing); for a push, the remote branch to push onto instead of a `rampart/…` one.
    pub branch: Option<String>,
    /// Commit author as "Name <email>" (else rampart.yaml's git settings, then git's).
    pub author: Option<String>,
}

/// Something a commit or a delivery did (or is about to do) that the user is told about.
#[derive(Debug)]
pub enum Event<'a> {
    /// delivery.signing is set, but a local commit is never signed.
    LocalCommitUnsigned,
    /// A generated file of the work tree was put back as rendered (display path).
    Restored { path: String },
    /// The branch already holds the render: nothing committed.
    UpToDate,
    /// A local commit: its id, branch, how many files it changed, and what it touched
    /// (`clusters/<env>/namespaces/<ns>/`, cluster directories or input files).
    Committed {
        commit: Oid,
        branch: &'a str,
        changes: usize,
        touched: &'a BTreeSet<String>,
    },
    /// The inputs with the local change laid over them (on `on`) are invalid; the
    /// [`rampart_model::Diagnostics`] error follows.
    CombinedInputsInvalid { on: &'a str },
    /// The remote already holds what the inputs render (`onto`: `remote/branch`).
    NothingToDeliver { onto: &'a str },
    /// The remote moved during the push (or, `lost`, replaced the commit just pushed):
    /// fetching and rendering again.
    Retrying {
        remote: &'a str,
        attempt: u32,
        max_retries: u32,
        lost: Option<Oid>,
    },
    /// `commit` was pushed to `remote`/`branch`, changing `changes` files.
    Pushed {
        commit: Oid,
        remote: &'a str,
        branch: &'a str,
        changes: usize,
    },
    /// `remote`/`branch` already held this change at `commit`.
    AlreadyThere {
        commit: Oid,
        remote: &'a str,
        branch: &'a str,
    },
    /// `remote`/`branch` held `replaced`, another Rampart run's delivery of the same change
    /// (another clone or replica with the same selection), not the commit this repository
    /// last pushed there: this run's commit replaces it.
    ReplacedOtherRun {
        replaced: Oid,
        remote: &'a str,
        branch: &'a str,
    },
    /// Pushed onto a branch of the user's choice; the checkout is unchanged.
    PushedPlain { remote: &'a str, branch: &'a str },
    /// The local copy of the delivered branch is checked out somewhere, so it was left.
    LocalBranchCheckedOut { remote: &'a str, branch: &'a str },
    /// The local copy of the delivered branch has commits of its own, so it was left.
    LocalBranchDiverged {
        remote: &'a str,
        branch: &'a str,
        local: Oid,
    },
    /// Pushed a `rampart/…` branch without a pull request: it is to be merged into `base`.
    PushedForMerge { branch: &'a str, base: &'a str },
    /// The pull request was opened or updated.
    PullRequest {
        opened: bool,
        number: u64,
        url: &'a str,
    },
}

/// Receives the [`Event`]s of a commit or delivery, in order.
pub type Reporter<'r> = &'r mut dyn FnMut(Event<'_>);

/// The commit author: the option, then rampart.yaml, then (`None`) git's own configuration.
pub fn author(options: &CommitOptions, config: Option<&RepoConfig>) -> Result<Option<Author>> {
    if let Some(spec) = &options.author {
        let Some((name, rest)) = spec.split_once('<') else {
            bail!("--author `{spec}` is not \"Name <email>\"");
        };
        let Some(email) = rest.strip_suffix('>') else {
            bail!("--author `{spec}` is not \"Name <email>\"");
        };
        return Ok(Some(Author {
            name: name.trim().to_string(),
            email: email.trim().to_string(),
        }));
    }
    let git = config.map(|c| &c.git);
    Ok(
        match (
            git.and_then(|g| g.author_name.clone()),
            git.and_then(|g| g.author_email.clone()),
        ) {
            (Some(name), Some(email)) => Some(Author { name, email }),
            _ => None,
        },
    )
}
