//! Apps from workloads (Deployments, StatefulSets, DaemonSets, CronJobs, Jobs) and from
//! ServiceAccounts that carry an app's name: ports, image, replicas, resources, probes.

use crate::k8s::{APP_LABEL, items, kind, name, pod_template, string_map, subject};
use crate::report::Notes;
use rampart_model::Environment;
use rampart_model::request::{App, ContainerResources, Port, Probe, Probes, Protocol, Workload};
use rampart_model::syntax::is_dns_label;
use rampart_policy::Document;
use serde_json::Value;
use std::collections::BTreeMap;

/// An app found in the input, with what the network and RBAC mapping need to know.
#[derive(Debug, Clone)]
pub struct Found<'a> {
    /// The app as the request will hold it (traffic, rules and secrets added later).
    pub app: App,
    /// Labels of its pods today.
    pub pod_labels: BTreeMap<String, String>,
    /// The ServiceAccount its pods run as.
    pub service_account: String,
    /// Its workload object, if any.
    pub workload: Option<&'a Value>,
}

/// Every app of the namespace, ordered by where the input first names it.
pub fn find_apps<'a>(
    objects: &[&'a Document],
    env: &Environment,
    limits: &ContainerResources,
    notes: &mut Notes,
) -> Vec<Found<'a>> {
    let mut apps: Vec<Found> = Vec::new();
    // A Deployment or StatefulSet is an app's workload before a Job or CronJob of the same app.
    let mut workloads: Vec<&Document> = objects
        .iter()
        .copied()
        .filter(|d| pod_template(&d.value).is_some())
        .collect();
    workloads.sort_by_key(|d| !matches!(kind(&d.value), "Deployment" | "StatefulSet"));
    for doc in workloads {
        let v = &doc.value;
        let Some(template) = pod_template(v) else {
            continue;
        };
        let pod_labels = string_map(&template["metadata"]["labels"]);
        if pod_labels.contains_key(rampart_render::netprobe::PROBE_LABEL) {
            continue; // the network probe of `networkTests: true`, rendered again from the request
        }
        let app_name = pod_labels
            .get(APP_LABEL)
            .map_or(name(v), String::as_str)
            .to_owned();
        if !is_dns_label(&app_name) {
            notes.skipped(
                subject(v),
                format!(
                    "`{app_name}` is not an RFC 1123 label, so it cannot name an app: not imported"
                ),
            );
            continue;
        }
        if apps.iter().any(|a| a.app.name == app_name) {
            notes.skipped(
                subject(v),
                format!("a second workload of app `{app_name}`: only the first is imported"),
            );
            continue;
        }
        let spec = &template["spec"];
        let service_account = spec["serviceAccountName"]
            .as_str()
            .unwrap_or("default")
            .to_owned();
        let mut app = empty_app(&app_name);
        app.ports = container_ports(v, spec, notes);
        app.workload = workload(v, spec, &app.ports, env, limits, notes);
        apps.push(Found {
            app,
            pod_labels,
            service_account,
            workload: Some(v),
        });
    }
    for doc in objects {
        let v = &doc.value;
        let labels = string_map(&v["metadata"]["labels"]);
        if kind(v) == "ServiceAccount"
            && labels.get(APP_LABEL).map(String::as_str) == Some(name(v))
            && !apps.iter().any(|a| a.app.name == name(v))
        {
            let app_name = name(v).to_owned();
            apps.push(Found {
                app: empty_app(&app_name),
                pod_labels: BTreeMap::from([(APP_LABEL.to_owned(), app_name.clone())]),
                service_account: app_name,
                workload: None,
            });
        }
    }
    let first_mention = |app: &str| {
        objects
            .iter()
            .position(|d| mentions(&d.value, app))
            .unwrap_or(usize::MAX)
    };
    apps.sort_by_cached_key(|a| first_mention(&a.app.name));
    apps
}

fn empty_app(name: &str) -> App {
    App {
        name: name.to_owned(),
        ports: Vec::new(),
        ingress: Vec::new(),
        egress: Vec::new(),
        rules: Vec::new(),
        secrets: Vec::new(),
        workload: None,
    }
}

/// Whether an object is about `app`: it carries the app's label, or selects its pods by it.
fn mentions(v: &Value, app: &str) -> bool {
    let is = |labels: &Value| labels[APP_LABEL].as_str() == Some(app);
    match kind(v) {
        "NetworkPolicy" => is(&v["spec"]["podSelector"]["matchLabels"]),
        "ServiceAccount" | "ExternalSecret" => is(&v["metadata"]["labels"]),
        _ => pod_template(v).is_some_and(|t| {
            let labels = &t["metadata"]["labels"];
            labels[rampart_render::netprobe::PROBE_LABEL].is_null()
                && (is(labels) || name(v) == app)
        }),
    }
}

/// Every container's ports (the request declares one set per app); unnamed ports get a
/// name from their number.
fn container_ports(v: &Value, spec: &Value, notes: &mut Notes) -> Vec<Port> {
    let mut ports: Vec<Port> = Vec::new();
    for container in items(&spec["containers"]) {
        for p in items(&container["ports"]) {
            let Some(number) = p["containerPort"]
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
            else {
                continue;
            };
            let protocol = match p["protocol"].as_str().unwrap_or("TCP") {
                "UDP" => Protocol::UDP,
                "SCTP" => Protocol::SCTP,
                _ => Protocol::TCP,
            };
            let name = match p["name"].as_str() {
                Some(n) => n.to_owned(),
                None => {
                    let generated = format!("port-{number}");
                    notes.skipped(
                        subject(v),
                        format!("container port {number} has no name: imported as `{generated}`"),
                    );
                    generated
                }
            };
            if ports
                .iter()
                .any(|q| q.name == name || (q.port == number && q.protocol == protocol))
            {
                continue;
            }
            ports.push(Port {
                name,
                port: number,
                protocol,
            });
        }
    }
    ports
}

/// The sample workload, when the first container's image is pinned by digest and the kind
/// is one the request's Deployment replaces.
fn workload(
    v: &Value,
    spec: &Value,
    ports: &[Port],
    env: &Environment,
    limits: &ContainerResources,
    notes: &mut Notes,
) -> Option<Workload> {
    let containers: Vec<&Value> = items(&spec["containers"]).collect();
    let first = containers.first()?;
    let image = first["image"].as_str().unwrap_or_default();
    for extra in containers
        .iter()
        .skip(1)
        .chain(items(&spec["initContainers"]).collect::<Vec<_>>().iter())
    {
        notes.skipped(
            subject(v),
            format!(
                "container `{}` is not imported: the request's workload runs one container",
                extra["name"].as_str().unwrap_or_default()
            ),
        );
    }
    if !matches!(kind(v), "Deployment" | "StatefulSet") {
        notes.skipped(subject(v), format!("a {}: the request's sample workload is a Deployment, so none is imported for it; keep deploying it yourself, under the namespace's hardening", kind(v)));
        return None;
    }
    if !image.contains("@sha256:") {
        notes.todo(subject(v), format!("image `{image}` is not pinned by digest: the app is imported without `workload`; pin it (e.g. `crane digest {image}`) and add `workload: {{image: REPO@sha256:DIGEST}}`"));
        return None;
    }
    if kind(v) == "StatefulSet" {
        notes.skipped(subject(v), "becomes a Deployment (the request's sample workload); its volume claims are not imported");
    }
    let replicas = match v["spec"]["replicas"].as_u64() {
        Some(n) if n == u64::from(env.defaults.replicas) => None,
        Some(n) if n >= 2 => u32::try_from(n).ok(),
        Some(n) => {
            notes.skipped(
                subject(v),
                format!(
                    "replicas {n} become {} (a request asks for at least 2)",
                    env.defaults.replicas
                ),
            );
            None
        }
        None => None,
    };
    Some(Workload {
        image: image.to_owned(),
        replicas,
        resources: resources(v, first, limits, notes),
        probes: probes(v, first, ports, notes),
    })
}

/// Requests = limits when all three are set alike; else the namespace defaults apply.
fn resources(
    v: &Value,
    container: &Value,
    limits: &ContainerResources,
    notes: &mut Notes,
) -> Option<ContainerResources> {
    let r = &container["resources"];
    let get = |kind: &str, key: &str| {
        r[kind][key]
            .as_str()
            .map(str::to_owned)
            .or_else(|| r[kind][key].as_u64().map(|n| n.to_string()))
    };
    let found = (
        get("limits", "cpu"),
        get("limits", "memory"),
        get("limits", "ephemeral-storage"),
    );
    let (Some(cpu), Some(memory), Some(ephemeral_storage)) = found else {
        if !r.is_null() && r.as_object().is_some_and(|o| !o.is_empty()) {
            notes.hardening(subject(v), format!("resources become requests = limits of the namespace defaults (cpu {}, memory {}, ephemeral-storage {}): set `workload.resources` to change them", limits.cpu, limits.memory, limits.ephemeral_storage), "5.4");
        }
        return None;
    };
    let imported = ContainerResources {
        cpu,
        memory,
        ephemeral_storage,
    };
    if ["cpu", "memory", "ephemeral-storage"]
        .iter()
        .any(|k| r["requests"][k] != r["limits"][k])
    {
        notes.hardening(
            subject(v),
            "requests are raised to the limits (requests = limits)",
            "5.4",
        );
    }
    (imported != *limits).then_some(imported)
}

/// HTTP probes on declared ports; the defaults (`/livez`, `/readyz` on the first port) are
/// left out.
fn probes(v: &Value, container: &Value, ports: &[Port], notes: &mut Notes) -> Option<Probes> {
    let probe = |key: &str| -> Option<Probe> {
        let get = &container[key]["httpGet"];
        let path = get["path"].as_str()?.to_owned();
        let port = match &get["port"] {
            Value::String(name) => ports.iter().find(|p| p.name == *name)?,
            n => ports
                .iter()
                .find(|p| Some(u64::from(p.port)) == n.as_u64())?,
        };
        Some(Probe {
            path,
            port: port.name.clone(),
        })
    };
    let first_tcp = ports
        .iter()
        .find(|p| p.protocol == Protocol::TCP)
        .or(ports.first());
    let default = |path: &str| {
        first_tcp.map(|p| Probe {
            path: path.to_owned(),
            port: p.name.clone(),
        })
    };
    match (probe("livenessProbe"), probe("readinessProbe")) {
        (Some(liveness), Some(readiness)) if liveness != readiness => {
            if Some(&liveness) == default("/livez").as_ref()
                && Some(&readiness) == default("/readyz").as_ref()
            {
                return None;
            }
            Some(Probes {
                liveness,
                readiness,
            })
        }
        _ => {
            notes.skipped(subject(v), "probes become HTTP GET /livez and /readyz on the first port (the existing ones are not two distinct HTTP probes on a declared port): set `workload.probes` to change them");
            None
        }
    }
}
