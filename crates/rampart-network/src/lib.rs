//! A Kubernetes NetworkPolicy connectivity evaluator: pure Rust, no cluster.
//!
//! A [`Network`] holds namespaces, pods (with labels and container ports) and
//! `networking.k8s.io/v1` [`Policy`] objects. [`Network::verdict`] answers whether one
//! connection is allowed and by which policies; [`Network::flows`] lists every allowed
//! connection as a canonical [`FlowSet`], so two sets of policies can be compared for the
//! connectivity they allow rather than for how they are written.
//!
//! The semantics are those of the Kubernetes documentation
//! (<https://kubernetes.io/docs/concepts/services-networking/network-policies/>) and the
//! NetworkPolicy API reference: a pod selected by no policy of a direction is not isolated in
//! that direction; several policies add up; a connection needs the source's egress and the
//! destination's ingress; `policyTypes` default to Ingress, plus Egress iff there are egress
//! rules; named ports resolve against the destination pod's container ports.
//!
//! Deliberate simplifications:
//! - `ipBlock` peers match outside addresses only: pods are never matched by `ipBlock` (pod
//!   IPs are not modelled; whether a CNI applies `ipBlock` to pod traffic is
//!   implementation-defined anyway).
//! - The node-local exemptions (traffic from the pod's own node, loopback) are not modelled.
//!
//! ```
//! use rampart_network::{Endpoint, Labels, Namespace, Network, Pod, Policy, Protocol, Side};
//! let policy = Policy::from_value(&serde_json::json!({
//!     "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
//!     "metadata": {"name": "db-from-api", "namespace": "shop"},
//!     "spec": {
//!         "podSelector": {"matchLabels": {"app": "db"}},
//!         "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "api"}}}],
//!                      "ports": [{"port": 5432}]}]
//!     }
//! })).unwrap();
//! let pod = |name: &str| Pod {
//!     namespace: "shop".into(), name: name.into(),
//!     labels: Labels::from([("app".to_owned(), name.to_owned())]), ports: vec![],
//! };
//! let (api, db, web) = (pod("api"), pod("db"), pod("web"));
//! let net = Network {
//!     namespaces: vec![Namespace { name: "shop".into(), labels: Labels::new() }],
//!     pods: vec![api.clone(), db.clone(), web.clone()],
//!     policies: vec![policy],
//! };
//! let ok = net.verdict(&Endpoint::Pod(&api), &Endpoint::Pod(&db), 5432, Protocol::TCP);
//! assert!(ok.allowed);
//! assert_eq!(ok.ingress, Side::Allowed(vec!["shop/db-from-api".into()]));
//! let no = net.verdict(&Endpoint::Pod(&web), &Endpoint::Pod(&db), 5432, Protocol::TCP);
//! assert_eq!(no.ingress, Side::Denied(vec!["shop/db-from-api".into()]));
//! ```

#![warn(missing_docs)]

use serde::{Deserialize, Serialize};

mod flows;
mod ips;
mod json;
mod network;
mod policy;
mod ports;
mod ranges;
mod selector;

pub use flows::{Flow, FlowSet, Party};
pub use ips::IpSet;
pub use network::{Endpoint, Side, Verdict, labels_name};
pub use policy::Policy;
pub use ports::{PortSet, Protocol};

/// Labels of a pod or namespace.
pub type Labels = std::collections::BTreeMap<String, String>;

/// The label every namespace carries with its own name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A namespace. The evaluator always treats `kubernetes.io/metadata.name: <name>` as one of
/// its labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    /// The namespace's name.
    pub name: String,
    /// Its labels.
    pub labels: Labels,
}

/// A container port a pod declares (what named ports resolve to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerPort {
    /// `name`, if any.
    pub name: Option<String>,
    /// `containerPort`.
    pub port: u16,
    /// `protocol` (TCP when absent in the manifest).
    pub protocol: Protocol,
}

/// A pod, or a representative of the pods with the same labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pod {
    /// The pod's namespace.
    pub namespace: String,
    /// A display identity (e.g. an app name `api`, or a synthetic `{team=x}` / `*` for
    /// representative pods).
    pub name: String,
    /// Its labels.
    pub labels: Labels,
    /// Its containers' ports.
    pub ports: Vec<ContainerPort>,
}

impl Pod {
    /// The flow party of this pod.
    pub fn party(&self) -> Party {
        Party::pod(&self.namespace, &self.name)
    }
}

/// Namespaces, pods and the policies between them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Network {
    /// Namespaces with their labels (a pod's namespace missing here has only its name label).
    pub namespaces: Vec<Namespace>,
    /// The pods.
    pub pods: Vec<Pod>,
    /// The policies.
    pub policies: Vec<Policy>,
}
