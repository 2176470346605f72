//! Turns the request's traffic rules into NetworkPolicy ingress and egress rules.
//!
//! Traffic between two apps of one request is declared once, on either side (`toApp` on
//! the client or `fromApp` on the server), and both policies get it: under default-deny a
//! connection needs the client's egress and the server's ingress. The ports allowed are the
//! union of what either side named, always ports the server declares.

use rampart_model::NamespaceRequest;
use rampart_model::request::{App, EgressRule, IngressRule, PortSelector, PortValue, Protocol};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Label that selects an app's pods.
pub const APP_LABEL: &str = "app.kubernetes.io/name";
/// Label the control plane sets on every namespace.
pub const NAMESPACE_LABEL: &str = "kubernetes.io/metadata.name";

/// Ports with their protocol.
pub(crate) type PortSet = BTreeSet<(u16, Protocol)>;

/// Ingress and egress rules of one app's NetworkPolicy.
#[derive(Debug, Default)]
pub struct AppTraffic {
    /// `spec.ingress` entries.
    pub ingress: Vec<Value>,
    /// `spec.egress` entries.
    pub egress: Vec<Value>,
}

/// Traffic between two apps of the request: `((client, server), ports)`, each pair once, in
/// declaration order of its first mention; the ports are the server's.
pub(crate) type AppEdges = Vec<((String, String), PortSet)>;

/// Every app-to-app flow the request declares, on either side ([`AppEdges`]).
pub(crate) fn app_edges(req: &NamespaceRequest) -> AppEdges {
    let apps: BTreeMap<&str, &App> = req.apps.iter().map(|a| (a.name.as_str(), a)).collect();
    let mut edges: AppEdges = Vec::new();
    let mut add_edge = |client: &str, server: &App, sels: &[PortSelector]| {
        let ports = resolve(server, sels);
        let key = (client.to_string(), server.name.clone());
        match edges.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) => existing.extend(ports),
            None => edges.push((key, ports)),
        }
    };
    for app in &req.apps {
        for rule in &app.ingress {
            if let Some(from) = &rule.from_app {
                add_edge(from, app, &rule.ports);
            }
        }
        for rule in &app.egress {
            if let Some(server) = rule.to_app.as_deref().and_then(|to| apps.get(to)) {
                add_edge(&app.name, server, &rule.ports);
            }
        }
    }
    edges
}

/// Computes every app's NetworkPolicy rules, keyed by app name.
pub fn app_traffic(req: &NamespaceRequest) -> BTreeMap<String, AppTraffic> {
    let edges = app_edges(req);
    let mut traffic: BTreeMap<String, AppTraffic> = req
        .apps
        .iter()
        .map(|a| (a.name.clone(), AppTraffic::default()))
        .collect();
    for ((client, server), ports) in &edges {
        if let Some(t) = traffic.get_mut(server) {
            t.ingress
                .push(json!({"from": [app_peer(client)], "ports": port_list(ports)}));
        }
        if let Some(t) = traffic.get_mut(client) {
            t.egress
                .push(json!({"to": [app_peer(server)], "ports": port_list(ports)}));
        }
    }
    for app in &req.apps {
        let Some(t) = traffic.get_mut(&app.name) else {
            continue;
        };
        for rule in app.ingress.iter().filter(|r| r.from_app.is_none()) {
            t.ingress.push(namespace_ingress(app, rule));
        }
        for rule in app.egress.iter().filter(|r| r.to_app.is_none()) {
            t.egress.push(external_egress(rule));
        }
    }
    traffic
}

fn resolve(server: &App, sels: &[PortSelector]) -> PortSet {
    if sels.is_empty() {
        return server.ports.iter().map(|p| (p.port, p.protocol)).collect();
    }
    server
        .ports
        .iter()
        .filter(|p| {
            sels.iter().any(|s| match &s.port {
                PortValue::Name(n) => &p.name == n,
                PortValue::Number(n) => p.port == *n && s.protocol.is_none_or(|x| x == p.protocol),
            })
        })
        .map(|p| (p.port, p.protocol))
        .collect()
}

fn app_peer(app: &str) -> Value {
    json!({"podSelector": {"matchLabels": {APP_LABEL: app}}})
}

fn namespace_peer(namespace: &str, pod_labels: &BTreeMap<String, String>) -> Value {
    let mut peer = json!({"namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: namespace}}});
    if !pod_labels.is_empty() {
        peer["podSelector"] = json!({"matchLabels": pod_labels});
    }
    peer
}

fn port_list(ports: &PortSet) -> Value {
    ports
        .iter()
        .map(|(port, proto)| json!({"port": port, "protocol": proto.as_str()}))
        .collect()
}

fn namespace_ingress(app: &App, rule: &IngressRule) -> Value {
    let namespace = rule.from_namespace.as_deref().unwrap_or_default();
    json!({
        "from": [namespace_peer(namespace, &rule.pod_labels)],
        "ports": port_list(&resolve(app, &rule.ports)),
    })
}

fn external_egress(rule: &EgressRule) -> Value {
    let peer = match (&rule.to_namespace, &rule.to_cidr) {
        (Some(ns), _) => namespace_peer(ns, &rule.pod_labels),
        (None, Some(cidr)) if rule.except.is_empty() => json!({"ipBlock": {"cidr": cidr}}),
        (None, Some(cidr)) => json!({"ipBlock": {"cidr": cidr, "except": rule.except}}),
        (None, None) => Value::Null, // refused by validation
    };
    let ports: Vec<Value> = rule
        .ports
        .iter()
        .map(|sel| {
            let mut port = json!({
                "port": match &sel.port { PortValue::Number(n) => json!(n), PortValue::Name(n) => json!(n) },
                "protocol": sel.protocol.unwrap_or_default().as_str(),
            });
            if let Some(end) = sel.end_port {
                port["endPort"] = json!(end);
            }
            port
        })
        .collect();
    json!({"to": [peer], "ports": ports})
}
