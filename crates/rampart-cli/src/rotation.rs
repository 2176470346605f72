//! The CLI side of rotation: runs the engine on a runtime of its own and turns its
//! results into request edits and a commit title.

use anyhow::{Context, Result};
use rampart_deliver::Inputs;
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
    on_done: impl Fn(&SecretId, &Result<Outcome, RotateError>, std::time::Duration),
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
