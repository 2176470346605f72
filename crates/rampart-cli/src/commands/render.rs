//! `rampart render` and `rampart plan`.

use super::cluster_config::{cluster_dir, cluster_files};
use super::{EXIT_DRIFT, author};
use crate::cli::{CommitArgs, DeliveryArgs, PlanArgs, RenderArgs};
use crate::inputs::{self, Inputs, SPECS_DIR};
use crate::output::{out, outln};
use crate::render_cache::{Fingerprints, RenderCache, fingerprints};
use anyhow::Result;
use rampart_git::{ChangeKind, CommitOutcome, CommitRequest, DriftKind, FileSet, Message, Oid};
use rampart_render::Prior;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// What a render would commit: input files plus generated files, and the directories whose
/// every file is generated (or read) by this run.
pub struct Rendered {
    /// Input and generated files. Inputs are as read from the work tree, so comparing this
    /// set with the work tree finds only generated files that drifted.
    pub files: FileSet,
    /// How many of `files` are generated.
    pub generated: usize,
    /// Prefixes owned by this run: files under them that are not in `files` go away.
    pub owned: Vec<String>,
    /// Inputs as loaded.
    pub inputs: Inputs,
    /// The render cache and the fingerprints of what was rendered, stored after a commit.
    cache: Option<(RenderCache, Fingerprints)>,
}

impl Rendered {
    /// Records what was rendered in the render cache, once its blobs are in the object
    /// database (committed, or built into a delivered commit).
    pub fn store_cache(&mut self) {
        if let Some((cache, fps)) = self.cache.take() {
            cache.store(&fps, &self.files);
        }
    }
}

/// Whether a render may reuse namespaces from the local render cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheUse {
    /// Reuse unchanged namespaces and record new ones after a commit.
    ReadWrite,
    /// Render everything (for `--check`, which must judge the files independently).
    Ignore,
}

/// Loads the inputs (with `pending` files added) and renders them.
pub fn render_repo(
    repo: &Path,
    blueprints: Option<&PathBuf>,
    only_env: Option<&str>,
    pending: &FileSet,
    cache: CacheUse,
) -> Result<Rendered> {
    let started = Instant::now();
    let inputs = Inputs::load(repo, pending)?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "inputs loaded"
    );
    render_inputs(repo, inputs, blueprints, only_env, cache)
}

/// Renders inputs already loaded (from the work tree or a commit): the namespaces and the
/// cluster files of the environments selected, and the prefixes they own.
pub fn render_inputs(
    repo: &Path,
    mut inputs: Inputs,
    blueprints: Option<&PathBuf>,
    only_env: Option<&str>,
    cache: CacheUse,
) -> Result<Rendered> {
    let started = Instant::now();
    let environments = inputs.selected(only_env)?;
    let blueprint = inputs::blueprint(blueprints)?;
    let cache = match cache {
        CacheUse::Ignore => None,
        CacheUse::ReadWrite => RenderCache::load(repo),
    };
    let cache = cache.zip(fingerprints(
        &blueprint,
        &environments,
        &inputs.requests,
        &inputs.files,
    ));
    let prior = match &cache {
        Some((cache, fps)) => cache.prior(repo, fps),
        None => Prior::new(),
    };
    tracing::info!(reused = prior.len(), "render cache read");
    let mut generated =
        rampart_render::render_repository(&blueprint, &inputs.requests, &environments, &prior)?;
    let mut owned = Vec::with_capacity(2 * environments.len() + 1);
    for env in &environments {
        owned.push(format!("clusters/{}/namespaces/", env.name));
        let dir = cluster_dir(&env.name);
        for (path, bytes) in cluster_files(env, &inputs.config)? {
            generated.insert(format!("{dir}{path}"), bytes);
        }
        owned.push(dir);
    }
    owned.push(format!("{SPECS_DIR}/"));
    tracing::info!(
        requests = inputs.requests.len(),
        environments = environments.len(),
        files = generated.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "rendered"
    );
    let generated_count = generated.len();
    let mut files = std::mem::take(&mut inputs.files);
    files.extend(generated);
    Ok(Rendered {
        files,
        generated: generated_count,
        owned,
        inputs,
        cache,
    })
}

/// What `render` and `new` hand over to be committed or delivered.
pub struct Job<'a> {
    /// The GitOps repository.
    pub repo: &'a Path,
    /// The work tree's input files (with pending ones), as [`inputs::read_worktree`] read them.
    pub local: FileSet,
    /// `local`, validated.
    pub inputs: Inputs,
    /// A blueprint directory instead of the built-in one.
    pub blueprints: Option<&'a PathBuf>,
    /// The one environment to render, else all.
    pub env: Option<&'a str>,
    /// Commit (and pull request) title.
    pub title: &'a str,
    /// Where the branch was when `local` was read; a local commit is refused if it moved.
    pub read_at: Option<rampart_git::Tip>,
}

/// Renders and commits locally, or delivers (push, pull request) as the flags and
/// rampart.yaml say; a delivery renders onto the fetched remote branch instead of locally.
/// Returns whether it was delivered rather than committed locally.
pub fn commit_or_deliver(job: Job<'_>, args: &CommitArgs, delivery: &DeliveryArgs) -> Result<bool> {
    let config = job.inputs.config.delivery.clone();
    let mode = crate::delivery::mode(delivery, &config);
    if mode == rampart_model::delivery::DeliveryMode::Commit {
        if config.signing.is_some() {
            eprintln!(
                "warning: delivery.signing applies to delivered commits (--push, --pr) only; this local commit is not signed"
            );
        }
        let rendered = render_inputs(
            job.repo,
            job.inputs,
            job.blueprints,
            job.env,
            CacheUse::ReadWrite,
        )?;
        commit(job.repo, rendered, args, job.title, job.read_at.as_ref())?;
        return Ok(false);
    }
    if args.branch.is_some() && mode == rampart_model::delivery::DeliveryMode::PullRequest {
        return Err(crate::delivery::invalid(
            "--branch does not go with pull-request delivery: pull requests come from a rampart/… branch and target delivery.baseBranch of rampart.yaml (to push onto a branch of your choice, use --push --branch NAME)",
        ));
    }
    let author = author(args, Some(&job.inputs.config))?;
    crate::delivery::deliver(&crate::delivery::Delivered {
        repo: job.repo,
        local: &job.local,
        blueprints: job.blueprints,
        title: job.title,
        author: author.as_ref(),
        env: job.env,
        mode,
        branch: args.branch.as_deref(),
        config: &config,
    })?;
    Ok(true)
}

/// Commits a render and prints what happened.
/// `read_at`: where the branch was when the inputs were read (see [`Job::read_at`]).
pub fn commit(
    repo: &Path,
    mut rendered: Rendered,
    args: &CommitArgs,
    title: &str,
    read_at: Option<&rampart_git::Tip>,
) -> Result<()> {
    let author = author(args, Some(&rendered.inputs.config))?;
    let branch = args.branch.as_deref();
    let started = Instant::now();
    let describe = |changes: &[rampart_git::Change]| commit_message(title, changes);
    let request = CommitRequest {
        branch,
        files: &rendered.files,
        owned_prefixes: &rendered.owned,
        message: Message::Describe(&describe),
        author: author.as_ref(),
        read_at,
    };
    let outcome = rampart_git::commit_files(repo, &request)?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "committed"
    );
    // The blobs are in the object database now, so the cache may point at them.
    rendered.store_cache();
    let checked_out = match branch {
        None => true,
        Some(b) => rampart_git::current_branch(repo)?.as_deref() == Some(b),
    };
    if checked_out {
        // The branch now holds the rendered files: undo hand edits in the work tree too.
        let started = Instant::now();
        for repaired in
            rampart_git::restore_worktree(repo, &rendered.files, &output_prefixes(&rendered))?
        {
            outln!("restored {}", inputs::display(repo, &repaired.path));
        }
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "work tree checked"
        );
    }
    match outcome {
        CommitOutcome::Unchanged => {
            outln!("up to date: rendered output matches the branch, nothing committed")
        }
        CommitOutcome::Committed {
            commit,
            branch,
            changes,
        } => {
            let short = &commit.to_string()[..10];
            outln!(
                "committed {short} on {branch}: {} file(s) changed",
                changes.len()
            );
            print_list(&touched_namespaces(&changes));
        }
    }
    Ok(())
}

/// Prints at most 20 entries of a long list, then how many more there are.
fn print_list(items: &BTreeSet<String>) {
    const SHOWN: usize = 20;
    for item in items.iter().take(SHOWN) {
        outln!("  {item}");
    }
    if items.len() > SHOWN {
        outln!("  … and {} more", items.len() - SHOWN);
    }
}

/// The owned prefixes that hold generated files (not the requests).
fn output_prefixes(rendered: &Rendered) -> Vec<String> {
    rendered
        .owned
        .iter()
        .filter(|p| !p.starts_with(SPECS_DIR))
        .cloned()
        .collect()
}

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
        let title = format!("rampart: render {}", scope(&inputs, args.env.as_deref()));
        let job = Job {
            repo,
            local,
            inputs,
            blueprints: args.repo.blueprints.as_ref(),
            env: args.env.as_deref(),
            title: &title,
            read_at,
        };
        commit_or_deliver(job, &args.commit, &args.delivery)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rendered = render_repo(
        repo,
        args.repo.blueprints.as_ref(),
        args.env.as_deref(),
        &FileSet::new(),
        CacheUse::Ignore,
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
            Some(_) => rendered.files[&change.path].as_slice(),
            None => &[],
        };
        let old = String::from_utf8_lossy(&old_bytes);
        let new = String::from_utf8_lossy(new_bytes);
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

fn scope(inputs: &Inputs, env: Option<&str>) -> String {
    let names: Vec<&str> = inputs
        .requests
        .iter()
        .map(|r| r.request.name.as_str())
        .collect();
    let ns = match names.len() {
        0 => "no namespaces".to_string(),
        1..=3 => names.join(", "),
        n => format!("{n} namespaces"),
    };
    let envs = match env {
        Some(e) => e.to_string(),
        None => inputs.config.environments.join(", "),
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
                ["clusters", env, "namespaces", ns, _] => {
                    format!("clusters/{env}/namespaces/{ns}/")
                }
                ["clusters", env, "cluster", ..] => cluster_dir(env),
                _ => c.path.clone(),
            }
        })
        .collect()
}

fn commit_message(title: &str, changes: &[rampart_git::Change]) -> String {
    const LISTED: usize = 100;
    let mut message = format!(
        "{title}\n\nGenerated by rampart {}.\n\n",
        env!("CARGO_PKG_VERSION")
    );
    let touched = touched_namespaces(changes);
    for path in touched.iter().take(LISTED) {
        message.push_str(&format!("- {path}\n"));
    }
    if touched.len() > LISTED {
        message.push_str(&format!("- … and {} more\n", touched.len() - LISTED));
    }
    message
}
