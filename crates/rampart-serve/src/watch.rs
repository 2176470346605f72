//! Following the pins on the base branch into the cluster: every `interval`, the
//! ExternalSecrets the base branch's commit renders for the service's environment and the
//! workloads mounting their Secrets are read (one GET each, the reads `rampart status`
//! makes, through the same [`rampart_kube::read_secret_statuses`]), and [`LivePins`] and
//! the `rampart_pin_live`, `rampart_pin_not_live_seconds` and
//! `rampart_rotation_to_live_seconds` series are updated.
//!
//! A periodic read rather than a kube watch stream: the set of objects follows the base
//! branch (it changes with every merge), the objects are few (one ExternalSecret and its
//! workloads per secret), a rollout takes minutes, and a GET needs no runtime feature of
//! kube beyond the client the service already builds.

use crate::error::{Context, Result, with_causes};
use crate::live_pins::{LivePins, PinKey};
use crate::metrics::Metrics;
use chrono::{DateTime, Utc};
use kube::Client;
use rampart_kube::ClusterError;
use rampart_kube::status::{RenderedNamespace, rendered_namespaces};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How `rampart serve` reaches the cluster it follows its pins into.
#[derive(Debug, Clone)]
pub struct WatchSettings {
    /// A kubeconfig (default: `$KUBECONFIG`, then `~/.kube/config`) when `--kubeconfig` or
    /// `--context` is given; else the in-cluster service account, when in a pod.
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: its current one). Without `--env`, its name is the
    /// environment followed (as for `rampart status`).
    pub context: Option<String>,
    /// How often the cluster is read.
    pub interval: Duration,
}

/// The client and the environment to follow, or why there is no watch (said once in the
/// log by the caller).
pub async fn connect(
    settings: &WatchSettings,
    env: Option<&str>,
) -> Result<(Client, String), String> {
    if settings.kubeconfig.is_some() || settings.context.is_some() {
        let (client, context) =
            rampart_kube::connect(settings.kubeconfig.as_deref(), settings.context.as_deref())
                .await
                .map_err(|e| with_causes(&e))?;
        return Ok((client, env.map_or(context, str::to_owned)));
    }
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_none() {
        return Err("neither --kubeconfig nor --context given, and not in a cluster".to_owned());
    }
    let Some(env) = env else {
        return Err("in a cluster without --env: which environment it is is unknown".to_owned());
    };
    let config = kube::Config::incluster().map_err(|e| format!("in-cluster configuration: {e}"))?;
    let client = Client::try_from(config).map_err(|e| format!("Kubernetes client: {e}"))?;
    Ok((client, env.to_owned()))
}

/// The namespaces `commit` renders for `environment` (read from `clusters/<env>/namespaces/`).
pub fn rendered_at(
    repo: &Path,
    commit: rampart_git::Oid,
    environment: &str,
) -> Result<Vec<RenderedNamespace>> {
    let dir = format!("clusters/{environment}/namespaces/");
    let files = rampart_git::read_commit_files(repo, commit, &[dir.as_str()])?;
    rendered_namespaces(
        environment,
        files.iter().map(|(p, c)| (p.as_str(), c.as_slice())),
    )
    .with_context(|| format!("the rendered files of {environment} at {commit}"))
}

/// One look at the cluster: the live state of every secret `rendered` holds, taken into
/// `pins` (and the metrics) as of `now`.
pub async fn watch_once(
    client: &Client,
    environment: &str,
    rendered: &[RenderedNamespace],
    pins: &Mutex<LivePins>,
    metrics: &Metrics,
    now: DateTime<Utc>,
) -> Result<(), ClusterError> {
    let mut seen = Vec::with_capacity(rendered.len());
    for namespace in rendered {
        let statuses = rampart_kube::read_secret_statuses(client, namespace).await?;
        seen.push((namespace.namespace.clone(), statuses));
    }
    let mut pins = pins.lock().unwrap_or_else(|e| e.into_inner());
    for landed in pins.observe(environment, &seen, now) {
        tracing::info!(
            environment = %landed.key.environment,
            namespace = %landed.key.namespace,
            secret = %landed.key.secret,
            seconds = landed.took.as_secs(),
            "the rotated version is live"
        );
        metrics.rotation_live(&landed.key.environment, landed.took);
    }
    metrics.set_pins(&pins, now);
    Ok(())
}

/// What the service's loop and the watch share.
#[derive(Debug, Default)]
pub struct Followed {
    /// The base branch's commit the inputs were last read from (set on every refresh).
    pub base: Mutex<Option<rampart_git::Oid>>,
    /// Every followed pin's state.
    pub pins: Mutex<LivePins>,
}

impl Followed {
    /// The service wrote a new version of the secret `id` at `at`.
    pub fn written(&self, id: &rampart_rotate::SecretId, at: DateTime<Utc>) {
        let key = PinKey {
            environment: id.environment.clone(),
            namespace: id.namespace.clone(),
            secret: id.secret.clone(),
        };
        self.pins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .written(key, at);
    }
}

/// Reads the cluster every `interval` until the task is dropped.
pub async fn run(
    client: Client,
    environment: String,
    repo: PathBuf,
    interval: Duration,
    followed: Arc<Followed>,
    metrics: Arc<crate::readiness::Observed>,
) {
    let mut warned = false;
    loop {
        let base = *followed.base.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(commit) = base {
            let (repo, env) = (repo.clone(), environment.clone());
            let rendered =
                tokio::task::spawn_blocking(move || rendered_at(&repo, commit, &env)).await;
            let result = match rendered {
                Ok(Ok(rendered)) => watch_once(
                    &client,
                    &environment,
                    &rendered,
                    &followed.pins,
                    &metrics.metrics,
                    Utc::now(),
                )
                .await
                .map_err(|e| with_causes(&e)),
                Ok(Err(e)) => Err(with_causes(&e)),
                Err(e) => Err(e.to_string()),
            };
            match result {
                Ok(()) => warned = false,
                Err(error) if !warned => {
                    tracing::warn!(%error, "cannot follow the pins into the cluster; retrying");
                    warned = true;
                }
                Err(_) => {}
            }
        }
        tokio::time::sleep(interval).await;
    }
}
