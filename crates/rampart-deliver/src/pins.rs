//! Delivering new pins after a rotation, for `rampart rotate` and `rampart serve`: only each
//! rotated secret's `version` changes in its request, then the namespaces are rendered and
//! committed or delivered like any render, in one commit (or pull request) per run.

use crate::Title;
use crate::error::{Error, Result};
use crate::inputs::Inputs;
use crate::job::{Job, commit_or_deliver};
use crate::{CommitOptions, Reporter};
use rampart_git::FileSet;
use rampart_model::delivery::DeliveryMode;
use rampart_rotate::Planned;
use std::path::{Path, PathBuf};

/// One new pin: the planned secret, the version Git pinned and the new one.
pub type Pin<'a> = (&'a Planned, &'a str, &'a str);

/// The new pins among the engine's `results` for `planned` (in the same order): every
/// secret rotated, resumed or followed, with the version Git pinned and the new one.
pub fn new_pins<'a>(
    planned: &'a [Planned],
    results: &'a [Result<rampart_rotate::Outcome, rampart_rotate::RotateError>],
) -> Vec<Pin<'a>> {
    planned
        .iter()
        .zip(results)
        .filter_map(|(p, r)| {
            let (old, new) = r.as_ref().ok()?.new_pin()?;
            Some((p, old, new))
        })
        .collect()
}

/// What to deliver, and how.
pub struct PinDelivery<'a> {
    /// The GitOps repository.
    pub repo: &'a Path,
    /// The input files the secrets were planned from.
    pub local: &'a FileSet,
    /// `local`, validated.
    pub inputs: &'a Inputs,
    /// The new pins.
    pub pins: &'a [Pin<'a>],
    /// The mode asked for (`--delivery`), else [`delivery_mode`] decides.
    pub mode: Option<DeliveryMode>,
    /// `--branch`, `--author`.
    pub options: &'a CommitOptions,
    /// A blueprint directory instead of the built-in one.
    pub blueprints: Option<&'a PathBuf>,
    /// The one environment rendered, if only one.
    pub env: Option<&'a str>,
    /// The branch topic of a pushed or proposed delivery (one per selection of secrets).
    pub topic: &'a str,
    /// Where the branch was when `local` was read (local commits only).
    pub read_at: Option<rampart_git::Tip>,
    /// The commit `local` was read from, when not the work tree.
    pub inputs_from: Option<rampart_git::Oid>,
}

/// Writes the pins into the requests, renders and commits or delivers them. Returns whether
/// the change went to the remote (else it was committed locally).
pub fn deliver_pins(d: PinDelivery<'_>, report: Reporter<'_>) -> Result<bool> {
    let started = std::time::Instant::now();
    let environments: Vec<&str> = d
        .inputs
        .config
        .environments
        .iter()
        .map(String::as_str)
        .collect();
    let pins: Vec<(&Planned, &str)> = d.pins.iter().map(|(p, _, new)| (*p, *new)).collect();
    let edited =
        rampart_rotate::pin_versions(d.local, &environments, &pins).map_err(Error::Failed)?;
    let inputs = Inputs::from_files(d.repo, &edited)?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        pins = pins.len(),
        "pins written and the requests validated"
    );
    let mode = d.mode.unwrap_or_else(|| delivery_mode(&inputs, d.pins));
    let title = summary(d.pins);
    let job = Job {
        repo: d.repo,
        local: edited,
        inputs,
        blueprints: d.blueprints,
        env: d.env,
        title: Title::Fixed(&title),
        read_at: d.read_at,
        topic: Some(d.topic),
        inputs_from: d.inputs_from,
    };
    commit_or_deliver(job, d.options, Some(mode), report)
}

/// The environments' `secretStores.rotation.delivery` (else rampart.yaml's mode); over
/// environments that differ, the most reviewed one: pull-request over push over commit.
pub fn delivery_mode(inputs: &Inputs, pins: &[Pin<'_>]) -> DeliveryMode {
    let repo_default = inputs.config.delivery.mode;
    pins.iter()
        .filter_map(|(p, _, _)| {
            inputs
                .environments
                .iter()
                .find(|e| e.name == p.id.environment)
        })
        .map(|env| env.secret_stores.rotation_delivery(repo_default))
        .max_by_key(|mode| reviewed(*mode))
        .unwrap_or(repo_default)
}

/// Whether any environment delivers rotations to the remote (push or pull request), so
/// that the pins in force are those of the remote's base branch.
pub fn delivers_to_remote(inputs: &Inputs) -> bool {
    let repo_default = inputs.config.delivery.mode;
    std::iter::once(repo_default)
        .chain(
            inputs
                .environments
                .iter()
                .map(|env| env.secret_stores.rotation_delivery(repo_default)),
        )
        .any(|mode| mode != DeliveryMode::Commit)
}

fn reviewed(mode: DeliveryMode) -> u8 {
    match mode {
        DeliveryMode::Commit => 0,
        DeliveryMode::Push => 1,
        DeliveryMode::PullRequest => 2,
    }
}

/// Commit title (first line) and the list of what changed: namespace, secret,
/// environment, old → new version; never a value.
pub fn summary(pins: &[Pin<'_>]) -> String {
    let mut envs: Vec<&str> = pins
        .iter()
        .map(|(p, _, _)| p.id.environment.as_str())
        .collect();
    envs.sort_unstable();
    envs.dedup();
    let mut text = format!(
        "rampart: rotate {} secret{} ({})\n",
        pins.len(),
        if pins.len() == 1 { "" } else { "s" },
        envs.join(", ")
    );
    text.push('\n');
    for (p, old, new) in pins {
        text.push_str(&format!(
            "- {}/{} ({}): version {old} → {new}\n",
            p.id.namespace, p.id.secret, p.id.environment
        ));
    }
    text.trim_end().to_owned()
}
