//! What `rampart serve` is told: the service's options, and the Lease that decides the
//! active replica in a cluster.

use crate::error::{Context, Result};
use crate::lease::LeaseLock;
use crate::pass::Source;
use crate::schedule::Timing;
use crate::watch::WatchSettings;
use std::net::SocketAddr;
use std::time::Duration;

/// Everything `rampart serve` is told.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Repository, blueprints, lock wait, concurrency.
    pub source: Source,
    /// Where `/healthz`, `/readyz` and `/metrics` listen.
    pub listen: SocketAddr,
    /// How often the inputs are read again (and the base branch fetched).
    pub refresh_interval: Duration,
    /// Jitter, follow and retry intervals.
    pub timing: Timing,
    /// How long a standby instance waits between tries of the instance lock.
    pub standby_retry: Duration,
    /// How long the pass in flight may take to finish after SIGTERM.
    pub grace: Duration,
    /// In a cluster: the Lease that decides the active replica (else the lock file).
    pub lease: Option<LeaseSettings>,
    /// Where the pins on the base branch are followed until live (no watch without a
    /// kubeconfig or in-cluster credentials).
    pub watch: WatchSettings,
}

/// Which Lease, and how long a claim lasts.
#[derive(Debug, Clone)]
pub struct LeaseSettings {
    /// The Lease's namespace (the service's own).
    pub namespace: String,
    /// The Lease's name.
    pub name: String,
    /// How long a claim lasts without renewal (renewed every third of it).
    pub duration: Duration,
}

impl LeaseSettings {
    /// The Lease through the in-cluster configuration (or the kubeconfig outside one),
    /// held as the pod's name (`HOSTNAME`).
    pub async fn connect(&self) -> Result<LeaseLock> {
        let config = kube::Config::infer().await.context(
            "--lease: cannot find the Kubernetes API (in-cluster service account or kubeconfig)",
        )?;
        let client = kube::Client::try_from(config)
            .context("--lease: cannot build the Kubernetes client")?;
        let identity = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| format!("rampart-serve-{}", std::process::id()));
        Ok(LeaseLock::new(
            client,
            &self.namespace,
            &self.name,
            &identity,
            self.duration,
        ))
    }
}
