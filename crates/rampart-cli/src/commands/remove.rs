//! `rampart remove NAME [--env ENV]`.

use super::Result;
use super::request_change::{RequestChange, commit_or_deliver_change};
use crate::cli::RemoveArgs;
use crate::output::outln;
use rampart_deliver::inputs::{Inputs, SPECS_DIR, display, read_worktree};
use rampart_deliver::removal::{check_unreferenced, plan_removal};
use rampart_git::FileSet;
use std::process::ExitCode;

pub(super) fn run(args: RemoveArgs) -> Result<ExitCode> {
    let rel = format!("{SPECS_DIR}/{}.yaml", args.name);
    let repo = &args.repo.repo;
    let _lock =
        super::lock_repository(repo, &format!("rampart remove {}", args.name), &args.commit)?;
    let read_at = rampart_git::branch_tip(repo, args.commit.branch.as_deref()).ok();
    let mut local = read_worktree(repo, &FileSet::new())?;
    let before = Inputs::from_files(repo, &local)?;
    if local.remove(&rel).is_none() {
        // A usage error, like `new` on an existing request: nothing was written.
        eprintln!(
            "error: {} does not exist: no request to remove",
            display(repo, &rel)
        );
        return Ok(ExitCode::from(super::EXIT_INVALID_INPUT));
    }
    check_unreferenced(repo, &before, &args.name)?;
    let removal = plan_removal(
        repo,
        Inputs::from_files(repo, &local)?,
        &args.name,
        args.repo.blueprints.as_ref(),
        args.env.as_deref(),
        before
            .requests
            .iter()
            .find(|r| r.request.name == args.name)
            .map(|r| r.request.team.as_str()),
    )?;
    let message = removal.message();
    let delivered = commit_or_deliver_change(RequestChange {
        local,
        env: args.env.as_deref(),
        title: &message,
        read_at,
        repo: &args.repo,
        commit: &args.commit,
        delivery: &args.delivery,
    })?;
    outln!("{message}");
    if delivered {
        outln!(
            "delivered; {} stays in the work tree until you pull the merged change",
            display(repo, &rel)
        );
    }
    Ok(ExitCode::SUCCESS)
}
