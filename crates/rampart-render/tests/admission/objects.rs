//! The table: a compliant pod spec, the six kinds that carry one, and one mutation per
//! violation.

use serde_json::{Map, Value, json};

/// Every kind the policies cover.
pub const KINDS: [&str; 6] = [
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
];

/// The checks, with the VAP variable that collects offenders and the Gatekeeper kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Check {
    Privileged,
    Limits,
    Registry,
    Labels,
    ReadOnlyRoot,
    SecretEnv,
    SecretStoreIdentity,
}

impl Check {
    pub const ALL: [Check; 7] = [
        Check::Privileged,
        Check::Limits,
        Check::Registry,
        Check::Labels,
        Check::ReadOnlyRoot,
        Check::SecretEnv,
        Check::SecretStoreIdentity,
    ];

    /// The VAP variable whose emptiness the check's validation requires.
    pub fn variable(self) -> &'static str {
        match self {
            Check::Privileged => "privileged",
            Check::Limits => "withoutLimits",
            Check::Registry => "disallowedImages",
            Check::Labels => "missingLabels",
            Check::ReadOnlyRoot => "writableRootFilesystem",
            Check::SecretEnv => "secretsInEnv",
            Check::SecretStoreIdentity => "secretStoreServiceAccount",
        }
    }

    /// The Gatekeeper constraint kind of the check.
    pub fn gatekeeper_kind(self) -> &'static str {
        match self {
            Check::Privileged => "K8sRampartPrivileged",
            Check::Limits => "K8sRampartContainerLimits",
            Check::Registry => "K8sRampartAllowedRepos",
            Check::Labels => "K8sRampartRequiredLabels",
            Check::ReadOnlyRoot => "K8sRampartReadOnlyRootFilesystem",
            Check::SecretEnv => "K8sRampartNoSecretEnv",
            Check::SecretStoreIdentity => "K8sRampartNoSecretStoreIdentity",
        }
    }
}

fn container(name: &str) -> Value {
    json!({
        "name": name,
        "image": format!("registry.example.com/shop/{name}@sha256:{}", "a".repeat(64)),
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "100m", "memory": "128Mi"},
        },
        "securityContext": {
            "privileged": false,
            "readOnlyRootFilesystem": true,
            "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"]},
        },
        // Config through env is fine; only Secrets must be files.
        "env": [
            {"name": "MODE", "value": "prod"},
            {"name": "FLAGS", "valueFrom": {"configMapKeyRef": {"name": "feature-flags", "key": "flags"}}},
        ],
        "envFrom": [{"configMapRef": {"name": "settings"}}],
        "volumeMounts": [{"name": "db", "mountPath": "/var/run/secrets/db", "readOnly": true}],
    })
}

/// A pod spec that passes every check: an app container and an init container.
pub fn compliant_spec() -> Value {
    json!({
        "containers": [container("app")],
        "initContainers": [container("migrate")],
        "volumes": [{"name": "db", "secret": {"secretName": "db"}}],
    })
}

/// The pod labels of a compliant workload of namespace `shop`: the request's governance
/// labels plus the app labels.
pub fn compliant_labels() -> Map<String, Value> {
    json!({
        "app.kubernetes.io/name": "api",
        "cost-center": "cc-4711",
        "data-classification": "internal",
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

/// An object of `kind` whose pods have `spec` and `labels`.
pub fn object(kind: &str, spec: &Value, labels: &Map<String, Value>) -> Value {
    let template = json!({"metadata": {"labels": labels}, "spec": spec});
    let (api_version, body) = match kind {
        "Pod" => {
            return json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "namespace": "shop", "labels": labels}, "spec": spec});
        }
        "Deployment" | "StatefulSet" | "DaemonSet" => (
            "apps/v1",
            json!({"selector": {"matchLabels": {"app.kubernetes.io/name": "api"}}, "template": template}),
        ),
        "Job" => ("batch/v1", json!({"template": template})),
        "CronJob" => (
            "batch/v1",
            json!({"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": template}}}),
        ),
        other => panic!("no such kind {other}"),
    };
    json!({"apiVersion": api_version, "kind": kind,
        "metadata": {"name": "w", "namespace": "shop"}, "spec": body})
}

/// One row: what to change in a compliant pod, the check it must trip (or none) and a
/// word its message must name.
pub struct Case {
    pub name: &'static str,
    pub expect: Option<Check>,
    /// Ephemeral containers exist only on Pods.
    pub pod_only: bool,
    pub mention: &'static str,
    pub mutate: fn(&mut Value, &mut Map<String, Value>),
}

fn set(spec: &mut Value, path: &[&str], value: Value) {
    let mut node = spec;
    for key in &path[..path.len() - 1] {
        node = match key.parse::<usize>() {
            Ok(i) => &mut node[i],
            Err(_) => &mut node[*key],
        };
    }
    let last = path[path.len() - 1];
    match value {
        Value::Null => {
            node.as_object_mut().map(|m| m.remove(last));
        }
        v => node[last] = v,
    }
}

fn push(list: &mut Value, item: Value) {
    list.as_array_mut().expect("a list").push(item);
}

fn debug_container(spec: &mut Value, c: Value) {
    spec["ephemeralContainers"] = json!([c]);
}

fn ephemeral(name: &str) -> Value {
    let mut c = container(name);
    // Ephemeral containers cannot have resources.
    c.as_object_mut().map(|m| m.remove("resources"));
    c
}

/// The table of cases.
pub fn cases() -> Vec<Case> {
    use Check::*;
    vec![
        Case {
            name: "compliant",
            expect: None,
            pod_only: false,
            mention: "",
            mutate: |_, _| {},
        },
        Case {
            name: "compliant, without optional fields",
            expect: None,
            pod_only: false,
            mention: "",
            mutate: |s, _| {
                set(s, &["initContainers"], Value::Null);
                set(s, &["containers", "0", "env"], Value::Null);
                set(s, &["containers", "0", "envFrom"], Value::Null);
                set(
                    s,
                    &["containers", "0", "securityContext", "privileged"],
                    Value::Null,
                );
            },
        },
        Case {
            name: "compliant ephemeral container",
            expect: None,
            pod_only: true,
            mention: "",
            mutate: |s, _| {
                debug_container(s, ephemeral("debug"));
            },
        },
        Case {
            name: "privileged container",
            expect: Some(Privileged),
            pod_only: false,
            mention: "app",
            mutate: |s, _| {
                set(
                    s,
                    &["containers", "0", "securityContext", "privileged"],
                    json!(true),
                );
            },
        },
        Case {
            name: "privileged init container",
            expect: Some(Privileged),
            pod_only: false,
            mention: "migrate",
            mutate: |s, _| {
                set(
                    s,
                    &["initContainers", "0", "securityContext", "privileged"],
                    json!(true),
                );
            },
        },
        Case {
            name: "privileged ephemeral container",
            expect: Some(Privileged),
            pod_only: true,
            mention: "debug",
            mutate: |s, _| {
                let mut c = ephemeral("debug");
                c["securityContext"]["privileged"] = json!(true);
                debug_container(s, c);
            },
        },
        Case {
            name: "no limits",
            expect: Some(Limits),
            pod_only: false,
            mention: "app",
            mutate: |s, _| {
                set(s, &["containers", "0", "resources", "limits"], Value::Null);
            },
        },
        Case {
            name: "no resources at all",
            expect: Some(Limits),
            pod_only: false,
            mention: "app",
            mutate: |s, _| {
                set(s, &["containers", "0", "resources"], Value::Null);
            },
        },
        Case {
            name: "cpu limit only",
            expect: Some(Limits),
            pod_only: false,
            mention: "app",
            mutate: |s, _| {
                set(
                    s,
                    &["containers", "0", "resources", "limits", "memory"],
                    Value::Null,
                );
            },
        },
        Case {
            name: "memory limit only, init container",
            expect: Some(Limits),
            pod_only: false,
            mention: "migrate",
            mutate: |s, _| {
                set(
                    s,
                    &["initContainers", "0", "resources", "limits", "cpu"],
                    Value::Null,
                );
            },
        },
        Case {
            name: "registry prefix bypass",
            expect: Some(Registry),
            pod_only: false,
            mention: "app",
            mutate: |s, _| {
                set(
                    s,
                    &["containers", "0", "image"],
                    json!("registry.example.com.evil.io/shop/app:1"),
                );
            },
        },
        Case {
            name: "image without registry",
            expect: Some(Registry),
            pod_only: false,
            mention: "app",
            mutate: |s, _| {
                set(s, &["containers", "0", "image"], json!("nginx:1.27"));
            },
        },
        Case {
            name: "other registry, init container",
            expect: Some(Registry),
            pod_only: false,
            mention: "migrate",
            mutate: |s, _| {
                set(
                    s,
                    &["initContainers", "0", "image"],
                    json!("docker.io/library/busybox:1.36"),
                );
            },
        },
        Case {
            name: "registry as a path segment elsewhere",
            expect: Some(Registry),
            pod_only: false,
            mention: "app",
            mutate: |s, _| {
                set(
                    s,
                    &["containers", "0", "image"],
                    json!("evil.io/registry.example.com/shop/app:1"),
                );
            },
        },
        Case {
            name: "ephemeral container from another registry",
            expect: Some(Registry),
            pod_only: true,
            mention: "debug",
            mutate: |s, _| {
                let mut c = ephemeral("debug");
                c["image"] = json!("docker.io/library/busybox:1.36");
                debug_container(s, c);
            },
        },
        Case {
            name: "governance label missing",
            expect: Some(Labels),
            pod_only: false,
            mention: "cost-center",
            mutate: |_, l| {
                l.remove("cost-center");
            },
        },
        Case {
            name: "governance label empty",
            expect: Some(Labels),
            pod_only: false,
            mention: "data-classification",
            mutate: |_, l| {
                l.insert("data-classification".into(), json!(""));
            },
        },
        Case {
            name: "no labels at all",
            expect: Some(Labels),
            pod_only: false,
            mention: "cost-center",
            mutate: |_, l| {
                l.clear();
            },
        },
        Case {
            name: "readOnlyRootFilesystem false",
            expect: Some(ReadOnlyRoot),
            pod_only: false,
            mention: "app",
            mutate: |s, _| {
                set(
                    s,
                    &[
                        "containers",
                        "0",
                        "securityContext",
                        "readOnlyRootFilesystem",
                    ],
                    json!(false),
                );
            },
        },
        Case {
            name: "readOnlyRootFilesystem missing",
            expect: Some(ReadOnlyRoot),
            pod_only: false,
            mention: "app",
            mutate: |s, _| {
                set(
                    s,
                    &[
                        "containers",
                        "0",
                        "securityContext",
                        "readOnlyRootFilesystem",
                    ],
                    Value::Null,
                );
            },
        },
        Case {
            name: "init container without securityContext",
            expect: Some(ReadOnlyRoot),
            pod_only: false,
            mention: "migrate",
            mutate: |s, _| {
                set(s, &["initContainers", "0", "securityContext"], Value::Null);
            },
        },
        Case {
            name: "ephemeral container with a writable root",
            expect: Some(ReadOnlyRoot),
            pod_only: true,
            mention: "debug",
            mutate: |s, _| {
                let mut c = ephemeral("debug");
                c["securityContext"]["readOnlyRootFilesystem"] = json!(false);
                debug_container(s, c);
            },
        },
        Case {
            name: "secretKeyRef env",
            expect: Some(SecretEnv),
            pod_only: false,
            mention: "app",
            mutate: |s, _| {
                push(
                    &mut s["containers"][0]["env"],
                    json!(
                {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}),
                );
            },
        },
        Case {
            name: "envFrom secretRef",
            expect: Some(SecretEnv),
            pod_only: false,
            mention: "migrate",
            mutate: |s, _| {
                push(
                    &mut s["initContainers"][0]["envFrom"],
                    json!({"secretRef": {"name": "db"}}),
                );
            },
        },
        Case {
            name: "ephemeral container reading a Secret",
            expect: Some(SecretEnv),
            pod_only: true,
            mention: "debug",
            mutate: |s, _| {
                let mut c = ephemeral("debug");
                c["envFrom"] = json!([{"secretRef": {"name": "db"}}]);
                debug_container(s, c);
            },
        },
        Case {
            name: "own ServiceAccount",
            expect: None,
            pod_only: false,
            mention: "",
            mutate: |s, _| {
                set(s, &["serviceAccountName"], json!("api"));
                set(s, &["serviceAccount"], json!("api"));
            },
        },
        Case {
            name: "ServiceAccount merely named like a SecretStore's",
            expect: None,
            pod_only: false,
            mention: "",
            mutate: |s, _| {
                set(
                    s,
                    &["serviceAccountName"],
                    json!("secret-store-vault-reader"),
                );
            },
        },
        Case {
            name: "runs as the Vault SecretStore's ServiceAccount",
            expect: Some(SecretStoreIdentity),
            pod_only: false,
            mention: "secret-store-vault",
            mutate: |s, _| {
                set(s, &["serviceAccountName"], json!("secret-store-vault"));
            },
        },
        Case {
            name: "runs as the AWS SecretStore's ServiceAccount",
            expect: Some(SecretStoreIdentity),
            pod_only: false,
            mention: "secret-store-aws",
            mutate: |s, _| {
                set(s, &["serviceAccountName"], json!("secret-store-aws"));
            },
        },
        Case {
            name: "deprecated serviceAccount field names a SecretStore's",
            expect: Some(SecretStoreIdentity),
            pod_only: false,
            mention: "secret-store-aws",
            mutate: |s, _| {
                set(s, &["serviceAccount"], json!("secret-store-aws"));
            },
        },
    ]
}
