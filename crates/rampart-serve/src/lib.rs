//! `rampart serve`: the rotation service. It keeps every secret's rotation schedule
//! (re-read from the repository on an interval, so a schedule changed in Git applies
//! without a restart), rotates what comes due through the rotation engine with jitter,
//! bounded concurrency and back-off, and delivers the new pins through the same path as
//! `rampart rotate`. One instance per repository is active (a lock beside the repository
//! lock; the others wait on standby). `/healthz`, `/readyz` and `/metrics` are served on
//! one port. SIGTERM or SIGINT: nothing new starts, the pass in flight finishes (within the
//! grace period), and the process exits 0.
//!
//! With a kubeconfig (or in a pod) the service also follows the pins on the base branch
//! into its environment's cluster until they are live ([`watch`]); [`LivePins`] answers,
//! per (environment, namespace, secret), which version is pinned, whether it is live and
//! since when.

mod connections;
pub mod error;
mod http;
#[cfg(test)]
mod http_tests;
mod instance;
mod lease;
mod live_pins;
mod metrics;
mod open_files;
mod options;
mod pass;
mod readiness;
mod retire;
mod schedule;
mod service;
mod stop;
pub mod watch;

pub use error::{Error, Result};
pub use lease::{Held, LeaseLock};
pub use live_pins::{Landed, LivePins, PinKey, PinLiveness};
pub use metrics::{Metrics, SecretGauges};
pub use options::{LeaseSettings, ServeOptions};
pub use pass::Source;
pub use readiness::{Observed, Readiness};
pub use schedule::{Schedule, Timing, jitter};
pub use service::run;

use crate::error::Context;
use std::path::{Path, PathBuf};

/// The checkout a containerised service works in: `<workdir>/repo`, cloned from `url` on
/// first start and reused afterwards (the service fetches the base branch itself). An
/// HTTPS remote is read with the token in `token_file`, else in `RAMPART_GIT_TOKEN` when
/// set; SSH with the agent and `~/.ssh/known_hosts`.
pub fn prepare_clone(url: &str, workdir: &Path, token_file: Option<&Path>) -> Result<PathBuf> {
    let repo = workdir.join("repo");
    if repo.join(".git").exists() {
        tracing::info!(repo = %repo.display(), "using the existing clone");
        return Ok(repo);
    }
    std::fs::create_dir_all(workdir)
        .with_context(|| format!("cannot create the work directory {}", workdir.display()))?;
    let token = match (token_file, std::env::var_os("RAMPART_GIT_TOKEN")) {
        (Some(file), _) => Some(rampart_git::Secret::from_file(file)?),
        (None, Some(_)) => Some(rampart_git::Secret::from_env("RAMPART_GIT_TOKEN")?),
        (None, None) => None,
    };
    let creds = rampart_git::Credentials {
        token,
        ssh_key_file: None,
        host_keys: rampart_git::HostKeyPolicy::UserKnownHosts,
    };
    rampart_git::clone_repository(url, &repo, &creds)
        .with_context(|| format!("cannot clone {}", rampart_git::redact_url(url)))?;
    tracing::info!(repo = %repo.display(), "cloned");
    Ok(repo)
}
