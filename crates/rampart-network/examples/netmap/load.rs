//! Loads a directory (or file) of Kubernetes manifests into a [`Network`]: Namespaces,
//! workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod) as one pod
//! each with the template's labels and container ports, and NetworkPolicies. Other kinds
//! are skipped. Shared by the `netmap` example and the fixture tests.

use std::path::{Path, PathBuf};

use rampart_network::{ContainerPort, Labels, Namespace, Network, Pod, Policy, Protocol};
use serde_json::Value;

/// Every `.yaml`/`.yml` file under `path` (or `path` itself), sorted.
fn manifest_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    let entries = std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", path.display()))?;
        let file = entry.path();
        if file.is_dir() {
            files.extend(manifest_files(&file)?);
        } else if file
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
            files.push(file);
        }
    }
    files.sort();
    Ok(files)
}

/// The network described by the manifests under `path`.
pub fn load(path: &Path) -> Result<Network, String> {
    let mut net = Network::default();
    for file in manifest_files(path)? {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let documents =
            rampart_yaml::documents(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        for (index, value) in documents.iter().enumerate() {
            add(&mut net, value)
                .map_err(|e| format!("{}: document {}: {e}", file.display(), index + 1))?;
        }
    }
    Ok(net)
}

fn add(net: &mut Network, doc: &Value) -> Result<(), String> {
    let kind = doc["kind"].as_str().unwrap_or_default();
    let name = doc["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let namespace = doc["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default")
        .to_owned();
    let template = match kind {
        "List" => {
            for item in doc["items"].as_array().into_iter().flatten() {
                add(net, item)?;
            }
            return Ok(());
        }
        "Namespace" => {
            let labels = labels(&doc["metadata"]["labels"]);
            net.namespaces.push(Namespace { name, labels });
            return Ok(());
        }
        "NetworkPolicy" => {
            net.policies.push(Policy::from_value(doc)?);
            return Ok(());
        }
        "Pod" => doc,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            &doc["spec"]["template"]
        }
        "CronJob" => &doc["spec"]["jobTemplate"]["spec"]["template"],
        _ => return Ok(()),
    };
    let mut ports = Vec::new();
    for container in template["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for port in container["ports"].as_array().into_iter().flatten() {
            let number = port["containerPort"]
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .ok_or_else(|| {
                    format!(
                        "{kind} {namespace}/{name}: containerPort `{}`",
                        port["containerPort"]
                    )
                })?;
            let protocol = match port["protocol"].as_str() {
                None => Protocol::TCP,
                Some(text) => Protocol::parse(text)
                    .ok_or_else(|| format!("{kind} {namespace}/{name}: protocol `{text}`"))?,
            };
            let name = port["name"].as_str().map(str::to_owned);
            ports.push(ContainerPort {
                name,
                port: number,
                protocol,
            });
        }
    }
    net.pods.push(Pod {
        namespace,
        name,
        labels: labels(&template["metadata"]["labels"]),
        ports,
    });
    Ok(())
}

fn labels(value: &Value) -> Labels {
    let Some(map) = value.as_object() else {
        return Labels::new();
    };
    map.iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect()
}

/// Every flow as a comparison line, `src => dst : TCP 80,8000-8080; UDP all` (`all`: every
/// port of TCP, UDP and SCTP; unresolved named ports as `TCP name:http`), pods as
/// `namespace/name`, outside addresses as CIDRs; sorted.
pub fn comparison_lines(net: &Network) -> Vec<String> {
    let mut lines: Vec<String> = net
        .flows()
        .flows()
        .iter()
        .map(|flow| {
            format!(
                "{} => {} : {}",
                flow.from,
                flow.to,
                connections(&flow.ports)
            )
        })
        .collect();
    lines.sort();
    lines
}

fn connections(ports: &rampart_network::PortSet) -> String {
    if ports.is_all() {
        return "all".to_owned();
    }
    let mut parts = Vec::new();
    for protocol in Protocol::ALL {
        let mut items: Vec<String> = ports
            .ranges(protocol)
            .iter()
            .map(|&(first, last)| {
                if first == last {
                    first.to_string()
                } else {
                    format!("{first}-{last}")
                }
            })
            .collect();
        if items == ["1-65535"] {
            items = vec!["all".to_owned()];
        }
        items.extend(
            ports
                .named()
                .filter(|(p, _)| *p == protocol)
                .map(|(_, name)| format!("name:{name}")),
        );
        if !items.is_empty() {
            parts.push(format!("{protocol} {}", items.join(",")));
        }
    }
    parts.join("; ")
}
