//! Whether a workload runs the pod template Git renders: the live template carries the
//! rendered `rampart.dev/pinned-versions`, the controller has observed that generation, and
//! every replica is updated and ready with none of the old ones left.

use super::PINNED_VERSIONS;
use serde::Serialize;
use serde_json::Value;

/// Where a workload's rollout stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Rollout {
    /// Every replica runs the rendered pod template and is ready.
    Rolled,
    /// The cluster does not have the workload.
    Missing,
    /// The live pod template has another `rampart.dev/pinned-versions` (Git's change has not
    /// been applied).
    OldTemplate,
    /// The controller has not yet observed the live spec (`observedGeneration`).
    NotObserved,
    /// Pods are rolling: of `replicas` wanted, `updated` run the new template, `ready` are
    /// ready, `total` exist (old ones included).
    InProgress {
        /// `spec.replicas` (default 1).
        replicas: i64,
        /// `status.updatedReplicas`.
        updated: i64,
        /// `status.readyReplicas`.
        ready: i64,
        /// `status.replicas`.
        total: i64,
    },
}

/// Kinds whose pods Rampart renders and whose rollout is followed (all in `apps/v1`).
pub const WORKLOAD_KINDS: [&str; 2] = ["Deployment", "StatefulSet"];

/// Whether `object` is a workload whose pod template mounts Secret `secret`.
pub fn mounts(object: &Value, secret: &str) -> bool {
    WORKLOAD_KINDS.contains(&object["kind"].as_str().unwrap_or_default())
        && object
            .pointer("/spec/template/spec/volumes")
            .and_then(Value::as_array)
            .is_some_and(|volumes| {
                volumes.iter().any(|v| {
                    v.pointer("/secret/secretName").and_then(Value::as_str) == Some(secret)
                })
            })
}

/// The rollout of rendered workload `git` given its `live` copy.
pub fn rollout(git: &Value, live: Option<&Value>) -> Rollout {
    let Some(live) = live else {
        return Rollout::Missing;
    };
    let annotation = |object: &Value| {
        object
            .pointer("/spec/template/metadata/annotations")
            .and_then(|a| a.get(PINNED_VERSIONS))
            .cloned()
    };
    if annotation(git) != annotation(live) {
        return Rollout::OldTemplate;
    }
    let number = |pointer: &str| live.pointer(pointer).and_then(Value::as_i64);
    let generation = number("/metadata/generation").unwrap_or(0);
    if number("/status/observedGeneration").unwrap_or(0) < generation {
        return Rollout::NotObserved;
    }
    let replicas = number("/spec/replicas").unwrap_or(1);
    let updated = number("/status/updatedReplicas").unwrap_or(0);
    let ready = number("/status/readyReplicas").unwrap_or(0);
    let total = number("/status/replicas").unwrap_or(0);
    let revisions_match = match (
        live.pointer("/status/currentRevision"),
        live.pointer("/status/updateRevision"),
    ) {
        (Some(current), Some(update)) => current == update,
        _ => true,
    };
    if updated == replicas && ready == replicas && total == replicas && revisions_match {
        Rollout::Rolled
    } else {
        Rollout::InProgress {
            replicas,
            updated,
            ready,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A StatefulSet from a custom blueprint, mounting `db-password`, as the API server
    /// reports it during and after a rolling update.
    fn stateful_set(current: &str, update: &str, updated: i64) -> (Value, Value) {
        let git = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "shop"},
            "spec": {"replicas": 3, "template": {"metadata": {"annotations": {PINNED_VERSIONS: "7e"}},
                "spec": {"volumes": [{"name": "pw", "secret": {"secretName": "db-password"}}]}}}});
        let mut live = git.clone();
        live["metadata"]["generation"] = json!(4);
        live["status"] = json!({"observedGeneration": 4, "replicas": 3, "readyReplicas": 3,
            "updatedReplicas": updated, "currentReplicas": 3 - updated,
            "currentRevision": current, "updateRevision": update});
        (git, live)
    }

    #[test]
    fn a_stateful_set_has_rolled_once_its_current_revision_is_the_update_revision() {
        // Every pod updated, but the controller has not yet moved currentRevision.
        let (git, live) = stateful_set("db-5d8f", "db-7c9b", 3);
        assert!(mounts(&git, "db-password"));
        assert!(!mounts(&git, "api-db"));
        assert_eq!(
            rollout(&git, Some(&live)),
            Rollout::InProgress {
                replicas: 3,
                updated: 3,
                ready: 3,
                total: 3
            }
        );
        let (git, live) = stateful_set("db-7c9b", "db-7c9b", 3);
        assert_eq!(rollout(&git, Some(&live)), Rollout::Rolled);
    }

    #[test]
    fn a_spec_the_controller_has_not_observed_is_not_rolled_even_if_its_counts_match() {
        let (git, mut live) = stateful_set("db-7c9b", "db-7c9b", 3);
        live["metadata"]["generation"] = json!(5);
        assert_eq!(rollout(&git, Some(&live)), Rollout::NotObserved);
        assert_eq!(rollout(&git, None), Rollout::Missing);
    }
}
