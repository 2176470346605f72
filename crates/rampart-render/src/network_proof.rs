//! Every render proves intent = policy (checklist 2): the flows the rendered NetworkPolicies
//! allow, computed by `rampart-network` with Kubernetes semantics, must equal the flows the
//! request declares plus DNS. A blueprint or template change that opens more (or less) than
//! the request asks for is refused with the namespace, the flow and the policy.
//!
//! The declared side is read from the request alone, as its fields document them — not from
//! the rules `network.rs` writes — so the two are independent.

use crate::context::common_labels;
use crate::network::APP_LABEL;
use rampart_model::request::{App, PortSelector, PortValue, Protocol as RequestProtocol};
use rampart_model::{Environment, NamespaceRequest};
use rampart_network::{
    ContainerPort, Endpoint, Flow, FlowSet, IpSet, Labels, Namespace, Network, Party, Pod, Policy,
    PortSet, Protocol, Side, labels_name,
};
use serde_json::Value;
use std::collections::BTreeMap;

/// The namespace's network as the evaluator sees it: its apps as pods, the rendered
/// `policies`, and a representative pod for every peer the request or the policies name.
pub fn namespace_network<'p>(
    req: &NamespaceRequest,
    env: &Environment,
    policies: impl IntoIterator<Item = &'p Value>,
) -> Result<Network, String> {
    let mut net = Network {
        namespaces: vec![Namespace {
            name: req.name.clone(),
            labels: Labels::new(),
        }],
        pods: Vec::new(),
        policies: Vec::new(),
    };
    for doc in policies {
        net.policies.push(Policy::from_value(doc)?);
    }
    for app in &req.apps {
        let mut labels = common_labels(req);
        labels.insert(APP_LABEL.to_owned(), app.name.clone());
        labels.extend(req.labels.clone());
        net.pods.push(Pod {
            namespace: req.name.clone(),
            name: app.name.clone(),
            labels,
            ports: app
                .ports
                .iter()
                .map(|p| ContainerPort {
                    name: Some(p.name.clone()),
                    port: p.port,
                    protocol: protocol(p.protocol),
                })
                .collect(),
        });
    }
    add_peer(&mut net, &env.dns.namespace, &env.dns.pod_labels);
    for app in &req.apps {
        for rule in &app.ingress {
            if let Some(ns) = &rule.from_namespace {
                add_peer(&mut net, ns, &rule.pod_labels);
            }
        }
        for rule in &app.egress {
            if let Some(ns) = &rule.to_namespace {
                add_peer(&mut net, ns, &rule.pod_labels);
            }
        }
    }
    net.add_policy_peers();
    Ok(net)
}

/// A pod with exactly `labels` in `namespace` (and the namespace), unless one is there.
fn add_peer(net: &mut Network, namespace: &str, labels: &BTreeMap<String, String>) {
    if !net.namespaces.iter().any(|n| n.name == namespace) {
        net.namespaces.push(Namespace {
            name: namespace.to_owned(),
            labels: Labels::new(),
        });
    }
    if !net
        .pods
        .iter()
        .any(|p| p.namespace == namespace && p.labels == *labels)
    {
        net.pods.push(Pod {
            namespace: namespace.to_owned(),
            name: labels_name(labels),
            labels: labels.clone(),
            ports: Vec::new(),
        });
    }
}

fn protocol(p: RequestProtocol) -> Protocol {
    match p {
        RequestProtocol::TCP => Protocol::TCP,
        RequestProtocol::UDP => Protocol::UDP,
        RequestProtocol::SCTP => Protocol::SCTP,
    }
}

fn party(pod: &Pod) -> Party {
    Party::Pod {
        namespace: pod.namespace.clone(),
        name: pod.name.clone(),
    }
}

fn has_labels(pod: &Pod, wanted: &BTreeMap<String, String>) -> bool {
    wanted.iter().all(|(k, v)| pod.labels.get(k) == Some(v))
}

fn dns_ports() -> PortSet {
    let mut ports = PortSet::new();
    ports.add_range(Protocol::UDP, 53, 53);
    ports.add_range(Protocol::TCP, 53, 53);
    ports
}

/// The ports of `server` a rule between two apps (or into an app) names; none named means
/// every port the server declares.
fn server_ports(server: &App, selectors: &[PortSelector]) -> PortSet {
    let mut ports = PortSet::new();
    for declared in &server.ports {
        let named = selectors.is_empty()
            || selectors.iter().any(|s| match &s.port {
                PortValue::Name(name) => *name == declared.name,
                PortValue::Number(n) => {
                    *n == declared.port && s.protocol.is_none_or(|p| p == declared.protocol)
                }
            });
        if named {
            let p = protocol(declared.protocol);
            ports.add_range(p, declared.port, declared.port);
        }
    }
    ports
}

/// Ports of an egress rule to another namespace's pod or an address range: numbers (with an
/// optional range end) or, for pods, names resolved against the pod's declared ports.
fn egress_ports(selectors: &[PortSelector], to: Option<&Pod>) -> PortSet {
    let mut ports = PortSet::new();
    for s in selectors {
        let p = protocol(s.protocol.unwrap_or_default());
        match (&s.port, to) {
            (PortValue::Number(n), _) => ports.add_range(p, *n, s.end_port.unwrap_or(*n)),
            (PortValue::Name(name), Some(pod)) => {
                match pod
                    .ports
                    .iter()
                    .find(|c| c.name.as_deref() == Some(name) && c.protocol == p)
                {
                    Some(c) => ports.add_range(p, c.port, c.port),
                    None => ports.add_named(p, name),
                }
            }
            (PortValue::Name(_), None) => {} // a name never matches an address
        }
    }
    ports
}

/// Every flow the request declares, over the pods of `net`: app → app, app → another
/// namespace's pods, app → address ranges, other namespaces' pods → app, and DNS from every
/// pod of the namespace.
pub fn declared_flows(req: &NamespaceRequest, env: &Environment, net: &Network) -> FlowSet {
    let apps: BTreeMap<&str, &App> = req.apps.iter().map(|a| (a.name.as_str(), a)).collect();
    let app_of = |pod: &Pod| -> Option<&App> {
        if pod.namespace != req.name {
            return None;
        }
        let app = apps.get(pod.labels.get(APP_LABEL)?.as_str())?;
        (app.name == pod.name).then_some(*app)
    };
    let mut edges: BTreeMap<(&str, &str), PortSet> = BTreeMap::new();
    for app in &req.apps {
        for rule in &app.ingress {
            if let Some(client) = &rule.from_app {
                edges
                    .entry((client.as_str(), app.name.as_str()))
                    .or_default()
                    .union(&server_ports(app, &rule.ports));
            }
        }
        for rule in &app.egress {
            if let Some(server) = rule.to_app.as_deref().and_then(|s| apps.get(s)) {
                edges
                    .entry((app.name.as_str(), server.name.as_str()))
                    .or_default()
                    .union(&server_ports(server, &rule.ports));
            }
        }
    }
    let mut flows = FlowSet::new();
    for from in &net.pods {
        let from_own = from.namespace == req.name;
        for to in &net.pods {
            let to_own = to.namespace == req.name;
            // The evaluator leaves out a pod's traffic to itself; so does the request's side
            // (an app talking to its own replicas is one representative pod here).
            if (!from_own && !to_own) || std::ptr::eq(from, to) {
                continue;
            }
            let mut ports = PortSet::new();
            match (app_of(from), app_of(to)) {
                (Some(client), Some(server)) => {
                    if let Some(p) = edges.get(&(client.name.as_str(), server.name.as_str())) {
                        ports.union(p);
                    }
                }
                (Some(client), None) if !to_own => {
                    for rule in &client.egress {
                        if rule.to_namespace.as_deref() == Some(to.namespace.as_str())
                            && has_labels(to, &rule.pod_labels)
                        {
                            ports.union(&egress_ports(&rule.ports, Some(to)));
                        }
                    }
                }
                (None, Some(server)) if !from_own => {
                    for rule in &server.ingress {
                        if rule.from_namespace.as_deref() == Some(from.namespace.as_str())
                            && has_labels(from, &rule.pod_labels)
                        {
                            ports.union(&server_ports(server, &rule.ports));
                        }
                    }
                }
                _ => {}
            }
            if from_own && to.namespace == env.dns.namespace && has_labels(to, &env.dns.pod_labels)
            {
                ports.union(&dns_ports());
            }
            if !ports.is_empty() {
                flows.allow(party(from), party(to), &ports);
            }
        }
        if !from_own {
            continue;
        }
        if let Some(cache) = &env.dns.node_local_dns_cache
            && let Ok(ips) = cache
                .parse()
                .map(IpSet::from_ip)
                .or_else(|_| IpSet::parse_cidr(cache))
        {
            flows.allow_ips(party(from), &ips, &dns_ports(), false);
        }
        for rule in app_of(from)
            .map(|a| a.egress.as_slice())
            .unwrap_or_default()
        {
            let Some(Ok(mut ips)) = rule.to_cidr.as_deref().map(IpSet::parse_cidr) else {
                continue;
            };
            for except in &rule.except {
                if let Ok(out) = IpSet::parse_cidr(except) {
                    ips = ips.minus(&out);
                }
            }
            flows.allow_ips(party(from), &ips, &egress_ports(&rule.ports, None), false);
        }
    }
    flows
}

/// A flow of the policies and the request differ in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowMismatch {
    /// The flow.
    pub flow: Flow,
    /// True if the policies allow it and the request does not declare it; false if the
    /// request declares it and the policies do not allow it.
    pub undeclared: bool,
    /// The policies that allow it (undeclared) or that isolate its ends (missing).
    pub policies: Vec<String>,
}

impl std::fmt::Display for FlowMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let who = if self.policies.is_empty() {
            "no policy".to_owned()
        } else {
            self.policies.join(", ")
        };
        if self.undeclared {
            write!(
                f,
                "the NetworkPolicies allow {}, which the request does not declare (opened by {who})",
                self.flow
            )
        } else {
            write!(
                f,
                "the request declares {}, which the NetworkPolicies do not allow (isolated by {who})",
                self.flow
            )
        }
    }
}

/// Compares the flows `policies` allow in the namespace with the flows `req` declares;
/// every difference that touches the namespace's own pods, undeclared ones first.
pub fn prove_policies<'p>(
    req: &NamespaceRequest,
    env: &Environment,
    policies: impl IntoIterator<Item = &'p Value>,
) -> Result<Vec<FlowMismatch>, String> {
    let net = namespace_network(req, env, policies)?;
    let allowed = net.flows();
    let declared = declared_flows(req, env, &net);
    let mut mismatches = Vec::new();
    for (flows, undeclared) in [
        (allowed.minus(&declared), true),
        (declared.minus(&allowed), false),
    ] {
        for flow in flows.into_iter().filter(|f| touches(f, &req.name)) {
            let policies = responsible(&net, &flow, undeclared);
            mismatches.push(FlowMismatch {
                flow,
                undeclared,
                policies,
            });
        }
    }
    Ok(mismatches)
}

/// The policies behind one connection of `flow`: those that allow it, or those that isolate
/// its ends.
fn responsible(net: &Network, flow: &Flow, undeclared: bool) -> Vec<String> {
    let Some((protocol, port)) = sample_port(&flow.ports) else {
        return Vec::new();
    };
    let endpoint = |party: &Party| -> Option<Endpoint<'_>> {
        match party {
            Party::Pod { namespace, name } => net
                .pods
                .iter()
                .find(|p| p.namespace == *namespace && p.name == *name)
                .map(Endpoint::Pod),
            Party::Cidr(cidr) => IpSet::parse_cidr(cidr)
                .ok()?
                .any_address()
                .map(Endpoint::Ip),
        }
    };
    let (Some(from), Some(to)) = (endpoint(&flow.from), endpoint(&flow.to)) else {
        return Vec::new();
    };
    let verdict = net.verdict(&from, &to, port, protocol);
    let mut ids = Vec::new();
    for side in [verdict.egress, verdict.ingress] {
        match side {
            Side::Allowed(p) if undeclared => ids.extend(p),
            Side::Denied(p) if !undeclared => ids.extend(p),
            _ => {}
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

/// One numbered port of `ports`, for asking the evaluator about a connection.
fn sample_port(ports: &PortSet) -> Option<(Protocol, u16)> {
    Protocol::ALL
        .into_iter()
        .find_map(|p| ports.ranges(p).first().map(|&(first, _)| (p, first)))
}

/// The flows of `net` that start or end at a pod of `namespace`, canonical and sorted.
pub fn namespace_flows(net: &Network, namespace: &str) -> Vec<Flow> {
    net.flows()
        .flows()
        .into_iter()
        .filter(|flow| touches(flow, namespace))
        .collect()
}

/// Whether `flow` starts or ends at a pod of `namespace`.
pub fn touches(flow: &Flow, namespace: &str) -> bool {
    [&flow.from, &flow.to]
        .iter()
        .any(|p| matches!(p, Party::Pod { namespace: ns, .. } if ns == namespace))
}

/// The network of a namespace known only by its NetworkPolicies (a committed file, any
/// manifests): a pod for every distinct pod selector of its policies, named by its
/// `app.kubernetes.io/name` label, plus the representative peers.
pub fn policy_network(namespace: &str, policies: &[Value]) -> Result<Network, String> {
    let mut net = Network {
        namespaces: vec![Namespace {
            name: namespace.to_owned(),
            labels: Labels::new(),
        }],
        pods: Vec::new(),
        policies: Vec::new(),
    };
    for doc in policies {
        let policy = Policy::from_value(doc)?;
        let labels = policy.example_pod_labels().unwrap_or_default();
        if !labels.is_empty() && !net.pods.iter().any(|p| p.labels == labels) {
            let name = labels
                .get(APP_LABEL)
                .cloned()
                .unwrap_or_else(|| labels_name(&labels));
            net.pods.push(Pod {
                namespace: namespace.to_owned(),
                name,
                labels,
                ports: Vec::new(),
            });
        }
        net.policies.push(policy);
    }
    net.add_policy_peers();
    Ok(net)
}
