//! The service's loop: become the active instance, read the inputs on an interval, inspect
//! new secrets, run a pass whenever secrets come due, retire previous credentials once
//! their successors are live, keep the metrics, stop on a signal.

use crate::connections::{self, Connections};
use crate::error::{Context, Result, with_causes};
use crate::http;
use crate::instance::{Instance, become_active};
use crate::live_pins::PinKey;
use crate::metrics::SecretGauges;
use crate::open_files;
use crate::options::ServeOptions;
use crate::pass;
use crate::readiness::Observed;
use crate::retire;
use crate::schedule::{Passed, Schedule, Timing};
use crate::stop::Stop;
use crate::watch::{self, Followed};
use chrono::Utc;
use rampart_rotate::{BackendErrorKind, Outcome, Planned, RotateError, SecretId};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// Runs the service until SIGTERM or SIGINT. Errors only for what makes it unable to start
/// (the port taken, no async runtime).
pub fn run(options: ServeOptions) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(serve(options));
    // A pass still running after the grace period is left behind (dropping the runtime
    // would wait for it): the process ends, and the next run completes the rotation.
    runtime.shutdown_timeout(Duration::from_millis(200));
    result
}

async fn serve(options: ServeOptions) -> Result<()> {
    let observed = Arc::new(Observed::default());
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {} (--listen)", options.listen))?;
    let open_files = open_files::raise_to_hard_limit();
    let connections = Connections::new(open_files.map_or(1024, connections::cap_for));
    tracing::info!(
        listen = %options.listen,
        open_files = open_files.unwrap_or(u64::MAX),
        max_connections = connections.cap(),
        "serving /healthz, /readyz and /metrics"
    );
    let server = tokio::spawn(http::serve(listener, observed.clone(), connections));
    let followed = Arc::new(Followed::default());
    let watcher = follow_pins(&options, &followed, &observed).await;
    let mut stop = Stop::new()?;
    let lease = match &options.lease {
        Some(settings) => Some(Arc::new(settings.connect().await?)),
        None => None,
    };
    // Active until stopped; back to standby if the Lease is lost.
    loop {
        let Some(instance) = become_active(&options, lease.as_ref(), &observed, &mut stop).await?
        else {
            break;
        };
        observed.set_leader(true);
        tracing::info!("active: this instance rotates");
        let stopped = active(&options, &instance, &observed, &followed, &mut stop).await;
        observed.set_leader(false);
        instance.release().await;
        if stopped {
            break;
        }
        tracing::warn!("the Lease was lost: standby until it can be taken again");
    }
    server.abort();
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

/// Starts following the base branch's pins into the cluster, or says once why not.
async fn follow_pins(
    options: &ServeOptions,
    followed: &Arc<Followed>,
    observed: &Arc<Observed>,
) -> Option<tokio::task::JoinHandle<()>> {
    let settings = &options.watch;
    match watch::connect(settings, options.source.env.as_deref()).await {
        Ok((client, environment)) => {
            tracing::info!(
                %environment,
                every_s = settings.interval.as_secs(),
                "following the pins on the base branch into the cluster"
            );
            Some(tokio::spawn(watch::run(
                client,
                environment,
                options.source.repo.clone(),
                settings.interval,
                followed.clone(),
                observed.clone(),
            )))
        }
        Err(why) if settings.kubeconfig.is_some() || settings.context.is_some() => {
            tracing::warn!(%why, "not following the pins into the cluster");
            None
        }
        Err(why) => {
            tracing::info!(%why, "not following the pins into the cluster (no rampart_pin_live)");
            None
        }
    }
}

/// Rotates while this instance holds the lock or Lease. True when stopped by a signal,
/// false when the Lease was lost.
async fn active(
    options: &ServeOptions,
    instance: &Instance,
    observed: &Observed,
    followed: &Followed,
    stop: &mut Stop,
) -> bool {
    let mut schedule = Schedule::default();
    let mut next_refresh = tokio::time::Instant::now();
    let mut retired_for = None;
    loop {
        if !instance.holding() {
            return false;
        }
        if tokio::time::Instant::now() >= next_refresh {
            refresh(options, &mut schedule, observed, followed).await;
            next_refresh = tokio::time::Instant::now() + options.refresh_interval;
        }
        let mut due: BTreeSet<SecretId> = schedule.due(Utc::now()).into_iter().collect();
        if !due.is_empty() {
            due.extend(schedule.behind());
        }
        if !due.is_empty() && instance.holding() {
            let src = options.source.clone();
            let work = tokio::task::spawn_blocking(move || {
                pass::pass(&src, &due, &mut |event| tracing::info!(?event, "delivery"))
            });
            tokio::pin!(work);
            let report = tokio::select! {
                report = &mut work => report,
                () = stop.wait() => {
                    tracing::info!(grace_s = options.grace.as_secs(), "stopping: finishing the pass in flight");
                    match tokio::time::timeout(options.grace, &mut work).await {
                        Ok(report) => record(report, &mut schedule, observed, followed, &options.timing),
                        Err(_) => tracing::warn!("the pass in flight did not finish within the grace period; a rerun completes it"),
                    }
                    return true;
                }
            };
            record(report, &mut schedule, observed, followed, &options.timing);
            continue;
        }
        if instance.holding() {
            retire_when_live_changed(options, followed, &mut retired_for).await;
        }
        let wake = schedule
            .next_wake()
            .map(|at| (at - Utc::now()).to_std().unwrap_or_default())
            .unwrap_or(options.refresh_interval)
            .min(next_refresh.saturating_duration_since(tokio::time::Instant::now()))
            .min(instance.watch_every());
        tokio::select! {
            () = tokio::time::sleep(wake) => {}
            () = stop.wait() => return true,
        }
    }
}

/// Retires previous credentials (`retirePrevious`) when the pins the watch sees live have
/// changed since the last try; a failed backend or database is tried again next time.
async fn retire_when_live_changed(
    options: &ServeOptions,
    followed: &Followed,
    tried: &mut Option<BTreeSet<(PinKey, String)>>,
) {
    let pins = followed
        .pins
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let live = retire::live_set(&pins);
    if live.is_empty() || tried.as_ref() == Some(&live) {
        return;
    }
    let src = options.source.clone();
    match tokio::task::spawn_blocking(move || retire::retire_pass(&src, &pins)).await {
        Ok(Ok(retirements)) => {
            retire::log(&retirements);
            if !retire::failed(&retirements) {
                *tried = Some(live);
            }
        }
        Ok(Err(e)) => tracing::warn!(
            error = with_causes(&e),
            "cannot retire previous credentials; trying again"
        ),
        Err(e) => tracing::warn!(error = %e, "the retire task failed"),
    }
}

/// Reads the inputs again, takes the planned secrets into the schedule and inspects the
/// ones that are new or changed.
async fn refresh(
    options: &ServeOptions,
    schedule: &mut Schedule,
    observed: &Observed,
    followed: &Followed,
) {
    let src = options.source.clone();
    let loaded = tokio::task::spawn_blocking(move || pass::load(&src)).await;
    let loaded = match loaded {
        Ok(Ok(loaded)) => loaded,
        Ok(Err(e)) => {
            tracing::warn!(
                error = with_causes(&e),
                "cannot read the inputs; keeping the schedule"
            );
            observed.update(|r| r.repository_ready = false);
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "the read task failed");
            return;
        }
    };
    // The base branch the pins are followed on: the fetched remote one, else the local one.
    let base = loaded.commit.or_else(|| {
        let branch = loaded.inputs.config.delivery.base_branch.as_deref();
        rampart_git::branch_tip(&options.source.repo, branch)
            .ok()
            .and_then(|tip| tip.commit)
    });
    *followed.base.lock().unwrap_or_else(|e| e.into_inner()) = base;
    tracing::debug!(
        from = loaded.from,
        secrets = loaded.planned.len(),
        "inputs read"
    );
    let now = Utc::now();
    let fresh: BTreeSet<SecretId> = schedule
        .update(loaded.planned.clone(), now)
        .into_iter()
        .collect();
    let to_inspect: Vec<Planned> = loaded
        .planned
        .iter()
        .filter(|p| fresh.contains(&p.job.id))
        .cloned()
        .collect();
    let mut reachable = true;
    if !to_inspect.is_empty() {
        let concurrency = options.source.concurrency;
        let inspected = tokio::task::spawn_blocking(move || {
            let results = pass::inspect(&loaded, &to_inspect, concurrency);
            (to_inspect, results)
        })
        .await;
        if let Ok((planned, Ok(results))) = inspected {
            let now = Utc::now();
            for (p, result) in planned.iter().zip(results) {
                match result {
                    Ok(remote) => schedule.inspected(&p.job.id, &remote, &options.timing, now),
                    Err(e) => {
                        reachable &= !unreachable(&e);
                        tracing::warn!(secret = %p.job.id, error = %e, "cannot inspect");
                        schedule.failed(&p.job.id, now);
                    }
                }
            }
        }
    }
    observed.update(|r| {
        r.repository_ready = true;
        r.backends_reachable = reachable;
    });
    gauges(schedule, observed);
}

/// Takes a pass's report into the schedule and the metrics.
fn record(
    report: Result<Result<pass::PassReport>, tokio::task::JoinError>,
    schedule: &mut Schedule,
    observed: &Observed,
    followed: &Followed,
    timing: &Timing,
) {
    let now = Utc::now();
    let report = match report {
        Ok(Ok(report)) => report,
        Ok(Err(e)) => {
            tracing::warn!(error = with_causes(&e), "the pass did not run");
            for id in schedule.due(now) {
                schedule.failed(&id, now);
            }
            return;
        }
        Err(e) => {
            tracing::error!(error = %e, "the pass task failed");
            for id in schedule.due(now) {
                schedule.failed(&id, now);
            }
            return;
        }
    };
    match &report.delivery {
        None => {}
        Some(Ok(true)) => observed.metrics.delivery("delivered"),
        Some(Ok(false)) => observed.metrics.delivery("committed"),
        Some(Err(e)) => {
            tracing::warn!(error = %e, "the new pins were not delivered; retrying later");
            observed.metrics.delivery("failed");
        }
    }
    let mut reachable = true;
    for (planned, result, took) in &report.secrets {
        let backend = backend_name(planned);
        let (label, passed) = match result {
            Ok(outcome) => (
                {
                    if matches!(outcome, Outcome::Rotated { .. } | Outcome::Resumed { .. }) {
                        followed.written(&planned.job.id, now);
                    }
                    outcome_label(outcome)
                },
                Passed::Done {
                    new: outcome.new_pin().map(|(_, new)| new.to_owned()),
                },
            ),
            Err(e) => {
                reachable &= !unreachable(e);
                ("failed", Passed::Failed)
            }
        };
        observed.metrics.record(backend, label, *took);
        schedule.passed(&planned.job.id, passed, timing, now);
    }
    observed.update(|r| r.backends_reachable = reachable);
    gauges(schedule, observed);
}

/// The per-secret gauges from the schedule.
fn gauges(schedule: &Schedule, observed: &Observed) {
    let secrets: BTreeMap<SecretId, SecretGauges> = schedule
        .entries()
        .iter()
        .map(|(id, e)| {
            (
                id.clone(),
                SecretGauges {
                    backend: backend_name(&e.planned),
                    last_success: e.last_success,
                    next_due: Some(e.next_at),
                    behind: e.behind_since.is_some(),
                },
            )
        })
        .collect();
    observed.metrics.set_secrets(&secrets);
}

fn backend_name(p: &Planned) -> &'static str {
    match p.backend {
        rampart_model::secret::SecretBackend::Vault => "vault",
        rampart_model::secret::SecretBackend::Aws => "aws",
    }
}

fn outcome_label(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::UpToDate => "up_to_date",
        Outcome::Rotated { .. } => "rotated",
        Outcome::Resumed { .. } => "resumed",
        Outcome::Followed { .. } => "followed",
        Outcome::WouldRotate { .. } => "dry_run",
    }
}

/// Whether the error means a backend did not answer (as opposed to refusing, or a
/// credential missing here, which a restart does not mend either).
fn unreachable(e: &RotateError) -> bool {
    matches!(e, RotateError::Backend(b) if b.kind == BackendErrorKind::Unavailable)
}
