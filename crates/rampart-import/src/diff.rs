//! The connectivity diff: the flows the existing NetworkPolicies allow against the flows the
//! rendered ones allow, both computed by `rampart-network` over the same pods (the apps,
//! and a representative pod for every peer either side names).

use rampart_model::{Environment, NamespaceRequest};
use rampart_network::{Endpoint, Flow, FlowSet, IpSet, Network, Party, Pod, Protocol};
use rampart_render::network_proof::{namespace_network, touches};
use serde::Serialize;
use serde_json::Value;

/// One flow of the diff, with the policies that allow it on its side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowRow {
    /// The connecting party (`ns/app`, a representative pod, or a CIDR).
    pub from: String,
    /// The party connected to.
    pub to: String,
    /// Ports, e.g. `8080/TCP`.
    pub ports: String,
    /// Ids (`namespace/name`) of the policies that allow it: the existing ones for kept and
    /// removed flows, the rendered ones for added flows.
    pub policies: Vec<String>,
}

/// Flows kept, removed and added when the rendered namespace replaces the existing one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Connectivity {
    /// No NetworkPolicy exists today: every flow is allowed.
    pub all_allowed_today: bool,
    /// Allowed today and after.
    pub kept: Vec<FlowRow>,
    /// Allowed today, denied after.
    pub removed: Vec<FlowRow>,
    /// Denied today, allowed after.
    pub added: Vec<FlowRow>,
}

/// Compares `existing` (see [`crate::Imported::existing`]) with the `rendered` NetworkPolicies
/// of `req` for `env`.
pub fn connectivity(
    existing: &Network,
    req: &NamespaceRequest,
    env: &Environment,
    rendered: &[Value],
) -> Result<Connectivity, String> {
    let mut before = existing.clone();
    before.add_policy_peers();
    let mut after = namespace_network(req, env, rendered)?;
    share_pods(&mut before, &after);
    share_pods(&mut after, &before);
    let ns = req.name.as_str();
    let (old, new) = (flows_of(&before, ns), flows_of(&after, ns));
    let removed = old.difference(&new);
    let kept = old.difference(&removed);
    let rows = |set: &FlowSet, net: &Network| set.flows().iter().map(|f| row(f, net)).collect();
    Ok(Connectivity {
        all_allowed_today: existing.policies.is_empty(),
        kept: rows(&kept, &before),
        removed: rows(&removed, &before),
        added: rows(&new.difference(&old), &after),
    })
}

/// Adds the pods of `other` that `net` lacks (by namespace and name).
fn share_pods(net: &mut Network, other: &Network) {
    for pod in &other.pods {
        if !net
            .pods
            .iter()
            .any(|p| p.namespace == pod.namespace && p.name == pod.name)
        {
            net.pods.push(pod.clone());
        }
    }
    for ns in &other.namespaces {
        if !net.namespaces.iter().any(|n| n.name == ns.name) {
            net.namespaces.push(ns.clone());
        }
    }
}

fn flows_of(net: &Network, ns: &str) -> FlowSet {
    let mut set = FlowSet::new();
    for flow in net.flows().flows().into_iter().filter(|f| touches(f, ns)) {
        set.allow(flow.from, flow.to, &flow.ports);
    }
    set
}

fn row(flow: &Flow, net: &Network) -> FlowRow {
    FlowRow {
        from: flow.from.to_string(),
        to: flow.to.to_string(),
        ports: flow.ports.to_string(),
        policies: allowing(flow, net),
    }
}

/// The policies that allow one sample connection of `flow`.
fn allowing(flow: &Flow, net: &Network) -> Vec<String> {
    let Some((protocol, port)) = Protocol::ALL
        .into_iter()
        .find_map(|p| flow.ports.ranges(p).first().map(|&(first, _)| (p, first)))
    else {
        return Vec::new();
    };
    let pod = |party: &Party| -> Option<&Pod> {
        let Party::Pod { namespace, name } = party else {
            return None;
        };
        net.pods
            .iter()
            .find(|p| &p.namespace == namespace && &p.name == name)
    };
    let ip = |party: &Party| match party {
        Party::Cidr(c) => IpSet::parse_cidr(c).ok().and_then(|s| s.any_address()),
        Party::Pod { .. } => None,
    };
    let endpoint = |party: &Party| -> Option<Endpoint> {
        pod(party)
            .map(Endpoint::Pod)
            .or_else(|| ip(party).map(Endpoint::Ip))
    };
    let (Some(from), Some(to)) = (endpoint(&flow.from), endpoint(&flow.to)) else {
        return Vec::new();
    };
    let verdict = net.verdict(&from, &to, port, protocol);
    let mut ids: Vec<String> = [verdict.egress, verdict.ingress]
        .into_iter()
        .flat_map(|side| match side {
            rampart_network::Side::Allowed(ids) => ids,
            _ => Vec::new(),
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}
