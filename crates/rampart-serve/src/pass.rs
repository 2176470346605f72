//! The service's blocking work, run off the async loop: reading the inputs (from the
//! remote's base branch when rotations are delivered there, else from the work tree),
//! inspecting backends, and a pass that rotates the due secrets and delivers their pins in
//! one commit or pull request — the path `rampart rotate` takes.

use crate::error::{Context, Error, Result, with_causes};
use rampart_deliver::inputs::{self, INPUT_PATHS, Inputs};
use rampart_deliver::pins::{PinDelivery, deliver_pins, delivers_to_remote, new_pins};
use rampart_deliver::{CommitOptions, Event};
use rampart_git::{FileSet, RepoLock};
use rampart_rotate::{Outcome, Planned, Remote, RotateError, SecretId};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the service works.
#[derive(Debug, Clone)]
pub struct Source {
    /// The GitOps repository (a checkout).
    pub repo: PathBuf,
    /// A blueprint directory instead of the built-in one.
    pub blueprints: Option<PathBuf>,
    /// How long a pass waits for another rampart run holding the repository lock.
    pub lock_timeout: Duration,
    /// Secrets rotated at once.
    pub concurrency: usize,
    /// The one environment whose secrets are rotated (else all).
    pub env: Option<String>,
    /// The Git token's file, in place of rampart.yaml's `delivery.tokenEnv`/`tokenFile`.
    pub git_token_file: Option<PathBuf>,
}

impl Source {
    /// The branch topic of the service's deliveries: the same as `rampart rotate` with the
    /// same `--env` (or none), so both update one pull request.
    fn topic(&self) -> String {
        format!("rotate-{}", self.env.as_deref().unwrap_or("all"))
    }

    /// `inputs` with the token of `--git-token-file`, when given, as the delivery's token.
    fn with_token(&self, mut inputs: Inputs) -> Inputs {
        if let Some(file) = &self.git_token_file {
            let delivery = &mut inputs.config.delivery;
            delivery.token_env = None;
            delivery.token_file = Some(file.display().to_string());
        }
        inputs
    }
}

/// Inputs as read for one pass.
pub struct Loaded {
    /// The input files.
    pub local: FileSet,
    /// `local`, validated.
    pub inputs: Inputs,
    /// Every secret with a rotation policy, in every environment.
    pub planned: Vec<Planned>,
    /// Where they were read: `origin/main at 1a2b3c4` or `the work tree`.
    pub from: String,
    /// The fetched base branch's commit they were read from (`None`: the work tree).
    pub commit: Option<rampart_git::Oid>,
}

/// Reads the inputs: from the work tree, then — when any environment delivers rotations
/// by push or pull request and the repository has the delivery remote — from the freshly
/// fetched base branch, where the pins in force are.
pub fn load(src: &Source) -> Result<Loaded> {
    let repo = &src.repo;
    let local = inputs::read_worktree(repo, &FileSet::new())?;
    let inputs = src.with_token(Inputs::from_files(repo, &local)?);
    let remote = inputs.config.delivery.remote.as_deref().unwrap_or("origin");
    let (local, inputs, from, commit) =
        if delivers_to_remote(&inputs) && rampart_git::has_remote(repo, remote)? {
            let delivery = &inputs.config.delivery;
            let (base, tip) = rampart_deliver::delivery::fetch_base(repo, delivery)?;
            let files: FileSet = rampart_git::read_commit_files(repo, tip, INPUT_PATHS)?
                .into_iter()
                .filter(|(path, _)| inputs::is_input(path))
                .collect();
            let inputs = src.with_token(
                Inputs::from_files(repo, &files)
                    .with_context(|| format!("the inputs on {base} at {tip}"))?,
            );
            let short = tip.to_string();
            let from = format!("{remote}/{base} at {}", &short[..7]);
            (files, inputs, from, Some(tip))
        } else {
            (local, inputs, "the work tree".to_owned(), None)
        };
    let mut planned = rampart_rotate::plan(
        inputs
            .requests
            .iter()
            .map(|r| (r.path.as_str(), &r.request)),
        &inputs.environments,
        src.env.as_deref(),
        &[],
        false,
    )
    .map_err(Error::Failed)?;
    if commit.is_none() {
        // Read from the work tree: the remote base branch's pins are in force too.
        rampart_deliver::remote_pins::keep_remote_pins(repo, &inputs, &mut planned)?;
    }
    Ok(Loaded {
        local,
        inputs,
        planned,
        from,
        commit,
    })
}

/// Where each of `planned` stands in its backend.
pub fn inspect(
    loaded: &Loaded,
    planned: &[Planned],
    concurrency: usize,
) -> Result<Vec<Result<Remote, RotateError>>> {
    let runtime = runtime()?;
    Ok(runtime.block_on(rampart_rotate::inspect_all(
        &loaded.inputs.environments,
        planned,
        concurrency,
    )))
}

/// What a pass did.
pub struct PassReport {
    /// Each due secret: its plan, the engine's result and how long it took.
    pub secrets: Vec<(Planned, Result<Outcome, RotateError>, Duration)>,
    /// The delivery of the new pins: `None` when there were none, else whether it
    /// succeeded (and went to the remote) or why not.
    pub delivery: Option<Result<bool, String>>,
}

/// Rotates the `due` secrets (as planned from inputs read now, under the repository lock)
/// and delivers their new pins. `on_event` sees what the delivery did.
pub fn pass(
    src: &Source,
    due: &BTreeSet<SecretId>,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<PassReport> {
    let repo = src.repo.as_path();
    let _lock = lock(repo, src.lock_timeout)?;
    let read_at = rampart_git::branch_tip(repo, None).ok();
    let loaded = load(src)?;
    let planned: Vec<Planned> = loaded
        .planned
        .iter()
        .filter(|p| due.contains(&p.job.id))
        .cloned()
        .collect();
    let runtime = runtime()?;
    let took = std::sync::Mutex::new(std::collections::BTreeMap::new());
    let results = runtime.block_on(rampart_rotate::run(
        &loaded.inputs.environments,
        &planned,
        src.concurrency,
        false,
        |id, result, elapsed| {
            match result {
                Ok(outcome) => tracing::info!(secret = %id, outcome = outcome.label(), elapsed_ms = elapsed.as_millis() as u64, "secret done"),
                Err(e) => tracing::warn!(secret = %id, error = %e, "secret failed"),
            }
            took.lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id.clone(), elapsed);
        },
    ));
    let took = took.into_inner().unwrap_or_else(|e| e.into_inner());
    let pins = new_pins(&planned, &results);
    let delivery = if pins.is_empty() {
        None
    } else {
        let read_at = if loaded.commit.is_none() {
            read_at
        } else {
            None
        };
        let delivered = deliver_pins(
            PinDelivery {
                repo,
                local: &loaded.local,
                inputs: &loaded.inputs,
                pins: &pins,
                mode: None,
                options: &CommitOptions::default(),
                blueprints: src.blueprints.as_ref(),
                env: src.env.as_deref(),
                topic: &src.topic(),
                read_at,
                inputs_from: loaded.commit,
            },
            on_event,
        );
        Some(delivered.map_err(|e| with_causes(&e)))
    };
    let secrets = planned
        .into_iter()
        .zip(results)
        .map(|(p, r)| {
            let elapsed = took.get(&p.job.id).copied().unwrap_or_default();
            (p, r, elapsed)
        })
        .collect();
    Ok(PassReport { secrets, delivery })
}

/// The repository lock, shared with `rampart render`, `new` and `rotate`.
/// A work-tree update that a killed run left behind is finished first, so the pass reads
/// the inputs the branch holds.
pub(crate) fn lock(repo: &Path, wait: Duration) -> Result<RepoLock> {
    let lock = RepoLock::acquire(repo, "rampart serve", wait, |holder| {
        tracing::info!(%holder, "waiting for another rampart run to finish");
    })
    .context("cannot take the repository lock for a rotation pass")?;
    if let Some(recovery) = rampart_git::finish_interrupted_update(repo, &lock)? {
        tracing::warn!(
            commit = %recovery.commit,
            branch = %recovery.refname,
            outcome = ?recovery.outcome,
            restored = recovery.restored.len(),
            kept = ?recovery.kept,
            removed_lock = recovery.removed_lock.is_some(),
            removed_ref_lock = recovery.removed_ref_lock.is_some(),
            "finished the work-tree update of a rampart run that was killed"
        );
    }
    Ok(lock)
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
