//! What `new`, `import` and `remove` share: the work tree's inputs with one change to the
//! requests, rendered and committed — or delivered — under a fixed title.

use super::Result;
use super::print_event;
use crate::cli::{CommitArgs, DeliveryArgs, RepoArgs};
use rampart_deliver::inputs::{Inputs, read_worktree};
use rampart_deliver::{Job, Title, commit_or_deliver};
use rampart_git::FileSet;

/// The inputs after the change, and how to deliver them.
pub(super) struct RequestChange<'a> {
    /// The work tree's input files with the change applied.
    pub local: FileSet,
    /// The one environment to render, else all.
    pub env: Option<&'a str>,
    /// Commit (and pull request) title.
    pub title: &'a str,
    /// Where the branch was when `local` was read.
    pub read_at: Option<rampart_git::Tip>,
    pub repo: &'a RepoArgs,
    pub commit: &'a CommitArgs,
    pub delivery: &'a DeliveryArgs,
}

/// Validates, renders and commits or delivers the change; whether it was delivered rather
/// than committed locally.
pub(super) fn commit_or_deliver_change(change: RequestChange<'_>) -> Result<bool> {
    let repo = &change.repo.repo;
    let inputs = Inputs::from_files(repo, &change.local)?;
    let job = Job {
        repo,
        local: change.local,
        inputs,
        blueprints: change.repo.blueprints.as_ref(),
        env: change.env,
        title: Title::Fixed(change.title),
        read_at: change.read_at,
        topic: None,
        inputs_from: None,
    };
    Ok(commit_or_deliver(
        job,
        &change.commit.options(),
        change.delivery.mode(),
        &mut print_event,
    )?)
}

/// `new` and `import`: the work tree's inputs with the `requests` written over them,
/// committed or delivered under `title` (see [`commit_or_deliver_change`]). A delivered
/// request also stays in the checkout as an input change (staged, not committed): edited and
/// delivered again, it updates the same branch and pull request. Whether it was delivered.
pub(super) fn add_requests(
    requests: &FileSet,
    title: &str,
    repo: &RepoArgs,
    commit: &CommitArgs,
    delivery: &DeliveryArgs,
) -> Result<bool> {
    let read_at = rampart_git::branch_tip(&repo.repo, commit.branch.as_deref()).ok();
    let local = read_worktree(&repo.repo, requests)?;
    let delivered = commit_or_deliver_change(RequestChange {
        local,
        env: None,
        title,
        read_at,
        repo,
        commit,
        delivery,
    })?;
    if delivered {
        rampart_git::stage_files(&repo.repo, requests).map_err(|e| {
            let names: Vec<&str> = requests.keys().map(String::as_str).collect();
            // A deliver error, so that a commit this leaves lagging is named as such.
            rampart_deliver::Error::from(e).context(format!(
                "{} delivered, but cannot be written into the work tree",
                names.join(", ")
            ))
        })?;
    }
    Ok(delivered)
}
