//! Evaluating a network: verdicts, isolation, representative peers and flows.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::flows::{FlowSet, Party};
use crate::ips::IpSet;
use crate::policy::{Peer, Policy, Rule};
use crate::ports::{PortSet, Protocol};
use crate::selector::Selector;
use crate::{Labels, NAMESPACE_NAME_LABEL, Namespace, Network, Pod};

/// One end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint<'a> {
    /// A pod of the network.
    Pod(&'a Pod),
    /// An address outside the cluster (pods are never matched by `ipBlock`).
    Ip(IpAddr),
}

/// Whether a connection is allowed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Egress from the source and ingress to the destination are both allowed.
    pub allowed: bool,
    /// The source's egress.
    pub egress: Side,
    /// The destination's ingress.
    pub ingress: Side,
}

/// One direction's part of a [`Verdict`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Side {
    /// No policy of that direction selects the pod (or the endpoint is an outside address).
    Unrestricted,
    /// Ids of every selecting policy with a rule that allows this connection (sorted).
    Allowed(Vec<String>),
    /// The pod is isolated in that direction (ids of the isolating policies, sorted) and no
    /// rule allows the connection.
    Denied(Vec<String>),
}

impl Side {
    /// Whether this side lets the connection through.
    pub fn is_allowed(&self) -> bool {
        !matches!(self, Side::Denied(_))
    }
}

/// Which direction of a policy a question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Ingress,
    Egress,
}

impl Policy {
    fn rules(&self, direction: Direction) -> Option<&[Rule]> {
        match direction {
            Direction::Ingress => self.ingress.as_deref(),
            Direction::Egress => self.egress.as_deref(),
        }
    }
}

impl Network {
    /// Whether a connection from `from` to `to` on `port`/`protocol` is allowed: egress from
    /// the source and ingress to the destination must both be allowed.
    pub fn verdict(
        &self,
        from: &Endpoint,
        to: &Endpoint,
        port: u16,
        protocol: Protocol,
    ) -> Verdict {
        let dest = match to {
            Endpoint::Pod(pod) => Some(*pod),
            Endpoint::Ip(_) => None,
        };
        let egress = match from {
            Endpoint::Pod(pod) => self.side(pod, Direction::Egress, to, dest, port, protocol),
            Endpoint::Ip(_) => Side::Unrestricted,
        };
        let ingress = match to {
            Endpoint::Pod(pod) => self.side(pod, Direction::Ingress, from, dest, port, protocol),
            Endpoint::Ip(_) => Side::Unrestricted,
        };
        Verdict {
            allowed: egress.is_allowed() && ingress.is_allowed(),
            egress,
            ingress,
        }
    }

    /// The `direction` side of `pod` for a connection with `peer`, whose ports are those of
    /// `dest` (the destination pod, `None` for an outside address).
    fn side(
        &self,
        pod: &Pod,
        direction: Direction,
        peer: &Endpoint,
        dest: Option<&Pod>,
        port: u16,
        protocol: Protocol,
    ) -> Side {
        let mut isolating = Vec::new();
        let mut allowing = Vec::new();
        for policy in &self.policies {
            let Some(rules) = policy.rules(direction) else {
                continue;
            };
            if !policy.selects(pod) {
                continue;
            }
            isolating.push(policy.id());
            let allows = rules.iter().any(|rule| {
                let peer_ok = match peer {
                    Endpoint::Pod(other) => rule.matches_pod(
                        other,
                        &self.namespace_labels(&other.namespace),
                        policy.namespace(),
                    ),
                    Endpoint::Ip(ip) => rule.ips().contains(*ip),
                };
                peer_ok && rule.allows_port(dest, protocol, port)
            });
            if allows {
                allowing.push(policy.id());
            }
        }
        if isolating.is_empty() {
            return Side::Unrestricted;
        }
        let sorted = |mut ids: Vec<String>| {
            ids.sort();
            ids.dedup();
            ids
        };
        if allowing.is_empty() {
            Side::Denied(sorted(isolating))
        } else {
            Side::Allowed(sorted(allowing))
        }
    }

    /// (ingress isolated, egress isolated) of a pod: does any policy of that direction
    /// select it?
    pub fn isolation(&self, pod: &Pod) -> (bool, bool) {
        let selecting = || self.policies.iter().filter(|p| p.selects(pod));
        (
            selecting().any(Policy::affects_ingress),
            selecting().any(Policy::affects_egress),
        )
    }

    /// The labels of namespace `name`, with `kubernetes.io/metadata.name`.
    pub fn namespace_labels(&self, name: &str) -> Labels {
        let mut labels = self
            .namespaces
            .iter()
            .find(|ns| ns.name == name)
            .map(|ns| ns.labels.clone())
            .unwrap_or_default();
        labels.insert(NAMESPACE_NAME_LABEL.to_owned(), name.to_owned());
        labels
    }

    /// Adds representative namespaces and pods for every peer selector of the policies that
    /// names pods/namespaces not yet present. For a peer {namespaceSelector matchLabels
    /// `kubernetes.io/metadata.name: N`, podSelector matchLabels L}: a namespace N (if missing,
    /// with the selector's other `matchLabels`) and a pod in N with exactly labels L (name =
    /// the labels written `{k=v,k2=v2}`, or `*` for `{}`). A namespace selector without a name
    /// puts the pod in the first matching namespace, or in a new namespace named after the
    /// selector's labels (`{team=x}`) if none matches; the empty one puts it in namespace `*`.
    /// Expressions contribute the first `In` value and an empty value for `Exists`; a
    /// selector that no such labels satisfy adds nothing. Plus one pod `*` with no labels in
    /// every known namespace, plus a namespace `*` (no labels) with a pod `*` (so a rule
    /// that lets every namespace in shows up). Idempotent.
    pub fn add_policy_peers(&mut self) {
        let mut known: Vec<String> = self.pods.iter().map(|p| p.namespace.clone()).collect();
        known.extend(self.policies.iter().map(|p| p.namespace().to_owned()));
        known.push("*".to_owned());
        for name in known {
            self.ensure_namespace(&name, Labels::new());
        }

        let peers: Vec<(String, Option<Selector>, Option<Selector>)> = self
            .policies
            .iter()
            .flat_map(|policy| {
                policy.peers().filter_map(|peer| match peer {
                    Peer::Pods { namespaces, pods } => Some((
                        policy.namespace().to_owned(),
                        namespaces.clone(),
                        pods.clone(),
                    )),
                    Peer::Ips(_) => None,
                })
            })
            .collect();
        for (own, namespaces, pods) in peers {
            let Some(target) = self.representative_namespace(&own, namespaces.as_ref()) else {
                continue;
            };
            let Some(pods) = pods.filter(|sel| !sel.is_empty()) else {
                continue; // the `*` pods below stand for every pod
            };
            let present = self.pods.iter().any(|pod| {
                pods.matches(&pod.labels)
                    && match &namespaces {
                        None => pod.namespace == own,
                        Some(sel) => sel.matches(&self.namespace_labels(&pod.namespace)),
                    }
            });
            if let (false, Some(labels)) = (present, pods.example_labels()) {
                self.ensure_pod(&target, labels);
            }
        }

        let names: Vec<String> = self.namespaces.iter().map(|ns| ns.name.clone()).collect();
        for name in names {
            self.ensure_pod(&name, Labels::new());
        }
    }

    /// The namespace a representative pod of a peer goes to, created if needed.
    fn representative_namespace(
        &mut self,
        own: &str,
        selector: Option<&Selector>,
    ) -> Option<String> {
        let Some(selector) = selector else {
            return Some(own.to_owned());
        };
        if selector.is_empty() {
            return Some("*".to_owned());
        }
        if let Some(name) = selector.match_labels.get(NAMESPACE_NAME_LABEL) {
            let mut labels = selector.match_labels.clone();
            labels.remove(NAMESPACE_NAME_LABEL);
            let name = name.clone();
            self.ensure_namespace(&name, labels);
            return Some(name);
        }
        let mut matching: Vec<&str> = self
            .namespaces
            .iter()
            .filter(|ns| selector.matches(&self.namespace_labels(&ns.name)))
            .map(|ns| ns.name.as_str())
            .collect();
        matching.sort_unstable();
        if let Some(first) = matching.first() {
            return Some((*first).to_owned());
        }
        let labels = selector.example_labels()?;
        let name = labels_name(&labels);
        self.ensure_namespace(&name, labels);
        Some(name)
    }

    fn ensure_namespace(&mut self, name: &str, labels: Labels) {
        if !self.namespaces.iter().any(|ns| ns.name == name) {
            self.namespaces.push(Namespace {
                name: name.to_owned(),
                labels,
            });
        }
    }

    fn ensure_pod(&mut self, namespace: &str, labels: Labels) {
        let name = labels_name(&labels);
        if !self
            .pods
            .iter()
            .any(|p| p.namespace == namespace && p.name == name)
        {
            self.pods.push(Pod {
                namespace: namespace.to_owned(),
                name,
                labels,
                ports: Vec::new(),
            });
        }
    }

    /// Every allowed connection, canonical: from each pod to each other pod, from each pod
    /// to outside addresses, and from outside addresses to each pod. Computed rule-wise: per
    /// pair, the union of the port sets of the matching egress rules of the source's
    /// selecting policies, intersected with the union of the matching ingress rules of the
    /// destination's (every port on a side no policy isolates).
    pub fn flows(&self) -> FlowSet {
        let mut labels: HashMap<&str, Labels> = HashMap::new();
        for pod in &self.pods {
            labels
                .entry(&pod.namespace)
                .or_insert_with(|| self.namespace_labels(&pod.namespace));
        }
        let selecting = |pod: &Pod, direction: Direction| -> Vec<(&Policy, &[Rule])> {
            self.policies
                .iter()
                .filter(|p| p.selects(pod))
                .filter_map(|p| p.rules(direction).map(|rules| (p, rules)))
                .collect()
        };
        let egress: Vec<_> = self
            .pods
            .iter()
            .map(|p| selecting(p, Direction::Egress))
            .collect();
        let ingress: Vec<_> = self
            .pods
            .iter()
            .map(|p| selecting(p, Direction::Ingress))
            .collect();

        let mut set = FlowSet::new();
        let all_ports = PortSet::all();
        let all_ips = IpSet::all();
        let parties: Vec<Party> = self.pods.iter().map(Pod::party).collect();
        for (i, from) in self.pods.iter().enumerate() {
            for (j, to) in self.pods.iter().enumerate() {
                if i == j {
                    continue;
                }
                let to_ns = &labels[to.namespace.as_str()];
                let Some(out) = allowed_ports(&egress[i], to, to_ns, to, &all_ports) else {
                    continue;
                };
                let from_ns = &labels[from.namespace.as_str()];
                let Some(inn) = allowed_ports(&ingress[j], from, from_ns, to, &all_ports) else {
                    continue;
                };
                let ports = match (&out, &inn) {
                    (Cow::Borrowed(_), _) => inn,
                    (_, Cow::Borrowed(_)) => out,
                    _ => Cow::Owned(out.intersect(&inn)),
                };
                set.allow(parties[i].clone(), parties[j].clone(), &ports);
            }
        }
        for (i, pod) in self.pods.iter().enumerate() {
            let party = &parties[i];
            for (inbound, policies, dest) in
                [(false, &egress[i], None), (true, &ingress[i], Some(pod))]
            {
                if policies.is_empty() {
                    set.allow_ips(party.clone(), &all_ips, &all_ports, inbound);
                    continue;
                }
                for rule in policies.iter().flat_map(|(_, rules)| rules.iter()) {
                    set.allow_ips(party.clone(), &rule.ips(), &rule.ports_to(dest), inbound);
                }
            }
        }
        set
    }
}

/// The ports that `policies` (of one pod and direction) allow with the pod `peer` (in a
/// namespace labelled `peer_ns`), resolved against the destination `dest`: `all` (borrowed)
/// when no policy isolates, `None` when nothing is allowed.
fn allowed_ports<'a>(
    policies: &[(&Policy, &[Rule])],
    peer: &Pod,
    peer_ns: &Labels,
    dest: &Pod,
    all: &'a PortSet,
) -> Option<Cow<'a, PortSet>> {
    if policies.is_empty() {
        return Some(Cow::Borrowed(all));
    }
    let mut ports = PortSet::new();
    for (policy, rules) in policies {
        for rule in *rules {
            if rule.matches_pod(peer, peer_ns, policy.namespace()) {
                ports.union(&rule.ports_to(Some(dest)));
            }
        }
    }
    (!ports.is_empty()).then_some(Cow::Owned(ports))
}

/// `{k=v,k2=v2}`, or `*` for no labels: the name of a representative pod.
pub fn labels_name(labels: &Labels) -> String {
    if labels.is_empty() {
        return "*".to_owned();
    }
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", pairs.join(","))
}
