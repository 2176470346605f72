//! `rampart render` and `rampart plan`.

use super::Result;
use super::{EXIT_DRIFT, print_event};
use crate::cli::{PlanArgs, RenderArgs};
use crate::output::{out, outln};
use rampart_deliver::inputs::{self, Inputs};
use rampart_deliver::render::output_prefixes;
use rampart_deliver::{CacheUse, Job, Title, commit_or_deliver, render_repo};
use rampart_git::{ChangeKind, DriftKind, FileSet, Oid};
use std::process::ExitCode;
use std::time::Instant;

pub(super) fn run(args: RenderArgs) -> Result<ExitCode> {
    let repo = &args.repo.repo;
    if !args.check {
        // Held from reading the inputs until the work tree is updated.
        let _lock = super::lock_repository(repo, "rampart render", &args.commit)?;
        let read_at = rampart_git::branch_tip(repo, args.commit.branch.as_deref()).ok();
        let started = Instant::now();
        let local = inputs::read_worktree(repo, &FileSet::new())?;
        let inputs = Inputs::from_files(repo, &local)?;
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "inputs loaded"
        );
        let order = inputs.config.environments.clone();
        let job = Job {
            repo,
            local,
            inputs,
            blueprints: args.repo.blueprints.as_ref(),
            env: args.env.as_deref(),
            title: Title::Touched {
                verb: "rampart: render",
                order: &order,
            },
            read_at,
            topic: None,
            inputs_from: None,
        };
        commit_or_deliver(
            job,
            &args.commit.options(),
            args.delivery.mode(),
            &mut print_event,
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    super::finish_interrupted_unlocked(repo)?;
    let rendered = render_repo(
        repo,
        args.repo.blueprints.as_ref(),
        args.env.as_deref(),
        &FileSet::new(),
        CacheUse::ReadWrite,
    )?;
    let drift = rampart_git::worktree_drift(repo, &rendered.files, &output_prefixes(&rendered))?;
    if drift.is_empty() {
        outln!("ok: {} generated files are up to date", rendered.generated);
        return Ok(ExitCode::SUCCESS);
    }
    for d in &drift {
        let why = match d.kind {
            DriftKind::Missing => "missing: not rendered yet",
            DriftKind::Modified => "stale or hand-edited: differs from what the requests render",
            DriftKind::Unexpected => "left over: no request renders it",
        };
        outln!("{}: {why}", inputs::display(repo, &d.path));
    }
    outln!(
        "\n{} generated file(s) out of date; run `rampart render` to fix",
        drift.len()
    );
    Ok(ExitCode::from(EXIT_DRIFT))
}

pub(super) fn plan(args: PlanArgs) -> Result<ExitCode> {
    super::finish_interrupted_unlocked(&args.repo.repo)?;
    let rendered = render_repo(
        &args.repo.repo,
        args.repo.blueprints.as_ref(),
        args.env.as_deref(),
        &FileSet::new(),
        CacheUse::ReadWrite,
    )?;
    let changes = rampart_git::plan_changes(
        &args.repo.repo,
        args.branch.as_deref(),
        &rendered.files,
        &rendered.owned,
    )?;
    if changes.is_empty() {
        outln!("no changes: `rampart render` would commit nothing");
        return Ok(ExitCode::SUCCESS);
    }
    // Old contents from the object database in one batch; new ones are the rendered files.
    let old_ids: Vec<Oid> = changes.iter().filter_map(|c| c.old_id).collect();
    let mut old_blobs = rampart_git::read_blobs(&args.repo.repo, &old_ids)?.into_iter();
    let added: Vec<(&str, &rampart_git::Content)> = changes
        .iter()
        .filter(|c| c.new_id.is_some())
        .map(|c| (c.path.as_str(), &rendered.files[&c.path]))
        .collect();
    let new_contents = rampart_git::read_contents(&args.repo.repo, &added)?;
    // What render would refuse to commit is not printed either.
    let scanned: Vec<(&str, &[u8])> = added
        .iter()
        .zip(&new_contents)
        .map(|((path, _), bytes)| (*path, bytes.as_ref()))
        .collect();
    rampart_git::guard::refuse_secrets(&scanned)?;
    let mut new_contents = new_contents.into_iter();
    for change in &changes {
        if crate::output::is_closed() {
            break; // nobody reads the rest of the diff
        }
        let old_bytes = match change.old_id {
            // A submodule's id is a commit, which reads as no blob: show it as empty.
            Some(_) => old_blobs.next().flatten().unwrap_or_default(),
            None => Vec::new(),
        };
        let new_bytes = match change.new_id {
            Some(_) => new_contents
                .next()
                .map(|c| c.into_owned())
                .unwrap_or_default(),
            None => Default::default(),
        };
        let old = String::from_utf8_lossy(&old_bytes);
        let new = String::from_utf8_lossy(&new_bytes);
        let (a, b) = match change.kind {
            ChangeKind::Added => ("/dev/null".to_string(), format!("b/{}", change.path)),
            ChangeKind::Deleted => (format!("a/{}", change.path), "/dev/null".to_string()),
            ChangeKind::Modified => (format!("a/{}", change.path), format!("b/{}", change.path)),
        };
        out!(
            "{}",
            similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
                .unified_diff()
                .context_radius(3)
                .header(&a, &b)
        );
    }
    outln!("\n{} file(s) would change", changes.len());
    Ok(ExitCode::SUCCESS)
}
