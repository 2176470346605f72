//! `rampart status`: what Git renders for a namespace against what the cluster runs.
//!
//! Pure: the rendered objects (from the base branch's commit) and their live copies in,
//! a [`NamespaceStatus`] out. Per object: in sync, missing or differing field by field
//! ([`compare`]). Per ExternalSecret: the version Git pins, the version in the live
//! spec, whether ESO has synced that spec (`Ready` and `syncedResourceVersion` of the
//! current generation) and whether every workload that mounts its Secret has rolled to
//! the pod template Git renders.

pub mod compare;
mod rendered;
mod report;
mod rollout;
#[cfg(test)]
mod tests;

pub use compare::FieldDiff;
pub use rendered::{RenderedNamespace, StatusError, rendered_namespaces};
pub use report::{format_text, summary};
pub use rollout::{Rollout, WORKLOAD_KINDS};

use serde::Serialize;
use serde_json::Value;

/// The pod-template annotation that changes with any pinned version.
pub const PINNED_VERSIONS: &str = "rampart.dev/pinned-versions";

/// One namespace of one environment: every object and every secret.
#[derive(Debug, Clone, Serialize)]
pub struct NamespaceStatus {
    /// The environment (`clusters/<env>/`).
    pub environment: String,
    /// The namespace.
    pub namespace: String,
    /// Every object Git renders for it, in file order.
    pub objects: Vec<ObjectStatus>,
    /// Every ExternalSecret Git renders for it.
    pub secrets: Vec<SecretStatus>,
}

impl NamespaceStatus {
    /// Everything in sync, every secret live.
    pub fn is_live(&self) -> bool {
        self.objects.iter().all(|o| o.state == ObjectState::InSync)
            && self.secrets.iter().all(SecretStatus::is_live)
    }
}

/// One rendered object against its live copy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectStatus {
    /// `Kind/name`.
    pub object: String,
    /// How the live copy compares.
    #[serde(flatten)]
    pub state: ObjectState,
}

/// How a live object compares with the rendered one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ObjectState {
    /// Every rendered field has its rendered value.
    InSync,
    /// The cluster does not have the object.
    Missing,
    /// These rendered fields are missing or different.
    Differs {
        /// The fields, in document order.
        fields: Vec<FieldDiff>,
    },
}

/// One ExternalSecret: its pinned version from Git to the pods.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretStatus {
    /// The ExternalSecret's name.
    pub name: String,
    /// The version Git pins (`remoteRef.version`).
    pub pinned: Option<String>,
    /// The version in the live ExternalSecret's spec; `None` when it is missing.
    pub live: Option<String>,
    /// The live `Ready` condition's status (`True`, `False`, `Unknown`), if any.
    pub ready: Option<String>,
    /// The `Ready` condition's reason and message when not `True`.
    pub reason: Option<String>,
    /// Whether ESO has synced the live spec's generation (`status.syncedResourceVersion`).
    pub synced: bool,
    /// When ESO last fetched the value and wrote the Secret (`status.refreshTime`).
    pub refreshed: Option<String>,
    /// Every rendered workload that mounts the Secret.
    pub workloads: Vec<WorkloadStatus>,
}

impl SecretStatus {
    /// The pinned version is in the live spec, synced and Ready, and every workload rolled.
    pub fn is_live(&self) -> bool {
        self.pinned.is_some()
            && self.live == self.pinned
            && self.ready.as_deref() == Some("True")
            && self.synced
            && self.workloads.iter().all(|w| w.rollout == Rollout::Rolled)
    }
}

/// One workload mounting a secret, and whether it runs the rendered pod template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadStatus {
    /// `Kind/name`.
    pub object: String,
    /// Where its rollout stands.
    pub rollout: Rollout,
}

/// The part of `rendered` a secret's liveness depends on: its ExternalSecrets and the
/// workloads ([`WORKLOAD_KINDS`]) whose pod templates mount their Secrets, in file order.
/// What the rotation service reads to follow its pins (and all its RBAC lets it read).
pub fn secrets_and_workloads(rendered: &RenderedNamespace) -> RenderedNamespace {
    let targets: Vec<&str> = rendered
        .objects
        .iter()
        .filter(|o| kind(o) == "ExternalSecret")
        .filter_map(|o| text(o, "/spec/target/name").or_else(|| text(o, "/metadata/name")))
        .collect();
    RenderedNamespace {
        environment: rendered.environment.clone(),
        namespace: rendered.namespace.clone(),
        objects: rendered
            .objects
            .iter()
            .filter(|o| {
                kind(o) == "ExternalSecret" || targets.iter().any(|t| rollout::mounts(o, t))
            })
            .cloned()
            .collect(),
    }
}

/// The status of one rendered namespace: `rendered` objects and their `live` copies (same
/// order, `None` when missing).
pub fn namespace_status(rendered: &RenderedNamespace, live: &[Option<Value>]) -> NamespaceStatus {
    let pairs: Vec<(&Value, Option<&Value>)> = rendered
        .objects
        .iter()
        .zip(
            live.iter()
                .map(Option::as_ref)
                .chain(std::iter::repeat(None)),
        )
        .collect();
    let objects = pairs
        .iter()
        .map(|(git, live)| ObjectStatus {
            object: object_name(git),
            state: match live {
                None => ObjectState::Missing,
                Some(live) => match compare::differing_fields(git, live).as_slice() {
                    [] => ObjectState::InSync,
                    fields => ObjectState::Differs {
                        fields: fields.to_vec(),
                    },
                },
            },
        })
        .collect();
    let secrets = pairs
        .iter()
        .filter(|(git, _)| kind(git) == "ExternalSecret")
        .map(|(git, live)| secret_status(git, *live, &pairs))
        .collect();
    NamespaceStatus {
        environment: rendered.environment.clone(),
        namespace: rendered.namespace.clone(),
        objects,
        secrets,
    }
}

fn secret_status(
    git: &Value,
    live: Option<&Value>,
    pairs: &[(&Value, Option<&Value>)],
) -> SecretStatus {
    let ready = live.and_then(|l| {
        l.pointer("/status/conditions")?
            .as_array()?
            .iter()
            .find(|c| c["type"] == "Ready")
    });
    let generation = live.and_then(|l| l.pointer("/metadata/generation")?.as_i64());
    let synced = match (
        generation,
        live.and_then(|l| text(l, "/status/syncedResourceVersion")),
    ) {
        // ESO writes `<generation>-<hash of labels and annotations>`.
        (Some(generation), Some(version)) => version
            .split_once('-')
            .is_some_and(|(g, _)| g == generation.to_string()),
        _ => false,
    };
    let target = text(git, "/spec/target/name").or_else(|| text(git, "/metadata/name"));
    let workloads = pairs
        .iter()
        .filter(|(w, _)| rollout::mounts(w, target.unwrap_or_default()))
        .map(|(w, live)| WorkloadStatus {
            object: object_name(w),
            rollout: rollout::rollout(w, *live),
        })
        .collect();
    SecretStatus {
        name: text(git, "/metadata/name").unwrap_or_default().to_owned(),
        pinned: pinned_version(git),
        live: live.and_then(pinned_version),
        ready: ready.and_then(|c| c["status"].as_str()).map(str::to_owned),
        reason: ready
            .filter(|c| c["status"] != "True")
            .map(|c| {
                let part = |key: &str| c[key].as_str().unwrap_or_default().to_owned();
                [part("reason"), part("message")]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(": ")
            })
            .filter(|r| !r.is_empty()),
        synced,
        refreshed: live
            .and_then(|l| text(l, "/status/refreshTime"))
            .map(str::to_owned),
        workloads,
    }
}

/// The version an ExternalSecret's `data` pins: one for all its keys (Rampart renders the
/// same version for every property); differing versions are listed joined by `,`.
fn pinned_version(external_secret: &Value) -> Option<String> {
    let mut versions: Vec<&str> = external_secret
        .pointer("/spec/data")?
        .as_array()?
        .iter()
        .filter_map(|d| d.pointer("/remoteRef/version")?.as_str())
        .collect();
    versions.dedup();
    (!versions.is_empty()).then(|| versions.join(","))
}

fn kind(object: &Value) -> &str {
    text(object, "/kind").unwrap_or_default()
}

fn text<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object.pointer(pointer)?.as_str()
}

fn object_name(object: &Value) -> String {
    format!(
        "{}/{}",
        kind(object),
        text(object, "/metadata/name").unwrap_or_default()
    )
}
