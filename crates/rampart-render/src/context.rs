//! The view model a blueprint renders: request and environment merged into plain data.

use crate::network::{APP_LABEL, app_traffic};
use crate::secrets::{app_secrets, pinned_versions, secret_stores};
use rampart_model::request::{ContainerResources, Probe, Protocol};
use rampart_model::{Environment, NamespaceRequest};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Labels every object of a namespace carries.
pub fn common_labels(req: &NamespaceRequest) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "app.kubernetes.io/managed-by".to_string(),
            "rampart".to_string(),
        ),
        ("app.kubernetes.io/part-of".to_string(), req.name.clone()),
        ("rampart.dev/team".to_string(), req.team.clone()),
    ])
}

/// Builds the data handed to every template of the namespace. Optional values are
/// present as `null` so that strict mode still catches misspelt names.
pub fn namespace_context(req: &NamespaceRequest, env: &Environment) -> Value {
    let labels = common_labels(req);
    let limits = req.limits.as_ref().unwrap_or(&env.defaults.limits);
    let mut quota = env.defaults.quota.clone();
    quota.extend(req.quota.clone());
    let mut traffic = app_traffic(req);
    let apps: Vec<Value> = req
        .apps
        .iter()
        .map(|app| {
            let t = traffic.remove(&app.name).unwrap_or_default();
            let mut app_labels = labels.clone();
            app_labels.insert(APP_LABEL.to_string(), app.name.clone());
            let workload = app.workload.as_ref().map(|w| {
                let port_of = |name: &str| app.ports.iter().find(|p| p.name == name).map(|p| p.port);
                let first_tcp = app.ports.iter().find(|p| p.protocol == Protocol::TCP).or(app.ports.first());
                let default_probe = |path: &str| Probe {
                    path: path.to_string(),
                    port: first_tcp.map(|p| p.name.clone()).unwrap_or_default(),
                };
                let (liveness, readiness) = match &w.probes {
                    Some(p) => (p.liveness.clone(), p.readiness.clone()),
                    None => (default_probe("/livez"), default_probe("/readyz")),
                };
                let mut pod_labels = app_labels.clone();
                pod_labels.extend(req.labels.clone());
                json!({
                    "image": w.image,
                    "replicas": w.replicas.unwrap_or(env.defaults.replicas),
                    "resources": resources(w.resources.as_ref().unwrap_or(limits)),
                    "podLabels": pod_labels,
                    "liveness": {"path": liveness.path, "port": port_of(&liveness.port)},
                    "readiness": {"path": readiness.path, "port": port_of(&readiness.port)},
                })
            });
            json!({
                "name": app.name,
                "labels": app_labels,
                "selector": {APP_LABEL: app.name},
                "ports": app.ports.iter().map(|p| json!({"name": p.name, "port": p.port, "protocol": p.protocol.as_str()})).collect::<Vec<_>>(),
                "rules": app.rules.iter().map(|r| json!({
                    "apiGroups": r.api_groups,
                    "resources": r.resources,
                    "verbs": r.verbs,
                    "resourceNames": r.resource_names,
                })).collect::<Vec<_>>(),
                "ingress": t.ingress,
                "egress": t.egress,
                "workload": workload,
                "secrets": app_secrets(app, &env.name),
                "pinnedVersions": pinned_versions(app, &env.name),
            })
        })
        .collect();
    let mut namespace_labels = labels.clone();
    namespace_labels.extend(req.labels.clone());
    json!({
        "namespace": {
            "name": req.name,
            "team": req.team,
            "description": req.description,
            "labels": namespace_labels,
            "protectFromPrune": !env.namespace_deletable,
        },
        "statusReader": env.status_reader.as_ref().map(|namespace| json!({
            "namespace": namespace,
            "serviceAccount": rampart_model::service::APP_NAME,
        })),
        "labels": labels,
        "environment": {
            "name": env.name,
            "kubernetesVersion": env.kubernetes_version,
            "podSecurity": env.pod_security,
            "dns": {
                "namespace": env.dns.namespace,
                "podLabels": env.dns.pod_labels,
                "nodeLocalDnsCache": env.dns.node_local_dns_cache.as_ref().map(|ip| host_cidr(ip)),
            },
        },
        "owners": req.owners,
        "groupBindings": group_bindings(req),
        "apps": apps,
        "secretStores": secret_stores(req, env),
        "quota": quota,
        "limits": resources(limits),
        "admission": {
            "allowedRegistries": env.allowed_registries.join(","),
            "requiredLabels": req.labels.keys().cloned().collect::<Vec<_>>().join(","),
        },
    })
}

/// One RoleBinding per team role that has groups.
fn group_bindings(req: &NamespaceRequest) -> Vec<Value> {
    [
        ("rampart-admin", &req.owners.admins),
        ("rampart-developer", &req.owners.developers),
        ("rampart-viewer", &req.owners.viewers),
    ]
    .iter()
    .filter(|(_, groups)| !groups.is_empty())
    .map(|(role, groups)| json!({"role": role, "groups": groups}))
    .collect()
}

fn resources(r: &ContainerResources) -> Value {
    json!({"cpu": r.cpu, "memory": r.memory, "ephemeral-storage": r.ephemeral_storage})
}

fn host_cidr(ip: &str) -> String {
    if ip.contains(':') {
        format!("{ip}/128")
    } else {
        format!("{ip}/32")
    }
}
