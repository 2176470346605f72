//! What `new`, `import` and `remove` share: the work tree's inputs with one change to the
//! requests, rendered and committed — or delivered — under a fixed title.

use super::print_event;
use crate::cli::{CommitArgs, DeliveryArgs, RepoArgs};
use anyhow::Result;
use rampart_deliver::inputs::Inputs;
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
    commit_or_deliver(
        job,
        &change.commit.options(),
        change.delivery.mode(),
        &mut print_event,
    )
}
