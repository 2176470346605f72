//! Small readers over Kubernetes objects held as JSON values.

use rampart_policy::Document;
use serde_json::Value;
use std::collections::BTreeMap;

/// The label that names an app (Rampart selects an app's pods by it).
pub const APP_LABEL: &str = "app.kubernetes.io/name";

/// `kind` of an object.
pub fn kind(v: &Value) -> &str {
    v["kind"].as_str().unwrap_or_default()
}

/// `metadata.name` of an object.
pub fn name(v: &Value) -> &str {
    v["metadata"]["name"].as_str().unwrap_or_default()
}

/// A string-to-string map (labels, annotations, matchLabels); other values are skipped.
pub fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect()
}

/// `kind/name` as messages show an object.
pub fn subject(v: &Value) -> String {
    format!("{}/{}", kind(v), name(v))
}

/// Where an object came from, as `file:line`.
pub fn origin(doc: &Document) -> String {
    format!("{}:{}", doc.file, doc.line)
}

/// The pod template of a workload kind, and that kind's name; `None` for other objects.
pub fn pod_template(v: &Value) -> Option<&Value> {
    let spec = &v["spec"];
    let template = match kind(v) {
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "ReplicaSet" => &spec["template"],
        "CronJob" => &spec["jobTemplate"]["spec"]["template"],
        _ => return None,
    };
    template.is_object().then_some(template)
}

/// Kinds that live outside namespaces (the ones manifests of an app ship).
pub fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition"
            | "PriorityClass"
            | "StorageClass"
            | "PersistentVolume"
            | "IngressClass"
            | "RuntimeClass"
            | "ClusterSecretStore"
            | "ClusterIssuer"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "APIService"
    )
}

/// Items of an array (none when absent).
pub fn items(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}
