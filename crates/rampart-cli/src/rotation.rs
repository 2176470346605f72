//! The CLI side of rotation: runs the engine on a runtime of its own and turns its
//! results into request edits and a commit title.

use anyhow::{Context, Result};
use rampart_deliver::Inputs;
use rampart_git::FileSet;
pub use rampart_rotate::Planned;
use rampart_rotate::{Outcome, RotateError, SecretId};

/// The secrets to rotate (see [`rampart_rotate::plan`]).
pub fn plan(
    inputs: &Inputs,
    env: Option<&str>,
    secrets: &[String],
    force: bool,
) -> std::result::Result<Vec<Planned>, String> {
    rampart_rotate::plan(
        inputs
            .requests
            .iter()
            .map(|r| (r.path.as_str(), &r.request)),
        &inputs.environments,
        env,
        secrets,
        force,
    )
}

/// Runs the engine over `planned` on a current-thread runtime (the work is waiting on
/// servers, not computing).
pub fn run(
    inputs: &Inputs,
    planned: &[Planned],
    concurrency: usize,
    dry_run: bool,
    on_done: impl Fn(&SecretId, &Result<Outcome, RotateError>),
) -> Result<Vec<std::result::Result<Outcome, RotateError>>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(runtime.block_on(rampart_rotate::run(
        &inputs.environments,
        planned,
        concurrency,
        dry_run,
        on_done,
    )))
}

/// The input files with every new pin written into its request.
pub fn pin_versions(
    inputs: &Inputs,
    local: &FileSet,
    pins: &[(&Planned, &str, &str)],
) -> Result<FileSet> {
    let environments: Vec<&str> = inputs
        .config
        .environments
        .iter()
        .map(String::as_str)
        .collect();
    let pins: Vec<(&Planned, &str)> = pins.iter().map(|(p, _, new)| (*p, *new)).collect();
    rampart_rotate::pin_versions(local, &environments, &pins).map_err(anyhow::Error::msg)
}

/// Commit title (first line) and the list of what changed: namespace, secret,
/// environment, old → new version; never a value.
pub fn summary(pins: &[(&Planned, &str, &str)]) -> String {
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
