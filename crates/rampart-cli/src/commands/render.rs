//! `rampart render` and `rampart plan`.

use super::{EXIT_DRIFT, author};
use crate::cli::{CommitArgs, PlanArgs, RenderArgs};
use crate::inputs::{self, Inputs, SPECS_DIR};
use anyhow::Result;
use rampart_git::{ChangeKind, CommitOutcome, CommitRequest, DriftKind, FileSet};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// What a render would commit: input files plus generated files, and the directories whose
/// every file is generated (or read) by this run.
pub struct Rendered {
    /// Input and generated files.
    pub files: FileSet,
    /// Generated files only.
    pub generated: FileSet,
    /// Prefixes owned by this run: files under them that are not in `files` go away.
    pub owned: Vec<String>,
    /// Inputs as loaded.
    pub inputs: Inputs,
}

/// Loads the inputs (with `pending` files added) and renders them.
pub fn render_repo(repo: &Path, blueprints: Option<&PathBuf>, only_env: Option<&str>, pending: &FileSet) -> Result<Rendered> {
    let started = Instant::now();
    let inputs = Inputs::load(repo, pending)?;
    let environments = inputs.selected(only_env)?;
    let blueprint = inputs::blueprint(blueprints)?;
    let generated = rampart_render::render_repository(&blueprint, &inputs.requests, &environments)?;
    tracing::info!(
        requests = inputs.requests.len(),
        environments = environments.len(),
        files = generated.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "rendered"
    );
    let mut owned: Vec<String> = environments.iter().map(|e| format!("clusters/{}/namespaces/", e.name)).collect();
    owned.push(format!("{SPECS_DIR}/"));
    let mut files = inputs.files.clone();
    files.extend(generated.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(Rendered { files, generated, owned, inputs })
}

/// Commits a render and prints what happened.
pub fn commit(repo: &Path, rendered: &Rendered, args: &CommitArgs, title: &str) -> Result<()> {
    let author = author(args, Some(&rendered.inputs.config))?;
    let changes = rampart_git::plan_changes(repo, args.branch.as_deref(), &rendered.files, &rendered.owned)?;
    let message = commit_message(title, &changes);
    let outcome = rampart_git::commit_files(
        repo,
        &CommitRequest {
            branch: args.branch.as_deref(),
            files: &rendered.files,
            owned_prefixes: &rendered.owned,
            message: &message,
            author: author.as_ref(),
        },
    )?;
    match outcome {
        CommitOutcome::Unchanged => println!("up to date: rendered output matches the branch, nothing committed"),
        CommitOutcome::Committed { commit, branch, changes } => {
            let short = &commit.to_string()[..10];
            println!("committed {short} on {branch}: {} file(s) changed", changes.len());
            for namespace in touched_namespaces(&changes) {
                println!("  {namespace}");
            }
        }
    }
    Ok(())
}

pub(super) fn run(args: RenderArgs) -> Result<ExitCode> {
    let rendered = render_repo(&args.repo.repo, args.repo.blueprints.as_ref(), args.env.as_deref(), &FileSet::new())?;
    if args.check {
        let outputs: Vec<String> = rendered.owned.iter().filter(|p| !p.starts_with(SPECS_DIR)).cloned().collect();
        let drift = rampart_git::worktree_drift(&args.repo.repo, &rendered.generated, &outputs)?;
        if drift.is_empty() {
            println!("ok: {} generated files are up to date", rendered.generated.len());
            return Ok(ExitCode::SUCCESS);
        }
        for d in &drift {
            let why = match d.kind {
                DriftKind::Missing => "missing: not rendered yet",
                DriftKind::Modified => "stale or hand-edited: differs from what the requests render",
                DriftKind::Unexpected => "left over: no request renders it",
            };
            println!("{}: {why}", inputs::display(&args.repo.repo, &d.path));
        }
        println!("\n{} generated file(s) out of date; run `rampart render` to fix", drift.len());
        return Ok(ExitCode::from(EXIT_DRIFT));
    }
    let title = format!("rampart: render {}", scope(&rendered, args.env.as_deref()));
    commit(&args.repo.repo, &rendered, &args.commit, &title)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn plan(args: PlanArgs) -> Result<ExitCode> {
    let rendered = render_repo(&args.repo.repo, args.repo.blueprints.as_ref(), args.env.as_deref(), &FileSet::new())?;
    let changes = rampart_git::plan_changes(&args.repo.repo, args.branch.as_deref(), &rendered.files, &rendered.owned)?;
    if changes.is_empty() {
        println!("no changes: `rampart render` would commit nothing");
        return Ok(ExitCode::SUCCESS);
    }
    for change in &changes {
        let old = String::from_utf8_lossy(change.old.as_deref().unwrap_or_default());
        let new = String::from_utf8_lossy(change.new.as_deref().unwrap_or_default());
        let (a, b) = match change.kind() {
            ChangeKind::Added => ("/dev/null".to_string(), format!("b/{}", change.path)),
            ChangeKind::Deleted => (format!("a/{}", change.path), "/dev/null".to_string()),
            ChangeKind::Modified => (format!("a/{}", change.path), format!("b/{}", change.path)),
        };
        print!("{}", similar::TextDiff::from_lines(old.as_ref(), new.as_ref()).unified_diff().context_radius(3).header(&a, &b));
    }
    println!("\n{} file(s) would change", changes.len());
    Ok(ExitCode::SUCCESS)
}

fn scope(rendered: &Rendered, env: Option<&str>) -> String {
    let names: Vec<&str> = rendered.inputs.requests.iter().map(|r| r.request.name.as_str()).collect();
    let ns = match names.len() {
        0 => "no namespaces".to_string(),
        1..=3 => names.join(", "),
        n => format!("{n} namespaces"),
    };
    let envs = match env {
        Some(e) => e.to_string(),
        None => rendered.inputs.config.environments.join(", "),
    };
    format!("{ns} ({envs})")
}

/// `clusters/<env>/namespaces/<ns>` of every change, or the changed input files.
fn touched_namespaces(changes: &[rampart_git::Change]) -> BTreeSet<String> {
    changes
        .iter()
        .map(|c| {
            let parts: Vec<&str> = c.path.splitn(5, '/').collect();
            match parts.as_slice() {
                ["clusters", env, "namespaces", ns, _] => format!("clusters/{env}/namespaces/{ns}/"),
                _ => c.path.clone(),
            }
        })
        .collect()
}

fn commit_message(title: &str, changes: &[rampart_git::Change]) -> String {
    let mut message = format!("{title}\n\nGenerated by rampart {}.\n\n", env!("CARGO_PKG_VERSION"));
    for path in touched_namespaces(changes) {
        message.push_str(&format!("- {path}\n"));
    }
    message
}
