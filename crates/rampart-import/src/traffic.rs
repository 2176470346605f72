//! Ingress and egress from the existing NetworkPolicies.
//!
//! Between apps the flows are not read from how the policies are written but asked of
//! `rampart-network` (Kubernetes semantics: the client's egress and the server's ingress),
//! pair by pair and port by port, so the request declares exactly the flows allowed today.
//! Peers outside the namespace are translated rule by rule (`fromNamespace` + `podLabels`,
//! `toNamespace`, `toCidr` + `except`); what a request cannot declare is listed.

use crate::apps::Found;
use crate::k8s::{items, string_map, subject};
use crate::report::Notes;
use crate::select::at;
use rampart_model::request::{EgressRule, IngressRule, Port, PortSelector, PortValue, Protocol};
use rampart_model::{Diagnostics, Environment};
use rampart_network::{
    ContainerPort, Endpoint, NAMESPACE_NAME_LABEL, Namespace, Network, Pod, Policy,
    Protocol as NetProtocol,
};
use rampart_policy::Document;
use serde_json::Value;
use std::collections::BTreeMap;

/// The namespace's existing network: its apps as pods and its NetworkPolicies.
pub fn existing_network(
    ns: &str,
    ns_labels: &BTreeMap<String, String>,
    apps: &[Found],
    objects: &[&Document],
) -> Result<Network, Diagnostics> {
    let mut net = Network {
        namespaces: vec![Namespace {
            name: ns.to_owned(),
            labels: ns_labels.clone(),
        }],
        pods: apps.iter().map(|a| app_pod(ns, a)).collect(),
        policies: Vec::new(),
    };
    for doc in objects
        .iter()
        .filter(|d| d.value["kind"] == "NetworkPolicy")
    {
        // Objects without metadata.namespace belong to the namespace imported.
        let mut value = doc.value.clone();
        if value["metadata"]["namespace"].is_null() {
            value["metadata"]["namespace"] = Value::from(ns);
        }
        let policy = Policy::from_value(&value).map_err(|e| at(Some(doc), &format!("NetworkPolicy `{}`: {e}", crate::k8s::name(&doc.value)), "fix the NetworkPolicy (kubectl apply --dry-run=server shows the API server's view)"))?;
        net.policies.push(policy);
    }
    Ok(net)
}

/// An app as a pod of the evaluator.
pub fn app_pod(ns: &str, app: &Found) -> Pod {
    Pod {
        namespace: ns.to_owned(),
        name: app.app.name.clone(),
        labels: app.pod_labels.clone(),
        ports: app
            .app
            .ports
            .iter()
            .map(|p| ContainerPort {
                name: Some(p.name.clone()),
                port: p.port,
                protocol: net_protocol(p.protocol),
            })
            .collect(),
    }
}

fn net_protocol(p: Protocol) -> NetProtocol {
    match p {
        Protocol::TCP => NetProtocol::TCP,
        Protocol::UDP => NetProtocol::UDP,
        Protocol::SCTP => NetProtocol::SCTP,
    }
}

/// Fills every app's `ingress` and `egress`.
pub fn import_traffic(
    ns: &str,
    apps: &mut [Found],
    net: &Network,
    objects: &[&Document],
    env: &Environment,
    notes: &mut Notes,
) {
    let policies: Vec<&Value> = objects
        .iter()
        .map(|d| &d.value)
        .filter(|v| v["kind"] == "NetworkPolicy")
        .collect();
    for c in 0..apps.len() {
        for s in 0..apps.len() {
            if c == s {
                continue;
            }
            let (client, server) = (&net.pods[c], &net.pods[s]);
            let allowed: Vec<&Port> = apps[s]
                .app
                .ports
                .iter()
                .filter(|p| {
                    net.verdict(
                        &Endpoint::Pod(client),
                        &Endpoint::Pod(server),
                        p.port,
                        net_protocol(p.protocol),
                    )
                    .allowed
                })
                .collect();
            if allowed.is_empty() {
                continue;
            }
            let ports = if allowed.len() == apps[s].app.ports.len() {
                Vec::new()
            } else {
                allowed.iter().map(|p| named(&p.name)).collect()
            };
            let to_app = apps[s].app.name.clone();
            apps[c].app.egress.push(EgressRule {
                to_app: Some(to_app),
                ports,
                ..EgressRule::default()
            });
        }
    }
    for (i, found) in apps.iter_mut().enumerate() {
        let pod = &net.pods[i];
        let selecting: Vec<(&Value, &Policy)> = policies
            .iter()
            .zip(&net.policies)
            .filter(|(_, p)| p.selects(pod))
            .map(|(v, p)| (*v, p))
            .collect();
        let app = found.app.name.clone();
        if !selecting.iter().any(|(_, p)| p.affects_ingress()) {
            notes.hardening(app.as_str(), "no NetworkPolicy isolates its ingress today: every source may connect; the request allows only what it declares (default deny)", "2.1");
        }
        if !selecting.iter().any(|(_, p)| p.affects_egress()) {
            notes.hardening(app.as_str(), "no NetworkPolicy isolates its egress today: it may connect anywhere; the request allows DNS and what it declares (default deny)", "2.1");
        }
        for (v, policy) in &selecting {
            if policy.affects_ingress() {
                for rule in items(&v["spec"]["ingress"]) {
                    ingress_rule(ns, v, rule, found, net, notes);
                }
            }
            if policy.affects_egress() {
                for rule in items(&v["spec"]["egress"]) {
                    egress_rule(ns, v, rule, found, net, env, notes);
                }
            }
        }
    }
}

fn named(name: &str) -> PortSelector {
    PortSelector {
        port: PortValue::Name(name.to_owned()),
        end_port: None,
        protocol: None,
    }
}

/// A peer that names one other namespace by its name label, with plain label selectors.
fn namespace_peer(peer: &Value) -> Option<(String, BTreeMap<String, String>)> {
    let ns_sel = &peer["namespaceSelector"];
    let labels = string_map(&ns_sel["matchLabels"]);
    let plain = |sel: &Value| sel["matchExpressions"].as_array().is_none_or(Vec::is_empty);
    if labels.len() != 1 || !plain(ns_sel) || !plain(&peer["podSelector"]) {
        return None;
    }
    let ns = labels.get(NAMESPACE_NAME_LABEL)?.clone();
    Some((ns, string_map(&peer["podSelector"]["matchLabels"])))
}

/// Whether a same-namespace pod selector matches one of the apps.
fn matches_an_app(ns: &str, peer: &Value, net: &Network) -> bool {
    let probe = serde_json::json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "probe", "namespace": ns}, "spec": {"podSelector": peer["podSelector"]}});
    Policy::from_value(&probe).is_ok_and(|p| net.pods.iter().any(|pod| p.selects(pod)))
}

fn ingress_rule(
    ns: &str,
    policy: &Value,
    rule: &Value,
    app: &mut Found,
    net: &Network,
    notes: &mut Notes,
) {
    let peers: Vec<&Value> = items(&rule["from"]).collect();
    if peers.is_empty() {
        notes.skipped(subject(policy), format!("allows ingress to `{}` from everywhere: a request cannot declare that; only the namespace's apps and the sources declared keep access", app.app.name));
        return;
    }
    let Some(ports) = server_ports(&app.app.ports, rule, policy, &app.app.name, notes) else {
        return;
    };
    for peer in peers {
        if peer["ipBlock"].is_object() {
            notes.skipped(subject(policy), format!("allows ingress to `{}` from addresses {}: a request declares sources by namespace and pod labels only", app.app.name, peer["ipBlock"]["cidr"].as_str().unwrap_or_default()));
        } else if peer["namespaceSelector"].is_object() {
            match namespace_peer(peer) {
                Some((other, _)) if other == ns => {} // the apps' flows come from the evaluator
                Some((other, pod_labels)) => {
                    let rule = IngressRule { from_namespace: Some(other), pod_labels, ports: ports.clone(), ..IngressRule::default() };
                    if !app.app.ingress.contains(&rule) {
                        app.app.ingress.push(rule);
                    }
                }
                None => notes.skipped(subject(policy), format!("allows ingress to `{}` from namespaces chosen by a selector other than one `{NAMESPACE_NAME_LABEL}`: not declarable (a request names each namespace)", app.app.name)),
            }
        } else if !matches_an_app(ns, peer, net) {
            notes.skipped(
                subject(policy),
                format!(
                    "allows ingress to `{}` from pods that match no imported app: not declarable",
                    app.app.name
                ),
            );
        }
    }
}

/// The server's declared ports a rule names (`[]`: all of them); `None` when it names none.
fn server_ports(
    declared: &[Port],
    rule: &Value,
    policy: &Value,
    app: &str,
    notes: &mut Notes,
) -> Option<Vec<PortSelector>> {
    let listed: Vec<&Value> = items(&rule["ports"]).collect();
    if listed.is_empty() {
        return Some(Vec::new());
    }
    let mut out: Vec<PortSelector> = Vec::new();
    for entry in listed {
        let protocol = entry["protocol"].as_str().unwrap_or("TCP");
        let hits: Vec<&Port> = declared
            .iter()
            .filter(|p| p.protocol.as_str() == protocol)
            .filter(|p| match &entry["port"] {
                Value::String(n) => p.name == *n,
                Value::Number(n) => {
                    let first = n.as_u64().unwrap_or(0);
                    let last = entry["endPort"].as_u64().unwrap_or(first);
                    (first..=last).contains(&u64::from(p.port))
                }
                _ => true,
            })
            .collect();
        if hits.is_empty() {
            notes.skipped(
                subject(policy),
                format!(
                    "allows port {} to `{app}`, which it does not declare: not declarable",
                    entry["port"]
                ),
            );
        }
        for p in hits {
            let sel = named(&p.name);
            if !out.contains(&sel) {
                out.push(sel);
            }
        }
    }
    if out.is_empty() {
        return None;
    }
    Some(if out.len() == declared.len() {
        Vec::new()
    } else {
        out
    })
}

fn egress_rule(
    ns: &str,
    policy: &Value,
    rule: &Value,
    app: &mut Found,
    net: &Network,
    env: &Environment,
    notes: &mut Notes,
) {
    let peers: Vec<&Value> = items(&rule["to"]).collect();
    let ports: Vec<PortSelector> = items(&rule["ports"])
        .filter_map(|p| {
            let port = match &p["port"] {
                Value::String(n) => PortValue::Name(n.clone()),
                n => PortValue::Number(u16::try_from(n.as_u64()?).ok()?),
            };
            let protocol = match p["protocol"].as_str() {
                Some("UDP") => Some(Protocol::UDP),
                Some("SCTP") => Some(Protocol::SCTP),
                _ => None,
            };
            Some(PortSelector {
                port,
                end_port: p["endPort"].as_u64().and_then(|e| u16::try_from(e).ok()),
                protocol,
            })
        })
        .collect();
    let dns_only = !ports.is_empty()
        && ports
            .iter()
            .all(|p| p.port == PortValue::Number(53) && p.end_port.is_none());
    if dns_only {
        return; // every rendered namespace allows DNS
    }
    if peers.is_empty() {
        notes.skipped(subject(policy), format!("allows egress from `{}` to everywhere: not declarable; name the destinations (toCidr, toNamespace)", app.app.name));
        return;
    }
    for peer in peers {
        let mut declared = EgressRule {
            ports: ports.clone(),
            ..EgressRule::default()
        };
        if let Some(block) = peer["ipBlock"].as_object() {
            let cidr = block
                .get("cidr")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if cidr == "0.0.0.0/0" || cidr == "::/0" {
                declared.acknowledge_internet_egress = Some(format!(
                    "imported from NetworkPolicy {}",
                    crate::k8s::name(policy)
                ));
            }
            declared.except = items(block.get("except").unwrap_or(&Value::Null))
                .filter_map(|e| e.as_str().map(str::to_owned))
                .collect();
            declared.to_cidr = Some(cidr);
        } else if peer["namespaceSelector"].is_object() {
            match namespace_peer(peer) {
                Some((other, _)) if other == ns => continue,
                Some((other, labels))
                    if other == env.dns.namespace && labels == env.dns.pod_labels =>
                {
                    continue;
                }
                Some((other, pod_labels)) => {
                    declared.to_namespace = Some(other);
                    declared.pod_labels = pod_labels;
                }
                None => {
                    notes.skipped(subject(policy), format!("allows egress from `{}` to namespaces chosen by a selector other than one `{NAMESPACE_NAME_LABEL}`: not declarable", app.app.name));
                    continue;
                }
            }
        } else {
            if !matches_an_app(ns, peer, net) {
                notes.skipped(subject(policy), format!("allows egress from `{}` to pods that match no imported app: not declarable", app.app.name));
            }
            continue;
        }
        if declared.ports.is_empty() {
            notes.skipped(subject(policy), format!("allows egress from `{}` on every port: a request names the ports of a namespace or address range; not imported", app.app.name));
            continue;
        }
        if !app.app.egress.contains(&declared) {
            app.app.egress.push(declared);
        }
    }
}
