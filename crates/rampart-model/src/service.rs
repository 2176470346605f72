//! The rotation service's own namespace (`service:` in `rampart.yaml`, and per environment
//! `service:` in `environments/<name>.yaml`): what `rampart render` needs to render the
//! namespace `rampart serve` runs in.

use crate::request::{EgressRule, Owners};
use crate::secret::{PinnedVersions, SecretBackend};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The namespace the service runs in unless `service.namespace` says otherwise.
pub const DEFAULT_NAMESPACE: &str = "rampart-system";
/// The service's app, ServiceAccount, Deployment and Lease name.
pub const APP_NAME: &str = "rampart-serve";
/// The port of `/healthz`, `/readyz` and `/metrics` (`rampart serve --listen`).
pub const METRICS_PORT: u16 = 9464;

/// `service:` in `rampart.yaml`: the same for every environment.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceConfig {
    /// Render the service's namespace (default true; `false` keeps the section but renders
    /// nothing).
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// The namespace (default `rampart-system`).
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// The team label of the namespace (default `platform`).
    #[serde(default = "default_team")]
    pub team: String,
    /// Governance labels of the namespace (the required ones of `governance`).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Groups that administer, develop or view the namespace.
    #[serde(default)]
    pub owners: Owners,
    /// The Rampart image, pinned by digest.
    pub image: String,
    /// The GitOps repository the service clones (`rampart serve --clone`): HTTPS.
    pub repository: String,
    /// The token the service pushes and calls the forge API with, from a secrets manager.
    pub git_token: GitToken,
    /// Where the Git remote and the forge API are (NetworkPolicies match addresses, not
    /// names); the secrets backends and the API server are per environment.
    #[serde(default)]
    pub egress: Vec<EgressRule>,
    /// Who scrapes `/metrics`.
    pub metrics_from: MetricsFrom,
    /// How long a pin may be on the base branch without being live in its environment
    /// before `RampartPinNotLive` fires: minutes or hours, `5m` to `168h` (default `30m`).
    #[serde(default = "default_pin_not_live_alert_after")]
    pub pin_not_live_alert_after: String,
}

impl ServiceConfig {
    /// [`ServiceConfig::pin_not_live_alert_after`] in seconds, when it is well-formed.
    pub fn pin_not_live_alert_seconds(&self) -> Option<u64> {
        alert_after_seconds(&self.pin_not_live_alert_after)
    }
}

/// `30m` or `2h` in seconds; `None` for anything else (another unit, a sign, a leading
/// zero, no number).
pub fn alert_after_seconds(text: &str) -> Option<u64> {
    let unit = match text.chars().last()? {
        'm' => 60,
        'h' => 3600,
        _ => return None,
    };
    let digits = &text[..text.len() - 1];
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

/// The Git token's place in a secrets manager; it reaches the pod through an
/// ExternalSecret, as a file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitToken {
    /// `vault` or `aws`.
    pub backend: SecretBackend,
    /// Path under the KV v2 mount, or the Secrets Manager name.
    pub remote_key: String,
    /// The key holding the token (default `token`).
    #[serde(default = "default_property")]
    pub property: String,
    /// The pinned version, for all environments or per environment.
    pub version: PinnedVersions,
}

/// The pods allowed to scrape the metrics port.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricsFrom {
    /// Their namespace.
    pub namespace: String,
    /// Their labels (empty: every pod of the namespace).
    #[serde(default)]
    pub pod_labels: BTreeMap<String, String>,
}

/// `service:` in an environment: what differs between clusters.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentService {
    /// Where this cluster's secrets backends and Kubernetes API server are.
    #[serde(default)]
    pub egress: Vec<EgressRule>,
    /// Replicas (default 2: one active, one on standby).
    #[serde(default)]
    pub replicas: Option<u32>,
    /// IAM role the service assumes for AWS Secrets Manager (web identity with a projected
    /// ServiceAccount token, audience `sts.amazonaws.com`).
    #[serde(default)]
    pub aws_role_arn: Option<String>,
}

fn enabled() -> bool {
    true
}

fn default_namespace() -> String {
    DEFAULT_NAMESPACE.to_owned()
}

fn default_team() -> String {
    "platform".to_owned()
}

fn default_pin_not_live_alert_after() -> String {
    "30m".to_owned()
}

fn default_property() -> String {
    "token".to_owned()
}
