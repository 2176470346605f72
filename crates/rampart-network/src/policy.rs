//! NetworkPolicy objects: parsing and matching of their rules.

use serde_json::Value;

use crate::ips::IpSet;
use crate::json::{Object, kind};
use crate::ports::{FULL, PortSet, Protocol};
use crate::selector::Selector;
use crate::{Labels, Pod};

/// A `networking.k8s.io/v1` NetworkPolicy, parsed and validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    namespace: String,
    name: String,
    pod_selector: Selector,
    /// `Some` iff the policy's (defaulted) `policyTypes` include Ingress.
    pub(crate) ingress: Option<Vec<Rule>>,
    /// `Some` iff the policy's (defaulted) `policyTypes` include Egress.
    pub(crate) egress: Option<Vec<Rule>>,
}

/// One ingress or egress rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    /// `from`/`to`; `None` when absent or empty: every peer, outside addresses included.
    pub(crate) peers: Option<Vec<Peer>>,
    /// `ports`; empty when absent or empty: every port.
    pub(crate) ports: Vec<PortSpec>,
}

/// One `from`/`to` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Peer {
    /// Pods: of the policy's namespace when `namespaces` is `None`, every pod of the matching
    /// namespaces when `pods` is `None`, else both (AND).
    Pods {
        namespaces: Option<Selector>,
        pods: Option<Selector>,
    },
    /// `ipBlock` with its `except` removed; matches outside addresses only.
    Ips(IpSet),
}

/// One `ports` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PortSpec {
    pub(crate) protocol: Protocol,
    pub(crate) port: PortValue,
}

/// What a `ports` item names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PortValue {
    /// No `port`: every port of the protocol.
    All,
    /// `port` (and `endPort`), inclusive.
    Range(u16, u16),
    /// A named container port of the destination pod.
    Named(String),
}

impl Policy {
    /// A `networking.k8s.io/v1` NetworkPolicy as JSON (the shape `kubectl get -o json`
    /// prints). Errors name the field:
    /// ``spec.egress[1].to[0].ipBlock.cidr: `10.0.0.0/33` is not a CIDR``.
    ///
    /// A missing `metadata.namespace` is `default`, as `kubectl apply` would place it.
    pub fn from_value(doc: &Value) -> Result<Policy, String> {
        let root = Object::new(
            doc,
            "",
            &["apiVersion", "kind", "metadata", "spec", "status"],
        )?;
        match root.string("apiVersion")? {
            Some("networking.k8s.io/v1") => {}
            other => {
                return Err(format!(
                    "apiVersion: expected `networking.k8s.io/v1`, found {}",
                    other.map_or("nothing".to_owned(), |v| format!("`{v}`"))
                ));
            }
        }
        match root.string("kind")? {
            Some("NetworkPolicy") => {}
            other => {
                return Err(format!(
                    "kind: expected `NetworkPolicy`, found {}",
                    other.map_or("nothing".to_owned(), |v| format!("`{v}`"))
                ));
            }
        }
        let metadata = root
            .get("metadata")
            .ok_or_else(|| "metadata: required".to_owned())?;
        let metadata = Object::lenient(metadata, "metadata")?;
        let name = metadata
            .string("name")?
            .filter(|n| !n.is_empty())
            .ok_or_else(|| "metadata.name: required".to_owned())?
            .to_owned();
        let namespace = metadata
            .string("namespace")?
            .unwrap_or("default")
            .to_owned();

        let spec = root
            .get("spec")
            .ok_or_else(|| "spec: required".to_owned())?;
        let spec = Object::new(
            spec,
            "spec",
            &["podSelector", "policyTypes", "ingress", "egress"],
        )?;
        // Absent podSelector selects every pod (optional in the API since v1.31; `{}` before).
        let pod_selector = match spec.get("podSelector") {
            Some(v) => Selector::parse(v, &spec.field_path("podSelector"))?,
            None => Selector::default(),
        };
        let ingress = parse_rules(&spec, "ingress", "from")?;
        let egress = parse_rules(&spec, "egress", "to")?;

        let mut types = (false, false);
        for (path, item) in spec.list("policyTypes")?.unwrap_or_default() {
            match item.as_str() {
                Some("Ingress") => types.0 = true,
                Some("Egress") => types.1 = true,
                Some(other) => {
                    return Err(format!(
                        "{path}: `{other}` is not a policy type (Ingress, Egress)"
                    ));
                }
                None => return Err(format!("{path}: expected a string, found {}", kind(item))),
            }
        }
        if types == (false, false) {
            // The API server's defaulting: Ingress always, Egress iff there are egress rules
            // (`egress: []` does not count).
            types = (true, !egress.is_empty());
        }
        Ok(Policy {
            namespace,
            name,
            pod_selector,
            ingress: types.0.then_some(ingress),
            egress: types.1.then_some(egress),
        })
    }

    /// The policy's namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `namespace/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Labels of a pod the policy selects, if its pod selector admits one (`matchLabels`, the
    /// first value of each `In`, an empty value for each `Exists`); empty for `{}`.
    pub fn example_pod_labels(&self) -> Option<Labels> {
        self.pod_selector.example_labels()
    }

    /// Whether the policy applies to `pod` (same namespace, pod selector matches).
    pub fn selects(&self, pod: &Pod) -> bool {
        pod.namespace == self.namespace && self.pod_selector.matches(&pod.labels)
    }

    /// Whether the policy isolates the pods it selects for ingress.
    pub fn affects_ingress(&self) -> bool {
        self.ingress.is_some()
    }

    /// Whether the policy isolates the pods it selects for egress.
    pub fn affects_egress(&self) -> bool {
        self.egress.is_some()
    }

    /// Every peer of every rule the policy enforces.
    pub(crate) fn peers(&self) -> impl Iterator<Item = &Peer> {
        let rules = self.ingress.iter().chain(&self.egress).flatten();
        rules.flat_map(|r| r.peers.iter().flatten())
    }
}

fn parse_rules(spec: &Object<'_>, field: &str, peers_field: &str) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    for (path, item) in spec.list(field)?.unwrap_or_default() {
        let obj = Object::new(item, &path, &[peers_field, "ports"])?;
        let mut peers = Vec::new();
        for (peer_path, peer) in obj.list(peers_field)?.unwrap_or_default() {
            peers.push(parse_peer(peer, &peer_path)?);
        }
        let mut ports = Vec::new();
        for (port_path, port) in obj.list("ports")?.unwrap_or_default() {
            ports.push(parse_port(port, &port_path)?);
        }
        rules.push(Rule {
            peers: (!peers.is_empty()).then_some(peers),
            ports,
        });
    }
    Ok(rules)
}

fn parse_peer(value: &Value, path: &str) -> Result<Peer, String> {
    let obj = Object::new(
        value,
        path,
        &["podSelector", "namespaceSelector", "ipBlock"],
    )?;
    if let Some(block) = obj.get("ipBlock") {
        if obj.has("podSelector") || obj.has("namespaceSelector") {
            return Err(format!(
                "{path}: ipBlock cannot be combined with podSelector or namespaceSelector"
            ));
        }
        return parse_ip_block(block, &obj.field_path("ipBlock")).map(Peer::Ips);
    }
    let selector = |field: &str| {
        obj.get(field)
            .map(|v| Selector::parse(v, &obj.field_path(field)))
            .transpose()
    };
    let namespaces = selector("namespaceSelector")?;
    let pods = selector("podSelector")?;
    if namespaces.is_none() && pods.is_none() {
        return Err(format!(
            "{path}: needs podSelector, namespaceSelector or ipBlock"
        ));
    }
    Ok(Peer::Pods { namespaces, pods })
}

fn parse_ip_block(value: &Value, path: &str) -> Result<IpSet, String> {
    let obj = Object::new(value, path, &["cidr", "except"])?;
    let cidr_path = obj.field_path("cidr");
    let cidr = obj
        .string("cidr")?
        .ok_or_else(|| format!("{cidr_path}: required"))?;
    let block = IpSet::parse_cidr(cidr).map_err(|e| format!("{cidr_path}: {e}"))?;
    let mut excepted = IpSet::new();
    for (item_path, item) in obj.list("except")?.unwrap_or_default() {
        let text = item
            .as_str()
            .ok_or_else(|| format!("{item_path}: expected a string, found {}", kind(item)))?;
        let except = IpSet::parse_cidr(text).map_err(|e| format!("{item_path}: {e}"))?;
        // The API server rejects an except that is not a strict subset of the cidr.
        if !block.covers(&except) || except == block {
            return Err(format!(
                "{item_path}: `{text}` must be a strict subset of `{cidr}`"
            ));
        }
        excepted.union(&except);
    }
    Ok(block.minus(&excepted))
}

fn parse_port(value: &Value, path: &str) -> Result<PortSpec, String> {
    let obj = Object::new(value, path, &["protocol", "port", "endPort"])?;
    let protocol = match obj.string("protocol")? {
        None => Protocol::TCP,
        Some(text) => Protocol::parse(text).ok_or_else(|| {
            format!(
                "{}: `{text}` is not a protocol (TCP, UDP, SCTP)",
                obj.field_path("protocol")
            )
        })?,
    };
    let port_path = obj.field_path("port");
    let end_path = obj.field_path("endPort");
    let end = obj
        .get("endPort")
        .map(|v| port_number(v, &end_path))
        .transpose()?;
    let port = match obj.get("port") {
        None => {
            if end.is_some() {
                return Err(format!("{end_path}: needs a numeric port"));
            }
            PortValue::All
        }
        Some(Value::String(name)) => {
            if end.is_some() {
                return Err(format!(
                    "{end_path}: needs a numeric port, not the named port `{name}`"
                ));
            }
            if !is_port_name(name) {
                return Err(format!(
                    "{port_path}: `{name}` is not a port name (1-15 lowercase letters, digits and \
                     single hyphens, with a letter)"
                ));
            }
            PortValue::Named(name.clone())
        }
        Some(v) => {
            let first = port_number(v, &port_path)?;
            let last = end.unwrap_or(first);
            if last < first {
                return Err(format!("{end_path}: {last} is below port {first}"));
            }
            PortValue::Range(first, last)
        }
    };
    Ok(PortSpec { protocol, port })
}

fn port_number(value: &Value, path: &str) -> Result<u16, String> {
    value
        .as_u64()
        .and_then(|n| u16::try_from(n).ok())
        .filter(|&n| n >= FULL.0)
        .ok_or_else(|| format!("{path}: `{value}` is not a port (1-65535)"))
}

/// An IANA service name, as Kubernetes validates named ports.
fn is_port_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=15).contains(&bytes.len())
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && bytes.iter().any(u8::is_ascii_lowercase)
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

impl Rule {
    /// Whether a peer of the rule is the pod `peer` (in a namespace with labels `peer_ns`)
    /// for a policy of namespace `own_ns`.
    pub(crate) fn matches_pod(&self, peer: &Pod, peer_ns: &Labels, own_ns: &str) -> bool {
        let Some(peers) = &self.peers else {
            return true;
        };
        peers.iter().any(|p| match p {
            Peer::Ips(_) => false,
            Peer::Pods { namespaces, pods } => {
                let ns_ok = match namespaces {
                    None => peer.namespace == own_ns,
                    Some(sel) => sel.matches(peer_ns),
                };
                ns_ok && pods.as_ref().is_none_or(|sel| sel.matches(&peer.labels))
            }
        })
    }

    /// The outside addresses the rule's peers cover.
    pub(crate) fn ips(&self) -> IpSet {
        let Some(peers) = &self.peers else {
            return IpSet::all();
        };
        let mut set = IpSet::new();
        for peer in peers {
            if let Peer::Ips(block) = peer {
                set.union(block);
            }
        }
        set
    }

    /// Whether the rule allows `port`/`protocol` to `dest` (a pod, or `None` for an outside
    /// address, where named ports never match).
    pub(crate) fn allows_port(&self, dest: Option<&Pod>, protocol: Protocol, port: u16) -> bool {
        self.ports.is_empty()
            || self.ports.iter().any(|spec| {
                spec.protocol == protocol
                    && match &spec.port {
                        PortValue::All => true,
                        PortValue::Range(first, last) => (*first..=*last).contains(&port),
                        PortValue::Named(name) => dest.is_some_and(|pod| {
                            resolve(pod, protocol, name).any(|number| number == port)
                        }),
                    }
            })
    }

    /// The ports the rule allows to `dest` (`None`: an outside address). A named port the
    /// destination pod does not declare stays named.
    pub(crate) fn ports_to(&self, dest: Option<&Pod>) -> PortSet {
        if self.ports.is_empty() {
            return PortSet::all();
        }
        let mut set = PortSet::new();
        for spec in &self.ports {
            match &spec.port {
                PortValue::All => set.add_range(spec.protocol, FULL.0, FULL.1),
                PortValue::Range(first, last) => set.add_range(spec.protocol, *first, *last),
                PortValue::Named(name) => {
                    let Some(pod) = dest else { continue };
                    let mut resolved = false;
                    for number in resolve(pod, spec.protocol, name) {
                        set.add_range(spec.protocol, number, number);
                        resolved = true;
                    }
                    if !resolved {
                        set.add_named(spec.protocol, name);
                    }
                }
            }
        }
        set
    }
}

/// The numbers of `pod`'s container ports called `name` with `protocol`.
fn resolve<'a>(pod: &'a Pod, protocol: Protocol, name: &'a str) -> impl Iterator<Item = u16> + 'a {
    pod.ports
        .iter()
        .filter(move |p| p.protocol == protocol && p.name.as_deref() == Some(name))
        .map(|p| p.port)
}
