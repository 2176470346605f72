//! What `render` and `new` hand over, committed locally or delivered: the one place that
//! chooses between [`render`](crate::render) and [`delivery`](crate::delivery).

use crate::delivery::{self, Delivered};
use crate::error::Result;
use crate::inputs::Inputs;
use crate::render::{CacheUse, commit, render_inputs};
use crate::{CommitOptions, Event, Reporter, Title, author};
use rampart_git::FileSet;
use rampart_model::delivery::DeliveryMode;
use std::path::{Path, PathBuf};

/// What `render` and `new` hand over to be committed or delivered.
pub struct Job<'a> {
    /// The GitOps repository.
    pub repo: &'a Path,
    /// The work tree's input files (with pending ones), as [`crate::inputs::read_worktree`] read them.
    pub local: FileSet,
    /// `local`, validated.
    pub inputs: Inputs,
    /// A blueprint directory instead of the built-in one.
    pub blueprints: Option<&'a PathBuf>,
    /// The one environment to render, else all.
    pub env: Option<&'a str>,
    /// Commit (and pull request) title.
    pub title: Title<'a>,
    /// Where the branch was when `local` was read; a local commit is refused if it moved.
    pub read_at: Option<rampart_git::Tip>,
    /// A fixed topic for a delivered change's branch (see [`crate::delivery::Delivered::topic`]).
    pub topic: Option<&'a str>,
    /// The commit `local` was read from when not the work tree (see
    /// [`crate::delivery::Delivered::inputs_from`]).
    pub inputs_from: Option<rampart_git::Oid>,
}

/// Renders and commits locally, or delivers (push, pull request) as `mode` (the flags)
/// else rampart.yaml says; a delivery renders onto the fetched remote branch instead of
/// locally. Returns whether it was delivered rather than committed locally.
pub fn commit_or_deliver(
    job: Job<'_>,
    options: &CommitOptions,
    mode: Option<DeliveryMode>,
    report: Reporter<'_>,
) -> Result<bool> {
    let config = job.inputs.config.delivery.clone();
    let mode = delivery::mode(mode, &config);
    if mode == DeliveryMode::Commit {
        if config.signing.is_some() {
            report(Event::LocalCommitUnsigned);
        }
        drop(job.local); // only a delivery compares it with the remote
        let rendered = render_inputs(
            job.repo,
            job.inputs,
            job.blueprints,
            job.env,
            CacheUse::ReadWrite,
        )?;
        commit(
            job.repo,
            rendered,
            options,
            job.title,
            job.read_at.as_ref(),
            report,
        )?;
        return Ok(false);
    }
    if options.branch.is_some() && mode == DeliveryMode::PullRequest {
        return Err(delivery::invalid(
            "--branch does not go with pull-request delivery: pull requests come from a rampart/… branch and target delivery.baseBranch of rampart.yaml (to push onto a branch of your choice, use --push --branch NAME)",
        ));
    }
    let author = author(options, Some(&job.inputs.config))?;
    delivery::deliver(
        &Delivered {
            repo: job.repo,
            local: &job.local,
            blueprints: job.blueprints,
            title: job.title,
            author: author.as_ref(),
            env: job.env,
            mode,
            branch: options.branch.as_deref(),
            topic: job.topic,
            inputs_from: job.inputs_from,
            config: &config,
        },
        report,
    )?;
    Ok(true)
}
