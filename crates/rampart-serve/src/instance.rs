//! Which instance is the active one: the lock file beside the repository lock outside a
//! cluster, or a `coordination.k8s.io/v1` Lease (renewed in the background) in one. The
//! others wait on standby.

use crate::error::{Context, Error, Result};
use crate::lease::{Held, LeaseLock};
use crate::options::ServeOptions;
use crate::pass;
use crate::readiness::Observed;
use crate::stop::Stop;
use rampart_git::{GitError, RepoLock};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The lock file (beside the repository lock) that the active instance holds.
const INSTANCE_LOCK: &str = "serve.lock";

/// What makes this instance the active one.
pub enum Instance {
    /// The lock file beside the repository lock (outside a cluster).
    File(RepoLock),
    /// The Lease, renewed in the background; `holding` turns false once a renewal has
    /// not succeeded for two thirds of its duration, before another replica may take it.
    Lease {
        lock: Arc<LeaseLock>,
        holding: Arc<AtomicBool>,
        renewer: tokio::task::JoinHandle<()>,
    },
}

impl Instance {
    pub fn holding(&self) -> bool {
        match self {
            Instance::File(_) => true,
            Instance::Lease { holding, .. } => holding.load(Ordering::SeqCst),
        }
    }

    /// How often the loop must look at [`Instance::holding`]: a Lease can be lost at any
    /// time, the lock file only with the process.
    pub fn watch_every(&self) -> Duration {
        match self {
            Instance::File(_) => Duration::MAX,
            Instance::Lease { .. } => Duration::from_secs(1),
        }
    }

    pub async fn release(self) {
        match self {
            Instance::File(lock) => drop(lock),
            Instance::Lease { lock, renewer, .. } => {
                renewer.abort();
                if let Err(e) = lock.release().await {
                    tracing::warn!(error = %e, "cannot release the Lease; it expires by itself");
                }
            }
        }
    }
}

/// Becomes the active instance (the lock file, or the Lease when one is configured),
/// waiting on standby while another instance is active. `None` when stopped before.
pub async fn become_active(
    options: &ServeOptions,
    lease: Option<&Arc<LeaseLock>>,
    observed: &Observed,
    stop: &mut Stop,
) -> Result<Option<Instance>> {
    let repo = options.source.repo.clone();
    let mut told = false;
    loop {
        let holder = match lease {
            Some(lock) => match lock.try_acquire().await {
                Ok(Held::Mine) => return Ok(Some(renew_in_background(lock.clone()))),
                Ok(Held::Theirs(holder)) => holder,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read or take the Lease");
                    "unknown (the API server did not answer)".to_owned()
                }
            },
            None => {
                let repo = repo.clone();
                let attempt = tokio::task::spawn_blocking(move || {
                    RepoLock::acquire_named(
                        &repo,
                        INSTANCE_LOCK,
                        "rampart serve",
                        Duration::ZERO,
                        |_| {},
                    )
                })
                .await
                .context("the lock task failed")?;
                match attempt {
                    Ok(lock) => return Ok(Some(Instance::File(lock))),
                    Err(GitError::Locked { holder, .. }) => holder,
                    Err(e) => {
                        return Err(Error::Git(e).context("cannot take the instance lock"));
                    }
                }
            }
        };
        if !told {
            tracing::info!(%holder, "standby: another instance is active");
            told = true;
        }
        // A standby is ready once it can read the repository.
        let src = options.source.clone();
        let readable = tokio::task::spawn_blocking(move || pass::load(&src).is_ok())
            .await
            .unwrap_or(false);
        observed.update(|r| r.repository_ready = readable);
        tokio::select! {
            () = tokio::time::sleep(options.standby_retry) => {}
            () = stop.wait() => return Ok(None),
        }
    }
}

/// Renews the Lease every third of its duration; gives it up (as far as this instance is
/// concerned) when renewals fail for two thirds of it.
fn renew_in_background(lock: Arc<LeaseLock>) -> Instance {
    let holding = Arc::new(AtomicBool::new(true));
    let flag = holding.clone();
    let duration = lock.duration();
    let renewer_lock = lock.clone();
    let renewer = tokio::spawn(async move {
        let mut renewed = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(duration / 3).await;
            // An API server that does not answer must not hold the decision up past
            // the point where the claim may run out.
            match tokio::time::timeout(duration / 3, renewer_lock.try_acquire()).await {
                Ok(Ok(Held::Mine)) => renewed = tokio::time::Instant::now(),
                Ok(Ok(Held::Theirs(holder))) => {
                    tracing::warn!(%holder, "the Lease is held by another replica");
                    flag.store(false, Ordering::SeqCst);
                    return;
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "cannot renew the Lease"),
                Err(_) => tracing::warn!("the API server did not answer the Lease renewal in time"),
            }
            if renewed.elapsed() >= duration * 2 / 3 {
                flag.store(false, Ordering::SeqCst);
                return;
            }
        }
    });
    Instance::Lease {
        lock,
        holding,
        renewer,
    }
}
